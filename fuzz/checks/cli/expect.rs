//! Assertions shared by the reader checks.

use lumen_cli::error::CliError;

/// An error names the input it is about and says something after that.
pub fn expect_reason(error: &CliError, source: &str) {
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("{source}: ")) && message.len() > source.len() + 2,
        "an error without its source or reason: {message:?}"
    );
}

/// Line numbers of records: after the header (line 1) and strictly increasing.
pub fn expect_line_numbers(lines: &[u64], text: &str) {
    assert!(lines.iter().all(|&line| line >= 2), "a record before or on the header line: {lines:?}");
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "line numbers not increasing: {lines:?}");
    let line_ends = text.bytes().filter(|&b| b == b'\n').count() + text.matches('\r').count();
    let last = lines.last().copied().unwrap_or(0);
    assert!(last <= line_ends as u64 + 1, "line {last} in a text of at most {} lines", line_ends + 1);
}
