//! A small multilayer perceptron: input columns → [`HIDDEN_UNITS`] tanh units → one
//! sigmoid output. Its parameters live in one flat vector so that the optimiser can treat
//! them uniformly, with named views of each layer for the forward and backward passes.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Number of tanh units in the hidden layer.
pub const HIDDEN_UNITS: usize = 16;

/// A trained or freshly initialised network.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    input_len: usize,
    parameters: Vec<f32>,
}

/// Named views of a flat parameter (or gradient) vector laid out as: hidden weights
/// (`HIDDEN_UNITS × input_len`, row-major, one row per unit), hidden biases
/// (`HIDDEN_UNITS`), output weights (`HIDDEN_UNITS`), output bias (1).
pub(crate) struct Layers<T> {
    pub(crate) hidden_weights: T,
    pub(crate) hidden_biases: T,
    pub(crate) output_weights: T,
    pub(crate) output_bias: T,
}

/// Number of parameters of a network with `input_len` inputs.
pub(crate) fn parameter_count(input_len: usize) -> usize {
    HIDDEN_UNITS * (input_len + 2) + 1
}

/// Splits a flat vector of [`parameter_count`]`(input_len)` values into its layers.
pub(crate) fn layers(values: &[f32], input_len: usize) -> Layers<&[f32]> {
    let (hidden_weights, rest) = values.split_at(HIDDEN_UNITS * input_len);
    let (hidden_biases, rest) = rest.split_at(HIDDEN_UNITS);
    let (output_weights, output_bias) = rest.split_at(HIDDEN_UNITS);
    Layers { hidden_weights, hidden_biases, output_weights, output_bias }
}

/// Splits a flat vector of [`parameter_count`]`(input_len)` values into its layers, mutably.
pub(crate) fn layers_mut(values: &mut [f32], input_len: usize) -> Layers<&mut [f32]> {
    let (hidden_weights, rest) = values.split_at_mut(HIDDEN_UNITS * input_len);
    let (hidden_biases, rest) = rest.split_at_mut(HIDDEN_UNITS);
    let (output_weights, output_bias) = rest.split_at_mut(HIDDEN_UNITS);
    Layers { hidden_weights, hidden_biases, output_weights, output_bias }
}

impl Mlp {
    /// A network for rows of `input_len` columns with Glorot-uniform weights drawn from
    /// `ChaCha8Rng::seed_from_u64(seed)` (hidden layer first, unit by unit) and zero biases.
    pub fn initialise(input_len: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut parameters = vec![0.0; parameter_count(input_len)];
        let mut draw_uniform = |values: &mut [f32], fan_in: usize, fan_out: usize| {
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
            for value in values {
                *value = ((rng.random::<f64>() * 2.0 - 1.0) * limit) as f32;
            }
        };
        let layers = layers_mut(&mut parameters, input_len);
        draw_uniform(layers.hidden_weights, input_len, HIDDEN_UNITS);
        draw_uniform(layers.output_weights, HIDDEN_UNITS, 1);
        Self { input_len, parameters }
    }

    /// Number of input columns.
    pub fn input_len(&self) -> usize {
        self.input_len
    }

    /// All parameters, flat: hidden weights (`HIDDEN_UNITS × input_len`, one row per
    /// unit), hidden biases, output weights, output bias.
    pub fn parameters(&self) -> &[f32] {
        &self.parameters
    }

    pub(crate) fn parameters_mut(&mut self) -> &mut [f32] {
        &mut self.parameters
    }

    /// The output for one row of `input_len` columns: a probability in (0, 1).
    ///
    /// # Panics
    /// When `row` does not hold `input_len` values.
    pub fn predict_row(&self, row: &[f32]) -> f32 {
        let mut hidden = [0.0; HIDDEN_UNITS];
        self.forward(row, &mut hidden)
    }

    /// Writes one output per row of `inputs` (row-major, `outputs.len() × input_len`).
    ///
    /// # Panics
    /// When `inputs` does not hold `outputs.len() × input_len` values.
    pub fn predict(&self, inputs: &[f32], outputs: &mut [f32]) {
        assert_eq!(inputs.len(), outputs.len() * self.input_len, "inputs must hold one row per output");
        for (row, output) in inputs.chunks_exact(self.input_len).zip(outputs) {
            *output = self.predict_row(row);
        }
    }

    /// The forward pass of one row: writes the hidden activations into `hidden` and
    /// returns the output probability.
    pub(crate) fn forward(&self, row: &[f32], hidden: &mut [f32; HIDDEN_UNITS]) -> f32 {
        assert_eq!(row.len(), self.input_len, "a row must hold input_len values");
        let layers = layers(&self.parameters, self.input_len);
        let mut logit = layers.output_bias[0];
        for (unit, activation) in hidden.iter_mut().enumerate() {
            let weights = &layers.hidden_weights[unit * self.input_len..(unit + 1) * self.input_len];
            let pre_activation = layers.hidden_biases[unit] + dot(weights, row);
            *activation = pre_activation.tanh();
            logit += layers.output_weights[unit] * *activation;
        }
        sigmoid(logit)
    }
}

/// Lanes of independent partial sums in [`dot`]: lets the compiler use SIMD while the
/// order of additions stays fixed, so results are the same on every run.
const DOT_LANES: usize = 8;

/// The dot product of two equally long slices, summed in a fixed order.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; DOT_LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(DOT_LANES), b.chunks_exact(DOT_LANES));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    for (a_chunk, b_chunk) in a_chunks.zip(b_chunks) {
        for lane in 0..DOT_LANES {
            lanes[lane] += a_chunk[lane] * b_chunk[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// The logistic function, computed without overflow for large |x|.
fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initialisation_depends_only_on_the_seed() {
        assert_eq!(Mlp::initialise(5, 7), Mlp::initialise(5, 7));
        assert_ne!(Mlp::initialise(5, 7), Mlp::initialise(5, 8));
        assert_eq!(Mlp::initialise(5, 7).parameters().len(), 16 * 5 + 16 + 16 + 1);
    }

    #[test]
    fn zero_network_outputs_one_half() {
        let mut mlp = Mlp::initialise(3, 1);
        mlp.parameters_mut().fill(0.0);
        assert_eq!(mlp.predict_row(&[1.0, -2.0, 3.0]), 0.5);
    }

    #[test]
    fn dot_covers_full_lanes_and_the_tail() {
        let a: Vec<f32> = (1..=11).map(|v| v as f32).collect();
        let b = vec![1.0; 11];
        assert_eq!(dot(&a, &b), 66.0);
    }

    #[test]
    fn sigmoid_is_symmetric_and_bounded() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() < 1e-7);
        assert!(sigmoid(-200.0) >= 0.0 && sigmoid(200.0) <= 1.0);
    }
}
