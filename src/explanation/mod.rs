//! The result of an explanation: attributions, base values, per-row diagnostics and the
//! audit metadata that lets a reviewer reproduce it, serialisable to JSON.

mod analytics;
mod counterfactuals;
mod finite;
mod grouping;
mod json;
mod reason_codes;
mod sampling;
mod values;

pub use analytics::{concentration, consistency, magnitude, sparsity, AttributionSummary};
pub use counterfactuals::{Counterfactual, Counterfactuals, InstanceCounterfactuals};
pub use reason_codes::{Direction, ReasonCode};
pub use sampling::{SamplingDiagnostics, SAMPLING_KEY};
pub use values::Values;

use serde::Serialize;

use crate::backend::BackendKind;

/// The library version recorded in every explanation.
pub const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The method that produced an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Sliding-window occlusion (Captum's `Occlusion`).
    Occlusion,
    /// Group-wise ablation (Captum's `FeatureAblation`).
    FeatureAblation,
    /// KernelSHAP: Shapley values by weighted regression over coalitions.
    KernelShap,
    /// Shapley Value Sampling: the antithetic permutation estimator.
    ShapleyValueSampling,
    /// Integrated Gradients along the straight path from the baseline.
    IntegratedGradients,
    /// The gradient (or its absolute value) at the input.
    Saliency,
    /// GradientSHAP: expected gradients over a baseline distribution.
    GradientShap,
    /// NoiseTunnel: a gradient method averaged over noisy copies of the input.
    NoiseTunnel,
    /// Grad-CAM: a layer's gradient-weighted activations, upsampled to the input.
    GradCam,
    /// TimeSHAP: KernelSHAP over a sequence's events, features or cells after temporal
    /// coalition pruning (the level and pruning are in the parameters).
    TimeShap,
}

/// What the last axis of the attributions indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureAxis {
    /// One value per element of an input row.
    Elements,
    /// One value per feature group.
    Groups,
}

/// Facts a reviewer needs to reproduce an explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    /// Lumen's version.
    pub library_version: &'static str,
    /// The model's element type: results are rounded to it and printed in it.
    pub element_type: crate::element::ElementType,
    /// The call's seed: its override, else the engine's.
    pub seed: u64,
    /// The keys of the explained rows, for a method that draws at random: with the seed
    /// they fix every draw of a row, whatever else was in the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_keys: Option<crate::engine::row_keys::RowKeys>,
    /// The backend that ran the primitives.
    pub backend: BackendKind,
    /// Why `auto` chose that backend, when it fell back.
    pub backend_note: Option<String>,
    /// Model rows evaluated for the whole explanation.
    pub model_rows_evaluated: u64,
}

/// Per-row correctness figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowDiagnostics {
    /// Model rows evaluated to explain this row.
    pub model_rows_evaluated: u64,
    /// Per explained output, Σ attributions − (f(x) − base value), where the method
    /// defines it (Feature Ablation: over groups; Shapley methods: the local-accuracy gap;
    /// Occlusion: not defined).
    pub completeness_gap: Option<Vec<f64>>,
}

/// An explanation of `rows` input rows. Attributions are laid out
/// `rows × outputs × features`, row-major.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The method.
    pub method: Method,
    /// The method's parameters, as given and as defaulted.
    pub parameters: serde_json::Value,
    /// Reproducibility metadata.
    pub audit: Audit,
    /// Shape of one input row.
    pub input_shape: Vec<usize>,
    /// Rows explained.
    pub rows: usize,
    /// The model outputs explained for every row (indices into the model's outputs); empty
    /// with `row_targets`.
    pub outputs: Vec<u32>,
    /// With per-row targets (Captum's `target` list), each row's own explained output: the
    /// layout is then `rows × 1 × features`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_targets: Option<Vec<u32>>,
    /// What the feature axis indexes.
    pub feature_axis: FeatureAxis,
    /// Length of the feature axis.
    pub features: usize,
    /// The feature axis's own shape, whose product is `features`: `input_shape` for
    /// per-element methods, `[H, W]` (upsampled) or the layer's `[h, w]` for Grad-CAM maps,
    /// `[features]` for groups and players.
    pub feature_shape: Vec<usize>,
    /// Names along the feature axis, when known.
    pub feature_names: Option<Vec<String>>,
    /// `rows × outputs × features` attributions (`outputs` is [`Explanation::outputs_per_row`]).
    pub attributions: Values,
    /// `rows × outputs` model outputs at the input, f(x).
    pub predictions: Values,
    /// `rows × outputs` base values: f(baseline), or for Shapley methods the expected
    /// model output over the background (in the link's space).
    pub base_values: Values,
    /// `rows × outputs × features` standard errors of sampled estimates (0 where the
    /// value is exact; a sampled value's cover also its rounding to the model's element
    /// type, [`ElementType::rounding_deviation`](crate::ElementType::rounding_deviation));
    /// `None` for methods that are not sampled.
    pub standard_errors: Option<Values>,
    /// One entry per row.
    pub diagnostics: Vec<RowDiagnostics>,
}

impl Explanation {
    /// How many outputs each row explains: 1 with per-row targets, else `outputs.len()`.
    pub fn outputs_per_row(&self) -> usize {
        if self.row_targets.is_some() {
            1
        } else {
            self.outputs.len()
        }
    }

    /// The model output that row `row`'s `k`-th explained output is.
    pub fn output_of(&self, row: usize, k: usize) -> u32 {
        match &self.row_targets {
            Some(targets) => targets[row],
            None => self.outputs[k],
        }
    }

    /// The attributions of row `row` for the `k`-th explained output.
    pub fn row_attributions(&self, row: usize, k: usize) -> &[f64] {
        let start = (row * self.outputs_per_row() + k) * self.features;
        &self.attributions[start..start + self.features]
    }

    /// The name of feature `feature`, or its index as text.
    pub fn feature_name(&self, feature: usize) -> String {
        self.feature_names
            .as_ref()
            .and_then(|names| names.get(feature).cloned())
            .unwrap_or_else(|| format!("feature {feature}"))
    }
}
