//! Global TimeSHAP over many sequences: event importance by distance from the most recent
//! event, feature importance distributions, the share of the score carried by the most
//! recent event, and the paper's pruning table for several η.

use serde::Serialize;

use super::case::Case;
use super::local::{explain_level, prune_case, Level};
use super::players::Player;
use super::pruning::Pruning;
use super::TimeShapParams;
use crate::element::Element;
use crate::engine::row_keys::{row_key_of_values, RowStreams};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::explanation::Audit;
use crate::model::SequenceModel;

/// Parameters of [`timeshap_global`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlobalParams<E: Element = f32> {
    /// The explanations' parameters (`tolerance` is the η they are computed at).
    pub local: TimeShapParams<E>,
    /// The η of the pruning table (each finite, ≥ 0).
    pub tolerances: Vec<f64>,
    /// Seeds (random streams) per sequence for the relative standard deviation of values
    /// (the paper uses 10); at least 2.
    pub seeds: u32,
}

impl<E: Element> GlobalParams<E> {
    /// The paper's study: the given η, 10 seeds.
    pub fn new(local: TimeShapParams<E>, tolerances: Vec<f64>) -> Self {
        Self { local, tolerances, seeds: 10 }
    }
}

/// Summary statistics of a set of values (zeros when it is empty).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Number of values.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1; 0 below two values).
    pub std: f64,
    /// Median (mean of the two middle values for an even count).
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Summary {
    /// The summary of `values`.
    pub fn of(values: &[f64]) -> Self {
        let n = values.len();
        if n == 0 {
            return Self { count: 0, mean: 0.0, std: 0.0, median: 0.0, min: 0.0, max: 0.0 };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let std =
            if n < 2 { 0.0 } else { (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() };
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = if n % 2 == 1 { sorted[n / 2] } else { 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]) };
        Self { count: n, mean, std, median, min: sorted[0], max: sorted[n - 1] }
    }
}

/// Event importance at one distance from the most recent event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistanceImportance {
    /// 0 = the most recent event, 1 = the one before, …
    pub distance: usize,
    /// Event-level values at that distance over the sequences where it was not pruned.
    pub summary: Summary,
}

/// One feature's feature-level values over the sequences.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureImportance {
    /// Feature index.
    pub feature: usize,
    /// Its name (the model's, or "Feature j").
    pub name: String,
    /// One value per sequence, in input order (the distribution).
    pub values: Vec<f64>,
    /// Their summary.
    pub summary: Summary,
    /// Mean |value|.
    pub mean_abs: f64,
}

/// One row of the paper's pruning table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PruningRow {
    /// η.
    pub tolerance: f64,
    /// Mean pruned length.
    pub mean_len: f64,
    /// Median pruned length.
    pub median_len: f64,
    /// Largest pruned length.
    pub max_len: usize,
    /// Share of sequences whose event-level players (kept events, plus the pruned events
    /// when any) fit exact enumeration (2^M − 2 ≤ budget).
    pub exact_share: f64,
    /// Mean over sequences of ‖std over seeds‖₂ / ‖mean over seeds‖₂ of the event-level
    /// values (0 for exactly enumerated sequences, whose values no seed changes).
    pub relative_std: f64,
}

/// The global report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlobalReport {
    /// The parameters, as [`GlobalParams`] serialise them.
    pub parameters: serde_json::Value,
    /// Sequences explained.
    pub sequences: usize,
    /// Event importance by distance from the most recent event (distance 0 first).
    pub event_importance: Vec<DistanceImportance>,
    /// The pruned events' value over the sequences that had pruned events.
    pub pruned_events: Summary,
    /// Feature importance distributions, one per feature.
    pub feature_importance: Vec<FeatureImportance>,
    /// φ(most recent event) / (f(x) − base) over sequences with f(x) ≠ base.
    pub most_recent_share: Summary,
    /// The pruning table, one row per η in `parameters.tolerances`.
    pub pruning_table: Vec<PruningRow>,
    /// Reproducibility metadata (model rows: the whole study).
    pub audit: Audit,
}

impl GlobalReport {
    /// The report as JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| {
            Error::new(crate::error::ErrorKind::Internal, format!("report: JSON serialisation failed: {e}"))
        })
    }
}

/// Splits `data` into the sequences of `lengths` events of `features` values.
fn split_sequences<'d, E: Element>(data: &'d [E], lengths: &[usize], features: usize) -> Result<Vec<&'d [E]>> {
    if lengths.is_empty() {
        return Err(Error::invalid("lengths", "is empty, expected at least one sequence"));
    }
    let total = lengths.iter().try_fold(0usize, |acc, &l| acc.checked_add(l.checked_mul(features)?));
    if total != Some(data.len()) {
        return Err(Error::length("sequences", data.len(), format!("Σ lengths × features (features = {features})")));
    }
    let mut rest = data;
    Ok(lengths
        .iter()
        .map(|&l| {
            let (head, tail) = rest.split_at(l * features);
            rest = tail;
            head
        })
        .collect())
}

/// Whether `players` players fit exact enumeration within `budget`.
fn fits_exactly(players: usize, budget: usize) -> bool {
    players <= 1 || (players < 64 && (1u64 << players) - 2 <= budget as u64)
}

/// Global TimeSHAP of `lengths.len()` sequences concatenated in `data` (sequence i has
/// `lengths[i] >= 2` events of F values). Deterministic per engine seed.
pub fn timeshap_global<E: Element>(
    engine: &Engine,
    model: &dyn SequenceModel<E>,
    data: &[E],
    lengths: &[usize],
    params: &GlobalParams<E>,
) -> Result<GlobalReport> {
    engine.on_workers(|| timeshap_global_in_task(engine, model, data, lengths, params))
}

/// [`timeshap_global`]'s work, as one task on the engine's workers.
fn timeshap_global_in_task<E: Element>(
    engine: &Engine,
    model: &dyn SequenceModel<E>,
    data: &[E],
    lengths: &[usize],
    params: &GlobalParams<E>,
) -> Result<GlobalReport> {
    let signature = model.signature();
    signature.validate()?;
    let features = signature.features;
    if params.seeds < 2 {
        return Err(Error::invalid("seeds", format!("is {}, expected at least 2", params.seeds)));
    }
    if let Some(eta) = params.tolerances.iter().find(|t| !t.is_finite() || **t < 0.0) {
        return Err(Error::invalid("tolerances", format!("holds {eta}, expected finite η >= 0")));
    }
    let sequences = split_sequences(data, lengths, features)?;
    let streams = RowStreams::for_rows(engine, sequences.len(), |i| row_key_of_values(sequences[i]))?;
    let mut by_distance: Vec<Vec<f64>> = Vec::new();
    let mut pruned_values = Vec::new();
    let mut feature_values = vec![Vec::with_capacity(sequences.len()); features];
    let mut shares = Vec::new();
    let mut table: Vec<(Vec<f64>, usize, Vec<f64>)> = vec![(Vec::new(), 0, Vec::new()); params.tolerances.len()];
    let mut rows = 0u64;
    for (i, (&sequence, &seq_len)) in sequences.iter().zip(lengths).enumerate() {
        let case = Case::new(engine, model, sequence, seq_len, &params.local)
            .map_err(|e| Error::new(e.kind(), format!("sequence {i}: {}", e.message())))?;
        let curve = prune_case(&case, None, true)?;
        let local = pruning_at(&curve, params.local.tolerance);
        let sequence_streams = streams.row(i);
        let event = explain_level(&case, &params.local, &local, Level::Event, None, &sequence_streams, 0)?;
        let feature = explain_level(&case, &params.local, &local, Level::Feature, None, &sequence_streams, 0)?;
        let total = local.prediction - local.base;
        for (player, &value) in event.players.iter().zip(event.values()) {
            match player {
                Player::Event { event } => {
                    let distance = seq_len - 1 - event;
                    if by_distance.len() <= distance {
                        by_distance.resize(distance + 1, Vec::new());
                    }
                    by_distance[distance].push(value);
                    if distance == 0 && total != 0.0 {
                        shares.push(value / total);
                    }
                }
                _ => pruned_values.push(value),
            }
        }
        for (player, &value) in feature.players.iter().zip(feature.values()) {
            if let Player::Feature { feature } = player {
                feature_values[*feature].push(value);
            }
        }
        for (k, &eta) in params.tolerances.iter().enumerate() {
            let pruning = pruning_at(&curve, Some(eta));
            let lumped = usize::from(pruning.pruned_len < seq_len);
            let exact = fits_exactly(pruning.pruned_len + lumped, params.local.budget);
            let spread = if exact {
                0.0
            } else {
                let (spread, seed_rows) = seed_spread(&case, params, &pruning, &streams.row(i))?;
                rows += seed_rows;
                spread
            };
            table[k].0.push(pruning.pruned_len as f64);
            table[k].1 += usize::from(exact);
            table[k].2.push(spread);
        }
        // Each explanation's rows include the pruning's, which ran once.
        rows += curve.model_rows_evaluated;
        rows += event.explanation.audit.model_rows_evaluated + feature.explanation.audit.model_rows_evaluated;
        rows -= 2 * curve.model_rows_evaluated;
    }
    let names = signature.feature_names.as_deref();
    let n = sequences.len() as f64;
    Ok(GlobalReport {
        parameters: super::super::parameters_json(params)?,
        sequences: sequences.len(),
        event_importance: by_distance
            .iter()
            .enumerate()
            .map(|(distance, values)| DistanceImportance { distance, summary: Summary::of(values) })
            .collect(),
        pruned_events: Summary::of(&pruned_values),
        feature_importance: feature_values
            .iter()
            .enumerate()
            .map(|(feature, values)| FeatureImportance {
                feature,
                name: Player::Feature { feature }.name(0, names),
                values: values.clone(),
                summary: Summary::of(values),
                mean_abs: values.iter().map(|v| v.abs()).sum::<f64>() / values.len().max(1) as f64,
            })
            .collect(),
        most_recent_share: Summary::of(&shares),
        pruning_table: params
            .tolerances
            .iter()
            .zip(&table)
            .map(|(&tolerance, (lens, exact, spreads))| {
                let summary = Summary::of(lens);
                PruningRow {
                    tolerance,
                    mean_len: summary.mean,
                    median_len: summary.median,
                    max_len: summary.max as usize,
                    exact_share: *exact as f64 / n,
                    relative_std: spreads.iter().sum::<f64>() / n,
                }
            })
            .collect(),
        audit: super::super::audit::<E>(engine, Some(&streams), rows),
    })
}

/// The pruning at η read off a full curve (`None`: nothing pruned); a curve computed
/// for a fixed pruning index keeps that index's pruned length.
fn pruning_at(curve: &Pruning, tolerance: Option<f64>) -> Pruning {
    let mut pruning = curve.clone();
    if curve.fixed_index.is_some() {
        // A fixed pruning index already chose the pruned length.
        return pruning;
    }
    pruning.tolerance = tolerance;
    pruning.pruned_len = tolerance.and_then(|eta| curve.pruned_len_at(eta)).unwrap_or(curve.sequence_len);
    pruning
}

/// ‖std‖₂ / ‖mean‖₂ of the event-level values over `params.seeds` random streams, and
/// the model rows the runs evaluated beyond the pruning.
fn seed_spread<E: Element>(
    case: &Case<'_, E>,
    params: &GlobalParams<E>,
    pruning: &Pruning,
    streams: &RowStreams,
) -> Result<(f64, u64)> {
    let mut rows = 0;
    let mut runs: Vec<Vec<f64>> = Vec::with_capacity(params.seeds as usize);
    for r in 0..u64::from(params.seeds) {
        let explanation = explain_level(case, &params.local, pruning, Level::Event, None, streams, r)?;
        rows += explanation.explanation.audit.model_rows_evaluated - pruning.model_rows_evaluated;
        runs.push(explanation.values().to_vec());
    }
    let players = runs[0].len();
    let (mut var_norm, mut mean_norm) = (0.0, 0.0);
    for p in 0..players {
        let column: Vec<f64> = runs.iter().map(|run| run[p]).collect();
        let summary = Summary::of(&column);
        var_norm += summary.std.powi(2);
        mean_norm += summary.mean.powi(2);
    }
    Ok((if mean_norm > 0.0 { (var_norm / mean_norm).sqrt() } else { 0.0 }, rows))
}
