//! The `cli_sequences` property: the sequence-file reader (`lumen explain --sequences`)
//! given any text returns either sequences whose ids, lengths, first lines and values
//! agree, or an error naming the file and the reason.
//!
//! The first byte chooses the model's features (two short names or `fraud-gru`'s); the
//! rest is the file's text.

use std::collections::HashSet;

use lumen_cli::model::fraud;
use lumen_cli::sequences::parse_sequences;

use super::expect::{expect_line_numbers, expect_reason};

const SOURCE: &str = "fuzz-sequences.csv";

/// Runs one fuzz case of the sequence reader; panics when a property is broken.
pub fn check(data: &[u8]) {
    let Some((&mode, text)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(text);
    let features = if mode & 1 == 0 { ["a", "b"].map(String::from).to_vec() } else { fraud::feature_names() };
    let sequences = match parse_sequences(&text, SOURCE.to_owned(), &features) {
        Ok(sequences) => sequences,
        Err(error) => return expect_reason(&error, SOURCE),
    };
    let count = sequences.ids.len();
    assert!(count >= 1, "no sequences without an error");
    assert_eq!((sequences.lengths.len(), sequences.first_lines.len()), (count, count), "one length and line per id");
    assert_eq!(sequences.features, features.len(), "values per event");
    assert!(sequences.ids.iter().all(|id| !id.is_empty()), "an empty id");
    assert_eq!(sequences.ids.iter().collect::<HashSet<_>>().len(), count, "ids must be unique");
    assert!(sequences.lengths.iter().all(|&length| length >= 2), "a sequence of fewer than 2 events");
    let events: usize = sequences.lengths.iter().sum();
    assert_eq!(sequences.values.len(), events * features.len(), "events × features values");
    assert!(sequences.values.iter().all(|v| v.is_finite()), "a non-finite value was read");
    expect_line_numbers(&sequences.first_lines, &text);
    for (i, &length) in sequences.lengths.iter().enumerate() {
        assert_eq!(sequences.sequence(i).len(), length * features.len(), "sequence {i}'s values");
    }
}
