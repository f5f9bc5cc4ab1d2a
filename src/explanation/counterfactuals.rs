//! The result of a counterfactual search: per instance, a few diverse counterfactuals
//! with their changed features, new probability and success flag, plus audit metadata.

use serde::Serialize;

use super::Audit;
use crate::error::{Error, ErrorKind, Result};

/// One counterfactual of one instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counterfactual {
    /// The counterfactual as a model input row.
    pub row: Vec<f64>,
    /// The logical features it changes, in increasing order.
    pub changed: Vec<usize>,
    /// The model's probability of the target class for it.
    pub target_probability: f64,
    /// The class the model predicts for it.
    pub predicted_class: u32,
    /// Whether it reaches the target (the predicted class, or the target class's
    /// `success_probability`) within every limit.
    pub success: bool,
    /// Euclidean distance to the instance over the logical features: numeric differences,
    /// and √2 per changed categorical feature (the distance between one-hot vectors,
    /// whether the model reads the feature one-hot or as a code).
    pub distance: f64,
}

/// The counterfactuals of one instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceCounterfactuals {
    /// The class the model predicts for the instance.
    pub original_class: u32,
    /// The class the search aimed for.
    pub target_class: u32,
    /// The instance's probability of the target class.
    pub original_probability: f64,
    /// The instance already reaches the target (its predicted class, or the success
    /// probability): nothing was searched and `counterfactuals` is empty.
    pub already_at_target: bool,
    /// Up to `k` counterfactuals, successful ones first, fewest changes first.
    pub counterfactuals: Vec<Counterfactual>,
    /// Model rows evaluated for this instance.
    pub model_rows_evaluated: u64,
}

/// A counterfactual search over several instances.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counterfactuals {
    /// `"permute_attack"`.
    pub method: &'static str,
    /// The search's parameters.
    pub parameters: serde_json::Value,
    /// Reproducibility metadata.
    pub audit: Audit,
    /// The names of the logical features.
    pub feature_names: Vec<String>,
    /// One entry per instance.
    pub instances: Vec<InstanceCounterfactuals>,
}

impl Counterfactuals {
    /// The search as one JSON object (deterministic text).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("counterfactuals: JSON serialisation failed: {e}")))
    }
}
