//! The audit JSON of an explanation.

use super::Explanation;
use crate::error::{Error, ErrorKind, Result};

/// The JSON schema version of [`Explanation::to_json`].
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(serde::Serialize)]
struct Document<'a> {
    schema_version: u32,
    #[serde(flatten)]
    explanation: &'a Explanation,
}

impl Explanation {
    /// The explanation as one JSON object: method, parameters, audit metadata, shapes,
    /// values and diagnostics. Deterministic: the same explanation gives the same text.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(&Document { schema_version: JSON_SCHEMA_VERSION, explanation: self })
            .map_err(|e| Error::new(ErrorKind::Internal, format!("explanation: JSON serialisation failed: {e}")))
    }
}
