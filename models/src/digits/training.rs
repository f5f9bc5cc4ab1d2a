//! Deterministic training of the digits network: mini-batch Adam on the mean
//! cross-entropy, with an L2 penalty on the weights and a cosine learning-rate decay, for
//! a fixed number of epochs. One seeded ChaCha8 generator draws the initial weights and
//! then each epoch's order of the images; everything runs on one thread in a fixed order,
//! so the same inputs and configuration give the same weights on every run.
//!
//! The library does not train at run time: `examples/train_digits.rs` runs this once and
//! writes `data/digits/cnn_weights.json`, which the library embeds.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::data::{CLASSES, IMAGE_SIDE, PIXELS};
use super::network::{layers, layers_mut, Cnn, Trace, KERNEL_SIDE, LAYER_LEN, PARAMETER_COUNT, POOLED_LEN};

/// How the network is trained.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainingConfig {
    /// Seed of the generator that draws the initial weights and the epochs' orders.
    pub seed: u64,
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per Adam step (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Adam's initial step size; it decays along a half cosine to 0 over training.
    pub learning_rate: f32,
    /// Coefficient λ of the penalty λ/2 · Σ w² on the weights (not the biases).
    pub l2_penalty: f32,
    /// Augmentation: each time an image is trained on, it is shifted by a whole number of
    /// pixels drawn uniformly from `-max_shift..=max_shift`, down and right independently,
    /// the uncovered pixels set to 0. 0 trains on the images as they are.
    pub max_shift: usize,
}

impl TrainingConfig {
    /// The configuration of the built-in network. The seed spells "DIGITS" in ASCII.
    pub const DIGITS: Self = Self {
        seed: 0x4449_4749_5453,
        epochs: 60,
        batch_size: 32,
        learning_rate: 0.003,
        l2_penalty: 1e-4,
        max_shift: 1,
    };
}

/// A trained network and the mean training cross-entropy of each epoch (measured on the
/// batches as they were trained, before each step).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingRun {
    /// The trained network.
    pub network: Cnn<f32>,
    /// Mean cross-entropy per epoch.
    pub epoch_losses: Vec<f64>,
}

const ADAM_BETA1: f32 = 0.9;
const ADAM_BETA2: f32 = 0.999;
const ADAM_EPSILON: f32 = 1e-8;

/// A network with He-uniform convolution kernels (limit √(6 / fan-in)), Glorot-uniform
/// dense weights (limit √(6 / (256 + 10))) and zero biases, drawn from `rng` layer by
/// layer in the parameter order of [`super::network::Layers`].
fn initialise(rng: &mut ChaCha8Rng) -> Cnn<f32> {
    let mut parameters = vec![0.0f32; PARAMETER_COUNT];
    let layers = layers_mut(&mut parameters);
    let mut draw = |values: &mut [f32], limit: f64| {
        for value in values {
            *value = ((rng.random::<f64>() * 2.0 - 1.0) * limit) as f32;
        }
    };
    let kernel_len = KERNEL_SIDE * KERNEL_SIDE;
    draw(layers.conv1_weights, (6.0 / kernel_len as f64).sqrt());
    draw(layers.conv2_weights, (6.0 / (kernel_len * layers.conv1_biases.len()) as f64).sqrt());
    draw(layers.dense_weights, (6.0 / (POOLED_LEN + CLASSES) as f64).sqrt());
    Cnn::from_parameters(parameters).unwrap_or_else(|| unreachable!("the vector has PARAMETER_COUNT values"))
}

/// Trains a network on `labels.len()` images (row-major, [`PIXELS`] values each).
///
/// # Panics
/// When `images` does not hold one image per label, there are no labels, a label is not
/// a class, or the batch size is 0.
pub fn train(images: &[f32], labels: &[u32], config: &TrainingConfig) -> TrainingRun {
    assert!(!labels.is_empty(), "training needs at least one image");
    assert_eq!(images.len(), labels.len() * PIXELS, "one image per label");
    assert!(labels.iter().all(|&label| (label as usize) < CLASSES), "labels are classes 0..10");
    assert!(config.batch_size > 0, "the batch size must be at least 1");

    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut network = initialise(&mut rng);
    let mut optimiser = Adam::new(PARAMETER_COUNT);
    let mut gradient = vec![0.0f32; PARAMETER_COUNT];
    let mut trace = Trace::new();
    let mut d_layer = [0.0f32; LAYER_LEN];
    let mut shifted = [0.0f32; PIXELS];
    let mut order: Vec<usize> = (0..labels.len()).collect();
    let steps_per_epoch = labels.len().div_ceil(config.batch_size);
    let total_steps = (steps_per_epoch * config.epochs).max(1);
    let mut epoch_losses = Vec::with_capacity(config.epochs);

    for _ in 0..config.epochs {
        shuffle(&mut order, &mut rng);
        let mut epoch_loss = 0.0f64;
        for batch in order.chunks(config.batch_size) {
            gradient.fill(0.0);
            let row_weight = 1.0 / batch.len() as f32;
            for &row in batch {
                let shift = [draw_shift(&mut rng, config.max_shift), draw_shift(&mut rng, config.max_shift)];
                shift_image(&images[row * PIXELS..][..PIXELS], shift, &mut shifted);
                let image = &shifted[..];
                let label = labels[row] as usize;
                network.forward(image, &mut trace);
                let probabilities = trace.probabilities();
                epoch_loss -= f64::from(probabilities[label].max(f32::MIN_POSITIVE)).ln();
                let mut d_logits = [0.0f32; CLASSES];
                for (class, (d, &p)) in d_logits.iter_mut().zip(probabilities).enumerate() {
                    let indicator = if class == label { 1.0 } else { 0.0 };
                    *d = (p - indicator) * row_weight;
                }
                network.backward(image, &trace, &d_logits, &mut d_layer, None, Some(&mut gradient));
            }
            add_l2_penalty(network.parameters(), &mut gradient, config.l2_penalty);
            let progress = optimiser.steps as f32 / total_steps as f32;
            let learning_rate = config.learning_rate * 0.5 * (1.0 + (std::f32::consts::PI * progress).cos());
            optimiser.step(network.parameters_mut(), &gradient, learning_rate);
        }
        epoch_losses.push(epoch_loss / labels.len() as f64);
    }
    TrainingRun { network, epoch_losses }
}

/// Adds λ · w to the gradient of every weight (not the biases).
fn add_l2_penalty(parameters: &[f32], gradient: &mut [f32], l2_penalty: f32) {
    let weights = layers(parameters);
    let gradients = layers_mut(gradient);
    for (d_weights, weights) in [
        (gradients.conv1_weights, weights.conv1_weights),
        (gradients.conv2_weights, weights.conv2_weights),
        (gradients.dense_weights, weights.dense_weights),
    ] {
        for (d, &w) in d_weights.iter_mut().zip(weights) {
            *d += l2_penalty * w;
        }
    }
}

/// A shift in `-max_shift..=max_shift`.
fn draw_shift(rng: &mut ChaCha8Rng, max_shift: usize) -> isize {
    if max_shift == 0 {
        return 0;
    }
    let max_shift = max_shift.min(IMAGE_SIDE);
    rng.random_range(0..=2 * max_shift) as isize - max_shift as isize
}

/// Writes `image` moved down by `shift[0]` and right by `shift[1]` pixels (up or left
/// when negative) into `shifted`, with zeros where nothing moved in.
fn shift_image(image: &[f32], shift: [isize; 2], shifted: &mut [f32; PIXELS]) {
    shifted.fill(0.0);
    let side = IMAGE_SIDE as isize;
    for y in 0..side {
        let source_y = y - shift[0];
        if !(0..side).contains(&source_y) {
            continue;
        }
        for x in 0..side {
            let source_x = x - shift[1];
            if (0..side).contains(&source_x) {
                shifted[(y * side + x) as usize] = image[(source_y * side + source_x) as usize];
            }
        }
    }
}

/// Fisher–Yates shuffle driven by `rng`.
fn shuffle(order: &mut [usize], rng: &mut ChaCha8Rng) {
    for last in (1..order.len()).rev() {
        let pick = rng.random_range(0..=last);
        order.swap(last, pick);
    }
}

/// Adam's moment estimates.
struct Adam {
    first: Vec<f32>,
    second: Vec<f32>,
    steps: u32,
}

impl Adam {
    fn new(parameters: usize) -> Self {
        Self { first: vec![0.0; parameters], second: vec![0.0; parameters], steps: 0 }
    }

    fn step(&mut self, parameters: &mut [f32], gradient: &[f32], learning_rate: f32) {
        self.steps += 1;
        let step = i32::try_from(self.steps).unwrap_or(i32::MAX);
        let first_correction = 1.0 - ADAM_BETA1.powi(step);
        let second_correction = 1.0 - ADAM_BETA2.powi(step);
        for (((parameter, &g), m), v) in parameters.iter_mut().zip(gradient).zip(&mut self.first).zip(&mut self.second)
        {
            *m = ADAM_BETA1 * *m + (1.0 - ADAM_BETA1) * g;
            *v = ADAM_BETA2 * *v + (1.0 - ADAM_BETA2) * g * g;
            let m_hat = *m / first_correction;
            let v_hat = *v / second_correction;
            *parameter -= learning_rate * m_hat / (v_hat.sqrt() + ADAM_EPSILON);
        }
    }
}
