//! KernelSHAP and Shapley Value Sampling.

use jni::objects::{JClass, JDoubleArray, JIntArray, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jdouble, jint, jlong};
use jni::{Env, EnvUnowned};
use lumen::explain::shapley::{
    kernel_shap, shapley_value_sampling, Background, Estimator, KernelShapParams, Link, ShapleyGame,
    ShapleySamplingParams,
};
use lumen::{Element, Error};

use super::{element_of, explain, input_len, per_element};
use crate::arrays::{count, elements, optional_doubles, optional_ids, optional_strings};
use crate::error::{BindingResult, ThrowLumenException};

/// The Java arguments that describe a Shapley game.
struct GameArguments<'a, 'l> {
    background: &'a JObject<'l>,
    weights: &'a JDoubleArray<'l>,
    players: &'a JIntArray<'l>,
    player_names: &'a JObjectArray<'l, JString<'l>>,
    targets: &'a JIntArray<'l>,
    logit: jboolean,
}

impl GameArguments<'_, '_> {
    fn game<E: Element>(&self, env: &mut Env<'_>, model: jlong) -> BindingResult<ShapleyGame<E>> {
        let background = Background::new(
            elements::<E>(env, self.background, "background")?,
            input_len(model)?,
            optional_doubles(env, self.weights)?,
        )?;
        Ok(ShapleyGame {
            background,
            players: optional_ids(env, self.players, "players")?,
            player_names: optional_strings(env, self.player_names, "playerNames")?,
            targets: optional_ids(env, self.targets, "targets")?,
            link: if self.logit { Link::Logit } else { Link::Identity },
        })
    }
}

/// KernelSHAP's estimator and accuracy-driven budget, as Java passes them.
struct Accuracy {
    /// 0 the engine's default, 1 shap, 2 leverage, 3 leverage stratified, 4 leverage
    /// interactions, 5 leverage top triples (the C ABI's `LUMEN_ESTIMATOR_*` numbers).
    estimator: jint,
    /// 0: none (a fixed budget).
    target_standard_error: jdouble,
    /// 0: the engine's cap.
    max_budget: jint,
}

/// Shapley Value Sampling's pairs and accuracy-driven rounds, as Java passes them.
struct PairArguments {
    /// Antithetic pairs per row (the first round's with a target).
    permutation_pairs: jint,
    /// 0: none (one round).
    target_standard_error: jdouble,
    /// 0: the engine's cap.
    max_permutation_pairs: jint,
}

/// The estimator of a Java `Estimator` code (0 the engine's default, then the C ABI's
/// `LUMEN_ESTIMATOR_*` numbers); KernelSHAP's and TimeSHAP's options share it.
pub(crate) fn estimator(code: jint) -> BindingResult<Estimator> {
    match code {
        0 => Ok(Estimator::default()),
        1 => Ok(Estimator::Shap),
        2 => Ok(Estimator::Leverage),
        3 => Ok(Estimator::LeverageStratified),
        4 => Ok(Estimator::LeverageInteractions),
        5 => Ok(Estimator::LeverageTopTriples),
        other => Err(Error::invalid(
            "estimator",
            format!(
                "is {other}, expected 0 (default), 1 (shap), 2 (leverage), 3 (leverage stratified), \
                 4 (leverage interactions) or 5 (leverage top triples)"
            ),
        )
        .into()),
    }
}

impl Accuracy {
    fn estimator(&self) -> BindingResult<Estimator> {
        estimator(self.estimator)
    }
}

#[allow(clippy::too_many_arguments)]
fn inner_kernel_shap<E: Element>(
    env: &mut Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JObject<'_>,
    rows: jint,
    game: GameArguments<'_, '_>,
    budget: jint,
    error_batches: jint,
    accuracy: Accuracy,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = elements::<E>(env, inputs, "inputs")?;
    let rows = count(rows, "rows")?;
    let error_batches = u32::try_from(error_batches).map_err(|_| {
        Error::invalid("errorBatches", format!("is {error_batches}, expected >= 2 (or 0: the default)"))
    })?;
    // The engine's defaults for every parameter the Java API does not set.
    let mut params = KernelShapParams::new(game.game::<E>(env, model)?);
    params.budget = Some(count(budget, "budget")?).filter(|&b| b > 0);
    if error_batches > 0 {
        params.error_batches = error_batches;
    }
    params.estimator = accuracy.estimator()?;
    params.target_standard_error = (accuracy.target_standard_error != 0.0).then_some(accuracy.target_standard_error);
    params.max_budget = Some(count(accuracy.max_budget, "maxBudget")?).filter(|&b| b > 0);
    explain(engine, model, |engine, model| kernel_shap(engine, model, &inputs, rows, &params))
}

/// `long kernelShap(long call, long engine, long model, Object inputs, int rows, Object background,
/// double[] backgroundWeights, int[] players, String[] playerNames, int[] targets, boolean
/// logit, int budget, int errorBatches, int estimator, double targetStandardError, int
/// maxBudget)`: the explanation handle (budget 0: the engine's default; errorBatches 0: the
/// engine's default; estimator 0: the default, 1 shap, 2 leverage, 3 leverage stratified, 4
/// leverage interactions; targetStandardError 0: a fixed budget; maxBudget 0: the engine's
/// cap; `inputs` and `background` a `float[]` for a float model, a `double[]` for a double one).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_kernelShap<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JObject<'l>,
    rows: jint,
    background: JObject<'l>,
    weights: JDoubleArray<'l>,
    players: JIntArray<'l>,
    player_names: JObjectArray<'l, JString<'l>>,
    targets: JIntArray<'l>,
    logit: jboolean,
    budget: jint,
    error_batches: jint,
    estimator: jint,
    target_standard_error: jdouble,
    max_budget: jint,
) -> jlong {
    env.with_env(|env| {
        let game = GameArguments {
            background: &background,
            weights: &weights,
            players: &players,
            player_names: &player_names,
            targets: &targets,
            logit,
        };
        let accuracy = Accuracy { estimator, target_standard_error, max_budget };
        per_element!(
            element_of(model)?,
            inner_kernel_shap(env, call, engine, model, &inputs, rows, game, budget, error_batches, accuracy)
        )
    })
    .resolve::<ThrowLumenException>()
}

#[allow(clippy::too_many_arguments)]
fn inner_shapley_sampling<E: Element>(
    env: &mut Env<'_>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: &JObject<'_>,
    rows: jint,
    game: GameArguments<'_, '_>,
    pairs: PairArguments,
) -> BindingResult<jlong> {
    let _control = crate::calls::enter(call)?;
    let inputs = elements::<E>(env, inputs, "inputs")?;
    let rows = count(rows, "rows")?;
    let game = game.game::<E>(env, model)?;
    let max_permutation_pairs = count(pairs.max_permutation_pairs, "maxPermutationPairs")?;
    let params = ShapleySamplingParams {
        permutation_pairs: count(pairs.permutation_pairs, "permutationPairs")?,
        target_standard_error: (pairs.target_standard_error != 0.0).then_some(pairs.target_standard_error),
        max_permutation_pairs: (max_permutation_pairs > 0).then_some(max_permutation_pairs),
        ..ShapleySamplingParams::new(game)
    };
    explain(engine, model, |engine, model| shapley_value_sampling(engine, model, &inputs, rows, &params))
}

/// `long shapleySampling(long call, long engine, long model, Object inputs, int rows, Object
/// background, double[] backgroundWeights, int[] players, String[] playerNames, int[]
/// targets, boolean logit, int permutationPairs, double targetStandardError, int
/// maxPermutationPairs)`: the explanation handle (arrays in the model's element type).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_shapleySampling<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    engine: jlong,
    model: jlong,
    inputs: JObject<'l>,
    rows: jint,
    background: JObject<'l>,
    weights: JDoubleArray<'l>,
    players: JIntArray<'l>,
    player_names: JObjectArray<'l, JString<'l>>,
    targets: JIntArray<'l>,
    logit: jboolean,
    permutation_pairs: jint,
    target_standard_error: jdouble,
    max_permutation_pairs: jint,
) -> jlong {
    env.with_env(|env| {
        let game = GameArguments {
            background: &background,
            weights: &weights,
            players: &players,
            player_names: &player_names,
            targets: &targets,
            logit,
        };
        let pairs = PairArguments { permutation_pairs, target_standard_error, max_permutation_pairs };
        per_element!(element_of(model)?, inner_shapley_sampling(env, call, engine, model, &inputs, rows, game, pairs))
    })
    .resolve::<ThrowLumenException>()
}
