//! Post-hoc grouping: per-feature attributions summed into groups (e.g. the one-hot
//! columns of one categorical attribute), after the explanation was computed.

use super::{Explanation, FeatureAxis, Values};
use crate::backend::GroupMap;
use crate::error::{Error, Result};

impl Explanation {
    /// A new explanation whose feature axis is the groups of `groups` (`groups[f]` is the
    /// group of feature `f`, ids `0..G` all used), each value the sum of its features'
    /// values. Sums preserve local accuracy, so the diagnostics carry over. Standard errors
    /// are dropped: the error of a sum needs the covariances of its terms, which the
    /// estimators do not report.
    pub fn sum_into_groups(&self, groups: &[u32], names: Option<Vec<String>>) -> Result<Explanation> {
        if groups.len() != self.features {
            return Err(Error::length("groups", groups.len(), format!("{} (one per feature)", self.features)));
        }
        let count = GroupMap::new(groups, "groups")?.len();
        if let Some(names) = &names {
            if names.len() != count {
                return Err(Error::length("group_names", names.len(), format!("{count} (one per group)")));
            }
        }
        let mut attributions = vec![0.0f64; self.rows * self.outputs_per_row() * count];
        for (values, sums) in self.attributions.chunks_exact(self.features).zip(attributions.chunks_exact_mut(count)) {
            let mut wide = vec![0.0f64; count];
            for (&value, &group) in values.iter().zip(groups) {
                wide[group as usize] += value;
            }
            sums.copy_from_slice(&wide);
        }
        let mut parameters = self.parameters.clone();
        parameters["post_hoc_groups"] = serde_json::json!(groups);
        Ok(Explanation {
            parameters,
            feature_axis: FeatureAxis::Groups,
            features: count,
            feature_shape: vec![count],
            feature_names: names,
            attributions: Values::rounded_to(self.audit.element_type, attributions),
            standard_errors: None,
            ..self.clone()
        })
    }
}
