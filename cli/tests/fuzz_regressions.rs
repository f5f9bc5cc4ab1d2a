//! The CLI readers' fuzz properties on stable: every committed seed of
//! `fuzz/corpus/{cli_csv,cli_sequences,report_json}/` and every reproducer of a bug
//! fuzzing found (`fuzz/regressions/<target>/`) replayed through the same checks the fuzz
//! targets run (`fuzz/checks/cli/`). `bash fuzz/run.sh SECONDS` fuzzes them for real.

#[path = "../../fuzz/checks/cli/mod.rs"]
mod cli_checks;

use std::path::Path;

/// Runs `check` on every file of `fuzz/<folder>/<target>/`, which must hold some.
fn replay(folder: &str, target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz").join(folder).join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    for file in files {
        let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        eprintln!("replaying {}", file.display());
        check(&data);
    }
}

#[test]
fn csv_seeds_and_reproducers_keep_their_properties() {
    replay("corpus", "cli_csv", cli_checks::csv::check);
    replay("regressions", "cli_csv", cli_checks::csv::check);
}

#[test]
fn sequence_seeds_and_reproducers_keep_their_properties() {
    replay("corpus", "cli_sequences", cli_checks::sequences::check);
    replay("regressions", "cli_sequences", cli_checks::sequences::check);
}

#[test]
fn report_seeds_and_reproducers_keep_their_properties() {
    replay("corpus", "report_json", cli_checks::report::check);
    replay("regressions", "report_json", cli_checks::report::check);
}

/// A CSV file with lone CR line ends (old Mac): every row was numbered line 1.
#[test]
fn rows_of_a_cr_file_get_their_line_numbers() {
    cli_checks::csv::check(include_bytes!("../../fuzz/regressions/cli_csv/cr-line-ends"));
}

/// A sequence file with lone CR line ends: every sequence started on line 1.
#[test]
fn sequences_of_a_cr_file_get_their_line_numbers() {
    cli_checks::sequences::check(include_bytes!("../../fuzz/regressions/cli_sequences/cr-line-ends"));
}

/// An explanation record with `rows = 2^63` and two outputs: `rows × outputs` overflowed.
#[test]
fn explanation_record_counts_that_overflow_are_refused() {
    cli_checks::report::check(include_bytes!("../../fuzz/regressions/report_json/explanation-count-overflow"));
}

/// A dataset audit with `features = 2^32`: `features × features` overflowed.
#[test]
fn audit_feature_counts_that_overflow_are_refused() {
    cli_checks::report::check(include_bytes!("../../fuzz/regressions/report_json/audit-feature-count-overflow"));
}
