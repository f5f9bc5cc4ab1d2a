//! Occlusion and Feature Ablation.

use jni::objects::{JClass, JFloatArray, JIntArray, JObjectArray, JString};
use jni::sys::{jboolean, jfloat, jint, jlong};
use jni::{Env, EnvUnowned};
use lumen::backend::Baselines;
use lumen::{feature_ablation, occlusion, FeatureAblationParams, OcclusionParams};

use super::{explain, input_len};
use crate::arrays::{
    batch_request, count, floats, indices, optional_floats, optional_ids, optional_indices, optional_strings,
};
use crate::error::{BindingResult, ThrowLumenException};

/// The baselines of `rows` rows: none → `scalar`, one row shared, or one row per row.
pub(crate) fn baselines(
    env: &Env<'_>,
    values: &JFloatArray<'_>,
    scalar: jfloat,
    rows: usize,
    model: jlong,
) -> BindingResult<Baselines> {
    let values = optional_floats(env, values)?.unwrap_or_default();
    Ok(Baselines::from_buffer(&values, scalar, rows, input_len(model)?)?)
}

#[allow(clippy::too_many_arguments)]
fn inner_occlusion(
    env: &mut Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JFloatArray<'_>,
    rows: jint,
    window: &JIntArray<'_>,
    strides: &JIntArray<'_>,
    baseline: &JFloatArray<'_>,
    baseline_scalar: jfloat,
    targets: &JIntArray<'_>,
    per_eval: jint,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = floats(env, inputs, "inputs")?;
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

/// `long occlusion(long call, long engine, long model, float[] inputs, int rows, int[] windowShape,
/// int[] strides, float[] baseline, float baselineScalar, int[] targets, int
/// perturbationsPerEval)`: the explanation handle (null arrays: defaults; 0 per eval:
/// the engine chooses).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_occlusion<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JFloatArray<'l>,
    rows: jint,
    window: JIntArray<'l>,
    strides: JIntArray<'l>,
    baseline: JFloatArray<'l>,
    baseline_scalar: jfloat,
    targets: JIntArray<'l>,
    per_eval: jint,
) -> jlong {
    env.with_env(|env| {
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
    })
    .resolve::<ThrowLumenException>()
}

#[allow(clippy::too_many_arguments)]
fn inner_feature_ablation(
    env: &mut Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JFloatArray<'_>,
    rows: jint,
    feature_mask: &JIntArray<'_>,
    group_names: &JObjectArray<'_, JString<'_>>,
    baseline: &JFloatArray<'_>,
    baseline_scalar: jfloat,
    targets: &JIntArray<'_>,
    per_eval: jint,
    group_attributions: jboolean,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = floats(env, inputs, "inputs")?;
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

/// `long featureAblation(long call, long engine, long model, float[] inputs, int rows, int[]
/// featureMask, String[] groupNames, float[] baseline, float baselineScalar, int[]
/// targets, int perturbationsPerEval, boolean groupAttributions)`: the explanation handle.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_featureAblation<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JFloatArray<'l>,
    rows: jint,
    feature_mask: JIntArray<'l>,
    group_names: JObjectArray<'l, JString<'l>>,
    baseline: JFloatArray<'l>,
    baseline_scalar: jfloat,
    targets: JIntArray<'l>,
    per_eval: jint,
    group_attributions: jboolean,
) -> jlong {
    env.with_env(|env| {
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
    })
    .resolve::<ThrowLumenException>()
}
