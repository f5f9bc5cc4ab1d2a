//! One Java explain call's control (`dev.lumen.NativeCall`): its own cancel token, its
//! deadline, its progress callback and its model-call parallelism, installed for the
//! calling thread while the call runs.
//!
//! The Java side cancels the token from any thread: when the calling thread is interrupted
//! (`Thread.interrupt()`, `Future.cancel(true)`), when the caller's `dev.lumen.CancelToken`
//! is cancelled, or when the progress callback threw. The engine checks the token before
//! every model batch and inside long compute phases, so the call ends with `Cancelled`
//! within one model batch of the trigger. The progress callback calls the Java object's
//! `boolean progress(double)` from an engine thread (attached as a daemon thread, see
//! [`crate::daemon`]); that method never throws (it keeps what the user's callback threw),
//! and a `false` stops the call.

use std::sync::Arc;
use std::time::Duration;

use jni::ids::JMethodID;
use jni::objects::{JObject, JValue};
use jni::refs::Global;
use jni::signature::{Primitive, ReturnType};
use jni::vm::JavaVM;
use jni::{jni_sig, jni_str, Env};
use lumen::engine::call_control::{CallControl, CancelToken, ControlScope, ProgressFn};
use lumen::model::callback_scope::refuse_reentry;
use lumen::Error;

use crate::daemon;
use crate::error::{BindingError, BindingResult};
use crate::handles::borrow;

/// The native half of a `dev.lumen.NativeCall`.
#[derive(Debug)]
pub struct JavaCall {
    token: CancelToken,
    control: Arc<CallControl>,
}

impl JavaCall {
    /// A control whose token is new and not cancelled; `timeout_nanos > 0` sets the
    /// deadline, `progress` (the `NativeCall` object) receives the fraction done, and
    /// `max_model_threads > 0` bounds the model calls that may overlap; `seed` replaces the
    /// engine's seed, `row_keys` key the explained rows and `row_targets` give each row its
    /// own explained output (one per row).
    pub fn new(
        env: &mut Env<'_>,
        progress: Option<&JObject<'_>>,
        timeout_nanos: i64,
        max_model_threads: i32,
        seed: Option<u64>,
        row_keys: Option<Vec<u64>>,
        row_targets: Option<Vec<u32>>,
    ) -> BindingResult<Self> {
        let timeout = match timeout_nanos {
            0 => None,
            n if n > 0 => Some(Duration::from_nanos(n.unsigned_abs())),
            n => return Err(Error::invalid("timeout", format!("is {n} ns, expected > 0 (or none)")).into()),
        };
        let max_model_threads = match max_model_threads {
            0 => None,
            n if n > 0 => Some(n.unsigned_abs() as usize),
            n => {
                return Err(
                    Error::invalid("maxModelThreads", format!("is {n}, expected >= 1 (or 0: the engine's)")).into()
                )
            }
        };
        let progress = match progress {
            Some(object) => Some(JavaProgress::new(env, object)?.into_callback()),
            None => None,
        };
        let token = CancelToken::new();
        let mut control = CallControl::new(Some(token.clone()), timeout, progress, max_model_threads);
        if let Some(seed) = seed {
            control = control.with_seed(seed);
        }
        if let Some(keys) = row_keys {
            control = control.with_row_keys(keys);
        }
        if let Some(targets) = row_targets {
            control = control.with_row_targets(targets);
        }
        let control = Arc::new(control);
        Ok(Self { token, control })
    }

    /// Stops the call (thread-safe, from any thread, also from inside a callback).
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

/// The Java object whose `boolean progress(double)` receives the fraction done.
struct JavaProgress {
    vm: JavaVM,
    object: Global<JObject<'static>>,
    method: JMethodID,
}

impl JavaProgress {
    fn new(env: &mut Env<'_>, object: &JObject<'_>) -> BindingResult<Self> {
        if object.is_null() {
            return Err(BindingError::Null { argument: "progress", expected: "a dev.lumen.NativeCall" });
        }
        let class = env.get_object_class(object)?;
        let method = env.get_method_id(&class, jni_str!("progress"), jni_sig!("(D)Z"))?;
        Ok(Self { vm: env.get_java_vm()?, object: env.new_global_ref(object)?, method })
    }

    fn into_callback(self) -> ProgressFn {
        Box::new(move |fraction| self.report(fraction))
    }

    /// Calls `progress(fraction)` from the current thread; `false` (stop) when the Java
    /// method says so or cannot be called.
    fn report(&self, fraction: f64) -> bool {
        let outcome = daemon::ensure_attached(&self.vm).and_then(|()| {
            self.vm.attach_current_thread_for_scope(|env| -> jni::errors::Result<bool> {
                let args = [JValue::Double(fraction).as_jni()];
                // SAFETY: `method` is `boolean progress(double)` of the object's own class,
                // looked up in `new`; the argument matches it.
                let result = unsafe {
                    env.call_method_unchecked(
                        self.object.as_obj(),
                        self.method,
                        ReturnType::Primitive(Primitive::Boolean),
                        &args,
                    )
                };
                match result.and_then(|value| value.z()) {
                    Ok(go_on) => Ok(go_on),
                    Err(_) => {
                        // `progress` catches every Throwable; whatever still escaped it (a
                        // JVM error) must not stay pending on an engine thread: stop.
                        if env.exception_check() {
                            env.exception_clear();
                        }
                        Ok(false)
                    }
                }
            })
        });
        outcome.unwrap_or(false)
    }
}

/// Refuses a call made from inside a model or progress callback, then installs the
/// control of the `NativeCall` behind `call` (0: none) for the calling thread until the
/// returned scope is dropped. The first thing every explain export does.
pub fn enter(call: jni::sys::jlong) -> BindingResult<ControlScope> {
    refuse_reentry()?;
    if call == 0 {
        return Ok(ControlScope::enter(None));
    }
    // SAFETY: the handle comes from the `dev.lumen.NativeCall` that guards this call and
    // frees it only after the call returned.
    let call = unsafe { borrow::<JavaCall>(call, "call") }?;
    Ok(ControlScope::enter(Some(Arc::clone(&call.control))))
}
