//! `lumen models --sample` and `--schema`: rows of a built-in model's shipped data that
//! it was not trained on, as an input file for `lumen explain` (raw attributes or encoded
//! columns), and the raw attributes a raw input file names.

use clap::ValueEnum;
use lumen_models::digits::{Digits, TEST_ROWS};
use lumen_models::german_credit::{GermanCredit, HOLDOUT_ROWS};

use super::builtin::load;
use crate::error::{CliError, CliResult};
use crate::schema::{AttributeKind, CategoryEncoding};

/// The columns of a sample file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SampleForm {
    /// Raw attributes (category labels, real units) for models with a schema; the
    /// encoded columns otherwise.
    Raw,
    /// The model's encoded input columns.
    Encoded,
}

/// A sample file and how many rows (or sequences) it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The CSV text.
    pub csv: String,
    /// Rows or sequences written (fewer than asked when the hold-out set is smaller).
    pub rows: usize,
    /// What `rows` counts: "rows" or "sequences".
    pub unit: &'static str,
}

/// Up to `count` rows of the model's shipped data that it was not trained on, as a CSV in
/// `form`: the German Credit hold-out applicants or the digits test images (for
/// `fraud-gru`, `count` hold-out sequences as a sequence file).
pub fn sample_csv(name: &str, count: usize, form: SampleForm) -> CliResult<Sample> {
    if name == super::fraud::NAME {
        return Ok(Sample { csv: super::fraud::sample_csv(count)?, rows: count, unit: "sequences" });
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
    let schema = model.schema.as_ref().filter(|_| form == SampleForm::Raw);
    match schema {
        Some(schema) => writer.write_record(schema.names()).map_err(io)?,
        None => writer.write_record(&model.columns).map_err(io)?,
    }
    for row in values.chunks_exact(model.columns.len()).take(rows) {
        match schema {
            Some(schema) => writer.write_record(schema.describe(row)).map_err(io)?,
            None => writer.write_record(row.iter().map(|v| v.to_string())).map_err(io)?,
        }
    }
    let bytes = writer.into_inner().map_err(|e| CliError::output(format!("sample: {e}")))?;
    let csv = String::from_utf8(bytes).map_err(|e| CliError::output(format!("sample: {e}")))?;
    Ok(Sample { csv, rows, unit: "rows" })
}

/// The raw attributes of built-in model `name`, one per line: name, kind and unit, then
/// the categories as `code = label`.
pub fn schema_text(name: &str) -> CliResult<String> {
    let model = load(name)?;
    let schema = model.schema.as_ref().ok_or_else(|| {
        CliError::model(format!("{name} declares no raw attributes; its input columns are its only form"))
    })?;
    let mut text =
        format!("{name}: {} raw attributes over {} model columns\n", schema.attributes().len(), schema.input_len());
    for attribute in schema.attributes() {
        match &attribute.kind {
            AttributeKind::Numeric(n) => {
                let unit = n.unit.as_deref().map(|u| format!(" in {u}")).unwrap_or_default();
                text.push_str(&format!("{}: number{unit}\n", attribute.name));
            }
            AttributeKind::Categorical { categories, encoding } => {
                let how = match encoding {
                    CategoryEncoding::OneHot { .. } => "one-hot",
                    CategoryEncoding::Code { .. } => "coded",
                };
                let listed: Vec<String> = categories.iter().map(|c| format!("{} = {}", c.code, c.label)).collect();
                text.push_str(&format!("{}: category ({how}): {}\n", attribute.name, listed.join("; ")));
            }
        }
    }
    Ok(text)
}
