//! Rows to explain from a CSV file whose header names the model's input columns.

use std::path::Path;

use crate::error::{CliError, CliResult};

/// The columns a model expects.
#[derive(Debug, Clone, Copy)]
pub enum Columns<'a> {
    /// Named columns, in the model's order; the file may order them differently.
    Named(&'a [String]),
    /// Unnamed columns: the file must have this many, in the model's order.
    Count(usize),
}

impl Columns<'_> {
    fn len(&self) -> usize {
        match self {
            Self::Named(names) => names.len(),
            Self::Count(n) => *n,
        }
    }
}

/// Rows read from a CSV file, in the model's column order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    /// The file, as named on the command line.
    pub source: String,
    /// Number of rows.
    pub rows: usize,
    /// `rows × columns` values, row-major, in the model's column order.
    pub values: Vec<f32>,
    /// Each row's line number in the file (the header is line 1).
    pub lines: Vec<u64>,
}

/// A short list of expected names for messages: the first few and a count.
fn expected(columns: &[String]) -> String {
    let shown: Vec<&str> = columns.iter().take(4).map(String::as_str).collect();
    let more = if columns.len() > 4 { format!(", … ({} in all)", columns.len()) } else { String::new() };
    format!("'{}'{more}", shown.join("', '"))
}

/// For each column of the file, its index in the model's columns.
pub(crate) fn column_order(source: &str, header: &csv::StringRecord, columns: Columns<'_>) -> CliResult<Vec<usize>> {
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    match columns {
        Columns::Count(n) if names.len() != n => Err(CliError::input(format!(
            "{source}: the header has {} columns, the model takes {n} inputs",
            names.len()
        ))),
        Columns::Count(n) => Ok((0..n).collect()),
        Columns::Named(expected_names) => {
            let mut order = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                if names[..i].contains(name) {
                    return Err(CliError::input(format!("{source}: column '{name}' appears twice in the header")));
                }
                match expected_names.iter().position(|e| e == name) {
                    Some(index) => order.push(index),
                    None => {
                        return Err(CliError::input(format!(
                            "{source}: unknown column '{name}'; the model's columns are {}",
                            expected(expected_names)
                        )))
                    }
                }
            }
            if let Some(missing) = expected_names.iter().find(|e| !names.contains(&e.as_str())) {
                return Err(CliError::input(format!(
                    "{source}: missing column '{missing}' ({} of the model's {} columns are present)",
                    names.len(),
                    expected_names.len()
                )));
            }
            Ok(order)
        }
    }
}

/// Reads every data row of `path`; cells must be finite numbers.
pub fn read_rows(path: &Path, columns: Columns<'_>) -> CliResult<Rows> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::input(format!("{source}: cannot read: {e}")))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| CliError::input(format!("{source}: {e}")))?.clone();
    if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
        return Err(CliError::input(format!("{source}: empty file; expected a header line of column names")));
    }
    let order = column_order(&source, &header, columns)?;
    let width = columns.len();
    let mut values = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| CliError::input(format!("{source}: {e}")))?;
        let line = record.position().map_or(0, |p| p.line());
        let start = values.len();
        values.resize(start + width, 0.0);
        for (i, (cell, &column)) in record.iter().zip(&order).enumerate() {
            let name = header.get(i).unwrap_or("?").trim();
            let value: f32 = cell.trim().parse().map_err(|_| {
                CliError::input(format!("{source}: line {line}, column '{name}': '{cell}' is not a number"))
            })?;
            if !value.is_finite() {
                return Err(CliError::input(format!(
                    "{source}: line {line}, column '{name}': '{cell}' is not a finite number"
                )));
            }
            values[start + column] = value;
        }
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(CliError::input(format!("{source}: no data rows after the header")));
    }
    Ok(Rows { source, rows: lines.len(), values, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("lumen-input-{}-{name}.csv", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn names() -> Vec<String> {
        ["a", "b", "c"].map(String::from).to_vec()
    }

    #[test]
    fn reorders_named_columns() {
        let path = write("ok", "c,a,b\n3,1,2\n6,4,5.5\n");
        let rows = read_rows(&path, Columns::Named(&names())).expect("valid");
        assert_eq!((rows.rows, rows.lines.clone()), (2, vec![2, 3]));
        assert_eq!(rows.values, [1.0, 2.0, 3.0, 4.0, 5.5, 6.0]);
        let unnamed = read_rows(&path, Columns::Count(3)).expect("valid");
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
            ("ragged", "a,b,c\n1,2\n", "found record with 2 fields"),
            ("empty", "", "empty file"),
            ("header-only", "a,b,c\n", "no data rows"),
        ];
        for (name, text, reason) in cases {
            let error = read_rows(&write(name, text), Columns::Named(&names())).expect_err(name);
            assert!(error.to_string().contains(reason), "{name}: {error}");
        }
        let error = read_rows(&write("count", "x,y\n1,2\n"), Columns::Count(3)).expect_err("2 of 3");
        assert!(error.to_string().contains("the header has 2 columns, the model takes 3 inputs"), "{error}");
        let error = read_rows(Path::new("/nonexistent/rows.csv"), Columns::Count(3)).expect_err("missing");
        assert!(error.to_string().starts_with("/nonexistent/rows.csv: cannot read: "), "{error}");
    }
}
