//! The CSV files of `lumen explain`, keyed by the rows' ids (or line numbers): one line
//! per row and output of attributions, one line per counterfactual with its values in raw
//! units and labels (when the model declares a schema) and its credit score.

use lumen::explanation::{Counterfactuals, Explanation};

use super::context::show_row;
use crate::error::{CliError, CliResult};
use crate::model::LoadedModel;

fn finish(writer: csv::Writer<Vec<u8>>, file: &str) -> CliResult<String> {
    let bytes = writer.into_inner().map_err(|e| CliError::output(format!("{file}: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CliError::output(format!("{file}: {e}")))
}

/// The CSV of attributions: one line per row and explained output; the first column is
/// named `key` (the id column's name, or `row`) and holds `labels`.
pub fn attributions_csv(explanation: &Explanation, key: &str, labels: &[String]) -> CliResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CliError::output(format!("attributions.csv: {e}"));
    let mut header = vec![key.to_owned(), "output".to_owned(), "prediction".to_owned(), "base_value".to_owned()];
    header.extend((0..explanation.features).map(|f| explanation.feature_name(f)));
    writer.write_record(&header).map_err(io)?;
    for row in 0..explanation.rows {
        for (k, output) in explanation.outputs.iter().enumerate() {
            let index = row * explanation.outputs.len() + k;
            // Values as the model's element type prints them (a float model's as floats).
            let shown = |v: f64| explanation.audit.element_type.shortest(v);
            let mut line = vec![
                labels.get(row).cloned().unwrap_or_else(|| row.to_string()),
                output.to_string(),
                shown(explanation.predictions[index]),
                shown(explanation.base_values[index]),
            ];
            line.extend(explanation.row_attributions(row, k).iter().map(|&v| shown(v)));
            writer.write_record(&line).map_err(io)?;
        }
    }
    finish(writer, "attributions.csv")
}

/// The CSV of counterfactuals: one line per counterfactual, keyed like the attributions,
/// with its probability, the credit score when the model has a scorecard, the changed
/// features and every feature's value (raw units and labels when the model has a schema,
/// else the model row).
pub fn counterfactuals_csv(
    result: &Counterfactuals,
    model: &LoadedModel,
    key: &str,
    labels: &[String],
) -> CliResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CliError::output(format!("counterfactuals.csv: {e}"));
    let features = result.feature_names.len();
    let by_attribute = model.schema.as_ref().is_some_and(|s| s.attributes().len() == features);
    let scorecard = model.scorecard.as_ref();
    let mut header: Vec<String> = [key, "counterfactual", "success", "target_probability"].map(String::from).to_vec();
    if scorecard.is_some() {
        header.push("credit_score".to_owned());
    }
    header.extend(["predicted_class", "changed"].map(String::from));
    if by_attribute {
        header.extend(result.feature_names.iter().cloned());
    } else {
        header.extend(model.columns.iter().cloned());
    }
    writer.write_record(&header).map_err(io)?;
    for (i, instance) in result.instances.iter().enumerate() {
        let score = scorecard.filter(|s| s.good_class == instance.target_class);
        for (c, cf) in instance.counterfactuals.iter().enumerate() {
            let changed: Vec<&str> = cf.changed.iter().map(|&f| result.feature_names[f].as_str()).collect();
            let mut line = vec![
                labels.get(i).cloned().unwrap_or_else(|| i.to_string()),
                (c + 1).to_string(),
                cf.success.to_string(),
                result.audit.element_type.shortest(cf.target_probability),
            ];
            if scorecard.is_some() {
                line.push(score.map_or_else(String::new, |s| s.points(cf.target_probability)));
            }
            line.extend([cf.predicted_class.to_string(), changed.join("; ")]);
            if by_attribute {
                line.extend(show_row(model, features, &super::context::f32_row(&cf.row)));
            } else {
                line.extend(cf.row.iter().map(|&v| result.audit.element_type.shortest(v)));
            }
            writer.write_record(&line).map_err(io)?;
        }
    }
    finish(writer, "counterfactuals.csv")
}
