//! Per-call controls (`dev.lumen.NativeCall`): cancellation, deadline, progress.

use jni::objects::{JByteArray, JClass, JIntArray, JLongArray, JObject};
use jni::sys::{jboolean, jbyte, jint, jlong};
use jni::EnvUnowned;
use lumen::engine::row_keys::row_key_of_bytes;

use crate::arrays::optional_ids;
use crate::calls::JavaCall;
use crate::error::{BindingError, BindingResult, ThrowLumenException};
use crate::handles::{borrow, free, into_handle};

/// `long callNew(NativeCall call, boolean progress, long timeoutNanos, int
/// maxModelThreads, boolean hasSeed, long seed, long[] rowKeys, int[] rowTargets)`: a call control with its
/// own cancel token; with `progress`, the engine reports the fraction done to
/// `call.progress(double)`; `timeoutNanos` 0 means no deadline, `maxModelThreads` 0 the
/// engine's parallelism; with `hasSeed` the call draws from `seed` (its 64 bits, unsigned);
/// a non-null `rowKeys` keys the explained rows; a non-null `rowTargets` gives each row its
/// own explained output.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // the JNI signature: one argument per Java parameter
pub extern "system" fn Java_dev_lumen_NativeLumen_callNew<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: JObject<'l>,
    progress: jboolean,
    timeout_nanos: jlong,
    max_model_threads: jint,
    has_seed: jboolean,
    seed: jlong,
    row_keys: JLongArray<'l>,
    row_targets: JIntArray<'l>,
) -> jlong {
    env.with_env(|env| -> BindingResult<jlong> {
        let progress = progress.then_some(&call);
        let row_keys = if row_keys.is_null() {
            None
        } else {
            let mut keys = vec![0 as jlong; row_keys.len(env)?];
            row_keys.get_region(env, 0, &mut keys)?;
            Some(keys.into_iter().map(|k| k as u64).collect())
        };
        let seed = has_seed.then_some(seed as u64);
        let row_targets = optional_ids(env, &row_targets, "rowTargets")?;
        Ok(into_handle(JavaCall::new(env, progress, timeout_nanos, max_model_threads, seed, row_keys, row_targets)?))
    })
    .resolve::<ThrowLumenException>()
}

/// `long rowKeyOf(byte[] id)`: the row key of an identifier's bytes (UTF-8 of a String),
/// the same as `lumen_row_key_of_bytes` and every other binding.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_rowKeyOf<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: JByteArray<'l>,
) -> jlong {
    env.with_env(|env| -> BindingResult<jlong> {
        if id.is_null() {
            return Err(BindingError::Null { argument: "id", expected: "a byte[]" });
        }
        let mut bytes = vec![0 as jbyte; id.len(env)?];
        id.get_region(env, 0, &mut bytes)?;
        let bytes: Vec<u8> = bytes.into_iter().map(|b| b as u8).collect();
        Ok(row_key_of_bytes(&bytes) as jlong)
    })
    .resolve::<ThrowLumenException>()
}

/// `void callCancel(long call)`: stops the call within one model batch. Thread-safe, also
/// from inside a model or progress callback.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_callCancel<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
) {
    env.with_env(|_| -> BindingResult<()> {
        // SAFETY: `dev.lumen.NativeCall` passes its handle only while it is open (under
        // the lock that also guards `callFree`).
        unsafe { borrow::<JavaCall>(call, "call") }?.cancel();
        Ok(())
    })
    .resolve::<ThrowLumenException>()
}

/// `void callFree(long call)`: frees the control, once, after its call returned.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_callFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
) {
    env.with_env(|_| -> BindingResult<()> {
        // SAFETY: `dev.lumen.NativeCall` frees its handle exactly once, after its call.
        unsafe { free::<JavaCall>(call) };
        Ok(())
    })
    .resolve::<ThrowLumenException>()
}
