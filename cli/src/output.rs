//! Existing outputs: a command refuses to overwrite the files it would write unless
//! `--force` is given, and says so before any work is done (exit code 5).

use std::path::{Path, PathBuf};

use crate::error::{CliError, CliResult};

/// Fails when any of `paths` exists and `force` is false, naming the first existing one
/// and how many others exist.
pub fn refuse_existing(paths: &[PathBuf], force: bool) -> CliResult {
    if force {
        return Ok(());
    }
    let existing: Vec<&PathBuf> = paths.iter().filter(|p| p.exists()).collect();
    match existing.as_slice() {
        [] => Ok(()),
        [first, rest @ ..] => {
            let others = match rest.len() {
                0 => String::new(),
                1 => " (and 1 other output)".to_owned(),
                n => format!(" (and {n} other outputs)"),
            };
            Err(CliError::output(format!(
                "{}: already exists{others}; pass --force to overwrite, or choose another --output",
                first.display()
            )))
        }
    }
}

/// The files in `dir` whose names start with `prefix` and end with `suffix` (e.g. the
/// per-sequence records of an earlier run); none when `dir` cannot be read.
pub fn matching(dir: &Path, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix))
        })
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Category;

    #[test]
    fn existing_outputs_are_refused_unless_forced() {
        let dir = std::env::temp_dir().join(format!("lumen-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b, c) = (dir.join("explanation.json"), dir.join("attributions.csv"), dir.join("new.csv"));
        std::fs::write(&a, "{}").unwrap();
        std::fs::write(&b, "x").unwrap();
        assert_eq!(refuse_existing(std::slice::from_ref(&c), false), Ok(()));
        let error = refuse_existing(&[c.clone(), a.clone(), b.clone()], false).expect_err("exists");
        assert_eq!(error.category(), Category::Output);
        assert!(error.to_string().ends_with(
            "explanation.json: already exists (and 1 other output); pass --force to overwrite, or choose another --output"
        ));
        assert_eq!(refuse_existing(&[a, b], true), Ok(()));
        assert_eq!(matching(&dir, "explan", ".json"), [dir.join("explanation.json")]);
    }
}
