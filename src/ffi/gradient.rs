//! The gradient methods' options and entry points: Integrated Gradients, Saliency,
//! GradientSHAP and NoiseTunnel, run on the model descriptor's `gradient` callback, and
//! Grad-CAM, run on its `layer_gradient` callback.

use super::boundary::{boundary, FfiError};
use super::call_control::lumen_call_control;
use super::elements::{typed_buffer, typed_scalar};
use super::engine::lumen_engine;
use super::explain::{baselines, call, publish, targets};
use super::explanation::lumen_explanation;
use super::model::lumen_model;
use super::options::{controlled_options, current_size, read_options, versioned_options, VersionedOptions};
use super::pointers::{check_out, copy};
use super::status::lumen_status;
use crate::element::Element;
use crate::explain::gradient::{
    grad_cam, gradient_shap, integrated_gradients, noise_tunnel, saliency, GradCamParams, GradientShapParams,
    IntegratedGradientsParams, NoiseTunnelBase, NoiseTunnelParams, NoiseType, Quadrature, SaliencyParams,
};

/// `lumen_integrated_gradients_options.method`: left Riemann sum, α_k = k/n.
pub const LUMEN_IG_RIEMANN_LEFT: u32 = 0;
/// `lumen_integrated_gradients_options.method`: right Riemann sum, α_k = (k+1)/n.
pub const LUMEN_IG_RIEMANN_RIGHT: u32 = 1;
/// `lumen_integrated_gradients_options.method`: midpoint Riemann sum, α_k = (k+½)/n.
pub const LUMEN_IG_RIEMANN_MIDDLE: u32 = 2;
/// `lumen_integrated_gradients_options.method`: trapezoid rule, α_k = k/(n−1) (n ≥ 2).
pub const LUMEN_IG_RIEMANN_TRAPEZOID: u32 = 3;
/// `lumen_integrated_gradients_options.method`: Gauss–Legendre nodes and weights on
/// [0, 1] (Captum's default; exact for polynomial paths of degree < 2n).
pub const LUMEN_IG_GAUSS_LEGENDRE: u32 = 4;
/// `lumen_integrated_gradients_options.method`: Captum's `riemann_trapezoid`, α_k =
/// k/(n−1) with weights 1/n halved at both ends (they sum to (n−1)/n, so attributions
/// come out about (n−1)/n of `LUMEN_IG_RIEMANN_TRAPEZOID`'s; n ≥ 2).
pub const LUMEN_IG_RIEMANN_TRAPEZOID_CAPTUM: u32 = 5;
/// `lumen_integrated_gradients_options.method`: Gauss–Legendre as Captum applies it, its
/// nodes and weights on [0, 1] rounded to float32 (as Captum's tensors are).
pub const LUMEN_IG_GAUSS_LEGENDRE_CAPTUM: u32 = 6;

/// `lumen_noise_tunnel_options.nt_type`: the mean of the noisy attributions.
pub const LUMEN_NOISE_SMOOTHGRAD: u32 = 0;
/// `lumen_noise_tunnel_options.nt_type`: the mean of their squares.
pub const LUMEN_NOISE_SMOOTHGRAD_SQ: u32 = 1;
/// `lumen_noise_tunnel_options.nt_type`: their variance.
pub const LUMEN_NOISE_VARGRAD: u32 = 2;

/// `lumen_noise_tunnel_options.base`: Saliency under the tunnel (`saliency` options).
pub const LUMEN_NT_BASE_SALIENCY: u32 = 0;
/// `lumen_noise_tunnel_options.base`: Integrated Gradients under the tunnel
/// (`integrated_gradients` options).
pub const LUMEN_NT_BASE_INTEGRATED_GRADIENTS: u32 = 1;
/// `lumen_noise_tunnel_options.base`: GradientSHAP under the tunnel (`gradient_shap`
/// options).
pub const LUMEN_NT_BASE_GRADIENT_SHAP: u32 = 2;

/// Options of `lumen_engine_explain_integrated_gradients` (Captum's
/// `IntegratedGradients`). Start from `lumen_integrated_gradients_options_default()`.
/// Every array is borrowed only during the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_integrated_gradients_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_integrated_gradients_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// Where the paths start: `input_len` (shared) or `rows × input_len` (one per row)
    /// floats.
    pub baseline: *const f32,
    /// Entries in `baseline`; 0 uses `baseline_scalar` everywhere.
    pub baseline_len: usize,
    /// The baseline value when `baseline_len == 0`.
    pub baseline_scalar: f32,
    /// Points on each path (at least 1; at least 2 for the trapezoid rule).
    pub n_steps: usize,
    /// The integration rule: one of the `LUMEN_IG_*` numbers.
    pub method: u32,
    /// Most path points per gradient call; 0 lets the engine's memory budget decide.
    pub internal_batch_size: usize,
    /// Non-zero: multiply the path integral by (input − baseline) (Captum's default);
    /// zero: report the integral of the gradient alone (no completeness gaps then).
    pub multiply_by_inputs: u32,
    /// Output indices to explain; with `targets_len == 0` every output is explained.
    pub targets: *const u32,
    /// Entries in `targets`.
    pub targets_len: usize,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    /// Ignored when these are a NoiseTunnel's base options: the tunnel's own applies.
    pub control: *const lumen_call_control,
    /// 0.3: `baseline` for a double model (`_f64` export), `baseline_len` doubles.
    pub baseline_f64: *const f64,
    /// 0.3: `baseline_scalar` for a double model; 0 uses `baseline_scalar` widened.
    pub baseline_scalar_f64: f64,
}

/// Options of `lumen_engine_explain_saliency` (Captum's `Saliency`). Start from
/// `lumen_saliency_options_default()`. Arrays are borrowed only during the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_saliency_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_saliency_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// Non-zero: report |∇f| (Captum's default); zero: the signed gradient.
    pub abs: u32,
    /// Output indices to explain; with `targets_len == 0` every output is explained.
    pub targets: *const u32,
    /// Entries in `targets`.
    pub targets_len: usize,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    /// Ignored when these are a NoiseTunnel's base options: the tunnel's own applies.
    pub control: *const lumen_call_control,
}

/// Options of `lumen_engine_explain_gradient_shap` (Captum's `GradientShap`). Start from
/// `lumen_gradient_shap_options_default()` and set `baselines`. Arrays are borrowed only
/// during the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_gradient_shap_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_gradient_shap_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// The baseline distribution: `m × input_len` floats, row-major, `m >= 1` (required).
    pub baselines: *const f32,
    /// Entries in `baselines`: a non-zero multiple of `input_len`.
    pub baselines_len: usize,
    /// Samples per input row (at least 1).
    pub n_samples: usize,
    /// Standard deviation of the Gaussian noise added to the input (finite, >= 0).
    pub stdevs: f32,
    /// Most path points per gradient call; 0 lets the engine's memory budget decide.
    pub internal_batch_size: usize,
    /// Output indices to explain; with `targets_len == 0` every output is explained.
    pub targets: *const u32,
    /// Entries in `targets`.
    pub targets_len: usize,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    /// Ignored when these are a NoiseTunnel's base options: the tunnel's own applies.
    pub control: *const lumen_call_control,
    /// 0.3: `baselines` for a double model (`_f64` export), `baselines_len` doubles.
    pub baselines_f64: *const f64,
    /// 0.3: `stdevs` for a double model; 0 uses `stdevs` widened.
    pub stdevs_f64: f64,
}

/// Options of `lumen_engine_explain_noise_tunnel` (Captum's `NoiseTunnel`). Start from
/// `lumen_noise_tunnel_options_default()`. Only the options of the chosen `base` are
/// read; the other two members are ignored. The base's options are pointed to, not
/// embedded, so that each options struct can grow on its own (see `struct_size`).
/// Arrays are borrowed only during the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_noise_tunnel_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_noise_tunnel_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// The aggregation: one of the `LUMEN_NOISE_*` numbers.
    pub nt_type: u32,
    /// Noisy copies per input row (at least 1).
    pub nt_samples: usize,
    /// Standard deviation of the Gaussian noise (finite, >= 0).
    pub stdevs: f32,
    /// The method under the tunnel: one of the `LUMEN_NT_BASE_*` numbers.
    pub base: u32,
    /// Options of Saliency, read when `base == LUMEN_NT_BASE_SALIENCY`; NULL means
    /// `lumen_saliency_options_default()`. Borrowed only during the call.
    pub saliency: *const lumen_saliency_options,
    /// Options of Integrated Gradients, read when `base == LUMEN_NT_BASE_INTEGRATED_GRADIENTS`;
    /// NULL means `lumen_integrated_gradients_options_default()`. A per-row baseline holds
    /// one row per explained row (not per noisy copy). Borrowed only during the call.
    pub integrated_gradients: *const lumen_integrated_gradients_options,
    /// Options of GradientSHAP, read when `base == LUMEN_NT_BASE_GRADIENT_SHAP` (required
    /// then: GradientSHAP needs `baselines`). Borrowed only during the call.
    pub gradient_shap: *const lumen_gradient_shap_options,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    pub control: *const lumen_call_control,
    /// 0.3: `stdevs` for a double model (`_f64` export); 0 uses `stdevs` widened.
    pub stdevs_f64: f64,
}

/// Options of `lumen_engine_explain_grad_cam` (Captum's `LayerGradCam` followed by
/// `LayerAttribution.interpolate`). Start from `lumen_grad_cam_options_default()`.
/// Arrays are borrowed only during the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_grad_cam_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_grad_cam_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// Output indices to explain; with `targets_len == 0` every output is explained.
    pub targets: *const u32,
    /// Entries in `targets`.
    pub targets_len: usize,
    /// Non-zero: pass the map through a ReLU before upsampling (default 0).
    pub relu_attributions: u32,
    /// Non-zero (default): resample the layer's h × w map bilinearly
    /// (`align_corners=False`) to the last two dimensions H × W of the model's input
    /// shape, which must have at least two dimensions; zero: report the h × w map.
    pub upsample: u32,
    /// Most rows per `layer_gradient` call; 0 lets the engine's memory budget decide.
    pub internal_batch_size: usize,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    pub control: *const lumen_call_control,
}

/// Integrated Gradients defaults (Captum's): baseline 0, 50 steps, Gauss–Legendre,
/// engine-chosen batches, multiplied by inputs, every output. Thread-safe; the struct is
/// the caller's.
#[no_mangle]
pub extern "C" fn lumen_integrated_gradients_options_default() -> lumen_integrated_gradients_options {
    lumen_integrated_gradients_options {
        struct_size: current_size::<lumen_integrated_gradients_options>(),
        control: std::ptr::null(),
        baseline: std::ptr::null(),
        baseline_len: 0,
        baseline_scalar: 0.0,
        n_steps: 50,
        method: LUMEN_IG_GAUSS_LEGENDRE,
        internal_batch_size: 0,
        multiply_by_inputs: 1,
        targets: std::ptr::null(),
        targets_len: 0,
        baseline_f64: std::ptr::null(),
        baseline_scalar_f64: 0.0,
    }
}

/// Saliency defaults (Captum's): absolute gradients, every output. Thread-safe; the
/// struct is the caller's.
#[no_mangle]
pub extern "C" fn lumen_saliency_options_default() -> lumen_saliency_options {
    lumen_saliency_options {
        struct_size: current_size::<lumen_saliency_options>(),
        control: std::ptr::null(),
        abs: 1,
        targets: std::ptr::null(),
        targets_len: 0,
    }
}

/// GradientSHAP defaults (Captum's): no baselines (must be set), 5 samples, no input
/// noise (stdevs 0), engine-chosen batches, every output. Thread-safe; the struct is the
/// caller's.
#[no_mangle]
pub extern "C" fn lumen_gradient_shap_options_default() -> lumen_gradient_shap_options {
    lumen_gradient_shap_options {
        struct_size: current_size::<lumen_gradient_shap_options>(),
        control: std::ptr::null(),
        baselines: std::ptr::null(),
        baselines_len: 0,
        n_samples: 5,
        stdevs: 0.0,
        internal_batch_size: 0,
        targets: std::ptr::null(),
        targets_len: 0,
        baselines_f64: std::ptr::null(),
        stdevs_f64: 0.0,
    }
}

/// NoiseTunnel defaults (Captum's): smoothgrad over 5 noisy copies with σ = 1, Saliency
/// under the tunnel with its defaults, no base options set (NULL). Thread-safe; the struct is the caller's.
#[no_mangle]
pub extern "C" fn lumen_noise_tunnel_options_default() -> lumen_noise_tunnel_options {
    lumen_noise_tunnel_options {
        struct_size: current_size::<lumen_noise_tunnel_options>(),
        control: std::ptr::null(),
        nt_type: LUMEN_NOISE_SMOOTHGRAD,
        nt_samples: 5,
        stdevs: 1.0,
        base: LUMEN_NT_BASE_SALIENCY,
        saliency: std::ptr::null(),
        integrated_gradients: std::ptr::null(),
        gradient_shap: std::ptr::null(),
        stdevs_f64: 0.0,
    }
}

/// Grad-CAM defaults (Captum's): every output, no ReLU, upsampled to the input's H × W,
/// engine-chosen batches. Thread-safe; the struct is the caller's.
#[no_mangle]
pub extern "C" fn lumen_grad_cam_options_default() -> lumen_grad_cam_options {
    lumen_grad_cam_options {
        struct_size: current_size::<lumen_grad_cam_options>(),
        control: std::ptr::null(),
        targets: std::ptr::null(),
        targets_len: 0,
        relu_attributions: 0,
        upsample: 1,
        internal_batch_size: 0,
    }
}

versioned_options!(
    lumen_integrated_gradients_options => lumen_integrated_gradients_options_default,
    appended: baseline_f64
);
versioned_options!(lumen_gradient_shap_options => lumen_gradient_shap_options_default, appended: baselines_f64);
versioned_options!(lumen_noise_tunnel_options => lumen_noise_tunnel_options_default, appended: stdevs_f64);
versioned_options!(
    lumen_saliency_options => lumen_saliency_options_default,
    lumen_grad_cam_options => lumen_grad_cam_options_default,
);

controlled_options!(
    lumen_integrated_gradients_options,
    lumen_saliency_options,
    lumen_gradient_shap_options,
    lumen_noise_tunnel_options,
    lumen_grad_cam_options
);

/// Renames the `options.` argument of a nested options struct's error to
/// `options.<member>.`, so the message names the field the caller set.
fn within<T>(member: &str, result: Result<T, FfiError>) -> Result<T, FfiError> {
    result.map_err(|mut error| {
        if member.is_empty() {
            return error;
        }
        if let Some(rest) = error.message.strip_prefix("options.") {
            error.message = format!("options.{member}.{rest}");
        }
        error
    })
}

/// The options of NoiseTunnel's base method: the pointed-to struct, or its defaults
/// when the pointer is NULL.
///
/// # Safety
/// A non-NULL `options` points to a struct started from its `_default()` function.
unsafe fn base_options<T: VersionedOptions>(options: *const T, argument: &str) -> Result<T, FfiError> {
    if options.is_null() {
        return Ok(T::defaults());
    }
    // SAFETY: forwarded contract.
    unsafe { read_options(options, argument) }
}

fn unknown(field: &str, value: u32, expected: &str) -> FfiError {
    FfiError::new(lumen_status::InvalidArgument, format!("{field}: is {value}, expected {expected}"))
}

fn internal_batch_size(value: usize) -> Option<usize> {
    (value > 0).then_some(value)
}

/// The checked Integrated Gradients parameters of `o` for `rows` rows of `row_len`
/// elements; errors name `options.<member>.` fields (`options.` when `member` is empty).
///
/// # Safety
/// Each array of `o` holds its stated number of elements.
unsafe fn ig_params<E: Element>(
    o: &lumen_integrated_gradients_options,
    member: &str,
    rows: usize,
    row_len: usize,
) -> Result<IntegratedGradientsParams<E>, FfiError> {
    let method = match o.method {
        LUMEN_IG_RIEMANN_LEFT => Quadrature::RiemannLeft,
        LUMEN_IG_RIEMANN_RIGHT => Quadrature::RiemannRight,
        LUMEN_IG_RIEMANN_MIDDLE => Quadrature::RiemannMiddle,
        LUMEN_IG_RIEMANN_TRAPEZOID => Quadrature::RiemannTrapezoid,
        LUMEN_IG_GAUSS_LEGENDRE => Quadrature::GaussLegendre,
        LUMEN_IG_RIEMANN_TRAPEZOID_CAPTUM => Quadrature::RiemannTrapezoidCaptum,
        LUMEN_IG_GAUSS_LEGENDRE_CAPTUM => Quadrature::GaussLegendreCaptum,
        other => {
            return within(
                member,
                Err(unknown(
                    "options.method",
                    other,
                    "LUMEN_IG_RIEMANN_LEFT (0), LUMEN_IG_RIEMANN_RIGHT (1), LUMEN_IG_RIEMANN_MIDDLE (2), \
                     LUMEN_IG_RIEMANN_TRAPEZOID (3), LUMEN_IG_GAUSS_LEGENDRE (4), \
                     LUMEN_IG_RIEMANN_TRAPEZOID_CAPTUM (5) or LUMEN_IG_GAUSS_LEGENDRE_CAPTUM (6)",
                )),
            )
        }
    };
    // SAFETY: each array's pointer and length come from the caller's options.
    let (baseline, targets) =
        unsafe { (within(member, baselines(o, rows, row_len))?, within(member, targets(o.targets, o.targets_len))?) };
    Ok(IntegratedGradientsParams {
        baseline,
        n_steps: o.n_steps,
        method,
        internal_batch_size: internal_batch_size(o.internal_batch_size),
        multiply_by_inputs: o.multiply_by_inputs != 0,
        targets,
    })
}

/// # Safety
/// Each array of `o` holds its stated number of elements.
unsafe fn saliency_params(o: &lumen_saliency_options, member: &str) -> Result<SaliencyParams, FfiError> {
    // SAFETY: the pointer and length come from the caller's options.
    let targets = within(member, unsafe { targets(o.targets, o.targets_len) })?;
    Ok(SaliencyParams { abs: o.abs != 0, targets })
}

/// # Safety
/// Each array of `o` holds its stated number of elements.
unsafe fn gradient_shap_params<E: Element>(
    o: &lumen_gradient_shap_options,
    member: &str,
) -> Result<GradientShapParams<E>, FfiError> {
    // SAFETY: each array's pointer and length come from the caller's options.
    let (distribution, targets) = unsafe {
        (
            within(
                member,
                typed_buffer::<E>((o.baselines, "baselines"), (o.baselines_f64, "baselines_f64"), o.baselines_len),
            )?,
            within(member, targets(o.targets, o.targets_len))?,
        )
    };
    Ok(GradientShapParams {
        baselines: copy(distribution, "options.baselines")?,
        n_samples: o.n_samples,
        stdevs: within(member, typed_scalar(o.stdevs, o.stdevs_f64, "stdevs"))?,
        internal_batch_size: internal_batch_size(o.internal_batch_size),
        targets,
    })
}

/// `lumen_engine_explain_integrated_gradients` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_integrated_gradients`, with `inputs` holding `inputs_len` values of `E`.
unsafe fn explain_integrated_gradients<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_integrated_gradients_options,
    out: *mut *mut lumen_explanation,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let call = unsafe { call(engine, model, inputs, inputs_len, rows, options)? };
    // SAFETY: the options' arrays come from the caller.
    let params = unsafe { ig_params(&call.options, "", rows, call.row_len)? };
    publish(out, integrated_gradients(call.engine, call.model, call.inputs, call.rows, &params)?)?;
    Ok(())
}

/// Explains `rows` rows of `inputs` (`inputs_len == rows × input_len` floats, row-major)
/// by Integrated Gradients along straight paths from the baseline. On success `*out`
/// holds a new explanation (free it with `lumen_explanation_free`): attributions
/// `rows × outputs × input_len`, predictions f(x), base values f(baseline) and, with
/// `multiply_by_inputs`, the convergence deltas Σ attributions − (f(x) − f(baseline)) as
/// completeness gaps. The model needs a `gradient` callback
/// (`LUMEN_STATUS_MODEL_CAPABILITY_MISSING` otherwise); a gradient holding NaN or ±Inf
/// gives `LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT`. On failure nothing is written. A NULL
/// `engine`, `model`, `options` or `out`, or a NULL array with a non-zero length, gives
/// `LUMEN_STATUS_NULL_POINTER`. Thread-safe for distinct `out` pointers; the model's
/// callbacks are called from engine threads as its `LUMEN_MODEL_CONCURRENT` flag allows.
///
/// # Safety
/// `engine`, `model`, `options` are valid handles/pointers; `inputs` holds `inputs_len`
/// floats; every array in `options` holds its stated length; `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_integrated_gradients(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f32,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_integrated_gradients_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_integrated_gradients", || unsafe {
        explain_integrated_gradients(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_integrated_gradients` for a `LUMEN_ELEMENT_F64` model: `inputs` holds doubles and `baseline_f64`/`baseline_scalar_f64` replace their float twins (path points are computed in double), and the
/// model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_explain_integrated_gradients`, with `inputs` holding `inputs_len` doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_integrated_gradients_f64(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f64,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_integrated_gradients_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_integrated_gradients_f64", || unsafe {
        explain_integrated_gradients(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_saliency` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_saliency`, with `inputs` holding `inputs_len` values of `E`.
unsafe fn explain_saliency<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_saliency_options,
    out: *mut *mut lumen_explanation,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let call = unsafe { call(engine, model, inputs, inputs_len, rows, options)? };
    // SAFETY: the options' arrays come from the caller.
    let params = unsafe { saliency_params(&call.options, "")? };
    publish(out, saliency(call.engine, call.model, call.inputs, call.rows, &params)?)?;
    Ok(())
}

/// Explains `rows` rows of `inputs` (`inputs_len == rows × input_len` floats, row-major)
/// by Saliency: the gradient of each explained output at the input, or its absolute value
/// with `abs`. On success `*out` holds a new explanation (free it with
/// `lumen_explanation_free`): attributions `rows × outputs × input_len`, predictions f(x),
/// base values 0, no completeness gaps. Needs the model's `gradient` callback. On failure
/// nothing is written. NULL handling and thread-safety as for
/// `lumen_engine_explain_integrated_gradients`.
///
/// # Safety
/// As for `lumen_engine_explain_integrated_gradients`.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_saliency(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f32,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_saliency_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_saliency", || unsafe {
        explain_saliency(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_saliency` for a `LUMEN_ELEMENT_F64` model: `inputs` holds doubles, and the
/// model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_explain_saliency`, with `inputs` holding `inputs_len` doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_saliency_f64(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f64,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_saliency_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_saliency_f64", || unsafe {
        explain_saliency(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_gradient_shap` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_gradient_shap`, with `inputs` holding `inputs_len` values of `E`.
unsafe fn explain_gradient_shap<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_gradient_shap_options,
    out: *mut *mut lumen_explanation,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let call = unsafe { call(engine, model, inputs, inputs_len, rows, options)? };
    // SAFETY: the options' arrays come from the caller.
    let params = unsafe { gradient_shap_params(&call.options, "")? };
    publish(out, gradient_shap(call.engine, call.model, call.inputs, call.rows, &params)?)?;
    Ok(())
}

/// Explains `rows` rows of `inputs` (`inputs_len == rows × input_len` floats, row-major)
/// by GradientSHAP (expected gradients): per sample a baseline row drawn uniformly from
/// `baselines`, Gaussian input noise of deviation `stdevs` and α ~ U(0, 1); the
/// attribution is the mean of ∇f(b + α(x' − b)) ⊙ (x' − b). On success `*out` holds a new
/// explanation (free it with `lumen_explanation_free`): attributions
/// `rows × outputs × input_len`, predictions f(x), base values mean_b f(b) and completeness
/// gaps Σ attributions − (f(x) − mean_b f(b)). Results depend only on the engine's seed,
/// not on its thread count. Needs the model's `gradient` callback. On failure nothing is
/// written. NULL handling and thread-safety as for
/// `lumen_engine_explain_integrated_gradients`.
///
/// # Safety
/// As for `lumen_engine_explain_integrated_gradients`.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_gradient_shap(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f32,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_gradient_shap_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_gradient_shap", || unsafe {
        explain_gradient_shap(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_gradient_shap` for a `LUMEN_ELEMENT_F64` model: `inputs` holds doubles and `baselines_f64`/`stdevs_f64` replace their float twins, and the
/// model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_explain_gradient_shap`, with `inputs` holding `inputs_len` doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_gradient_shap_f64(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f64,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_gradient_shap_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_gradient_shap_f64", || unsafe {
        explain_gradient_shap(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_noise_tunnel` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_noise_tunnel`, with `inputs` holding `inputs_len` values of `E`.
unsafe fn explain_noise_tunnel<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_noise_tunnel_options,
    out: *mut *mut lumen_explanation,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let call = unsafe { call(engine, model, inputs, inputs_len, rows, options)? };
    let o = call.options;
    let nt_type = match o.nt_type {
        LUMEN_NOISE_SMOOTHGRAD => NoiseType::Smoothgrad,
        LUMEN_NOISE_SMOOTHGRAD_SQ => NoiseType::SmoothgradSq,
        LUMEN_NOISE_VARGRAD => NoiseType::Vargrad,
        other => {
            return Err(unknown(
                "options.nt_type",
                other,
                "LUMEN_NOISE_SMOOTHGRAD (0), LUMEN_NOISE_SMOOTHGRAD_SQ (1) or LUMEN_NOISE_VARGRAD (2)",
            ))
        }
    };
    // SAFETY: the chosen base's arrays come from the caller's options.
    let base = unsafe {
        match o.base {
            LUMEN_NT_BASE_SALIENCY => {
                let saliency = base_options(o.saliency, "options.saliency")?;
                NoiseTunnelBase::Saliency(saliency_params(&saliency, "saliency")?)
            }
            LUMEN_NT_BASE_INTEGRATED_GRADIENTS => {
                let ig = base_options(o.integrated_gradients, "options.integrated_gradients")?;
                NoiseTunnelBase::IntegratedGradients(ig_params(&ig, "integrated_gradients", rows, call.row_len)?)
            }
            LUMEN_NT_BASE_GRADIENT_SHAP => {
                let gradient_shap = read_options(o.gradient_shap, "options.gradient_shap")?;
                NoiseTunnelBase::GradientShap(gradient_shap_params(&gradient_shap, "gradient_shap")?)
            }
            other => {
                return Err(unknown(
                    "options.base",
                    other,
                    "LUMEN_NT_BASE_SALIENCY (0), LUMEN_NT_BASE_INTEGRATED_GRADIENTS (1) or \
                     LUMEN_NT_BASE_GRADIENT_SHAP (2)",
                ))
            }
        }
    };
    let stdevs = typed_scalar(o.stdevs, o.stdevs_f64, "stdevs")?;
    let params = NoiseTunnelParams { base, nt_type, nt_samples: o.nt_samples, stdevs };
    publish(out, noise_tunnel(call.engine, call.model, call.inputs, call.rows, &params)?)?;
    Ok(())
}

/// Explains `rows` rows of `inputs` (`inputs_len == rows × input_len` floats, row-major)
/// by NoiseTunnel: the `base` method run on `nt_samples` copies of each row with Gaussian
/// noise N(0, stdevs²), its attributions aggregated per row by `nt_type`. On success
/// `*out` holds a new explanation (free it with `lumen_explanation_free`): attributions
/// `rows × outputs × input_len`, predictions f(x), base values the mean of the copies'
/// base values, no completeness gaps. Results depend only on the engine's seed, not on
/// its thread count. Needs the model's `gradient` callback. On failure nothing is
/// written; a NULL array or an unknown number in the chosen base's options is reported
/// as `options.<base member>.<field>` (e.g. `options.integrated_gradients.method`). NULL
/// handling and thread-safety as for `lumen_engine_explain_integrated_gradients`.
///
/// # Safety
/// As for `lumen_engine_explain_integrated_gradients`; the arrays of the chosen base's
/// options hold their stated lengths.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_noise_tunnel(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f32,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_noise_tunnel_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_noise_tunnel", || unsafe {
        explain_noise_tunnel(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_noise_tunnel` for a `LUMEN_ELEMENT_F64` model: `inputs` holds doubles and the `_f64` fields of the options (and of the base method's) replace their float twins, and the
/// model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_explain_noise_tunnel`, with `inputs` holding `inputs_len` doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_noise_tunnel_f64(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f64,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_noise_tunnel_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_noise_tunnel_f64", || unsafe {
        explain_noise_tunnel(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_grad_cam` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_grad_cam`, with `inputs` holding `inputs_len` values of `E`.
unsafe fn explain_grad_cam<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_grad_cam_options,
    out: *mut *mut lumen_explanation,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let call = unsafe { call(engine, model, inputs, inputs_len, rows, options)? };
    let o = call.options;
    let params = GradCamParams {
        // SAFETY: the pointer and length come from the caller's options.
        targets: unsafe { targets(o.targets, o.targets_len)? },
        relu_attributions: o.relu_attributions != 0,
        upsample: o.upsample != 0,
        internal_batch_size: internal_batch_size(o.internal_batch_size),
    };
    publish(out, grad_cam(call.engine, call.model, call.inputs, call.rows, &params)?)?;
    Ok(())
}

/// Explains `rows` rows of `inputs` (`inputs_len == rows × input_len` floats, row-major)
/// by Grad-CAM on the layer the model's `layer_gradient` callback exposes
/// (`layer_shape = {C, h, w}`): per row and output, the channel weights w_c = the mean over
/// h × w of ∂f/∂A_c, the map Σ_c w_c A_c (through a ReLU with `relu_attributions`) and,
/// with `upsample`, its bilinear resampling to the input's last two dimensions. On success
/// `*out` holds a new explanation (free it with `lumen_explanation_free`): attributions
/// `rows × outputs × features` with `features = H × W` (upsampled) or `h × w`,
/// predictions f(x), base values 0, no completeness gaps. A model without
/// `layer_gradient` gives `LUMEN_STATUS_MODEL_CAPABILITY_MISSING`; a NaN or ±Inf
/// activation or gradient gives `LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT`; `upsample` with
/// a 1-D input shape gives `LUMEN_STATUS_INVALID_ARGUMENT`. On failure nothing is
/// written. NULL handling and thread-safety as for
/// `lumen_engine_explain_integrated_gradients`.
///
/// # Safety
/// As for `lumen_engine_explain_integrated_gradients`.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_grad_cam(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f32,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_grad_cam_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_grad_cam", || unsafe {
        explain_grad_cam(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_grad_cam` for a `LUMEN_ELEMENT_F64` model: `inputs` holds doubles (the `layer_gradient_f64` callback gives double activations and gradients), and the
/// model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_explain_grad_cam`, with `inputs` holding `inputs_len` doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_grad_cam_f64(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f64,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_grad_cam_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_grad_cam_f64", || unsafe {
        explain_grad_cam(engine, model, inputs, inputs_len, rows, options, out)
    })
}
