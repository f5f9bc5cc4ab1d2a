//! The cooperative game behind the Shapley methods: the interventional value function
//! v(S) = link(Σ_b w_b · f(x_S, b_notS)) over a weighted background set, evaluated in
//! chunks of coalitions so that neither the batch inputs nor the outputs held at once
//! exceed the engine's memory budget.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use super::background_patterns::BackgroundPatterns;
use crate::alloc::{try_filled, try_with_capacity};
use crate::backend::{CoalitionJob, GroupMap};
use crate::element::Element;
use crate::engine::scratch::Scratch;
use crate::engine::Engine;
use crate::error::{ensure_finite, Error, ErrorKind, Result};
use crate::model::evaluator::{BatchSource, DeviceJob};
use crate::model::{BatchPlan, Evaluator, MemorySpace, Model};
use crate::parallel;

/// Background rows and their weights (normalised to sum to 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Background<E: Element = f32> {
    /// `rows × row_len` values.
    pub rows: Vec<E>,
    /// One weight per row, summing to 1.
    pub weights: Vec<f64>,
}

impl<E: Element> Background<E> {
    /// Checks `rows` (whole rows of `row_len` finite values, at least one) and `weights`
    /// (one finite, non-negative weight per row with a positive sum; `None` = uniform).
    pub fn new(rows: Vec<E>, row_len: usize, weights: Option<Vec<f64>>) -> Result<Self> {
        if rows.is_empty() {
            return Err(Error::invalid("background", "has no rows, expected at least one background row"));
        }
        if row_len == 0 || rows.len() % row_len != 0 {
            return Err(Error::length("background", rows.len(), format!("a multiple of input_len = {row_len}")));
        }
        ensure_finite("background", &rows)?;
        let count = rows.len() / row_len;
        let weights = match weights {
            None => vec![1.0 / count as f64; count],
            Some(w) => {
                if w.len() != count {
                    return Err(Error::length(
                        "background_weights",
                        w.len(),
                        format!("{count} (one per background row)"),
                    ));
                }
                if let Some(i) = w.iter().position(|v| !v.is_finite() || *v < 0.0) {
                    return Err(Error::invalid(
                        "background_weights",
                        format!("element {i} is {}, expected a finite weight >= 0", w[i]),
                    ));
                }
                let total: f64 = w.iter().sum();
                if total <= 0.0 {
                    return Err(Error::invalid("background_weights", "sum to 0, expected a positive sum"));
                }
                w.iter().map(|v| v / total).collect()
            }
        };
        Ok(Self { rows, weights })
    }

    /// Number of background rows.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether there are no rows (never, for a checked background).
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }
}

/// The space Shapley values are computed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// The model's own output.
    #[default]
    Identity,
    /// log(p / (1 − p)): explain a probability in log-odds.
    Logit,
}

impl Link {
    /// The link applied to a (mean) model output.
    pub fn apply(self, value: f64) -> Result<f64> {
        match self {
            Self::Identity => Ok(value),
            Self::Logit if value > 0.0 && value < 1.0 => Ok((value / (1.0 - value)).ln()),
            Self::Logit => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("link: logit needs model outputs strictly between 0 and 1, got {value}"),
            )),
        }
    }
}

/// Rows z⊙x + (1−z)⊙b built by the engine's backend: every item of the `every` job, then
/// the `listed` items of a second job (its coalitions' distinct rows).
struct CoalitionRows<'a, E: Element> {
    engine: &'a Engine,
    every: CoalitionJob<'a, E>,
    listed: Option<(CoalitionJob<'a, E>, &'a [u32])>,
}

impl<'a, E: Element> BatchSource<E> for CoalitionRows<'a, E> {
    type Scratch = Scratch<E>;

    fn new_scratch(&self, batch_rows: usize) -> Result<Scratch<E>> {
        self.engine.scratch(batch_rows.saturating_mul(self.every.row_len()))
    }

    fn fill(&self, scratch: &mut Scratch<E>, rows: Range<usize>) -> Result<()> {
        let backend = self.engine.backend_for::<E>();
        let (row_len, split) = (self.every.row_len(), self.every.items());
        let every = rows.start.min(split)..rows.end.min(split);
        let (head, tail) = scratch.as_mut_slice().split_at_mut(every.len() * row_len);
        if !every.is_empty() {
            backend.build_coalition_batch(&self.every, every, head)?;
        }
        match &self.listed {
            Some((job, items)) if rows.end > split => {
                backend.build_listed_coalition_rows(job, &items[rows.start.max(split) - split..rows.end - split], tail)
            }
            _ => Ok(()),
        }
    }

    fn rows<'s>(&self, scratch: &'s Scratch<E>, count: usize) -> &'s [E] {
        &scratch.as_slice()[..count * self.every.row_len()]
    }

    fn device_job(&self) -> Option<DeviceJob<'_, E>> {
        self.listed.is_none().then_some(DeviceJob::Coalitions(self.every))
    }
}

/// The game of one explained row.
pub struct Game<'a, E: Element = f32> {
    engine: &'a Engine,
    evaluator: Evaluator<'a, E>,
    x: &'a [E],
    background: &'a Background<E>,
    players: &'a GroupMap,
    /// Which background rows repeat under which players (`None`: no row repeats).
    patterns: Option<&'a BackgroundPatterns>,
    targets: &'a [u32],
    link: Link,
    /// Bytes the coalition batches and their outputs may hold: the engine's budget less
    /// what the estimator keeps ([`Game::limit_batches`]).
    batch_budget: AtomicUsize,
}

impl<'a, E: Element> Game<'a, E> {
    /// The game of row `x` of `model`, for outputs `targets`, with `players`.
    pub fn new(
        engine: &'a Engine,
        model: &'a dyn Model<E>,
        x: &'a [E],
        background: &'a Background<E>,
        players: &'a GroupMap,
        targets: &'a [u32],
        link: Link,
    ) -> Self {
        Self {
            engine,
            evaluator: Evaluator::with_backend(model, engine.backend()),
            x,
            background,
            players,
            patterns: None,
            targets,
            link,
            batch_budget: AtomicUsize::new(engine.memory_budget_bytes()),
        }
    }

    /// Evaluates each distinct row of a coalition once, by the background's `patterns`
    /// under the game's players (`BackgroundPatterns::new`).
    pub fn with_patterns(mut self, patterns: Option<&'a BackgroundPatterns>) -> Self {
        self.patterns = patterns;
        self
    }

    /// The bytes one coalition's batch needs at the least: its rows' outputs (kept until
    /// they are reduced, with their distinct rows' lists) and one input row, each within
    /// half of the batch budget, beside the background's patterns.
    pub fn min_batch_bytes(&self) -> usize {
        let row = self.evaluator.signature().input_len().saturating_mul(std::mem::size_of::<E>());
        self.coalition_bytes().max(row).saturating_mul(2).saturating_add(self.patterns_bytes())
    }

    /// The bytes a coalition's outputs, distinct rows' lists and evaluation order take until
    /// they are reduced.
    fn coalition_bytes(&self) -> usize {
        let output_bytes = self.evaluator.signature().output_len.saturating_mul(std::mem::size_of::<E>());
        let list_bytes = if self.patterns.is_some() { 2 * std::mem::size_of::<u32>() } else { 0 };
        // With patterns, the coalition's place in its chunk's evaluation order (two lists),
        // a copy of its bits and its values in that order.
        let reorder_bytes = match self.patterns {
            Some(_) => {
                (2 + self.players().div_ceil(64) + self.targets.len()).saturating_mul(std::mem::size_of::<u64>())
            }
            None => 0,
        };
        self.background.len().saturating_mul(output_bytes.saturating_add(list_bytes)).saturating_add(reorder_bytes)
    }

    /// The bytes of the background's patterns.
    fn patterns_bytes(&self) -> usize {
        self.patterns.map_or(0, BackgroundPatterns::bytes)
    }

    /// Lets the batches hold at most `bytes` (the rest of the budget is the estimator's).
    pub fn limit_batches(&self, bytes: usize) {
        self.batch_budget.store(bytes, Ordering::Relaxed);
    }

    /// The engine the game runs on.
    pub fn engine(&self) -> &'a Engine {
        self.engine
    }

    /// The explained outputs.
    pub fn targets(&self) -> &[u32] {
        self.targets
    }

    /// Number of players.
    pub fn players(&self) -> usize {
        self.players.len()
    }

    /// Model rows evaluated so far.
    pub fn rows_evaluated(&self) -> u64 {
        self.evaluator.rows_evaluated()
    }

    /// link(f(x)) per target: the value of the full coalition.
    pub fn prediction(&self) -> Result<Vec<f64>> {
        let output_len = self.evaluator.signature().output_len;
        let mut out = vec![E::zero(); output_len];
        self.evaluator.predict(self.x, 1, &mut out)?;
        self.targets.iter().map(|&t| self.link.apply(out[t as usize].widen())).collect()
    }

    /// link(Σ_b w_b f(b)) per target: the value of the empty coalition.
    pub fn base(&self) -> Result<Vec<f64>> {
        self.values(&vec![0u64; self.players().div_ceil(64)], self.players().div_ceil(64))
    }

    /// The values of `coalitions` (packed, `words` per coalition), `coalitions × targets`.
    ///
    /// Coalitions are evaluated a chunk at a time. Within a chunk, those whose rows may repeat
    /// (`BackgroundPatterns::worth_scanning`) go last and are evaluated by their distinct
    /// rows; the others go first, every row built contiguously and no outputs copied.
    pub fn values(&self, coalitions: &[u64], words: usize) -> Result<Vec<f64>> {
        let output_len = self.evaluator.signature().output_len;
        let background_rows = self.background.len();
        let targets = self.targets.len();
        let count = coalitions.len() / words.max(1);
        // The outputs of a chunk take half the batch budget, its input batches the other half.
        let half = self.batch_budget.load(Ordering::Relaxed).saturating_sub(self.patterns_bytes()) / 2;
        let chunk = (half / self.coalition_bytes().max(1)).clamp(1, count.max(1));
        // A device-memory model's rows are built on the device, every one of them.
        let patterns = self.patterns.filter(|_| self.evaluator.signature().memory_space != MemorySpace::Device);
        let mut values = try_filled("coalition values", count * targets, 0.0f64)?;
        // Kept by the engine between calls; zeroed per chunk, so that what a model leaves
        // unwritten never carries over from an earlier call.
        let mut outputs = self.engine.scratch::<E>(chunk.min(count) * background_rows * output_len)?;
        // With patterns, a chunk's coalitions in evaluation order and their values in it.
        let reordered = chunk.min(count) * usize::from(patterns.is_some());
        let mut order: Vec<usize> = try_with_capacity("coalition order", reordered)?;
        let mut scanned: Vec<usize> = try_with_capacity("coalition order", reordered)?;
        let mut ordered = try_with_capacity("coalitions", reordered * words)?;
        let mut ordered_values = try_filled("coalition values", reordered * targets, 0.0f64)?;
        for (bits, chunk_values) in coalitions.chunks(chunk * words).zip(values.chunks_mut(chunk * targets)) {
            order.clear();
            scanned.clear();
            if let Some(patterns) = patterns {
                for (c, coalition) in bits.chunks_exact(words).enumerate() {
                    match patterns.worth_scanning(coalition) {
                        true => scanned.push(c),
                        false => order.push(c),
                    }
                }
            }
            let outputs = &mut outputs.as_mut_slice()[..bits.len() / words.max(1) * background_rows * output_len];
            outputs.fill(E::zero());
            let Some(patterns) = patterns.filter(|_| !scanned.is_empty()) else {
                let job = self.coalition_job(bits, words);
                self.evaluate(
                    &CoalitionRows { engine: self.engine, every: job, listed: None },
                    job.items(),
                    half,
                    outputs,
                )?;
                self.reduce(outputs, chunk_values)?;
                continue;
            };
            let every_row = order.len();
            order.extend_from_slice(&scanned);
            ordered.clear();
            for &c in &order {
                ordered.extend_from_slice(&bits[c * words..(c + 1) * words]);
            }
            let every = self.coalition_job(&ordered[..every_row * words], words);
            let rest = self.coalition_job(&ordered[every_row * words..], words);
            match parallel::install(self.engine.pool(), || patterns.distinct_items(rest.coalitions, words))? {
                Some(distinct) => {
                    let source =
                        CoalitionRows { engine: self.engine, every, listed: Some((rest, &distinct.evaluated)) };
                    self.evaluate(&source, every.items() + distinct.evaluated.len(), half, outputs)?;
                    distinct.spread_outputs(&mut outputs[every.items() * output_len..], output_len);
                }
                None => {
                    let whole = self.coalition_job(&ordered, words);
                    let source = CoalitionRows { engine: self.engine, every: whole, listed: None };
                    self.evaluate(&source, whole.items(), half, outputs)?;
                }
            }
            let ordered_values = &mut ordered_values[..order.len() * targets];
            self.reduce(outputs, ordered_values)?;
            for (position, &c) in order.iter().enumerate() {
                chunk_values[c * targets..(c + 1) * targets]
                    .copy_from_slice(&ordered_values[position * targets..(position + 1) * targets]);
            }
        }
        for value in &mut values {
            *value = self.link.apply(*value)?;
        }
        Ok(values)
    }

    /// The weighted mean over the background of each coalition's `outputs` (coalition-major,
    /// every background row's outputs), per target, into `values`.
    fn reduce(&self, outputs: &[E], values: &mut [f64]) -> Result<()> {
        parallel::install(self.engine.pool(), || {
            self.engine.backend_for::<E>().reduce_background(
                outputs,
                self.evaluator.signature().output_len,
                &self.background.weights,
                self.targets,
                values,
            )
        })
    }

    /// The coalition job of packed `coalitions` over the game's row and background.
    fn coalition_job<'c>(&'c self, coalitions: &'c [u64], words: usize) -> CoalitionJob<'c, E> {
        CoalitionJob { x: self.x, background: &self.background.rows, players: self.players, coalitions, words }
    }

    /// Evaluates the `rows` rows of `source` into `outputs`, its batches within `batch_bytes`.
    fn evaluate(&self, source: &impl BatchSource<E>, rows: usize, batch_bytes: usize, outputs: &mut [E]) -> Result<()> {
        let signature = self.evaluator.signature();
        let (row_len, element_size) = (signature.input_len(), std::mem::size_of::<E>());
        let plan = BatchPlan::new(signature, rows, row_len, element_size, batch_bytes, None, self.engine.threads())?;
        self.evaluator.run(self.engine.pool(), plan, source, &mut outputs[..rows * signature.output_len])
    }
}
