//! Property checks of the `lumen` command's input readers driven by fuzz input, shared by
//! the fuzz targets (`fuzz/fuzz_targets/cli_csv.rs`, `cli_sequences.rs`, `report_json.rs`)
//! and the stable regression tests that replay the committed corpus
//! (`cli/tests/fuzz_regressions.rs`). Each `check` accepts any byte string and panics
//! when a reader returns an inconsistent result or an error without its reason.

pub mod csv;
mod expect;
pub mod report;
pub mod sequences;
