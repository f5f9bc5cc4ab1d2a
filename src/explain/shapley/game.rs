//! The cooperative game behind the Shapley methods: the interventional value function
//! v(S) = link(Σ_b w_b · f(x_S, b_notS)) over a weighted background set, evaluated in
//! chunks of coalitions so that neither the batch inputs nor the outputs held at once
//! exceed the engine's memory budget.

use std::ops::Range;

use serde::Serialize;

use crate::backend::{Backend, CoalitionJob, GroupMap};
use crate::engine::Engine;
use crate::error::{ensure_finite, Error, ErrorKind, Result};
use crate::model::evaluator::{BatchSource, DeviceJob};
use crate::model::{BatchPlan, Evaluator, Model};

/// Background rows and their weights (normalised to sum to 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Background {
    /// `rows × row_len` values.
    pub rows: Vec<f32>,
    /// One weight per row, summing to 1.
    pub weights: Vec<f64>,
}

impl Background {
    /// Checks `rows` (whole rows of `row_len` finite values, at least one) and `weights`
    /// (one finite, non-negative weight per row with a positive sum; `None` = uniform).
    pub fn new(rows: Vec<f32>, row_len: usize, weights: Option<Vec<f64>>) -> Result<Self> {
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

/// Rows z⊙x + (1−z)⊙b built by the engine's backend.
struct CoalitionRows<'a> {
    backend: &'a dyn Backend,
    job: CoalitionJob<'a>,
}

impl BatchSource for CoalitionRows<'_> {
    type Scratch = Vec<f32>;

    fn new_scratch(&self, batch_rows: usize) -> Vec<f32> {
        vec![0.0; batch_rows * self.job.row_len()]
    }

    fn fill(&self, scratch: &mut Vec<f32>, rows: Range<usize>) -> Result<()> {
        self.backend.build_coalition_batch(&self.job, rows, scratch)
    }

    fn rows<'s>(&self, scratch: &'s Vec<f32>, count: usize) -> &'s [f32] {
        &scratch[..count * self.job.row_len()]
    }

    fn device_job(&self) -> Option<DeviceJob<'_>> {
        Some(DeviceJob::Coalitions(self.job))
    }
}

/// The game of one explained row.
pub struct Game<'a> {
    engine: &'a Engine,
    evaluator: Evaluator<'a>,
    x: &'a [f32],
    background: &'a Background,
    players: &'a GroupMap,
    targets: &'a [u32],
    link: Link,
}

impl<'a> Game<'a> {
    /// The game of row `x` of `model`, for outputs `targets`, with `players`.
    pub fn new(
        engine: &'a Engine,
        model: &'a dyn Model,
        x: &'a [f32],
        background: &'a Background,
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
            targets,
            link,
        }
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
        let mut out = vec![0.0f32; output_len];
        self.evaluator.predict(self.x, 1, &mut out)?;
        self.targets.iter().map(|&t| self.link.apply(f64::from(out[t as usize]))).collect()
    }

    /// link(Σ_b w_b f(b)) per target: the value of the empty coalition.
    pub fn base(&self) -> Result<Vec<f64>> {
        self.values(&vec![0u64; self.players().div_ceil(64)], self.players().div_ceil(64))
    }

    /// The values of `coalitions` (packed, `words` per coalition), `coalitions × targets`.
    pub fn values(&self, coalitions: &[u64], words: usize) -> Result<Vec<f64>> {
        let signature = self.evaluator.signature();
        let (row_len, output_len) = (signature.input_len(), signature.output_len);
        let background_rows = self.background.len();
        let count = coalitions.len() / words.max(1);
        // Outputs of a chunk may take half the budget; batch inputs are planned separately.
        let bytes_per_coalition = background_rows * output_len * std::mem::size_of::<f32>();
        let chunk = (self.engine.memory_budget_bytes() / 2 / bytes_per_coalition.max(1)).clamp(1, count.max(1));
        let mut values = vec![0.0f64; count * self.targets.len()];
        let mut outputs = Vec::new();
        for (bits, chunk_values) in coalitions.chunks(chunk * words).zip(values.chunks_mut(chunk * self.targets.len()))
        {
            let job = CoalitionJob {
                x: self.x,
                background: &self.background.rows,
                players: self.players,
                coalitions: bits,
                words,
            };
            let items = job.items();
            outputs.resize(items * output_len, 0.0);
            let plan = BatchPlan::new(
                signature,
                items,
                row_len,
                self.engine.memory_budget_bytes(),
                None,
                self.engine.threads(),
            )?;
            let source = CoalitionRows { backend: self.engine.backend(), job };
            self.evaluator.run(self.engine.pool(), plan, &source, &mut outputs)?;
            self.engine.pool().install(|| {
                self.engine.backend().reduce_background(
                    &outputs,
                    output_len,
                    &self.background.weights,
                    self.targets,
                    chunk_values,
                )
            })?;
        }
        for value in &mut values {
            *value = self.link.apply(*value)?;
        }
        Ok(values)
    }
}
