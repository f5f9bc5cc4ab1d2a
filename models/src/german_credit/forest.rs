//! The model of the PermuteAttack paper's German Credit experiments: a random forest of
//! 10 trees trained on a seeded 60 / 40 split of the 1000 applicants, served to Lumen
//! through the [`Model`] trait with the class probabilities as its two outputs.
//!
//! The trees come from `smartcore`'s [`RandomForestClassifier`] with its defaults, which
//! follow scikit-learn's: a bootstrap sample (`smartcore` draws it per class, keeping the
//! class counts), `floor(sqrt(61)) = 7` candidate columns drawn at each node, Gini
//! impurity, no depth limit. Unlike scikit-learn, a node whose 7 drawn columns do not
//! split it stays a leaf (predicting its majority class), so some leaves are impure. That
//! classifier only returns the majority label, so each tree is fitted as a one-tree forest
//! with its own seed (which seeds both its bootstrap sample and its column draws), and the
//! forest's probabilities are the shares of the trees voting for each class.

use std::sync::OnceLock;

use lumen::{Error, Model, ModelSignature, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use smartcore::ensemble::random_forest_classifier::{RandomForestClassifier, RandomForestClassifierParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::prepared::GermanCredit;

/// Number of trees in the forest.
pub const FOREST_TREES: usize = 10;

/// Number of applicants the forest is trained on (60 % of 1000); the other 400 test it.
pub const FOREST_TRAINING_ROWS: usize = 600;

/// Seed of the `ChaCha20Rng` that shuffles the applicant indices before the split: the
/// first [`FOREST_TRAINING_ROWS`] shuffled indices train, the rest test. It spells "SPLIT"
/// in ASCII.
pub const FOREST_SPLIT_SEED: u64 = 0x0053_504C_4954;

/// Seed of the first tree; tree `i` is fitted with seed `FOREST_SEED + i`, which seeds
/// both its bootstrap sample and its choice of candidate columns. It spells "FOREST" in
/// ASCII.
pub const FOREST_SEED: u64 = 0x464F_5245_5354;

/// How a forest is split off and grown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForestConfig {
    /// Number of trees (at least 1).
    pub trees: usize,
    /// Number of shuffled applicants to train on (at least 1, fewer than the data's rows);
    /// the rest test.
    pub training_rows: usize,
    /// Seed of the `ChaCha20Rng` that shuffles the applicant indices.
    pub split_seed: u64,
    /// Seed of the first tree; tree `i` gets `tree_seed + i`.
    pub tree_seed: u64,
}

impl ForestConfig {
    /// The PermuteAttack paper's set-up: [`FOREST_TREES`] trees, a
    /// [`FOREST_TRAINING_ROWS`] / 400 split, seeds [`FOREST_SPLIT_SEED`] and
    /// [`FOREST_SEED`]. The seeds were fixed before the forest was first measured.
    pub const PERMUTE_ATTACK: Self = Self {
        trees: FOREST_TREES,
        training_rows: FOREST_TRAINING_ROWS,
        split_seed: FOREST_SPLIT_SEED,
        tree_seed: FOREST_SEED,
    };
}

/// Output (and class) index of good credit.
pub const GOOD_CREDIT_CLASS: usize = 0;

/// Output (and class) index of bad credit.
pub const BAD_CREDIT_CLASS: usize = 1;

/// One tree: `smartcore`'s forest holding a single tree, over `f32` columns, labelled
/// with class indices ([`GOOD_CREDIT_CLASS`], [`BAD_CREDIT_CLASS`]).
type Tree = RandomForestClassifier<f32, u32, DenseMatrix<f32>, Vec<u32>>;

/// A random forest that maps an encoded applicant (see [`GermanCredit::encoded_rows`]) to
/// two outputs: output 0 is the probability of good credit, output 1 that of bad credit,
/// each the share of the trees voting for it (multiples of 1/10, summing to 1).
#[derive(Debug, PartialEq)]
pub struct GermanCreditForest {
    signature: ModelSignature,
    trees: Vec<Tree>,
    train_rows: Vec<usize>,
    test_rows: Vec<usize>,
    test_accuracy: f64,
}

impl GermanCreditForest {
    /// Trains the forest of [`ForestConfig::PERMUTE_ATTACK`] on `data`: see
    /// [`GermanCreditForest::train_with`].
    pub fn train(data: &GermanCredit) -> Self {
        Self::train_with(data, &ForestConfig::PERMUTE_ATTACK)
    }

    /// Splits `data` with `config.split_seed`, fits `config.trees` trees on the training
    /// rows and measures accuracy on the test rows. Deterministic: every call gives the
    /// same trees.
    ///
    /// # Panics
    /// When `config` asks for no trees, or for no training or no test rows.
    pub fn train_with(data: &GermanCredit, config: &ForestConfig) -> Self {
        assert!(config.trees >= 1, "a forest needs at least one tree");
        assert!(
            (1..data.rows()).contains(&config.training_rows),
            "training_rows = {} leaves no training or no test rows of {}",
            config.training_rows,
            data.rows()
        );
        let (train_rows, test_rows) = split(data.rows(), config.training_rows, config.split_seed);
        let row_len = data.encoded_len();
        let x = matrix(data, &train_rows);
        let y: Vec<u32> = train_rows.iter().map(|&row| class_of_label(data.labels()[row])).collect();
        let trees = (0..config.trees as u64)
            .map(|tree| {
                let parameters = RandomForestClassifierParameters::default()
                    .with_n_trees(1)
                    .with_seed(config.tree_seed.wrapping_add(tree));
                Tree::fit(&x, &y, parameters)
                    .expect("the training rows are non-empty, finite and hold both classes, so a tree fits")
            })
            .collect();
        let mut signature = ModelSignature::flat(row_len, 2);
        signature.feature_names = Some(data.column_names().to_vec());
        signature.concurrent = true;
        let mut forest = Self { signature, trees, train_rows, test_rows, test_accuracy: f64::NAN };
        let mut votes = vec![0; forest.test_rows.len()];
        forest.count_bad_votes(&matrix(data, &forest.test_rows), &mut votes);
        let correct = forest
            .test_rows
            .iter()
            .zip(&votes)
            .filter(|(&row, &bad)| forest.class_of_votes(bad) == class_of_label(data.labels()[row]) as usize)
            .count();
        forest.test_accuracy = correct as f64 / forest.test_rows.len() as f64;
        forest
    }

    /// The forest trained on [`GermanCredit::shared`], trained on first use and shared
    /// afterwards.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<GermanCreditForest> = OnceLock::new();
        SHARED.get_or_init(|| Self::train(GermanCredit::shared()))
    }

    /// The applicants (indices into [`GermanCredit::encoded_rows`]) the forest was trained
    /// on, ascending; 600 of them for [`GermanCreditForest::shared`].
    pub fn train_rows(&self) -> &[usize] {
        &self.train_rows
    }

    /// The applicants kept out of training to test the forest, ascending; 400 of them for
    /// [`GermanCreditForest::shared`].
    pub fn test_rows(&self) -> &[usize] {
        &self.test_rows
    }

    /// Share of the test rows whose predicted class ([`GermanCreditForest::predicted_class`])
    /// is their label.
    pub fn test_accuracy(&self) -> f64 {
        self.test_accuracy
    }

    /// Number of trees ([`FOREST_TREES`] for [`GermanCreditForest::shared`]).
    pub fn trees(&self) -> usize {
        self.trees.len()
    }

    /// The probabilities of good and bad credit of one encoded row (the model's outputs).
    ///
    /// # Panics
    /// When `row` does not hold [`GermanCredit::encoded_len`] values.
    pub fn class_probabilities(&self, row: &[f32]) -> [f32; 2] {
        let mut outputs = [0.0; 2];
        self.predict(row, 1, &mut outputs).expect("one row of encoded_len values");
        outputs
    }

    /// The class of one encoded row: [`BAD_CREDIT_CLASS`] when most trees vote for bad
    /// credit, else [`GOOD_CREDIT_CLASS`] (a tie, 5 : 5 of 10 trees, counts as good
    /// credit).
    ///
    /// # Panics
    /// When `row` does not hold [`GermanCredit::encoded_len`] values.
    pub fn predicted_class(&self, row: &[f32]) -> usize {
        assert_eq!(row.len(), self.signature.input_len(), "a row holds encoded_len values");
        let mut votes = [0];
        self.count_bad_votes(&DenseMatrix::new(1, row.len(), row.to_vec(), false).expect("shape matches"), &mut votes);
        self.class_of_votes(votes[0])
    }

    /// The majority class given the number of trees voting bad credit; ties go to good
    /// credit.
    fn class_of_votes(&self, bad_votes: usize) -> usize {
        if 2 * bad_votes > self.trees.len() {
            BAD_CREDIT_CLASS
        } else {
            GOOD_CREDIT_CLASS
        }
    }

    /// Adds, for each row of `x`, the number of trees voting bad credit to `votes`.
    fn count_bad_votes(&self, x: &DenseMatrix<f32>, votes: &mut [usize]) {
        for tree in &self.trees {
            let classes = tree.predict(x).expect("every tree is fitted");
            for (count, class) in votes.iter_mut().zip(classes) {
                *count += class as usize;
            }
        }
    }
}

impl Model for GermanCreditForest {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> Result<()> {
        let row_len = self.signature.input_len();
        if inputs.len() != rows * row_len {
            return Err(Error::length("inputs", inputs.len(), format!("{rows} rows × {row_len} columns")));
        }
        if outputs.len() != rows * 2 {
            return Err(Error::length("outputs", outputs.len(), format!("{rows} rows × 2 classes")));
        }
        if rows == 0 {
            return Ok(());
        }
        let x = DenseMatrix::new(rows, row_len, inputs.to_vec(), false)
            .map_err(|error| Error::invalid("inputs", format!("not a {rows} × {row_len} matrix: {error}")))?;
        let mut votes = vec![0; rows];
        self.count_bad_votes(&x, &mut votes);
        let trees = self.trees.len() as f32;
        for (pair, &bad) in outputs.chunks_exact_mut(2).zip(&votes) {
            pair[GOOD_CREDIT_CLASS] = (self.trees.len() - bad) as f32 / trees;
            pair[BAD_CREDIT_CLASS] = bad as f32 / trees;
        }
        Ok(())
    }
}

/// Shuffles `0..rows` with a `ChaCha20Rng` seeded with `seed` and returns the first
/// `training_rows` and the rest, each sorted.
fn split(rows: usize, training_rows: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..rows).collect();
    order.shuffle(&mut ChaCha20Rng::seed_from_u64(seed));
    let mut test = order.split_off(training_rows.min(rows));
    order.sort_unstable();
    test.sort_unstable();
    (order, test)
}

/// The encoded rows `rows` of `data` as a row-major matrix.
fn matrix(data: &GermanCredit, rows: &[usize]) -> DenseMatrix<f32> {
    let row_len = data.encoded_len();
    let values = rows.iter().flat_map(|&row| data.encoded_range(row..row + 1).iter().copied()).collect();
    DenseMatrix::new(rows.len(), row_len, values, false).expect("rows.len() × encoded_len values")
}

/// The class of a label (1.0 good credit, 0.0 bad).
fn class_of_label(label: f32) -> u32 {
    if label == 1.0 {
        GOOD_CREDIT_CLASS as u32
    } else {
        BAD_CREDIT_CLASS as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_a_seeded_partition() {
        let (train, test) = split(1000, 600, FOREST_SPLIT_SEED);
        assert_eq!((train.len(), test.len()), (600, 400));
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        assert_eq!(split(1000, 600, FOREST_SPLIT_SEED), (train.clone(), test));
        assert_ne!(split(1000, 600, FOREST_SPLIT_SEED + 1).0, train);
    }
}
