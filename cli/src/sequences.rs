//! Sequences to explain from a sequence file (`lumen explain --sequences FILE`).
//!
//! The format is a CSV file with a header: a `sequence_id` column and one column per
//! feature of the model, named as the model names them, in any order. Each line is one
//! event; the lines of a sequence are consecutive and in event order, oldest first. For
//! `fraud-gru`:
//!
//! ```text
//! sequence_id,is_transaction,is_login,is_enrollment,log_amount,log_distance,new_ip,log_time_since_previous,client_age
//! acct-17,1,0,0,0.52,0.10,0,0.61,0.43
//! acct-17,0,1,0,0,0.12,0,0.35,0.43
//! ```
//!
//! Every cell must be a finite number; a sequence needs at least two events (TimeSHAP
//! splits it into older and newer events), and its lines may not be split by another
//! sequence's. `lumen models --sample fraud-gru --rows N` writes such a file.

use std::path::Path;

use crate::error::{CliError, CliResult};
use crate::input::lines::{strip_bom, LineIndex};
use crate::input::{column_order, Columns};
use crate::text::quote;

/// The name of the column that tells sequences apart.
pub const SEQUENCE_ID: &str = "sequence_id";

/// Sequences read from a sequence file, each in the model's feature order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequences {
    /// The file, as named on the command line.
    pub source: String,
    /// Each sequence's id.
    pub ids: Vec<String>,
    /// Each sequence's number of events.
    pub lengths: Vec<usize>,
    /// Each sequence's first line in the file (the header is line 1).
    pub first_lines: Vec<u64>,
    /// All events, `Σ lengths × features` values, sequence after sequence.
    pub values: Vec<f32>,
    /// Features per event.
    pub features: usize,
}

impl Sequences {
    /// The events of sequence `i`.
    pub fn sequence(&self, i: usize) -> &[f32] {
        let start: usize = self.lengths[..i].iter().sum::<usize>() * self.features;
        &self.values[start..start + self.lengths[i] * self.features]
    }
}

/// Reads every sequence of `path`, whose feature columns are `features` (by name).
pub fn read_sequences(path: &Path, features: &[String]) -> CliResult<Sequences> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::input(format!("{source}: cannot read: {e}")))?;
    parse_sequences(&text, source, features)
}

/// Reads every sequence of the sequence-file `text`, as [`read_sequences`] reads a file's;
/// `source` names the text in errors and in the result (the fuzz targets feed text without
/// a file).
pub fn parse_sequences(text: &str, source: String, features: &[String]) -> CliResult<Sequences> {
    let text = strip_bom(text);
    let index = LineIndex::new(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| CliError::input(format!("{source}: {e}")))?.clone();
    if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
        return Err(CliError::input(format!(
            "{source}: empty file; expected a header line with '{SEQUENCE_ID}' and the feature columns"
        )));
    }
    let id_column = header.iter().position(|name| name.trim() == SEQUENCE_ID).ok_or_else(|| {
        CliError::input(format!("{source}: missing column '{SEQUENCE_ID}' (which sequence each event belongs to)"))
    })?;
    if header.iter().filter(|name| name.trim() == SEQUENCE_ID).count() > 1 {
        return Err(CliError::input(format!("{source}: column '{SEQUENCE_ID}' appears twice in the header")));
    }
    let feature_header: csv::StringRecord =
        header.iter().enumerate().filter(|&(i, _)| i != id_column).map(|(_, name)| name).collect();
    let feature_names: Vec<&str> = feature_header.iter().map(str::trim).collect();
    let order = column_order(&source, &feature_names, Columns::Named(features), "")?;
    let width = features.len();
    let mut sequences = Sequences {
        source: source.clone(),
        ids: Vec::new(),
        lengths: Vec::new(),
        first_lines: Vec::new(),
        values: Vec::new(),
        features: width,
    };
    for record in reader.records() {
        let record = record.map_err(|e| CliError::input(format!("{source}: {e}")))?;
        let line = index.record_line(&record);
        let id = record.get(id_column).unwrap_or_default().trim();
        if id.is_empty() {
            return Err(CliError::input(format!("{source}: line {line}: empty '{SEQUENCE_ID}'")));
        }
        if sequences.ids.last().map(String::as_str) != Some(id) {
            if let Some(k) = sequences.ids.iter().position(|known| known == id) {
                return Err(CliError::input(format!(
                    "{source}: line {line}: sequence '{id}' continues after another sequence (its events start at line {}); keep each sequence's lines together",
                    sequences.first_lines[k]
                )));
            }
            sequences.ids.push(id.to_owned());
            sequences.lengths.push(0);
            sequences.first_lines.push(line);
        }
        let start = sequences.values.len();
        sequences.values.resize(start + width, 0.0);
        let cells = record.iter().enumerate().filter(|&(i, _)| i != id_column).map(|(_, cell)| cell);
        for ((cell, &column), name) in cells.zip(&order).zip(feature_header.iter()) {
            let value: f32 = cell.trim().parse().map_err(|_| {
                CliError::input(format!(
                    "{source}: line {line}, column '{}': {} is not a number",
                    name.trim(),
                    quote(cell)
                ))
            })?;
            if !value.is_finite() {
                return Err(CliError::input(format!(
                    "{source}: line {line}, column '{}': {} is not a finite number",
                    name.trim(),
                    quote(cell)
                )));
            }
            sequences.values[start + column] = value;
        }
        if let Some(length) = sequences.lengths.last_mut() {
            *length += 1;
        }
    }
    if sequences.ids.is_empty() {
        return Err(CliError::input(format!("{source}: no events after the header")));
    }
    if let Some(k) = sequences.lengths.iter().position(|&l| l < 2) {
        return Err(CliError::input(format!(
            "{source}: sequence '{}' (line {}) has {} event; TimeSHAP needs at least 2 events per sequence",
            sequences.ids[k], sequences.first_lines[k], sequences.lengths[k]
        )));
    }
    Ok(sequences)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("lumen-sequences-{}-{name}.csv", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn names() -> Vec<String> {
        ["a", "b"].map(String::from).to_vec()
    }

    #[test]
    fn groups_consecutive_lines_and_reorders_columns() {
        let path = write("ok", "b,sequence_id,a\n2,s1,1\n4,s1,3\n6,s2,5\n8,s2,7\n10,s2,9\n");
        let sequences = read_sequences(&path, &names()).expect("valid");
        assert_eq!(sequences.ids, ["s1", "s2"]);
        assert_eq!((sequences.lengths.clone(), sequences.first_lines.clone()), (vec![2, 3], vec![2, 4]));
        assert_eq!(sequences.sequence(1), [5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
    }

    #[test]
    fn each_bad_file_gets_its_reason() {
        let cases = [
            ("no-id", "a,b\n1,2\n", "missing column 'sequence_id'"),
            ("missing", "sequence_id,a\ns,1\ns,2\n", "missing column 'b'"),
            ("unknown", "sequence_id,a,b,c\ns,1,2,3\n", "unknown column 'c'"),
            ("text", "sequence_id,a,b\ns,1,2\ns,x,2\n", "line 3, column 'a': 'x' is not a number"),
            ("inf", "sequence_id,a,b\ns,1,inf\ns,1,2\n", "line 2, column 'b': 'inf' is not a finite number"),
            ("one-event", "sequence_id,a,b\ns,1,2\ns,1,2\nt,1,2\n", "sequence 't' (line 4) has 1 event"),
            ("split", "sequence_id,a,b\ns,1,2\nt,1,2\ns,1,2\n", "sequence 's' continues after another sequence"),
            ("empty-id", "sequence_id,a,b\n,1,2\n", "line 2: empty 'sequence_id'"),
            ("empty", "", "empty file"),
            ("header-only", "sequence_id,a,b\n", "no events"),
        ];
        for (name, text, reason) in cases {
            let error = read_sequences(&write(name, text), &names()).expect_err(name);
            assert!(error.to_string().contains(reason), "{name}: {error}");
        }
    }
}
