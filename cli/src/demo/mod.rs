//! `lumen demo`: the built-in German Credit model and a few hold-out applicants, each
//! explained by Feature Ablation (the attributes that raised and lowered the score) and
//! by KernelSHAP (a waterfall from the base value to the score, with standard errors),
//! with reason codes for the applicants the bank would decline; for the first declined
//! applicant, PermuteAttack counterfactuals that would be approved. Then the built-in
//! digits CNN on its first held-out 8 × 8 image: the predicted class explained by
//! Integrated Gradients, Occlusion and Grad-CAM, printed as text heat maps beside the digit
//! with each map's analytics, and written as PNG images with `--images DIR`.

mod ablation;
mod counterfactuals;
mod digits;
mod kernel_shap;

use std::path::PathBuf;

use clap::Args;
use lumen::{Engine, EngineConfig};
use lumen_models::german_credit::{GermanCredit, GermanCreditModel, HOLDOUT_ROWS};

/// The data set's cost matrix: approving a bad applicant costs 5, declining a good one 1,
/// so approving pays off when P(good) ≥ 5/6.
pub const APPROVAL_CUTOFF: f32 = 5.0 / 6.0;

/// Options of `lumen demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of hold-out applicants to explain (starting at the first hold-out row).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=200))]
    applicants: u16,
    /// Attributes listed per side (Feature Ablation), in the waterfall and as reason codes.
    #[arg(long, default_value_t = 4)]
    top: usize,
    /// Training applicants in KernelSHAP's background set.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=800))]
    background: u16,
    /// Seed of KernelSHAP's coalition sampling, recorded in the audit record.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (0: one per core); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Compute backend.
    #[arg(long, value_enum, default_value_t = crate::Backend::Auto)]
    backend: crate::Backend,
    /// Write the explanations' audit JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the digit and its three attribution maps as PNG images into this folder
    /// (created if missing): digit.png, integrated_gradients.png, occlusion.png, grad_cam.png.
    #[arg(long, value_name = "DIR")]
    images: Option<PathBuf>,
}

/// The applicants to explain.
pub struct Applicants<'a> {
    /// The data set.
    pub data: &'a GermanCredit,
    /// Their rows in the data set.
    pub rows: std::ops::Range<usize>,
}

impl Applicants<'_> {
    /// Their encoded inputs.
    pub fn inputs(&self) -> &[f32] {
        self.data.encoded_range(self.rows.clone())
    }

    /// The raw value of attribute `attribute` of the `i`-th applicant.
    pub fn value(&self, i: usize, attribute: usize) -> String {
        let described = self.data.describe_applicant(self.rows.start + i).unwrap_or_default();
        described.get(attribute).map_or_else(|| "?".to_owned(), |(_, value)| value.clone())
    }
}

/// Runs the demo, printing to stdout.
pub fn run(args: &DemoArgs) -> Result<(), String> {
    let data = GermanCredit::shared();
    let model = GermanCreditModel::shared();
    let metrics = model.holdout_metrics();
    let engine = Engine::new(EngineConfig {
        backend: args.backend.into(),
        threads: args.threads,
        seed: args.seed,
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    let count = usize::from(args.applicants).min(HOLDOUT_ROWS.len());
    let applicants = Applicants { data, rows: HOLDOUT_ROWS.start..HOLDOUT_ROWS.start + count };

    let ablation = ablation::explain(&engine, model, &applicants)?;
    let shap = kernel_shap::explain(&engine, model, &applicants, usize::from(args.background))?;

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
    let declined = (0..count).find(|&i| shap.predictions[i] < APPROVAL_CUTOFF).map(|i| applicants.rows.start + i);
    let counterfactuals = match declined {
        Some(row) => {
            let result = counterfactuals::explain(&engine, model, data, row)?;
            counterfactuals::print(data, row, &result)?;
            Some(result)
        }
        None => None,
    };
    println!(
        "\nModel rows evaluated: {} (Feature Ablation), {} (KernelSHAP), {} (PermuteAttack).",
        ablation.audit.model_rows_evaluated,
        shap.audit.model_rows_evaluated,
        counterfactuals.as_ref().map_or(0, |c| c.audit.model_rows_evaluated)
    );
    let digits = digits::explain(&engine)?;
    digits::print(&digits)?;
    if let Some(dir) = &args.images {
        digits::write_images(&digits, dir)?;
    }
    if let Some(path) = &args.json {
        let counterfactuals_json = match &counterfactuals {
            Some(c) => c.to_json().map_err(|e| e.to_string())?,
            None => "null".to_owned(),
        };
        let json = format!(
            "{{\"feature_ablation\":{},\"kernel_shap\":{},\"counterfactuals\":{counterfactuals_json},\"digits\":{}}}",
            ablation.to_json().map_err(|e| e.to_string())?,
            shap.to_json().map_err(|e| e.to_string())?,
            digits.to_json()?
        );
        std::fs::write(path, json).map_err(|e| format!("--json {}: {e}", path.display()))?;
        println!("Audit records written to {}", path.display());
    }
    Ok(())
}
