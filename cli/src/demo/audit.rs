//! The demo's counterfactual dataset audit: PermuteAttack on every declined applicant of
//! the portfolio, and which attributes the successful counterfactuals change, alone and
//! together.

use lumen::explain::counterfactual::audit::{audit, InstanceOutcome};
use lumen::{Engine, Model};
use lumen_models::german_credit::GermanCredit;

use super::counterfactuals;
use crate::error::CliResult;
use crate::report::record::{AuditRecord, AuditStatistics, DatasetAuditRecord};

/// Searches counterfactuals for each of `rows` and audits the outcomes (the best
/// counterfactual of each: successful ones come first).
pub fn run(engine: &Engine, model: &dyn Model, data: &GermanCredit, rows: &[usize]) -> CliResult<DatasetAuditRecord> {
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut evaluated = 0;
    let mut last = None;
    for &row in rows {
        let result = counterfactuals::explain(engine, model, data, row)?;
        let instance = &result.instances[0];
        let best = instance.counterfactuals.first();
        outcomes.push(InstanceOutcome {
            success: best.is_some_and(|c| c.success),
            changed: best.map(|c| c.changed.clone()).unwrap_or_default(),
        });
        evaluated += result.audit.model_rows_evaluated;
        last = Some(result);
    }
    let schema = data.counterfactual_schema()?;
    let names: Vec<String> = schema.features().iter().map(|f| f.name.clone()).collect();
    let statistics = audit(&outcomes, names.len())?;
    let result =
        last.ok_or_else(|| crate::error::CliError::input("the audit needs at least one declined applicant"))?;
    Ok(DatasetAuditRecord {
        kind: "counterfactual_dataset_audit".to_owned(),
        description: format!(
            "PermuteAttack on the {} declined applicants (rows {}), approval cutoff P(good) ≥ 5/6, age, sex and foreign-worker status fixed",
            rows.len(),
            rows.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
        ),
        feature_names: names,
        audit: AuditRecord {
            library_version: result.audit.library_version.to_owned(),
            seed: result.audit.seed,
            backend: serde_json::to_value(result.audit.backend).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            backend_note: result.audit.backend_note.clone(),
            model_rows_evaluated: evaluated,
        },
        parameters: result.parameters.clone(),
        statistics: AuditStatistics {
            instances: statistics.instances,
            successes: statistics.successes,
            success_rate: statistics.success_rate,
            features: statistics.features,
            changed_histogram: statistics.changed_histogram,
            mean_changed: statistics.mean_changed,
            change_counts: statistics.change_counts,
            co_occurrence: statistics.co_occurrence,
        },
    })
}
