//! The records `lumen report` reads: an explanation's audit JSON (as `Explanation::to_json`
//! writes it), a counterfactual search (`Counterfactuals::to_json`), a counterfactual
//! dataset audit or a global TimeSHAP study, each optionally with a `context` object that
//! the command adds (the model, the input file, display values of the rows, the image
//! under an attribution map, the explained sequence).

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{CliError, CliResult};

/// The audit block every record carries.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AuditRecord {
    /// Lumen's version.
    pub library_version: String,
    /// The engine's seed.
    pub seed: u64,
    /// The backend that ran the primitives.
    pub backend: String,
    /// Why `auto` chose that backend.
    #[serde(default)]
    pub backend_note: Option<String>,
    /// Model rows evaluated.
    pub model_rows_evaluated: u64,
}

/// One row's diagnostics.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DiagnosticsRecord {
    /// Model rows evaluated for the row.
    pub model_rows_evaluated: u64,
    /// Σ attributions − (f(x) − base) per explained output, where defined.
    #[serde(default)]
    pub completeness_gap: Option<Vec<f64>>,
}

/// The image an attribution map is drawn over.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ImageContext {
    /// Pixel rows.
    pub height: usize,
    /// Pixel columns.
    pub width: usize,
    /// `rows × height × width` intensities in [0, 1].
    pub pixels: Vec<f32>,
}

/// What the command knows about the explained rows beyond the engine's record.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Context {
    /// The model's name.
    pub model: String,
    /// Where the rows came from (a file, or the demo's data set).
    pub source: String,
    /// What the explained output is, with its unit.
    pub output_label: String,
    /// A label per explained row (e.g. "applicant #800", "line 2").
    #[serde(default)]
    pub row_labels: Vec<String>,
    /// Display values per row and feature (e.g. "< 0 DM"), for waterfall labels.
    #[serde(default)]
    pub value_text: Option<Vec<Vec<String>>>,
    /// Numeric values per row and feature (null where not orderable), for beeswarm colours.
    #[serde(default)]
    pub feature_values: Option<Vec<Vec<Option<f64>>>>,
    /// The image under the maps, for image inputs.
    #[serde(default)]
    pub image: Option<ImageContext>,
    /// The explained sequence, for TimeSHAP explanations.
    #[serde(default)]
    pub sequence: Option<SequenceContext>,
    /// The id column the row labels come from (`--id-column`), when one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_column: Option<String>,
    /// Whether the rows were read as raw attributes or as model columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_form: Option<crate::input::Form>,
}

/// One point of a full pruning curve: the older events' exact two-player Shapley value
/// when the `newer_len` most recent events are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
pub struct CurvePoint {
    /// Most recent events kept apart.
    pub newer_len: usize,
    /// The older events' value.
    pub older_value: f64,
}

/// What the command knows about an explained sequence.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct SequenceContext {
    /// The sequence's id (from the sequence file, or the demo's history).
    pub id: String,
    /// Each event in words, oldest first.
    pub events: Vec<String>,
    /// The full pruning curve (every split, most recent first); the explanation's own
    /// curve stops at the pruned length.
    pub curve: Vec<CurvePoint>,
}

/// An attribution explanation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ExplanationRecord {
    /// The method's snake_case name.
    pub method: String,
    /// The method's parameters.
    pub parameters: Value,
    /// Reproducibility metadata.
    pub audit: AuditRecord,
    /// Shape of one input row.
    pub input_shape: Vec<usize>,
    /// Rows explained.
    pub rows: usize,
    /// Outputs explained for every row (empty with `row_targets`).
    pub outputs: Vec<u32>,
    /// Each row's own explained output, when the call gave per-row targets.
    #[serde(default)]
    pub row_targets: Option<Vec<u32>>,
    /// `elements` or `groups`.
    pub feature_axis: String,
    /// Length of the feature axis.
    pub features: usize,
    /// Names along the feature axis.
    #[serde(default)]
    pub feature_names: Option<Vec<String>>,
    /// `rows × outputs × features` attributions.
    pub attributions: Vec<f64>,
    /// `rows × outputs` f(x).
    pub predictions: Vec<f64>,
    /// `rows × outputs` base values.
    pub base_values: Vec<f64>,
    /// Standard errors of sampled estimates.
    #[serde(default)]
    pub standard_errors: Option<Vec<f64>>,
    /// Per-row diagnostics.
    pub diagnostics: Vec<DiagnosticsRecord>,
    /// The command's context, when it wrote the record.
    #[serde(default)]
    pub context: Option<Context>,
}

impl ExplanationRecord {
    /// Checks that the arrays have the lengths the shape fields promise.
    fn validate(&self, source: &str) -> CliResult {
        if let Some(targets) = &self.row_targets {
            if targets.len() != self.rows {
                return Err(CliError::input(format!(
                    "{source}: 'row_targets' has {} outputs for {} rows",
                    targets.len(),
                    self.rows
                )));
            }
        }
        let t = self.outputs_per_row();
        // Counts from the file: a product that overflows matches no array.
        let per_row = self.rows.checked_mul(t);
        let checks = [
            ("attributions", self.attributions.len(), per_row.and_then(|n| n.checked_mul(self.features))),
            ("predictions", self.predictions.len(), per_row),
            ("base_values", self.base_values.len(), per_row),
            ("diagnostics", self.diagnostics.len(), Some(self.rows)),
        ];
        for (field, actual, expected) in checks {
            if Some(actual) != expected {
                let expected = expected.map_or_else(|| "more than any file holds".to_owned(), |n| n.to_string());
                return Err(CliError::input(format!(
                    "{source}: '{field}' has {actual} values, expected {expected} (rows × outputs × features)"
                )));
            }
        }
        if let Some(names) = &self.feature_names {
            if names.len() != self.features {
                return Err(CliError::input(format!(
                    "{source}: 'feature_names' has {} names for {} features",
                    names.len(),
                    self.features
                )));
            }
        }
        if self.rows == 0 || t == 0 {
            return Err(CliError::input(format!("{source}: the explanation has no rows or no outputs")));
        }
        Ok(())
    }

    /// How many outputs each row explains: 1 with per-row targets.
    pub fn outputs_per_row(&self) -> usize {
        if self.row_targets.is_some() {
            1
        } else {
            self.outputs.len()
        }
    }

    /// The model output that row `row`'s `k`-th explained output is.
    pub fn output_of(&self, row: usize, k: usize) -> u32 {
        self.row_targets.as_ref().map_or(self.outputs[k], |targets| targets[row])
    }

    /// The attributions of row `row`, explained output `k`.
    pub fn row(&self, row: usize, k: usize) -> &[f64] {
        let start = (row * self.outputs_per_row() + k) * self.features;
        &self.attributions[start..start + self.features]
    }

    /// The feature names, or `feature N`.
    pub fn names(&self) -> Vec<String> {
        self.feature_names.clone().unwrap_or_else(|| (0..self.features).map(|f| format!("feature {f}")).collect())
    }
}

/// One counterfactual.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CounterfactualRecord {
    /// The logical features it changes.
    pub changed: Vec<usize>,
    /// Its probability of the target class.
    pub target_probability: f64,
    /// Whether it reaches the target.
    pub success: bool,
    /// L2 distance to the instance.
    pub distance: f64,
}

/// The counterfactuals of one instance.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InstanceRecord {
    /// The instance's probability of the target class.
    pub original_probability: f64,
    /// The class aimed for.
    pub target_class: u32,
    /// Already at the target: nothing searched.
    pub already_at_target: bool,
    /// The counterfactuals found.
    pub counterfactuals: Vec<CounterfactualRecord>,
    /// Model rows evaluated for the instance.
    pub model_rows_evaluated: u64,
}

/// Display values of an instance and its counterfactuals, one per logical feature, plus
/// summary rows (e.g. credit scores), added by the command.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct CounterfactualContext {
    /// The model's name.
    pub model: String,
    /// Where the instances came from.
    pub source: String,
    /// What the probability is, e.g. "P(good credit)".
    pub output_label: String,
    /// Per instance: a label.
    pub instance_labels: Vec<String>,
    /// Per instance: the instance's display values.
    pub originals: Vec<Vec<String>>,
    /// Per instance, per counterfactual: its display values.
    pub counterfactuals: Vec<Vec<Vec<String>>>,
    /// Per instance: extra rows `(label, instance, per counterfactual)`.
    #[serde(default)]
    pub summary: Vec<Vec<(String, String, Vec<String>)>>,
    /// The probability that counts as success (an approval cutoff), when one was set.
    #[serde(default)]
    pub cutoff: Option<Cutoff>,
    /// The id column the instance labels come from (`--id-column`), when one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_column: Option<String>,
}

/// The success threshold of a counterfactual search, e.g. a bank's approval cutoff.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Cutoff {
    /// The target class's probability that counts as success.
    pub probability: f64,
    /// The same threshold as a credit score, when the model has a scorecard.
    #[serde(default)]
    pub score: Option<String>,
}

/// A counterfactual search.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CounterfactualsRecord {
    /// `permute_attack`.
    pub method: String,
    /// The search's parameters.
    pub parameters: Value,
    /// Reproducibility metadata.
    pub audit: AuditRecord,
    /// The logical features.
    pub feature_names: Vec<String>,
    /// One entry per instance.
    pub instances: Vec<InstanceRecord>,
    /// The command's context.
    #[serde(default)]
    pub context: Option<CounterfactualContext>,
}

/// The statistics of a counterfactual dataset audit (Lumen's `DatasetAudit`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AuditStatistics {
    /// Instances audited.
    pub instances: usize,
    /// Instances with a successful counterfactual.
    pub successes: usize,
    /// successes / instances.
    pub success_rate: f64,
    /// Logical features.
    pub features: usize,
    /// Successes changing exactly m features.
    pub changed_histogram: Vec<usize>,
    /// Mean changed features over successes.
    pub mean_changed: f64,
    /// Successes changing each feature.
    pub change_counts: Vec<usize>,
    /// Successes changing both f and g.
    pub co_occurrence: Vec<usize>,
}

/// A dataset audit of counterfactual searches, as the command writes it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DatasetAuditRecord {
    /// `counterfactual_dataset_audit`.
    pub kind: String,
    /// What was audited (model and instances).
    pub description: String,
    /// The logical features' names.
    pub feature_names: Vec<String>,
    /// The searches' reproducibility metadata.
    pub audit: AuditRecord,
    /// The searches' parameters.
    pub parameters: Value,
    /// The statistics.
    pub statistics: AuditStatistics,
}

/// Any record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// Attributions.
    Explanation(Box<ExplanationRecord>),
    /// Counterfactuals.
    Counterfactuals(Box<CounterfactualsRecord>),
    /// A dataset audit.
    DatasetAudit(Box<DatasetAuditRecord>),
    /// A global TimeSHAP study over many sequences.
    TimeShapGlobal(Box<super::timeshap::GlobalRecord>),
}

impl Record {
    /// Parses one record from JSON text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> CliResult<Self> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| CliError::input(format!("{source}: not JSON: {e}")))?;
        let shape_error =
            |e: serde_json::Error| CliError::input(format!("{source}: not a Lumen explanation record: {e}"));
        if value.get("kind").and_then(Value::as_str) == Some("counterfactual_dataset_audit") {
            let record: DatasetAuditRecord = serde_json::from_value(value).map_err(shape_error)?;
            let n = record.statistics.features;
            if n.checked_mul(n) != Some(record.statistics.co_occurrence.len())
                || record.statistics.change_counts.len() != n
                || record.feature_names.len() != n
            {
                return Err(CliError::input(format!("{source}: the audit's arrays do not match its {n} features")));
            }
            return Ok(Self::DatasetAudit(Box::new(record)));
        }
        if value.get("kind").and_then(Value::as_str) == Some(super::timeshap::GLOBAL_KIND) {
            return Ok(Self::TimeShapGlobal(Box::new(serde_json::from_value(value).map_err(shape_error)?)));
        }
        match value.get("method").and_then(Value::as_str) {
            None => Err(CliError::input(format!("{source}: not a Lumen explanation record: no 'method' field"))),
            Some("permute_attack") => {
                Ok(Self::Counterfactuals(Box::new(serde_json::from_value(value).map_err(shape_error)?)))
            }
            Some(_) => {
                let record: ExplanationRecord = serde_json::from_value(value).map_err(shape_error)?;
                record.validate(source)?;
                Ok(Self::Explanation(Box::new(record)))
            }
        }
    }

    /// Reads and parses the record in `path`.
    pub fn read(path: &Path) -> CliResult<Self> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| CliError::input(format!("{source}: cannot read: {e}")))?;
        Self::parse(&text, &source)
    }
}

/// Adds `context` to the JSON object `json` under the key `context`.
pub fn with_context(json: &str, context: &impl Serialize) -> CliResult<String> {
    let mut value: Value = serde_json::from_str(json).map_err(|e| CliError::output(format!("record: {e}")))?;
    let context = serde_json::to_value(context).map_err(|e| CliError::output(format!("record: {e}")))?;
    if let Value::Object(map) = &mut value {
        map.insert("context".to_owned(), context);
    }
    serde_json::to_string_pretty(&value).map_err(|e| CliError::output(format!("record: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"schema_version":1,"method":"occlusion","parameters":{},"audit":{"library_version":"0.1.0","seed":7,"backend":"cpu","backend_note":null,"model_rows_evaluated":3},"input_shape":[2],"rows":1,"outputs":[0],"feature_axis":"elements","features":2,"feature_names":null,"attributions":[0.5,-0.25],"predictions":[1.0],"base_values":[0.75],"standard_errors":null,"diagnostics":[{"model_rows_evaluated":3,"completeness_gap":null}]}"#;

    #[test]
    fn reads_an_engine_record_with_and_without_context() {
        let Record::Explanation(record) = Record::parse(MINIMAL, "x.json").expect("valid") else { panic!("kind") };
        assert_eq!((record.audit.seed, record.row(0, 0)), (7, &[0.5, -0.25][..]));
        assert_eq!(record.names(), ["feature 0", "feature 1"]);
        let context = Context { model: "m".into(), output_label: "score".into(), ..Default::default() };
        let with = with_context(MINIMAL, &context).expect("adds");
        let Record::Explanation(record) = Record::parse(&with, "y.json").expect("valid") else { panic!("kind") };
        assert_eq!(record.context.expect("context").output_label, "score");
    }

    #[test]
    fn bad_records_get_a_reason() {
        let cases = [
            ("{", "not JSON"),
            ("{}", "no 'method' field"),
            (r#"{"method":"occlusion"}"#, "not a Lumen explanation record: missing field"),
            (&MINIMAL.replace("[0.5,-0.25]", "[0.5]"), "'attributions' has 1 values, expected 2"),
            (
                &MINIMAL.replace(r#""rows":1,"outputs":[0]"#, r#""rows":9223372036854775808,"outputs":[0,0]"#),
                "'attributions' has 2 values, expected more than any file holds",
            ),
        ];
        for (text, reason) in cases {
            let error = Record::parse(text, "r.json").expect_err(reason);
            assert!(error.to_string().contains(reason), "{reason}: {error}");
        }
    }
}
