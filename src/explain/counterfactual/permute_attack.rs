//! PermuteAttack's entry point: parameters, checks, the runs of every instance and the
//! choice of `k` diverse counterfactuals among what the runs found.

use rayon::prelude::*;
use serde::Serialize;

use super::gibbs::{GibbsOptions, GibbsResampler};
use super::schema::{ColumnResampler, FeatureKind, Resampler, Schema, TrainingTable};
use super::search::{
    bit_pattern, class_probability, predicted_class, Candidate, Instance, RunResult, Settings, MEMO_ENTRY_OVERHEAD,
    MEMO_GENERATIONS,
};
use crate::element::Element;
use crate::engine::memory::WorkingSet;
use crate::engine::row_keys::{row_key_of_values, Purpose, RowStreams};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::explanation::{Counterfactual, Counterfactuals, InstanceCounterfactuals};
use crate::model::{Evaluator, Model, ModelSignature};
use crate::parallel;

/// A numeric feature's allowed `(min, max)`, or `None` when unconstrained.
type ValueRange = Option<(f64, f64)>;

/// The class a search aims for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetClass {
    /// Binary models: the other class; more classes: the most probable other class.
    Opposite,
    /// This class.
    Class(u32),
}

/// Where new feature values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// A uniform draw from the feature's training column.
    Column,
    /// Gibbs sampling from the feature's distribution given the other features' quantile
    /// bins (the paper's §3.2.7).
    Gibbs {
        /// Quantile bins per numeric feature (5 in the paper).
        bins: usize,
        /// Gibbs sweeps per draw (5 in the paper).
        iterations: usize,
    },
}

/// An allowed value range for a numeric feature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FeatureRange {
    /// The logical feature.
    pub feature: usize,
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
}

/// PermuteAttack's parameters (the paper's defaults where it gives them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PermuteAttackParams<E: Element = f32> {
    /// The logical features of the model's rows.
    pub schema: Schema,
    /// Training rows (model rows): every new value is drawn from them.
    #[serde(skip)]
    pub training: Vec<E>,
    /// The class to reach.
    pub target: TargetClass,
    /// Features that must never change.
    pub immutable: Vec<usize>,
    /// If set, only these features may change (e.g. sensitive attributes for a fairness probe).
    pub allow_list: Option<Vec<usize>>,
    /// Allowed value ranges of numeric features.
    pub ranges: Vec<FeatureRange>,
    /// Candidates per generation (30).
    pub population: usize,
    /// Parents drawn per generation (10).
    pub parents: usize,
    /// Generations per run (100).
    pub generations: usize,
    /// Independent runs per instance (10).
    pub runs: usize,
    /// Fitness penalty per changed feature (ρ0).
    pub rho0: f64,
    /// Fitness penalty per unit of L2 distance (ρ1).
    pub rho1: f64,
    /// Softmax temperature of parent selection (τ = 0.5).
    pub temperature: f64,
    /// Factor applied to ρ0 and ρ1 after a generation without success (0.96).
    pub decay: f64,
    /// Most features a counterfactual may change (δ0,max).
    pub max_changed: Option<usize>,
    /// Largest L2 distance a counterfactual may have (δ2,max), measured as
    /// [`Schema::distance`] does.
    pub max_distance: Option<f64>,
    /// The target class's probability a counterfactual must reach, e.g. a bank's approval
    /// cutoff; `None`: the model must predict the target class (its largest output).
    pub success_probability: Option<f64>,
    /// Counterfactuals reported per instance (k).
    pub counterfactuals: usize,
    /// Where new values come from.
    pub sampling: Sampling,
}

impl<E: Element> PermuteAttackParams<E> {
    /// The paper's settings over `schema` and `training`: population 30, 10 parents, 100
    /// generations, 10 runs, τ = 0.5, decay 0.96, Gibbs sampling with 5 bins and 5
    /// sweeps, 3 counterfactuals. ρ0 = 0.05 and ρ1 = 0.01 are Lumen's (the paper gives
    /// no values): a changed feature must buy five points of probability.
    pub fn new(schema: Schema, training: Vec<E>) -> Self {
        Self {
            schema,
            training,
            target: TargetClass::Opposite,
            immutable: Vec::new(),
            allow_list: None,
            ranges: Vec::new(),
            population: 30,
            parents: 10,
            generations: 100,
            runs: 10,
            rho0: 0.05,
            rho1: 0.01,
            temperature: 0.5,
            decay: 0.96,
            max_changed: None,
            max_distance: None,
            success_probability: None,
            counterfactuals: 3,
            sampling: Sampling::Gibbs { bins: 5, iterations: 5 },
        }
    }

    fn settings(&self) -> Settings {
        Settings {
            population: self.population,
            parents: self.parents,
            generations: self.generations,
            rho0: self.rho0,
            rho1: self.rho1,
            temperature: self.temperature,
            decay: self.decay,
            max_changed: self.max_changed,
            max_distance: self.max_distance,
            success_probability: self.success_probability,
            memo_capacity: self.population.saturating_mul(MEMO_GENERATIONS),
        }
    }

    /// Checks every setting; returns the mutable features and per-feature ranges.
    fn check(&self) -> Result<(Vec<usize>, Vec<ValueRange>)> {
        let features = self.schema.len();
        let positive = |name: &str, value: usize| {
            if value == 0 {
                Err(Error::invalid(name, "is 0, expected at least 1"))
            } else {
                crate::limits::at_most(name, value, crate::limits::MAX_SEARCH_SIZE)
            }
        };
        positive("population", self.population)?;
        positive("parents", self.parents)?;
        positive("generations", self.generations)?;
        positive("runs", self.runs)?;
        positive("counterfactuals", self.counterfactuals)?;
        if self.population < 2 {
            return Err(Error::invalid("population", "is 1, expected at least 2 (the elite and one child)"));
        }
        for (name, value) in [("rho0", self.rho0), ("rho1", self.rho1)] {
            if !value.is_finite() || value < 0.0 {
                return Err(Error::invalid(name, format!("is {value}, expected a finite number >= 0")));
            }
        }
        if !self.temperature.is_finite() || self.temperature <= 0.0 {
            return Err(Error::invalid("temperature", format!("is {}, expected > 0", self.temperature)));
        }
        if !(self.decay > 0.0 && self.decay <= 1.0) {
            return Err(Error::invalid("decay", format!("is {}, expected in (0, 1]", self.decay)));
        }
        if self.max_changed == Some(0) {
            return Err(Error::invalid("max_changed", "is 0, expected at least 1 (or no limit)"));
        }
        if let Some(d) = self.max_distance {
            if !(d.is_finite() && d > 0.0) {
                return Err(Error::invalid("max_distance", format!("is {d}, expected a finite distance > 0")));
            }
        }
        if let Some(p) = self.success_probability {
            if !(p > 0.0 && p <= 1.0) {
                return Err(Error::invalid("success_probability", format!("is {p}, expected in (0, 1]")));
            }
        }
        if let Sampling::Gibbs { bins, iterations } = self.sampling {
            positive("sampling.bins", bins)?;
            positive("sampling.iterations", iterations)?;
        }
        let in_range = |name: &str, list: &[usize]| match list.iter().find(|&&f| f >= features) {
            Some(f) => Err(Error::invalid(name, format!("names feature {f}, expected < {features}"))),
            None => Ok(()),
        };
        in_range("immutable", &self.immutable)?;
        in_range("allow_list", self.allow_list.as_deref().unwrap_or_default())?;
        let mut ranges = vec![None; features];
        for range in &self.ranges {
            in_range("ranges", &[range.feature])?;
            if !matches!(self.schema.features()[range.feature].kind, FeatureKind::Numeric { .. }) {
                return Err(Error::invalid(
                    "ranges",
                    format!("feature {} is categorical, expected numeric", range.feature),
                ));
            }
            if !(range.min.is_finite() && range.max.is_finite() && range.min <= range.max) {
                return Err(Error::invalid(
                    "ranges",
                    format!("[{}, {}] is not a finite interval", range.min, range.max),
                ));
            }
            ranges[range.feature] = Some((range.min, range.max));
        }
        let mutable: Vec<usize> = (0..features)
            .filter(|f| !self.immutable.contains(f))
            .filter(|f| self.allow_list.as_ref().is_none_or(|allowed| allowed.contains(f)))
            .collect();
        if mutable.is_empty() {
            return Err(Error::invalid("immutable", "leaves no feature that may change"));
        }
        Ok((mutable, ranges))
    }
}

/// Searches counterfactuals for `rows` rows of `inputs`. Deterministic given the
/// engine's seed: every run of every instance draws from its own random stream, so the
/// result does not depend on the thread count.
pub fn permute_attack<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &PermuteAttackParams<E>,
) -> Result<Counterfactuals> {
    engine.on_workers(|| permute_attack_in_task(engine, model, inputs, rows, params))
}

/// [`permute_attack`]'s work, as one task on the engine's workers.
fn permute_attack_in_task<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &PermuteAttackParams<E>,
) -> Result<Counterfactuals> {
    crate::explain::row_targets::refuse_row_targets("PermuteAttack", "set its target class in the options")?;
    let signature = model.signature();
    super::super::check_inputs(signature, inputs, rows)?;
    if params.schema.row_len() != signature.input_len() {
        return Err(Error::length("schema", params.schema.row_len(), format!("input_len = {}", signature.input_len())));
    }
    let classes = signature.output_len.max(2);
    if let TargetClass::Class(c) = params.target {
        if c as usize >= classes {
            return Err(Error::invalid("target", format!("class {c}, expected < {classes}")));
        }
    }
    let (mutable, ranges) = params.check()?;
    let training: Vec<f64> = params.training.iter().map(|v| v.widen()).collect();
    let table = TrainingTable::new(&params.schema, &training)?;
    let column = ColumnResampler { table: &table };
    let gibbs = match params.sampling {
        Sampling::Gibbs { bins, iterations } => Some(GibbsResampler::with_options(
            &params.schema,
            &table,
            GibbsOptions { bins, iterations, ..GibbsOptions::default() },
        )?),
        Sampling::Column => None,
    };
    let resampler: &dyn Resampler = match &gibbs {
        Some(gibbs) => gibbs,
        None => &column,
    };
    let mut settings = params.settings();
    let row_len = signature.input_len();
    settings.memo_capacity = memo_capacity(engine, signature, params)?;
    let wide_inputs: Vec<f64> = inputs.iter().map(|v| v.widen()).collect();
    let logical_rows =
        wide_inputs.chunks_exact(row_len).map(|row| params.schema.decode(row, "inputs")).collect::<Result<Vec<_>>>()?;
    // Keyed by the decoded row, so a row draws the same whatever its encoding.
    let streams = RowStreams::for_rows(engine, logical_rows.len(), |r| row_key_of_values(&logical_rows[r]))?;
    let instances = inputs
        .chunks_exact(row_len)
        .zip(wide_inputs.chunks_exact(row_len))
        .zip(logical_rows)
        .enumerate()
        .map(|(index, ((model_row, row), logical))| {
            let evaluator = Evaluator::new(model);
            let mut model_outputs = vec![E::zero(); signature.output_len];
            evaluator.predict(model_row, 1, &mut model_outputs)?;
            let outputs: Vec<f64> = model_outputs.iter().map(|v| v.widen()).collect();
            let original_class = predicted_class(&outputs);
            let target = match params.target {
                TargetClass::Class(c) => c as usize,
                TargetClass::Opposite => opposite(&outputs, original_class, classes),
            };
            let original_probability = class_probability(&outputs, target);
            let already_at_target = match params.success_probability {
                Some(cutoff) => original_probability >= cutoff,
                None => original_class == target,
            };
            if already_at_target {
                return Ok(InstanceCounterfactuals {
                    original_class: original_class as u32,
                    target_class: target as u32,
                    original_probability: E::TYPE.round(original_probability),
                    already_at_target,
                    counterfactuals: Vec::new(),
                    model_rows_evaluated: evaluator.rows_evaluated(),
                });
            }
            let instance = Instance {
                evaluator: &evaluator,
                schema: &params.schema,
                resampler,
                column,
                row,
                logical: &logical,
                target,
                original_probability,
                mutable: &mutable,
                ranges: &ranges,
                settings: &settings,
            };
            let run = |r: usize| instance.run(&mut streams.rng(index, Purpose::PermuteAttack, r as u64));
            let results: Vec<RunResult> = if signature.concurrent {
                parallel::collect::<_, Result<_>>((0..params.runs).into_par_iter().map(run))?
            } else {
                (0..params.runs).map(run).collect::<Result<_>>()?
            };
            Ok(InstanceCounterfactuals {
                original_class: original_class as u32,
                target_class: target as u32,
                original_probability: E::TYPE.round(instance.original_probability),
                already_at_target,
                counterfactuals: choose::<E>(results, params.counterfactuals),
                model_rows_evaluated: evaluator.rows_evaluated(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut parameters = super::super::parameters_json(params)?;
    parameters["training_rows"] = table.rows().into();
    let model_rows = instances.iter().map(|i| i.model_rows_evaluated).sum();
    Ok(Counterfactuals {
        method: "permute_attack",
        parameters,
        audit: super::super::audit::<E>(engine, Some(&streams), model_rows),
        feature_names: params.schema.features().iter().map(|f| f.name.clone()).collect(),
        instances,
    })
}

/// What the search of one row keeps with `runs` runs searched at once: their populations
/// (each individual as a logical row, an encoded row, its model outputs, its scored
/// candidate and its entry in the generation's lookup of distinct candidates, across two
/// generations) and the successes every run keeps (counted as one population's worth per
/// run).
fn search_working_set<E: Element>(
    engine: &Engine,
    signature: &ModelSignature,
    params: &PermuteAttackParams<E>,
    runs: usize,
) -> WorkingSet {
    let (features, row_len) = (params.schema.len(), signature.input_len());
    let candidate = features.saturating_mul(12).saturating_add(row_len.saturating_mul(4)).saturating_add(120);
    let individual = candidate
        .saturating_add(features.saturating_mul(12).saturating_add(80))
        .saturating_add(row_len.saturating_mul(4))
        .saturating_add(signature.output_len.saturating_mul(8).saturating_add(64));
    engine
        .working_set()
        .hold("the populations searched at once", runs.saturating_mul(params.population), individual)
        .hold("the successes the runs keep", params.runs.saturating_mul(params.population), candidate)
}

/// How many distinct candidates' outputs each run remembers, `BudgetTooSmall` when the
/// search's working set does not fit: [`MEMO_GENERATIONS`] populations' worth, or what
/// half of the budget left beside the working set of every run searched at once holds
/// (the budget also covers what the working set does not count: the training table, the
/// resampler, the engine). Fewer only means more model rows, never other results; sized
/// for every run at once, it does not depend on the thread count.
fn memo_capacity<E: Element>(
    engine: &Engine,
    signature: &ModelSignature,
    params: &PermuteAttackParams<E>,
) -> Result<usize> {
    let at_once = if signature.concurrent { params.runs.min(engine.threads()) } else { 1 };
    search_working_set(engine, signature, params, at_once).batch_budget(0)?;
    let held = search_working_set(engine, signature, params, params.runs).held();
    let left = engine.memory_budget_bytes().saturating_sub(held);
    let entry =
        params.schema.len().saturating_add(signature.output_len).saturating_mul(8).saturating_add(MEMO_ENTRY_OVERHEAD);
    let affordable = left / 2 / entry.saturating_mul(params.runs);
    Ok(affordable.min(params.population.saturating_mul(MEMO_GENERATIONS)))
}

/// The other class of a binary model, else the most probable class but `original`.
fn opposite(outputs: &[f64], original: usize, classes: usize) -> usize {
    (0..classes).filter(|&c| c != original).fold(usize::MAX, |best, c| {
        if best == usize::MAX || class_probability(outputs, c) > class_probability(outputs, best) {
            c
        } else {
            best
        }
    })
}

/// Up to `k` counterfactuals: successes ordered by fewest changes, then distance, then
/// target probability, taking distinct sets of changed features first (diversity);
/// without any success, the runs' distinct fittest candidates that change something,
/// closest to the target first, flagged unsuccessful.
fn choose<E: Element>(results: Vec<RunResult>, k: usize) -> Vec<Counterfactual> {
    let mut seen = std::collections::HashSet::new();
    let mut successes: Vec<Candidate> = Vec::new();
    let mut fallbacks: Vec<Candidate> = Vec::new();
    for result in results {
        successes.extend(result.successes.into_iter().filter(|c| seen.insert(bit_pattern(&c.logical))));
        fallbacks.extend(result.best);
    }
    let pool = if successes.is_empty() {
        // Runs decay their penalties differently, so rank fallbacks by what they reach.
        fallbacks.sort_by(|a, b| {
            b.target_probability.total_cmp(&a.target_probability).then(a.changed.len().cmp(&b.changed.len()))
        });
        let mut distinct = std::collections::HashSet::new();
        fallbacks.retain(|c| distinct.insert(bit_pattern(&c.logical)));
        fallbacks
    } else {
        successes.sort_by(|a, b| {
            a.changed
                .len()
                .cmp(&b.changed.len())
                .then(a.distance.total_cmp(&b.distance))
                .then(b.target_probability.total_cmp(&a.target_probability))
        });
        successes
    };
    let mut chosen: Vec<&Candidate> = Vec::with_capacity(k);
    for candidate in &pool {
        if chosen.len() < k && !chosen.iter().any(|c| c.changed == candidate.changed) {
            chosen.push(candidate);
        }
    }
    for candidate in &pool {
        if chosen.len() < k && !chosen.iter().any(|c| std::ptr::eq(*c, candidate)) {
            chosen.push(candidate);
        }
    }
    chosen
        .into_iter()
        .map(|c| Counterfactual {
            row: c.row.clone(),
            changed: c.changed.clone(),
            target_probability: E::TYPE.round(c.target_probability),
            predicted_class: c.predicted_class as u32,
            success: c.success,
            distance: E::TYPE.round(c.distance),
        })
        .collect()
}
