//! The built-in models by name: the German Credit MLP and random forest, the digits CNN,
//! and the sequence model `fraud-gru` (TimeSHAP only, see [`super::fraud`]).

use lumen::Model;
use lumen_models::digits::{Digits, DigitsCnn, IMAGE_SIDE, TEST_ROWS};
use lumen_models::german_credit::{
    attribute_names, GermanCredit, GermanCreditForest, GermanCreditModel, GOOD_CREDIT_CLASS, HOLDOUT_ROWS,
    SENSITIVE_ATTRIBUTES, TRAINING_ROWS,
};

use super::{CounterfactualSetup, Groups, LoadedModel, Source};
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
        "german-credit-mlp" => Ok(german_credit(name, GermanCreditModel::shared(), None)),
        "german-credit-forest" => Ok(german_credit(name, GermanCreditForest::shared(), Some(GOOD_CREDIT_CLASS as u32))),
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

/// Display values of the 20 attributes of an encoded German Credit row.
fn describe_applicant(row: &[f32]) -> Option<Vec<String>> {
    GermanCredit::shared().describe_encoded(row).map(|pairs| pairs.into_iter().map(|(_, value)| value).collect())
}

fn german_credit(name: &str, model: &'static dyn Model, class: Option<u32>) -> LoadedModel {
    let data = GermanCredit::shared();
    // The MLP has one output, P(good); the forest's class 0 is good credit.
    let (target_class, success_probability) = match class {
        None => (Some(1), Some(APPROVAL_CUTOFF)),
        Some(class) => (Some(class), None),
    };
    LoadedModel {
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
        describe: Some(describe_applicant),
        image: None,
    }
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
        describe: None,
        image: Some((IMAGE_SIDE, IMAGE_SIDE)),
    }
}

/// `count` rows of the model's shipped data that it was not trained on, as a CSV with the
/// model's column names: the German Credit hold-out applicants or the digits test images
/// (for `fraud-gru`, `count` hold-out sequences as a sequence file).
pub fn sample_csv(name: &str, count: usize) -> CliResult<String> {
    if name == super::fraud::NAME {
        return super::fraud::sample_csv(count);
    }
    let model = load(name)?;
    let (rows, values): (usize, Vec<f32>) = match name {
        "digits-cnn" => {
            let data = Digits::shared();
            let n = count.min(TEST_ROWS.len());
            (n, (TEST_ROWS.start..TEST_ROWS.start + n).flat_map(|i| data.image(i).to_vec()).collect())
        }
        _ => {
            let n = count.min(HOLDOUT_ROWS.len());
            (n, GermanCredit::shared().encoded_range(HOLDOUT_ROWS.start..HOLDOUT_ROWS.start + n).to_vec())
        }
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CliError::output(format!("sample: {e}"));
    writer.write_record(&model.columns).map_err(io)?;
    for row in values.chunks_exact(model.columns.len()).take(rows) {
        writer.write_record(row.iter().map(|v| v.to_string())).map_err(io)?;
    }
    let bytes = writer.into_inner().map_err(|e| CliError::output(format!("sample: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CliError::output(format!("sample: {e}")))
}
