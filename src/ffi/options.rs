//! Extensible options structs: every options struct of the C ABI begins with
//! `size_t struct_size`, which its `_default()` function fills with the struct's size as
//! the caller's header declared it. A later minor version appends fields; the library
//! then reads an older caller's shorter struct (its prefix over the defaults) and rejects
//! a size it never published with `LUMEN_STATUS_ABI_VERSION_MISMATCH`.

use super::boundary::FfiError;
use super::status::lumen_status;

/// An options struct of the C ABI whose first field is `struct_size: usize`.
///
/// # Safety
/// Implementors are `#[repr(C)]`, begin with a `usize` field named `struct_size`, and every
/// entry of [`VersionedOptions::KNOWN_SIZES`] is the offset of a field boundary of the
/// current layout (the size of an earlier published version of the struct), the last one
/// being `size_of::<Self>()`.
pub(crate) unsafe trait VersionedOptions: Copy {
    /// The C name of the struct, for messages.
    const NAME: &'static str;
    /// Every `struct_size` a published header gave this struct, oldest first. When fields
    /// are appended, the old size goes here as `offset_of!(Self, first_new_field)` rounded
    /// as the old struct was (so that it is right on every platform).
    const KNOWN_SIZES: &'static [usize];
    /// The struct its `_default()` function returns.
    fn defaults() -> Self;
}

/// Implements [`VersionedOptions`] for options structs that have had one published layout;
/// or, with `appended: f1, f2, ...`, for a struct whose later versions appended fields
/// starting at `f1`, then at `f2`, ... (each such field must begin exactly where the older
/// struct ended, padding included: a field as aligned as the struct, such as a `u64`).
macro_rules! versioned_options {
    ($name:ident => $defaults:ident, appended: $($first:ident),+ $(,)?) => {
        // SAFETY: `$name` is `#[repr(C)]` with `struct_size: usize` as its first field; each
        // older layout ended where the first field appended after it begins.
        unsafe impl $crate::ffi::options::VersionedOptions for $name {
            const NAME: &'static str = stringify!($name);
            const KNOWN_SIZES: &'static [usize] =
                &[$(std::mem::offset_of!($name, $first),)+ std::mem::size_of::<$name>()];
            fn defaults() -> Self {
                $defaults()
            }
        }
    };
    ($($name:ident => $defaults:ident),+ $(,)?) => {$(
        // SAFETY: `$name` is `#[repr(C)]` with `struct_size: usize` as its first field and
        // one published layout, the current one.
        unsafe impl $crate::ffi::options::VersionedOptions for $name {
            const NAME: &'static str = stringify!($name);
            const KNOWN_SIZES: &'static [usize] = &[std::mem::size_of::<$name>()];
            fn defaults() -> Self {
                $defaults()
            }
        }
    )+};
}
pub(crate) use versioned_options;

/// An explain options struct with a `control: *const lumen_call_control` field (the last
/// field of its 0.2 layout).
pub(crate) trait Controlled {
    /// The call's control (NULL: none).
    fn control(&self) -> *const super::call_control::lumen_call_control;
}

/// Implements [`Controlled`] for options structs with a `control` field.
macro_rules! controlled_options {
    ($($name:ident),+ $(,)?) => {$(
        impl $crate::ffi::options::Controlled for $name {
            fn control(&self) -> *const $crate::ffi::call_control::lumen_call_control {
                self.control
            }
        }
    )+};
}
pub(crate) use controlled_options;

/// The `struct_size` to write into a fresh struct (what `_default()` functions return).
pub(crate) const fn current_size<T>() -> usize {
    std::mem::size_of::<T>()
}

/// Reads the options at `ptr`: checks the pointer, then `struct_size`, then copies the
/// caller's `struct_size` bytes over the defaults (fields the caller's header did not have
/// keep their default values).
///
/// # Safety
/// A non-NULL `ptr` must point to at least `struct_size` readable bytes that begin with
/// that `usize` (what a caller that started from the `_default()` function holds).
pub(crate) unsafe fn read_options<T: VersionedOptions>(ptr: *const T, argument: &str) -> Result<T, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::new(
            lumen_status::NullPointer,
            format!("{argument}: is NULL, expected a {} (start from its _default() function)", T::NAME),
        ));
    }
    if !ptr.is_aligned() {
        return Err(FfiError::new(
            lumen_status::InvalidArgument,
            format!("{argument}: pointer {ptr:p} is not aligned to {} bytes", std::mem::align_of::<T>()),
        ));
    }
    // SAFETY: non-NULL and aligned for `T`, hence for its leading `usize`; the caller's
    // contract makes the first `usize` readable.
    let declared = unsafe { ptr.cast::<usize>().read() };
    if !T::KNOWN_SIZES.contains(&declared) {
        return Err(unknown_size::<T>(argument, declared));
    }
    let mut options = T::defaults();
    // SAFETY: `declared` is one of the published sizes, each at most `size_of::<T>()`
    // (trait contract), so both regions are in bounds; the caller's struct holds
    // `declared` readable bytes; the regions do not overlap (`options` is a local).
    unsafe {
        std::ptr::copy_nonoverlapping(ptr.cast::<u8>(), (&raw mut options).cast::<u8>(), declared);
    }
    Ok(options)
}

/// The error for a `struct_size` this library never published.
fn unknown_size<T: VersionedOptions>(argument: &str, declared: usize) -> FfiError {
    let known = T::KNOWN_SIZES.iter().map(usize::to_string).collect::<Vec<_>>().join(", ");
    let hint = if declared == 0 {
        "the struct was not started from its _default() function".to_owned()
    } else if T::KNOWN_SIZES.iter().all(|&size| declared > size) {
        format!("the caller's lumen.h is newer than this library ({})", env!("CARGO_PKG_VERSION"))
    } else {
        "the struct was not started from its _default() function, or is corrupted".to_owned()
    };
    FfiError::new(
        lumen_status::AbiVersionMismatch,
        format!("{argument}.struct_size: is {declared}, expected one of [{known}] for {}: {hint}", T::NAME),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Grown {
        struct_size: usize,
        old: u32,
        new: u64,
    }

    // SAFETY: `#[repr(C)]`, `struct_size` first; the first published layout ended after `old`.
    unsafe impl VersionedOptions for Grown {
        const NAME: &'static str = "grown";
        const KNOWN_SIZES: &'static [usize] = &[std::mem::offset_of!(Grown, new), std::mem::size_of::<Grown>()];
        fn defaults() -> Self {
            Grown { struct_size: current_size::<Grown>(), old: 1, new: 7 }
        }
    }

    #[test]
    fn a_current_struct_is_read_whole() {
        let given = Grown { struct_size: current_size::<Grown>(), old: 5, new: 9 };
        // SAFETY: a valid local struct.
        let read = unsafe { read_options(&given, "options") }.unwrap();
        assert_eq!(read, given);
    }

    #[test]
    fn an_older_struct_keeps_the_defaults_of_the_fields_it_lacks() {
        let old = Grown { struct_size: std::mem::offset_of!(Grown, new), old: 5, new: 12345 };
        // SAFETY: a valid local struct (larger than the prefix that is read).
        let read = unsafe { read_options(&old, "options") }.unwrap();
        assert_eq!((read.struct_size, read.old, read.new), (old.struct_size, 5, 7));
    }

    #[test]
    fn unknown_sizes_are_rejected_with_a_reason() {
        for (size, hint) in [(0, "_default()"), (999, "newer than this library"), (12, "corrupted")] {
            let given = Grown { struct_size: size, old: 5, new: 9 };
            // SAFETY: a valid local struct; only its first `usize` is read.
            let error = unsafe { read_options(&given, "options") }.unwrap_err();
            assert_eq!(error.status, lumen_status::AbiVersionMismatch);
            assert!(error.message.starts_with(&format!("options.struct_size: is {size}")), "{}", error.message);
            assert!(error.message.contains(hint), "{}", error.message);
        }
    }

    #[test]
    fn null_is_a_null_pointer_error() {
        // SAFETY: NULL is checked before any read.
        let error = unsafe { read_options::<Grown>(std::ptr::null(), "options") }.unwrap_err();
        assert_eq!(error.status, lumen_status::NullPointer);
    }
}
