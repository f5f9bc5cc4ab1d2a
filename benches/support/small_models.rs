//! Two small models with a known closed form, shared by `examples/call_latency.rs` and
//! `tests/engine_pool.rs`: `tanh(Σ xᵢ)` with its gradient, and a recurrence over events.

use lumen::model::{SequenceModel, SequenceSignature};
use lumen::{Model, ModelSignature};

/// `tanh(Σ xᵢ)`, with its gradient.
pub struct Tanh(pub ModelSignature);

impl Model for Tanh {
    fn signature(&self) -> &ModelSignature {
        &self.0
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = self.0.input_len();
        for (x, out) in inputs.chunks_exact(n).zip(outputs.iter_mut()).take(rows) {
            *out = x.iter().sum::<f32>().tanh();
        }
        Ok(())
    }
    fn gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        _targets: &[u32],
        gradients: &mut [f32],
        outputs: Option<&mut [f32]>,
    ) -> lumen::Result<()> {
        let n = self.0.input_len();
        for (x, g) in inputs.chunks_exact(n).zip(gradients.chunks_exact_mut(n)).take(rows) {
            g.fill(1.0 - x.iter().sum::<f32>().tanh().powi(2));
        }
        if let Some(outputs) = outputs {
            self.predict(inputs, rows, outputs)?;
        }
        Ok(())
    }
}

/// A recurrence over events: `h ← tanh(0.8 h + Σ features)`, output `h`.
pub struct Recurrent(pub SequenceSignature);

impl SequenceModel for Recurrent {
    fn signature(&self) -> &SequenceSignature {
        &self.0
    }
    fn predict(&self, inputs: &[f32], rows: usize, seq_len: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let f = self.0.features;
        for (x, out) in inputs.chunks_exact(seq_len * f).zip(outputs.iter_mut()).take(rows) {
            *out = x.chunks_exact(f).fold(0.0f32, |h, event| (0.8 * h + event.iter().sum::<f32>()).tanh());
        }
        Ok(())
    }
}
