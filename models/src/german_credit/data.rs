//! Parsing the UCI German Credit files (embedded at compile time) into typed records:
//! one [`Applicant`] per line of `german.data`, and the code descriptions of
//! `values_maps.json`.

use std::collections::BTreeMap;
use std::fmt;

use super::schema::{AttributeKind, ATTRIBUTES, ATTRIBUTE_COUNT};

/// `german.data`, exactly as published (space-separated, one applicant per line).
pub const GERMAN_DATA: &str = include_str!("../../../data/german_credit/german.data");

/// `values_maps.json`: for each categorical attribute, its codes and their descriptions.
pub const VALUE_MAPS_JSON: &str = include_str!("../../../data/german_credit/values_maps.json");

const DATA_FILE: &str = "german.data";
const VALUE_MAPS_FILE: &str = "values_maps.json";

/// Why one of the data files could not be read: the file, the line when known, and what
/// was found where something else was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    file: &'static str,
    line: Option<usize>,
    message: String,
}

impl DataError {
    fn in_file(file: &'static str, message: impl Into<String>) -> Self {
        Self { file, line: None, message: message.into() }
    }

    /// A problem with the applicants of `german.data` as a whole rather than with one line.
    pub(crate) fn whole_data_set(message: impl Into<String>) -> Self {
        Self::in_file(DATA_FILE, message)
    }

    fn in_line(file: &'static str, line: usize, message: impl Into<String>) -> Self {
        Self { file, line: Some(line), message: message.into() }
    }

    /// The file at fault (`german.data` or `values_maps.json`).
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The 1-based line at fault, when the problem is in one line.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// What was wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for DataError {}

/// One attribute's value as recorded: a whole number or a categorical code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// A numerical attribute's value.
    Number(u32),
    /// A categorical attribute's code, e.g. `"A43"`.
    Code(String),
}

impl AttributeValue {
    /// The number, for a numerical attribute.
    pub fn as_number(&self) -> Option<u32> {
        match self {
            Self::Number(value) => Some(*value),
            Self::Code(_) => None,
        }
    }

    /// The code, for a categorical attribute.
    pub fn as_code(&self) -> Option<&str> {
        match self {
            Self::Number(_) => None,
            Self::Code(code) => Some(code),
        }
    }
}

/// The bank's assessment of an applicant (the data set's label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditRisk {
    /// Label 1: a good credit risk.
    Good,
    /// Label 2: a bad credit risk.
    Bad,
}

impl CreditRisk {
    /// 1.0 for a good risk and 0.0 for a bad one: the target of a model that outputs the
    /// probability of good credit.
    pub fn good_credit_target(self) -> f32 {
        match self {
            Self::Good => 1.0,
            Self::Bad => 0.0,
        }
    }
}

/// One applicant: the 20 attribute values in the order of [`ATTRIBUTES`], and the label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    values: [AttributeValue; ATTRIBUTE_COUNT],
    risk: CreditRisk,
}

impl Applicant {
    /// The attribute values; numerical attributes hold a [`AttributeValue::Number`] and
    /// categorical ones a [`AttributeValue::Code`] that `values_maps.json` describes.
    pub fn values(&self) -> &[AttributeValue; ATTRIBUTE_COUNT] {
        &self.values
    }

    /// The bank's assessment.
    pub fn risk(&self) -> CreditRisk {
        self.risk
    }
}

/// The descriptions of the categorical codes, e.g. `A40` → `"car (new)"`, per attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDescriptions {
    by_attribute: Vec<BTreeMap<String, String>>,
}

impl CodeDescriptions {
    /// Reads `values_maps.json`: an object with one table per categorical attribute
    /// (keyed by its value-map key), each mapping codes to a description string or, for
    /// yes/no attributes, to `true`/`false`.
    pub fn parse(json: &str) -> Result<Self, DataError> {
        let root: serde_json::Value = serde_json::from_str(json).map_err(|error| {
            DataError::in_line(VALUE_MAPS_FILE, error.line(), format!("is not valid JSON: {error}"))
        })?;
        let tables = root.as_object().ok_or_else(|| {
            DataError::in_file(VALUE_MAPS_FILE, "expected a JSON object of code tables at the top level")
        })?;
        let by_attribute = ATTRIBUTES
            .iter()
            .map(|attribute| match attribute.kind {
                AttributeKind::Numerical => Ok(BTreeMap::new()),
                AttributeKind::Categorical { value_map_key } => {
                    let table = tables.get(value_map_key).and_then(serde_json::Value::as_object).ok_or_else(|| {
                        DataError::in_file(
                            VALUE_MAPS_FILE,
                            format!(
                                "expected an object \"{value_map_key}\" holding the codes of \"{}\"",
                                attribute.name
                            ),
                        )
                    })?;
                    table
                        .iter()
                        .map(|(code, description)| {
                            Ok((code.clone(), describe_json_value(value_map_key, code, description)?))
                        })
                        .collect()
                }
            })
            .collect::<Result<_, DataError>>()?;
        Ok(Self { by_attribute })
    }

    /// The description of `code` for attribute `attribute` (an index into [`ATTRIBUTES`]),
    /// when the file describes it.
    pub fn describe(&self, attribute: usize, code: &str) -> Option<&str> {
        self.by_attribute.get(attribute)?.get(code).map(String::as_str)
    }
}

/// Turns one entry of a code table into display text: strings lose the leading "..." the
/// UCI documentation uses as a placeholder for the amount, booleans become "yes" / "no".
fn describe_json_value(table: &str, code: &str, value: &serde_json::Value) -> Result<String, DataError> {
    match value {
        serde_json::Value::String(text) => Ok(text.trim().trim_start_matches('.').trim_start().to_owned()),
        serde_json::Value::Bool(true) => Ok("yes".to_owned()),
        serde_json::Value::Bool(false) => Ok("no".to_owned()),
        other => Err(DataError::in_file(
            VALUE_MAPS_FILE,
            format!("\"{table}\".\"{code}\" is {other}, expected a description string or true/false"),
        )),
    }
}

/// Reads `german.data`: one applicant per non-blank line, 20 space-separated attribute
/// fields followed by the label (1 = good, 2 = bad). Every categorical code must be one
/// that `descriptions` describes.
pub fn parse_applicants(text: &str, descriptions: &CodeDescriptions) -> Result<Vec<Applicant>, DataError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| parse_applicant(index + 1, line, descriptions))
        .collect()
}

fn parse_applicant(line_number: usize, line: &str, descriptions: &CodeDescriptions) -> Result<Applicant, DataError> {
    let error = |message: String| DataError::in_line(DATA_FILE, line_number, message);
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() != ATTRIBUTE_COUNT + 1 {
        return Err(error(format!(
            "has {} fields, expected {} (20 attributes and the label)",
            fields.len(),
            ATTRIBUTE_COUNT + 1
        )));
    }
    let mut values = Vec::with_capacity(ATTRIBUTE_COUNT);
    for (index, (attribute, field)) in ATTRIBUTES.iter().zip(&fields).enumerate() {
        let value = match attribute.kind {
            AttributeKind::Numerical => field.parse().map(AttributeValue::Number).map_err(|_| {
                error(format!("field {} ({}) is \"{field}\", expected a whole number", index + 1, attribute.name))
            })?,
            AttributeKind::Categorical { value_map_key } => {
                if descriptions.describe(index, field).is_none() {
                    return Err(error(format!(
                        "field {} ({}) is \"{field}\", a code that {VALUE_MAPS_FILE} does not list under \"{value_map_key}\"",
                        index + 1,
                        attribute.name
                    )));
                }
                AttributeValue::Code((*field).to_owned())
            }
        };
        values.push(value);
    }
    let risk = match fields[ATTRIBUTE_COUNT] {
        "1" => CreditRisk::Good,
        "2" => CreditRisk::Bad,
        other => return Err(error(format!("the label is \"{other}\", expected 1 (good) or 2 (bad)"))),
    };
    let values = values.try_into().expect("the loop above pushes exactly one value per attribute");
    Ok(Applicant { values, risk })
}

/// The parsed data set: the applicants in file order and the code descriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    applicants: Vec<Applicant>,
    descriptions: CodeDescriptions,
}

impl Dataset {
    /// Parses a `german.data` text and a `values_maps.json` text.
    pub fn parse(german_data: &str, value_maps_json: &str) -> Result<Self, DataError> {
        let descriptions = CodeDescriptions::parse(value_maps_json)?;
        let applicants = parse_applicants(german_data, &descriptions)?;
        if applicants.is_empty() {
            return Err(DataError::in_file(DATA_FILE, "holds no applicants, expected one per line"));
        }
        Ok(Self { applicants, descriptions })
    }

    /// Parses the files embedded in this crate ([`GERMAN_DATA`], [`VALUE_MAPS_JSON`]).
    pub fn embedded() -> Result<Self, DataError> {
        Self::parse(GERMAN_DATA, VALUE_MAPS_JSON)
    }

    /// The applicants, in file order.
    pub fn applicants(&self) -> &[Applicant] {
        &self.applicants
    }

    /// The code descriptions.
    pub fn descriptions(&self) -> &CodeDescriptions {
        &self.descriptions
    }

    /// Number of applicants.
    pub fn len(&self) -> usize {
        self.applicants.len()
    }

    /// Whether there are no applicants (never, for a parsed data set).
    pub fn is_empty(&self) -> bool {
        self.applicants.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST_LINE: &str = "A11 6 A34 A43 1169 A65 A75 4 A93 A101 4 A121 67 A143 A152 2 A173 1 A192 A201 1";

    fn embedded_descriptions() -> CodeDescriptions {
        CodeDescriptions::parse(VALUE_MAPS_JSON).expect("the embedded values_maps.json is valid")
    }

    #[test]
    fn embedded_data_has_1000_applicants_700_good_300_bad() {
        let dataset = Dataset::embedded().expect("the embedded files parse");
        assert_eq!(dataset.len(), 1000);
        let good = dataset.applicants().iter().filter(|a| a.risk() == CreditRisk::Good).count();
        assert_eq!((good, dataset.len() - good), (700, 300));
    }

    #[test]
    fn first_line_is_read_into_typed_values() {
        let applicants = parse_applicants(FIRST_LINE, &embedded_descriptions()).expect("a valid line");
        let applicant = &applicants[0];
        assert_eq!(applicant.values()[0], AttributeValue::Code("A11".to_owned()));
        assert_eq!(applicant.values()[1], AttributeValue::Number(6));
        assert_eq!(applicant.values()[4], AttributeValue::Number(1169));
        assert_eq!(applicant.risk(), CreditRisk::Good);
    }

    #[test]
    fn descriptions_are_tidied() {
        let descriptions = embedded_descriptions();
        assert_eq!(descriptions.describe(0, "A11"), Some("< 0 DM"));
        assert_eq!(descriptions.describe(0, "A12"), Some("0 <= ... < 200 DM"));
        assert_eq!(descriptions.describe(5, "A64"), Some(">= 1000 DM"));
        assert_eq!(descriptions.describe(3, "A40"), Some("car (new)"));
        assert_eq!(descriptions.describe(18, "A192"), Some("yes"));
        assert_eq!(descriptions.describe(19, "A202"), Some("no"));
        assert_eq!(descriptions.describe(1, "A11"), None);
    }

    #[test]
    fn wrong_field_count_names_the_line() {
        let text = format!("{FIRST_LINE}\nA11 6 A34\n");
        let error = parse_applicants(&text, &embedded_descriptions()).expect_err("line 2 is short");
        assert_eq!(error.line(), Some(2));
        assert_eq!(error.to_string(), "german.data line 2: has 3 fields, expected 21 (20 attributes and the label)");
    }

    #[test]
    fn bad_number_code_and_label_are_reported() {
        let descriptions = embedded_descriptions();
        let bad_number = FIRST_LINE.replacen(" 1169 ", " 11x9 ", 1);
        let error = parse_applicants(&bad_number, &descriptions).expect_err("not a number");
        assert!(error.message().contains("field 5 (credit amount (DM)) is \"11x9\""), "{error}");

        let bad_code = FIRST_LINE.replacen("A43", "A99", 1);
        let error = parse_applicants(&bad_code, &descriptions).expect_err("unknown code");
        assert!(error.message().contains("field 4 (purpose) is \"A99\""), "{error}");

        let bad_label = format!("{}3", &FIRST_LINE[..FIRST_LINE.len() - 1]);
        let error = parse_applicants(&bad_label, &descriptions).expect_err("unknown label");
        assert!(error.message().contains("the label is \"3\""), "{error}");
    }

    #[test]
    fn broken_value_maps_are_reported() {
        let error = CodeDescriptions::parse("{").expect_err("truncated JSON");
        assert_eq!(error.file(), "values_maps.json");
        let error = CodeDescriptions::parse("{}").expect_err("no tables");
        assert!(error.message().contains("\"status\""), "{error}");
    }

    #[test]
    fn empty_data_is_rejected() {
        let error = Dataset::parse("\n\n", VALUE_MAPS_JSON).expect_err("no applicants");
        assert!(error.message().contains("no applicants"), "{error}");
    }
}
