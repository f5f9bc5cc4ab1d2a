//! Reading an explanation: shape, values, diagnostics, names, reason codes, post-hoc
//! groups, analytics and the audit JSON.

use jni::objects::{JClass, JDoubleArray, JFloatArray, JIntArray, JLongArray, JObject, JObjectArray, JString, JValue};
use jni::refs::IntoAuto;
use jni::sys::{jboolean, jdouble, jint, jlong};
use jni::{jni_sig, jni_str, Env, EnvUnowned};
use lumen::explanation::{consistency, Direction, FeatureAxis};
use lumen::{Error, Explanation};

use crate::arrays::{count, element_code, indices, new_doubles, new_floats, new_ints, optional_strings, widened};
use crate::error::{BindingResult, ThrowLumenException};
use crate::handles::{borrow, free, into_handle};

/// The explanation behind `handle`.
fn explanation<'a>(handle: jlong) -> BindingResult<&'a Explanation> {
    // SAFETY: the handle comes from the Java `Explanation` that guards this call.
    unsafe { borrow::<Explanation>(handle, "explanation") }
}

/// `void explanationFree(long explanation)`: frees an explanation once; 0 is a no-op.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    env.with_env(|_| -> BindingResult<()> {
        // SAFETY: `dev.lumen.Explanation` frees its handle exactly once, after its last use.
        unsafe { free::<Explanation>(handle) };
        Ok(())
    })
    .resolve::<ThrowLumenException>()
}

fn inner_shape<'l>(env: &mut Env<'l>, handle: jlong) -> BindingResult<JIntArray<'l>> {
    let e = explanation(handle)?;
    let axis = match e.feature_axis {
        FeatureAxis::Elements => 0,
        FeatureAxis::Groups => 1,
    };
    let element = element_code(e.audit.element_type) as usize;
    new_ints(env, [e.rows, e.outputs_per_row(), e.features, axis, element])
}

/// `int[] explanationShape(long explanation)`: `{rows, outputs, features, axis,
/// elementType}` with axis 0 for elements and 1 for groups, element type 0 for a float
/// model's explanation and 1 for a double model's.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationShape<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JIntArray<'l> {
    env.with_env(|env| inner_shape(env, handle)).resolve::<ThrowLumenException>()
}

/// The values numbered `which` (see `explanationFloats`); `None`: no standard errors.
fn values_of(e: &Explanation, which: jint) -> BindingResult<Option<&lumen::explanation::Values>> {
    Ok(Some(match which {
        0 => &e.attributions,
        1 => &e.predictions,
        2 => &e.base_values,
        3 => match &e.standard_errors {
            Some(errors) => errors,
            None => return Ok(None),
        },
        other => return Err(Error::invalid("which", format!("is {other}, expected 0..=3")).into()),
    }))
}

fn inner_floats<'l>(env: &mut Env<'l>, handle: jlong, which: jint) -> BindingResult<JFloatArray<'l>> {
    match values_of(explanation(handle)?, which)? {
        Some(values) => new_floats(env, &values.to_f32()),
        None => Ok(JFloatArray::default()),
    }
}

fn inner_doubles<'l>(env: &mut Env<'l>, handle: jlong, which: jint) -> BindingResult<JDoubleArray<'l>> {
    match values_of(explanation(handle)?, which)? {
        Some(values) => new_doubles(env, values),
        None => Ok(JDoubleArray::default()),
    }
}

/// `double[] explanationDoubles(long explanation, int which)`: as `explanationFloats`, in
/// f64: every bit of a double model's values (a float model's values widened, exactly).
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationDoubles<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    which: jint,
) -> JDoubleArray<'l> {
    env.with_env(|env| inner_doubles(env, handle, which)).resolve::<ThrowLumenException>()
}

/// `float[] explanationFloats(long explanation, int which)`: a copy of the attributions
/// (0, `rows × outputs × features`), predictions (1, `rows × outputs`), base values (2)
/// or standard errors (3; null when the method is not sampled).
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationFloats<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    which: jint,
) -> JFloatArray<'l> {
    env.with_env(|env| inner_floats(env, handle, which)).resolve::<ThrowLumenException>()
}

/// `int[] explanationFeatureShape(long explanation)`: the feature axis's own shape (the
/// model's input shape for per-element methods, a Grad-CAM map's `{H, W}`, `{features}`
/// for groups).
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationFeatureShape<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JIntArray<'l> {
    env.with_env(|env| {
        let shape = explanation(handle)?.feature_shape.iter().copied();
        new_ints(env, shape)
    })
    .resolve::<ThrowLumenException>()
}

/// `int[] explanationOutputs(long explanation)`: the model outputs explained.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationOutputs<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JIntArray<'l> {
    env.with_env(|env| {
        let outputs = explanation(handle)?.outputs.iter().map(|&o| o as usize);
        new_ints(env, outputs)
    })
    .resolve::<ThrowLumenException>()
}

/// `int[] explanationRowTargets(long explanation)`: each row's explained output with
/// per-row targets, else null.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationRowTargets<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JIntArray<'l> {
    env.with_env(|env| match &explanation(handle)?.row_targets {
        Some(targets) => new_ints(env, targets.iter().map(|&t| t as usize)),
        None => Ok(JIntArray::null()),
    })
    .resolve::<ThrowLumenException>()
}

fn inner_gaps<'l>(env: &mut Env<'l>, handle: jlong) -> BindingResult<JObject<'l>> {
    let e = explanation(handle)?;
    let gaps: Option<Vec<f64>> =
        e.diagnostics.iter().map(|d| d.completeness_gap.clone()).collect::<Option<Vec<_>>>().map(|g| g.concat());
    match gaps {
        Some(gaps) => Ok(new_doubles(env, &gaps)?.into()),
        None => Ok(JObject::null()),
    }
}

/// `double[] explanationGaps(long explanation)`: the `rows × outputs` completeness gaps,
/// or null when the method does not define them.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationGaps<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JObject<'l> {
    env.with_env(|env| inner_gaps(env, handle)).resolve::<ThrowLumenException>()
}

fn inner_model_rows<'l>(env: &mut Env<'l>, handle: jlong) -> BindingResult<JLongArray<'l>> {
    let e = explanation(handle)?;
    let mut values: Vec<jlong> = e.diagnostics.iter().map(|d| d.model_rows_evaluated as jlong).collect();
    values.push(e.audit.model_rows_evaluated as jlong);
    let array = JLongArray::new(env, values.len())?;
    array.set_region(env, 0, &values)?;
    Ok(array)
}

/// `long[] explanationModelRows(long explanation)`: model rows evaluated for each row,
/// then (last element) for the whole explanation.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationModelRows<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JLongArray<'l> {
    env.with_env(|env| inner_model_rows(env, handle)).resolve::<ThrowLumenException>()
}

fn inner_texts<'l>(env: &mut Env<'l>, handle: jlong) -> BindingResult<JObjectArray<'l, JString<'l>>> {
    let e = explanation(handle)?;
    let method = serde_json::to_value(e.method).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let texts: Vec<String> = std::iter::once(method).chain((0..e.features).map(|f| e.feature_name(f))).collect();
    let array = JObjectArray::<JString>::new(env, texts.len(), JString::null())?;
    for (i, text) in texts.iter().enumerate() {
        let text = env.new_string(text)?.auto();
        array.set_element(env, i, &*text)?;
    }
    Ok(array)
}

/// `String[] explanationTexts(long explanation)`: the method's name (`occlusion`,
/// `kernel_shap`, ...) followed by the name of every feature (`feature N` when unnamed).
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationTexts<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JObjectArray<'l, JString<'l>> {
    env.with_env(|env| inner_texts(env, handle)).resolve::<ThrowLumenException>()
}

fn inner_reason_codes<'l>(
    env: &mut Env<'l>,
    handle: jlong,
    row: jint,
    output: jint,
    k: jint,
    raised: jboolean,
) -> BindingResult<JObjectArray<'l>> {
    let direction = if raised { Direction::Raised } else { Direction::Lowered };
    let codes =
        explanation(handle)?.reason_codes(count(row, "row")?, count(output, "output")?, count(k, "k")?, direction)?;
    let class = env.find_class(jni_str!("dev/lumen/ReasonCode"))?;
    let array = env.new_object_array(codes.len() as jint, &class, JObject::null())?;
    for (i, code) in codes.iter().enumerate() {
        let name = env.new_string(&code.name)?.auto();
        let object = env
            .new_object(
                &class,
                jni_sig!("(ILjava/lang/String;FD)V"),
                &[
                    JValue::Int(code.feature as jint),
                    JValue::Object(&name),
                    JValue::Float(code.contribution as f32),
                    JValue::Double(code.contribution),
                ],
            )?
            .auto();
        array.set_element(env, i, &*object)?;
    }
    Ok(array)
}

/// `ReasonCode[] explanationReasonCodes(long explanation, int row, int output, int k,
/// boolean raised)`: up to `k` players of `row` and explained output position `output`
/// that lowered (or raised) it, strongest first.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationReasonCodes<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    row: jint,
    output: jint,
    k: jint,
    raised: jboolean,
) -> JObjectArray<'l> {
    env.with_env(|env| inner_reason_codes(env, handle, row, output, k, raised)).resolve::<ThrowLumenException>()
}

fn inner_sum_groups(
    env: &mut Env<'_>,
    handle: jlong,
    groups: &JIntArray<'_>,
    names: &JObjectArray<'_, JString<'_>>,
) -> BindingResult<jlong> {
    let groups: Vec<u32> = indices(env, groups, "groups")?.into_iter().map(|g| g as u32).collect();
    let names = optional_strings(env, names, "names")?;
    Ok(into_handle(explanation(handle)?.sum_into_groups(&groups, names)?))
}

/// `long explanationSumGroups(long explanation, int[] groups, String[] names)`: a new
/// explanation whose features are the groups (`groups[f]` the group of feature `f`).
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationSumGroups<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    groups: JIntArray<'l>,
    names: JObjectArray<'l, JString<'l>>,
) -> jlong {
    env.with_env(|env| inner_sum_groups(env, handle, &groups, &names)).resolve::<ThrowLumenException>()
}

/// `String explanationToJson(long explanation)`: the audit record.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationToJson<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JObject<'l> {
    env.with_env(|env| -> BindingResult<JObject<'l>> {
        let json = explanation(handle)?.to_json()?;
        Ok(env.new_string(json)?.into())
    })
    .resolve::<ThrowLumenException>()
}

fn inner_summary<'l>(env: &mut Env<'l>, handle: jlong, row: jint, output: jint) -> BindingResult<JObject<'l>> {
    let s = explanation(handle)?.summary(count(row, "row")?, count(output, "output")?)?;
    Ok(new_doubles(env, &[s.concentration, s.magnitude, s.sparsity])?.into())
}

/// `double[] explanationSummary(long explanation, int row, int output)`: `{concentration,
/// magnitude, sparsity}` of one row's attributions for one explained output position.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_explanationSummary<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    row: jint,
    output: jint,
) -> JObject<'l> {
    env.with_env(|env| inner_summary(env, handle, row, output)).resolve::<ThrowLumenException>()
}

/// `double consistency(Object a, Object b)`: |Pearson correlation| of two attribution
/// maps of the same length, each a `float[]` or a `double[]`.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_consistency<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    a: JObject<'l>,
    b: JObject<'l>,
) -> jdouble {
    env.with_env(|env| -> BindingResult<jdouble> { Ok(consistency(&widened(env, &a, "a")?, &widened(env, &b, "b")?)?) })
        .resolve::<ThrowLumenException>()
}
