//! Quality figures of a binary classifier whose output is the probability of class 1.

use std::cmp::Ordering;

/// How well a model does on rows it was not trained on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldoutMetrics {
    /// Number of hold-out rows.
    pub rows: usize,
    /// Share of rows whose predicted class (probability ≥ 0.5 → class 1) is the label.
    pub accuracy: f64,
    /// Area under the ROC curve of the probabilities against the labels.
    pub auc: f64,
}

/// Share of rows where `probabilities[i] >= 0.5` agrees with `labels[i] == 1.0`; NaN
/// when there are no rows.
pub fn accuracy(probabilities: &[f32], labels: &[f32]) -> f64 {
    let correct = probabilities.iter().zip(labels).filter(|(&p, &label)| (p >= 0.5) == (label == 1.0)).count();
    correct as f64 / labels.len() as f64
}

/// Area under the ROC curve: the probability that a random row labelled 1.0 scores higher
/// than a random row labelled otherwise, ties counting one half (the Mann–Whitney
/// statistic with average ranks). `None` when one of the classes is absent.
pub fn roc_auc(scores: &[f32], labels: &[f32]) -> Option<f64> {
    let positives = labels.iter().filter(|&&label| label == 1.0).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].partial_cmp(&scores[b]).unwrap_or(Ordering::Equal));
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let end = start + order[start..].iter().take_while(|&&i| scores[i] == scores[order[start]]).count();
        let average_rank = (start + 1 + end) as f64 / 2.0;
        let tied_positives = order[start..end].iter().filter(|&&i| labels[i] == 1.0).count();
        positive_rank_sum += average_rank * tied_positives as f64;
        start = end;
    }
    let positives = positives as f64;
    Some((positive_rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_counts_agreements() {
        assert_eq!(accuracy(&[0.9, 0.2, 0.6, 0.4], &[1.0, 0.0, 0.0, 0.0]), 0.75);
    }

    #[test]
    fn auc_of_perfect_reversed_and_tied_scores() {
        let labels = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &labels), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &labels), Some(0.0));
        assert_eq!(roc_auc(&[0.5; 4], &labels), Some(0.5));
        assert_eq!(roc_auc(&[0.1, 0.5, 0.5, 0.9], &labels), Some(0.875));
        assert_eq!(roc_auc(&[0.1, 0.2], &[1.0, 1.0]), None);
    }
}
