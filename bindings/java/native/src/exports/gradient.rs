//! Integrated Gradients, Saliency, GradientSHAP, NoiseTunnel (over each of the three) and
//! Grad-CAM.

use jni::objects::{JClass, JFloatArray, JIntArray};
use jni::sys::{jboolean, jfloat, jint, jlong};
use jni::{Env, EnvUnowned};
use lumen::explain::gradient::{
    grad_cam, gradient_shap, integrated_gradients, noise_tunnel, saliency, GradCamParams, GradientShapParams,
    IntegratedGradientsParams, NoiseTunnelBase, NoiseTunnelParams, NoiseType, Quadrature, SaliencyParams,
};
use lumen::Error;

use super::explain;
use super::perturbation::baselines;
use crate::arrays::{batch_request, count, floats, optional_ids};
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
    baseline: &'a JFloatArray<'l>,
    baseline_scalar: jfloat,
    n_steps: jint,
    method: jint,
    internal_batch_size: jint,
    multiply_by_inputs: jboolean,
    targets: &'a JIntArray<'l>,
}

impl IgArguments<'_, '_> {
    fn params(&self, env: &Env<'_>, rows: usize, model: jlong) -> BindingResult<IntegratedGradientsParams> {
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
    baselines: &'a JFloatArray<'l>,
    n_samples: jint,
    stdevs: jfloat,
    internal_batch_size: jint,
    targets: &'a JIntArray<'l>,
}

impl GradientShapArguments<'_, '_> {
    fn params(&self, env: &Env<'_>) -> BindingResult<GradientShapParams> {
        Ok(GradientShapParams {
            baselines: floats(env, self.baselines, "baselines")?,
            n_samples: count(self.n_samples, "nSamples")?,
            stdevs: self.stdevs,
            internal_batch_size: batch_request(self.internal_batch_size, "internalBatchSize")?,
            targets: optional_ids(env, self.targets, "targets")?,
        })
    }
}

/// NoiseTunnel's own Java arguments.
struct TunnelArguments {
    nt_type: jint,
    nt_samples: jint,
    stdevs: jfloat,
}

impl TunnelArguments {
    fn params(&self, base: NoiseTunnelBase) -> BindingResult<NoiseTunnelParams> {
        Ok(NoiseTunnelParams {
            base,
            nt_type: noise_type(self.nt_type)?,
            nt_samples: count(self.nt_samples, "samples")?,
            stdevs: self.stdevs,
        })
    }
}

/// Explains with NoiseTunnel when `tunnel` is given, else with the base method alone.
#[allow(clippy::too_many_arguments)]
fn run_gradient(
    env: &Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JFloatArray<'_>,
    rows: jint,
    tunnel: Option<TunnelArguments>,
    base: NoiseTunnelBase,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = floats(env, inputs, "inputs")?;
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

/// `long integratedGradients(long call, long engine, long model, float[] inputs, int rows, float[]
/// baseline, float baselineScalar, int nSteps, int method, int internalBatchSize, boolean
/// multiplyByInputs, int[] targets, int ntType, int ntSamples, float ntStdevs)`: the
/// explanation handle; `ntSamples > 0` runs it under NoiseTunnel.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_integratedGradients<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JFloatArray<'l>,
    rows: jint,
    baseline: JFloatArray<'l>,
    baseline_scalar: jfloat,
    n_steps: jint,
    method: jint,
    internal_batch_size: jint,
    multiply_by_inputs: jboolean,
    targets: JIntArray<'l>,
    nt_type: jint,
    nt_samples: jint,
    nt_stdevs: jfloat,
) -> jlong {
    env.with_env(|env| {
        let arguments = IgArguments {
            baseline: &baseline,
            baseline_scalar,
            n_steps,
            method,
            internal_batch_size,
            multiply_by_inputs,
            targets: &targets,
        };
        let tunnel = tunnel(nt_type, nt_samples, nt_stdevs);
        let base = NoiseTunnelBase::IntegratedGradients(arguments.params(env, count(rows, "rows")?, model)?);
        run_gradient(env, call, engine, model, &inputs, rows, tunnel, base)
    })
    .resolve::<ThrowLumenException>()
}

/// NoiseTunnel's arguments when `samples > 0` (a tunnel was asked for).
fn tunnel(nt_type: jint, nt_samples: jint, stdevs: jfloat) -> Option<TunnelArguments> {
    (nt_samples != 0).then_some(TunnelArguments { nt_type, nt_samples, stdevs })
}

/// `long saliency(long call, long engine, long model, float[] inputs, int rows, boolean abs, int[]
/// targets, int ntType, int ntSamples, float ntStdevs)`: the explanation handle;
/// `ntSamples > 0` runs it under NoiseTunnel.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_saliency<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JFloatArray<'l>,
    rows: jint,
    abs: jboolean,
    targets: JIntArray<'l>,
    nt_type: jint,
    nt_samples: jint,
    nt_stdevs: jfloat,
) -> jlong {
    env.with_env(|env| {
        let base = NoiseTunnelBase::Saliency(SaliencyParams { abs, targets: optional_ids(env, &targets, "targets")? });
        run_gradient(env, call, engine, model, &inputs, rows, tunnel(nt_type, nt_samples, nt_stdevs), base)
    })
    .resolve::<ThrowLumenException>()
}

/// `long gradientShap(long call, long engine, long model, float[] inputs, int rows, float[]
/// baselines, int nSamples, float stdevs, int internalBatchSize, int[] targets, int
/// ntType, int ntSamples, float ntStdevs)`: the explanation handle; `ntSamples > 0` runs
/// it under NoiseTunnel.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_gradientShap<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JFloatArray<'l>,
    rows: jint,
    baselines: JFloatArray<'l>,
    n_samples: jint,
    stdevs: jfloat,
    internal_batch_size: jint,
    targets: JIntArray<'l>,
    nt_type: jint,
    nt_samples: jint,
    nt_stdevs: jfloat,
) -> jlong {
    env.with_env(|env| {
        let arguments =
            GradientShapArguments { baselines: &baselines, n_samples, stdevs, internal_batch_size, targets: &targets };
        let base = NoiseTunnelBase::GradientShap(arguments.params(env)?);
        run_gradient(env, call, engine, model, &inputs, rows, tunnel(nt_type, nt_samples, nt_stdevs), base)
    })
    .resolve::<ThrowLumenException>()
}

#[allow(clippy::too_many_arguments)]
fn inner_grad_cam(
    env: &Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JFloatArray<'_>,
    rows: jint,
    targets: &JIntArray<'_>,
    relu_attributions: jboolean,
    upsample: jboolean,
    internal_batch_size: jint,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = floats(env, inputs, "inputs")?;
    let rows = count(rows, "rows")?;
    let params = GradCamParams {
        targets: optional_ids(env, targets, "targets")?,
        relu_attributions,
        upsample,
        internal_batch_size: batch_request(internal_batch_size, "internalBatchSize")?,
    };
    explain(engine, model, |engine, model| grad_cam(engine, model, &inputs, rows, &params))
}

/// `long gradCam(long call, long engine, long model, float[] inputs, int rows, int[] targets, boolean
/// reluAttributions, boolean upsample, int internalBatchSize)`: the explanation handle.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_gradCam<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JFloatArray<'l>,
    rows: jint,
    targets: JIntArray<'l>,
    relu_attributions: jboolean,
    upsample: jboolean,
    internal_batch_size: jint,
) -> jlong {
    env.with_env(|env| {
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
    })
    .resolve::<ThrowLumenException>()
}
