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
