//! Scoring generated histories with the GRU and measuring how well the scores separate
//! takeovers from legitimate activity.

use rayon::prelude::*;

use super::features::FEATURES;
use super::generator::AccountHistory;
use super::gru::FraudGru;
use crate::german_credit::metrics::{accuracy, roc_auc, HoldoutMetrics};

/// The model's score of every history (each scored alone, whatever its length).
///
/// # Errors
/// When a history is empty.
pub fn score_histories(model: &FraudGru, histories: &[AccountHistory]) -> lumen::Result<Vec<f32>> {
    histories
        .par_iter()
        .map(|history| {
            let mut score = [0.0];
            model.predict(&history.encoded(), 1, history.len(), &mut score)?;
            Ok(score[0])
        })
        .collect()
}

/// Accuracy (threshold 0.5) and ROC AUC of the model on `histories`, labelled by
/// [`AccountHistory::is_fraud`]. The AUC is NaN when only one class is present.
///
/// # Errors
/// When a history is empty.
pub fn measure(model: &FraudGru, histories: &[AccountHistory]) -> lumen::Result<HoldoutMetrics> {
    let scores = score_histories(model, histories)?;
    let labels: Vec<f32> = histories.iter().map(|h| if h.is_fraud() { 1.0 } else { 0.0 }).collect();
    Ok(HoldoutMetrics {
        rows: histories.len(),
        accuracy: accuracy(&scores, &labels),
        auc: roc_auc(&scores, &labels).unwrap_or(f64::NAN),
    })
}

/// The encoded events of `histories`, which must all have the same length, as one
/// `rows × seq_len × F` batch; `None` when the lengths differ.
pub fn batch_of(histories: &[AccountHistory]) -> Option<Vec<f32>> {
    let seq_len = histories.first().map_or(0, AccountHistory::len);
    if histories.iter().any(|h| h.len() != seq_len) {
        return None;
    }
    let mut out = Vec::with_capacity(histories.len() * seq_len * FEATURES);
    for history in histories {
        out.extend(history.encoded());
    }
    Some(out)
}
