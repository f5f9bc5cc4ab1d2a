//! A reader that closes the pipe early (`lumen … | head`) ends `lumen` quietly: no panic
//! message on stderr.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn a_closed_stdout_pipe_ends_lumen_without_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lumen"))
        .args(["models", "--sample", "fraud-gru", "--rows", "200"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the lumen binary runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("a first line");
    assert!(first.starts_with("sequence_id"), "the sample starts with its header: {first}");
    let out = child.wait_with_output().expect("lumen ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}
