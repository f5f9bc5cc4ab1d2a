//! The properties every C call must have, as assertions.

use std::ffi::CStr;
use std::ptr;

use lumen::ffi::boundary::lumen_last_error_message;
use lumen::ffi::explanation::{lumen_explanation_attributions, lumen_explanation_free, lumen_explanation_shape};
use lumen::ffi::{lumen_attribution_shape, lumen_explanation, lumen_status};

/// The calling thread's last error message.
pub fn last_error() -> String {
    // SAFETY: never NULL, NUL-terminated, valid until the next failing call on this thread.
    unsafe { CStr::from_ptr(lumen_last_error_message()) }.to_string_lossy().into_owned()
}

/// `status` is a documented outcome of a correct library (neither a contained panic nor
/// an internal error), and a failure comes with a message naming `function`.
pub fn expect_known(status: lumen_status, function: &str) {
    assert!(
        !matches!(status, lumen_status::Panic | lumen_status::Internal),
        "{function} returned {status:?}: {}",
        last_error()
    );
    if status != lumen_status::Ok {
        let message = last_error();
        assert!(message.starts_with(function), "{function} failed with {status:?} and the message {message:?}");
    }
}

/// A failed call left its output as the caller set it.
pub fn expect_untouched<T>(out: *mut T, sentinel: *mut T, function: &str) {
    assert_eq!(out, sentinel, "{function} wrote its output although it failed");
}

/// Runs an explain call writing a `lumen_explanation` through the pointer it is given:
/// the status is known, the output is written exactly when the call succeeds, and the
/// explanation then holds `rows × outputs × features` finite attributions.
pub fn expect_explanation(function: &str, call: impl FnOnce(*mut *mut lumen_explanation) -> lumen_status) {
    let sentinel = ptr::dangling_mut::<lumen_explanation>();
    let mut out = sentinel;
    let status = call(&mut out);
    expect_known(status, function);
    if status != lumen_status::Ok {
        expect_untouched(out, sentinel, function);
        return;
    }
    assert!(!out.is_null() && out != sentinel, "{function}: OK without an explanation");
    let mut shape = lumen_attribution_shape { rows: 0, outputs: 0, features: 0, feature_axis: 0 };
    // SAFETY: `out` is the live explanation of the call; `shape` is valid.
    let shaped = unsafe { lumen_explanation_shape(out, &mut shape) };
    let len = shape.rows * shape.outputs * shape.features;
    let mut attributions = vec![f32::NAN; len];
    // SAFETY: as above; `attributions` holds `len` writable floats.
    let copied = unsafe { lumen_explanation_attributions(out, attributions.as_mut_ptr(), len) };
    // SAFETY: the explanation of the call, freed once.
    unsafe { lumen_explanation_free(out) };
    assert_eq!((shaped, copied), (lumen_status::Ok, lumen_status::Ok), "{function}: getters on its explanation");
    assert!(shape.rows > 0 && shape.outputs > 0, "{function}: OK with an empty explanation {shape:?}");
    assert!(attributions.iter().all(|a| a.is_finite()), "{function}: OK with non-finite attributions");
}
