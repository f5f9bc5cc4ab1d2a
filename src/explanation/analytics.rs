//! Summary statistics of attribution maps: how concentrated, how large and how sparse
//! one map is ([`AttributionSummary`], [`Explanation::summary`]) and how much two maps
//! agree ([`consistency`]). Sums run in f64, in element order, so the figures are
//! deterministic.

use serde::Serialize;

use super::Explanation;
use crate::error::{ensure_finite, Error, Result};

/// Figures describing one attribution map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AttributionSummary {
    /// The Gini coefficient of |attribution| ([`concentration`]): 0 when every element
    /// carries the same weight, (n − 1)/n (→ 1) when a single element carries it all.
    pub concentration: f64,
    /// The mean |attribution| ([`magnitude`]).
    pub magnitude: f64,
    /// The share of elements with |a| < 0.1 · std(a) ([`sparsity`]).
    pub sparsity: f64,
}

impl AttributionSummary {
    /// The summary of `attributions`; fails with
    /// [`ErrorKind::NonFiniteInput`](crate::error::ErrorKind::NonFiniteInput) on NaN or ±Inf.
    /// An empty map has every figure 0.
    pub fn of(attributions: &[f64]) -> Result<Self> {
        ensure_finite("attributions", attributions)?;
        Ok(Self {
            concentration: concentration(attributions),
            magnitude: magnitude(attributions),
            sparsity: sparsity(attributions),
        })
    }
}

impl Explanation {
    /// The [`AttributionSummary`] of row `row`'s attributions for the `output`-th explained
    /// output (a position in [`Explanation::outputs`], as in
    /// [`Explanation::row_attributions`], not a model output index). Fails with
    /// [`ErrorKind::InvalidArgument`](crate::error::ErrorKind::InvalidArgument) when either
    /// is out of range.
    pub fn summary(&self, row: usize, output: usize) -> Result<AttributionSummary> {
        if row >= self.rows {
            return Err(Error::invalid("row", format!("is {row}, expected < {} (rows explained)", self.rows)));
        }
        if output >= self.outputs_per_row() {
            return Err(Error::invalid(
                "output",
                format!("is {output}, expected a position < {} in the explained outputs", self.outputs_per_row()),
            ));
        }
        AttributionSummary::of(self.row_attributions(row, output))
    }
}

/// The Gini coefficient of |a| over the map: with the n values sorted ascending
/// (x_1 ≤ … ≤ x_n), G = Σ_i (2i − n − 1) x_i / (n Σ_i x_i). 0 when all values are equal,
/// (n − 1)/n when one value is non-zero; 0 for an all-zero or empty map. Expects finite
/// values (NaN gives a meaningless result; [`AttributionSummary::of`] checks).
pub fn concentration(attributions: &[f64]) -> f64 {
    let mut values: Vec<f64> = attributions.iter().map(|a| a.abs()).collect();
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let total: f64 = values.iter().sum();
    if values.is_empty() || total == 0.0 {
        return 0.0;
    }
    let weighted: f64 = values.iter().enumerate().map(|(i, &x)| (2.0 * (i + 1) as f64 - n - 1.0) * x).sum();
    // Rounding can leave an all-equal map a hair below 0.
    (weighted / (n * total)).max(0.0)
}

/// The mean |a| over the map; 0 for an empty map.
pub fn magnitude(attributions: &[f64]) -> f64 {
    if attributions.is_empty() {
        return 0.0;
    }
    attributions.iter().map(|a| a.abs()).sum::<f64>() / attributions.len() as f64
}

/// The share of elements with |a| < 0.1 · σ, where σ is the population standard
/// deviation of the signed values (divisor n, not n − 1). The comparison is strict, so a
/// constant map (σ = 0, all zeros included) has sparsity 0; an empty map has 0 too.
pub fn sparsity(attributions: &[f64]) -> f64 {
    if attributions.is_empty() {
        return 0.0;
    }
    let n = attributions.len() as f64;
    let mean = attributions.iter().sum::<f64>() / n;
    let variance = attributions.iter().map(|&a| (a - mean).powi(2)).sum::<f64>() / n;
    let threshold = 0.1 * variance.sqrt();
    attributions.iter().filter(|a| a.abs() < threshold).count() as f64 / n
}

/// How much two attribution maps of the same length agree: |Pearson correlation| of
/// their elements, in [0, 1]. Defined as 0 when either map is constant (its correlation
/// is undefined) and for empty maps. Fails with
/// [`ErrorKind::LengthMismatch`](crate::error::ErrorKind::LengthMismatch) when the
/// lengths differ and [`ErrorKind::NonFiniteInput`](crate::error::ErrorKind::NonFiniteInput)
/// on NaN or ±Inf.
pub fn consistency(a: &[f64], b: &[f64]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(Error::length("b", b.len(), format!("{} (the length of a)", a.len())));
    }
    ensure_finite("a", a)?;
    ensure_finite("b", b)?;
    if a.is_empty() {
        return Ok(0.0);
    }
    let n = a.len() as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
    let (mean_a, mean_b) = (mean(a), mean(b));
    let (mut cov, mut var_a, mut var_b) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x - mean_a, y - mean_b);
        cov += dx * dy;
        var_a += dx * dx;
        var_b += dy * dy;
    }
    if var_a == 0.0 || var_b == 0.0 {
        return Ok(0.0);
    }
    Ok((cov / (var_a.sqrt() * var_b.sqrt())).abs().min(1.0))
}
