//! A panic inside the engine comes back through the C ABI as LUMEN_STATUS_PANIC with a
//! message, and the process (and the engine) go on working.

use std::ffi::CStr;
use std::ptr;

use lumen::ffi::explain::{lumen_engine_explain_feature_ablation, lumen_feature_ablation_options_default};
use lumen::ffi::explanation::lumen_explanation_free;
use lumen::ffi::{engine, lumen_status, model, model_into_handle};
use lumen::{Model, ModelSignature};

/// A model that panics on its `n`-th call when `n` is reached, otherwise sums the row.
struct PanicsOnCall {
    signature: ModelSignature,
    panic_on_rows: usize,
}

impl Model for PanicsOnCall {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        assert!(rows != self.panic_on_rows, "deliberate test panic in a Rust model");
        for (x, out) in inputs.chunks(self.signature.input_len()).zip(outputs.iter_mut()) {
            *out = x.iter().sum();
        }
        Ok(())
    }
}

fn last_error() -> String {
    // SAFETY: lumen_last_error_message never returns NULL and the string is NUL-terminated.
    unsafe { CStr::from_ptr(lumen::ffi::boundary::lumen_last_error_message()) }.to_string_lossy().into_owned()
}

#[test]
fn panic_in_engine_becomes_status_panic() {
    let mut engine_handle = ptr::null_mut();
    // SAFETY: NULL options are documented as the defaults; `engine_handle` is a valid out pointer.
    assert_eq!(unsafe { engine::lumen_engine_new(ptr::null(), &mut engine_handle) }, lumen_status::Ok);
    let mut signature = ModelSignature::flat(4, 1);
    signature.max_batch_rows = Some(4);
    // Reference rows are evaluated as one batch of 2 rows (x and the baseline); the four
    // ablations as one batch of 4 rows, which panics.
    let model_handle = model_into_handle(Box::new(PanicsOnCall { signature, panic_on_rows: 4 }));
    let options = lumen_feature_ablation_options_default();
    let inputs = [1.0f32, 2.0, 3.0, 4.0];
    let sentinel = std::ptr::dangling_mut::<lumen::ffi::lumen_explanation>();
    let mut out = sentinel;
    // SAFETY: every pointer is valid for the duration of the call.
    let status = unsafe {
        lumen_engine_explain_feature_ablation(engine_handle, model_handle, inputs.as_ptr(), 4, 1, &options, &mut out)
    };
    assert_eq!(status, lumen_status::Panic);
    assert_eq!(out, sentinel, "no output may be written on failure");
    let message = last_error();
    assert!(message.contains("deliberate test panic"), "{message}");
    assert!(message.starts_with("lumen_engine_explain_feature_ablation"), "{message}");

    // The same engine keeps working afterwards.
    let model_ok =
        model_into_handle(Box::new(PanicsOnCall { signature: ModelSignature::flat(4, 1), panic_on_rows: 0 }));
    // SAFETY: as above.
    let status = unsafe {
        lumen_engine_explain_feature_ablation(engine_handle, model_ok, inputs.as_ptr(), 4, 1, &options, &mut out)
    };
    assert_eq!(status, lumen_status::Ok);
    // SAFETY: handles from the calls above, freed once.
    unsafe {
        lumen_explanation_free(out);
        model::lumen_model_free(model_handle);
        model::lumen_model_free(model_ok);
        engine::lumen_engine_free(engine_handle);
    }
}

#[test]
fn boundary_contains_panics_and_keeps_errors() {
    use lumen::ffi::boundary::{boundary, FfiError};
    let status = boundary("probe", || panic!("boom {}", 42));
    assert_eq!(status, lumen_status::Panic);
    assert!(last_error().contains("boom 42"));
    let status = boundary("probe", || Err(FfiError::null("thing")));
    assert_eq!(status, lumen_status::NullPointer);
    assert_eq!(last_error(), "probe: thing: is NULL, expected a valid pointer");
}
