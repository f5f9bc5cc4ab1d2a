//! The layout the built-in models' committed weight files share: one metadata field per
//! line, then each parameter array, wrapped so that a diff of a retrained file stays
//! readable (one kernel, gate row or similar unit per line).

use std::fmt::{self, Write};

/// Why a built-in model's weights file or parameter vector could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightsError {
    model: &'static str,
    message: String,
}

impl WeightsError {
    /// An error about `model`'s weights (e.g. "fraud GRU") saying `message`.
    pub fn new(model: &'static str, message: impl Into<String>) -> Self {
        Self { model, message: message.into() }
    }

    /// What was wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} weights: {}", self.model, self.message)
    }
}

impl std::error::Error for WeightsError {}

/// A parameter array in a weights file: its field name, its values and how many values go
/// on one line (`usize::MAX` puts the whole array on the field's line).
pub(crate) type WeightsArray<'a> = (&'a str, &'a [f32], usize);

/// A value as compact JSON.
pub(crate) fn encode<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(value)
}

/// The JSON object with `fields` (already encoded values) first, then `arrays`.
pub(crate) fn write_weights_json(
    fields: &[(&str, String)],
    arrays: &[WeightsArray<'_>],
) -> Result<String, serde_json::Error> {
    let mut out = String::from("{\n");
    for (name, value) in fields {
        let _ = writeln!(out, "  \"{name}\": {value},");
    }
    for (index, (name, values, per_line)) in arrays.iter().enumerate() {
        let _ = write!(out, "  \"{name}\": [");
        let lines: Vec<String> = values
            .chunks((*per_line).min(values.len()).max(1))
            .map(|chunk| chunk.iter().map(encode).collect::<Result<Vec<_>, _>>().map(|n| n.join(", ")))
            .collect::<Result<_, _>>()?;
        if *per_line == usize::MAX {
            let _ = write!(out, "{}]", lines.join(", "));
        } else {
            let _ = write!(out, "\n    {}\n  ]", lines.join(",\n    "));
        }
        out.push_str(if index + 1 < arrays.len() { ",\n" } else { "\n" });
    }
    out.push_str("}\n");
    Ok(out)
}
