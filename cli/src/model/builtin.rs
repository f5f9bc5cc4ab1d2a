//! The built-in models by name: the German Credit MLP and random forest, the digits CNN,
//! and the sequence model `fraud-gru` (TimeSHAP only, see [`super::fraud`]).

use lumen::explain::counterfactual::scorecard::Scorecard;
use lumen::Model;
use lumen_models::digits::{Digits, DigitsCnn, IMAGE_SIDE};
use lumen_models::german_credit::{
    attribute_names, GermanCredit, GermanCreditForest, GermanCreditModel, GOOD_CREDIT_CLASS, SENSITIVE_ATTRIBUTES,
    TRAINING_ROWS,
};

use super::{CounterfactualSetup, CreditScore, Groups, LoadedModel, Source};
use crate::error::{CliError, CliResult};

/// The German Credit data set's cost matrix: approving a bad applicant costs 5, declining
/// a good one 1, so a bank approves when P(good) ≥ 5/6.
pub const APPROVAL_CUTOFF: f64 = 5.0 / 6.0;

/// Training applicants used as background rows by default.
pub const BACKGROUND_ROWS: usize = 100;

/// The built-in models: name and one line about each.
pub const BUILTIN: [(&str, &str); 4] = [
    ("german-credit-mlp", "German Credit MLP 61→16→1; output: P(good credit); 61 encoded columns, 20 attributes"),
    ("german-credit-forest", "German Credit random forest, 10 trees; outputs: P(good credit), P(bad credit)"),
    ("digits-cnn", "8×8 digits CNN; 64 pixels in [0, 1] (columns r0c0 … r7c7); outputs: P(digit 0) … P(digit 9)"),
    (super::fraud::NAME, super::fraud::ABOUT),
];

/// The built-in model called `name`.
pub fn load(name: &str) -> CliResult<LoadedModel> {
    match name {
        "german-credit-mlp" => german_credit(name, GermanCreditModel::shared(), None),
        "german-credit-forest" => german_credit(name, GermanCreditForest::shared(), Some(GOOD_CREDIT_CLASS as u32)),
        "digits-cnn" => Ok(digits()),
        super::fraud::NAME => Err(CliError::model(format!(
            "{name} is a sequence model: explain it with --sequences FILE --method timeshap"
        ))),
        other => {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            Err(CliError::model(format!(
                "unknown model '{other}'; the built-in models are {}, or pass --plugin FILE.so",
                names.join(", ")
            )))
        }
    }
}

fn german_credit(name: &str, model: &'static dyn Model, class: Option<u32>) -> CliResult<LoadedModel> {
    let data = GermanCredit::shared();
    // The MLP has one output, P(good); the forest's class 0 is good credit.
    let (target_class, success_probability) = match class {
        None => (Some(1), Some(APPROVAL_CUTOFF)),
        Some(class) => (Some(class), None),
    };
    let schema = super::credit_schema::german_credit_schema(data)
        .map_err(|e| CliError::model(format!("{name}: the German Credit schema is inconsistent: {e}")))?;
    Ok(LoadedModel {
        name: name.to_owned(),
        source: Source::Builtin(model),
        columns: data.column_names().to_vec(),
        named_columns: true,
        output_label: "P(good credit)".to_owned(),
        default_target: Some(0),
        groups: Some(Groups {
            mask: data.feature_mask().to_vec(),
            names: attribute_names().iter().map(|n| n.to_string()).collect(),
        }),
        reference: Some(data.baseline_row().to_vec()),
        background: Some(data.encoded_range(TRAINING_ROWS.start..TRAINING_ROWS.start + BACKGROUND_ROWS).to_vec()),
        counterfactual: data.counterfactual_schema().ok().map(|schema| CounterfactualSetup {
            schema,
            immutable: SENSITIVE_ATTRIBUTES.to_vec(),
            target_class,
            success_probability,
        }),
        schema: Some(schema),
        scorecard: Some(CreditScore { good_class: target_class.unwrap_or(1), scorecard: Scorecard::default() }),
        image: None,
    })
}

/// The column name of pixel (`row`, `col`) of a digit.
pub fn pixel_name(row: usize, col: usize) -> String {
    format!("r{row}c{col}")
}

fn digits() -> LoadedModel {
    let data = Digits::shared();
    let background: Vec<f32> = (0..20).flat_map(|i| data.image(i).to_vec()).collect();
    LoadedModel {
        name: "digits-cnn".to_owned(),
        source: Source::Builtin(DigitsCnn::shared()),
        columns: (0..IMAGE_SIDE * IMAGE_SIDE).map(|i| pixel_name(i / IMAGE_SIDE, i % IMAGE_SIDE)).collect(),
        named_columns: true,
        output_label: "P(digit)".to_owned(),
        default_target: None,
        groups: None,
        reference: Some(vec![0.0; IMAGE_SIDE * IMAGE_SIDE]),
        background: Some(background),
        counterfactual: None,
        schema: None,
        scorecard: None,
        image: Some((IMAGE_SIDE, IMAGE_SIDE)),
    }
}
