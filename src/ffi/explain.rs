//! The explanation methods' options and entry points.

use std::ffi::c_char;

use super::boundary::{boundary, FfiError};
use super::call_control::enter_control;
use super::call_control::lumen_call_control;
use super::elements::{typed_buffer, typed_scalar};
use super::engine::lumen_engine;
use super::explanation::lumen_explanation;
use super::model::lumen_model;
use super::options::{controlled_options, current_size, read_options, versioned_options, Controlled, VersionedOptions};
use super::pointers::{check_out, copy, copy_optional, slice, strings, write_out};
use super::registry::{into_handle, use_handle, InUse};
use crate::backend::Baselines;
use crate::element::Element;
use crate::engine::call_control::{finish_current, ControlScope};
use crate::explain::{feature_ablation, occlusion, FeatureAblationParams, OcclusionParams};
use crate::explanation::Explanation;
use crate::model::callback_scope::refuse_reentry;
use crate::model::Model;

/// Options of `lumen_engine_explain_occlusion` (Captum's `Occlusion`). Start from
/// `lumen_occlusion_options_default()`. Every array is borrowed only during the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_occlusion_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_occlusion_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// Window extent per dimension of the model's input shape (required).
    pub window_shape: *const usize,
    /// Entries in `window_shape`: the model's input rank.
    pub window_rank: usize,
    /// Step per dimension; with `strides_rank == 0` every stride is 1 (Captum's default).
    pub strides: *const usize,
    /// Entries in `strides`: 0 or the input rank.
    pub strides_rank: usize,
    /// Baseline values: `input_len` (shared) or `rows × input_len` (one per row) floats.
    pub baseline: *const f32,
    /// Entries in `baseline`; 0 uses `baseline_scalar` everywhere.
    pub baseline_len: usize,
    /// The baseline value when `baseline_len == 0`.
    pub baseline_scalar: f32,
    /// Output indices to explain; with `targets_len == 0` every output is explained.
    pub targets: *const u32,
    /// Entries in `targets`.
    pub targets_len: usize,
    /// Largest number of perturbed rows per model call; 0 lets the engine choose.
    pub perturbations_per_eval: usize,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    pub control: *const lumen_call_control,
    /// 0.3: `baseline` for a double model (`_f64` export), `baseline_len` doubles.
    pub baseline_f64: *const f64,
    /// 0.3: `baseline_scalar` for a double model; 0 uses `baseline_scalar` widened.
    pub baseline_scalar_f64: f64,
}

/// Options of `lumen_engine_explain_feature_ablation` (Captum's `FeatureAblation`). Start
/// from `lumen_feature_ablation_options_default()`. Arrays are borrowed during the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_feature_ablation_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_feature_ablation_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// Group id of each input element, ids `0..G` all used; with length 0 each element is
    /// its own group.
    pub feature_mask: *const u32,
    /// Entries in `feature_mask`: 0 or `input_len`.
    pub feature_mask_len: usize,
    /// Optional UTF-8 names of the `G` groups (copied into the explanation).
    pub group_names: *const *const c_char,
    /// Entries in `group_names`: 0 or `G`.
    pub group_names_len: usize,
    /// Baseline values: `input_len` (shared) or `rows × input_len` (one per row) floats.
    pub baseline: *const f32,
    /// Entries in `baseline`; 0 uses `baseline_scalar` everywhere.
    pub baseline_len: usize,
    /// The baseline value when `baseline_len == 0`.
    pub baseline_scalar: f32,
    /// Output indices to explain; with `targets_len == 0` every output is explained.
    pub targets: *const u32,
    /// Entries in `targets`.
    pub targets_len: usize,
    /// Largest number of perturbed rows per model call; 0 lets the engine choose.
    pub perturbations_per_eval: usize,
    /// Non-zero: one attribution per group (feature axis = groups); zero: one per input
    /// element, each element carrying its group's value (Captum's layout).
    pub group_attributions: u32,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    pub control: *const lumen_call_control,
    /// 0.3: `baseline` for a double model (`_f64` export), `baseline_len` doubles.
    pub baseline_f64: *const f64,
    /// 0.3: `baseline_scalar` for a double model; 0 uses `baseline_scalar` widened.
    pub baseline_scalar_f64: f64,
}

/// Occlusion defaults: no window (must be set), stride 1, baseline 0, every output.
#[no_mangle]
pub extern "C" fn lumen_occlusion_options_default() -> lumen_occlusion_options {
    lumen_occlusion_options {
        struct_size: current_size::<lumen_occlusion_options>(),
        control: std::ptr::null(),
        window_shape: std::ptr::null(),
        window_rank: 0,
        strides: std::ptr::null(),
        strides_rank: 0,
        baseline: std::ptr::null(),
        baseline_len: 0,
        baseline_scalar: 0.0,
        targets: std::ptr::null(),
        targets_len: 0,
        perturbations_per_eval: 0,
        baseline_f64: std::ptr::null(),
        baseline_scalar_f64: 0.0,
    }
}

/// Feature Ablation defaults: each element its own group, baseline 0, every output,
/// per-element attributions.
#[no_mangle]
pub extern "C" fn lumen_feature_ablation_options_default() -> lumen_feature_ablation_options {
    lumen_feature_ablation_options {
        struct_size: current_size::<lumen_feature_ablation_options>(),
        control: std::ptr::null(),
        feature_mask: std::ptr::null(),
        feature_mask_len: 0,
        group_names: std::ptr::null(),
        group_names_len: 0,
        baseline: std::ptr::null(),
        baseline_len: 0,
        baseline_scalar: 0.0,
        targets: std::ptr::null(),
        targets_len: 0,
        perturbations_per_eval: 0,
        group_attributions: 0,
        baseline_f64: std::ptr::null(),
        baseline_scalar_f64: 0.0,
    }
}

versioned_options!(lumen_occlusion_options => lumen_occlusion_options_default, appended: baseline_f64);
versioned_options!(lumen_feature_ablation_options => lumen_feature_ablation_options_default, appended: baseline_f64);

controlled_options!(lumen_occlusion_options, lumen_feature_ablation_options);

/// The arguments every explain export shares, checked.
pub(super) struct Call<'a, O, E: Element = f32> {
    pub(super) engine: &'a crate::engine::Engine,
    pub(super) model: &'a dyn Model<E>,
    pub(super) inputs: &'a [E],
    pub(super) rows: usize,
    pub(super) row_len: usize,
    pub(super) options: O,
    /// The call's control, installed for this thread until the call ends.
    pub(super) _control: ControlScope,
    /// The engine and the model cannot be freed while the call uses them.
    pub(super) _in_use: [InUse; 2],
}

/// # Safety
/// Pointers follow the explain exports' documentation.
pub(super) unsafe fn call<'a, O: VersionedOptions + Controlled, E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const O,
) -> Result<Call<'a, O, E>, FfiError> {
    refuse_reentry()?;
    // SAFETY: validity of each pointer is the caller's contract.
    let (engine, engine_in_use) = unsafe { use_handle(engine, "engine")? };
    // SAFETY: as above.
    let (model, model_in_use) = unsafe { use_handle(model, "model")? };
    let model = model.typed::<E>()?;
    // SAFETY: as above.
    let inputs = unsafe { slice(inputs, inputs_len, "inputs")? };
    // SAFETY: as above.
    let options = unsafe { read_options(options, "options")? };
    // SAFETY: the control pointer comes from the caller's options.
    let control = unsafe { enter_control(options.control())? };
    let row_len = model.signature().input_len();
    let _in_use = [engine_in_use, model_in_use];
    Ok(Call { engine: &engine.engine, model, inputs, rows, row_len, options, _control: control, _in_use })
}

/// An options struct with a baseline: `baseline` (floats) and its double twin
/// `baseline_f64` (see [`typed_buffer`]), `baseline_len`, `baseline_scalar` and
/// `baseline_scalar_f64`.
pub(super) trait WithBaseline {
    /// `(baseline, baseline_f64, baseline_len, baseline_scalar, baseline_scalar_f64)`.
    fn baseline_fields(&self) -> (*const f32, *const f64, usize, f32, f64);
}

/// Implements [`WithBaseline`] for options structs that have the five baseline fields.
macro_rules! with_baseline {
    ($($name:ty),+ $(,)?) => {$(
        impl WithBaseline for $name {
            fn baseline_fields(&self) -> (*const f32, *const f64, usize, f32, f64) {
                (self.baseline, self.baseline_f64, self.baseline_len, self.baseline_scalar, self.baseline_scalar_f64)
            }
        }
    )+};
}

with_baseline!(
    lumen_occlusion_options,
    lumen_feature_ablation_options,
    super::gradient::lumen_integrated_gradients_options
);

/// # Safety
/// The buffer of the call's element type points to `len` values when `len > 0`.
pub(super) unsafe fn baselines<E: Element>(
    options: &impl WithBaseline,
    rows: usize,
    row_len: usize,
) -> Result<Baselines<E>, FfiError> {
    let (values, values_f64, len, scalar, scalar_f64) = options.baseline_fields();
    // SAFETY: forwarded contract.
    let values = unsafe { typed_buffer::<E>((values, "baseline"), (values_f64, "baseline_f64"), len)? };
    let scalar = typed_scalar::<E>(scalar, scalar_f64, "baseline_scalar")?;
    Ok(Baselines::from_buffer(values, scalar, rows, row_len)?)
}

/// # Safety
/// `targets` points to `len` indices when `len > 0`.
pub(super) unsafe fn targets(targets: *const u32, len: usize) -> Result<Option<Vec<u32>>, FfiError> {
    // SAFETY: forwarded contract.
    let targets = unsafe { slice(targets, len, "options.targets")? };
    copy_optional(targets, "options.targets")
}

pub(super) fn publish(out: *mut *mut lumen_explanation, explanation: Explanation) -> Result<(), FfiError> {
    explanation.ensure_finite()?;
    finish_current();
    // SAFETY: every caller checked `out` with `check_out` before doing any work.
    unsafe { write_out(out, into_handle(lumen_explanation::new(explanation))) };
    Ok(())
}

/// Occlusion on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_occlusion`.
unsafe fn explain_occlusion<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_occlusion_options,
    out: *mut *mut lumen_explanation,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let call = unsafe { call(engine, model, inputs, inputs_len, rows, options)? };
    let (o, row_len) = (call.options, call.row_len);
    // SAFETY: each array's pointer and length come from the caller's options.
    let params = unsafe {
        let window_shape = slice(o.window_shape, o.window_rank, "options.window_shape")?;
        if window_shape.is_empty() {
            return Err(FfiError::new(
                super::status::lumen_status::InvalidArgument,
                "options.window_shape: is empty, expected one extent per input dimension",
            ));
        }
        let strides = slice(o.strides, o.strides_rank, "options.strides")?;
        OcclusionParams {
            window_shape: copy(window_shape, "options.window_shape")?,
            strides: copy_optional(strides, "options.strides")?,
            baseline: baselines(&o, rows, row_len)?,
            targets: targets(o.targets, o.targets_len)?,
            perturbations_per_eval: (o.perturbations_per_eval > 0).then_some(o.perturbations_per_eval),
        }
    };
    publish(out, occlusion(call.engine, call.model, call.inputs, call.rows, &params)?)
}

/// Explains `rows` rows of `inputs` (`inputs_len == rows × input_len` floats, row-major)
/// by occlusion. On success `*out` holds a new explanation (free it with
/// `lumen_explanation_free`): attributions `rows × outputs × input_len`. On failure
/// nothing is written. Thread-safe for distinct `out` pointers; the model's callbacks are
/// called from engine threads as its `LUMEN_MODEL_CONCURRENT` flag allows. A
/// `LUMEN_ELEMENT_F64` model gives `LUMEN_STATUS_ELEMENT_TYPE_MISMATCH`: use
/// `lumen_engine_explain_occlusion_f64`.
///
/// # Safety
/// `engine`, `model`, `options` are valid handles/pointers; `inputs` holds `inputs_len`
/// floats; `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_occlusion(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f32,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_occlusion_options,
    out: *mut *mut lumen_explanation,
) -> super::status::lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_occlusion", || unsafe {
        explain_occlusion(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_occlusion` for a `LUMEN_ELEMENT_F64` model: `inputs` holds
/// doubles, the options' `baseline_f64` and `baseline_scalar_f64` replace their float
/// twins, and the model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_explain_occlusion`, with `inputs` holding `inputs_len` doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_occlusion_f64(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f64,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_occlusion_options,
    out: *mut *mut lumen_explanation,
) -> super::status::lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_occlusion_f64", || unsafe {
        explain_occlusion(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// Feature Ablation on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_occlusion`.
unsafe fn explain_feature_ablation<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_feature_ablation_options,
    out: *mut *mut lumen_explanation,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let call = unsafe { call(engine, model, inputs, inputs_len, rows, options)? };
    let (o, row_len) = (call.options, call.row_len);
    // SAFETY: each array's pointer and length come from the caller's options.
    let params = unsafe {
        let mask = slice(o.feature_mask, o.feature_mask_len, "options.feature_mask")?;
        FeatureAblationParams {
            feature_mask: copy_optional(mask, "options.feature_mask")?,
            group_names: match o.group_names_len {
                0 => None,
                n => Some(strings(o.group_names, n, "options.group_names")?),
            },
            baseline: baselines(&o, rows, row_len)?,
            targets: targets(o.targets, o.targets_len)?,
            perturbations_per_eval: (o.perturbations_per_eval > 0).then_some(o.perturbations_per_eval),
            group_attributions: o.group_attributions != 0,
        }
    };
    publish(out, feature_ablation(call.engine, call.model, call.inputs, call.rows, &params)?)
}

/// Explains `rows` rows of `inputs` (`inputs_len == rows × input_len` floats) by feature
/// ablation. On success `*out` holds a new explanation: attributions `rows × outputs ×
/// input_len`, or `rows × outputs × G` with `group_attributions`; each row's diagnostics
/// carry the completeness gap Σ group values − (f(x) − f(baseline)). On failure nothing
/// is written. Thread-safety as for occlusion.
///
/// # Safety
/// As for `lumen_engine_explain_occlusion`.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_feature_ablation(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f32,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_feature_ablation_options,
    out: *mut *mut lumen_explanation,
) -> super::status::lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_feature_ablation", || unsafe {
        explain_feature_ablation(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_feature_ablation` for a `LUMEN_ELEMENT_F64` model: `inputs` holds
/// doubles and the options' `baseline_f64`/`baseline_scalar_f64` replace their float twins.
///
/// # Safety
/// As for `lumen_engine_explain_occlusion_f64`.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_feature_ablation_f64(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f64,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_feature_ablation_options,
    out: *mut *mut lumen_explanation,
) -> super::status::lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_feature_ablation_f64", || unsafe {
        explain_feature_ablation(engine, model, inputs, inputs_len, rows, options, out)
    })
}
