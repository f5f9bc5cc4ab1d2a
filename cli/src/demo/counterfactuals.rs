//! The demo's PermuteAttack: for a declined applicant, three counterfactuals that would be
//! approved, as a table beside the original (with credit scores) and one sentence each.
//! Age, personal status and sex, and foreign-worker status are immutable: a bank cannot
//! ask an applicant to change them.

use lumen::explain::counterfactual::scorecard::Scorecard;
use lumen::explain::counterfactual::{permute_attack, PermuteAttackParams, TargetClass};
use lumen::explanation::Counterfactuals;
use lumen::{Engine, Model};
use lumen_models::german_credit::{GermanCredit, SENSITIVE_ATTRIBUTES, TRAINING_ROWS};

use super::APPROVAL_CUTOFF;
use crate::error::{CliError, CliResult};
use crate::explain::counterfactual_context;
use crate::model::LoadedModel;
use crate::report::record::CounterfactualContext;

/// Searches counterfactuals of data row `row`: the MLP's single output is P(good), so
/// class 1 is "good" and success means reaching the approval cutoff.
pub fn explain(engine: &Engine, model: &dyn Model, data: &GermanCredit, row: usize) -> CliResult<Counterfactuals> {
    let schema = data.counterfactual_schema()?;
    let mut params = PermuteAttackParams::new(schema, data.encoded_range(TRAINING_ROWS).to_vec());
    params.target = TargetClass::Class(1);
    params.success_probability = Some(APPROVAL_CUTOFF);
    params.immutable = SENSITIVE_ATTRIBUTES.to_vec();
    Ok(permute_attack(engine, model, data.encoded_range(row..row + 1), 1, &params)?)
}

fn credit_score(p_good: f64) -> String {
    Scorecard::default().score(p_good).map_or_else(|_| "-".to_owned(), |s| format!("{s:.0}"))
}

/// Prints the table and the sentences.
pub fn print(data: &GermanCredit, row: usize, result: &Counterfactuals) -> CliResult {
    let instance = &result.instances[0];
    let original = data
        .describe_encoded(data.encoded_range(row..row + 1))
        .ok_or_else(|| CliError::input("applicant row does not decode"))?;
    let counterfactuals: Vec<Vec<(&str, String)>> = instance
        .counterfactuals
        .iter()
        .map(|cf| {
            data.describe_encoded(&crate::explain::context::f32_row(&cf.row))
                .ok_or_else(|| CliError::input("counterfactual does not decode"))
        })
        .collect::<Result<_, _>>()?;
    let mut changed: Vec<usize> = instance.counterfactuals.iter().flat_map(|cf| cf.changed.iter().copied()).collect();
    changed.sort_unstable();
    changed.dedup();
    println!(
        "\nCounterfactuals for applicant #{row} (PermuteAttack, {} model rows; age, sex and foreign-worker status held fixed):",
        instance.model_rows_evaluated
    );
    let header: Vec<String> = (1..=counterfactuals.len()).map(|i| format!("CF{i}")).collect();
    println!(
        "  {:<36} {:<26} {}",
        "attribute",
        "original",
        header.iter().map(|h| format!("{h:<26}")).collect::<String>()
    );
    let cell = |text: &str| format!("{:<26}", text.chars().take(25).collect::<String>());
    for &attribute in &changed {
        let row_cells: String = counterfactuals
            .iter()
            .map(|cf| if cf[attribute].1 == original[attribute].1 { cell("·") } else { cell(&cf[attribute].1) })
            .collect();
        println!("  {:<36} {}{}", original[attribute].0, cell(&original[attribute].1), row_cells);
    }
    let p_row: String =
        instance.counterfactuals.iter().map(|cf| cell(&format!("{:.3}", cf.target_probability))).collect();
    println!("  {:<36} {}{}", "P(good credit)", cell(&format!("{:.3}", instance.original_probability)), p_row);
    let score_row: String =
        instance.counterfactuals.iter().map(|cf| cell(&credit_score(cf.target_probability))).collect();
    println!(
        "  {:<36} {}{}",
        "credit score (600 at 20:1, PDO 15)",
        cell(&credit_score(instance.original_probability)),
        score_row
    );
    for (i, (cf, described)) in instance.counterfactuals.iter().zip(&counterfactuals).enumerate() {
        let changes: Vec<String> = cf
            .changed
            .iter()
            .map(|&a| format!("{} were '{}' instead of '{}'", original[a].0, described[a].1, original[a].1))
            .collect();
        let verdict = if cf.success { "approved" } else { "still declined" };
        println!(
            "  CF{}: if {}, the applicant would be {verdict} (P(good) {:.3}, credit score {}).",
            i + 1,
            changes.join(" and "),
            cf.target_probability,
            credit_score(cf.target_probability)
        );
    }
    Ok(())
}

/// The report context of `result`: the applicant's and the counterfactuals' attributes in
/// words, and their credit scores.
pub fn context(
    model: &LoadedModel,
    data: &GermanCredit,
    row: usize,
    result: &Counterfactuals,
) -> CounterfactualContext {
    let source = format!("German Credit hold-out applicant #{row}");
    let mut context = counterfactual_context(
        model,
        result,
        data.encoded_range(row..row + 1),
        &source,
        vec![format!("applicant #{row}")],
    );
    let instance = &result.instances[0];
    context.summary = vec![vec![(
        "credit score (600 at 20:1, PDO 15)".to_owned(),
        credit_score(instance.original_probability),
        instance.counterfactuals.iter().map(|c| credit_score(c.target_probability)).collect(),
    )]];
    context
}
