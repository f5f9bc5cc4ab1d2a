//! Helpers the end-to-end tests share: run the binary, make scratch folders, check
//! failures.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `lumen` with `args`.
pub fn lumen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lumen")).args(args).output().expect("the lumen binary runs")
}

/// A fresh, empty folder for one test, removed with everything in it when the test ends
/// (when the value is dropped). It reads as the folder's [`Path`].
pub struct Scratch(tempfile::TempDir);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.path().as_os_str()
    }
}

/// A fresh, empty folder for the test `name`.
pub fn scratch(name: &str) -> Scratch {
    Scratch(tempfile::Builder::new().prefix(&format!("lumen-cli-{name}-")).tempdir().expect("scratch folder"))
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.to_str().expect("utf-8 path").to_owned()
}

/// Checks a success and returns stdout.
pub fn succeeds(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}, stderr: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

/// Checks a failure with exit code `code` and one stderr line `lumen: …` containing `reason`.
pub fn fails(out: &Output, code: i32, reason: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("lumen: "), "{stderr}");
    assert!(stderr.contains(reason), "expected '{reason}' in: {stderr}");
}

/// Reads a JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
}

/// Builds `source` (a C file) into a shared library with gcc against include/lumen.h.
pub fn build_plugin(source: &Path, out: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let status = Command::new("gcc")
        .args(["-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-O2", "-I"])
        .arg(root.join("include"))
        .arg("-I")
        .arg(root.join("examples/plugin"))
        .arg("-o")
        .arg(out)
        .arg(source)
        .arg("-lm")
        .status()
        .expect("gcc runs (install gcc to run the plugin tests)");
    assert!(status.success(), "gcc failed on {}", source.display());
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}
