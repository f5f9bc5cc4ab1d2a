//! The fraud GRU's forward pass in `f32`, batched over sequences: the whole-sequence
//! score, and the state-carrying pair (run a prefix, then score tails from its state) that
//! lets TimeSHAP re-evaluate only the events after a pruned prefix.
//!
//! Inputs are laid out `rows × seq_len × F`: sequence by sequence, event by event, the
//! [`FEATURES`] numbers of each event together. States are `rows × H`. Rows are
//! independent and each is computed by the same sequence of operations whichever thread
//! runs it, so results do not depend on the thread count, and scoring a tail from the state
//! after its prefix gives bit for bit the score of the whole sequence.

use std::sync::OnceLock;

use lumen::error::ensure_finite;
use lumen::{Error, Result};
use rayon::prelude::*;

use super::activation;
use super::features::{FEATURES, FEATURE_NAMES};
use super::layout::GruShape;
use super::weights::{WeightsError, WeightsFile, MODEL};

/// Sequences one parallel task scores together.
const ROWS_PER_TASK: usize = 8;

/// The most hidden units a [`FraudGru`] accepts (a bound that keeps every size
/// computation far from overflow; the built-in model has 16).
pub const MAX_HIDDEN: usize = 4096;

/// The account-takeover GRU: one GRU layer over the events (see [`super::layout`] for the
/// equations) and a logistic head on the last hidden state. Its score is the probability
/// that the history ends in an account takeover.
#[derive(Debug, Clone, PartialEq)]
pub struct FraudGru {
    shape: GruShape,
    parameters: Vec<f32>,
    /// `weight_ih` transposed, F × 3H: one contiguous row of gate weights per feature.
    input_weights_by_feature: Vec<f32>,
    /// `weight_hh` transposed, H × 3H: one contiguous row of gate weights per hidden unit.
    hidden_weights_by_unit: Vec<f32>,
}

/// Scratch space of one task: the gate pre-activations of one event.
struct Workspace {
    from_input: Vec<f32>,
    from_state: Vec<f32>,
}

impl FraudGru {
    /// A GRU over [`FEATURES`] features with `hidden` units and the given parameters (the
    /// layout of [`super::layout::GruLayers`]).
    pub fn from_parameters(hidden: usize, parameters: Vec<f32>) -> std::result::Result<Self, WeightsError> {
        if hidden == 0 || hidden > MAX_HIDDEN {
            return Err(WeightsError::new(MODEL, format!("{hidden} hidden units, expected 1 to {MAX_HIDDEN}")));
        }
        let shape = GruShape { features: FEATURES, hidden };
        if parameters.len() != shape.parameter_count() {
            return Err(WeightsError::new(
                MODEL,
                format!(
                    "{} parameters, a GRU with {hidden} hidden units over {FEATURES} features has {}",
                    parameters.len(),
                    shape.parameter_count()
                ),
            ));
        }
        if let Some(bad) = parameters.iter().position(|v| !v.is_finite()) {
            return Err(WeightsError::new(MODEL, format!("parameter {bad} is {}", parameters[bad])));
        }
        let layers = shape.layers(&parameters);
        let input_weights_by_feature = transpose(layers.weight_ih, 3 * hidden, FEATURES);
        let hidden_weights_by_unit = transpose(layers.weight_hh, 3 * hidden, hidden);
        Ok(Self { shape, parameters, input_weights_by_feature, hidden_weights_by_unit })
    }

    /// The model a weights file holds.
    pub fn from_json(text: &str) -> std::result::Result<Self, WeightsError> {
        WeightsFile::parse(text)?.model()
    }

    /// The built-in model: the committed weights (`data/fraud/gru_weights.json`, embedded
    /// at compile time), parsed and checked.
    pub fn load_default() -> std::result::Result<Self, WeightsError> {
        WeightsFile::embedded()?.model()
    }

    /// The built-in model, loaded on first use and shared afterwards.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<FraudGru> = OnceLock::new();
        SHARED.get_or_init(|| {
            Self::load_default()
                .unwrap_or_else(|error| panic!("the embedded weights are checked by the tests: {error}"))
        })
    }

    /// Features per event, F (always [`FEATURES`]).
    pub fn features(&self) -> usize {
        self.shape.features
    }

    /// Hidden units, H: the length of one sequence's state.
    pub fn hidden_size(&self) -> usize {
        self.shape.hidden
    }

    /// The features' names, in input order.
    pub fn feature_names(&self) -> &'static [&'static str; FEATURES] {
        &FEATURE_NAMES
    }

    /// The sizes of the network.
    pub fn shape(&self) -> GruShape {
        self.shape
    }

    /// The parameters, in the layout of [`super::layout::GruLayers`].
    pub fn parameters(&self) -> &[f32] {
        &self.parameters
    }

    /// Scores `rows` sequences of `seq_len` events each (`inputs`: rows × seq_len × F),
    /// starting every sequence from the zero state: `outputs[i]` is the probability that
    /// sequence `i` ends in an account takeover.
    ///
    /// Fails when `seq_len` is 0, a length does not match, or an input is not finite.
    pub fn predict(&self, inputs: &[f32], rows: usize, seq_len: usize, outputs: &mut [f32]) -> Result<()> {
        if seq_len == 0 {
            return Err(Error::invalid("seq_len", "0; a sequence needs at least one event"));
        }
        self.check_inputs(inputs, rows, seq_len)?;
        check_len("outputs", outputs.len(), rows, 1, "1 per row")?;
        self.for_each_row(outputs, 1, |row, output, workspace, state| {
            state.fill(0.0);
            self.run_events(row_events(inputs, row, seq_len), state, workspace);
            output[0] = self.head(state);
        });
        Ok(())
    }

    /// Runs `rows` sequences of `seq_len` events (`inputs`: rows × seq_len × F) and writes
    /// the hidden state after each one's last event into `state_out` (rows × H). Sequence
    /// `i` starts from `initial_state[i·H..(i+1)·H]`, or from zeros when `initial_state`
    /// is `None`. With `seq_len` 0 the initial states are copied through.
    ///
    /// Fails when a length does not match or an input or initial state is not finite.
    pub fn run_prefix(
        &self,
        inputs: &[f32],
        rows: usize,
        seq_len: usize,
        initial_state: Option<&[f32]>,
        state_out: &mut [f32],
    ) -> Result<()> {
        self.check_inputs(inputs, rows, seq_len)?;
        let hidden = self.shape.hidden;
        if let Some(initial) = initial_state {
            self.check_state("initial_state", initial, rows)?;
        }
        check_len("state_out", state_out.len(), rows, hidden, "rows × hidden size")?;
        self.for_each_row(state_out, hidden, |row, out, workspace, _| {
            match initial_state {
                Some(initial) => out.copy_from_slice(&initial[row * hidden..][..hidden]),
                None => out.fill(0.0),
            }
            self.run_events(row_events(inputs, row, seq_len), out, workspace);
        });
        Ok(())
    }

    /// Scores `rows` tails of `seq_len` events (`inputs`: rows × seq_len × F), tail `i`
    /// continuing from `state[i·H..(i+1)·H]`, the state [`FraudGru::run_prefix`] returned
    /// after its prefix. The score equals [`FraudGru::predict`] on prefix + tail, bit for
    /// bit. With `seq_len` 0 it scores the states themselves.
    ///
    /// Fails when a length does not match or an input or state is not finite.
    pub fn predict_from_state(
        &self,
        inputs: &[f32],
        rows: usize,
        seq_len: usize,
        state: &[f32],
        outputs: &mut [f32],
    ) -> Result<()> {
        self.check_inputs(inputs, rows, seq_len)?;
        self.check_state("state", state, rows)?;
        check_len("outputs", outputs.len(), rows, 1, "1 per row")?;
        let hidden = self.shape.hidden;
        self.for_each_row(outputs, 1, |row, output, workspace, current| {
            current.copy_from_slice(&state[row * hidden..][..hidden]);
            self.run_events(row_events(inputs, row, seq_len), current, workspace);
            output[0] = self.head(current);
        });
        Ok(())
    }

    fn check_inputs(&self, inputs: &[f32], rows: usize, seq_len: usize) -> Result<()> {
        let events = rows
            .checked_mul(seq_len)
            .ok_or_else(|| Error::invalid("rows", format!("{rows} rows × {seq_len} events overflow")))?;
        check_len("inputs", inputs.len(), events, FEATURES, "rows × seq_len × features")?;
        ensure_finite("inputs", inputs)
    }

    fn check_state(&self, name: &str, state: &[f32], rows: usize) -> Result<()> {
        check_len(name, state.len(), rows, self.shape.hidden, "rows × hidden size")?;
        ensure_finite(name, state)
    }

    /// Calls `work(row, out, workspace, state)` for every row, `out` being the row's
    /// `per_row` values of `destination`, in parallel tasks of [`ROWS_PER_TASK`] rows that
    /// each own a workspace and a state buffer.
    fn for_each_row<W>(&self, destination: &mut [f32], per_row: usize, work: W)
    where
        W: Fn(usize, &mut [f32], &mut Workspace, &mut [f32]) + Sync,
    {
        let gates = 3 * self.shape.hidden;
        destination.par_chunks_mut(ROWS_PER_TASK * per_row).enumerate().for_each(|(task, chunk)| {
            let mut workspace = Workspace { from_input: vec![0.0; gates], from_state: vec![0.0; gates] };
            let mut state = vec![0.0; self.shape.hidden];
            for (offset, out) in chunk.chunks_exact_mut(per_row).enumerate() {
                work(task * ROWS_PER_TASK + offset, out, &mut workspace, &mut state);
            }
        });
    }

    /// Advances `state` over `events` (whole events of [`FEATURES`] numbers), with the
    /// widest vector instructions the CPU offers. The arithmetic is the same on every path
    /// (no fused multiply-adds), so the bits are too.
    fn run_events(&self, events: &[f32], state: &mut [f32], workspace: &mut Workspace) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.run_events_avx2(events, state, workspace) };
        }
        self.run_events_portable(events, state, workspace);
    }

    /// [`FraudGru::run_events`] compiled for AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_events_avx2(&self, events: &[f32], state: &mut [f32], workspace: &mut Workspace) {
        self.run_events_portable(events, state, workspace);
    }

    /// Dispatches to a kernel compiled for the hidden size when there is one (16, 24 or
    /// 32 units: the gate sums then live in registers), to the general one otherwise. Both
    /// perform the same operations in the same order, so they give the same bits.
    #[inline(always)]
    fn run_events_portable(&self, events: &[f32], state: &mut [f32], workspace: &mut Workspace) {
        match self.shape.hidden {
            16 => self.run_events_sized::<16, 48>(events, state),
            24 => self.run_events_sized::<24, 72>(events, state),
            32 => self.run_events_sized::<32, 96>(events, state),
            _ => self.run_events_any_size(events, state, workspace),
        }
    }

    /// The GRU step over every event for `H` hidden units and `G` = 3H gate values.
    #[inline(always)]
    fn run_events_sized<const H: usize, const G: usize>(&self, events: &[f32], state: &mut [f32]) {
        let layers = self.shape.layers(&self.parameters);
        let (Ok(bias_ih), Ok(bias_hh), Ok(current)) = (
            <&[f32; G]>::try_from(layers.bias_ih),
            <&[f32; G]>::try_from(layers.bias_hh),
            <&mut [f32; H]>::try_from(state),
        ) else {
            unreachable!("the dispatch matches H to the shape");
        };
        for event in events.chunks_exact(FEATURES) {
            let mut from_input = *bias_ih;
            for (&value, weights) in event.iter().zip(fixed_rows::<G>(&self.input_weights_by_feature)) {
                for (sum, &weight) in from_input.iter_mut().zip(weights) {
                    *sum += value * weight;
                }
            }
            let mut from_state = *bias_hh;
            for (&value, weights) in current.iter().zip(fixed_rows::<G>(&self.hidden_weights_by_unit)) {
                for (sum, &weight) in from_state.iter_mut().zip(weights) {
                    *sum += value * weight;
                }
            }
            for (gate, &from_state) in from_input[..2 * H].iter_mut().zip(&from_state[..2 * H]) {
                *gate = activation::sigmoid(*gate + from_state);
            }
            for unit in 0..H {
                let candidate =
                    activation::tanh(from_input[2 * H + unit] + from_input[unit] * from_state[2 * H + unit]);
                let update = from_input[H + unit];
                current[unit] = (1.0 - update) * candidate + update * current[unit];
            }
        }
    }

    /// The GRU step over every event for any hidden size: the gate pre-activations as sums
    /// of weight rows scaled by the inputs and the state (contiguous, so they vectorise),
    /// then the gates.
    fn run_events_any_size(&self, events: &[f32], state: &mut [f32], workspace: &mut Workspace) {
        let hidden = self.shape.hidden;
        let gates = 3 * hidden;
        let layers = self.shape.layers(&self.parameters);
        let Workspace { from_input, from_state } = workspace;
        for event in events.chunks_exact(FEATURES) {
            from_input.copy_from_slice(layers.bias_ih);
            for (&value, weights) in event.iter().zip(self.input_weights_by_feature.chunks_exact(gates)) {
                for (sum, &weight) in from_input.iter_mut().zip(weights) {
                    *sum += value * weight;
                }
            }
            from_state.copy_from_slice(layers.bias_hh);
            for (&value, weights) in state.iter().zip(self.hidden_weights_by_unit.chunks_exact(gates)) {
                for (sum, &weight) in from_state.iter_mut().zip(weights) {
                    *sum += value * weight;
                }
            }
            let (reset_update, candidate) = from_input.split_at_mut(2 * hidden);
            let (state_reset_update, state_candidate) = from_state.split_at(2 * hidden);
            for (gate, &from_state) in reset_update.iter_mut().zip(state_reset_update) {
                *gate = activation::sigmoid(*gate + from_state);
            }
            let (reset, update) = reset_update.split_at(hidden);
            for ((value, &reset), &from_state) in candidate.iter_mut().zip(reset).zip(state_candidate) {
                *value = activation::tanh(*value + reset * from_state);
            }
            for ((unit, &update), &candidate) in state.iter_mut().zip(update).zip(candidate.iter()) {
                *unit = (1.0 - update) * candidate + update * *unit;
            }
        }
    }

    /// The head's probability for a final state.
    fn head(&self, state: &[f32]) -> f32 {
        let layers = self.shape.layers(&self.parameters);
        let logit = layers.weight_out.iter().zip(state).fold(layers.bias_out[0], |sum, (&w, &h)| sum + w * h);
        activation::sigmoid(logit)
    }
}

/// The events of sequence `row`.
fn row_events(inputs: &[f32], row: usize, seq_len: usize) -> &[f32] {
    &inputs[row * seq_len * FEATURES..][..seq_len * FEATURES]
}

/// `weights` as rows of `G` values.
fn fixed_rows<const G: usize>(weights: &[f32]) -> impl Iterator<Item = &[f32; G]> {
    weights.chunks_exact(G).filter_map(|row| row.try_into().ok())
}

/// `matrix` (rows × columns, row-major) transposed.
fn transpose(matrix: &[f32], rows: usize, columns: usize) -> Vec<f32> {
    let mut out = vec![0.0; matrix.len()];
    for row in 0..rows {
        for column in 0..columns {
            out[column * rows + row] = matrix[row * columns + column];
        }
    }
    out
}

/// Fails unless `actual == count × per_item` (and that product does not overflow).
fn check_len(name: &str, actual: usize, count: usize, per_item: usize, what: &str) -> Result<()> {
    match count.checked_mul(per_item) {
        Some(expected) if expected == actual => Ok(()),
        Some(expected) => Err(Error::length(name, actual, format!("{expected} ({what})"))),
        None => Err(Error::invalid(name, format!("{count} × {per_item} values overflow"))),
    }
}
