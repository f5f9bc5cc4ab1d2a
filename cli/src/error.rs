//! The command's failures: a category that picks the exit code, and a one-line message
//! that says what was wrong.

use std::fmt;
use std::process::ExitCode;

/// What kind of input or step failed; each has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// The explanation itself failed (the engine's error: a bad option value, a model
    /// callback that failed or returned NaN, a backend that cannot run). Exit code 1.
    Explanation,
    /// An input file is missing or malformed (CSV, JSON). Exit code 3.
    Input,
    /// The model cannot be loaded or does not fit the request (unknown name, plugin
    /// without the entry point, a method the model cannot serve). Exit code 4.
    Model,
    /// An output could not be written. Exit code 5.
    Output,
}

impl Category {
    /// The process exit code (2 is clap's, for malformed command lines).
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Explanation => 1,
            Self::Input => 3,
            Self::Model => 4,
            Self::Output => 5,
        }
    }
}

/// A failure of the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    category: Category,
    message: String,
}

impl CliError {
    /// A failure of `category`.
    pub fn new(category: Category, message: impl Into<String>) -> Self {
        Self { category, message: message.into() }
    }

    /// A malformed or missing input file.
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(Category::Input, message)
    }

    /// A model that cannot be loaded or used.
    pub fn model(message: impl Into<String>) -> Self {
        Self::new(Category::Model, message)
    }

    /// An output that could not be written.
    pub fn output(message: impl Into<String>) -> Self {
        Self::new(Category::Output, message)
    }

    /// The exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.category.exit_code())
    }

    /// The category.
    pub fn category(&self) -> Category {
        self.category
    }
}

impl fmt::Display for CliError {
    /// One line: newlines in the detail become spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message.replace(['\n', '\r'], " "))
    }
}

impl From<lumen::Error> for CliError {
    fn from(error: lumen::Error) -> Self {
        let category = match error.kind() {
            lumen::ErrorKind::ModelCapabilityMissing
            | lumen::ErrorKind::ElementTypeMismatch
            | lumen::ErrorKind::ElementTypeUnsupported => Category::Model,
            _ => Category::Explanation,
        };
        Self::new(category, error.message())
    }
}

/// Results of the command's steps.
pub type CliResult<T = ()> = Result<T, CliError>;

/// Writes `contents` to `path`, naming the path in the error.
pub fn write_file(path: &std::path::Path, contents: impl AsRef<[u8]>) -> CliResult {
    std::fs::write(path, contents).map_err(|e| CliError::output(format!("{}: cannot write: {e}", path.display())))
}

/// Creates `dir` and its parents, naming it in the error.
pub fn create_dir(dir: &std::path::Path) -> CliResult {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::output(format!("{}: cannot create the folder: {e}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_stay_on_one_line_and_codes_differ() {
        let error = CliError::input("rows.csv: line 3\ncolumn 2");
        assert_eq!(error.to_string(), "rows.csv: line 3 column 2");
        let codes: Vec<u8> = [Category::Explanation, Category::Input, Category::Model, Category::Output]
            .map(Category::exit_code)
            .to_vec();
        assert_eq!(codes, [1, 3, 4, 5]);
        let engine = CliError::from(lumen::Error::new(lumen::ErrorKind::ModelCapabilityMissing, "no gradient"));
        assert_eq!(engine.category(), Category::Model);
    }
}
