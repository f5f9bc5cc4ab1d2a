//! Per-call controls (`dev.lumen.NativeCall`): cancellation, deadline, progress.

use jni::objects::{JClass, JObject};
use jni::sys::{jboolean, jint, jlong};
use jni::EnvUnowned;

use crate::calls::JavaCall;
use crate::error::{BindingResult, ThrowLumenException};
use crate::handles::{borrow, free, into_handle};

/// `long callNew(NativeCall call, boolean progress, long timeoutNanos, int
/// maxModelThreads)`: a call control with its own cancel token; with `progress`, the
/// engine reports the fraction done to `call.progress(double)`; `timeoutNanos` 0 means no
/// deadline, `maxModelThreads` 0 the engine's parallelism.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_callNew<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: JObject<'l>,
    progress: jboolean,
    timeout_nanos: jlong,
    max_model_threads: jint,
) -> jlong {
    env.with_env(|env| -> BindingResult<jlong> {
        let progress = progress.then_some(&call);
        Ok(into_handle(JavaCall::new(env, progress, timeout_nanos, max_model_threads)?))
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
