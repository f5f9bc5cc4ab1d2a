//! The command's context of an explanation record: row names, the rows' values in raw
//! units and labels (decoded through the model's schema), credit scores and the cutoff of
//! counterfactuals. The report draws its labels, colours and tables from it.

use lumen::explanation::{Counterfactuals, Explanation, FeatureAxis};

use crate::model::LoadedModel;
use crate::report::record::{Context, CounterfactualContext, Cutoff, ImageContext};

/// Whether `explanation`'s features are the model's schema attributes (one player each).
pub fn by_attribute(model: &LoadedModel, explanation: &Explanation) -> bool {
    explanation.feature_axis == FeatureAxis::Groups
        && model.schema.as_ref().is_some_and(|s| s.attributes().len() == explanation.features)
}

/// The command's context of an explanation of `inputs` (model rows, row-major).
pub fn context(
    model: &LoadedModel,
    explanation: &Explanation,
    inputs: &[f32],
    source: &str,
    row_labels: Vec<String>,
) -> Context {
    let n = model.columns.len();
    let rows = inputs.chunks_exact(n);
    let grouped = explanation.feature_axis == FeatureAxis::Groups;
    let schema = model.schema.as_ref().filter(|_| by_attribute(model, explanation));
    let value_text = schema.map(|schema| rows.clone().map(|row| schema.describe(row)).collect());
    let feature_values = match schema {
        Some(schema) => Some(rows.clone().map(|row| schema.numbers(row)).collect()),
        None if explanation.features == n => {
            Some(rows.clone().map(|row| row.iter().map(|&v| Some(f64::from(v))).collect()).collect())
        }
        // Grouped without a schema: a group of one column has an orderable value.
        None => model.groups.as_ref().filter(|_| grouped).map(|groups| {
            let columns: Vec<Vec<usize>> =
                (0..groups.names.len()).map(|g| (0..n).filter(|&c| groups.mask[c] == g as u32).collect()).collect();
            rows.clone()
                .map(|row| columns.iter().map(|cols| (cols.len() == 1).then(|| f64::from(row[cols[0]]))).collect())
                .collect()
        }),
    };
    let image = model.image.map(|(height, width)| ImageContext { height, width, pixels: inputs.to_vec() });
    Context {
        model: model.name.clone(),
        source: source.to_owned(),
        output_label: model.output_label.clone(),
        row_labels,
        value_text,
        feature_values,
        image: image.filter(|i| i.height * i.width == n),
        ..Context::default()
    }
}

/// A model row as display values, one per counterfactual feature: raw units and labels
/// when the model has a schema whose attributes are those features, else the numbers.
pub fn show_row(model: &LoadedModel, features: usize, row: &[f32]) -> Vec<String> {
    match model.schema.as_ref().filter(|s| s.attributes().len() == features) {
        Some(schema) => schema.describe(row),
        None => row.iter().map(|v| format!("{v}")).collect(),
    }
}

/// The probability that counts as success in `result`'s search, when one was set.
pub fn success_probability(result: &Counterfactuals) -> Option<f64> {
    result.parameters.get("success_probability").and_then(serde_json::Value::as_f64)
}

/// The context of counterfactuals of `inputs`: display values in raw units and labels,
/// credit scores when the model has a scorecard for the target class, and the cutoff.
pub fn counterfactual_context(
    model: &LoadedModel,
    result: &Counterfactuals,
    inputs: &[f32],
    source: &str,
    labels: Vec<String>,
) -> CounterfactualContext {
    let n = model.columns.len();
    let features = result.feature_names.len();
    let scorecard =
        model.scorecard.as_ref().filter(|s| result.instances.first().is_none_or(|i| i.target_class == s.good_class));
    let summary = match scorecard {
        Some(score) => result
            .instances
            .iter()
            .map(|instance| {
                vec![(
                    score.label(),
                    score.points(instance.original_probability),
                    instance.counterfactuals.iter().map(|c| score.points(c.target_probability)).collect(),
                )]
            })
            .collect(),
        None => Vec::new(),
    };
    let cutoff = success_probability(result)
        .map(|probability| Cutoff { probability, score: scorecard.map(|s| s.points(probability)) });
    CounterfactualContext {
        model: model.name.clone(),
        source: source.to_owned(),
        output_label: model.output_label.clone(),
        instance_labels: labels,
        originals: inputs.chunks_exact(n).map(|row| show_row(model, features, row)).collect(),
        counterfactuals: result
            .instances
            .iter()
            .map(|i| i.counterfactuals.iter().map(|c| show_row(model, features, &f32_row(&c.row))).collect())
            .collect(),
        summary,
        cutoff,
        id_column: None,
    }
}

/// A counterfactual row as the f32 values the model took (exact: every value is one of the
/// model's inputs).
pub fn f32_row(row: &[f64]) -> Vec<f32> {
    row.iter().map(|&v| v as f32).collect()
}
