//! Calling into a Java object from the engine's worker threads: each thread attaches to
//! the JVM as a daemon thread (and stays attached until it exits, see [`crate::daemon`]),
//! a model that is not concurrent is entered by one thread at a time, and the first Java exception of one explanation is kept so that the export
//! can rethrow it as the cause of a `ModelException`.

use std::sync::{Mutex, MutexGuard, PoisonError};

use jni::objects::{JObject, JString, JThrowable};
use jni::refs::Global;
use jni::vm::JavaVM;
use jni::{jni_sig, jni_str, Env};
use lumen::model::callback_scope::CallbackScope;
use lumen::{Error, ErrorKind};

use crate::daemon;
use crate::error::{BindingError, BindingResult};

/// A Java object (a model bridge) held for calls from any thread.
#[derive(Debug)]
pub struct JavaTarget {
    vm: JavaVM,
    bridge: Global<JObject<'static>>,
    concurrent: bool,
    serial: Mutex<()>,
}

impl JavaTarget {
    /// Holds `bridge` through a global reference, which keeps it alive until this target
    /// is dropped, whichever thread drops it.
    pub fn new(env: &mut Env<'_>, bridge: &JObject<'_>, concurrent: bool) -> BindingResult<Self> {
        Ok(Self { vm: env.get_java_vm()?, bridge: env.new_global_ref(bridge)?, concurrent, serial: Mutex::new(()) })
    }

    /// The right to call the object now: its lock unless it is concurrent, so that a
    /// serial model is never entered twice, whichever explanations or threads call it.
    fn turn(&self) -> Option<MutexGuard<'_, ()>> {
        (!self.concurrent).then(|| self.serial.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// One explanation's calls into a [`JavaTarget`]: it records the first exception the Java
/// object throws during this explanation, so that concurrent explanations never see each
/// other's exceptions.
#[derive(Debug, Default)]
pub struct Thrown {
    first: Mutex<Option<Global<JThrowable<'static>>>>,
}

impl Thrown {
    /// Turns the engine's error into the binding's, attaching the Java exception that
    /// caused it when the object threw.
    pub fn failure(&self, error: Error) -> BindingError {
        let thrown = self.first.lock().unwrap_or_else(PoisonError::into_inner).take();
        match thrown {
            Some(cause) if error.kind() == ErrorKind::ModelFailed => BindingError::ModelThrew { error, cause },
            _ => BindingError::Lumen(error),
        }
    }

    /// Maps an engine result through [`Thrown::failure`].
    pub fn check<T>(&self, result: lumen::Result<T>) -> BindingResult<T> {
        result.map_err(|e| self.failure(e))
    }

    /// Runs `invoke` on `target`'s object from the current thread (attached to the JVM as
    /// a daemon thread for as long as it lives, see [`crate::daemon`]). A Java exception is
    /// cleared, kept and reported as `ModelFailed`. The call runs inside a
    /// [`CallbackScope`], so that Java code calling back into Lumen from the model is
    /// refused with `InvalidState` instead of deadlocking on the model's lock.
    pub fn call(
        &self,
        target: &JavaTarget,
        method: &str,
        invoke: impl FnOnce(&mut Env<'_>, &JObject<'static>) -> jni::errors::Result<()>,
    ) -> lumen::Result<()> {
        let _callback = CallbackScope::enter();
        let _turn = target.turn();
        // Once attached (as a daemon), jni only borrows the attachment and never makes a
        // non-daemon one of its own.
        let outcome = daemon::ensure_attached(&target.vm).and_then(|()| {
            target.vm.attach_current_thread_for_scope(
                |env| -> jni::errors::Result<Option<(Global<JThrowable<'static>>, String)>> {
                    match invoke(env, target.bridge.as_obj()) {
                        Ok(()) => Ok(None),
                        Err(jni::errors::Error::JavaException) => match env.exception_occurred() {
                            Some(throwable) => {
                                env.exception_clear();
                                let description = describe(env, &throwable);
                                Ok(Some((env.new_global_ref(&throwable)?, description)))
                            }
                            None => Err(jni::errors::Error::JavaException),
                        },
                        Err(other) => Err(other),
                    }
                },
            )
        });
        match outcome {
            Ok(None) => Ok(()),
            Ok(Some((throwable, description))) => {
                self.first.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(throwable);
                Err(Error::new(ErrorKind::ModelFailed, format!("model: the Java {method} method threw {description}")))
            }
            Err(e) => {
                Err(Error::new(ErrorKind::ModelFailed, format!("model: calling the Java {method} method failed: {e}")))
            }
        }
    }
}

/// `throwable.toString()`, or its absence explained.
fn describe(env: &mut Env<'_>, throwable: &JThrowable<'_>) -> String {
    let text = env
        .call_method(throwable, jni_str!("toString"), jni_sig!("()Ljava/lang/String;"), &[])
        .and_then(|v| v.l())
        .and_then(|o| env.cast_local::<JString>(o))
        .and_then(|s| s.try_to_string(env));
    text.unwrap_or_else(|_| {
        env.exception_clear();
        "an exception that could not be described".to_owned()
    })
}
