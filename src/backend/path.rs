//! The path primitive family (Integrated Gradients, GradientSHAP): points
//! baseline + α·(input − baseline) on straight paths, and the weighted sum of the model's
//! gradients at those points.

use crate::element::Element;

/// One point on a path: `baselines[baseline] + alpha · (inputs[input] − baselines[baseline])`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathPoint<E: Element = f32> {
    /// Row of the inputs buffer the path ends at.
    pub input: usize,
    /// Row of the baselines buffer the path starts at.
    pub baseline: usize,
    /// Position on the path, 0 at the baseline and 1 at the input.
    pub alpha: E,
    /// Weight of the gradient at this point in the path's sum.
    pub weight: f64,
    /// Row of the accumulator the weighted gradient is added to.
    pub target: usize,
}

/// Paths over row-major `inputs` and `baselines` of `row_len` elements.
#[derive(Debug, Clone, Copy)]
pub struct PathJob<'a, E: Element = f32> {
    /// Path ends.
    pub inputs: &'a [E],
    /// Path starts.
    pub baselines: &'a [E],
    /// Elements per row.
    pub row_len: usize,
    /// The points, in evaluation order.
    pub points: &'a [PathPoint<E>],
    /// Accumulate `weight · gradient ⊙ (input − baseline)` instead of `weight · gradient`.
    pub times_difference: bool,
}

impl<E: Element> PathJob<'_, E> {
    /// Row `row` of the inputs.
    pub fn input(&self, row: usize) -> &[E] {
        &self.inputs[row * self.row_len..(row + 1) * self.row_len]
    }

    /// Row `row` of the baselines.
    pub fn baseline(&self, row: usize) -> &[E] {
        &self.baselines[row * self.row_len..(row + 1) * self.row_len]
    }
}

/// Stream purpose of GradientSHAP's per-sample draws (baseline and α) on the device RNG.
const GRADIENT_SHAP_DRAWS_STREAM: u64 = 3;
/// Stream purpose of GradientSHAP's input noise on the device RNG.
const GRADIENT_SHAP_NOISE_STREAM: u64 = 4;

/// GradientSHAP's random draws for one explained row `x`, from the counter-based
/// [`philox`](super::philox) generator keyed by `seed` (so a device draws exactly what the
/// CPU draws): sample `j` takes baseline `below(w0, baseline_count)` and
/// α = `uniform(w1)` from the words at index `j` of stream `(3 << 48) | row`; its noisy
/// input element `e` is `x[e] + stdev · z`, `z` the Box–Muller normal of words `w0, w1` at
/// index `j · ⌈len/2⌉ + e/2` of stream `(4 << 48) | row` (cosine for even `e`, sine for odd).
#[derive(Debug, Clone, Copy)]
pub struct GradientShapDrawJob<'a, E: Element = f32> {
    /// The engine's seed.
    pub seed: u64,
    /// The explained row's index (below 2⁴⁸).
    pub row: u64,
    /// Rows in the baseline distribution (at least 1).
    pub baseline_count: u32,
    /// The explained row.
    pub x: &'a [E],
    /// Standard deviation of the input noise (0: no noise, no draws).
    pub stdev: E,
}

impl<E: Element> GradientShapDrawJob<'_, E> {
    /// Sample `j`'s baseline index and α (24 random bits, exact in either element type).
    pub fn sample(&self, j: u64) -> (u32, E) {
        let w = super::philox::random_words(self.seed, (GRADIENT_SHAP_DRAWS_STREAM << 48) | self.row, j);
        let alpha = f64::from(super::philox::uniform(w[1]));
        (super::philox::below(w[0], self.baseline_count), E::from_f64(alpha))
    }

    /// Sample `j`'s noisy input, written into `out` (`x.len()` values).
    pub fn noisy_input(&self, j: u64, out: &mut [E]) {
        let pairs = self.x.len().div_ceil(2) as u64;
        let stream = (GRADIENT_SHAP_NOISE_STREAM << 48) | self.row;
        for (e, (out, &x)) in out.iter_mut().zip(self.x).enumerate() {
            let noise = if self.stdev == E::zero() {
                E::zero()
            } else {
                let w = super::philox::random_words(self.seed, stream, j * pairs + e as u64 / 2);
                let (cos, sin) = super::philox::normal_pair(w[0], w[1]);
                self.stdev * E::from_f64(if e % 2 == 0 { cos } else { sin })
            };
            *out = x + noise;
        }
    }
}
