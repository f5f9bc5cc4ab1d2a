//! The path primitive family (Integrated Gradients, GradientSHAP): points
//! baseline + α·(input − baseline) on straight paths, and the weighted sum of the model's
//! gradients at those points.

/// One point on a path: `baselines[baseline] + alpha · (inputs[input] − baselines[baseline])`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathPoint {
    /// Row of the inputs buffer the path ends at.
    pub input: usize,
    /// Row of the baselines buffer the path starts at.
    pub baseline: usize,
    /// Position on the path, 0 at the baseline and 1 at the input.
    pub alpha: f32,
    /// Weight of the gradient at this point in the path's sum.
    pub weight: f64,
    /// Row of the accumulator the weighted gradient is added to.
    pub target: usize,
}

/// Paths over row-major `inputs` and `baselines` of `row_len` elements.
#[derive(Debug, Clone, Copy)]
pub struct PathJob<'a> {
    /// Path ends.
    pub inputs: &'a [f32],
    /// Path starts.
    pub baselines: &'a [f32],
    /// Elements per row.
    pub row_len: usize,
    /// The points, in evaluation order.
    pub points: &'a [PathPoint],
    /// Accumulate `weight · gradient ⊙ (input − baseline)` instead of `weight · gradient`.
    pub times_difference: bool,
}

impl PathJob<'_> {
    /// Row `row` of the inputs.
    pub fn input(&self, row: usize) -> &[f32] {
        &self.inputs[row * self.row_len..(row + 1) * self.row_len]
    }

    /// Row `row` of the baselines.
    pub fn baseline(&self, row: usize) -> &[f32] {
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
pub struct GradientShapDrawJob<'a> {
    /// The engine's seed.
    pub seed: u64,
    /// The explained row's index (below 2⁴⁸).
    pub row: u64,
    /// Rows in the baseline distribution (at least 1).
    pub baseline_count: u32,
    /// The explained row.
    pub x: &'a [f32],
    /// Standard deviation of the input noise (0: no noise, no draws).
    pub stdev: f32,
}

impl GradientShapDrawJob<'_> {
    /// Sample `j`'s baseline index and α.
    pub fn sample(&self, j: u64) -> (u32, f32) {
        let w = super::philox::random_words(self.seed, (GRADIENT_SHAP_DRAWS_STREAM << 48) | self.row, j);
        (super::philox::below(w[0], self.baseline_count), super::philox::uniform(w[1]))
    }

    /// Sample `j`'s noisy input, written into `out` (`x.len()` values).
    pub fn noisy_input(&self, j: u64, out: &mut [f32]) {
        let pairs = self.x.len().div_ceil(2) as u64;
        let stream = (GRADIENT_SHAP_NOISE_STREAM << 48) | self.row;
        for (e, (out, &x)) in out.iter_mut().zip(self.x).enumerate() {
            let noise = if self.stdev == 0.0 {
                0.0
            } else {
                let w = super::philox::random_words(self.seed, stream, j * pairs + e as u64 / 2);
                let (cos, sin) = super::philox::normal_pair(w[0], w[1]);
                self.stdev * (if e % 2 == 0 { cos } else { sin }) as f32
            };
            *out = x + noise;
        }
    }
}
