//! The `model_descriptor` property: `lumen_model_new` and `lumen_sequence_model_new` given
//! any descriptor (fields, shapes, names and callbacks from the fuzz input) return a
//! documented status, write `*out` only on success, leave `user_data` to the caller on
//! failure (no `finalize` call), and call `finalize` exactly once when a model they built
//! is freed. A small model they accept must then be usable by an explain call.

use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::sync::atomic::Ordering;

use lumen::ffi::engine::{lumen_engine_free, lumen_engine_new, lumen_engine_options_default};
use lumen::ffi::explain::{lumen_engine_explain_feature_ablation, lumen_feature_ablation_options_default};
use lumen::ffi::model::{lumen_model_free, lumen_model_new};
use lumen::ffi::sequence_model::{lumen_sequence_model_free, lumen_sequence_model_new};
use lumen::ffi::{lumen_model, lumen_model_desc, lumen_sequence_model, lumen_sequence_model_desc, lumen_status};

use super::expect::{expect_explanation, expect_known, expect_untouched};
use super::input::Input;
use super::models::{event_sum_predict, linear_finalize, linear_gradient, linear_predict, Behaviour, EventSum, Linear};

/// Largest `input_len` of a built model that is then explained (a bigger one is only
/// built and freed).
const EXPLAINED_INPUT_LEN: usize = 8;

/// Runs one fuzz case of the model constructors; panics when a property is broken.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    if input.flag() {
        sequence_model(&mut input);
    } else {
        model(&mut input);
    }
}

/// An ABI version: usually the current one, sometimes the oldest or any other.
fn abi_version(input: &mut Input<'_>, current: u32) -> u32 {
    match input.byte() % 8 {
        0 => current - 1,
        1 => current + 1,
        2 => input.u32(),
        _ => current,
    }
}

/// Names for `len` features: as many, one fewer or one more, some NULL, some not UTF-8.
fn feature_names(input: &mut Input<'_>, len: usize) -> (Vec<CString>, Vec<*const c_char>) {
    let count = match input.byte() % 4 {
        0 => len.min(8),
        1 => len.min(8).saturating_sub(1),
        2 => len.min(8) + 1,
        _ => 0,
    };
    let strings: Vec<CString> = (0..count)
        .map(|i| match input.byte() % 8 {
            0 => CString::new(vec![0xc3_u8, 0x28]).unwrap_or_default(),
            1 => CString::default(),
            _ => CString::new(format!("x{i}")).unwrap_or_default(),
        })
        .collect();
    let pointers = strings.iter().map(|s| if input.one_in(16) { ptr::null() } else { s.as_ptr() }).collect();
    (strings, pointers)
}

/// The pointer and length of `values`, or NULL with their length.
fn pass<T>(input: &mut Input<'_>, values: &[T]) -> (*const T, usize) {
    if input.one_in(16) {
        (ptr::null(), values.len())
    } else {
        (values.as_ptr(), values.len())
    }
}

/// A device forward pass that always fails (no device work is ever done here).
///
/// # Safety
/// Never dereferences anything.
unsafe extern "C" fn failing_predict_device(_: *mut c_void, _: u64, _: usize, _: u64, _: *mut c_void) -> i32 {
    9
}

fn model(input: &mut Input<'_>) {
    let input_len = input.count(EXPLAINED_INPUT_LEN);
    let output_len = input.count(3);
    let rank = usize::from(input.byte() % 4);
    let shape: Vec<usize> = (0..rank).map(|_| input.count(4)).collect();
    let (_names, name_pointers) = feature_names(input, input_len);
    let state_inputs = input_len.clamp(1, EXPLAINED_INPUT_LEN);
    let mut state = Box::new(Linear::new(state_inputs, output_len.clamp(1, 3), Behaviour::Correct));
    let mut desc = lumen_model_desc {
        abi_version: abi_version(input, lumen::ffi::version::LUMEN_MODEL_ABI_VERSION),
        flags: input.choice(2),
        memory_space: input.choice(2),
        input_len,
        input_shape: ptr::null(),
        input_rank: 0,
        output_len,
        max_batch_rows: input.count(4),
        predict: (!input.one_in(4)).then_some(linear_predict as _),
        gradient: input.flag().then_some(linear_gradient as _),
        user_data: ptr::from_mut::<Linear>(&mut state).cast::<c_void>(),
        finalize: input.flag().then_some(linear_finalize as _),
        feature_names: ptr::null(),
        feature_names_len: 0,
        layer_gradient: None,
        layer_shape: [input.count(2), input.count(2), input.count(2)],
        input_dtype: input.choice(3),
        predict_device: input.one_in(4).then_some(failing_predict_device as _),
        gradient_device: None,
        element_type: input.choice(3),
        predict_f64: None,
        gradient_f64: None,
        layer_gradient_f64: None,
    };
    (desc.input_shape, desc.input_rank) = pass(input, &shape);
    (desc.feature_names, desc.feature_names_len) = pass(input, &name_pointers);
    let sentinel = ptr::dangling_mut::<lumen_model>();
    let mut out = sentinel;
    // SAFETY: every pointer of `desc` holds its stated length; `state` outlives the model.
    let status = unsafe { lumen_model_new(&desc, &mut out) };
    expect_known(status, "lumen_model_new");
    if status != lumen_status::Ok {
        expect_untouched(out, sentinel, "lumen_model_new");
        assert_eq!(state.finalized.load(Ordering::SeqCst), 0, "lumen_model_new finalized user_data it refused");
        return;
    }
    assert!(!out.is_null() && out != sentinel, "lumen_model_new: OK without a model");
    if (1..=EXPLAINED_INPUT_LEN).contains(&input_len) && (1..=3).contains(&output_len) {
        explain_once(out, input_len);
    }
    // SAFETY: the model built above, freed once, no call running.
    unsafe { lumen_model_free(out) };
    let expected = usize::from(desc.finalize.is_some());
    assert_eq!(state.finalized.load(Ordering::SeqCst), expected, "finalize calls after lumen_model_free");
}

/// Feature ablation of one zero row with a fresh one-thread engine: a model the
/// constructor accepted is consistent enough to be explained or refused cleanly.
fn explain_once(model: *const lumen_model, input_len: usize) {
    let mut options = lumen_engine_options_default();
    options.threads = 1;
    let mut engine = ptr::null_mut();
    // SAFETY: `options` and `engine` are valid.
    assert_eq!(unsafe { lumen_engine_new(&options, &mut engine) }, lumen_status::Ok, "a default engine");
    let row = vec![0.0f32; input_len];
    let ablation = lumen_feature_ablation_options_default();
    expect_explanation("lumen_engine_explain_feature_ablation", |out| {
        // SAFETY: `row` holds `input_len` floats; every handle is live.
        unsafe { lumen_engine_explain_feature_ablation(engine, model, row.as_ptr(), row.len(), 1, &ablation, out) }
    });
    // SAFETY: the engine built above, freed once.
    unsafe { lumen_engine_free(engine) };
}

fn sequence_model(input: &mut Input<'_>) {
    let features = input.count(3);
    let output_len = input.count(2);
    let (_names, name_pointers) = feature_names(input, features);
    let mut state = Box::new(EventSum { features, output_len, behaviour: Behaviour::Correct });
    let mut desc = lumen_sequence_model_desc {
        abi_version: abi_version(input, lumen::ffi::version::LUMEN_SEQUENCE_MODEL_ABI_VERSION),
        flags: input.choice(2),
        features,
        output_len,
        max_batch_rows: input.count(4),
        state_len: input.count(3),
        predict: (!input.one_in(4)).then_some(event_sum_predict as _),
        run_prefix: None,
        predict_from_state: None,
        user_data: ptr::from_mut::<EventSum>(&mut state).cast::<c_void>(),
        finalize: None,
        feature_names: ptr::null(),
        feature_names_len: 0,
        element_type: input.choice(3),
        predict_f64: None,
        run_prefix_f64: None,
        predict_from_state_f64: None,
    };
    (desc.feature_names, desc.feature_names_len) = pass(input, &name_pointers);
    let sentinel = ptr::dangling_mut::<lumen_sequence_model>();
    let mut out = sentinel;
    // SAFETY: every pointer of `desc` holds its stated length; `state` outlives the model.
    let status = unsafe { lumen_sequence_model_new(&desc, &mut out) };
    expect_known(status, "lumen_sequence_model_new");
    if status != lumen_status::Ok {
        expect_untouched(out, sentinel, "lumen_sequence_model_new");
        return;
    }
    assert!(!out.is_null() && out != sentinel, "lumen_sequence_model_new: OK without a model");
    assert!(
        features > 0 && output_len > 0,
        "lumen_sequence_model_new accepted {features} features, {output_len} outputs"
    );
    // SAFETY: the model built above, freed once, no call running.
    unsafe { lumen_sequence_model_free(out) };
}
