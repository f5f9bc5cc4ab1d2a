//! PermuteAttack counterfactuals and scorecard points. The result is read once by the
//! Java side, which copies it into immutable Java objects and frees the handle.

use jni::objects::{JClass, JDoubleArray, JFloatArray, JIntArray, JObject, JObjectArray, JString};
use jni::refs::IntoAuto;
use jni::sys::{jdouble, jint, jlong};
use jni::{Env, EnvUnowned};
use lumen::explain::counterfactual::schema::{Feature, FeatureKind, Schema};
use lumen::explain::counterfactual::scorecard::Scorecard;
use lumen::explain::counterfactual::{permute_attack, FeatureRange, PermuteAttackParams, Sampling, TargetClass};
use lumen::explanation::{Counterfactual, Counterfactuals, InstanceCounterfactuals};
use lumen::{Element, Error};

use super::{element_of, explain, input_len, per_element};
use crate::arrays::{
    count, elements, indices, new_doubles, new_ints, optional_doubles, optional_floats, optional_indices,
    optional_ints, optional_strings,
};
use crate::error::{BindingError, BindingResult, ThrowLumenException};
use crate::handles::{borrow, free};

/// Positions in the `int[] settings` argument of `counterfactuals`.
mod setting {
    pub const POPULATION: usize = 0;
    pub const PARENTS: usize = 1;
    pub const GENERATIONS: usize = 2;
    pub const RUNS: usize = 3;
    pub const MAX_CHANGED: usize = 4;
    pub const COUNTERFACTUALS: usize = 5;
    pub const SAMPLING: usize = 6;
    pub const GIBBS_BINS: usize = 7;
    pub const GIBBS_ITERATIONS: usize = 8;
    pub const TARGET_CLASS: usize = 9;
    pub const LEN: usize = 10;
}

/// Positions in the `double[] weights` argument of `counterfactuals`.
mod weight {
    pub const RHO0: usize = 0;
    pub const RHO1: usize = 1;
    pub const TEMPERATURE: usize = 2;
    pub const DECAY: usize = 3;
    pub const MAX_DISTANCE: usize = 4;
    pub const SUCCESS_PROBABILITY: usize = 5;
    pub const LEN: usize = 6;
}

/// The logical features: one numeric feature per column when `kinds` is null.
fn schema(
    env: &mut Env<'_>,
    names: &JObjectArray<'_, JString<'_>>,
    kinds: &JIntArray<'_>,
    columns: &JObjectArray<'_, JIntArray<'_>>,
    codes: &JObjectArray<'_, JFloatArray<'_>>,
    row_len: usize,
) -> BindingResult<Schema> {
    let Some(kinds) = optional_indices(env, kinds, "featureKinds")? else {
        return Ok(Schema::numeric(row_len));
    };
    let names = optional_strings(env, names, "featureNames")?;
    if columns.is_null() {
        return Err(BindingError::Null { argument: "featureColumns", expected: "one int[] of columns per feature" });
    }
    let column_lists = columns.len(env)?;
    if column_lists != kinds.len() || names.as_ref().is_some_and(|n| n.len() != kinds.len()) {
        return Err(
            Error::length("featureColumns", column_lists, format!("{} (one per feature kind)", kinds.len())).into()
        );
    }
    let code_lists = if codes.is_null() { 0 } else { codes.len(env)? };
    if !codes.is_null() && code_lists != kinds.len() {
        return Err(Error::length("featureCodes", code_lists, format!("{} (one per feature kind)", kinds.len())).into());
    }
    let mut features = Vec::with_capacity(kinds.len());
    for (f, &kind) in kinds.iter().enumerate() {
        let list = columns.get_element(env, f)?.auto();
        let cols = indices(env, &list, "featureColumns")?;
        let kind = match (kind, cols.as_slice()) {
            (0, [column]) => FeatureKind::Numeric { column: *column },
            (0, _) => {
                return Err(Error::invalid(
                    "featureColumns",
                    format!("feature {f} is numeric with {} columns, expected exactly 1", cols.len()),
                )
                .into())
            }
            (1, _) => FeatureKind::Categorical { columns: cols },
            (2, [column]) => {
                let list = if codes.is_null() { None } else { Some(codes.get_element(env, f)?.auto()) };
                let given = match &list {
                    Some(list) => optional_floats(env, list)?,
                    None => None,
                };
                let Some(given) = given else {
                    return Err(BindingError::Null {
                        argument: "featureCodes",
                        expected: "a float[] of codes for every coded feature",
                    });
                };
                FeatureKind::Coded { column: *column, codes: given.iter().map(|&c| f64::from(c)).collect() }
            }
            (2, _) => {
                return Err(Error::invalid(
                    "featureColumns",
                    format!("feature {f} is coded with {} columns, expected exactly 1", cols.len()),
                )
                .into())
            }
            (other, _) => {
                return Err(Error::invalid("featureKinds", format!("element {f} is {other}, expected 0, 1 or 2")).into())
            }
        };
        let name = names.as_ref().map_or_else(|| format!("feature {f}"), |n| n[f].clone());
        features.push(Feature { name, kind });
    }
    Ok(Schema::new(features, row_len)?)
}

/// A fixed-length settings array.
fn exactly<T>(values: Option<Vec<T>>, len: usize, argument: &'static str) -> BindingResult<Vec<T>> {
    let values = values.ok_or(BindingError::Null { argument, expected: "the settings array" })?;
    if values.len() != len {
        return Err(Error::length(argument, values.len(), len).into());
    }
    Ok(values)
}

/// The Java arguments of a PermuteAttack search.
struct SearchArguments<'a, 'l> {
    names: &'a JObjectArray<'l, JString<'l>>,
    kinds: &'a JIntArray<'l>,
    columns: &'a JObjectArray<'l, JIntArray<'l>>,
    codes: &'a JObjectArray<'l, JFloatArray<'l>>,
    training: &'a JObject<'l>,
    immutable: &'a JIntArray<'l>,
    allow_list: &'a JIntArray<'l>,
    range_features: &'a JIntArray<'l>,
    range_bounds: &'a JDoubleArray<'l>,
    settings: &'a JIntArray<'l>,
    weights: &'a JDoubleArray<'l>,
}

impl SearchArguments<'_, '_> {
    fn params<E: Element>(&self, env: &mut Env<'_>, row_len: usize) -> BindingResult<PermuteAttackParams<E>> {
        let schema = schema(env, self.names, self.kinds, self.columns, self.codes, row_len)?;
        let mut params = PermuteAttackParams::new(schema, elements::<E>(env, self.training, "training")?);
        let s = exactly(optional_ints(env, self.settings)?, setting::LEN, "settings")?;
        let w = exactly(optional_doubles(env, self.weights)?, weight::LEN, "weights")?;
        params.target = match s[setting::TARGET_CLASS] {
            -1 => TargetClass::Opposite,
            c => TargetClass::Class(count(c, "targetClass")? as u32),
        };
        params.immutable = optional_indices(env, self.immutable, "immutable")?.unwrap_or_default();
        params.allow_list = optional_indices(env, self.allow_list, "allowList")?;
        let range_features = optional_indices(env, self.range_features, "rangeFeatures")?.unwrap_or_default();
        let bounds = optional_doubles(env, self.range_bounds)?.unwrap_or_default();
        if bounds.len() != 2 * range_features.len() {
            return Err(
                Error::length("rangeBounds", bounds.len(), format!("2 × {} ranges", range_features.len())).into()
            );
        }
        params.ranges = range_features
            .iter()
            .zip(bounds.chunks_exact(2))
            .map(|(&feature, b)| FeatureRange { feature, min: b[0], max: b[1] })
            .collect();
        params.population = count(s[setting::POPULATION], "population")?;
        params.parents = count(s[setting::PARENTS], "parents")?;
        params.generations = count(s[setting::GENERATIONS], "generations")?;
        params.runs = count(s[setting::RUNS], "runs")?;
        params.max_changed = Some(count(s[setting::MAX_CHANGED], "maxChanged")?).filter(|&m| m > 0);
        params.counterfactuals = count(s[setting::COUNTERFACTUALS], "counterfactuals")?;
        params.sampling = match s[setting::SAMPLING] {
            0 => Sampling::Column,
            1 => Sampling::Gibbs {
                bins: count(s[setting::GIBBS_BINS], "gibbsBins")?,
                iterations: count(s[setting::GIBBS_ITERATIONS], "gibbsIterations")?,
            },
            other => {
                return Err(Error::invalid("sampling", format!("is {other}, expected 0 (column) or 1 (gibbs)")).into())
            }
        };
        params.rho0 = w[weight::RHO0];
        params.rho1 = w[weight::RHO1];
        params.temperature = w[weight::TEMPERATURE];
        params.decay = w[weight::DECAY];
        params.max_distance = Some(w[weight::MAX_DISTANCE]).filter(|&d| d != 0.0);
        params.success_probability = Some(w[weight::SUCCESS_PROBABILITY]).filter(|&p| p != 0.0);
        Ok(params)
    }
}

/// `long counterfactuals(long call, long engine, long model, Object inputs, int rows, String[]
/// featureNames, int[] featureKinds, int[][] featureColumns, float[][] featureCodes, Object
/// training, int[] immutable, int[] allowList, int[] rangeFeatures, double[] rangeBounds,
/// int[] settings, double[] weights)`: the result handle (`inputs` and `training` in the
/// model's element type). `featureKinds` null: every column
/// numeric; kinds 0 numeric, 1 categorical (one-hot), 2 coded (one column, its codes in
/// `featureCodes`, null elsewhere). `settings` = {population, parents, generations, runs,
/// maxChanged (0: none), counterfactuals, sampling (0 column, 1 gibbs), gibbsBins,
/// gibbsIterations, targetClass (-1: opposite)}; `weights` = {rho0, rho1, temperature,
/// decay, maxDistance (0: none), successProbability (0: predicted class)}.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_counterfactuals<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JObject<'l>,
    rows: jint,
    names: JObjectArray<'l, JString<'l>>,
    kinds: JIntArray<'l>,
    columns: JObjectArray<'l, JIntArray<'l>>,
    codes: JObjectArray<'l, JFloatArray<'l>>,
    training: JObject<'l>,
    immutable: JIntArray<'l>,
    allow_list: JIntArray<'l>,
    range_features: JIntArray<'l>,
    range_bounds: JDoubleArray<'l>,
    settings: JIntArray<'l>,
    weights: JDoubleArray<'l>,
) -> jlong {
    env.with_env(|env| {
        let arguments = SearchArguments {
            names: &names,
            kinds: &kinds,
            columns: &columns,
            codes: &codes,
            training: &training,
            immutable: &immutable,
            allow_list: &allow_list,
            range_features: &range_features,
            range_bounds: &range_bounds,
            settings: &settings,
            weights: &weights,
        };
        per_element!(element_of(model)?, inner_counterfactuals(env, call, engine, model, &inputs, rows, &arguments))
    })
    .resolve::<ThrowLumenException>()
}

fn inner_counterfactuals<E: Element>(
    env: &mut Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JObject<'_>,
    rows: jint,
    arguments: &SearchArguments<'_, '_>,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = elements::<E>(env, inputs, "inputs")?;
    let rows = count(rows, "rows")?;
    let params = arguments.params::<E>(env, input_len(model)?)?;
    explain(engine, model, |engine, model| permute_attack(engine, model, &inputs, rows, &params))
}

/// The search result behind `handle`.
fn result<'a>(handle: jlong) -> BindingResult<&'a Counterfactuals> {
    // SAFETY: the handle comes from the Java side, which reads it once and frees it after.
    unsafe { borrow::<Counterfactuals>(handle, "counterfactuals") }
}

fn instance<'a>(handle: jlong, i: jint) -> BindingResult<&'a InstanceCounterfactuals> {
    let r = result(handle)?;
    let i = count(i, "instance")?;
    r.instances
        .get(i)
        .ok_or_else(|| Error::invalid("instance", format!("is {i}, expected < {}", r.instances.len())).into())
}

fn counterfactual<'a>(handle: jlong, i: jint, j: jint) -> BindingResult<&'a Counterfactual> {
    let found = instance(handle, i)?;
    let j = count(j, "index")?;
    found
        .counterfactuals
        .get(j)
        .ok_or_else(|| Error::invalid("index", format!("is {j}, expected < {}", found.counterfactuals.len())).into())
}

/// `void counterfactualsFree(long counterfactuals)`: frees a result once; 0 is a no-op.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_counterfactualsFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    env.with_env(|_| -> BindingResult<()> {
        // SAFETY: the Java side frees the handle exactly once, after reading it.
        unsafe { free::<Counterfactuals>(handle) };
        Ok(())
    })
    .resolve::<ThrowLumenException>()
}

/// `int counterfactualsInstances(long counterfactuals)`: instances searched.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_counterfactualsInstances<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jint {
    env.with_env(|_| -> BindingResult<jint> { Ok(result(handle)?.instances.len() as jint) })
        .resolve::<ThrowLumenException>()
}

/// `double[] counterfactualsInstance(long counterfactuals, int instance)`:
/// `{originalClass, targetClass, originalProbability, alreadyAtTarget (0/1), found,
/// modelRowsEvaluated}`.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_counterfactualsInstance<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    i: jint,
) -> JObject<'l> {
    env.with_env(|env| -> BindingResult<JObject<'l>> {
        let s = instance(handle, i)?;
        let values = [
            f64::from(s.original_class),
            f64::from(s.target_class),
            s.original_probability,
            f64::from(u8::from(s.already_at_target)),
            s.counterfactuals.len() as f64,
            s.model_rows_evaluated as f64,
        ];
        Ok(new_doubles(env, &values)?.into())
    })
    .resolve::<ThrowLumenException>()
}

/// `double[] counterfactualsGet(long counterfactuals, int instance, int index)`:
/// `{targetProbability, predictedClass, success (0/1), distance}`.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_counterfactualsGet<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    i: jint,
    j: jint,
) -> JObject<'l> {
    env.with_env(|env| -> BindingResult<JObject<'l>> {
        let c = counterfactual(handle, i, j)?;
        let values = [c.target_probability, f64::from(c.predicted_class), f64::from(u8::from(c.success)), c.distance];
        Ok(new_doubles(env, &values)?.into())
    })
    .resolve::<ThrowLumenException>()
}

/// `double[] counterfactualsRow(long counterfactuals, int instance, int index)`: the
/// counterfactual as a model input row (in f64, holding the model's own elements exactly).
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_counterfactualsRow<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    i: jint,
    j: jint,
) -> JDoubleArray<'l> {
    env.with_env(|env| {
        let row = &counterfactual(handle, i, j)?.row;
        new_doubles(env, row)
    })
    .resolve::<ThrowLumenException>()
}

/// `int[] counterfactualsChanged(long counterfactuals, int instance, int index)`: the
/// logical features the counterfactual changes, ascending.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_counterfactualsChanged<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    i: jint,
    j: jint,
) -> JIntArray<'l> {
    env.with_env(|env| {
        let changed = counterfactual(handle, i, j)?.changed.clone();
        new_ints(env, changed)
    })
    .resolve::<ThrowLumenException>()
}

/// `String counterfactualsToJson(long counterfactuals)`: the audit record.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_counterfactualsToJson<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JObject<'l> {
    env.with_env(|env| -> BindingResult<JObject<'l>> {
        let json = result(handle)?.to_json()?;
        Ok(env.new_string(json)?.into())
    })
    .resolve::<ThrowLumenException>()
}

/// `String[] counterfactualsFeatureNames(long counterfactuals)`: the logical features' names.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_counterfactualsFeatureNames<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JObjectArray<'l, JString<'l>> {
    env.with_env(|env| -> BindingResult<JObjectArray<'l, JString<'l>>> {
        let names = &result(handle)?.feature_names;
        let array = JObjectArray::<JString>::new(env, names.len(), JString::null())?;
        for (i, name) in names.iter().enumerate() {
            let name = env.new_string(name)?.auto();
            array.set_element(env, i, &*name)?;
        }
        Ok(array)
    })
    .resolve::<ThrowLumenException>()
}

/// `double scorecardScore(double baseScore, double baseOdds, double pointsToDoubleOdds,
/// double pGood)`: credit-scorecard points of a probability of good.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_scorecardScore<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    base_score: jdouble,
    base_odds: jdouble,
    points_to_double_odds: jdouble,
    p_good: jdouble,
) -> jdouble {
    env.with_env(|_| -> BindingResult<jdouble> {
        Ok(Scorecard { base_score, base_odds, points_to_double_odds }.score(p_good)?)
    })
    .resolve::<ThrowLumenException>()
}
