//! Occlusion and Feature Ablation.

use jni::objects::{JClass, JIntArray, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jdouble, jfloat, jint, jlong};
use jni::{Env, EnvUnowned};
use lumen::backend::Baselines;
use lumen::{feature_ablation, occlusion, Element, FeatureAblationParams, OcclusionParams};

use super::{element_of, explain, input_len, per_element};
use crate::arrays::{
    batch_request, count, element_scalar, elements, indices, optional_elements, optional_ids, optional_indices,
    optional_strings,
};
use crate::error::{BindingResult, ThrowLumenException};

/// A baseline scalar as Java passes it: the float setter's value and the double setter's
/// (0: not set), read by [`element_scalar`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scalar {
    pub float: jfloat,
    pub double: jdouble,
}

/// The baselines of `rows` rows: none → `scalar`, one row shared, or one row per row
/// (`values` a `float[]` or `double[]` matching `E`).
pub(crate) fn baselines<E: Element>(
    env: &Env<'_>,
    values: &JObject<'_>,
    scalar: Scalar,
    rows: usize,
    model: jlong,
) -> BindingResult<Baselines<E>> {
    let values = optional_elements::<E>(env, values, "baseline")?.unwrap_or_default();
    let scalar = element_scalar::<E>(scalar.float, scalar.double, "baseline")?;
    Ok(Baselines::from_buffer(&values, scalar, rows, input_len(model)?)?)
}

#[allow(clippy::too_many_arguments)]
fn inner_occlusion<E: Element>(
    env: &mut Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JObject<'_>,
    rows: jint,
    window: &JIntArray<'_>,
    strides: &JIntArray<'_>,
    baseline: &JObject<'_>,
    baseline_scalar: Scalar,
    targets: &JIntArray<'_>,
    per_eval: jint,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = elements::<E>(env, inputs, "inputs")?;
    let rows = count(rows, "rows")?;
    let params = OcclusionParams {
        window_shape: indices(env, window, "windowShape")?,
        strides: optional_indices(env, strides, "strides")?,
        baseline: baselines(env, baseline, baseline_scalar, rows, model)?,
        targets: optional_ids(env, targets, "targets")?,
        perturbations_per_eval: batch_request(per_eval, "perturbationsPerEval")?,
    };
    explain(engine, model, |engine, model| occlusion(engine, model, &inputs, rows, &params))
}

/// `long occlusion(long call, long engine, long model, Object inputs, int rows, int[]
/// windowShape, int[] strides, Object baseline, float baselineScalar, double
/// baselineScalarDouble, int[] targets, int perturbationsPerEval)`: the explanation handle
/// (`inputs` and `baseline` a `float[]` for a float model, a `double[]` for a double one;
/// null arrays: defaults; 0 per eval: the engine chooses).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_occlusion<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JObject<'l>,
    rows: jint,
    window: JIntArray<'l>,
    strides: JIntArray<'l>,
    baseline: JObject<'l>,
    baseline_scalar: jfloat,
    baseline_scalar_double: jdouble,
    targets: JIntArray<'l>,
    per_eval: jint,
) -> jlong {
    env.with_env(|env| {
        let baseline_scalar = Scalar { float: baseline_scalar, double: baseline_scalar_double };
        per_element!(
            element_of(model)?,
            inner_occlusion(
                env,
                call,
                engine,
                model,
                &inputs,
                rows,
                &window,
                &strides,
                &baseline,
                baseline_scalar,
                &targets,
                per_eval,
            )
        )
    })
    .resolve::<ThrowLumenException>()
}

#[allow(clippy::too_many_arguments)]
fn inner_feature_ablation<E: Element>(
    env: &mut Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JObject<'_>,
    rows: jint,
    feature_mask: &JIntArray<'_>,
    group_names: &JObjectArray<'_, JString<'_>>,
    baseline: &JObject<'_>,
    baseline_scalar: Scalar,
    targets: &JIntArray<'_>,
    per_eval: jint,
    group_attributions: jboolean,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = elements::<E>(env, inputs, "inputs")?;
    let rows = count(rows, "rows")?;
    let params = FeatureAblationParams {
        feature_mask: optional_ids(env, feature_mask, "featureMask")?,
        group_names: optional_strings(env, group_names, "groupNames")?,
        baseline: baselines(env, baseline, baseline_scalar, rows, model)?,
        targets: optional_ids(env, targets, "targets")?,
        perturbations_per_eval: batch_request(per_eval, "perturbationsPerEval")?,
        group_attributions,
    };
    explain(engine, model, |engine, model| feature_ablation(engine, model, &inputs, rows, &params))
}

/// `long featureAblation(long call, long engine, long model, Object inputs, int rows, int[]
/// featureMask, String[] groupNames, Object baseline, float baselineScalar, double
/// baselineScalarDouble, int[] targets, int perturbationsPerEval, boolean
/// groupAttributions)`: the explanation handle (arrays in the model's element type).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_featureAblation<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JObject<'l>,
    rows: jint,
    feature_mask: JIntArray<'l>,
    group_names: JObjectArray<'l, JString<'l>>,
    baseline: JObject<'l>,
    baseline_scalar: jfloat,
    baseline_scalar_double: jdouble,
    targets: JIntArray<'l>,
    per_eval: jint,
    group_attributions: jboolean,
) -> jlong {
    env.with_env(|env| {
        let baseline_scalar = Scalar { float: baseline_scalar, double: baseline_scalar_double };
        per_element!(
            element_of(model)?,
            inner_feature_ablation(
                env,
                call,
                engine,
                model,
                &inputs,
                rows,
                &feature_mask,
                &group_names,
                &baseline,
                baseline_scalar,
                &targets,
                per_eval,
                group_attributions,
            )
        )
    })
    .resolve::<ThrowLumenException>()
}
