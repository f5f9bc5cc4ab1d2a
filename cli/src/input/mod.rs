//! Rows to explain from a CSV file. The header names the columns: either the model's own
//! input columns ("encoded": one-hot columns, standardised numbers), or, for a model with
//! a [`RawSchema`], its raw attributes ("raw": category labels or codes, numbers in real
//! units), which are encoded here. `--input-form auto` tells them apart by the header:
//! raw when every column is a raw attribute, encoded when every column is a model column,
//! otherwise whichever matches more names (and the error names the rest). An optional id
//! column is passed through as the rows' names.

pub mod header;
pub mod lines;

use std::path::Path;

use clap::ValueEnum;

use crate::error::{CliError, CliResult};
use crate::schema::{cells, RawSchema, RawValue};
use crate::text::{nearest, quote};
pub use header::{column_order, Columns};
use lines::{strip_bom, LineIndex};

/// Which columns the header of an input file names (`--input-form`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum InputForm {
    /// Raw attributes when every column is one, else the model's input columns.
    #[default]
    Auto,
    /// The model's raw attributes (needs a model with a schema).
    Raw,
    /// The model's input columns, already encoded.
    Encoded,
}

/// The form a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// Raw attributes, encoded on reading.
    Raw,
    /// Model input columns.
    Encoded,
}

/// How to read a file of rows.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions<'a> {
    /// The model's input columns.
    pub columns: Columns<'a>,
    /// The model's raw attributes, when it declares them.
    pub schema: Option<&'a RawSchema>,
    /// The header's form.
    pub form: InputForm,
    /// The column that names each row (`--id-column`).
    pub id_column: Option<&'a str>,
    /// Whether the id column must be present (it is optional in background files).
    pub id_required: bool,
    /// Whether to keep the cells as doubles too ([`Rows::doubles`]), for a double model.
    pub doubles: bool,
}

impl<'a> ReadOptions<'a> {
    /// Encoded columns only, no id column.
    pub fn encoded(columns: Columns<'a>) -> Self {
        Self { columns, schema: None, form: InputForm::Encoded, id_column: None, id_required: false, doubles: false }
    }
}

/// Rows read from a CSV file, encoded in the model's column order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    /// The file, as named on the command line.
    pub source: String,
    /// Number of rows.
    pub rows: usize,
    /// `rows × columns` model inputs, row-major, in the model's column order.
    pub values: Vec<f32>,
    /// The same inputs as doubles, for a double-precision model: each cell of an encoded
    /// file parsed as f64, when [`ReadOptions::doubles`] asks for them (raw files are
    /// encoded in f32, and give `None`).
    pub doubles: Option<Vec<f64>>,
    /// Each row's line number in the file (the header is line 1).
    pub lines: Vec<u64>,
    /// Each row's id from the id column, when one was named and present.
    pub ids: Option<Vec<String>>,
    /// The form the header was in.
    pub form: Form,
}

impl Rows {
    /// A name per row: its id, or "line N".
    pub fn labels(&self) -> Vec<String> {
        match &self.ids {
            Some(ids) => ids.clone(),
            None => self.lines.iter().map(|l| format!("line {l}")).collect(),
        }
    }
}

/// The form of a header of `names`, as `form` asks or as the names show.
fn resolve_form(source: &str, names: &[&str], options: &ReadOptions<'_>) -> CliResult<Form> {
    let Some(schema) = options.schema else {
        return match options.form {
            InputForm::Raw => Err(CliError::input(format!(
                "{source}: --input-form raw needs a model that declares raw attributes; this one takes its input columns only"
            ))),
            _ => Ok(Form::Encoded),
        };
    };
    let raw_names = schema.names();
    let raw = Columns::Named(&raw_names).matches(names);
    let encoded = options.columns.matches(names);
    Ok(match options.form {
        InputForm::Raw => Form::Raw,
        InputForm::Encoded => Form::Encoded,
        InputForm::Auto if raw == names.len() => Form::Raw,
        InputForm::Auto if encoded == names.len() => Form::Encoded,
        InputForm::Auto if encoded > raw => Form::Encoded,
        InputForm::Auto => Form::Raw,
    })
}

/// Reads every data row of `path`: cells must be finite numbers (categories by label or
/// code in raw form), ids non-empty and unique.
pub fn read_rows(path: &Path, options: &ReadOptions<'_>) -> CliResult<Rows> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::input(format!("{source}: cannot read: {e}")))?;
    parse_rows(&text, source, options)
}

/// Reads every data row of the CSV `text`, as [`read_rows`] reads a file's; `source` names
/// the text in errors and in the result (the fuzz targets feed text without a file).
pub fn parse_rows(text: &str, source: String, options: &ReadOptions<'_>) -> CliResult<Rows> {
    let text = strip_bom(text);
    let index = LineIndex::new(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| CliError::input(format!("{source}: {e}")))?.clone();
    if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
        return Err(CliError::input(format!("{source}: empty file; expected a header line of column names")));
    }
    let all: Vec<&str> = header.iter().map(str::trim).collect();
    let id_index = match options.id_column {
        Some(id) => match all.iter().position(|name| *name == id.trim()) {
            Some(i) => Some(i),
            None if !options.id_required => None,
            None => {
                let near =
                    nearest(id, all.iter().copied()).map(|n| format!("; did you mean '{n}'?")).unwrap_or_default();
                return Err(CliError::input(format!(
                    "{source}: --id-column '{id}': no such column in the header{near}"
                )));
            }
        },
        None => None,
    };
    let names: Vec<&str> = all.iter().enumerate().filter(|&(i, _)| Some(i) != id_index).map(|(_, n)| *n).collect();
    let form = resolve_form(&source, &names, options)?;
    let hint =
        if options.id_column.is_none() { "; to pass an id column through, name it with --id-column" } else { "" };
    let raw_names = options.schema.map(RawSchema::names).unwrap_or_default();
    let order = match form {
        Form::Raw => column_order(&source, &names, Columns::Named(&raw_names), hint)?,
        Form::Encoded => column_order(&source, &names, options.columns, hint)?,
    };
    let width = options.columns.len();
    let mut values = Vec::new();
    let mut doubles: Vec<f64> = Vec::new();
    let mut lines = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let mut id_lines: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut raw = vec![RawValue::Unknown; raw_names.len()];
    for record in reader.records() {
        let record = record.map_err(|e| CliError::input(format!("{source}: {e}")))?;
        let line = index.record_line(&record);
        if record.len() != all.len() {
            return Err(CliError::input(format!(
                "{source}: line {line} has {} cells, the header has {}",
                record.len(),
                all.len()
            )));
        }
        if let Some(i) = id_index {
            let id = record[i].trim();
            if id.is_empty() {
                return Err(CliError::input(format!("{source}: line {line}: the id column '{}' is empty", all[i])));
            }
            if let Some(first) = id_lines.insert(id.to_owned(), line) {
                return Err(CliError::input(format!(
                    "{source}: line {line}: id {} was already used on line {first}; ids must be unique",
                    quote(id)
                )));
            }
            ids.push(id.to_owned());
        }
        let cells = record.iter().enumerate().filter(|&(i, _)| Some(i) != id_index).map(|(_, cell)| cell);
        let start = values.len();
        values.resize(start + width, 0.0);
        if options.doubles {
            doubles.resize(start + width, 0.0);
        }
        for ((cell, &column), name) in cells.zip(&order).zip(&names) {
            let at = |reason: String| CliError::input(format!("{source}: line {line}, column '{name}': {reason}"));
            match (form, options.schema) {
                (Form::Raw, Some(schema)) => {
                    raw[column] = cells::parse(&schema.attributes()[column], cell).map_err(at)?;
                }
                _ => {
                    let value: f32 = cell.trim().parse().map_err(|_| at(format!("{} is not a number", quote(cell))))?;
                    if !value.is_finite() {
                        return Err(at(format!("{} is not a finite number", quote(cell))));
                    }
                    values[start + column] = value;
                    if options.doubles {
                        // A finite f32 cell is a finite f64 one too.
                        doubles[start + column] = cell.trim().parse().unwrap_or(f64::from(value));
                    }
                }
            }
        }
        if let (Form::Raw, Some(schema)) = (form, options.schema) {
            schema.encode(&raw, &mut values[start..start + width]);
        }
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(CliError::input(format!("{source}: no data rows after the header")));
    }
    let ids = id_index.map(|_| ids);
    let doubles = (options.doubles && form == Form::Encoded).then_some(doubles);
    Ok(Rows { source, rows: lines.len(), values, doubles, lines, ids, form })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("lumen-input-{}-{name}.csv", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn names() -> Vec<String> {
        ["a", "b", "c"].map(String::from).to_vec()
    }

    fn read(path: &Path, columns: Columns<'_>) -> CliResult<Rows> {
        read_rows(path, &ReadOptions::encoded(columns))
    }

    #[test]
    fn reorders_named_columns() {
        let path = write("ok", "c,a,b\n3,1,2\n6,4,5.5\n");
        let rows = read(&path, Columns::Named(&names())).expect("valid");
        assert_eq!((rows.rows, rows.lines.clone()), (2, vec![2, 3]));
        assert_eq!(rows.values, [1.0, 2.0, 3.0, 4.0, 5.5, 6.0]);
        assert_eq!(rows.labels(), ["line 2", "line 3"]);
        let unnamed = read(&path, Columns::Count(3)).expect("valid");
        assert_eq!(unnamed.values[..3], [3.0, 1.0, 2.0]);
    }

    #[test]
    fn each_bad_file_gets_its_reason() {
        let cases = [
            ("missing", "a,b\n1,2\n", "missing column 'c'"),
            ("unknown", "a,b,c,d\n1,2,3,4\n", "unknown column 'd'"),
            ("twice", "a,b,a\n1,2,3\n", "column 'a' appears twice"),
            ("text", "a,b,c\n1,2,3\n1,x,3\n", "line 3, column 'b': 'x' is not a number"),
            ("nan", "a,b,c\n1,NaN,3\n", "line 2, column 'b': 'NaN' is not a finite number"),
            ("ragged", "a,b,c\n1,2\n", "line 2 has 2 cells, the header has 3"),
            ("empty", "", "empty file"),
            ("header-only", "a,b,c\n", "no data rows"),
        ];
        for (name, text, reason) in cases {
            let error = read(&write(name, text), Columns::Named(&names())).expect_err(name);
            assert!(error.to_string().contains(reason), "{name}: {error}");
        }
        let error = read(&write("count", "x,y\n1,2\n"), Columns::Count(3)).expect_err("2 of 3");
        assert!(error.to_string().contains("the header has 2 columns, the model takes 3 inputs"), "{error}");
        let error = read(Path::new("/nonexistent/rows.csv"), Columns::Count(3)).expect_err("missing");
        assert!(error.to_string().starts_with("/nonexistent/rows.csv: cannot read: "), "{error}");
    }

    #[test]
    fn raw_rows_with_ids_are_encoded_and_the_form_detected() {
        let schema = sample();
        let columns: Vec<String> = (0..5).map(|c| format!("x{c}")).collect();
        let options = |form| ReadOptions {
            columns: Columns::Named(&columns),
            schema: Some(&schema),
            form,
            id_column: Some("id"),
            id_required: true,
            doubles: false,
        };
        let raw = write(
            "raw",
            "\u{feff}id,telephone,purpose,duration (months)\r\nA-1,yes,radio/television,44\r\nA-2,A191,A40,8\r\n",
        );
        let rows = read_rows(&raw, &options(InputForm::Auto)).expect("valid raw rows");
        assert_eq!(rows.form, Form::Raw);
        assert_eq!(rows.ids, Some(vec!["A-1".to_owned(), "A-2".to_owned()]));
        assert_eq!(rows.lines, [2, 3]);
        assert_eq!(rows.values, [2.0, 0.0, 0.0, 1.0, 1.0, -1.0, 1.0, 0.0, 0.0, 0.0]);
        let encoded = write("encoded", "x4,x3,x2,x1,x0,id\n1,1,0,0,2,A-1\n");
        let rows = read_rows(&encoded, &options(InputForm::Auto)).expect("valid encoded rows");
        assert_eq!((rows.form, rows.values.clone()), (Form::Encoded, vec![2.0, 0.0, 0.0, 1.0, 1.0]));
        let error = read_rows(&raw, &options(InputForm::Encoded)).expect_err("not model columns");
        assert!(error.to_string().contains("unknown columns 'telephone'"), "{error}");
        let bad = write("bad-label", "id,telephone,purpose,duration (months)\nA-1,yes,radio/televison,44\n");
        let error = read_rows(&bad, &options(InputForm::Auto)).expect_err("typo in a label");
        assert!(
            error.to_string().ends_with(
                "line 2, column 'purpose': 'radio/televison' is not a category; did you mean 'radio/television'?"
            ),
            "{error}"
        );
        let twice = write("twice", "id,telephone,purpose,duration (months)\nA-1,yes,A40,4\nA-1,no,A40,5\n");
        let error = read_rows(&twice, &options(InputForm::Auto)).expect_err("same id");
        assert!(error.to_string().contains("line 3: id 'A-1' was already used on line 2"), "{error}");
        let mut no_id = options(InputForm::Auto);
        no_id.id_column = Some("applicant");
        let error = read_rows(&raw, &no_id).expect_err("no such id column");
        assert!(error.to_string().contains("--id-column 'applicant': no such column in the header"), "{error}");
    }
}
