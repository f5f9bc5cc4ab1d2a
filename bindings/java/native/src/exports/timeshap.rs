//! TimeSHAP: sequence models, temporal coalition pruning, event/feature/cell explanations
//! and the global report.

use jni::objects::{JClass, JDoubleArray, JIntArray, JObject, JObjectArray, JString};
use jni::refs::IntoAuto;
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned};
use lumen::engine::call_control::finish_current;
use lumen::explain::shapley::Link;
use lumen::explain::timeshap::{
    timeshap_cell, timeshap_event, timeshap_feature, timeshap_global, timeshap_prune, CellRelevance, GlobalParams,
    GlobalReport, Player, Pruning, SequenceBackground, Summary, TimeShapExplanation, TimeShapParams,
};
use lumen::{Element, ElementType, ErrorKind};
use lumen::{Engine, Error, SequenceSignature};

use super::per_element;
use crate::arrays::{
    count, element_type, elements, indices, new_doubles, optional_doubles, optional_elements, optional_ints,
    optional_strings,
};
use crate::error::{BindingResult, ThrowLumenException};
use crate::handles::{borrow, free, into_handle};
use crate::java_sequence_model::{JavaSequenceModel, SequenceModelCall};

/// The Java `TimeShapOptions` as passed to the natives: the background arrays, `ints` =
/// `{prune, budget, errorBatches, target, logit, useState, relevance, topEvents,
/// topFeatures, pruningIndex, estimator}` (`pruningIndex` 0: none; `estimator` 0: the
/// default, else `LUMEN_ESTIMATOR_*`) and `reals` = `{tolerance,
/// eventThreshold, featureThreshold}`.
struct OptionArguments<'a, 'l> {
    background: &'a JObject<'l>,
    training_events: &'a JObject<'l>,
    ints: &'a JIntArray<'l>,
    reals: &'a JDoubleArray<'l>,
}

/// The checked options: parameters and cell relevance.
struct Options<E: Element> {
    params: TimeShapParams<E>,
    relevance: CellRelevance,
}

impl OptionArguments<'_, '_> {
    /// Reads the options for a model of `features` values per event and sequences of
    /// `seq_len` events (`None`: the background must be one event).
    fn read<E: Element>(&self, env: &Env<'_>, features: usize, seq_len: Option<usize>) -> BindingResult<Options<E>> {
        const NAMES: [&str; 9] =
            ["prune", "budget", "errorBatches", "target", "logit", "useState", "relevance", "topEvents", "topFeatures"];
        let raw = optional_ints(env, self.ints)?.unwrap_or_default();
        let ints = raw.iter().zip(NAMES).map(|(&v, name)| count(v, name)).collect::<BindingResult<Vec<usize>>>()?;
        let reals = optional_doubles(env, self.reals)?.unwrap_or_default();
        let (
            &[prune, budget, error_batches, target, logit, use_state, relevance, top_events, top_features],
            &[tolerance, event_threshold, feature_threshold],
            &[pruning_index, estimator],
        ) = (ints.as_slice(), reals.as_slice(), raw.get(NAMES.len()..).unwrap_or_default())
        else {
            return Err(Error::invalid("options", "malformed settings arrays (11 ints and 3 doubles expected)").into());
        };
        let background = match optional_elements::<E>(env, self.background, "background")? {
            Some(b) if b.len() == features => SequenceBackground::Event(b),
            Some(b) if seq_len.is_some_and(|l| b.len() == l * features) => SequenceBackground::Sequence(b),
            Some(b) => {
                let sequence = seq_len.map_or(String::new(), |l| format!(" or seqLen × features = {}", l * features));
                return Err(Error::length("background", b.len(), format!("features = {features}{sequence}")).into());
            }
            None => match optional_elements::<E>(env, self.training_events, "trainingEvents")? {
                Some(training) => SequenceBackground::average_event(&training, features)?,
                None => {
                    return Err(Error::invalid("background", "is null and so are the training events; set one").into())
                }
            },
        };
        let mut params = TimeShapParams::new(background);
        params.tolerance = (prune != 0).then_some(tolerance);
        params.pruning_index = (pruning_index != 0).then_some(i64::from(pruning_index));
        // 0 keeps the engine's defaults (as in C), for the budget and the jackknife groups.
        if budget > 0 {
            params.budget = budget;
        }
        if error_batches > 0 {
            params.error_batches = u32::try_from(error_batches)
                .map_err(|_| Error::invalid("errorBatches", format!("is {error_batches}, expected >= 2")))?;
        }
        params.target = u32::try_from(target).map_err(|_| Error::invalid("target", format!("is {target}")))?;
        params.link = if logit != 0 { Link::Logit } else { Link::Identity };
        params.use_state = use_state != 0;
        params.estimator = super::shapley::estimator(estimator)?;
        let relevance = if relevance == 0 {
            CellRelevance::TopK { events: top_events, features: top_features }
        } else {
            CellRelevance::Threshold { events: event_threshold, features: feature_threshold }
        };
        Ok(Options { params, relevance })
    }
}

/// One sequence's call as the natives receive it: the handles, the sequence, its length
/// and the options.
struct SequenceArguments<'a, 'l> {
    engine: jlong,
    model: jlong,
    sequence: &'a JObject<'l>,
    seq_len: jint,
    options: OptionArguments<'a, 'l>,
}

/// [`SequenceArguments`] read and checked.
struct SequenceInputs<'h, E: Element> {
    engine: &'h Engine,
    model: &'h JavaSequenceModel,
    sequence: Vec<E>,
    seq_len: usize,
    options: Options<E>,
}

impl SequenceArguments<'_, '_> {
    /// The engine and model behind the handles, the sequence in the model's element type
    /// and the options checked against them.
    fn read<'h, E: Element>(&self, env: &Env<'_>) -> BindingResult<SequenceInputs<'h, E>> {
        let (engine, model) = handles(self.engine, self.model)?;
        let sequence = elements::<E>(env, self.sequence, "sequence")?;
        let seq_len = seq_len_of(self.seq_len)?;
        let options = self.options.read::<E>(env, model.signature().features, Some(seq_len))?;
        Ok(SequenceInputs { engine, model, sequence, seq_len, options })
    }
}

/// The engine and sequence model behind two handles.
fn handles<'a>(engine: jlong, model: jlong) -> BindingResult<(&'a Engine, &'a JavaSequenceModel)> {
    // SAFETY: both handles come from the Java handles that guard this call (see `handles`).
    let engine = unsafe { borrow::<Engine>(engine, "engine") }?;
    // SAFETY: as above.
    let model = unsafe { borrow::<JavaSequenceModel>(model, "model") }?;
    Ok((engine, model))
}

/// The element type of the sequence model behind `model`.
fn element_of(model: jlong) -> BindingResult<ElementType> {
    // SAFETY: the handle comes from the Java handle that guards this call.
    let model = unsafe { borrow::<JavaSequenceModel>(model, "model") }?;
    Ok(model.signature().element_type)
}

/// A Java `int` sequence length.
fn seq_len_of(seq_len: jint) -> BindingResult<usize> {
    count(seq_len, "seqLen")
}

#[allow(clippy::too_many_arguments)]
fn inner_sequence_model_new(
    env: &mut Env<'_>,
    bridge: &JObject<'_>,
    features: jint,
    output_len: jint,
    max_batch_rows: jint,
    concurrent: jboolean,
    feature_names: &JObjectArray<'_, JString<'_>>,
    state_len: jint,
    element: jint,
) -> BindingResult<jlong> {
    let signature = SequenceSignature {
        features: count(features, "features")?,
        output_len: count(output_len, "outputLen")?,
        max_batch_rows: Some(count(max_batch_rows, "maxBatchRows")?).filter(|&n| n > 0),
        concurrent,
        feature_names: optional_strings(env, feature_names, "featureNames")?,
        state_len: Some(count(state_len, "stateLen")?).filter(|&n| n > 0),
        element_type: element_type(element)?,
    };
    Ok(into_handle(JavaSequenceModel::new(env, bridge, signature)?))
}

/// `long sequenceModelNew(Object bridge, int features, int outputLen, int maxBatchRows,
/// boolean concurrent, String[] featureNames, int stateLen, int elementType)`: registers a
/// Java sequence model (`maxBatchRows` 0 = no limit; `stateLen` 0 = no state methods;
/// `elementType` 0: a `SequenceModelBridge` over floats, 1: a `DoubleSequenceModelBridge`).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_sequenceModelNew<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    bridge: JObject<'l>,
    features: jint,
    output_len: jint,
    max_batch_rows: jint,
    concurrent: jboolean,
    feature_names: JObjectArray<'l, JString<'l>>,
    state_len: jint,
    element: jint,
) -> jlong {
    env.with_env(|env| {
        inner_sequence_model_new(
            env,
            &bridge,
            features,
            output_len,
            max_batch_rows,
            concurrent,
            &feature_names,
            state_len,
            element,
        )
    })
    .resolve::<ThrowLumenException>()
}

/// `void sequenceModelFree(long model)`: releases a sequence model once; 0 is a no-op.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_sequenceModelFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    model: jlong,
) {
    env.with_env(|_| -> BindingResult<()> {
        // SAFETY: `dev.lumen.SequenceModelHandle` frees its handle exactly once, after its last use.
        unsafe { free::<JavaSequenceModel>(model) };
        Ok(())
    })
    .resolve::<ThrowLumenException>()
}

/// Prunes the sequence of `arguments` on the call's control and returns `values(pruning)`
/// as a `double[]` (reporting the call finished once they are computed): what
/// `timeshapPrune` and `timeshapPruningCurve` share.
fn pruned_doubles<'l, E: Element>(
    env: &mut Env<'l>,
    call: jlong,
    arguments: SequenceArguments<'_, '_>,
    full_curve: bool,
    values: impl FnOnce(&Pruning) -> BindingResult<Vec<f64>>,
) -> BindingResult<JDoubleArray<'l>> {
    let _control = crate::calls::enter(call)?;
    let SequenceInputs { engine, model, sequence, seq_len, options } = arguments.read::<E>(env)?;
    let call = SequenceModelCall::new(model);
    let pruning = call.check(timeshap_prune(engine, &call, &sequence, seq_len, &options.params, full_curve))?;
    let out = values(&pruning)?;
    finish_current();
    new_doubles(env, &out)
}

/// The values of one pruning of a sequence: `{prunedLen, then split, newerLen, olderValue,
/// newerValue per curve point}`.
fn prune_values(pruning: &Pruning) -> BindingResult<Vec<f64>> {
    let mut out = vec![pruning.pruned_len as f64];
    for p in &pruning.curve {
        out.extend([p.split as f64, p.newer_len as f64, p.older_value, p.newer_value]);
    }
    Ok(out)
}

/// The whole curve of one pruning in the `timeshap` package's form: `{pruningIndex, then t,
/// olderValue, newerValue per point}`.
fn curve_values(pruning: &Pruning) -> BindingResult<Vec<f64>> {
    let points = pruning
        .timeshap_curve()
        .ok_or_else(|| Error::new(ErrorKind::Internal, "the full pruning curve came back incomplete"))?;
    let mut out = vec![pruning.pruning_index() as f64];
    for p in &points {
        out.extend([p.t as f64, p.older_value, p.newer_value]);
    }
    Ok(out)
}

/// `double[] timeshapPrune(long call, long engine, long model, Object sequence, int seqLen, Object
/// background, Object trainingEvents, int[] ints, double[] reals, boolean fullCurve)`:
/// `{prunedLen, then split, newerLen, olderValue, newerValue per curve point}` (arrays in
/// the model's element type).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapPrune<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    sequence: JObject<'l>,
    seq_len: jint,
    background: JObject<'l>,
    training_events: JObject<'l>,
    ints: JIntArray<'l>,
    reals: JDoubleArray<'l>,
    full_curve: jboolean,
) -> JDoubleArray<'l> {
    env.with_env(|env| {
        let options =
            OptionArguments { background: &background, training_events: &training_events, ints: &ints, reals: &reals };
        let arguments = SequenceArguments { engine, model, sequence: &sequence, seq_len, options };
        per_element!(element_of(model)?, pruned_doubles(env, call, arguments, full_curve, prune_values))
    })
    .resolve::<ThrowLumenException>()
}

/// `double[] timeshapPruningCurve(long call, long engine, long model, Object sequence, int
/// seqLen, Object background, Object trainingEvents, int[] ints, double[] reals)`: the whole
/// curve in the `timeshap` package's form, `{pruningIndex, then t, olderValue, newerValue per
/// point}` for t = 0 down to -seqLen.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapPruningCurve<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    sequence: JObject<'l>,
    seq_len: jint,
    background: JObject<'l>,
    training_events: JObject<'l>,
    ints: JIntArray<'l>,
    reals: JDoubleArray<'l>,
) -> JDoubleArray<'l> {
    env.with_env(|env| {
        let options =
            OptionArguments { background: &background, training_events: &training_events, ints: &ints, reals: &reals };
        let arguments = SequenceArguments { engine, model, sequence: &sequence, seq_len, options };
        per_element!(element_of(model)?, pruned_doubles(env, call, arguments, true, curve_values))
    })
    .resolve::<ThrowLumenException>()
}

fn inner_explain<E: Element>(
    env: &mut Env<'_>,
    call: jlong,
    arguments: SequenceArguments<'_, '_>,
    level: jint,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let SequenceInputs { engine, model, sequence, seq_len, options } = arguments.read::<E>(env)?;
    let call = SequenceModelCall::new(model);
    let params = &options.params;
    let explanation = match level {
        0 => timeshap_event(engine, &call, &sequence, seq_len, params),
        1 => timeshap_feature(engine, &call, &sequence, seq_len, params),
        2 => timeshap_cell(engine, &call, &sequence, seq_len, params, &options.relevance),
        other => {
            return Err(
                Error::invalid("level", format!("is {other}, expected 0 (event), 1 (feature) or 2 (cell)")).into()
            )
        }
    };
    let explanation = call.check(explanation)?;
    explanation.explanation.ensure_finite()?;
    finish_current();
    Ok(into_handle(explanation))
}

/// `long timeshapExplain(long call, long engine, long model, Object sequence, int seqLen, int level,
/// Object background, Object trainingEvents, int[] ints, double[] reals)`: the handle of
/// a TimeSHAP explanation at level 0 (events), 1 (features) or 2 (cells) (arrays in the
/// model's element type).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapExplain<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    sequence: JObject<'l>,
    seq_len: jint,
    level: jint,
    background: JObject<'l>,
    training_events: JObject<'l>,
    ints: JIntArray<'l>,
    reals: JDoubleArray<'l>,
) -> jlong {
    env.with_env(|env| {
        let options =
            OptionArguments { background: &background, training_events: &training_events, ints: &ints, reals: &reals };
        let arguments = SequenceArguments { engine, model, sequence: &sequence, seq_len, options };
        per_element!(element_of(model)?, inner_explain(env, call, arguments, level))
    })
    .resolve::<ThrowLumenException>()
}

/// The TimeSHAP explanation behind `handle`.
fn timeshap_explanation<'a>(handle: jlong) -> BindingResult<&'a TimeShapExplanation> {
    // SAFETY: the handle comes from `dev.lumen.TimeShapExplanation.read`, which frees it last.
    unsafe { borrow::<TimeShapExplanation>(handle, "explanation") }
}

/// The kind, event and feature of a player (-1 where it has none).
fn player_code(player: &Player) -> [i64; 3] {
    match *player {
        Player::Event { event } => [0, event as i64, -1],
        Player::Feature { feature } => [1, -1, feature as i64],
        Player::Cell { event, feature } => [2, event as i64, feature as i64],
        Player::OtherFeaturesOfEvent { event } => [3, event as i64, -1],
        Player::OtherEventsOfFeature { feature } => [4, -1, feature as i64],
        Player::OtherCells => [5, -1, -1],
        Player::PrunedEvents => [6, -1, -1],
    }
}

fn inner_parts<'l>(env: &mut Env<'l>, handle: jlong) -> BindingResult<JIntArray<'l>> {
    let t = timeshap_explanation(handle)?;
    let mut values: Vec<jint> = vec![jint::from(t.exact), t.pruning.pruned_len as jint, t.players.len() as jint];
    values.extend(t.players.iter().flat_map(player_code).map(|v| v as jint));
    values.push(t.pruning.sequence_len as jint);
    let array = JIntArray::new(env, values.len())?;
    array.set_region(env, 0, &values)?;
    Ok(array)
}

/// `int[] timeshapParts(long explanation)`: `{exact, prunedLen, players, then kind, event,
/// feature per player, then the sequence length}` (kinds 0 event, 1 feature, 2 cell, 3
/// other features of an event, 4 other events of a feature, 5 other cells, 6 pruned
/// events; -1 for no index).
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapParts<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JIntArray<'l> {
    env.with_env(|env| inner_parts(env, handle)).resolve::<ThrowLumenException>()
}

fn inner_timeshap_names<'l>(env: &mut Env<'l>, handle: jlong) -> BindingResult<JObjectArray<'l, JString<'l>>> {
    let names = &timeshap_explanation(handle)?.timeshap_names;
    let array = JObjectArray::<JString>::new(env, names.len(), JString::null())?;
    for (i, name) in names.iter().enumerate() {
        let text = env.new_string(name)?.auto();
        array.set_element(env, i, &*text)?;
    }
    Ok(array)
}

/// `String[] timeshapNames(long explanation)`: the players' names as the `timeshap`
/// package writes them, in the order of the values.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapNames<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JObjectArray<'l, JString<'l>> {
    env.with_env(|env| inner_timeshap_names(env, handle)).resolve::<ThrowLumenException>()
}

/// `long timeshapExplanation(long explanation)`: a new `Explanation` handle holding a copy
/// of the TimeSHAP explanation's values, names, prediction, base value and audit.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapExplanation<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jlong {
    env.with_env(|_| -> BindingResult<jlong> { Ok(into_handle(timeshap_explanation(handle)?.explanation.clone())) })
        .resolve::<ThrowLumenException>()
}

/// `void timeshapFree(long explanation)`: frees a TimeSHAP explanation once; 0 is a no-op.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    env.with_env(|_| -> BindingResult<()> {
        // SAFETY: `dev.lumen.TimeShapExplanation.read` frees its handle exactly once, after its last use.
        unsafe { free::<TimeShapExplanation>(handle) };
        Ok(())
    })
    .resolve::<ThrowLumenException>()
}

#[allow(clippy::too_many_arguments)]
fn inner_global<E: Element>(
    env: &mut Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    sequences: &JObject<'_>,
    lengths: &JIntArray<'_>,
    options: OptionArguments<'_, '_>,
    tolerances: &JDoubleArray<'_>,
    seeds: jint,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let (engine, model) = handles(engine, model)?;
    let data = elements::<E>(env, sequences, "sequences")?;
    let lengths = indices(env, lengths, "lengths")?;
    let o = options.read::<E>(env, model.signature().features, None)?;
    let tolerances = optional_doubles(env, tolerances)?.unwrap_or_default();
    let mut params = GlobalParams::new(o.params, tolerances);
    params.seeds = u32::try_from(seeds).map_err(|_| Error::invalid("seeds", format!("is {seeds}, expected >= 2")))?;
    let call = SequenceModelCall::new(model);
    let report = call.check(timeshap_global(engine, &call, &data, &lengths, &params))?;
    finish_current();
    Ok(into_handle(report))
}

/// `long timeshapGlobal(long call, long engine, long model, Object sequences, int[] lengths, Object
/// background, Object trainingEvents, int[] ints, double[] reals, double[] tolerances,
/// int seeds)`: the handle of a global report (arrays in the model's element type).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapGlobal<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    sequences: JObject<'l>,
    lengths: JIntArray<'l>,
    background: JObject<'l>,
    training_events: JObject<'l>,
    ints: JIntArray<'l>,
    reals: JDoubleArray<'l>,
    tolerances: JDoubleArray<'l>,
    seeds: jint,
) -> jlong {
    env.with_env(|env| {
        let options =
            OptionArguments { background: &background, training_events: &training_events, ints: &ints, reals: &reals };
        per_element!(
            element_of(model)?,
            inner_global(env, call, engine, model, &sequences, &lengths, options, &tolerances, seeds)
        )
    })
    .resolve::<ThrowLumenException>()
}

/// The global report behind `handle`.
fn global<'a>(handle: jlong) -> BindingResult<&'a GlobalReport> {
    // SAFETY: the handle comes from `dev.lumen.TimeShapGlobal.read`, which frees it last.
    unsafe { borrow::<GlobalReport>(handle, "report") }
}

fn summary_values(s: &Summary) -> [f64; 6] {
    [s.count as f64, s.mean, s.std, s.median, s.min, s.max]
}

fn inner_global_values<'l>(env: &mut Env<'l>, handle: jlong, which: jint) -> BindingResult<JDoubleArray<'l>> {
    let r = global(handle)?;
    let values: Vec<f64> = match which {
        0 => r.event_importance.iter().flat_map(|d| summary_values(&d.summary)).collect(),
        1 => r.feature_importance.iter().flat_map(|f| summary_values(&f.summary)).collect(),
        2 => summary_values(&r.most_recent_share).to_vec(),
        3 => r
            .pruning_table
            .iter()
            .flat_map(|row| {
                [row.tolerance, row.mean_len, row.median_len, row.max_len as f64, row.exact_share, row.relative_std]
            })
            .collect(),
        4 => vec![r.sequences as f64],
        other => return Err(Error::invalid("which", format!("is {other}, expected 0..=4")).into()),
    };
    new_doubles(env, &values)
}

/// `double[] timeshapGlobalValues(long report, int which)`: summaries of 6 values (count,
/// mean, std, median, min, max) of the event importance by distance (0), the feature
/// importance (1) or the most recent share (2); the pruning table (3: tolerance, mean,
/// median and max length, exact share, relative std per row); the sequence count (4).
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapGlobalValues<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    which: jint,
) -> JDoubleArray<'l> {
    env.with_env(|env| inner_global_values(env, handle, which)).resolve::<ThrowLumenException>()
}

/// `String timeshapGlobalToJson(long report)`: the report as JSON.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapGlobalToJson<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JObject<'l> {
    env.with_env(|env| -> BindingResult<JObject<'l>> { Ok(env.new_string(global(handle)?.to_json()?)?.into()) })
        .resolve::<ThrowLumenException>()
}

/// `void timeshapGlobalFree(long report)`: frees a global report once; 0 is a no-op.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_timeshapGlobalFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    env.with_env(|_| -> BindingResult<()> {
        // SAFETY: `dev.lumen.TimeShapGlobal.read` frees its handle exactly once, after its last use.
        unsafe { free::<GlobalReport>(handle) };
        Ok(())
    })
    .resolve::<ThrowLumenException>()
}
