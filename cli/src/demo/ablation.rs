//! The demo's Feature Ablation: each of the 20 attributes set to the average training
//! applicant in turn.

use lumen::backend::Baselines;
use lumen::{feature_ablation, Engine, Explanation, FeatureAblationParams, Model};
use lumen_models::german_credit::attribute_names;

use super::Applicants;
use crate::error::CliResult;

/// Feature Ablation of every applicant over the 20 attribute groups.
pub fn explain(engine: &Engine, model: &dyn Model, applicants: &Applicants<'_>) -> CliResult<Explanation> {
    let params = FeatureAblationParams {
        feature_mask: Some(applicants.data.feature_mask().to_vec()),
        group_names: Some(attribute_names().iter().map(|name| name.to_string()).collect()),
        baseline: Baselines::Shared(applicants.data.baseline_row().to_vec()),
        group_attributions: true,
        ..Default::default()
    };
    Ok(feature_ablation(engine, model, applicants.inputs(), applicants.rows.len(), &params)?)
}

/// Prints applicant `i`'s strongest attributes on each side.
pub fn print(applicants: &Applicants<'_>, explanation: &Explanation, i: usize, top: usize) {
    let attributions = explanation.row_attributions(i, 0);
    let gap = explanation.diagnostics[i].completeness_gap.as_ref().map_or(0.0, |g| g[0]);
    println!(
        "  Feature Ablation (each attribute set to the average applicant, whose score is {:.3}):",
        explanation.base_values[i]
    );
    let mut order: Vec<usize> = (0..attributions.len()).collect();
    order.sort_by(|&a, &b| attributions[b].total_cmp(&attributions[a]).then(a.cmp(&b)));
    let describe =
        |g: usize| format!("{:+.3}  {} = {}", attributions[g], explanation.feature_name(g), applicants.value(i, g));
    let raised: Vec<_> = order.iter().filter(|&&g| attributions[g] > 0.0).take(top).map(|&g| describe(g)).collect();
    let lowered: Vec<_> =
        order.iter().rev().filter(|&&g| attributions[g] < 0.0).take(top).map(|&g| describe(g)).collect();
    println!("    raised the score:  {}", raised.join(" | "));
    println!("    lowered the score: {}", lowered.join(" | "));
    println!("    interaction gap (Σ attributions − difference from average): {gap:+.3}");
}
