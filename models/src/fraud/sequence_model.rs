//! The fraud GRU as a Lumen [`SequenceModel`], with its hidden state exposed so that
//! TimeSHAP runs a pruned prefix once and re-evaluates only the tails.

use lumen::{Result, SequenceModel, SequenceSignature};

use super::features::FEATURE_NAMES;
use super::gru::FraudGru;

/// A [`FraudGru`] behind Lumen's sequence-model trait: F = 8 named features, one output
/// (the takeover probability), concurrent, state length = hidden units.
#[derive(Debug, Clone)]
pub struct FraudSequenceModel {
    gru: FraudGru,
    signature: SequenceSignature,
}

impl FraudSequenceModel {
    /// Wraps `gru`.
    pub fn new(gru: FraudGru) -> Self {
        let mut signature = SequenceSignature::new(gru.features(), 1);
        signature.feature_names = Some(FEATURE_NAMES.iter().map(|name| name.to_string()).collect());
        signature.state_len = Some(gru.hidden_size());
        Self { gru, signature }
    }

    /// The built-in model (the committed weights).
    pub fn built_in() -> Self {
        Self::new(FraudGru::shared().clone())
    }

    /// The wrapped network.
    pub fn gru(&self) -> &FraudGru {
        &self.gru
    }
}

impl SequenceModel for FraudSequenceModel {
    fn signature(&self) -> &SequenceSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[f32], rows: usize, seq_len: usize, outputs: &mut [f32]) -> Result<()> {
        self.gru.predict(inputs, rows, seq_len, outputs)
    }

    fn run_prefix(
        &self,
        initial: Option<&[f32]>,
        inputs: &[f32],
        rows: usize,
        seq_len: usize,
        states: &mut [f32],
    ) -> Result<()> {
        self.gru.run_prefix(inputs, rows, seq_len, initial, states)
    }

    fn predict_from_state(
        &self,
        states: &[f32],
        inputs: &[f32],
        rows: usize,
        seq_len: usize,
        outputs: &mut [f32],
    ) -> Result<()> {
        self.gru.predict_from_state(inputs, rows, seq_len, states, outputs)
    }
}
