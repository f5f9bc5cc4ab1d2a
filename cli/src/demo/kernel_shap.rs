//! The demo's KernelSHAP: the 20 attributes (their one-hot columns grouped) as players,
//! the first training applicants as background, and reason codes for declined applicants.

use lumen::explain::shapley::{kernel_shap, Background, KernelShapParams, ShapleyGame};
use lumen::explanation::Direction;
use lumen::{Engine, Explanation, Model};
use lumen_models::german_credit::{attribute_names, TRAINING_ROWS};

use super::{Applicants, APPROVAL_CUTOFF};
use crate::error::CliResult;

/// KernelSHAP of every applicant with `background` training applicants as background.
pub fn explain(
    engine: &Engine,
    model: &dyn Model,
    applicants: &Applicants<'_>,
    background: usize,
    budget: Option<usize>,
) -> CliResult<Explanation> {
    let data = applicants.data;
    let rows = TRAINING_ROWS.start..TRAINING_ROWS.start + background.min(TRAINING_ROWS.len());
    let background = Background::new(data.encoded_range(rows).to_vec(), data.encoded_len(), None)?;
    let mut game = ShapleyGame::new(background);
    game.players = Some(data.feature_mask().to_vec());
    game.player_names = Some(attribute_names().iter().map(|name| name.to_string()).collect());
    let mut params = KernelShapParams::new(game);
    params.budget = budget;
    Ok(kernel_shap(engine, model, applicants.inputs(), applicants.rows.len(), &params)?)
}

/// Prints applicant `i`'s waterfall (base value, the `top` largest contributions, the
/// rest, the score) and, when the score is below the approval cutoff, the reason codes.
pub fn print(applicants: &Applicants<'_>, explanation: &Explanation, i: usize, top: usize) -> CliResult {
    let values = explanation.row_attributions(i, 0);
    // Standard errors are unavailable (None) when too few coalitions were sampled.
    let errors = explanation.standard_errors.as_deref().map(|all| &all[i * values.len()..(i + 1) * values.len()]);
    let (base, score) = (explanation.base_values[i], explanation.predictions[i]);
    println!(
        "  KernelSHAP ({} coalitions of the 20 attributes, {} model rows; ± one standard error):",
        explanation.parameters["budget"], explanation.diagnostics[i].model_rows_evaluated
    );
    println!("    {:>7.3}  base value (average over the background applicants)", base);
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()).then(a.cmp(&b)));
    for &g in order.iter().take(top) {
        let error = errors.map_or_else(|| "± n/a   ".to_owned(), |e| format!("± {:.4}", e[g]));
        println!("    {:>+7.3}  {error}  {} = {}", values[g], explanation.feature_name(g), applicants.value(i, g));
    }
    let rest: f64 = order.iter().skip(top).map(|&g| values[g]).sum();
    println!("    {:>+7.3}  the other {} attributes", rest, values.len().saturating_sub(top));
    println!("    {:>7.3}  score", score);
    if score < APPROVAL_CUTOFF {
        let codes = explanation.reason_codes(i, 0, top, Direction::Lowered)?;
        println!("    DECLINED. Reason codes (what lowered the score most):");
        for (rank, code) in codes.iter().enumerate() {
            println!(
                "      {}. {} ({}): {:+.3}",
                rank + 1,
                code.name,
                applicants.value(i, code.feature),
                code.contribution
            );
        }
    } else {
        println!("    APPROVED.");
    }
    Ok(())
}
