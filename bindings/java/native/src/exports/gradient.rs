//! Integrated Gradients, Saliency, GradientSHAP, NoiseTunnel (over each of the three) and
//! Grad-CAM.

use jni::objects::{JClass, JIntArray, JObject};
use jni::sys::{jboolean, jdouble, jfloat, jint, jlong};
use jni::{Env, EnvUnowned};
use lumen::explain::gradient::{
    grad_cam, gradient_shap, integrated_gradients, noise_tunnel, saliency, GradCamParams, GradientShapParams,
    IntegratedGradientsParams, NoiseTunnelBase, NoiseTunnelParams, NoiseType, Quadrature, SaliencyParams,
};
use lumen::{Element, Error};

use super::perturbation::{baselines, Scalar};
use super::{element_of, explain, per_element};
use crate::arrays::{batch_request, count, element_scalar, elements, optional_ids};
use crate::error::{BindingResult, ThrowLumenException};

fn quadrature(method: jint) -> BindingResult<Quadrature> {
    Ok(match method {
        0 => Quadrature::RiemannLeft,
        1 => Quadrature::RiemannRight,
        2 => Quadrature::RiemannMiddle,
        3 => Quadrature::RiemannTrapezoid,
        4 => Quadrature::GaussLegendre,
        5 => Quadrature::RiemannTrapezoidCaptum,
        6 => Quadrature::GaussLegendreCaptum,
        other => {
            return Err(Error::invalid("method", format!("is {other}, expected a Quadrature ordinal 0..=6")).into())
        }
    })
}

fn noise_type(value: jint) -> BindingResult<NoiseType> {
    Ok(match value {
        0 => NoiseType::Smoothgrad,
        1 => NoiseType::SmoothgradSq,
        2 => NoiseType::Vargrad,
        other => return Err(Error::invalid("type", format!("is {other}, expected a NoiseType ordinal 0..=2")).into()),
    })
}

/// The Java arguments of Integrated Gradients.
struct IgArguments<'a, 'l> {
    baseline: &'a JObject<'l>,
    baseline_scalar: Scalar,
    n_steps: jint,
    method: jint,
    internal_batch_size: jint,
    multiply_by_inputs: jboolean,
    targets: &'a JIntArray<'l>,
}

impl IgArguments<'_, '_> {
    fn params<E: Element>(
        &self,
        env: &Env<'_>,
        rows: usize,
        model: jlong,
    ) -> BindingResult<IntegratedGradientsParams<E>> {
        Ok(IntegratedGradientsParams {
            baseline: baselines(env, self.baseline, self.baseline_scalar, rows, model)?,
            n_steps: count(self.n_steps, "nSteps")?,
            method: quadrature(self.method)?,
            internal_batch_size: batch_request(self.internal_batch_size, "internalBatchSize")?,
            multiply_by_inputs: self.multiply_by_inputs,
            targets: optional_ids(env, self.targets, "targets")?,
        })
    }
}

/// The Java arguments of GradientSHAP.
struct GradientShapArguments<'a, 'l> {
    baselines: &'a JObject<'l>,
    n_samples: jint,
    stdevs: Scalar,
    internal_batch_size: jint,
    targets: &'a JIntArray<'l>,
}

impl GradientShapArguments<'_, '_> {
    fn params<E: Element>(&self, env: &Env<'_>) -> BindingResult<GradientShapParams<E>> {
        Ok(GradientShapParams {
            baselines: elements::<E>(env, self.baselines, "baselines")?,
            n_samples: count(self.n_samples, "nSamples")?,
            stdevs: element_scalar::<E>(self.stdevs.float, self.stdevs.double, "stdevs")?,
            internal_batch_size: batch_request(self.internal_batch_size, "internalBatchSize")?,
            targets: optional_ids(env, self.targets, "targets")?,
        })
    }
}

/// NoiseTunnel's own Java arguments.
struct TunnelArguments {
    nt_type: jint,
    nt_samples: jint,
    stdevs: Scalar,
}

impl TunnelArguments {
    fn params<E: Element>(&self, base: NoiseTunnelBase<E>) -> BindingResult<NoiseTunnelParams<E>> {
        Ok(NoiseTunnelParams {
            base,
            nt_type: noise_type(self.nt_type)?,
            nt_samples: count(self.nt_samples, "samples")?,
            stdevs: element_scalar::<E>(self.stdevs.float, self.stdevs.double, "stdevs")?,
        })
    }
}

/// Explains with NoiseTunnel when `tunnel` is given, else with the base method alone.
#[allow(clippy::too_many_arguments)]
fn run_gradient<E: Element>(
    env: &Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JObject<'_>,
    rows: jint,
    tunnel: Option<TunnelArguments>,
    base: NoiseTunnelBase<E>,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = elements::<E>(env, inputs, "inputs")?;
    let rows = count(rows, "rows")?;
    match tunnel {
        Some(tunnel) => {
            let params = tunnel.params(base)?;
            explain(engine, model, |engine, model| noise_tunnel(engine, model, &inputs, rows, &params))
        }
        None => explain(engine, model, |engine, model| match &base {
            NoiseTunnelBase::Saliency(p) => saliency(engine, model, &inputs, rows, p),
            NoiseTunnelBase::IntegratedGradients(p) => integrated_gradients(engine, model, &inputs, rows, p),
            NoiseTunnelBase::GradientShap(p) => gradient_shap(engine, model, &inputs, rows, p),
        }),
    }
}

/// Integrated Gradients (under NoiseTunnel when `tunnel` is given) on elements `E`.
#[allow(clippy::too_many_arguments)]
fn integrated_gradients_of<E: Element>(
    env: &Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JObject<'_>,
    rows: jint,
    arguments: &IgArguments<'_, '_>,
    tunnel: Option<TunnelArguments>,
) -> BindingResult<jlong> {
    let base = NoiseTunnelBase::IntegratedGradients(arguments.params::<E>(env, count(rows, "rows")?, model)?);
    run_gradient(env, call, engine, model, inputs, rows, tunnel, base)
}

/// `long integratedGradients(long call, long engine, long model, Object inputs, int rows,
/// Object baseline, float baselineScalar, double baselineScalarDouble, int nSteps, int
/// method, int internalBatchSize, boolean multiplyByInputs, int[] targets, int ntType, int
/// ntSamples, float ntStdevs, double ntStdevsDouble)`: the explanation handle; `ntSamples >
/// 0` runs it under NoiseTunnel (arrays in the model's element type; each scalar as a
/// float and its double twin, 0 when unset).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_integratedGradients<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JObject<'l>,
    rows: jint,
    baseline: JObject<'l>,
    baseline_scalar: jfloat,
    baseline_scalar_double: jdouble,
    n_steps: jint,
    method: jint,
    internal_batch_size: jint,
    multiply_by_inputs: jboolean,
    targets: JIntArray<'l>,
    nt_type: jint,
    nt_samples: jint,
    nt_stdevs: jfloat,
    nt_stdevs_double: jdouble,
) -> jlong {
    env.with_env(|env| {
        let arguments = IgArguments {
            baseline: &baseline,
            baseline_scalar: Scalar { float: baseline_scalar, double: baseline_scalar_double },
            n_steps,
            method,
            internal_batch_size,
            multiply_by_inputs,
            targets: &targets,
        };
        let tunnel = tunnel(nt_type, nt_samples, Scalar { float: nt_stdevs, double: nt_stdevs_double });
        per_element!(
            element_of(model)?,
            integrated_gradients_of(env, call, engine, model, &inputs, rows, &arguments, tunnel)
        )
    })
    .resolve::<ThrowLumenException>()
}

/// NoiseTunnel's arguments when `samples > 0` (a tunnel was asked for).
fn tunnel(nt_type: jint, nt_samples: jint, stdevs: Scalar) -> Option<TunnelArguments> {
    (nt_samples != 0).then_some(TunnelArguments { nt_type, nt_samples, stdevs })
}

/// Saliency (under NoiseTunnel when `tunnel` is given) on elements `E`.
#[allow(clippy::too_many_arguments)]
fn saliency_of<E: Element>(
    env: &Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JObject<'_>,
    rows: jint,
    params: SaliencyParams,
    tunnel: Option<TunnelArguments>,
) -> BindingResult<jlong> {
    run_gradient::<E>(env, call, engine, model, inputs, rows, tunnel, NoiseTunnelBase::Saliency(params))
}

/// `long saliency(long call, long engine, long model, Object inputs, int rows, boolean abs,
/// int[] targets, int ntType, int ntSamples, float ntStdevs, double ntStdevsDouble)`: the
/// explanation handle; `ntSamples > 0` runs it under NoiseTunnel.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_saliency<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JObject<'l>,
    rows: jint,
    abs: jboolean,
    targets: JIntArray<'l>,
    nt_type: jint,
    nt_samples: jint,
    nt_stdevs: jfloat,
    nt_stdevs_double: jdouble,
) -> jlong {
    env.with_env(|env| {
        let params = SaliencyParams { abs, targets: optional_ids(env, &targets, "targets")? };
        let tunnel = tunnel(nt_type, nt_samples, Scalar { float: nt_stdevs, double: nt_stdevs_double });
        per_element!(element_of(model)?, saliency_of(env, call, engine, model, &inputs, rows, params, tunnel))
    })
    .resolve::<ThrowLumenException>()
}

/// GradientSHAP (under NoiseTunnel when `tunnel` is given) on elements `E`.
#[allow(clippy::too_many_arguments)]
fn gradient_shap_of<E: Element>(
    env: &Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JObject<'_>,
    rows: jint,
    arguments: &GradientShapArguments<'_, '_>,
    tunnel: Option<TunnelArguments>,
) -> BindingResult<jlong> {
    let base = NoiseTunnelBase::GradientShap(arguments.params::<E>(env)?);
    run_gradient(env, call, engine, model, inputs, rows, tunnel, base)
}

/// `long gradientShap(long call, long engine, long model, Object inputs, int rows, Object
/// baselines, int nSamples, float stdevs, double stdevsDouble, int internalBatchSize,
/// int[] targets, int ntType, int ntSamples, float ntStdevs, double ntStdevsDouble)`: the
/// explanation handle; `ntSamples > 0` runs it under NoiseTunnel.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_gradientShap<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JObject<'l>,
    rows: jint,
    baselines: JObject<'l>,
    n_samples: jint,
    stdevs: jfloat,
    stdevs_double: jdouble,
    internal_batch_size: jint,
    targets: JIntArray<'l>,
    nt_type: jint,
    nt_samples: jint,
    nt_stdevs: jfloat,
    nt_stdevs_double: jdouble,
) -> jlong {
    env.with_env(|env| {
        let arguments = GradientShapArguments {
            baselines: &baselines,
            n_samples,
            stdevs: Scalar { float: stdevs, double: stdevs_double },
            internal_batch_size,
            targets: &targets,
        };
        let tunnel = tunnel(nt_type, nt_samples, Scalar { float: nt_stdevs, double: nt_stdevs_double });
        per_element!(element_of(model)?, gradient_shap_of(env, call, engine, model, &inputs, rows, &arguments, tunnel))
    })
    .resolve::<ThrowLumenException>()
}

#[allow(clippy::too_many_arguments)]
fn inner_grad_cam<E: Element>(
    env: &Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JObject<'_>,
    rows: jint,
    targets: &JIntArray<'_>,
    relu_attributions: jboolean,
    upsample: jboolean,
    internal_batch_size: jint,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = elements::<E>(env, inputs, "inputs")?;
    let rows = count(rows, "rows")?;
    let params = GradCamParams {
        targets: optional_ids(env, targets, "targets")?,
        relu_attributions,
        upsample,
        internal_batch_size: batch_request(internal_batch_size, "internalBatchSize")?,
    };
    explain(engine, model, |engine, model| grad_cam(engine, model, &inputs, rows, &params))
}

/// `long gradCam(long call, long engine, long model, Object inputs, int rows, int[] targets, boolean
/// reluAttributions, boolean upsample, int internalBatchSize)`: the explanation handle.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_gradCam<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JObject<'l>,
    rows: jint,
    targets: JIntArray<'l>,
    relu_attributions: jboolean,
    upsample: jboolean,
    internal_batch_size: jint,
) -> jlong {
    env.with_env(|env| {
        per_element!(
            element_of(model)?,
            inner_grad_cam(
                env,
                call,
                engine,
                model,
                &inputs,
                rows,
                &targets,
                relu_attributions,
                upsample,
                internal_batch_size,
            )
        )
    })
    .resolve::<ThrowLumenException>()
}
