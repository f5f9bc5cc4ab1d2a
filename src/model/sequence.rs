//! Sequence models: a row is a sequence of `seq_len` events of `features` values each
//! (event-major: event 0's features, then event 1's, …), and the sequence length may
//! change from call to call. Recurrent models may also expose their hidden state, so that
//! a shared prefix of many rows is run once and only the tails are re-evaluated.

use serde::Serialize;

use crate::element::{Element, ElementType};
use crate::error::{Error, ErrorKind, Result};

/// What the engine needs to know about a sequence model before calling it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceSignature {
    /// Values per event (F).
    pub features: usize,
    /// Outputs per sequence (scores, classes).
    pub output_len: usize,
    /// The largest number of sequences one call accepts; `None` means no limit.
    pub max_batch_rows: Option<usize>,
    /// Whether the model may be called from several threads at once; when false, the
    /// engine never overlaps two calls.
    pub concurrent: bool,
    /// Optional names of the F features.
    pub feature_names: Option<Vec<String>>,
    /// Length of the hidden state of one sequence when the model implements
    /// [`SequenceModel::run_prefix`] and [`SequenceModel::predict_from_state`]; `None`
    /// for a model that only predicts whole sequences.
    pub state_len: Option<usize>,
    /// The element type of the model's buffers (inputs, states, outputs).
    pub element_type: ElementType,
}

impl SequenceSignature {
    /// A signature for events of `features` values and `output_len` outputs: no batch
    /// limit, concurrent, no names, no state.
    pub fn new(features: usize, output_len: usize) -> Self {
        Self {
            features,
            output_len,
            max_batch_rows: None,
            concurrent: true,
            feature_names: None,
            state_len: None,
            element_type: ElementType::F32,
        }
    }

    /// Checks the signature's own consistency.
    pub fn validate(&self) -> Result<()> {
        if self.features == 0 {
            return Err(Error::invalid("features", "is 0, expected >= 1 value per event"));
        }
        if self.output_len == 0 {
            return Err(Error::invalid("output_len", "is 0, expected >= 1"));
        }
        if self.max_batch_rows == Some(0) {
            return Err(Error::invalid("max_batch_rows", "is 0 inside Some; use None for no limit"));
        }
        if self.state_len == Some(0) {
            return Err(Error::invalid("state_len", "is 0 inside Some; use None for a model without state"));
        }
        if let Some(names) = &self.feature_names {
            if names.len() != self.features {
                return Err(Error::length("feature_names", names.len(), format!("features = {}", self.features)));
            }
        }
        Ok(())
    }
}

/// A model over sequences of events. Implemented by [`HostSequenceModel`] for C callers
/// and by Rust models in other crates (e.g. a GRU); implementations must be deterministic
/// functions of each sequence (and, for the state methods, of each state).
///
/// [`HostSequenceModel`]: super::HostSequenceModel
pub trait SequenceModel<E: Element = f32>: Send + Sync {
    /// The model's event width, outputs, limits, concurrency policy and state length.
    fn signature(&self) -> &SequenceSignature;

    /// Writes `rows × output_len` outputs for `rows` sequences of `seq_len` events
    /// (`inputs` holds `rows × seq_len × features` values, row-major, event-major within
    /// a row). `seq_len >= 1`.
    fn predict(&self, inputs: &[E], rows: usize, seq_len: usize, outputs: &mut [E]) -> Result<()>;

    /// Runs `rows` sequences of `seq_len >= 1` events starting from `initial` states
    /// (`rows × state_len`; `None` = the model's own initial state) and writes the hidden
    /// states after their last event into `states` (`rows × state_len`). Running a
    /// sequence in two pieces, the second from the state the first left, must give the
    /// state of running it whole.
    fn run_prefix(
        &self,
        initial: Option<&[E]>,
        inputs: &[E],
        rows: usize,
        seq_len: usize,
        states: &mut [E],
    ) -> Result<()> {
        let _ = (initial, inputs, rows, seq_len, states);
        Err(Error::new(ErrorKind::ModelCapabilityMissing, "model: this sequence model does not expose its state"))
    }

    /// Writes `rows × output_len` outputs for `rows` tails of `seq_len >= 1` events, each
    /// continuing from its hidden state in `states` (`rows × state_len`): the output of
    /// the whole sequence whose prefix left that state.
    fn predict_from_state(
        &self,
        states: &[E],
        inputs: &[E],
        rows: usize,
        seq_len: usize,
        outputs: &mut [E],
    ) -> Result<()> {
        let _ = (states, inputs, rows, seq_len, outputs);
        Err(Error::new(ErrorKind::ModelCapabilityMissing, "model: this sequence model does not expose its state"))
    }
}
