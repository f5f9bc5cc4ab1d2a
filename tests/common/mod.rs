//! Shared test models and the per-backend test macro.
#![allow(dead_code)]

use lumen::backend::BackendKind;
use lumen::{BackendChoice, Engine, EngineConfig, ErrorKind, Model, ModelSignature};

#[path = "../support/pseudo_random.rs"]
mod pseudo_random;

/// An engine on `backend` with `threads` workers, or `None` (with a note) when that
/// backend cannot run on this machine (a failure instead with `LUMEN_REQUIRE_GPU=1`).
pub fn engine(backend: BackendKind, threads: usize) -> Option<Engine> {
    let choice = match backend {
        BackendKind::Cpu => BackendChoice::Cpu,
        BackendKind::Cuda => BackendChoice::Cuda,
    };
    match Engine::new(EngineConfig { backend: choice, threads, seed: 7, ..Default::default() }) {
        Ok(engine) => Some(engine),
        Err(e) if e.kind() == ErrorKind::BackendUnavailable && backend == BackendKind::Cuda => {
            // scripts/gpu-check.sh sets LUMEN_REQUIRE_GPU=1: there a skip would hide a failure.
            let required = std::env::var("LUMEN_REQUIRE_GPU").is_ok_and(|v| v == "1");
            assert!(!required, "LUMEN_REQUIRE_GPU=1 but the CUDA backend cannot run: {e}");
            eprintln!("skipped on cuda: {e}");
            None
        }
        Err(e) => panic!("engine on {backend} failed: {e}"),
    }
}

/// Writes one test body as a `_cpu` and a `_cuda` test. The body receives
/// `(backend: BackendKind)`; the `_cuda` test returns early where CUDA cannot run.
#[macro_export]
macro_rules! backend_tests {
    ($(fn $name:ident($backend:ident) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                fn body($backend: lumen::backend::BackendKind) $body
                #[test]
                fn cpu() { body(lumen::backend::BackendKind::Cpu) }
                #[test]
                fn cuda() { body(lumen::backend::BackendKind::Cuda) }
            }
        )*
    };
}

/// f_k(x) = Σ_i w[k][i]·x_i + b_k.
pub struct Linear {
    pub signature: ModelSignature,
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
}

impl Linear {
    /// A linear model over rows of `shape` with the given per-output weights.
    pub fn new(shape: &[usize], weights: Vec<Vec<f32>>, bias: Vec<f32>) -> Self {
        let mut signature = ModelSignature::flat(shape.iter().product(), weights.len());
        signature.input_shape = shape.to_vec();
        Self { signature, weights, bias }
    }
}

impl Model for Linear {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = self.signature.input_len();
        let k = self.weights.len();
        for r in 0..rows {
            for (o, w) in self.weights.iter().enumerate() {
                let x = &inputs[r * n..(r + 1) * n];
                outputs[r * k + o] = w.iter().zip(x).map(|(a, b)| a * b).sum::<f32>() + self.bias[o];
            }
        }
        Ok(())
    }
}

/// A smooth non-linear model with interactions: f(x) = tanh(Σ a_i x_i) + Π_{i<3} x_i.
pub struct Nonlinear {
    pub signature: ModelSignature,
}

impl Nonlinear {
    /// Over rows of `shape`, flagged concurrent or not.
    pub fn new(shape: &[usize], concurrent: bool) -> Self {
        let mut signature = ModelSignature::flat(shape.iter().product(), 2);
        signature.input_shape = shape.to_vec();
        signature.concurrent = concurrent;
        signature.max_batch_rows = Some(13);
        Self { signature }
    }
}

impl Model for Nonlinear {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for (x, out) in inputs.chunks(n).zip(outputs.chunks_mut(2)).take(rows) {
            let s: f32 = x.iter().enumerate().map(|(i, v)| v * ((i % 7) as f32 - 3.0) * 0.1).sum();
            out[0] = s.tanh() + x.iter().take(3).product::<f32>();
            out[1] = (s * 0.5).sin();
        }
        Ok(())
    }
}

/// `len` deterministic pseudo-random values in [-1, 1) (`tests/support/pseudo_random.rs`).
pub fn values(len: usize, seed: u64) -> Vec<f32> {
    pseudo_random::values(len, seed)
}

/// Exact Shapley values from the definition, for values `v` of every coalition (bit i of
/// the index = player i) of `m` players:
/// φ_i = Σ_{S ⊆ N∖{i}} |S|!(M−|S|−1)!/M! · (v(S ∪ {i}) − v(S)), summed with
/// [`compensated_sum`] (a plain sum of the 2^M terms errs by about 5e-15 at M = 12, more
/// than a double model's sampled values do).
pub fn brute_force_shapley(v: &[f64], m: usize) -> Vec<f64> {
    let factorial = |k: usize| (1..=k).map(|j| j as f64).product::<f64>();
    (0..m)
        .map(|i| {
            compensated_sum((0..1usize << m).filter(|s| s >> i & 1 == 0).map(|s| {
                let size = s.count_ones() as usize;
                factorial(size) * factorial(m - size - 1) / factorial(m) * (v[s | 1 << i] - v[s])
            }))
        })
        .collect()
}

/// The sum of `terms` with Neumaier's compensation.
pub fn compensated_sum(terms: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut lost) = (0.0f64, 0.0f64);
    for term in terms {
        let next = sum + term;
        lost += if sum.abs() >= term.abs() { (sum - next) + term } else { (term - next) + sum };
        sum = next;
    }
    sum + lost
}
