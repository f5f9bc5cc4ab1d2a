//! Reason codes for adverse-action notices: the players that moved a score most in one
//! direction, strongest first.

use serde::Serialize;

use super::Explanation;
use crate::error::{Error, Result};

/// Which contributions a reason code reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Players with negative contributions (they lowered the output), most negative first.
    Lowered,
    /// Players with positive contributions (they raised the output), most positive first.
    Raised,
}

/// One reason: a player (feature or group), its name and its contribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCode {
    /// Index along the explanation's feature axis.
    pub feature: usize,
    /// The feature's name, or `feature N` when unnamed.
    pub name: String,
    /// Its attribution (negative for `Lowered`, positive for `Raised`).
    pub contribution: f64,
}

impl Explanation {
    /// Up to `k` players of row `row` and explained output `output` (an index into
    /// [`Explanation::outputs`]) that moved the output in `direction`, strongest first;
    /// ties go to the lower feature index. Players with a zero contribution never appear.
    pub fn reason_codes(&self, row: usize, output: usize, k: usize, direction: Direction) -> Result<Vec<ReasonCode>> {
        if row >= self.rows {
            return Err(Error::invalid("row", format!("is {row}, expected < {}", self.rows)));
        }
        if output >= self.outputs_per_row() {
            return Err(Error::invalid("output", format!("is {output}, expected < {}", self.outputs_per_row())));
        }
        let values = self.row_attributions(row, output);
        let sign = match direction {
            Direction::Lowered => -1.0f64,
            Direction::Raised => 1.0,
        };
        let mut chosen: Vec<usize> = (0..values.len()).filter(|&f| values[f] * sign > 0.0).collect();
        chosen.sort_by(|&a, &b| (values[b] * sign).total_cmp(&(values[a] * sign)).then(a.cmp(&b)));
        Ok(chosen
            .into_iter()
            .take(k)
            .map(|feature| ReasonCode { feature, name: self.feature_name(feature), contribution: values[feature] })
            .collect())
    }
}
