//! Per-row facts of a sampled Shapley estimate: how many rounds and coalitions it took,
//! and the standard error it reached.

use serde::{Deserialize, Serialize};

use super::Explanation;

/// The key of [`Explanation::parameters`] under which sampled Shapley methods record one
/// [`SamplingDiagnostics`] per explained row.
pub const SAMPLING_KEY: &str = "sampling";

/// How one row's sampled Shapley values were reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplingDiagnostics {
    /// Sampling rounds run (1 unless a target standard error asked for more).
    pub rounds: u32,
    /// Coalitions evaluated (each over every background row), the empty and full ones aside.
    pub coalitions: usize,
    /// Whether every coalition was enumerated (the values are exact, standard errors 0).
    pub exact: bool,
    /// Whether the row's standard errors could be estimated. When `false` the values
    /// stand, and the explanation reports no standard errors (`standard_errors` is `None`).
    pub standard_errors_available: bool,
    /// The largest standard error of the row's values; `None` when unavailable.
    pub largest_standard_error: Option<f64>,
    /// The standard error asked for, when the budget was driven by accuracy.
    pub target_standard_error: Option<f64>,
    /// Whether every value's standard error reached the target (`None` without a target).
    pub target_met: Option<bool>,
}

impl Explanation {
    /// The per-row sampling facts of a sampled Shapley explanation (KernelSHAP, TimeSHAP,
    /// Shapley Value Sampling); `None` for other methods.
    pub fn sampling_diagnostics(&self) -> Option<Vec<SamplingDiagnostics>> {
        let value = self.parameters.get(SAMPLING_KEY)?;
        serde_json::from_value(value.clone()).ok()
    }
}
