//! Raw attributes of a model's rows and their encoding into model inputs: what an analyst
//! writes in a CSV file (category labels or codes, numbers in real units) and what the
//! model reads (one-hot columns, standardised numbers).
//!
//! A [`RawSchema`] lists the attributes in order; each numeric attribute fills one model
//! column as `(raw − offset) / scale`, each categorical attribute either one-hot columns
//! (one per category) or one column holding a number per category. Together the
//! attributes cover every model column exactly once, so a raw row encodes to a whole model
//! row and any model row (an input, a counterfactual) decodes back to raw values.
//! [`cells`] parses and shows raw values; [`check`] validates a schema.

pub mod cells;
pub mod check;

use lumen::explain::counterfactual::schema::{Feature, FeatureKind, Schema};

use crate::model::Groups;

/// One category of a categorical attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// The code as data files record it, e.g. `A11`.
    pub code: String,
    /// What it means in words, e.g. `< 0 DM`; shown in every output.
    pub label: String,
}

/// How a categorical attribute reaches the model.
#[derive(Debug, Clone, PartialEq)]
pub enum CategoryEncoding {
    /// Category `c` sets `columns[c]` to 1 and the other columns to 0.
    OneHot {
        /// One column per category, in category order.
        columns: Vec<usize>,
    },
    /// Category `c` writes `values[c]` into `column`.
    Code {
        /// The model column.
        column: usize,
        /// The number of each category, in category order.
        values: Vec<f32>,
    },
}

/// A numeric attribute: one model column holding `(raw − offset) / scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct Numeric {
    /// The unit of the raw values (e.g. `months`), when there is one.
    pub unit: Option<String>,
    /// The model column.
    pub column: usize,
    /// Subtracted from the raw value (e.g. the training mean).
    pub offset: f64,
    /// Divides the shifted value (e.g. the training standard deviation); never 0.
    pub scale: f64,
    /// Decimals shown for decoded values (0 for whole months); `None`: as computed.
    pub decimals: Option<u32>,
}

/// What kind of values an attribute holds.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeKind {
    /// A number in real units.
    Numeric(Numeric),
    /// One of a list of categories.
    Categorical {
        /// The categories, in order.
        categories: Vec<Category>,
        /// How a category reaches the model.
        encoding: CategoryEncoding,
    },
}

/// One raw attribute: its name (the raw CSV column and every output's label) and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The name, e.g. `duration (months)`.
    pub name: String,
    /// Its values and encoding.
    pub kind: AttributeKind,
}

impl Attribute {
    /// The model columns this attribute fills.
    pub fn columns(&self) -> Vec<usize> {
        match &self.kind {
            AttributeKind::Numeric(numeric) => vec![numeric.column],
            AttributeKind::Categorical { encoding: CategoryEncoding::OneHot { columns }, .. } => columns.clone(),
            AttributeKind::Categorical { encoding: CategoryEncoding::Code { column, .. }, .. } => vec![*column],
        }
    }
}

/// One decoded raw value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RawValue {
    /// A number in the attribute's unit.
    Number(f64),
    /// A category (an index into the attribute's categories).
    Category(usize),
    /// Model columns that are no category (e.g. an averaged one-hot group).
    Unknown,
}

/// The raw attributes of a model, validated against its input length.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSchema {
    attributes: Vec<Attribute>,
    input_len: usize,
}

impl RawSchema {
    /// A schema of `attributes` over `input_len` model columns; fails with the reason when
    /// names repeat, a column is out of range, used twice or by no attribute, a scale is 0
    /// or not finite, or categories are missing or repeat.
    pub fn new(attributes: Vec<Attribute>, input_len: usize) -> Result<Self, String> {
        check::validate(&attributes, input_len)?;
        Ok(Self { attributes, input_len })
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// The attributes' names, in order.
    pub fn names(&self) -> Vec<String> {
        self.attributes.iter().map(|a| a.name.clone()).collect()
    }

    /// Number of model columns.
    pub fn input_len(&self) -> usize {
        self.input_len
    }

    /// The attributes as feature groups: each model column's attribute and their names.
    pub fn groups(&self) -> Groups {
        let mut mask = vec![0u32; self.input_len];
        for (a, attribute) in self.attributes.iter().enumerate() {
            for column in attribute.columns() {
                mask[column] = a as u32;
            }
        }
        Groups { mask, names: self.names() }
    }

    /// Writes the encoding of `values` (one per attribute) into the model row `row`.
    /// An [`RawValue::Unknown`] leaves its columns at 0.
    pub fn encode(&self, values: &[RawValue], row: &mut [f32]) {
        for (attribute, value) in self.attributes.iter().zip(values) {
            match (&attribute.kind, *value) {
                (AttributeKind::Numeric(n), RawValue::Number(v)) => row[n.column] = ((v - n.offset) / n.scale) as f32,
                (AttributeKind::Categorical { encoding: CategoryEncoding::OneHot { columns }, .. }, v) => {
                    for (c, &column) in columns.iter().enumerate() {
                        row[column] = f32::from(u8::from(v == RawValue::Category(c)));
                    }
                }
                (AttributeKind::Categorical { encoding: CategoryEncoding::Code { column, values }, .. }, v) => {
                    row[*column] = match v {
                        RawValue::Category(c) => values.get(c).copied().unwrap_or(0.0),
                        _ => 0.0,
                    };
                }
                (AttributeKind::Numeric(n), _) => row[n.column] = 0.0,
            }
        }
    }

    /// The raw values of the model row `row`, one per attribute.
    pub fn decode(&self, row: &[f32]) -> Vec<RawValue> {
        self.attributes
            .iter()
            .map(|attribute| match &attribute.kind {
                AttributeKind::Numeric(n) => {
                    RawValue::Number(cells::round(f64::from(row[n.column]) * n.scale + n.offset, n.decimals))
                }
                AttributeKind::Categorical { encoding: CategoryEncoding::OneHot { columns }, .. } => {
                    let hot: Vec<usize> = (0..columns.len()).filter(|&c| row[columns[c]] > 0.5).collect();
                    let clean = columns.iter().all(|&col| row[col] == 0.0 || row[col] == 1.0);
                    match hot.as_slice() {
                        [c] if clean => RawValue::Category(*c),
                        _ => RawValue::Unknown,
                    }
                }
                AttributeKind::Categorical { encoding: CategoryEncoding::Code { column, values }, .. } => values
                    .iter()
                    .position(|&v| (v - row[*column]).abs() <= 1e-4 * v.abs().max(1.0))
                    .map_or(RawValue::Unknown, RawValue::Category),
            })
            .collect()
    }

    /// The model row `row` as display text per attribute: numbers in their unit (rounded
    /// to the attribute's decimals), categories by label.
    pub fn describe(&self, row: &[f32]) -> Vec<String> {
        self.attributes.iter().zip(self.decode(row)).map(|(a, v)| cells::show(a, v)).collect()
    }

    /// The numbers of the model row `row` in raw units (for colours of numeric attributes);
    /// `None` for categorical attributes, whose categories have no order.
    pub fn numbers(&self, row: &[f32]) -> Vec<Option<f64>> {
        self.decode(row)
            .into_iter()
            .map(|v| match v {
                RawValue::Number(x) => Some(x),
                _ => None,
            })
            .collect()
    }

    /// The attributes as the logical features of a counterfactual search: one-hot groups
    /// and coded categories (whose numbers are distinct integers) as categorical features,
    /// numbers and other coded categories as numeric columns.
    pub fn counterfactual_schema(&self) -> lumen::Result<Schema> {
        let features = self
            .attributes
            .iter()
            .map(|attribute| Feature {
                name: attribute.name.clone(),
                kind: match &attribute.kind {
                    AttributeKind::Categorical { encoding: CategoryEncoding::OneHot { columns }, .. }
                        if columns.len() >= 2 =>
                    {
                        FeatureKind::Categorical { columns: columns.clone() }
                    }
                    AttributeKind::Categorical { encoding: CategoryEncoding::Code { column, values }, .. }
                        if distinct_integers(values) =>
                    {
                        FeatureKind::Coded { column: *column, codes: values.iter().map(|&v| f64::from(v)).collect() }
                    }
                    _ => FeatureKind::Numeric { column: attribute.columns()[0] },
                },
            })
            .collect();
        Schema::new(features, self.input_len)
    }
}

/// Whether `values` are finite integers, no two equal (what a coded feature's codes must be).
fn distinct_integers(values: &[f32]) -> bool {
    values.iter().enumerate().all(|(i, &v)| v.is_finite() && v.fract() == 0.0 && !values[..i].contains(&v))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Duration (z-scored months), purpose (one-hot over columns 1..4) and a coded flag.
    pub fn sample() -> RawSchema {
        let category = |code: &str, label: &str| Category { code: code.into(), label: label.into() };
        RawSchema::new(
            vec![
                Attribute {
                    name: "duration (months)".into(),
                    kind: AttributeKind::Numeric(Numeric {
                        unit: Some("months".into()),
                        column: 0,
                        offset: 20.0,
                        scale: 12.0,
                        decimals: Some(0),
                    }),
                },
                Attribute {
                    name: "purpose".into(),
                    kind: AttributeKind::Categorical {
                        categories: vec![
                            category("A40", "car (new)"),
                            category("A41", "car (used)"),
                            category("A43", "radio/television"),
                        ],
                        encoding: CategoryEncoding::OneHot { columns: vec![1, 2, 3] },
                    },
                },
                Attribute {
                    name: "telephone".into(),
                    kind: AttributeKind::Categorical {
                        categories: vec![category("A191", "no"), category("A192", "yes")],
                        encoding: CategoryEncoding::Code { column: 4, values: vec![0.0, 1.0] },
                    },
                },
            ],
            5,
        )
        .expect("a valid schema")
    }

    #[test]
    fn raw_values_encode_and_decode_back() {
        let schema = sample();
        let values = [RawValue::Number(44.0), RawValue::Category(2), RawValue::Category(1)];
        let mut row = [9.0f32; 5];
        schema.encode(&values, &mut row);
        assert_eq!(row, [2.0, 0.0, 0.0, 1.0, 1.0]);
        assert_eq!(schema.decode(&row), values);
        assert_eq!(schema.describe(&row), ["44", "radio/television", "yes"]);
        assert_eq!(schema.numbers(&row), [Some(44.0), None, None]);
        // An averaged one-hot group is no category.
        assert_eq!(schema.decode(&[0.0, 0.5, 0.5, 0.0, 0.0])[1], RawValue::Unknown);
        assert_eq!(schema.groups().mask, [0, 1, 1, 1, 2]);
        let features = schema.counterfactual_schema().expect("valid").features().to_vec();
        assert_eq!(features[1].kind, FeatureKind::Categorical { columns: vec![1, 2, 3] });
        assert_eq!(features[2].kind, FeatureKind::Coded { column: 4, codes: vec![0.0, 1.0] });
    }

    #[test]
    fn coded_categories_search_as_categories_when_their_numbers_are_distinct_integers() {
        let with_values = |values: Vec<f32>| {
            let mut attributes = sample().attributes;
            attributes[2].kind = AttributeKind::Categorical {
                categories: vec![
                    Category { code: "A191".into(), label: "no".into() },
                    Category { code: "A192".into(), label: "yes".into() },
                ],
                encoding: CategoryEncoding::Code { column: 4, values },
            };
            RawSchema::new(attributes, 5).expect("a valid schema").counterfactual_schema().expect("valid").features()[2]
                .kind
                .clone()
        };
        assert_eq!(with_values(vec![7.0, -2.0]), FeatureKind::Coded { column: 4, codes: vec![7.0, -2.0] });
        assert_eq!(with_values(vec![0.5, 1.5]), FeatureKind::Numeric { column: 4 });
        assert_eq!(with_values(vec![1.0, 1.0]), FeatureKind::Numeric { column: 4 });
    }
}
