//! Event-, feature- and cell-level explanations of one sequence on its pruned form.

use serde::Serialize;

use super::case::Case;
use super::lumped::LumpedModel;
use super::players::{Layout, Player, PlayerMap};
use super::pruning::{fixed, prune, Pruning};
use super::TimeShapParams;
use crate::backend::GroupMap;
use crate::element::Element;
use crate::engine::row_keys::{Purpose, RowStreams};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::explain::shapley::game::{Background, Game};
use crate::explain::shapley::{estimate_row, BackgroundPatterns, RowEstimate, SamplingPlan};
use crate::explanation::{Explanation, FeatureAxis, Method, RowDiagnostics, Values};
use crate::model::SequenceModel;

/// The granularity of an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// One player per unpruned event.
    Event,
    /// One player per feature (over the unpruned events).
    Feature,
    /// The paper's cell grouping.
    Cell,
}

/// How cell level picks the relevant events and features from the event- and
/// feature-level explanations (as `timeshap`'s `cell_level`): ordered by |value|
/// (ties in player order), the pruned events never relevant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellRelevance {
    /// Relevant when |value| ≥ the threshold.
    Threshold {
        /// Threshold on event values.
        events: f64,
        /// Threshold on feature values.
        features: f64,
    },
    /// The `events` events and `features` features of largest |value|.
    TopK {
        /// Relevant events kept.
        events: usize,
        /// Relevant features kept.
        features: usize,
    },
}

impl CellRelevance {
    fn validate(&self) -> Result<()> {
        if let Self::Threshold { events, features } = *self {
            for (name, value) in [("relevance.events", events), ("relevance.features", features)] {
                if !value.is_finite() || value < 0.0 {
                    return Err(Error::invalid(name, format!("is {value}, expected a finite threshold >= 0")));
                }
            }
        }
        Ok(())
    }

    /// The relevant players' indices among `values` (`players` in the same order),
    /// where `pick` gives the index a player stands for.
    fn select(&self, values: &[f64], players: &[Player], pick: impl Fn(&Player) -> Option<usize>) -> Vec<usize> {
        let mut order: Vec<usize> = (0..values.len()).filter(|&i| pick(&players[i]).is_some()).collect();
        order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()).then(a.cmp(&b)));
        let (threshold, limit) = match (*self, players.first()) {
            (Self::Threshold { events, .. }, Some(Player::Event { .. })) => (events, usize::MAX),
            (Self::Threshold { features, .. }, _) => (features, usize::MAX),
            (Self::TopK { events, .. }, Some(Player::Event { .. })) => (0.0, events),
            (Self::TopK { features, .. }, _) => (0.0, features),
        };
        let mut chosen: Vec<usize> = order
            .into_iter()
            .take_while(|&i| values[i].abs() >= threshold)
            .take(limit)
            .filter_map(|i| pick(&players[i]))
            .collect();
        chosen.sort_unstable();
        chosen
    }
}

/// A TimeSHAP explanation of one sequence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeShapExplanation {
    /// The level.
    pub level: Level,
    /// What each value (feature-axis entry of `explanation`) stands for.
    pub players: Vec<Player>,
    /// The players' names as the `timeshap` package writes them
    /// ([`Player::timeshap_name`]); the explanation's feature names are Lumen's.
    pub timeshap_names: Vec<String>,
    /// The pruning it was computed on.
    pub pruning: Pruning,
    /// Whether every coalition was enumerated (values exact, standard errors 0).
    pub exact: bool,
    /// Values (one per player, feature axis = groups, names = player names), prediction,
    /// base value, standard errors, local-accuracy gap and audit; its parameters JSON holds
    /// the parameters, level, players, pruning curve and pruned length.
    pub explanation: Explanation,
}

impl TimeShapExplanation {
    /// The values, one per player.
    pub fn values(&self) -> &[f64] {
        self.explanation.row_attributions(0, 0)
    }
}

/// Every level of one sequence on one pruning (the `timeshap` package's local report).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalReport {
    /// The pruning all three share.
    pub pruning: Pruning,
    /// Event level.
    pub event: TimeShapExplanation,
    /// Feature level.
    pub feature: TimeShapExplanation,
    /// Cell level.
    pub cell: TimeShapExplanation,
}

/// Temporal coalition pruning of one sequence (`seq_len × F` values). With
/// `full_curve`, every split's values are computed (splits L − 1 down to 1) and the
/// pruned length for `params.tolerance` read off the curve; otherwise the walk stops at
/// the pruned length (cost proportional to it). With `params.pruning_index` the pruned
/// length is `-index` and, without `full_curve`, no split is evaluated (empty curve).
pub fn timeshap_prune<E: Element>(
    engine: &Engine,
    model: &dyn SequenceModel<E>,
    sequence: &[E],
    seq_len: usize,
    params: &TimeShapParams<E>,
    full_curve: bool,
) -> Result<Pruning> {
    engine.on_workers(|| {
        let case = Case::new(engine, model, sequence, seq_len, params)?;
        prune_case(&case, params.tolerance, full_curve)
    })
}

/// The pruning of `case`: its fixed index when it has one (the whole curve beside it with
/// `full_curve`), else the walk with `tolerance` (or the whole curve).
pub(crate) fn prune_case<E: Element>(case: &Case<'_, E>, tolerance: Option<f64>, full_curve: bool) -> Result<Pruning> {
    match (case.fixed, full_curve) {
        (Some((index, kept)), false) => return fixed(case, index, kept),
        (Some((index, kept)), true) => {
            let mut pruning = prune(case, None)?;
            pruning.fixed_index = Some(index);
            pruning.pruned_len = kept;
            return Ok(pruning);
        }
        (None, false) => return prune(case, tolerance),
        (None, true) => {}
    }
    let mut pruning = prune(case, None)?;
    pruning.tolerance = tolerance;
    pruning.pruned_len = tolerance.and_then(|eta| pruning.pruned_len_at(eta)).unwrap_or(pruning.sequence_len);
    Ok(pruning)
}

/// Event-level TimeSHAP of one sequence: prunes with `params.tolerance` (or at
/// `params.pruning_index`), then one value
/// per unpruned event (most recent first) and one for the pruned events.
pub fn timeshap_event<E: Element>(
    engine: &Engine,
    model: &dyn SequenceModel<E>,
    sequence: &[E],
    seq_len: usize,
    params: &TimeShapParams<E>,
) -> Result<TimeShapExplanation> {
    engine.on_workers(|| one_level(engine, model, sequence, seq_len, params, Level::Event))
}

/// Feature-level TimeSHAP of one sequence: prunes, then one value per feature (switched
/// off on every unpruned event) and one for the pruned events.
pub fn timeshap_feature<E: Element>(
    engine: &Engine,
    model: &dyn SequenceModel<E>,
    sequence: &[E],
    seq_len: usize,
    params: &TimeShapParams<E>,
) -> Result<TimeShapExplanation> {
    engine.on_workers(|| one_level(engine, model, sequence, seq_len, params, Level::Feature))
}

/// The event or feature level of one sequence after its pruning, as one task on the
/// engine's workers.
fn one_level<E: Element>(
    engine: &Engine,
    model: &dyn SequenceModel<E>,
    sequence: &[E],
    seq_len: usize,
    params: &TimeShapParams<E>,
    level: Level,
) -> Result<TimeShapExplanation> {
    let case = Case::new(engine, model, sequence, seq_len, params)?;
    let streams = RowStreams::for_inputs(engine, sequence, sequence.len())?;
    let pruning = prune_case(&case, params.tolerance, false)?;
    explain_level(&case, params, &pruning, level, None, &streams, 0)
}

/// Cell-level TimeSHAP of one sequence: prunes, explains events and features to find the
/// relevant ones, then explains the paper's cell groups.
pub fn timeshap_cell<E: Element>(
    engine: &Engine,
    model: &dyn SequenceModel<E>,
    sequence: &[E],
    seq_len: usize,
    params: &TimeShapParams<E>,
    relevance: &CellRelevance,
) -> Result<TimeShapExplanation> {
    Ok(timeshap_local(engine, model, sequence, seq_len, params, relevance)?.cell)
}

/// Pruning and every level of one sequence, sharing the pruning.
pub fn timeshap_local<E: Element>(
    engine: &Engine,
    model: &dyn SequenceModel<E>,
    sequence: &[E],
    seq_len: usize,
    params: &TimeShapParams<E>,
    relevance: &CellRelevance,
) -> Result<LocalReport> {
    engine.on_workers(|| timeshap_local_in_task(engine, model, sequence, seq_len, params, relevance))
}

/// [`timeshap_local`]'s work, as one task on the engine's workers.
fn timeshap_local_in_task<E: Element>(
    engine: &Engine,
    model: &dyn SequenceModel<E>,
    sequence: &[E],
    seq_len: usize,
    params: &TimeShapParams<E>,
    relevance: &CellRelevance,
) -> Result<LocalReport> {
    relevance.validate()?;
    let case = Case::new(engine, model, sequence, seq_len, params)?;
    let pruning = prune_case(&case, params.tolerance, false)?;
    let streams = RowStreams::for_inputs(engine, sequence, sequence.len())?;
    let event = explain_level(&case, params, &pruning, Level::Event, None, &streams, 0)?;
    let feature = explain_level(&case, params, &pruning, Level::Feature, None, &streams, 0)?;
    let events = relevance.select(event.values(), &event.players, |p| match p {
        Player::Event { event } => Some(*event),
        _ => None,
    });
    let features = relevance.select(feature.values(), &feature.players, |p| match p {
        Player::Feature { feature } => Some(*feature),
        _ => None,
    });
    let cell = explain_level(&case, params, &pruning, Level::Cell, Some((&events, &features, relevance)), &streams, 0)?;
    Ok(LocalReport { pruning, event, feature, cell })
}

type Relevant<'r> = (&'r [usize], &'r [usize], &'r CellRelevance);

/// One level's explanation of `case` on `pruning`, drawing from random stream `index` of
/// the sequence's `streams` (one row: the sequence).
pub(crate) fn explain_level<E: Element>(
    case: &Case<'_, E>,
    params: &TimeShapParams<E>,
    pruning: &Pruning,
    level: Level,
    relevant: Option<Relevant<'_>>,
    streams: &RowStreams,
    index: u64,
) -> Result<TimeShapExplanation> {
    let rows_before = case.evaluator.rows_evaluated();
    let layout = Layout { split: pruning.split(), seq_len: case.seq_len, features: case.features };
    let PlayerMap { players, map } = match (level, relevant) {
        (Level::Event, _) => layout.events(),
        (Level::Feature, _) => layout.features(),
        (Level::Cell, Some((events, features, _))) => layout.cells(events, features),
        (Level::Cell, None) => {
            return Err(Error::invalid("relevance", "cell level needs relevant events and features"))
        }
    };
    let game_model = LumpedModel::new(case, layout.split)?;
    debug_assert_eq!(game_model.lumped(), layout.split > 0);
    let x_row = game_model.row(case.x, true);
    let background = Background::new(game_model.row(&case.background, false), x_row.len(), None)?;
    let groups = GroupMap::new(&map, "players")?;
    let targets = [case.target as u32];
    let patterns = BackgroundPatterns::new(&background.rows, &groups)?;
    let game = Game::new(case.engine, &game_model, &x_row, &background, &groups, &targets, case.link)
        .with_patterns(patterns.as_ref());
    let (estimate, exact) = if groups.len() == 1 {
        let (prediction, base) = (game.prediction()?, game.base()?);
        let values = vec![prediction[0] - base[0]];
        (RowEstimate { values, standard_errors: vec![0.0], prediction, base, rows_evaluated: 0, sampling: None }, true)
    } else {
        let mut rng = streams.rng(0, Purpose::TimeShap, index);
        let plan = SamplingPlan::fixed(params.estimator, params.budget, params.error_batches);
        let estimate = estimate_row(&game, &plan, &mut rng)?;
        let exact = estimate.sampling.as_ref().is_some_and(|s| s.exact);
        (estimate, exact)
    };
    // The pruning's rows count too: the explanation needed them.
    let rows = pruning.model_rows_evaluated + case.evaluator.rows_evaluated() - rows_before + game.rows_evaluated();
    let names = case.model.signature().feature_names.as_deref();
    let player_names: Vec<String> = players.iter().map(|p| p.name(case.seq_len, names)).collect();
    let timeshap_names: Vec<String> = players.iter().map(|p| p.timeshap_name(level, case.seq_len, names)).collect();
    let mut parameters = super::super::parameters_json(params)?;
    parameters["level"] = super::super::parameters_json(&level)?;
    parameters["pruning"] = super::super::parameters_json(pruning)?;
    parameters["players"] = super::super::parameters_json(&players)?;
    parameters["exact"] = exact.into();
    if let Some(sampling) = &estimate.sampling {
        parameters[crate::explanation::SAMPLING_KEY] = super::super::parameters_json(&[sampling])?;
    }
    parameters["state_path"] = case.use_state.into();
    if let Some((_, _, relevance)) = relevant {
        parameters["relevance"] = super::super::parameters_json(relevance)?;
    }
    let attributions = Values::rounded::<E>(estimate.values.clone());
    let prediction = E::TYPE.round(estimate.prediction[0]);
    let base = E::TYPE.round(estimate.base[0]);
    let sum: f64 = attributions.iter().sum();
    let gap = sum - (prediction - base);
    let explanation = Explanation {
        method: Method::TimeShap,
        parameters,
        audit: super::super::audit::<E>(case.engine, Some(streams), rows),
        input_shape: vec![case.seq_len, case.features],
        feature_shape: vec![players.len()],
        rows: 1,
        outputs: vec![case.target as u32],
        row_targets: None,
        feature_axis: FeatureAxis::Groups,
        features: players.len(),
        feature_names: Some(player_names),
        attributions,
        predictions: Values::rounded::<E>(vec![prediction]),
        base_values: Values::rounded::<E>(vec![base]),
        // Unavailable errors (too few samples to estimate them) are reported as none.
        standard_errors: estimate
            .standard_errors_available()
            .then(|| Values::rounded::<E>(estimate.standard_errors.clone())),
        diagnostics: vec![RowDiagnostics { model_rows_evaluated: rows, completeness_gap: Some(vec![gap]) }],
    };
    Ok(TimeShapExplanation { level, players, timeshap_names, pruning: pruning.clone(), exact, explanation })
}
