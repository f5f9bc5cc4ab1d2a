//! The panic boundary every export runs inside, and the thread-local last error.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::lumen_status;
use crate::engine::quiet_panics::quietly;
use crate::error::Error;

/// A failure at the C boundary: a status and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FfiError {
    /// The status returned to C.
    pub status: lumen_status,
    /// The detail left for `lumen_last_error_message`.
    pub message: String,
}

impl FfiError {
    /// A failure with `status` and `message`.
    pub fn new(status: lumen_status, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    /// `argument` was NULL although it is required.
    pub fn null(argument: &str) -> Self {
        Self::new(lumen_status::NullPointer, format!("{argument}: is NULL, expected a valid pointer"))
    }
}

impl From<Error> for FfiError {
    fn from(error: Error) -> Self {
        Self::new(error.kind().into(), error.message())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = text);
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

/// Runs an export's body: a returned error or a caught panic becomes a status and the
/// thread's last error message; nothing unwinds into the caller, and the panic prints
/// nothing on stderr (see [`crate::engine::quiet_panics`]).
pub fn boundary(function: &str, body: impl FnOnce() -> Result<(), FfiError>) -> lumen_status {
    match quietly(|| catch_unwind(AssertUnwindSafe(body))) {
        Ok(Ok(())) => lumen_status::Ok,
        Ok(Err(error)) => {
            set_last_error(&format!("{function}: {}", error.message));
            error.status
        }
        Err(payload) => {
            set_last_error(&format!(
                "{function}: internal panic contained at the C boundary: {}",
                panic_message(payload.as_ref())
            ));
            lumen_status::Panic
        }
    }
}

/// Runs an infallible export's body (a `_free` or a getter without status), swallowing
/// any panic so it never unwinds into the caller; returns `fallback` in that case.
pub fn boundary_or<T>(function: &str, fallback: T, body: impl FnOnce() -> T) -> T {
    quietly(|| catch_unwind(AssertUnwindSafe(body))).unwrap_or_else(|payload| {
        set_last_error(&format!(
            "{function}: internal panic contained at the C boundary: {}",
            panic_message(payload.as_ref())
        ));
        fallback
    })
}

/// Whether a `_free` export must leave its handle alone because it was called from inside
/// a model callback (the handle may be in use by the call that runs the callback); then
/// the thread's last error says so. `_free` functions have no status to return.
pub(crate) fn free_refused_inside_callback(function: &str) -> bool {
    let refused = crate::model::callback_scope::inside_model_callback();
    if refused {
        set_last_error(&format!(
            "{function}: {} (LUMEN_STATUS_INVALID_STATE; nothing was freed)",
            crate::model::callback_scope::REENTRY_MESSAGE
        ));
    }
    refused
}

/// Frees the handle at `ptr` (NULL: nothing) for `function`, unless that is refused: from
/// inside a model callback, for a pointer that is no live handle of this type, or for an
/// engine or model a running call uses. A refusal frees nothing and leaves its reason in
/// `lumen_last_error_message()` (`_free` functions have no status to return).
///
/// # Safety
/// A live `ptr` is not used by the caller after this call.
pub(crate) unsafe fn free_handle<T: super::registry::Handle>(ptr: *mut T, function: &str, argument: &str) {
    if ptr.is_null() || free_refused_inside_callback(function) {
        return;
    }
    // SAFETY: forwarded contract; `release` checks the registry before touching `ptr`.
    match unsafe { super::registry::release(ptr, argument) } {
        Ok(handle) => drop(handle),
        Err(error) => set_last_error(&format!("{function}: {}", error.message)),
    }
}

/// The message of the most recent failure on the calling thread, or `""` if none.
/// The string belongs to Lumen and stays valid until the next failing Lumen call on the
/// same thread; copy it if you need it longer. Never returns NULL; never free it.
#[no_mangle]
pub extern "C" fn lumen_last_error_message() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}
