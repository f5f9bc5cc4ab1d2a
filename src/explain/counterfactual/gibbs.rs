//! Realistic resampling by Gibbs sampling over discretised features (PermuteAttack §3.2.7).
//!
//! The basic sampler draws each changed feature from its own training column, which ignores
//! the other features of the candidate and can produce rows no customer would have. This
//! sampler instead draws a feature's new value conditionally on the rest of the candidate:
//!
//! 1. **Discretise.** Every numeric feature is cut into (at most) `bins` quantile bins of its
//!    training column; every categorical feature uses its categories as bins.
//! 2. **Model the conditional.** `P(b_j = v | b_k, k ≠ j)` is estimated by a naive-Bayes
//!    factorisation over pairwise bin contingency tables, precomputed once:
//!
//!    ```text
//!    P(b_j = v | others) ∝ P(b_j = v) · Π_{k ≠ j} P(b_k = c_k | b_j = v)
//!    P(b_j = v)             = (n_j(v) + α) / (N + α·B_j)
//!    P(b_k = c | b_j = v)   = (n_jk(v, c) + α) / (n_j(v) + α·B_k)
//!    ```
//!
//!    with `N` training rows, `B_j` bins of feature `j`, bin counts `n_j`, pair counts `n_jk`
//!    and additive (Laplace) smoothing `α > 0`, so no probability is 0. Everything is stored
//!    and combined as logarithms; the draw subtracts the largest log-weight before
//!    exponentiating. A bin holding no training row (a category never observed) is never
//!    drawn, since there would be no value to take from it.
//! 3. **Sample.** Each sweep visits the requested features in order; for feature `j` it
//!    draws a bin from the conditional given the candidate's current bins of all other
//!    features, then a training row uniformly among those whose feature `j` lies in that
//!    bin, and takes that row's value. New values are therefore always values of the
//!    training column.
//!
//! The naive-Bayes model is exact for two features and a tractable approximation beyond
//! (it treats the other features as independent given `b_j`, which makes the conditional
//! sharper than the truth when they are correlated).

use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::schema::{FeatureKind, Resampler, Schema, TrainingTable};
use crate::error::{Error, Result};

/// Settings of a [`GibbsResampler`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GibbsOptions {
    /// Quantile bins per numeric feature (at least 1; ties may merge bins).
    pub bins: usize,
    /// Gibbs sweeps over the requested features per [`Resampler::resample`] call (at least 1).
    pub iterations: usize,
    /// Additive (Laplace) smoothing `α` of every count (finite, > 0).
    pub smoothing: f64,
}

impl Default for GibbsOptions {
    /// 5 bins, 5 sweeps, `α = 1`.
    fn default() -> Self {
        Self { bins: 5, iterations: 5, smoothing: 1.0 }
    }
}

impl GibbsOptions {
    /// Fails unless `bins ≥ 1`, `iterations ≥ 1` and `smoothing` is finite and positive.
    pub fn validate(&self) -> Result<()> {
        if self.bins == 0 {
            return Err(Error::invalid("bins", "is 0, expected at least 1"));
        }
        if self.iterations == 0 {
            return Err(Error::invalid("iterations", "is 0, expected at least 1"));
        }
        if !(self.smoothing.is_finite() && self.smoothing > 0.0) {
            return Err(Error::invalid("smoothing", format!("is {}, expected a finite number > 0", self.smoothing)));
        }
        Ok(())
    }
}

/// How one logical feature's values map to bins.
#[derive(Debug, Clone, PartialEq)]
pub enum Binning {
    /// A numeric feature: bin `b` holds the values in `[edges[b − 1], edges[b])`, with
    /// `edges[−1] = −∞` and `edges[len] = +∞`. The edges are strictly increasing training
    /// values above the column's minimum, so every bin holds at least one training value.
    Quantile {
        /// The interior edges (one fewer than the bins).
        edges: Vec<f64>,
    },
    /// A categorical feature: bin `c` is category `c`.
    Categorical {
        /// Number of categories.
        categories: usize,
    },
}

impl Binning {
    /// Number of bins.
    pub fn bins(&self) -> usize {
        match self {
            Self::Quantile { edges } => edges.len() + 1,
            Self::Categorical { categories } => *categories,
        }
    }

    /// The bin of `value`: for a numeric feature, the number of edges `≤ value` (values
    /// outside the training range go to the first or last bin); for a categorical one, the
    /// category index, clamped into range.
    pub fn bin_of(&self, value: f64) -> usize {
        match self {
            Self::Quantile { edges } => edges.partition_point(|&edge| edge <= value),
            Self::Categorical { categories } => (value as usize).min(categories.saturating_sub(1)),
        }
    }

    /// Quantile binning of a training column (non-empty, finite).
    ///
    /// Edge `k` (for `k = 1..bins`) is the sorted column's element at position `⌊k·n/bins⌋`;
    /// repeated edges and edges equal to the minimum are dropped, so heavy ties merge bins.
    /// A column with at most `bins` distinct values gets one bin per distinct value.
    pub fn quantile(column: &[f64], bins: usize) -> Self {
        let mut sorted = column.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut distinct = sorted.clone();
        distinct.dedup();
        let candidates: Vec<f64> = if distinct.len() <= bins {
            distinct
        } else {
            (1..bins).map(|k| sorted[k * sorted.len() / bins]).collect()
        };
        let minimum = sorted.first().copied().unwrap_or(0.0);
        let mut edges: Vec<f64> = candidates.into_iter().filter(|&edge| edge > minimum).collect();
        edges.dedup();
        Self::Quantile { edges }
    }
}

/// Gibbs-sampling [`Resampler`]: draws new values conditionally on the candidate's other
/// features under the naive-Bayes bin model described in the module documentation.
#[derive(Debug, Clone)]
pub struct GibbsResampler {
    binnings: Vec<Binning>,
    /// `members[j][b]`: feature `j`'s training values in bin `b`, one entry per row.
    members: Vec<Vec<Vec<f64>>>,
    /// `log_prior[j][v] = ln P(b_j = v)`.
    log_prior: Vec<Vec<f64>>,
    /// `log_cond[j·F + k][v·B_k + c] = ln P(b_k = c | b_j = v)`; empty when `j == k`.
    log_cond: Vec<Vec<f64>>,
    iterations: usize,
}

impl GibbsResampler {
    /// A sampler with the default [`GibbsOptions`] (5 bins, 5 sweeps, `α = 1`).
    pub fn new(schema: &Schema, table: &TrainingTable) -> Result<Self> {
        Self::with_options(schema, table, GibbsOptions::default())
    }

    /// A sampler for `table` (decoded with `schema`) under `options`; fails if the options are
    /// invalid or the table's feature count differs from the schema's.
    pub fn with_options(schema: &Schema, table: &TrainingTable, options: GibbsOptions) -> Result<Self> {
        options.validate()?;
        if table.features() != schema.len() {
            return Err(Error::length(
                "training features",
                table.features(),
                format!("schema features = {}", schema.len()),
            ));
        }
        let binnings = binnings(schema, table, options.bins);
        let row_bins = row_bins(table, &binnings);
        let members = members(table, &binnings, &row_bins);
        let log_prior = log_priors(&binnings, &members, table.rows(), options.smoothing);
        let log_cond = log_conditionals(&binnings, &members, &row_bins, options.smoothing);
        Ok(Self { binnings, members, log_prior, log_cond, iterations: options.iterations })
    }

    /// Number of logical features.
    pub fn features(&self) -> usize {
        self.binnings.len()
    }

    /// Gibbs sweeps per resample call.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// How `feature` is binned (for a numeric feature, its quantile edges).
    ///
    /// # Panics
    /// If `feature` is not below [`Self::features`].
    pub fn binning(&self, feature: usize) -> &Binning {
        &self.binnings[feature]
    }

    /// The interior quantile edges of numeric `feature` (empty for a categorical one).
    ///
    /// # Panics
    /// If `feature` is not below [`Self::features`].
    pub fn edges(&self, feature: usize) -> &[f64] {
        match &self.binnings[feature] {
            Binning::Quantile { edges } => edges,
            Binning::Categorical { .. } => &[],
        }
    }

    /// The bin `value` falls in for `feature` (see [`Binning::bin_of`]).
    ///
    /// # Panics
    /// If `feature` is not below [`Self::features`].
    pub fn bin_of(&self, feature: usize, value: f64) -> usize {
        self.binnings[feature].bin_of(value)
    }

    /// `ln P(b_j = v | others)` up to a common constant, for every bin `v` of `feature`,
    /// given the current bins of all features (`bins[feature]` itself is ignored). Bins with
    /// no training row get `−∞`.
    fn conditional_log_weights(&self, feature: usize, bins: &[usize], out: &mut Vec<f64>) {
        let features = self.features();
        out.clear();
        for v in 0..self.binnings[feature].bins() {
            if self.members[feature][v].is_empty() {
                out.push(f64::NEG_INFINITY);
                continue;
            }
            let mut weight = self.log_prior[feature][v];
            for (k, &c) in bins.iter().enumerate().filter(|&(k, _)| k != feature) {
                weight += self.log_cond[feature * features + k][v * self.binnings[k].bins() + c];
            }
            out.push(weight);
        }
    }

    /// One Gibbs step: redraws `feature`'s bin and value, updating `bins`.
    fn step(
        &self,
        candidate: &mut [f64],
        bins: &mut [usize],
        feature: usize,
        weights: &mut Vec<f64>,
        rng: &mut ChaCha20Rng,
    ) {
        self.conditional_log_weights(feature, bins, weights);
        let bin = draw_log_weighted(weights, rng);
        let pool = &self.members[feature][bin];
        candidate[feature] = pool[rng.random_range(0..pool.len())];
        bins[feature] = bin;
    }
}

impl Resampler for GibbsResampler {
    /// Runs [`GibbsResampler::iterations`] sweeps over `features` (in the given order each
    /// sweep), each conditioning on the candidate's current values of all other features.
    ///
    /// # Panics
    /// If `candidate` is shorter than the feature count or a feature index is out of range.
    fn resample(&self, candidate: &mut [f64], features: &[usize], rng: &mut ChaCha20Rng) {
        if features.is_empty() {
            return;
        }
        let mut bins: Vec<usize> = self.binnings.iter().zip(candidate.iter()).map(|(b, &v)| b.bin_of(v)).collect();
        let mut weights = Vec::new();
        for _ in 0..self.iterations {
            for &feature in features {
                self.step(candidate, &mut bins, feature, &mut weights, rng);
            }
        }
    }
}

/// Draws index `i` with probability `∝ exp(log_weights[i])` (at least one must be finite).
fn draw_log_weighted(log_weights: &[f64], rng: &mut ChaCha20Rng) -> usize {
    let max = log_weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = log_weights.iter().map(|&w| (w - max).exp()).sum();
    let mut u = rng.random::<f64>() * total;
    let mut last = 0;
    for (i, &w) in log_weights.iter().enumerate() {
        if w == f64::NEG_INFINITY {
            continue;
        }
        let p = (w - max).exp();
        if u < p {
            return i;
        }
        u -= p;
        last = i;
    }
    last
}

/// Each feature's binning: categories for categorical features, quantiles otherwise.
fn binnings(schema: &Schema, table: &TrainingTable, bins: usize) -> Vec<Binning> {
    schema
        .features()
        .iter()
        .enumerate()
        .map(|(j, feature)| match &feature.kind {
            FeatureKind::Categorical { columns } => Binning::Categorical { categories: columns.len() },
            FeatureKind::Coded { codes, .. } => Binning::Categorical { categories: codes.len() },
            FeatureKind::Numeric { .. } => {
                let column: Vec<f64> = (0..table.rows()).map(|i| table.value(i, j)).collect();
                Binning::quantile(&column, bins)
            }
        })
        .collect()
}

/// Every training row's bins, row-major (`rows × features`).
fn row_bins(table: &TrainingTable, binnings: &[Binning]) -> Vec<usize> {
    (0..table.rows()).flat_map(|i| binnings.iter().enumerate().map(move |(j, b)| b.bin_of(table.value(i, j)))).collect()
}

/// `members[j][b]`: feature `j`'s training values whose bin is `b`, one per row.
fn members(table: &TrainingTable, binnings: &[Binning], row_bins: &[usize]) -> Vec<Vec<Vec<f64>>> {
    let features = binnings.len();
    let mut members: Vec<Vec<Vec<f64>>> = binnings.iter().map(|b| vec![Vec::new(); b.bins()]).collect();
    for (i, bins) in row_bins.chunks_exact(features).enumerate() {
        for (j, &bin) in bins.iter().enumerate() {
            members[j][bin].push(table.value(i, j));
        }
    }
    members
}

/// `ln P(b_j = v) = ln((n_j(v) + α) / (N + α·B_j))`.
fn log_priors(binnings: &[Binning], members: &[Vec<Vec<f64>>], rows: usize, alpha: f64) -> Vec<Vec<f64>> {
    binnings
        .iter()
        .zip(members)
        .map(|(binning, pools)| {
            let denominator = rows as f64 + alpha * binning.bins() as f64;
            pools.iter().map(|pool| ((pool.len() as f64 + alpha) / denominator).ln()).collect()
        })
        .collect()
}

/// `ln P(b_k = c | b_j = v) = ln((n_jk(v, c) + α) / (n_j(v) + α·B_k))` for every ordered pair
/// `j ≠ k`, indexed `[j·F + k][v·B_k + c]`.
fn log_conditionals(binnings: &[Binning], members: &[Vec<Vec<f64>>], row_bins: &[usize], alpha: f64) -> Vec<Vec<f64>> {
    let features = binnings.len();
    let mut counts: Vec<Vec<f64>> = (0..features * features)
        .map(|jk| {
            if jk / features == jk % features {
                Vec::new()
            } else {
                vec![0.0; binnings[jk / features].bins() * binnings[jk % features].bins()]
            }
        })
        .collect();
    for bins in row_bins.chunks_exact(features) {
        for (j, &v) in bins.iter().enumerate() {
            for (k, &c) in bins.iter().enumerate().filter(|&(k, _)| k != j) {
                counts[j * features + k][v * binnings[k].bins() + c] += 1.0;
            }
        }
    }
    for (jk, table) in counts.iter_mut().enumerate() {
        let (j, k) = (jk / features, jk % features);
        let bins_k = binnings[k].bins();
        for (index, cell) in table.iter_mut().enumerate() {
            let n_j = members[j][index / bins_k].len() as f64;
            *cell = ((*cell + alpha) / (n_j + alpha * bins_k as f64)).ln();
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::super::schema::{ColumnResampler, Feature};
    use super::*;

    fn rng(seed: u64) -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(seed)
    }

    /// A numeric table of `columns` logical features from row-major `values`.
    fn numeric_table(columns: usize, values: &[f64]) -> (Schema, TrainingTable) {
        let schema = Schema::numeric(columns);
        let table = TrainingTable::new(&schema, values).expect("valid training rows");
        (schema, table)
    }

    /// Two perfectly dependent features: feature 1 == feature 0 == i for row i.
    fn dependent_table(rows: usize) -> (Schema, TrainingTable) {
        let values: Vec<f64> = (0..rows).flat_map(|i| [i as f64, i as f64]).collect();
        numeric_table(2, &values)
    }

    /// Feature 0 numeric (column 0), feature 1 categorical over columns 1..4 (3 categories).
    fn mixed_table() -> (Schema, TrainingTable) {
        let schema = Schema::new(
            vec![
                Feature { name: "amount".into(), kind: FeatureKind::Numeric { column: 0 } },
                Feature { name: "purpose".into(), kind: FeatureKind::Categorical { columns: vec![1, 2, 3] } },
            ],
            4,
        )
        .expect("valid schema");
        let mut rows = Vec::new();
        for i in 0..60 {
            let category = i % 3;
            let mut row = [i as f64 * 10.0, 0.0, 0.0, 0.0];
            row[1 + category] = 1.0;
            rows.extend(row);
        }
        let table = TrainingTable::new(&schema, &rows).expect("valid training rows");
        (schema, table)
    }

    #[test]
    fn quantile_edges_of_a_known_column() {
        let column: Vec<f64> = (0..10).map(|v| v as f64).collect();
        let binning = Binning::quantile(&column, 5);
        assert_eq!(binning, Binning::Quantile { edges: vec![2.0, 4.0, 6.0, 8.0] });
        let bins: Vec<usize> = column.iter().map(|&v| binning.bin_of(v)).collect();
        assert_eq!(bins, vec![0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        assert_eq!(binning.bin_of(-100.0), 0);
        assert_eq!(binning.bin_of(100.0), 4);
    }

    #[test]
    fn ties_merge_bins_and_few_distinct_values_get_one_bin_each() {
        let tied = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(Binning::quantile(&tied, 5), Binning::Quantile { edges: vec![2.0, 4.0] });
        let few = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0];
        let binning = Binning::quantile(&few, 5);
        assert_eq!(binning, Binning::Quantile { edges: vec![1.0, 2.0] });
        assert_eq!([0.0, 1.0, 2.0].map(|v| binning.bin_of(v)), [0, 1, 2]);
        assert_eq!(Binning::quantile(&[7.0, 7.0], 5).bins(), 1);
    }

    #[test]
    fn resampler_exposes_edges_and_bins() {
        let (schema, table) = dependent_table(10);
        let sampler = GibbsResampler::new(&schema, &table).expect("valid sampler");
        assert_eq!(sampler.edges(0), &[2.0, 4.0, 6.0, 8.0]);
        assert_eq!(sampler.bin_of(1, 5.0), 2);
        assert_eq!(sampler.binning(1).bins(), 5);
        assert_eq!(sampler.iterations(), 5);
    }

    #[test]
    fn values_always_come_from_the_training_column() {
        let values: Vec<f64> =
            (0..200).flat_map(|i| [(i * 7 % 31) as f64 + 0.5, (i % 13) as f64 * 2.25, i as f64]).collect();
        let (schema, table) = numeric_table(3, &values);
        let sampler = GibbsResampler::new(&schema, &table).expect("valid sampler");
        let mut r = rng(3);
        for draw in 0..300 {
            let mut candidate = vec![-1000.0, 1e6, 0.1];
            let features: &[usize] = if draw % 2 == 0 { &[0, 1, 2] } else { &[2, 0] };
            sampler.resample(&mut candidate, features, &mut r);
            for &f in features {
                assert!((0..table.rows()).any(|i| table.value(i, f) == candidate[f]), "feature {f}: {}", candidate[f]);
            }
            if draw % 2 == 1 {
                assert_eq!(candidate[1], 1e6, "an unrequested feature stays as it was");
            }
        }
    }

    #[test]
    fn dependent_feature_follows_its_partner_unlike_the_column_sampler() {
        let (schema, table) = dependent_table(500);
        let sampler = GibbsResampler::new(&schema, &table).expect("valid sampler");
        let column = ColumnResampler { table: &table };
        let mut r = rng(7);
        let (mut gibbs_hits, mut column_hits) = (0, 0);
        for draw in 0..1000 {
            let x0 = ((draw * 37) % 500) as f64;
            let mut candidate = vec![x0, 0.0];
            sampler.resample(&mut candidate, &[1], &mut r);
            gibbs_hits += usize::from(sampler.bin_of(1, candidate[1]) == sampler.bin_of(0, x0));
            let mut candidate = vec![x0, 0.0];
            column.resample(&mut candidate, &[1], &mut r);
            column_hits += usize::from(sampler.bin_of(1, candidate[1]) == sampler.bin_of(0, x0));
        }
        assert!(gibbs_hits > 900, "Gibbs matched feature 0's bin {gibbs_hits}/1000 times");
        assert!(column_hits < 500, "column sampler matched {column_hits}/1000 times");
    }

    #[test]
    fn categorical_features_stay_valid_categories() {
        let (schema, table) = mixed_table();
        let sampler = GibbsResampler::new(&schema, &table).expect("valid sampler");
        assert_eq!(sampler.binning(1), &Binning::Categorical { categories: 3 });
        assert!(sampler.edges(1).is_empty());
        let mut r = rng(11);
        let mut seen = [false; 3];
        for _ in 0..300 {
            let mut candidate = vec![250.0, 2.0];
            sampler.resample(&mut candidate, &[1, 0], &mut r);
            let category = candidate[1];
            assert!([0.0, 1.0, 2.0].contains(&category), "category {category}");
            seen[category as usize] = true;
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    fn unobserved_categories_are_never_drawn() {
        let schema = Schema::new(
            vec![
                Feature { name: "x".into(), kind: FeatureKind::Numeric { column: 0 } },
                Feature { name: "c".into(), kind: FeatureKind::Categorical { columns: vec![1, 2, 3] } },
            ],
            4,
        )
        .expect("valid schema");
        let rows: Vec<f64> = (0..20).flat_map(|i| [i as f64, 1.0 - (i % 2) as f64, (i % 2) as f64, 0.0]).collect();
        let table = TrainingTable::new(&schema, &rows).expect("valid training rows");
        let sampler = GibbsResampler::new(&schema, &table).expect("valid sampler");
        let mut r = rng(5);
        for _ in 0..300 {
            let mut candidate = vec![3.0, 2.0];
            sampler.resample(&mut candidate, &[1], &mut r);
            assert!(candidate[1] == 0.0 || candidate[1] == 1.0, "category {}", candidate[1]);
        }
    }

    #[test]
    fn deterministic_for_a_seed() {
        let (schema, table) = mixed_table();
        let sampler = GibbsResampler::new(&schema, &table).expect("valid sampler");
        let run = |seed| {
            let mut r = rng(seed);
            (0..50)
                .map(|_| {
                    let mut candidate = vec![100.0, 0.0];
                    sampler.resample(&mut candidate, &[0, 1], &mut r);
                    candidate
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }

    #[test]
    fn invalid_options_and_mismatched_tables_are_rejected() {
        let (schema, table) = dependent_table(10);
        for options in [
            GibbsOptions { bins: 0, ..GibbsOptions::default() },
            GibbsOptions { iterations: 0, ..GibbsOptions::default() },
            GibbsOptions { smoothing: 0.0, ..GibbsOptions::default() },
            GibbsOptions { smoothing: f64::NAN, ..GibbsOptions::default() },
        ] {
            let error = GibbsResampler::with_options(&schema, &table, options).expect_err("invalid options");
            assert_eq!(error.kind(), crate::error::ErrorKind::InvalidArgument);
        }
        let error = GibbsResampler::new(&Schema::numeric(3), &table).expect_err("feature count mismatch");
        assert_eq!(error.kind(), crate::error::ErrorKind::LengthMismatch);
    }

    #[test]
    fn draw_follows_the_log_weights() {
        let mut r = rng(1);
        let weights = [f64::NEG_INFINITY, 0.0, 3.0_f64.ln(), f64::NEG_INFINITY];
        let mut counts = [0usize; 4];
        for _ in 0..4000 {
            counts[draw_log_weighted(&weights, &mut r)] += 1;
        }
        assert_eq!((counts[0], counts[3]), (0, 0));
        assert!((2800..3200).contains(&counts[2]), "counts {counts:?}");
    }
}
