//! Temporal coalition pruning (Bento et al. 2021, Algorithm 1). For a split index s, the
//! sequence is two players: the older events `[0, s)` and the newer events `[s, L)`. Their
//! exact two-player Shapley values take four coalitions, two of which (all on, all off)
//! are shared by every split:
//!
//! φ_older(s) = ½[(v(older) − v(∅)) + (v(all) − v(newer))], φ_newer(s) = v(all) − v(∅) − φ_older(s).
//!
//! Walking back from the most recent event (s = L − 1, L − 2, …, 1), the first split with
//! |φ_older(s)| ≤ η prunes the sequence to its last L − s events; the older events become
//! one player. As in the `timeshap` package (`temp_coalition_pruning`), the comparison is
//! `≤` and, when no split qualifies, nothing is pruned (pruned length L). Unlike the
//! package, η = 0 is a real tolerance (prune where the older events carry exactly
//! nothing) rather than "no pruning"; no pruning is `tolerance = None`.
//!
//! A fixed pruning index (`TimeShapParams::pruning_index`, the package's `pruning_idx`)
//! skips the walk: the pruned length is `-index`, and only link(f(x)) and
//! link(f(background)) are evaluated (no curve) unless the whole curve is asked for.
//!
//! The package's own form of the curve ([`Pruning::timeshap_curve`]) indexes a split by
//! `t = s − L` (0 down to −L, its "t (event index)" column) and includes both end points:
//! t = 0 (every event older: φ_older = v(all) − v(∅), φ_newer = 0) and t = −L (no event
//! older: φ_older = 0, φ_newer = v(all) − v(∅)), which Lumen's own curve leaves out
//! because no split there can prune anything.
//!
//! Cost: two model rows per split evaluated. Full re-evaluation builds each row whole
//! (L events); the state-carrying path runs both prefixes once, one event at a time
//! (L − 1 calls of two rows of one event), and then only the tails of each split.

use std::ops::Range;

use serde::Serialize;

use super::case::Case;
use crate::alloc::try_filled;
use crate::element::Element;
use crate::error::Result;
use crate::model::evaluator::BatchSource;
use crate::model::{BatchPlan, Evaluator, Model, ModelSignature, SequenceModel};

/// One point of the pruning curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PruningPoint {
    /// The split index s: events `[0, s)` are the older part.
    pub split: usize,
    /// Events in the newer part, L − s (the pruned length if pruning stopped here).
    pub newer_len: usize,
    /// Exact Shapley value of the older events.
    pub older_value: f64,
    /// Exact Shapley value of the newer events.
    pub newer_value: f64,
}

/// One point of the pruning curve in the `timeshap` package's form (the rows of the
/// DataFrame `temp_coalition_pruning(..., ret_plot_data=True)` returns, two per t).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimeShapCurvePoint {
    /// The package's "t (event index)": `split − L`, from 0 (every event in the older part)
    /// down to −L (none); the newer part is the last `−t` events.
    pub t: i64,
    /// The row "Sum of contribution of events ≤ t": the older events' exact Shapley value.
    pub older_value: f64,
    /// The row "Sum of contribution of events > t": the newer events' exact Shapley value.
    pub newer_value: f64,
}

/// The outcome of temporal coalition pruning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pruning {
    /// η, or `None` when the curve was computed without pruning.
    pub tolerance: Option<f64>,
    /// The fixed pruning index (the package's `pruning_idx`) that chose `pruned_len`, if
    /// one was given instead of a tolerance.
    pub fixed_index: Option<i64>,
    /// L, the explained sequence's length.
    pub sequence_len: usize,
    /// Events kept as individual players (L when nothing was pruned).
    pub pruned_len: usize,
    /// The curve from the most recent split back to the split where pruning stopped (the
    /// whole curve, splits L − 1 down to 1, when `tolerance` is `None`; empty for a fixed
    /// index unless the whole curve was asked for).
    pub curve: Vec<PruningPoint>,
    /// link(f(x)) of the explained output.
    pub prediction: f64,
    /// link(f(background sequence)).
    pub base: f64,
    /// Whether the state-carrying path computed the curve.
    pub used_state: bool,
    /// Model rows the pruning evaluated (sequences, tails and prefix runs).
    pub model_rows_evaluated: u64,
}

impl Pruning {
    /// The split index: events before it are lumped into one player (0 = none).
    pub fn split(&self) -> usize {
        self.sequence_len - self.pruned_len
    }

    /// The `timeshap` package's pruning index of this pruning: `−pruned_len` (the negative
    /// `pruning_idx` whose last `−index` events are kept; `−L` when nothing was pruned),
    /// as `temp_coalition_pruning` returns it.
    pub fn pruning_index(&self) -> i64 {
        -i64::try_from(self.pruned_len).unwrap_or(i64::MAX)
    }

    /// Whether the curve holds every split, L − 1 down to 1.
    pub fn is_full_curve(&self) -> bool {
        self.curve.len() + 1 == self.sequence_len
    }

    /// The whole curve in the `timeshap` package's form: t = 0, −1, …, −L (L + 1 points,
    /// both end points included), or `None` when the curve is not whole (the walk
    /// stopped at the pruned split, or a fixed index skipped it).
    pub fn timeshap_curve(&self) -> Option<Vec<TimeShapCurvePoint>> {
        if !self.is_full_curve() {
            return None;
        }
        let total = self.prediction - self.base;
        let l = i64::try_from(self.sequence_len).ok()?;
        let mut points = Vec::with_capacity(self.sequence_len + 1);
        points.push(TimeShapCurvePoint { t: 0, older_value: total, newer_value: 0.0 });
        for p in &self.curve {
            let t = i64::try_from(p.split).ok()? - l;
            points.push(TimeShapCurvePoint { t, older_value: p.older_value, newer_value: p.newer_value });
        }
        points.push(TimeShapCurvePoint { t: -l, older_value: 0.0, newer_value: total });
        Some(points)
    }

    /// The pruned length η would give on this curve (`timeshap`'s `prune_given_data`):
    /// the first split from the most recent one with |φ_older| ≤ η, else L. `None` when
    /// the curve stops before that split was decided.
    pub fn pruned_len_at(&self, tolerance: f64) -> Option<usize> {
        match self.curve.iter().find(|p| p.older_value.abs() <= tolerance) {
            Some(point) => Some(point.newer_len),
            None if self.curve.last().is_none_or(|p| p.split <= 1) => Some(self.sequence_len),
            None => None,
        }
    }
}

/// A flat view of whole sequences of fixed length, for the batch scheduler.
struct WholeSequences<'a, E: Element> {
    model: &'a dyn SequenceModel<E>,
    seq_len: usize,
    signature: ModelSignature,
}

impl<E: Element> Model<E> for WholeSequences<'_, E> {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[E], rows: usize, outputs: &mut [E]) -> Result<()> {
        self.model.predict(inputs, rows, self.seq_len, outputs)
    }
}

/// Rows of consecutive splits walking back from `first`: row 2k is split `first − k`
/// with the older events original and the newer ones background, row 2k + 1 the reverse.
struct SplitRows<'a, E: Element> {
    x: &'a [E],
    background: &'a [E],
    features: usize,
    first: usize,
}

impl<E: Element> BatchSource<E> for SplitRows<'_, E> {
    type Scratch = Vec<E>;

    fn new_scratch(&self, batch_rows: usize) -> Result<Vec<E>> {
        try_filled("pruning batch", batch_rows.saturating_mul(self.x.len()), E::zero())
    }

    fn fill(&self, scratch: &mut Vec<E>, rows: Range<usize>) -> Result<()> {
        let len = self.x.len();
        for (row, out) in rows.zip(scratch.chunks_exact_mut(len)) {
            let cut = (self.first - row / 2) * self.features;
            let (older, newer) = if row % 2 == 0 { (self.x, self.background) } else { (self.background, self.x) };
            out[..cut].copy_from_slice(&older[..cut]);
            out[cut..].copy_from_slice(&newer[cut..]);
        }
        Ok(())
    }

    fn rows<'s>(&self, scratch: &'s Vec<E>, count: usize) -> &'s [E] {
        &scratch[..count * self.x.len()]
    }
}

/// Splits evaluated per round before checking for a stop: 8, then doubling, so stopping
/// early wastes at most as many rows as it used.
const FIRST_ROUND: usize = 8;

/// Temporal coalition pruning of `case`. With `tolerance`, stops at the first split with
/// |φ_older| ≤ η; without, computes the whole curve and prunes nothing.
pub(crate) fn prune<E: Element>(case: &Case<'_, E>, tolerance: Option<f64>) -> Result<Pruning> {
    let rows_before = case.evaluator.rows_evaluated();
    let (prediction, base) = case.prediction_and_base()?;
    let l = case.seq_len;
    let mut curve = Vec::with_capacity(l - 1);
    let prefix_states = if case.use_state { Some(all_prefix_states(case)?) } else { None };
    let mut next = l - 1;
    let mut round = FIRST_ROUND;
    let mut pruned_len = l;
    'walk: while next >= 1 {
        let count = if tolerance.is_some() { round.min(next) } else { next };
        let values = match &prefix_states {
            Some(states) => split_values_from_states(case, states, next, count)?,
            None => split_values(case, next, count)?,
        };
        for (k, pair) in values.chunks_exact(2).enumerate() {
            let split = next - k;
            let (with_older, with_newer) = (pair[0], pair[1]);
            let older_value = 0.5 * ((with_older - base) + (prediction - with_newer));
            let newer_value = (prediction - base) - older_value;
            curve.push(PruningPoint { split, newer_len: l - split, older_value, newer_value });
            if tolerance.is_some_and(|eta| older_value.abs() <= eta) {
                pruned_len = l - split;
                break 'walk;
            }
        }
        next -= count;
        round *= 2;
    }
    let model_rows_evaluated = case.evaluator.rows_evaluated() - rows_before;
    Ok(Pruning {
        tolerance,
        fixed_index: None,
        sequence_len: l,
        pruned_len,
        curve,
        prediction,
        base,
        used_state: case.use_state,
        model_rows_evaluated,
    })
}

/// The pruning of a fixed pruning index keeping the last `kept` events: no walk, no
/// curve; only link(f(x)) and link(f(background)) are evaluated.
pub(crate) fn fixed<E: Element>(case: &Case<'_, E>, index: i64, kept: usize) -> Result<Pruning> {
    let rows_before = case.evaluator.rows_evaluated();
    let (prediction, base) = case.prediction_and_base()?;
    Ok(Pruning {
        tolerance: None,
        fixed_index: Some(index),
        sequence_len: case.seq_len,
        pruned_len: kept,
        curve: Vec::new(),
        prediction,
        base,
        used_state: case.use_state,
        model_rows_evaluated: case.evaluator.rows_evaluated() - rows_before,
    })
}

/// link(f) of the two rows of each of `count` splits from `first` down, by full
/// re-evaluation through the batch scheduler.
fn split_values<E: Element>(case: &Case<'_, E>, first: usize, count: usize) -> Result<Vec<f64>> {
    let sequence = case.model.signature();
    let row_len = case.x.len();
    let mut signature = ModelSignature::flat(row_len, sequence.output_len);
    signature.max_batch_rows = sequence.max_batch_rows;
    signature.concurrent = sequence.concurrent;
    signature.element_type = E::TYPE;
    let whole = WholeSequences { model: case.model, seq_len: case.seq_len, signature };
    let evaluator = Evaluator::new(&whole);
    let rows = 2 * count;
    let engine = case.engine;
    let element_size = std::mem::size_of::<E>();
    let budget = engine.memory_budget_bytes();
    let plan = BatchPlan::new(whole.signature(), rows, row_len, element_size, budget, None, engine.threads())?;
    let source = SplitRows { x: case.x, background: &case.background, features: case.features, first };
    let mut outputs = vec![E::zero(); rows * sequence.output_len];
    let result = evaluator.run(engine.pool(), plan, &source, &mut outputs);
    case.evaluator.count(evaluator.rows_evaluated());
    result?;
    outputs.chunks_exact(sequence.output_len).map(|o| case.link.apply(o[case.target].widen())).collect()
}

/// The states after every prefix `[0, s)`, s = 1..L − 1, of x and of the background:
/// `(L − 1) × 2 × state_len`, run one event at a time from the previous state.
fn all_prefix_states<E: Element>(case: &Case<'_, E>) -> Result<Vec<E>> {
    let f = case.features;
    let state_len = case.evaluator.state_len()?;
    let mut states = vec![E::zero(); (case.seq_len - 1) * 2 * state_len];
    for s in 1..case.seq_len {
        let events = [&case.x[(s - 1) * f..s * f], &case.background[(s - 1) * f..s * f]].concat();
        let (done, rest) = states.split_at_mut((s - 1) * 2 * state_len);
        let initial = (s > 1).then(|| &done[(s - 2) * 2 * state_len..]);
        case.evaluator.run_prefix(initial, &events, 2, 1, &mut rest[..2 * state_len])?;
    }
    Ok(states)
}

/// As [`split_values`], continuing each tail from the prefix states.
fn split_values_from_states<E: Element>(
    case: &Case<'_, E>,
    states: &[E],
    first: usize,
    count: usize,
) -> Result<Vec<f64>> {
    let f = case.features;
    let state_len = case.evaluator.state_len()?;
    let output_len = case.model.signature().output_len;
    let mut values = Vec::with_capacity(2 * count);
    for split in (first + 1 - count..=first).rev() {
        let at = &states[(split - 1) * 2 * state_len..split * 2 * state_len];
        let tails = [&case.background[split * f..], &case.x[split * f..]].concat();
        let mut outputs = vec![E::zero(); 2 * output_len];
        case.evaluator.predict_from_state(at, &tails, 2, case.seq_len - split, &mut outputs)?;
        for o in outputs.chunks_exact(output_len) {
            values.push(case.link.apply(o[case.target].widen())?);
        }
    }
    Ok(values)
}
