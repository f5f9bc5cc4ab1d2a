//! The Grad-CAM primitive family: the gradient-weighted sum of a layer's activation
//! maps (Captum's `LayerGradCam`), and the bilinear resampling that brings the layer's
//! h × w map to the input's H × W (`LayerAttribution.interpolate`, i.e. PyTorch's
//! `F.interpolate(mode="bilinear", align_corners=False)`).
//!
//! This file defines what the resampling reads: [`bilinear_taps`] gives, per output
//! coordinate along one axis, the two source coordinates and their weights. Every backend
//! uses the same taps, so the backends differ only in summation, never in geometry.

/// Where one output coordinate of a bilinear resampling reads along one axis:
/// `lo_weight · in[lo] + hi_weight · in[hi]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BilinearTap {
    /// The lower source coordinate.
    pub lo: usize,
    /// The upper source coordinate (`lo + 1`, or `lo` at the last source coordinate).
    pub hi: usize,
    /// Weight of `lo` (`1 − hi_weight`).
    pub lo_weight: f64,
    /// Weight of `hi`, in `[0, 1]`.
    pub hi_weight: f64,
}

/// The taps of resampling an axis of `input` coordinates to `output` coordinates with
/// PyTorch's `align_corners=False` rule: output coordinate `d` reads source position
/// `s = max((d + 0.5) · input / output − 0.5, 0)`, between `lo = min(⌊s⌋, input − 1)` and
/// `hi = min(lo + 1, input − 1)` with weight `s − lo` (clamped to `[0, 1]`) on `hi`. Equal
/// sizes give the identity, as in PyTorch. The scale is computed in f64 where PyTorch
/// uses f32, so results agree to f32 rounding. `input` must be at least 1.
pub fn bilinear_taps(input: usize, output: usize) -> Vec<BilinearTap> {
    debug_assert!(input >= 1, "bilinear_taps: an axis of 0 source coordinates");
    if input == output {
        return (0..output).map(|d| BilinearTap { lo: d, hi: d, lo_weight: 1.0, hi_weight: 0.0 }).collect();
    }
    let scale = input as f64 / output as f64;
    let last = input - 1;
    (0..output)
        .map(|d| {
            let source = ((d as f64 + 0.5) * scale - 0.5).max(0.0);
            let lo = (source.floor() as usize).min(last);
            let hi_weight = (source - lo as f64).clamp(0.0, 1.0);
            BilinearTap { lo, hi: (lo + 1).min(last), lo_weight: 1.0 - hi_weight, hi_weight }
        })
        .collect()
}
