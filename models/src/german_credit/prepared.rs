//! The German Credit data prepared for the model and for explanations: the encoded
//! matrix, the labels, the training / hold-out split, the feature mask and the baseline.

use std::ops::Range;
use std::sync::OnceLock;

use super::data::{DataError, Dataset};
use super::describe::describe_applicant;
use super::encoding::Encoding;

/// The rows the model is trained on: the first 800 applicants of `german.data`.
pub const TRAINING_ROWS: Range<usize> = 0..800;

/// The rows kept out of training to measure the model: the last 200 applicants.
pub const HOLDOUT_ROWS: Range<usize> = 800..1000;

/// The parsed data set with its encoding, built once per process by [`GermanCredit::shared`].
#[derive(Debug, Clone, PartialEq)]
pub struct GermanCredit {
    dataset: Dataset,
    encoding: Encoding,
    encoded_rows: Vec<f32>,
    labels: Vec<f32>,
    feature_mask: Vec<u32>,
    column_names: Vec<String>,
    baseline_row: Vec<f32>,
}

impl GermanCredit {
    /// Parses and encodes the data files embedded in this crate.
    pub fn load() -> Result<Self, DataError> {
        let dataset = Dataset::embedded()?;
        if dataset.len() != HOLDOUT_ROWS.end {
            return Err(DataError::whole_data_set(format!(
                "holds {} applicants, expected {} (the training and hold-out split is fixed)",
                dataset.len(),
                HOLDOUT_ROWS.end
            )));
        }
        let encoding = Encoding::fit(&dataset)?;
        let encoded_rows = encoding.encode_all(dataset.applicants());
        let labels = dataset.applicants().iter().map(|applicant| applicant.risk().good_credit_target()).collect();
        let baseline_row = column_means(
            &encoded_rows[TRAINING_ROWS.start * encoding.len()..TRAINING_ROWS.end * encoding.len()],
            encoding.len(),
        );
        Ok(Self {
            feature_mask: encoding.feature_mask(),
            column_names: encoding.column_names(),
            dataset,
            encoding,
            encoded_rows,
            labels,
            baseline_row,
        })
    }

    /// The embedded data set, parsed and encoded on first use and shared afterwards.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<GermanCredit> = OnceLock::new();
        SHARED.get_or_init(|| {
            Self::load()
                .expect("the embedded German Credit files are fixed at compile time and parse (see the crate's tests)")
        })
    }

    /// The parsed applicants and code descriptions.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The encoding from applicants to model input rows.
    pub fn encoding(&self) -> &Encoding {
        &self.encoding
    }

    /// Number of applicants (1000).
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// Number of columns of an encoded row.
    pub fn encoded_len(&self) -> usize {
        self.encoding.len()
    }

    /// Every applicant encoded, `rows() × encoded_len()`, row-major, in file order.
    pub fn encoded_rows(&self) -> &[f32] {
        &self.encoded_rows
    }

    /// The encoded rows of `rows` (a range of applicant indices), row-major.
    ///
    /// # Panics
    /// When `rows` reaches past [`GermanCredit::rows`].
    pub fn encoded_range(&self, rows: Range<usize>) -> &[f32] {
        &self.encoded_rows[rows.start * self.encoded_len()..rows.end * self.encoded_len()]
    }

    /// One label per applicant: 1.0 for good credit, 0.0 for bad.
    pub fn labels(&self) -> &[f32] {
        &self.labels
    }

    /// The attribute (0..20) of each encoded column: Lumen's `feature_mask`.
    pub fn feature_mask(&self) -> &[u32] {
        &self.feature_mask
    }

    /// The display name of each encoded column, e.g. `"purpose = car (new)"`.
    pub fn column_names(&self) -> &[String] {
        &self.column_names
    }

    /// The mean encoded row of the training rows: a neutral reference applicant to
    /// ablate towards (one-hot columns hold the codes' frequencies).
    pub fn baseline_row(&self) -> &[f32] {
        &self.baseline_row
    }

    /// Applicant `row`'s raw attributes in words, e.g. `("checking account", "< 0 DM")`;
    /// `None` when there is no such applicant.
    pub fn describe_applicant(&self, row: usize) -> Option<Vec<(&'static str, String)>> {
        let applicant = self.dataset.applicants().get(row)?;
        Some(describe_applicant(applicant, self.dataset.descriptions()))
    }
}

/// The mean of each of the `row_len` columns of a row-major matrix, summed in f64.
fn column_means(matrix: &[f32], row_len: usize) -> Vec<f32> {
    let mut sums = vec![0.0f64; row_len];
    for row in matrix.chunks_exact(row_len) {
        for (sum, &value) in sums.iter_mut().zip(row) {
            *sum += f64::from(value);
        }
    }
    let rows = (matrix.len() / row_len) as f64;
    sums.into_iter().map(|sum| (sum / rows) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_means_average_each_column() {
        assert_eq!(column_means(&[1.0, 10.0, 3.0, 20.0], 2), [2.0, 15.0]);
    }

    #[test]
    fn shapes_agree() {
        let data = GermanCredit::shared();
        assert_eq!(data.rows(), 1000);
        assert_eq!(data.encoded_rows().len(), 1000 * data.encoded_len());
        assert_eq!(data.feature_mask().len(), data.encoded_len());
        assert_eq!(data.column_names().len(), data.encoded_len());
        assert_eq!(data.baseline_row().len(), data.encoded_len());
        assert_eq!(data.encoded_range(HOLDOUT_ROWS).len(), 200 * data.encoded_len());
        assert!(data.describe_applicant(1000).is_none());
    }
}
