//! Deterministic training of the fraud GRU: mini-batch Adam on the mean binary
//! cross-entropy of the head's probability, gradients by backpropagation through time in
//! `f64` ([`super::backward`]), clipped to a maximum global norm, with a cosine
//! learning-rate decay.
//!
//! One seeded ChaCha8 generator draws the initial weights (PyTorch's GRU initialisation,
//! uniform in ±1/√H) and each epoch's order of the sequences. Each batch's per-sequence
//! gradients are computed in parallel and summed in sequence order, so the same data and
//! configuration give the same weights on any number of threads.
//!
//! The library does not train at run time: `examples/train_fraud_gru.rs` runs this once
//! and writes `data/fraud/gru_weights.json`, which the library embeds.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::backward::{backward, forward, sigmoid, Trace};
use super::features::FEATURES;
use super::generator::AccountHistory;
use super::layout::GruShape;

/// How the GRU is trained.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainingConfig {
    /// Seed of the generator that draws the initial weights and the epochs' orders.
    pub seed: u64,
    /// Hidden units, H.
    pub hidden: usize,
    /// Passes over the training sequences.
    pub epochs: usize,
    /// Sequences per Adam step (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Adam's initial step size; it decays along a half cosine to 0 over training.
    pub learning_rate: f64,
    /// Largest Euclidean norm of a batch's gradient; larger ones are scaled down to it.
    pub max_gradient_norm: f64,
}

impl TrainingConfig {
    /// The configuration of the built-in GRU. The seed spells "GRU" in ASCII.
    pub const FRAUD_GRU: Self =
        Self { seed: 0x47_5255, hidden: 16, epochs: 12, batch_size: 32, learning_rate: 0.01, max_gradient_norm: 5.0 };
}

/// A training run's result: the parameters (layout of [`super::layout::GruLayers`], `f64`)
/// and the mean cross-entropy of each epoch (measured on the batches as they were trained,
/// before each step).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingRun {
    /// The sizes of the network.
    pub shape: GruShape,
    /// The trained parameters.
    pub parameters: Vec<f64>,
    /// Mean cross-entropy per epoch.
    pub epoch_losses: Vec<f64>,
}

impl TrainingRun {
    /// The parameters rounded to `f32`.
    pub fn parameters_f32(&self) -> Vec<f32> {
        self.parameters.iter().map(|&p| p as f32).collect()
    }
}

/// One training sequence: its encoded events and label.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledSequence {
    /// L × [`FEATURES`] numbers.
    pub events: Vec<f32>,
    /// 1 for an account takeover, 0 otherwise.
    pub label: f64,
}

impl LabelledSequence {
    /// The encoded events and label of a generated history.
    pub fn from_history(history: &AccountHistory) -> Self {
        Self { events: history.encoded(), label: if history.is_fraud() { 1.0 } else { 0.0 } }
    }
}

/// Binary cross-entropy of a logit against a 0/1 label, computed stably:
/// softplus(logit) − label · logit.
pub fn cross_entropy(logit: f64, label: f64) -> f64 {
    let softplus = if logit > 0.0 { logit + (-logit).exp().ln_1p() } else { logit.exp().ln_1p() };
    softplus - label * logit
}

/// The mean cross-entropy of `sequences` and its gradient with respect to `parameters`
/// (written into `gradient`), the per-sequence gradients summed in sequence order.
///
/// # Panics
/// When `sequences` is empty or the lengths do not match `shape`.
pub fn loss_and_gradient(
    shape: GruShape,
    parameters: &[f64],
    sequences: &[&LabelledSequence],
    gradient: &mut [f64],
) -> f64 {
    assert!(!sequences.is_empty(), "a gradient needs at least one sequence");
    let weight = 1.0 / sequences.len() as f64;
    let per_sequence: Vec<(f64, Vec<f64>)> = sequences
        .par_iter()
        .map_init(Trace::new, |trace, sequence| {
            let logit = forward(shape, parameters, &sequence.events, trace);
            let mut own = vec![0.0; parameters.len()];
            backward(shape, parameters, &sequence.events, trace, (sigmoid(logit) - sequence.label) * weight, &mut own);
            (cross_entropy(logit, sequence.label), own)
        })
        .collect();
    gradient.fill(0.0);
    let mut loss = 0.0;
    for (sequence_loss, own) in per_sequence {
        loss += sequence_loss * weight;
        for (g, o) in gradient.iter_mut().zip(own) {
            *g += o;
        }
    }
    loss
}

/// Initial parameters: every value uniform in ±1/√H (PyTorch's GRU and linear layers use
/// the same bound here), drawn in layout order.
pub fn initial_parameters(shape: GruShape, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let bound = 1.0 / (shape.hidden as f64).sqrt();
    (0..shape.parameter_count()).map(|_| (rng.random::<f64>() * 2.0 - 1.0) * bound).collect()
}

/// Trains a GRU over [`FEATURES`] features on `sequences`.
///
/// # Panics
/// When there are no sequences, the batch size or hidden size is 0, or a sequence is not
/// whole events.
pub fn train(sequences: &[LabelledSequence], config: &TrainingConfig) -> TrainingRun {
    assert!(!sequences.is_empty(), "training needs at least one sequence");
    assert!(config.batch_size > 0 && config.hidden > 0, "batch size and hidden size must be at least 1");
    let shape = GruShape { features: FEATURES, hidden: config.hidden };
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut parameters = initial_parameters(shape, &mut rng);
    let mut optimiser = Adam::new(parameters.len());
    let mut gradient = vec![0.0; parameters.len()];
    let mut order: Vec<usize> = (0..sequences.len()).collect();
    let total_steps = (sequences.len().div_ceil(config.batch_size) * config.epochs).max(1);
    let mut epoch_losses = Vec::with_capacity(config.epochs);
    for _ in 0..config.epochs {
        shuffle(&mut order, &mut rng);
        let mut epoch_loss = 0.0;
        for batch in order.chunks(config.batch_size) {
            let batch: Vec<&LabelledSequence> = batch.iter().map(|&i| &sequences[i]).collect();
            epoch_loss += loss_and_gradient(shape, &parameters, &batch, &mut gradient) * batch.len() as f64;
            clip(&mut gradient, config.max_gradient_norm);
            let progress = optimiser.steps as f64 / total_steps as f64;
            let learning_rate = config.learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
            optimiser.step(&mut parameters, &gradient, learning_rate);
        }
        epoch_losses.push(epoch_loss / sequences.len() as f64);
    }
    TrainingRun { shape, parameters, epoch_losses }
}

/// Scales `gradient` down to Euclidean norm `max_norm` when it is longer.
fn clip(gradient: &mut [f64], max_norm: f64) {
    let norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
    if norm > max_norm {
        let scale = max_norm / norm;
        gradient.iter_mut().for_each(|g| *g *= scale);
    }
}

/// Fisher–Yates shuffle driven by `rng`.
fn shuffle(order: &mut [usize], rng: &mut ChaCha8Rng) {
    for last in (1..order.len()).rev() {
        let pick = rng.random_range(0..=last);
        order.swap(last, pick);
    }
}

const ADAM_BETA1: f64 = 0.9;
const ADAM_BETA2: f64 = 0.999;
const ADAM_EPSILON: f64 = 1e-8;

/// Adam's moment estimates.
struct Adam {
    first: Vec<f64>,
    second: Vec<f64>,
    steps: u32,
}

impl Adam {
    fn new(parameters: usize) -> Self {
        Self { first: vec![0.0; parameters], second: vec![0.0; parameters], steps: 0 }
    }

    fn step(&mut self, parameters: &mut [f64], gradient: &[f64], learning_rate: f64) {
        self.steps += 1;
        let step = i32::try_from(self.steps).unwrap_or(i32::MAX);
        let first_correction = 1.0 - ADAM_BETA1.powi(step);
        let second_correction = 1.0 - ADAM_BETA2.powi(step);
        for (((parameter, &g), m), v) in parameters.iter_mut().zip(gradient).zip(&mut self.first).zip(&mut self.second)
        {
            *m = ADAM_BETA1 * *m + (1.0 - ADAM_BETA1) * g;
            *v = ADAM_BETA2 * *v + (1.0 - ADAM_BETA2) * g * g;
            *parameter -= learning_rate * (*m / first_correction) / ((*v / second_correction).sqrt() + ADAM_EPSILON);
        }
    }
}
