//! KernelSHAP (Lundberg & Lee, 2017): Shapley values as the solution of a weighted
//! linear regression over coalitions, constrained to local accuracy.
//!
//! Coalitions come from the chosen [`Estimator`] (exact enumeration whenever the budget
//! covers every coalition). Standard errors come from the delete-a-group jackknife over
//! the sampled units (with a finite-population correction), each widened to cover its
//! value's rounding to the model's element type
//! ([`ElementType::rounding_deviation`](crate::ElementType::rounding_deviation)) and the
//! solve's own; when they cannot be estimated the values are still returned and the errors
//! reported as unavailable.
//!
//! With a `target_standard_error`, sampling runs in rounds: after each round the values
//! and their standard errors are recomputed, and the schedule grows (keeping every
//! coalition already evaluated) until every standard error is at or below the target or
//! the budget cap is spent.

use rand::Rng;
use serde::Serialize;

use super::batched_cholesky::LANES;
use super::common::{
    checked_target, cover_rounding, largest, next_round_size, target_reached, Request, RowEstimate, ShapleyGame,
};
use super::estimator::{Estimator, Sampler};
use super::game::Game;
use super::interactions::{
    interaction_estimate, interaction_removal_bytes, interaction_score_bytes, interaction_sign_bytes,
    interaction_system_bytes, INTERACTION_SYSTEMS,
};
use super::jackknife::jackknife_standard_errors;
use super::schedule::{covers_all, default_budget};
use super::solve::constrained_wls;
use crate::element::{Element, ElementType};
use crate::engine::memory::WorkingSet;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::explain::row_targets::{by_row_target, TargetGroup, Targeted};
use crate::explanation::{Explanation, Method, SamplingDiagnostics};
use crate::model::Model;

/// Jackknife groups used for standard errors when the caller does not choose.
pub const DEFAULT_ERROR_BATCHES: u32 = 64;

/// With a target standard error and no budget, the first round's coalitions per player
/// (at least [`MIN_FIRST_ROUND`]).
const FIRST_ROUND_PER_PLAYER: usize = 8;

/// See [`FIRST_ROUND_PER_PLAYER`].
const MIN_FIRST_ROUND: usize = 64;

/// With a target standard error and no cap, the cap is this many times shap's default budget.
const DEFAULT_CAP_FACTOR: usize = 16;

/// KernelSHAP's parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelShapParams<E: Element = f32> {
    /// The game: background, players, outputs, link.
    #[serde(flatten)]
    pub game: ShapleyGame<E>,
    /// Coalitions evaluated per row (each over every background row); `None` means
    /// 2M + 2048, shap's default. With `target_standard_error`, the first round's budget
    /// (`None`: 8M, at least 64).
    pub budget: Option<usize>,
    /// The most jackknife groups the standard errors use (at least 2): sampled pairs are
    /// dealt to `min(pairs, error_batches)` groups, each left out once.
    pub error_batches: u32,
    /// How coalitions are sampled and weighted.
    pub estimator: Estimator,
    /// Sample in rounds until every value's standard error is at or below this (finite,
    /// `> 0`, in the units of the explained output), or until `max_budget` is spent.
    pub target_standard_error: Option<f64>,
    /// The most coalitions per row with `target_standard_error` (`None`: 16 × (2M + 2048)).
    pub max_budget: Option<usize>,
}

impl<E: Element> KernelShapParams<E> {
    /// Default budget, error groups and estimator over `game`, a fixed budget.
    pub fn new(game: ShapleyGame<E>) -> Self {
        Self {
            game,
            budget: None,
            error_batches: DEFAULT_ERROR_BATCHES,
            estimator: Estimator::default(),
            target_standard_error: None,
            max_budget: None,
        }
    }

    /// The checked sampling plan for `players` players.
    fn plan(&self, players: usize) -> Result<SamplingPlan> {
        if self.error_batches < 2 {
            return Err(Error::invalid(
                "error_batches",
                format!("is {}, expected at least 2 (a standard error needs two jackknife groups)", self.error_batches),
            ));
        }
        let Some(target) = self.target_standard_error else {
            if let Some(cap) = self.max_budget {
                return Err(Error::invalid(
                    "max_budget",
                    format!("is {cap}, but caps only rounds driven by target_standard_error, which is not set"),
                ));
            }
            let budget = self.budget.unwrap_or_else(|| default_budget(players));
            return Ok(SamplingPlan::fixed(self.estimator, budget, self.error_batches));
        };
        let target = checked_target(target)?;
        let first = self.budget.unwrap_or((FIRST_ROUND_PER_PLAYER * players).max(MIN_FIRST_ROUND));
        let cap = self.max_budget.unwrap_or(DEFAULT_CAP_FACTOR * default_budget(players)).max(2);
        if cap < first {
            return Err(Error::invalid(
                "max_budget",
                format!("is {cap}, expected at least the first round's budget {first}"),
            ));
        }
        Ok(SamplingPlan {
            estimator: self.estimator,
            budget: first,
            max_groups: self.error_batches,
            target: Some((target, cap)),
        })
    }
}

/// How one row is sampled: the estimator, the (first round's) budget, the jackknife
/// groups and, for accuracy-driven budgets, the target standard error and the cap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SamplingPlan {
    estimator: Estimator,
    budget: usize,
    max_groups: u32,
    target: Option<(f64, usize)>,
}

impl SamplingPlan {
    /// One round of `budget` coalitions by `estimator`, standard errors over at most
    /// `max_groups` jackknife groups.
    pub(crate) fn fixed(estimator: Estimator, budget: usize, max_groups: u32) -> Self {
        Self { estimator, budget, max_groups, target: None }
    }

    /// What one row's estimate keeps for `players` players and `targets` outputs, at the
    /// most coalitions this plan may draw: the coalitions with their weights, the
    /// sampler's set of those drawn, their values, and the larger of the least-squares
    /// design and the jackknife's normal equations (one Gram matrix per group with its
    /// moments' vectors, their sums and the factors solved side by side); for an
    /// interaction fit also its pairs, systems, sign bits, score terms, and each of the
    /// `threads` workers' removal buffers. An enumerated schedule is solved exactly,
    /// without the jackknife or the interaction fit.
    fn working_set(&self, set: WorkingSet, players: usize, targets: usize, threads: usize) -> WorkingSet {
        let drawn = self.target.map_or(self.budget, |(_, cap)| cap.max(self.budget));
        let coalitions = match u32::try_from(players) {
            Ok(p) if p < 63 => drawn.min((1usize << p) - 2).max(1),
            _ => drawn,
        };
        let words = players.div_ceil(64);
        let unknowns = players.saturating_sub(1);
        let sampled_groups = (self.max_groups as usize).min(coalitions);
        let groups = sampled_groups + 3;
        // A group's moments: its Gram matrix and right sides, two vectors of `n` and two of
        // `targets` entries, and four sums (`jackknife::Moments`).
        let gram = unknowns
            .saturating_mul(unknowns.saturating_add(targets))
            .saturating_add(unknowns.saturating_mul(2))
            .saturating_add(targets.saturating_mul(2))
            .saturating_add(4)
            .saturating_mul(8);
        let enumerated = covers_all(players, self.budget);
        // The design is freed before the jackknife accumulates its normal equations.
        let design = coalitions.saturating_mul(players.saturating_mul(8));
        // Per group its moments, those of the enumerated rows and of the whole sample, and
        // the leave-one-out systems factored side by side (`batched_cholesky`).
        let systems = sampled_groups + 2 + LANES;
        let jackknife = if enumerated { 0 } else { systems.saturating_mul(gram) };
        let set = set
            .hold("the coalitions", coalitions, words * 8 + 32)
            .hold(
                "the sampler's set of drawn coalitions",
                1,
                self.estimator.drawn_set_bytes(players, coalitions, self.budget),
            )
            .hold("their values", coalitions, targets.saturating_mul(8))
            .hold("the least-squares design or the jackknife's normal equations", 1, design.max(jackknife));
        let Some(terms) = self.estimator.interaction_terms().filter(|_| !enumerated) else {
            return set;
        };
        set.hold(
            "the interaction fit's pairs and replicates",
            coalitions / 2 + groups,
            targets.saturating_add(2).saturating_mul(8),
        )
        .hold("the interaction fit's replicate values", groups, targets.saturating_mul(players).saturating_mul(8))
        .hold("the interaction fit's normal equations", INTERACTION_SYSTEMS, interaction_system_bytes(players, terms))
        .hold("the interaction fit's sign bits", 1, interaction_sign_bytes(players, terms, coalitions / 2))
        .hold("the interaction fit's score terms", 1, interaction_score_bytes(players, terms))
        .hold(
            "the interaction fit's removal buffers (one per worker)",
            threads,
            interaction_removal_bytes(players, terms),
        )
    }
}

impl<E: Element> Targeted for KernelShapParams<E> {
    fn targets(&self) -> Option<&[u32]> {
        self.game.targets.as_deref()
    }
    fn for_group(&self, group: &TargetGroup<'_>, _row_len: usize) -> Self {
        let mut params = self.clone();
        params.game.targets = Some(vec![group.target]);
        params
    }
}

/// Explains `rows` rows of `inputs` by KernelSHAP. Deterministic given the engine's seed,
/// whatever the thread count.
pub fn kernel_shap<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &KernelShapParams<E>,
) -> Result<Explanation> {
    if let Some(explanation) = by_row_target(engine, model, inputs, rows, params, kernel_shap)? {
        return Ok(explanation);
    }
    let request = Request::new(engine, model, inputs, rows, &params.game)?;
    let plan = params.plan(request.players())?;
    let estimates = request.estimate_rows(|game, rng| estimate_row(game, &plan, rng))?;
    let mut parameters = super::super::parameters_json(params)?;
    parameters["budget"] = plan.budget.into();
    if let Some((_, cap)) = plan.target {
        parameters["max_budget"] = cap.into();
    }
    Ok(request.explanation(Method::KernelShap, parameters, estimates))
}

/// One row's KernelSHAP estimate on `game` by `plan`, drawing from `rng`: the constrained
/// weighted least-squares values per target, their jackknife standard errors (NaN when
/// unavailable, with the flag in the diagnostics) and the sampling facts.
pub(crate) fn estimate_row<E: Element>(
    game: &Game<'_, E>,
    plan: &SamplingPlan,
    rng: &mut impl Rng,
) -> Result<RowEstimate> {
    let m = game.players();
    let working = plan.working_set(game.engine().working_set(), m, game.targets().len(), game.engine().threads());
    game.limit_batches(working.batch_budget(game.min_batch_bytes())?);
    let prediction = game.prediction()?;
    let base = game.base()?;
    let t = prediction.len();
    let mut sampler = Sampler::new(plan.estimator, m, plan.budget, rng)?;
    let mut values: Vec<f64> = Vec::new();
    let mut rounds = 0u32;
    loop {
        let schedule = sampler.schedule();
        let words = schedule.coalitions.words();
        let evaluated = values.len() / t;
        values.extend(game.values(&schedule.coalitions.packed()[evaluated * words..], words)?);
        rounds += 1;
        let solved = Round::solve(schedule, &values, &base, &prediction, plan, E::TYPE);
        let next = plan.target.and_then(|(target, cap)| {
            if schedule.exact || schedule.len() >= cap {
                return None;
            }
            let next = match &solved {
                // Not identified yet: double the budget while rounds remain.
                Err(e) if e.kind() == ErrorKind::InvalidArgument => 2 * schedule.len(),
                Err(_) => return None,
                Ok(round) if target_reached(round.largest_error(), round.largest_sampling_error, target) => {
                    return None
                }
                Ok(round) => round.next_budget(schedule.len(), target),
            };
            Some(next.min(cap))
        });
        if let Some(next) = next {
            let before = schedule.len();
            sampler.grow(next, rng);
            if sampler.schedule().len() > before {
                continue;
            }
        }
        // Done, or nothing left to add (shap's draw limit, or every coalition drawn).
        let round = solved?;
        let sampling = round.diagnostics(rounds, sampler.schedule(), plan.target.map(|(target, _)| target));
        return Ok(RowEstimate {
            values: round.values,
            standard_errors: round.errors.unwrap_or_else(|| vec![f64::NAN; t * m]),
            prediction,
            base,
            rows_evaluated: game.rows_evaluated(),
            sampling: Some(sampling),
        });
    }
}

/// The values and standard errors after one round.
struct Round {
    /// `targets × M` values.
    values: Vec<f64>,
    /// Their standard errors; `None` when unavailable. A sampled value's covers also its
    /// rounding to the model's element type ([`cover_rounding`]).
    errors: Option<Vec<f64>>,
    /// The largest standard error from the samples alone, without the rounding; `None`
    /// when unavailable.
    largest_sampling_error: Option<f64>,
}

impl Round {
    /// Solves every target on `schedule` with coalition values `values`, by `plan`'s
    /// estimator, for values reported as `element`.
    fn solve(
        schedule: &super::schedule::Schedule,
        values: &[f64],
        base: &[f64],
        prediction: &[f64],
        plan: &SamplingPlan,
        element: ElementType,
    ) -> Result<Self> {
        let t = base.len();
        let linear_fit = |k: usize| {
            let y: Vec<f64> = (0..schedule.len()).map(|c| values[c * t + k]).collect();
            constrained_wls(&schedule.coalitions, &schedule.weights, &y, base[k], prediction[k])
        };
        let interactions = match plan.estimator.interaction_terms() {
            Some(terms) => {
                interaction_estimate(schedule, terms, values, base, prediction, plan.max_groups, linear_fit)?
            }
            None => None,
        };
        let (phi, errors) = match interactions {
            Some(estimate) => estimate,
            None => {
                let phi = (0..t).map(linear_fit).collect::<Result<Vec<_>>>()?.concat();
                (phi, jackknife_standard_errors(schedule, values, base, prediction, plan.max_groups))
            }
        };
        // A jackknife stopped by a cancel or a deadline gave up: report why.
        crate::engine::call_control::check_current()?;
        let largest_sampling_error = errors.as_deref().map(largest);
        let errors = errors.map(|mut errors| {
            if !schedule.exact {
                cover_rounding(&mut errors, &phi, base, prediction, element);
            }
            errors
        });
        Ok(Self { values: phi, errors, largest_sampling_error })
    }

    /// The largest standard error; `None` when unavailable.
    fn largest_error(&self) -> Option<f64> {
        self.errors.as_deref().map(largest)
    }

    /// Whether every standard error is available and at or below `target`.
    fn meets(&self, target: f64) -> bool {
        self.largest_error().is_some_and(|e| e <= target)
    }

    /// The next round's budget after `len` coalitions ([`next_round_size`]).
    fn next_budget(&self, len: usize, target: f64) -> usize {
        next_round_size(len, self.largest_sampling_error, target)
    }

    fn diagnostics(
        &self,
        rounds: u32,
        schedule: &super::schedule::Schedule,
        target: Option<f64>,
    ) -> SamplingDiagnostics {
        SamplingDiagnostics {
            rounds,
            coalitions: schedule.len(),
            exact: schedule.exact,
            standard_errors_available: self.errors.is_some(),
            largest_standard_error: self.largest_error(),
            target_standard_error: target,
            target_met: target.map(|t| schedule.exact || self.meets(t)),
        }
    }
}
