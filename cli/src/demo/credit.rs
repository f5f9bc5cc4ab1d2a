//! The demo's German Credit section: the built-in MLP, a portfolio of hold-out applicants
//! explained by KernelSHAP (the first few printed in detail beside Feature Ablation, with
//! reason codes), counterfactuals for the first declined applicant and a dataset audit of
//! counterfactuals over the declined applicants.

use lumen_models::german_credit::{GermanCredit, GermanCreditModel, HOLDOUT_ROWS};

use super::{
    ablation, audit, counterfactuals, kernel_shap, Applicants, DemoContext, DemoRecord, DemoSection, APPROVAL_CUTOFF,
};
use crate::error::{CliError, CliResult};
use crate::explain::context;
use crate::model::builtin;
use crate::report::record::with_context;

/// The German Credit section.
pub struct CreditSection;

impl DemoSection for CreditSection {
    fn name(&self) -> &'static str {
        "German Credit"
    }

    fn introduction(&self) -> String {
        "German Credit (UCI Statlog, 1000 applicants, 20 attributes): the built-in MLP's probability of good credit, \
         explained by KernelSHAP and Feature Ablation, with PermuteAttack counterfactuals and their dataset audit."
            .to_owned()
    }

    fn run(&self, demo: &DemoContext<'_>) -> CliResult<Vec<DemoRecord>> {
        let args = demo.args;
        let engine = demo.engine;
        let data = GermanCredit::shared();
        let model = GermanCreditModel::shared();
        let loaded = builtin::load("german-credit-mlp")?;
        let metrics = model.holdout_metrics();
        let count = usize::from(args.applicants).min(HOLDOUT_ROWS.len());
        let portfolio = usize::from(args.portfolio).max(count).min(HOLDOUT_ROWS.len());
        let applicants = Applicants { data, rows: HOLDOUT_ROWS.start..HOLDOUT_ROWS.start + count };
        let everyone = Applicants { data, rows: HOLDOUT_ROWS.start..HOLDOUT_ROWS.start + portfolio };

        let ablation = ablation::explain(engine, model, &applicants)?;
        let shap = kernel_shap::explain(engine, model, &everyone, usize::from(args.background), args.engine.budget())?;

        println!(
            "Lumen {} demo: German Credit (UCI Statlog, 1000 applicants, 20 attributes)",
            lumen::explanation::LIBRARY_VERSION
        );
        println!(
            "Model: MLP 61→16→1 trained on rows 0..800 in Rust; hold-out ({} applicants): accuracy {:.3}, AUC {:.3}",
            metrics.rows, metrics.accuracy, metrics.auc
        );
        println!(
            "Score = probability of good credit; the bank approves at {APPROVAL_CUTOFF:.3} or more (cost matrix 5:1). Backend {}{}",
            shap.audit.backend,
            shap.audit.backend_note.as_deref().map(|note| format!(" ({note})")).unwrap_or_default()
        );
        for i in 0..count {
            println!("\nApplicant #{}: score {:.3}", applicants.rows.start + i, shap.predictions[i]);
            ablation::print(&applicants, &ablation, i, args.top);
            kernel_shap::print(&applicants, &shap, i, args.top)?;
        }
        let declined: Vec<usize> = (0..portfolio)
            .filter(|&i| shap.predictions[i] < APPROVAL_CUTOFF)
            .map(|i| everyone.rows.start + i)
            .collect();
        let first_declined = declined.iter().copied().find(|&row| row < applicants.rows.end);
        let counterfactuals = match first_declined {
            Some(row) => {
                let result = counterfactuals::explain(engine, model, data, row)?;
                counterfactuals::print(data, row, &result)?;
                Some((row, result))
            }
            None => None,
        };
        let audited: Vec<usize> = declined.iter().copied().take(usize::from(args.audit)).collect();
        let dataset_audit = if audited.is_empty() { None } else { Some(audit::run(engine, model, data, &audited)?) };
        println!(
            "\nModel rows evaluated: {} (Feature Ablation), {} (KernelSHAP over {portfolio} applicants), {} (PermuteAttack).",
            ablation.audit.model_rows_evaluated,
            shap.audit.model_rows_evaluated,
            counterfactuals.as_ref().map_or(0, |(_, c)| c.audit.model_rows_evaluated)
        );

        let io = |e: lumen::Error| CliError::output(e.to_string());
        let source = |rows: &std::ops::Range<usize>| {
            format!("German Credit hold-out applicants #{}–#{}", rows.start, rows.end - 1)
        };
        let mut records = Vec::new();
        let shap_context = context(&loaded, &shap, everyone.inputs(), &source(&everyone.rows), everyone.labels());
        records.push(DemoRecord {
            name: "credit-kernel-shap".to_owned(),
            json: with_context(&shap.to_json().map_err(io)?, &shap_context)?,
        });
        let ablation_context =
            context(&loaded, &ablation, applicants.inputs(), &source(&applicants.rows), applicants.labels());
        records.push(DemoRecord {
            name: "credit-feature-ablation".to_owned(),
            json: with_context(&ablation.to_json().map_err(io)?, &ablation_context)?,
        });
        if let Some((row, result)) = &counterfactuals {
            let context = counterfactuals::context(&loaded, data, *row, result);
            records.push(DemoRecord {
                name: "credit-counterfactuals".to_owned(),
                json: with_context(&result.to_json().map_err(io)?, &context)?,
            });
        }
        if let Some(record) = dataset_audit {
            println!(
                "Dataset audit: counterfactuals for {} declined applicants: {} flipped ({:.0} %), {:.2} attributes changed on average.",
                record.statistics.instances,
                record.statistics.successes,
                100.0 * record.statistics.success_rate,
                record.statistics.mean_changed
            );
            let json = serde_json::to_string_pretty(&record).map_err(|e| CliError::output(e.to_string()))?;
            records.push(DemoRecord { name: "credit-counterfactual-audit".to_owned(), json });
        }
        Ok(records)
    }
}
