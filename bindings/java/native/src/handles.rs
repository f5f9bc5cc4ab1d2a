//! Native objects handed to Java as `long` handles: a leaked `Box`, freed exactly once by
//! the Java handle's `close()`. The Java side never passes a closed or foreign handle
//! (`dev.lumen.NativeHandle` guards every use), and 0 is rejected here.

use jni::sys::jlong;

use crate::error::{BindingError, BindingResult};

/// Moves `value` to the heap and returns its handle.
pub fn into_handle<T>(value: T) -> jlong {
    Box::into_raw(Box::new(value)) as jlong
}

/// Borrows the object behind `handle`.
///
/// # Safety
/// `handle` is 0 or came from [`into_handle::<T>`] and has not been freed; the Java
/// handle keeps it alive for the duration of the native call.
pub unsafe fn borrow<'a, T>(handle: jlong, argument: &'static str) -> BindingResult<&'a T> {
    // SAFETY: per the contract above, a non-zero handle points to a live `T`.
    unsafe { (handle as *const T).as_ref() }.ok_or(BindingError::Null { argument, expected: "an open handle" })
}

/// Drops the object behind `handle`; 0 is a no-op.
///
/// # Safety
/// `handle` is 0 or came from [`into_handle::<T>`] and is freed only once.
pub unsafe fn free<T>(handle: jlong) {
    if handle != 0 {
        // SAFETY: per the contract above, this is the one release of the box.
        drop(unsafe { Box::from_raw(handle as *mut T) });
    }
}
