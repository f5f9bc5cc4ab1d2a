//! Calls a [`SequenceModel`] within its limits: batches no larger than the model accepts,
//! outputs and states checked for NaN/Inf, rows counted (every sequence handed to a
//! callback counts as one model row).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::sequence::{SequenceModel, SequenceSignature};
use crate::element::{first_non_finite, Element};
use crate::engine::call_control::{self, CallControl};
use crate::error::{Error, ErrorKind, Result};

/// Calls one sequence model on behalf of one explanation.
pub struct SequenceEvaluator<'m, E: Element = f32> {
    model: &'m dyn SequenceModel<E>,
    rows_evaluated: AtomicU64,
    /// The control of the call that created the evaluator (checked before every model call).
    control: Option<Arc<CallControl>>,
}

fn non_finite<E: Element>(callback: &str, what: &str, values: &[E], width: usize) -> Result<()> {
    match first_non_finite(values) {
        None => Ok(()),
        Some(i) => Err(Error::new(
            ErrorKind::ModelNonFiniteOutput,
            format!(
                "model: the {callback} callback wrote {} to {what} {} of sequence {} of its batch; they must be finite",
                values[i],
                i % width.max(1),
                i / width.max(1)
            ),
        )),
    }
}

impl<'m, E: Element> SequenceEvaluator<'m, E> {
    /// An evaluator for `model`.
    pub fn new(model: &'m dyn SequenceModel<E>) -> Self {
        Self { model, rows_evaluated: AtomicU64::new(0), control: call_control::current() }
    }

    /// The model's signature.
    pub fn signature(&self) -> &SequenceSignature {
        self.model.signature()
    }

    /// Model rows (sequences handed to a callback) evaluated so far.
    pub fn rows_evaluated(&self) -> u64 {
        self.rows_evaluated.load(Ordering::Relaxed)
    }

    /// Adds `rows` to the count (rows evaluated through another evaluator).
    pub fn count(&self, rows: u64) {
        self.rows_evaluated.fetch_add(rows, Ordering::Relaxed);
    }

    /// Whether the call must stop: checked before each model call.
    fn before_call(&self) -> Result<()> {
        self.control.as_ref().map_or(Ok(()), |control| control.check())
    }

    /// Counts `rows` sequences as done for the call's progress, and checks it again.
    fn after_call(&self, rows: usize) -> Result<()> {
        self.control.as_ref().map_or(Ok(()), |control| control.rows_done(rows))
    }

    /// Announces `rows` model rows this call is about to evaluate (for its progress).
    pub fn plan_rows(&self, rows: usize) {
        if let Some(control) = &self.control {
            control.plan_rows(rows);
        }
    }

    fn batch_limit(&self) -> usize {
        self.signature().max_batch_rows.unwrap_or(usize::MAX).max(1)
    }

    fn check(&self, inputs: usize, rows: usize, seq_len: usize, out: usize, out_width: usize) -> Result<()> {
        let features = self.signature().features;
        if seq_len == 0 || inputs != rows * seq_len * features || out != rows * out_width {
            return Err(Error::new(ErrorKind::Internal, "sequence evaluator: buffers do not match the row count"));
        }
        Ok(())
    }

    /// Outputs of `rows` whole sequences of `seq_len` events.
    pub fn predict(&self, inputs: &[E], rows: usize, seq_len: usize, outputs: &mut [E]) -> Result<()> {
        let (features, output_len) = (self.signature().features, self.signature().output_len);
        self.check(inputs.len(), rows, seq_len, outputs.len(), output_len)?;
        let limit = self.batch_limit();
        for start in (0..rows).step_by(limit) {
            let n = limit.min(rows - start);
            let out = &mut outputs[start * output_len..(start + n) * output_len];
            let input = &inputs[start * seq_len * features..(start + n) * seq_len * features];
            self.before_call()?;
            self.model.predict(input, n, seq_len, out)?;
            self.count(n as u64);
            non_finite("predict", "output", out, output_len)?;
            self.after_call(n)?;
        }
        Ok(())
    }

    /// The state length, or the capability error.
    pub fn state_len(&self) -> Result<usize> {
        self.signature().state_len.ok_or_else(|| {
            Error::new(ErrorKind::ModelCapabilityMissing, "model: this sequence model does not expose its state")
        })
    }

    /// Hidden states after `rows` prefixes of `seq_len` events from `initial` (or the
    /// model's initial state).
    pub fn run_prefix(
        &self,
        initial: Option<&[E]>,
        inputs: &[E],
        rows: usize,
        seq_len: usize,
        states: &mut [E],
    ) -> Result<()> {
        let (features, state_len) = (self.signature().features, self.state_len()?);
        self.check(inputs.len(), rows, seq_len, states.len(), state_len)?;
        if initial.is_some_and(|s| s.len() != rows * state_len) {
            return Err(Error::new(ErrorKind::Internal, "sequence evaluator: initial states do not match the rows"));
        }
        let limit = self.batch_limit();
        for start in (0..rows).step_by(limit) {
            let n = limit.min(rows - start);
            let out = &mut states[start * state_len..(start + n) * state_len];
            let input = &inputs[start * seq_len * features..(start + n) * seq_len * features];
            let init = initial.map(|s| &s[start * state_len..(start + n) * state_len]);
            self.before_call()?;
            self.model.run_prefix(init, input, n, seq_len, out)?;
            self.count(n as u64);
            non_finite("run_prefix", "state element", out, state_len)?;
            self.after_call(n)?;
        }
        Ok(())
    }

    /// Outputs of `rows` tails of `seq_len` events continued from `states`.
    pub fn predict_from_state(
        &self,
        states: &[E],
        inputs: &[E],
        rows: usize,
        seq_len: usize,
        outputs: &mut [E],
    ) -> Result<()> {
        let (features, output_len, state_len) =
            (self.signature().features, self.signature().output_len, self.state_len()?);
        self.check(inputs.len(), rows, seq_len, outputs.len(), output_len)?;
        if states.len() != rows * state_len {
            return Err(Error::new(ErrorKind::Internal, "sequence evaluator: states do not match the rows"));
        }
        let limit = self.batch_limit();
        for start in (0..rows).step_by(limit) {
            let n = limit.min(rows - start);
            let out = &mut outputs[start * output_len..(start + n) * output_len];
            let input = &inputs[start * seq_len * features..(start + n) * seq_len * features];
            self.before_call()?;
            self.model.predict_from_state(
                &states[start * state_len..(start + n) * state_len],
                input,
                n,
                seq_len,
                out,
            )?;
            self.count(n as u64);
            non_finite("predict_from_state", "output", out, output_len)?;
            self.after_call(n)?;
        }
        Ok(())
    }
}
