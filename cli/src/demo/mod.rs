//! `lumen demo`: the built-in models on the shipped data, section by section. Each
//! [`DemoSection`] prints its part of the summary and hands back explanation records; the
//! demo writes them to `OUTPUT/explanations/` and builds the report from what it wrote.
//!
//! - `credit`: German Credit applicants, each explained by Feature Ablation and by a
//!   KernelSHAP waterfall with reason codes for declined ones; PermuteAttack counterfactuals
//!   with credit scores for the first declined applicant; a dataset audit of
//!   counterfactuals over the declined applicants of the portfolio.
//! - `fraud`: the account-takeover GRU on synthetic event histories: TimeSHAP pruning,
//!   event, feature and cell level on a hold-out takeover, and a global study.
//! - `digits`: the digits CNN on a held-out image: Integrated Gradients, Occlusion and
//!   Grad-CAM as text heat maps, analytics, PNGs with `--images DIR`.
//!
//! A new section implements [`DemoSection`] and joins [`sections`].

mod ablation;
mod audit;
mod counterfactuals;
mod credit;
mod digits;
mod fraud;
mod kernel_shap;

use std::path::PathBuf;

use clap::Args;
use lumen::Engine;
use lumen_models::german_credit::GermanCredit;

use crate::error::{create_dir, write_file, CliError, CliResult};
use crate::report::record::Record;
use crate::report::{self, Report};
use crate::EngineArgs;

pub use crate::model::builtin::APPROVAL_CUTOFF;

/// Options of `lumen demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of hold-out applicants printed in detail (starting at the first hold-out row).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=200))]
    applicants: u16,
    /// Hold-out applicants explained by KernelSHAP for the report's global plots (at least
    /// --applicants).
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u16).range(1..=200))]
    portfolio: u16,
    /// Declined applicants of the portfolio searched for counterfactuals in the dataset audit.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(0..=200))]
    audit: u16,
    /// Attributes listed per side (Feature Ablation), in the waterfall and as reason codes.
    #[arg(long, default_value_t = 4)]
    top: usize,
    /// Hold-out fraud histories in the TimeSHAP global study.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u16).range(1..=500))]
    histories: u16,
    /// Training applicants in KernelSHAP's background set.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=800))]
    background: u16,
    #[command(flatten)]
    engine: EngineArgs,
    /// Folder for the report (report.html, plots/) and the explanation records (explanations/).
    #[arg(long, default_value = "lumen-report")]
    output: PathBuf,
    /// Also write every audit record as one JSON object to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Overwrite an existing report, records and --json file (otherwise the command
    /// refuses, exit code 5).
    #[arg(long)]
    force: bool,
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

    /// "applicant #N" for each.
    pub fn labels(&self) -> Vec<String> {
        self.rows.clone().map(|row| format!("applicant #{row}")).collect()
    }
}

/// A named explanation record (JSON text) a section produced.
pub struct DemoRecord {
    /// File stem under `explanations/`.
    pub name: String,
    /// The record.
    pub json: String,
}

/// What every section reads.
pub struct DemoContext<'a> {
    /// The command's options.
    pub args: &'a DemoArgs,
    /// The engine.
    pub engine: &'a Engine,
}

/// One part of the demo.
pub trait DemoSection {
    /// A short name for the progress bar.
    fn name(&self) -> &'static str;
    /// A line about the section for the report's header.
    fn introduction(&self) -> String;
    /// Prints the section's summary and returns its records, in report order.
    fn run(&self, context: &DemoContext<'_>) -> CliResult<Vec<DemoRecord>>;
}

/// The demo's sections, in order.
pub fn sections() -> Vec<Box<dyn DemoSection>> {
    vec![Box::new(credit::CreditSection), Box::new(fraud::FraudSection), Box::new(digits::DigitsSection)]
}

/// Runs the demo: prints the summary, writes the records and the report.
pub fn run(args: &DemoArgs) -> CliResult {
    let mut outputs = vec![args.output.join("report.html")];
    outputs.extend(crate::output::matching(&args.output.join("explanations"), "", ".json"));
    outputs.extend(args.json.clone());
    crate::output::refuse_existing(&outputs, args.force)?;
    let engine = args.engine.engine()?;
    let context = DemoContext { args, engine: &engine };
    let sections = sections();
    let bar = crate::progress::steps(sections.len() as u64 + 1);
    let mut records = Vec::new();
    for section in &sections {
        bar.set_message(section.name());
        records.extend(section.run(&context)?);
        bar.inc(1);
    }
    bar.set_message("report");
    let dir = args.output.join("explanations");
    create_dir(&dir)?;
    let mut report_sections = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        let path = dir.join(format!("{:02}-{}.json", index + 1, record.name));
        write_file(&path, &record.json)?;
        let parsed = Record::parse(&record.json, &path.display().to_string())?;
        report_sections.push(report::section(&parsed, &path.display().to_string(), index, report::DEFAULT_ROW_PLOTS)?);
    }
    let report = Report {
        title: "Lumen demo: German Credit, fraud sequences and digits".to_owned(),
        introduction: sections.iter().map(|s| s.introduction()).collect(),
        sections: report_sections,
    };
    let path = report::write(&report, &args.output)?;
    bar.finish_and_clear();
    if let Some(json_path) = &args.json {
        let mut all = serde_json::Map::new();
        for record in &records {
            let value = serde_json::from_str(&record.json).map_err(|e| CliError::output(format!("--json: {e}")))?;
            all.insert(record.name.clone(), value);
        }
        write_file(json_path, serde_json::Value::Object(all).to_string())?;
        println!("Audit records written to {}", json_path.display());
    }
    let plots: usize = report.sections.iter().map(|s| s.figures.len()).sum();
    println!(
        "\nReport: {} ({} explanations, {plots} plots; records in {})",
        path.display(),
        records.len(),
        dir.display()
    );
    Ok(())
}
