//! Errors of the JNI layer and the policy that turns them (and panics) into
//! `dev.lumen.LumenException` subclasses thrown at the Java caller.

use std::any::Any;

use jni::objects::{JObject, JThrowable, JValue};
use jni::refs::Global;
use jni::{jni_sig, jni_str, Env};
use lumen::ffi::lumen_status;

/// Everything that can fail in a native method.
#[derive(Debug)]
pub enum BindingError {
    /// The engine refused the call or failed while running it.
    Lumen(lumen::Error),
    /// The Java model threw: the engine's error (which stopped the explanation) and the
    /// throwable itself, which becomes the cause of the exception the caller sees.
    ModelThrew {
        /// The engine's `ModelFailed` error, naming the callback.
        error: lumen::Error,
        /// The model's original exception.
        cause: Global<JThrowable<'static>>,
    },
    /// A required Java argument was `null`.
    Null {
        /// The argument's name.
        argument: &'static str,
        /// What was expected instead.
        expected: &'static str,
    },
    /// A JNI call failed; a Java exception may already be pending.
    Jni(jni::errors::Error),
}

/// The JNI layer's result type.
pub type BindingResult<T> = Result<T, BindingError>;

impl From<lumen::Error> for BindingError {
    fn from(error: lumen::Error) -> Self {
        Self::Lumen(error)
    }
}

impl From<jni::errors::Error> for BindingError {
    fn from(error: jni::errors::Error) -> Self {
        Self::Jni(error)
    }
}

impl std::fmt::Display for BindingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lumen(error) | Self::ModelThrew { error, .. } => write!(f, "{error}"),
            Self::Null { argument, expected } => write!(f, "{argument}: is null, expected {expected}"),
            Self::Jni(error) => write!(f, "JNI: {error}"),
        }
    }
}

impl std::error::Error for BindingError {}

/// The Lumen status, message and optional cause an error is reported with.
fn status_of(error: &BindingError) -> (lumen_status, String, Option<&Global<JThrowable<'static>>>) {
    match error {
        BindingError::Lumen(e) => (lumen_status::from(e.kind()), e.message().to_owned(), None),
        BindingError::ModelThrew { error, cause } => {
            (lumen_status::from(error.kind()), error.message().to_owned(), Some(cause))
        }
        BindingError::Null { .. } => (lumen_status::NullPointer, error.to_string(), None),
        BindingError::Jni(_) => (lumen_status::Internal, error.to_string(), None),
    }
}

/// Builds the `LumenException` subclass for `status` (via the Java factory
/// `LumenException.of`) and throws it.
fn throw_lumen(
    env: &mut Env<'_>,
    status: lumen_status,
    message: &str,
    cause: Option<&JObject<'_>>,
) -> jni::errors::Result<()> {
    let text = env.new_string(message)?;
    let null = JObject::null();
    let exception = env
        .call_static_method(
            jni_str!("dev/lumen/LumenException"),
            jni_str!("of"),
            jni_sig!("(ILjava/lang/String;Ljava/lang/Throwable;)Ldev/lumen/LumenException;"),
            &[JValue::Int(status as i32), JValue::Object(&text), JValue::Object(cause.unwrap_or(&null))],
        )?
        .l()?;
    let exception = env.cast_local::<JThrowable>(exception)?;
    // `throw` reports the now pending exception as `Err(JavaException)`: that is the success here.
    match env.throw(exception) {
        Ok(()) | Err(jni::errors::Error::JavaException) => Ok(()),
        Err(other) => Err(other),
    }
}

/// The text of a panic payload.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned())
}

/// Error policy of every export: a [`BindingError`] becomes the matching
/// `LumenException` subclass carrying Lumen's message (and the model's exception as its
/// cause); a panic becomes a `LumenException` with status `PANIC`. An exception that is
/// already pending (thrown by the JVM during a JNI call) is left to propagate.
#[derive(Debug, Default)]
pub struct ThrowLumenException;

impl<T: Default> jni::errors::ErrorPolicy<T, BindingError> for ThrowLumenException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        error: BindingError,
    ) -> jni::errors::Result<T> {
        if env.exception_check() {
            return Ok(T::default());
        }
        let (status, message, cause) = status_of(&error);
        throw_lumen(env, status, &message, cause.map(|c| c.as_obj()))?;
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        if env.exception_check() {
            env.exception_clear();
        }
        let message = format!("lumen panicked (contained; the JVM is unaffected): {}", panic_text(payload.as_ref()));
        throw_lumen(env, lumen_status::Panic, &message, None)?;
        Ok(T::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_lumens_status_and_message() {
        let error = BindingError::from(lumen::Error::length("inputs", 7, 8));
        let (status, message, cause) = status_of(&error);
        assert_eq!(status, lumen_status::LengthMismatch);
        assert_eq!(message, "inputs: length 7, expected 8");
        assert!(cause.is_none());
        let null = BindingError::Null { argument: "inputs", expected: "a float[]" };
        assert_eq!(status_of(&null).0, lumen_status::NullPointer);
        assert_eq!(null.to_string(), "inputs: is null, expected a float[]");
    }

    #[test]
    fn panic_payloads_become_text() {
        assert_eq!(panic_text(&"static text"), "static text");
        assert_eq!(panic_text(&String::from("owned text")), "owned text");
        assert_eq!(panic_text(&42u8), "a panic with a non-text payload");
    }
}
