//! The game model of an explanation on the pruned sequence: a flat [`Model`] whose row is
//! `[older-events flag, tail events]`, so that the KernelSHAP engine's coalition masking
//! (z⊙x + (1−z)⊙b) switches the lumped older events as one player. The flag is 1 in x and
//! 0 in the background row: the older events are then either all original or all
//! background, and the adapter turns the flag back into those events, either by
//! prepending them (full re-evaluation) or by starting the tail from the hidden state the
//! model left after them (the state-carrying path: both states are computed once). Both
//! give the model's output on the same whole sequence, so the game, and every value, is
//! the same.
//!
//! The engine's memory budget plans batches by the game row (the tail); full
//! re-evaluation expands each batch row to the whole sequence inside the model call, so a
//! batch may briefly hold `L / tail` times the planned input bytes.

use crate::element::Element;
use crate::error::Result;
use crate::model::{Model, ModelSignature, SequenceModel};

use super::case::Case;

/// How the lumped older events reach the model.
enum Prefix<E: Element> {
    /// No older events (nothing pruned): rows are tails only, without a flag.
    Empty,
    /// Older events prepended to each tail: `split × F` original and background values.
    Events { original: Vec<E>, background: Vec<E> },
    /// Tails continued from the state after the older events: `state_len` values each.
    States { original: Vec<E>, background: Vec<E> },
}

/// The pruned game's model (see the module documentation).
pub(crate) struct LumpedModel<'a, E: Element = f32> {
    model: &'a dyn SequenceModel<E>,
    signature: ModelSignature,
    features: usize,
    split: usize,
    tail_len: usize,
    prefix: Prefix<E>,
}

impl<'a, E: Element> LumpedModel<'a, E> {
    /// The game model of `case` with the events before `split` lumped together.
    pub fn new(case: &Case<'a, E>, split: usize) -> Result<Self> {
        let f = case.features;
        let tail_len = case.seq_len - split;
        let prefix = if split == 0 {
            Prefix::Empty
        } else if case.use_state {
            let states = case.prefix_states(split)?;
            let (original, background) = states.split_at(states.len() / 2);
            Prefix::States { original: original.to_vec(), background: background.to_vec() }
        } else {
            Prefix::Events { original: case.x[..split * f].to_vec(), background: case.background[..split * f].to_vec() }
        };
        let sequence = case.model.signature();
        let lumped = usize::from(split > 0);
        let mut signature = ModelSignature::flat(lumped + tail_len * f, sequence.output_len);
        signature.max_batch_rows = sequence.max_batch_rows;
        signature.concurrent = sequence.concurrent;
        signature.element_type = E::TYPE;
        Ok(Self { model: case.model, signature, features: f, split, tail_len, prefix })
    }

    /// The game row of a sequence of `case.seq_len` events: `[flag, tail]`, flag = `on`.
    pub fn row(&self, sequence: &[E], on: bool) -> Vec<E> {
        let tail = &sequence[self.split * self.features..];
        match self.prefix {
            Prefix::Empty => tail.to_vec(),
            _ => std::iter::once(if on { E::one() } else { E::zero() }).chain(tail.iter().copied()).collect(),
        }
    }

    /// Whether the older events are lumped into a flag element (element 0 of a row).
    pub fn lumped(&self) -> bool {
        !matches!(self.prefix, Prefix::Empty)
    }
}

impl<E: Element> Model<E> for LumpedModel<'_, E> {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[E], rows: usize, outputs: &mut [E]) -> Result<()> {
        let row_len = self.signature.input_len();
        let tail_values = self.tail_len * self.features;
        // The flag is exactly 1 or 0 (x's or the background's); 0.5 splits them.
        let rows_iter = || inputs.chunks_exact(row_len).take(rows).map(|row| (row[0] > E::from_f64(0.5), &row[1..]));
        match &self.prefix {
            Prefix::Empty => self.model.predict(inputs, rows, self.tail_len, outputs),
            Prefix::Events { original, background } => {
                let mut sequences = Vec::with_capacity(rows * (original.len() + tail_values));
                for (on, tail) in rows_iter() {
                    sequences.extend_from_slice(if on { original } else { background });
                    sequences.extend_from_slice(tail);
                }
                self.model.predict(&sequences, rows, self.split + self.tail_len, outputs)
            }
            Prefix::States { original, background } => {
                let mut states = Vec::with_capacity(rows * original.len());
                let mut tails = Vec::with_capacity(rows * tail_values);
                for (on, tail) in rows_iter() {
                    states.extend_from_slice(if on { original } else { background });
                    tails.extend_from_slice(tail);
                }
                self.model.predict_from_state(&states, &tails, rows, self.tail_len, outputs)
            }
        }
    }
}
