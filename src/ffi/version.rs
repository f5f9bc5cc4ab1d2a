//! Library and ABI versions.

use std::ffi::c_char;

/// Major version of the library (changes break the C ABI).
pub const LUMEN_VERSION_MAJOR: u32 = 0;
/// Minor version of the library (additions only).
pub const LUMEN_VERSION_MINOR: u32 = 3;
/// Patch version of the library (fixes only).
pub const LUMEN_VERSION_PATCH: u32 = 0;
/// The model-descriptor ABI this header describes: put it in `lumen_model_desc.abi_version`.
/// Version 2 added `layer_gradient` and `layer_shape`; version 3 added `input_dtype`,
/// `predict_device` and `gradient_device` (device-memory models); version 4 added
/// `element_type` and the double-precision callbacks `predict_f64`, `gradient_f64` and
/// `layer_gradient_f64`. Descriptors of versions 2 and 3 are still accepted (they describe
/// float models).
pub const LUMEN_MODEL_ABI_VERSION: u32 = 4;

/// The oldest `lumen_model_desc.abi_version` this library still reads.
pub const LUMEN_MODEL_ABI_VERSION_OLDEST: u32 = 2;

/// The sequence-model descriptor ABI this header describes: put it in
/// `lumen_sequence_model_desc.abi_version`. Version 2 added `element_type` and the
/// double-precision callbacks; version-1 descriptors are still accepted (float models).
pub const LUMEN_SEQUENCE_MODEL_ABI_VERSION: u32 = 2;

/// The library's version as `"MAJOR.MINOR.PATCH"`; compare with the `LUMEN_VERSION_*`
/// macros to detect a header/library mismatch. Static string: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn lumen_version() -> *const c_char {
    static VERSION: &std::ffi::CStr =
        match std::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(version) => version,
            Err(_) => c"unknown",
        };
    VERSION.as_ptr()
}
