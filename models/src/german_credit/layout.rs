//! Where each of the 20 attributes sits in an encoded row, for searches that change
//! attributes rather than columns (counterfactuals): a numerical attribute is one
//! standardised column, a categorical attribute a group of one-hot columns. Also the
//! attributes the PermuteAttack paper treats as sensitive.

use lumen::explain::counterfactual::schema::{Feature, FeatureKind, Schema};

use super::encoding::{ColumnKind, Encoding};
use super::prepared::GermanCredit;
use super::schema::ATTRIBUTES;

/// The attribute "personal status and sex" (an index into [`ATTRIBUTES`]).
pub const PERSONAL_STATUS_AND_SEX_ATTRIBUTE: usize = 8;

/// The attribute "age (years)" (an index into [`ATTRIBUTES`]).
pub const AGE_ATTRIBUTE: usize = 12;

/// The attribute "foreign worker" (an index into [`ATTRIBUTES`]).
pub const FOREIGN_WORKER_ATTRIBUTE: usize = 19;

/// The sensitive attributes of the PermuteAttack paper (age, personal status and sex,
/// foreign worker), as indices into [`ATTRIBUTES`] in ascending order.
pub const SENSITIVE_ATTRIBUTES: [usize; 3] =
    [PERSONAL_STATUS_AND_SEX_ATTRIBUTE, AGE_ATTRIBUTE, FOREIGN_WORKER_ATTRIBUTE];

/// Where one attribute sits in an encoded row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeLayout {
    /// A numerical attribute: one standardised column.
    Numeric {
        /// The column.
        column: usize,
    },
    /// A categorical attribute: its one-hot columns, one per code that occurs, in code
    /// order (`A40` … `A49`, `A410`); category `c` sets `columns[c]` to 1.
    Categorical {
        /// The one-hot columns, in category order.
        columns: Vec<usize>,
    },
}

impl Encoding {
    /// The layout of every attribute, in attribute order (20 entries), each with the
    /// attribute's display name (e.g. `"checking account"`). Together they cover every
    /// column exactly once.
    pub fn attribute_layout(&self) -> Vec<(String, AttributeLayout)> {
        ATTRIBUTES
            .iter()
            .enumerate()
            .map(|(attribute, definition)| {
                let mut numeric = None;
                let mut one_hot = Vec::new();
                for (index, column) in self.columns().iter().enumerate().filter(|(_, c)| c.attribute == attribute) {
                    match column.kind {
                        ColumnKind::Standardised { .. } => numeric = Some(index),
                        ColumnKind::OneHot { .. } => one_hot.push(index),
                    }
                }
                let layout = match numeric {
                    Some(column) => AttributeLayout::Numeric { column },
                    None => AttributeLayout::Categorical { columns: one_hot },
                };
                (definition.name.to_owned(), layout)
            })
            .collect()
    }
}

impl GermanCredit {
    /// The layout of every attribute in [`GermanCredit::encoded_rows`]: see
    /// [`Encoding::attribute_layout`].
    pub fn attribute_layout(&self) -> Vec<(String, AttributeLayout)> {
        self.encoding().attribute_layout()
    }

    /// The attributes as the logical features of Lumen's counterfactual search (20
    /// features over the [`GermanCredit::encoded_len`] columns). Fails only if a
    /// categorical attribute had fewer than two codes in the data, which the embedded
    /// data never has.
    pub fn counterfactual_schema(&self) -> lumen::Result<Schema> {
        let features = self
            .attribute_layout()
            .into_iter()
            .map(|(name, layout)| Feature {
                name,
                kind: match layout {
                    AttributeLayout::Numeric { column } => FeatureKind::Numeric { column },
                    AttributeLayout::Categorical { columns } => FeatureKind::Categorical { columns },
                },
            })
            .collect();
        Schema::new(features, self.encoded_len())
    }
}

impl GermanCredit {
    /// Every attribute of an encoded row (e.g. a counterfactual) as display text, in
    /// attribute order: numerical attributes de-standardised and rounded to whole units
    /// (every numerical attribute of the data set is a whole number), categorical ones by
    /// their code's description. `None` when the row has the wrong length or a one-hot
    /// group without exactly one hot column.
    pub fn describe_encoded(&self, row: &[f32]) -> Option<Vec<(&'static str, String)>> {
        let columns = self.encoding().columns();
        if row.len() != columns.len() {
            return None;
        }
        ATTRIBUTES
            .iter()
            .enumerate()
            .map(|(attribute, definition)| {
                let mut hot = columns.iter().enumerate().filter(|(_, c)| c.attribute == attribute).filter_map(
                    |(index, column)| match &column.kind {
                        ColumnKind::Standardised { mean, std_dev } => {
                            Some(format!("{}", (f64::from(row[index]) * std_dev + mean).round()))
                        }
                        ColumnKind::OneHot { code } if row[index] == 1.0 => {
                            Some(self.dataset().descriptions().describe(attribute, code).unwrap_or(code).to_owned())
                        }
                        ColumnKind::OneHot { .. } => None,
                    },
                );
                let value = hot.next()?;
                hot.next().is_none().then_some((definition.name, value))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_attributes_are_named_as_in_the_paper() {
        let names: Vec<&str> = SENSITIVE_ATTRIBUTES.iter().map(|&a| ATTRIBUTES[a].name).collect();
        assert_eq!(names, ["personal status and sex", "age (years)", "foreign worker"]);
    }
}
