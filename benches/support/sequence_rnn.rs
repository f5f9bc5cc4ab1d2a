//! A cheap synthetic recurrent model for the TimeSHAP bench: an Elman RNN with 4 features
//! and 8 hidden units, h_t = tanh(W x_t + U h_{t−1} + b), score σ(v · h_L + c), with fixed
//! deterministic weights. U is scaled to a spectral radius well below 1, so an event's
//! influence fades geometrically with its age, as in a trained fraud GRU: pruning keeps
//! about the same number of recent events whatever the sequence length. It implements the
//! state callbacks (one step function serves every path) and can hide them.
//!
//! It lives under `benches/support/` so that cargo does not take it for a bench target.

use lumen::model::{SequenceModel, SequenceSignature};

/// Features per event.
pub const FEATURES: usize = 4;
const HIDDEN: usize = 8;

/// The RNN.
pub struct SequenceRnn {
    signature: SequenceSignature,
    w: [[f32; FEATURES]; HIDDEN],
    u: [[f32; HIDDEN]; HIDDEN],
    b: [f32; HIDDEN],
    v: [f32; HIDDEN],
}

/// A deterministic value in [-1, 1) for index `i` of stream `salt`.
fn wobble(i: usize, salt: usize) -> f32 {
    ((i * 37 + salt * 11) % 29) as f32 / 14.5 - 1.0
}

impl SequenceRnn {
    /// The model, exposing its state when `with_state`.
    pub fn new(with_state: bool) -> Self {
        let mut signature = SequenceSignature::new(FEATURES, 1);
        signature.state_len = with_state.then_some(HIDDEN);
        let mut model = Self {
            signature,
            w: [[0.0; FEATURES]; HIDDEN],
            u: [[0.0; HIDDEN]; HIDDEN],
            b: [0.0; HIDDEN],
            v: [0.0; HIDDEN],
        };
        for i in 0..HIDDEN {
            for j in 0..FEATURES {
                model.w[i][j] = wobble(i * FEATURES + j, 1);
            }
            for k in 0..HIDDEN {
                // Row sums of |U| stay below 8 × 0.06 = 0.48: a contraction.
                model.u[i][k] = 0.06 * wobble(i * HIDDEN + k, 2);
            }
            model.b[i] = 0.2 * wobble(i, 3);
            model.v[i] = 1.5 * wobble(i, 4);
        }
        model
    }

    fn run(&self, h: &mut [f32], events: &[f32]) {
        for x in events.chunks_exact(FEATURES) {
            let mut next = [0.0f32; HIDDEN];
            for (i, n) in next.iter_mut().enumerate() {
                let input: f32 = self.w[i].iter().zip(x).map(|(w, v)| w * v).sum();
                let recurrent: f32 = self.u[i].iter().zip(h.iter()).map(|(u, v)| u * v).sum();
                let s = self.b[i] + input + recurrent;
                *n = s.tanh();
            }
            h.copy_from_slice(&next);
        }
    }

    fn head(&self, h: &[f32]) -> f32 {
        let z: f32 = h.iter().zip(&self.v).map(|(a, b)| a * b).sum::<f32>() - 0.3;
        1.0 / (1.0 + (-z).exp())
    }
}

impl SequenceModel for SequenceRnn {
    fn signature(&self) -> &SequenceSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[f32], rows: usize, seq_len: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        for (x, out) in inputs.chunks_exact(seq_len * FEATURES).zip(outputs.iter_mut()).take(rows) {
            let mut h = [0.0f32; HIDDEN];
            self.run(&mut h, x);
            *out = self.head(&h);
        }
        Ok(())
    }

    fn run_prefix(
        &self,
        initial: Option<&[f32]>,
        inputs: &[f32],
        rows: usize,
        seq_len: usize,
        states: &mut [f32],
    ) -> lumen::Result<()> {
        for r in 0..rows {
            let h = &mut states[r * HIDDEN..(r + 1) * HIDDEN];
            match initial {
                Some(init) => h.copy_from_slice(&init[r * HIDDEN..(r + 1) * HIDDEN]),
                None => h.fill(0.0),
            }
            self.run(h, &inputs[r * seq_len * FEATURES..(r + 1) * seq_len * FEATURES]);
        }
        Ok(())
    }

    fn predict_from_state(
        &self,
        states: &[f32],
        inputs: &[f32],
        rows: usize,
        seq_len: usize,
        outputs: &mut [f32],
    ) -> lumen::Result<()> {
        for r in 0..rows {
            let mut h = [0.0f32; HIDDEN];
            h.copy_from_slice(&states[r * HIDDEN..(r + 1) * HIDDEN]);
            self.run(&mut h, &inputs[r * seq_len * FEATURES..(r + 1) * seq_len * FEATURES]);
            outputs[r] = self.head(&h);
        }
        Ok(())
    }
}

/// A deterministic sequence of `seq_len` events.
pub fn sequence(seq_len: usize) -> Vec<f32> {
    (0..seq_len * FEATURES).map(|i| wobble(i * 7 + 3, 5)).collect()
}
