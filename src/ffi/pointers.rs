//! Checked conversions from C pointers and lengths to Rust references. A zero length
//! ignores its pointer; a NULL or misaligned pointer with a non-zero length is an error.

use std::ffi::{c_char, CStr};

use super::boundary::FfiError;
use super::status::lumen_status;

fn check_region<T>(ptr: *const T, len: usize, argument: &str) -> Result<(), FfiError> {
    if ptr.is_null() {
        return Err(FfiError::new(
            lumen_status::NullPointer,
            format!("{argument}: is NULL with length {len}, expected a valid pointer (or length 0)"),
        ));
    }
    if !ptr.is_aligned() {
        return Err(FfiError::new(
            lumen_status::InvalidArgument,
            format!("{argument}: pointer {ptr:p} is not aligned to {} bytes", std::mem::align_of::<T>()),
        ));
    }
    if len.checked_mul(std::mem::size_of::<T>()).is_none_or(|bytes| bytes > isize::MAX as usize) {
        return Err(FfiError::new(lumen_status::InvalidArgument, format!("{argument}: length {len} is too large")));
    }
    Ok(())
}

/// Borrows `len` elements at `ptr`.
///
/// # Safety
/// When `len > 0` and `ptr` is not NULL, `ptr` must point to `len` initialised elements
/// that stay valid and unmodified for `'a`.
pub unsafe fn slice<'a, T>(ptr: *const T, len: usize, argument: &str) -> Result<&'a [T], FfiError> {
    if len == 0 {
        return Ok(&[]);
    }
    check_region(ptr, len, argument)?;
    // SAFETY: non-NULL, aligned, size-checked above; validity for `len` elements is the
    // caller's documented contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `len` writable elements at `ptr`.
///
/// # Safety
/// When `len > 0` and `ptr` is not NULL, `ptr` must point to `len` writable elements
/// that nothing else accesses for `'a`.
pub unsafe fn slice_mut<'a, T>(ptr: *mut T, len: usize, argument: &str) -> Result<&'a mut [T], FfiError> {
    if len == 0 {
        return Ok(&mut []);
    }
    check_region(ptr, len, argument)?;
    // SAFETY: non-NULL, aligned, size-checked above; exclusivity and validity are the
    // caller's documented contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// Borrows the object at `ptr`.
///
/// # Safety
/// A non-NULL `ptr` must point to a valid `T` that outlives `'a`.
pub unsafe fn reference<'a, T>(ptr: *const T, argument: &str) -> Result<&'a T, FfiError> {
    check_region(ptr, 1, argument)?;
    // SAFETY: non-NULL and aligned (checked above); validity is the caller's contract.
    Ok(unsafe { &*ptr })
}

/// Checks an output pointer before any work is done, so a NULL output fails early.
pub fn check_out<T>(ptr: *mut T, argument: &str) -> Result<(), FfiError> {
    check_region(ptr.cast_const(), 1, argument)
}

/// Writes `value` through an output pointer already accepted by [`check_out`].
///
/// # Safety
/// `ptr` must have passed [`check_out`] and be valid for a write of `T`.
pub unsafe fn write_out<T>(ptr: *mut T, value: T) {
    // SAFETY: non-NULL and aligned (checked by `check_out`); writable per the contract.
    // `write` does not drop the uninitialised previous contents.
    unsafe { ptr.write(value) };
}

/// Copies `len` NUL-terminated UTF-8 strings from an array of C strings.
///
/// # Safety
/// When `len > 0`, `ptr` must point to `len` pointers, each NULL or a NUL-terminated string.
pub unsafe fn strings(ptr: *const *const c_char, len: usize, argument: &str) -> Result<Vec<String>, FfiError> {
    // SAFETY: forwarded contract of this function.
    let pointers = unsafe { slice(ptr, len, argument)? };
    pointers
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            if p.is_null() {
                return Err(FfiError::null(&format!("{argument}[{i}]")));
            }
            // SAFETY: non-NULL; NUL termination is the caller's contract.
            let text = unsafe { CStr::from_ptr(p) };
            text.to_str().map(str::to_owned).map_err(|e| {
                FfiError::new(lumen_status::InvalidUtf8, format!("{argument}[{i}]: is not valid UTF-8 ({e})"))
            })
        })
        .collect()
}

/// Copies `values` into the caller's buffer `out` of `out_len` elements: at least
/// `values.len()` are needed (`LUMEN_STATUS_BUFFER_TOO_SMALL` otherwise, nothing written);
/// a larger buffer keeps its tail.
///
/// # Safety
/// When `out_len > 0` and `out` is not NULL, `out` must hold `out_len` writable elements.
pub unsafe fn copy_out<T: Copy>(values: &[T], out: *mut T, out_len: usize) -> Result<(), FfiError> {
    if out_len < values.len() {
        return Err(FfiError::new(
            lumen_status::BufferTooSmall,
            format!("out_len: is {out_len}, expected at least {}", values.len()),
        ));
    }
    // SAFETY: forwarded contract; `values.len() <= out_len`.
    let out = unsafe { slice_mut(out, values.len(), "out")? };
    out.copy_from_slice(values);
    Ok(())
}

/// Copies f64 `values` into the caller's `out` as f32 (each rounded to nearest even; exact
/// for an f32 model's results), as [`copy_out`] does.
///
/// # Safety
/// As for [`copy_out`].
pub unsafe fn copy_out_f32(values: &[f64], out: *mut f32, out_len: usize) -> Result<(), FfiError> {
    if out_len < values.len() {
        return Err(FfiError::new(
            lumen_status::BufferTooSmall,
            format!("out_len: is {out_len}, expected at least {}", values.len()),
        ));
    }
    // SAFETY: forwarded contract; `values.len() <= out_len`.
    let out = unsafe { slice_mut(out, values.len(), "out")? };
    out.iter_mut().zip(values).for_each(|(out, &v)| *out = v as f32);
    Ok(())
}

/// A copy of a caller's buffer, `None` when it is empty (the option is unset); a buffer
/// too large to copy is `LUMEN_STATUS_OUT_OF_MEMORY` naming `argument`, never an abort.
pub(super) fn copy_optional<T: Copy>(values: &[T], argument: &str) -> Result<Option<Vec<T>>, FfiError> {
    if values.is_empty() {
        return Ok(None);
    }
    Ok(Some(crate::alloc::try_copy(argument, values)?))
}

/// A copy of a caller's buffer; one too large to copy is `LUMEN_STATUS_OUT_OF_MEMORY`.
pub(super) fn copy<T: Copy>(values: &[T], argument: &str) -> Result<Vec<T>, FfiError> {
    Ok(crate::alloc::try_copy(argument, values)?)
}
