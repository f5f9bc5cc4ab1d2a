//! Turning applicants into model input rows: numerical attributes are standardised with
//! the data set's mean and standard deviation, categorical attributes are one-hot encoded
//! over the codes that occur. Columns keep the attribute order, so the column → attribute
//! map is directly usable as Lumen's `feature_mask`.

use super::data::{Applicant, CodeDescriptions, DataError, Dataset};
use super::schema::{AttributeKind, ATTRIBUTES};

/// How one column is computed from its attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// `(value - mean) / std_dev` of a numerical attribute.
    Standardised {
        /// The attribute's mean over the data set.
        mean: f64,
        /// The attribute's population standard deviation over the data set.
        std_dev: f64,
    },
    /// 1 when the categorical attribute has this code, 0 otherwise.
    OneHot {
        /// The code, e.g. `"A40"`.
        code: String,
    },
}

/// One column of an encoded row.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The attribute it encodes (an index into [`ATTRIBUTES`]).
    pub attribute: usize,
    /// Its display name: the attribute name for a numerical column, or
    /// `"attribute = description"` for a one-hot column, e.g. `"purpose = car (new)"`.
    pub name: String,
    /// How it is computed.
    pub kind: ColumnKind,
}

/// The encoding fitted to a data set: its columns, in attribute order.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoding {
    columns: Vec<Column>,
}

impl Encoding {
    /// Fits the encoding to `dataset`: the mean and standard deviation of each numerical
    /// attribute, and the codes of each categorical attribute that occur (in code order,
    /// `A40` … `A49`, `A410`). Fails when a numerical attribute is constant.
    pub fn fit(dataset: &Dataset) -> Result<Self, DataError> {
        let mut columns = Vec::new();
        for (attribute, definition) in ATTRIBUTES.iter().enumerate() {
            match definition.kind {
                AttributeKind::Numerical => {
                    let (mean, std_dev) = mean_and_std_dev(dataset.applicants().iter().map(|a| number(a, attribute)));
                    if std_dev <= 0.0 {
                        return Err(DataError::whole_data_set(format!(
                            "\"{}\" has the same value for every applicant, so it cannot be standardised",
                            definition.name
                        )));
                    }
                    let name = definition.name.to_owned();
                    columns.push(Column { attribute, name, kind: ColumnKind::Standardised { mean, std_dev } });
                }
                AttributeKind::Categorical { .. } => {
                    for code in occurring_codes(dataset.applicants(), attribute) {
                        let name = one_hot_name(dataset.descriptions(), attribute, &code);
                        columns.push(Column { attribute, name, kind: ColumnKind::OneHot { code } });
                    }
                }
            }
        }
        Ok(Self { columns })
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Number of columns of an encoded row.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether there are no columns (never, for a fitted encoding).
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The display names of the columns (the model's feature names).
    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|column| column.name.clone()).collect()
    }

    /// The attribute of each column: Lumen's `feature_mask`, grouping the one-hot columns
    /// of an attribute so that the attribute is ablated as a whole.
    pub fn feature_mask(&self) -> Vec<u32> {
        self.columns
            .iter()
            .map(|column| u32::try_from(column.attribute).expect("attribute indices are below ATTRIBUTE_COUNT = 20"))
            .collect()
    }

    /// Encodes one applicant. A code the encoding did not see when fitted sets none of its
    /// attribute's one-hot columns.
    pub fn encode(&self, applicant: &Applicant) -> Vec<f32> {
        self.columns
            .iter()
            .map(|column| match &column.kind {
                ColumnKind::Standardised { mean, std_dev } => {
                    ((number(applicant, column.attribute) - mean) / std_dev) as f32
                }
                ColumnKind::OneHot { code } => {
                    let matches = applicant.values()[column.attribute].as_code() == Some(code.as_str());
                    if matches {
                        1.0
                    } else {
                        0.0
                    }
                }
            })
            .collect()
    }

    /// Encodes many applicants into one row-major matrix, `applicants.len() × self.len()`.
    pub fn encode_all(&self, applicants: &[Applicant]) -> Vec<f32> {
        applicants.iter().flat_map(|applicant| self.encode(applicant)).collect()
    }
}

/// The value of numerical attribute `attribute` of `applicant`.
fn number(applicant: &Applicant, attribute: usize) -> f64 {
    let value = applicant.values()[attribute]
        .as_number()
        .expect("parsing stores a number for every attribute that ATTRIBUTES declares numerical");
    f64::from(value)
}

/// Mean and population standard deviation.
fn mean_and_std_dev(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let count = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / count;
    let variance = values.map(|value| (value - mean).powi(2)).sum::<f64>() / count;
    (mean, variance.sqrt())
}

/// The codes of categorical attribute `attribute` that occur, sorted by their number
/// (so `A410` follows `A49`).
fn occurring_codes(applicants: &[Applicant], attribute: usize) -> Vec<String> {
    let mut codes: Vec<String> =
        applicants.iter().filter_map(|applicant| applicant.values()[attribute].as_code()).map(str::to_owned).collect();
    codes.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
    codes.dedup();
    codes
}

fn one_hot_name(descriptions: &CodeDescriptions, attribute: usize, code: &str) -> String {
    let description = descriptions.describe(attribute, code).unwrap_or(code);
    format!("{} = {description}", ATTRIBUTES[attribute].name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::german_credit::schema::ATTRIBUTE_COUNT;

    fn fitted() -> (Dataset, Encoding) {
        let dataset = Dataset::embedded().expect("the embedded files parse");
        let encoding = Encoding::fit(&dataset).expect("no numerical attribute is constant");
        (dataset, encoding)
    }

    #[test]
    fn there_are_7_numerical_and_54_one_hot_columns() {
        let (_, encoding) = fitted();
        let standardised =
            encoding.columns().iter().filter(|c| matches!(c.kind, ColumnKind::Standardised { .. })).count();
        assert_eq!(standardised, 7);
        assert_eq!(encoding.len(), 61);
    }

    #[test]
    fn feature_mask_is_sorted_and_uses_every_attribute() {
        let (_, encoding) = fitted();
        let mask = encoding.feature_mask();
        assert!(mask.windows(2).all(|pair| pair[0] <= pair[1]));
        for attribute in 0..ATTRIBUTE_COUNT as u32 {
            assert!(mask.contains(&attribute), "attribute {attribute} has no column");
        }
    }

    #[test]
    fn codes_are_in_numeric_order_and_named_by_description() {
        let (_, encoding) = fitted();
        let purposes: Vec<&str> = encoding
            .columns()
            .iter()
            .filter(|c| c.attribute == 3)
            .filter_map(|c| match &c.kind {
                ColumnKind::OneHot { code } => Some(code.as_str()),
                ColumnKind::Standardised { .. } => None,
            })
            .collect();
        assert_eq!(purposes, ["A40", "A41", "A42", "A43", "A44", "A45", "A46", "A48", "A49", "A410"]);
        let names = encoding.column_names();
        assert!(names.contains(&"purpose = car (new)".to_owned()));
        assert!(names.contains(&"checking account = < 0 DM".to_owned()));
        assert!(names.contains(&"duration (months)".to_owned()));
    }

    #[test]
    fn each_categorical_attribute_has_exactly_one_hot_column_set() {
        let (dataset, encoding) = fitted();
        let row = encoding.encode(&dataset.applicants()[0]);
        for (attribute, definition) in ATTRIBUTES.iter().enumerate() {
            if matches!(definition.kind, AttributeKind::Categorical { .. }) {
                let ones: f32 = encoding
                    .columns()
                    .iter()
                    .zip(&row)
                    .filter(|(column, _)| column.attribute == attribute)
                    .map(|(_, value)| value)
                    .sum();
                assert_eq!(ones, 1.0, "attribute {attribute}");
            }
        }
    }
}
