//! The logical features a counterfactual search changes: a numeric feature is one model
//! column; a categorical feature is a one-hot group of columns, or one column holding an
//! integer code (as in PermuteAttack's reference code), permuted as one ordinal feature
//! (its category index) and re-encoded when a candidate goes to the model. Both encodings
//! of a categorical feature are the same logical feature: the same category index, the
//! same draws and the same distance, so a search gives the same counterfactuals whichever
//! encoding the model reads.

use serde::Serialize;

use crate::element::Element;
use crate::error::{ensure_finite, Error, Result};

/// How a logical feature sits in the model's input row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    /// One column holding the value.
    Numeric {
        /// The column.
        column: usize,
    },
    /// A one-hot group: category `c` sets `columns[c]` to 1 and the others to 0.
    Categorical {
        /// The group's columns, one per category.
        columns: Vec<usize>,
    },
    /// One column holding an integer category code: category `c` writes `codes[c]` into
    /// `column` (the same category `c` as column `c` of a one-hot group).
    Coded {
        /// The column.
        column: usize,
        /// The allowed codes, one per category: finite integers, distinct, at least one.
        codes: Vec<f64>,
    },
}

impl FeatureKind {
    /// Whether the feature is categorical (a one-hot group or a coded column).
    pub fn is_categorical(&self) -> bool {
        !matches!(self, Self::Numeric { .. })
    }

    /// Number of categories of a categorical feature (`None` for a numeric one).
    pub fn categories(&self) -> Option<usize> {
        match self {
            Self::Numeric { .. } => None,
            Self::Categorical { columns } => Some(columns.len()),
            Self::Coded { codes, .. } => Some(codes.len()),
        }
    }
}

/// A named logical feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feature {
    /// Its name (e.g. "checking account").
    pub name: String,
    /// Where it sits in the row.
    pub kind: FeatureKind,
}

/// The logical features of a model's rows. Columns no feature claims keep the instance's
/// values in every candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schema {
    features: Vec<Feature>,
    row_len: usize,
}

impl Schema {
    /// Checks that every column is inside `row_len`, no column belongs to two features,
    /// every one-hot group has at least two columns and every coded feature's codes are
    /// finite integers, distinct and at least one.
    pub fn new(features: Vec<Feature>, row_len: usize) -> Result<Self> {
        if features.is_empty() {
            return Err(Error::invalid("schema", "has no features"));
        }
        let mut owner = vec![None; row_len];
        for (f, feature) in features.iter().enumerate() {
            let columns: &[usize] = match &feature.kind {
                FeatureKind::Numeric { column } => std::slice::from_ref(column),
                FeatureKind::Categorical { columns } if columns.len() < 2 => {
                    return Err(Error::invalid(
                        "schema",
                        format!(
                            "categorical feature {f} ({}) has {} column(s), expected at least 2",
                            feature.name,
                            columns.len()
                        ),
                    ))
                }
                FeatureKind::Categorical { columns } => columns,
                FeatureKind::Coded { column, codes } => {
                    check_codes(f, &feature.name, codes)?;
                    std::slice::from_ref(column)
                }
            };
            for &c in columns {
                match owner.get(c) {
                    None => {
                        return Err(Error::invalid(
                            "schema",
                            format!("feature {f} ({}) uses column {c}, expected < input_len = {row_len}", feature.name),
                        ))
                    }
                    Some(Some(other)) => {
                        return Err(Error::invalid(
                            "schema",
                            format!("column {c} belongs to features {other} and {f}; each column to one feature"),
                        ))
                    }
                    Some(None) => owner[c] = Some(f),
                }
            }
        }
        Ok(Self { features, row_len })
    }

    /// One numeric feature per column, named `feature N`.
    pub fn numeric(row_len: usize) -> Self {
        let features = (0..row_len)
            .map(|c| Feature { name: format!("feature {c}"), kind: FeatureKind::Numeric { column: c } })
            .collect();
        Self { features, row_len }
    }

    /// The logical features.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// Number of logical features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether there are no features (never, for a checked schema).
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Elements per model row.
    pub fn row_len(&self) -> usize {
        self.row_len
    }

    /// The logical values of a model row: a numeric feature's value, or a categorical
    /// feature's category index (the one hot column, an error unless exactly one is 1; or
    /// the position of a coded column's value among its codes, an error if it is none).
    pub fn decode(&self, row: &[f64], argument: &str) -> Result<Vec<f64>> {
        if row.len() != self.row_len {
            return Err(Error::length(argument, row.len(), self.row_len));
        }
        ensure_finite(argument, row)?;
        self.features
            .iter()
            .map(|feature| match &feature.kind {
                FeatureKind::Numeric { column } => Ok(row[*column]),
                FeatureKind::Categorical { columns } => {
                    let hot: Vec<usize> = (0..columns.len()).filter(|&c| row[columns[c]] == 1.0).collect();
                    let cold = columns.iter().filter(|&&c| row[c] == 0.0).count();
                    if hot.len() != 1 || cold != columns.len() - 1 {
                        return Err(Error::invalid(
                            argument,
                            format!("feature {} is not one-hot (columns {columns:?})", feature.name),
                        ));
                    }
                    Ok(hot[0] as f64)
                }
                FeatureKind::Coded { column, codes } => {
                    let value = row[*column];
                    match codes.iter().position(|&code| code == value) {
                        Some(c) => Ok(c as f64),
                        None => Err(Error::invalid(
                            argument,
                            format!(
                                "feature {} has code {value} in column {column}, expected one of its codes {codes:?}",
                                feature.name
                            ),
                        )),
                    }
                }
            })
            .collect()
    }

    /// Writes logical `values` into `row` (other columns are left as they are).
    pub fn encode_into(&self, values: &[f64], row: &mut [f64]) {
        for (feature, &value) in self.features.iter().zip(values) {
            match &feature.kind {
                FeatureKind::Numeric { column } => row[*column] = value,
                FeatureKind::Categorical { columns } => {
                    for (c, &column) in columns.iter().enumerate() {
                        row[column] = if c as f64 == value { 1.0 } else { 0.0 };
                    }
                }
                FeatureKind::Coded { column, codes } => row[*column] = codes[value as usize],
            }
        }
    }

    /// The Euclidean distance between two logical rows, the same whichever encoding a
    /// categorical feature has: a numeric feature adds its squared difference, a changed
    /// categorical feature adds 2 (what it adds between one-hot vectors), summed in feature
    /// order. For a model whose categoricals are all one-hot groups this is the distance
    /// between the encoded rows. A numeric difference is taken in the model's element type
    /// `E` (the values are elements of `E`), as the reference implementation's arrays do.
    pub fn distance<E: Element>(&self, a: &[f64], b: &[f64]) -> f64 {
        self.features
            .iter()
            .zip(a.iter().zip(b))
            .map(|(feature, (&x, &y))| match feature.kind {
                FeatureKind::Numeric { .. } => (E::from_f64(x) - E::from_f64(y)).widen().powi(2),
                FeatureKind::Categorical { .. } | FeatureKind::Coded { .. } => {
                    if x == y {
                        0.0
                    } else {
                        2.0
                    }
                }
            })
            .sum::<f64>()
            .sqrt()
    }
}

/// Checks a coded feature's codes: at least one, each a finite integer, no two equal.
fn check_codes(f: usize, name: &str, codes: &[f64]) -> Result<()> {
    if codes.is_empty() {
        return Err(Error::invalid(
            "schema",
            format!("coded feature {f} ({name}) has no codes, expected at least one"),
        ));
    }
    for (i, &code) in codes.iter().enumerate() {
        if !code.is_finite() || code.fract() != 0.0 {
            return Err(Error::invalid(
                "schema",
                format!("coded feature {f} ({name}) has code {code} at {i}, expected a finite integer"),
            ));
        }
        if let Some(j) = codes[..i].iter().position(|&other| other == code) {
            return Err(Error::invalid(
                "schema",
                format!("coded feature {f} ({name}) lists code {code} twice (at {j} and {i}), expected distinct codes"),
            ));
        }
    }
    Ok(())
}

/// Training rows in logical form: the pool every new feature value is drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingTable {
    values: Vec<f64>,
    features: usize,
}

impl TrainingTable {
    /// Decodes `rows` (`n × row_len` model rows, at least one) with `schema`.
    pub fn new(schema: &Schema, rows: &[f64]) -> Result<Self> {
        let n = schema.row_len();
        if rows.is_empty() {
            return Err(Error::invalid("training", "has no rows, expected at least one training row"));
        }
        if rows.len() % n != 0 {
            return Err(Error::length("training", rows.len(), format!("a multiple of input_len = {n}")));
        }
        let mut values = Vec::with_capacity(rows.len() / n * schema.len());
        for (i, row) in rows.chunks_exact(n).enumerate() {
            values.extend(schema.decode(row, &format!("training row {i}"))?);
        }
        Ok(Self { values, features: schema.len() })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len() / self.features
    }

    /// Logical row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.features..(i + 1) * self.features]
    }

    /// Feature `feature`'s value in row `i`.
    pub fn value(&self, i: usize, feature: usize) -> f64 {
        self.values[i * self.features + feature]
    }

    /// Number of logical features.
    pub fn features(&self) -> usize {
        self.features
    }
}

/// Draws new values for chosen features of a candidate (logical values).
pub trait Resampler: Sync {
    /// Replaces `candidate[f]` for every `f` in `features` with a value the training data
    /// makes plausible.
    fn resample(&self, candidate: &mut [f64], features: &[usize], rng: &mut rand_chacha::ChaCha20Rng);
}

/// The paper's basic sampler: each feature's new value is a uniform draw from its
/// training column (a random element of a permutation of the column).
#[derive(Debug, Clone, Copy)]
pub struct ColumnResampler<'a> {
    /// The training pool.
    pub table: &'a TrainingTable,
}

impl Resampler for ColumnResampler<'_> {
    fn resample(&self, candidate: &mut [f64], features: &[usize], rng: &mut rand_chacha::ChaCha20Rng) {
        use rand::RngExt;
        for &f in features {
            candidate[f] = self.table.value(rng.random_range(0..self.table.rows()), f);
        }
    }
}
