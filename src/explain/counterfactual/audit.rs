//! Dataset audit: statistics of counterfactual searches over many instances (how often a
//! counterfactual exists, how many features it needs, and which features change, alone and
//! together), as in PermuteAttack's audit of a scorecard over a whole data set.

use serde::Serialize;

use crate::error::{Error, Result};

/// The result of one instance's counterfactual search, as the audit needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceOutcome {
    /// Whether a counterfactual that flips the model was found.
    pub success: bool,
    /// The logical features its best counterfactual changes (a set: repeats count once).
    pub changed: Vec<usize>,
}

/// Audit statistics. Everything except `instances`, `successes` and `success_rate` is
/// computed over the successful instances only; a failed instance's `changed` is checked
/// for range but otherwise ignored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetAudit {
    /// Number of audited instances.
    pub instances: usize,
    /// Instances with a successful counterfactual.
    pub successes: usize,
    /// `successes / instances` (0 when there are no instances).
    pub success_rate: f64,
    /// Number of logical features.
    pub features: usize,
    /// `changed_histogram[m]`: successes whose counterfactual changes exactly `m` features
    /// (length `features + 1`).
    pub changed_histogram: Vec<usize>,
    /// Mean number of changed features over successes (0 when there are none).
    pub mean_changed: f64,
    /// `change_counts[f]`: successes whose counterfactual changes feature `f`.
    pub change_counts: Vec<usize>,
    /// Row-major `features × features` counts of successes changing both `f` and `g`;
    /// symmetric, with `change_counts` on the diagonal.
    pub co_occurrence: Vec<usize>,
}

impl DatasetAudit {
    /// Successes whose counterfactual changes both `f` and `g` (`f == g`: changes `f`).
    ///
    /// # Panics
    /// If `f` or `g` is not below `features`.
    pub fn co_occurrence(&self, f: usize, g: usize) -> usize {
        assert!(f < self.features && g < self.features, "features ({f}, {g}) out of range {}", self.features);
        self.co_occurrence[f * self.features + g]
    }
}

/// Audits `outcomes` over `features` logical features; fails if `features` is 0 or an
/// outcome names a feature index `≥ features`.
pub fn audit(outcomes: &[InstanceOutcome], features: usize) -> Result<DatasetAudit> {
    if features == 0 {
        return Err(Error::invalid("features", "is 0, expected at least 1"));
    }
    let mut audit = DatasetAudit {
        instances: outcomes.len(),
        successes: 0,
        success_rate: 0.0,
        features,
        changed_histogram: vec![0; features + 1],
        mean_changed: 0.0,
        change_counts: vec![0; features],
        co_occurrence: vec![0; features * features],
    };
    let mut total_changed = 0usize;
    for (i, outcome) in outcomes.iter().enumerate() {
        let changed = changed_set(outcome, i, features)?;
        if outcome.success {
            total_changed += changed.len();
            record(&mut audit, &changed);
        }
    }
    if audit.instances > 0 {
        audit.success_rate = audit.successes as f64 / audit.instances as f64;
    }
    if audit.successes > 0 {
        audit.mean_changed = total_changed as f64 / audit.successes as f64;
    }
    Ok(audit)
}

/// Outcome `index`'s changed features, sorted and deduplicated; fails on one out of range.
fn changed_set(outcome: &InstanceOutcome, index: usize, features: usize) -> Result<Vec<usize>> {
    if let Some(&bad) = outcome.changed.iter().find(|&&f| f >= features) {
        return Err(Error::invalid(
            &format!("outcomes[{index}].changed"),
            format!("names feature {bad}, expected < features = {features}"),
        ));
    }
    let mut changed = outcome.changed.clone();
    changed.sort_unstable();
    changed.dedup();
    Ok(changed)
}

/// Adds one successful counterfactual changing the (deduplicated, in-range) `changed` set.
fn record(audit: &mut DatasetAudit, changed: &[usize]) {
    let features = audit.features;
    audit.successes += 1;
    audit.changed_histogram[changed.len()] += 1;
    for &f in changed {
        audit.change_counts[f] += 1;
        for &g in changed {
            audit.co_occurrence[f * features + g] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn outcome(success: bool, changed: &[usize]) -> InstanceOutcome {
        InstanceOutcome { success, changed: changed.to_vec() }
    }

    #[test]
    fn hand_made_outcomes() {
        let outcomes = [
            outcome(true, &[0, 2]),
            outcome(true, &[2]),
            outcome(false, &[1]),
            outcome(true, &[0, 1, 2]),
            outcome(false, &[]),
        ];
        let audit = audit(&outcomes, 3).expect("valid outcomes");
        assert_eq!((audit.instances, audit.successes, audit.features), (5, 3, 3));
        assert!((audit.success_rate - 0.6).abs() < 1e-12);
        assert_eq!(audit.changed_histogram, vec![0, 1, 1, 1]);
        assert!((audit.mean_changed - 2.0).abs() < 1e-12);
        assert_eq!(audit.change_counts, vec![2, 1, 3]);
        #[rustfmt::skip]
        let expected = vec![
            2, 1, 2,
            1, 1, 1,
            2, 1, 3,
        ];
        assert_eq!(audit.co_occurrence, expected);
        assert_eq!(audit.co_occurrence(2, 0), 2);
        assert_eq!(audit.co_occurrence(1, 1), audit.change_counts[1]);
    }

    #[test]
    fn co_occurrence_is_symmetric_with_counts_on_the_diagonal() {
        let outcomes: Vec<InstanceOutcome> =
            (0..40).map(|i| outcome(i % 5 != 0, &[i % 4, (i * 3) % 4, (i / 7) % 4])).collect();
        let audit = audit(&outcomes, 4).expect("valid outcomes");
        for f in 0..4 {
            assert_eq!(audit.co_occurrence(f, f), audit.change_counts[f]);
            for g in 0..4 {
                assert_eq!(audit.co_occurrence(f, g), audit.co_occurrence(g, f));
            }
        }
        assert_eq!(audit.changed_histogram.iter().sum::<usize>(), audit.successes);
    }

    #[test]
    fn repeated_features_count_once() {
        let audit = audit(&[outcome(true, &[1, 1, 1])], 2).expect("valid outcomes");
        assert_eq!(audit.changed_histogram, vec![0, 1, 0]);
        assert_eq!(audit.change_counts, vec![0, 1]);
        assert_eq!(audit.co_occurrence, vec![0, 0, 0, 1]);
    }

    #[test]
    fn empty_and_all_failed_audits_have_zero_rates() {
        let empty = audit(&[], 2).expect("no outcomes is valid");
        assert_eq!((empty.instances, empty.success_rate, empty.mean_changed), (0, 0.0, 0.0));
        let failed = audit(&[outcome(false, &[0]), outcome(false, &[])], 2).expect("valid outcomes");
        assert_eq!((failed.successes, failed.success_rate, failed.mean_changed), (0, 0.0, 0.0));
        assert_eq!(failed.change_counts, vec![0, 0]);
    }

    #[test]
    fn out_of_range_features_fail() {
        let error = audit(&[outcome(true, &[0]), outcome(false, &[3])], 3).expect_err("feature 3 of 3");
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(error.message().contains("outcomes[1]"), "{}", error.message());
        assert!(audit(&[], 0).is_err());
    }

    #[test]
    fn serialises_to_json() {
        let audit = audit(&[outcome(true, &[0])], 1).expect("valid outcomes");
        let json = serde_json::to_value(&audit).expect("serialisable");
        assert_eq!(json["successes"], 1);
        assert_eq!(json["co_occurrence"], serde_json::json!([1]));
    }
}
