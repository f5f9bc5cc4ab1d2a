//! `lumen report` and the demo's report: one self-contained HTML file (every plot inlined
//! as an SVG data URI) with each record's audit metadata, plus every plot as SVG and PNG
//! files beside it.

pub mod figures;
pub mod html;
pub mod record;
pub mod timeshap;

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use crate::error::{create_dir, write_file, CliError, CliResult};
use crate::plot::{number, Figure};
use record::{AuditRecord, ExplanationRecord, Record};

/// Rows (or instances) per record that get their own plot.
pub const DEFAULT_ROW_PLOTS: usize = 5;

/// Options of `lumen report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Explanation records (JSON written by `lumen explain` or `lumen demo`, or the
    /// engine's audit JSON).
    #[arg(required = true, value_name = "EXPLANATION.json")]
    inputs: Vec<PathBuf>,
    /// Folder for report.html and plots/ (created if missing).
    #[arg(long, default_value = "lumen-report")]
    output: PathBuf,
    /// Rows (or instances) per explanation that get their own plot.
    #[arg(long, default_value_t = DEFAULT_ROW_PLOTS)]
    row_plots: usize,
    /// The report's title.
    #[arg(long, default_value = "Lumen explanation report")]
    title: String,
    /// Overwrite an existing report.html (and its plots) in --output (otherwise the
    /// command refuses, exit code 5).
    #[arg(long)]
    force: bool,
}

/// One record's part of the report.
#[derive(Debug, Clone)]
pub struct Section {
    /// Heading.
    pub heading: String,
    /// Where the record came from.
    pub source: String,
    /// Audit metadata as label and value.
    pub facts: Vec<(String, String)>,
    /// The method's parameters (large arrays summarised).
    pub parameters: String,
    /// The plots.
    pub figures: Vec<Figure>,
}

/// A whole report.
#[derive(Debug, Clone)]
pub struct Report {
    /// Title.
    pub title: String,
    /// Lines under the title (e.g. the demo's data and models).
    pub introduction: Vec<String>,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

/// Arrays longer than this are summarised in the parameters shown.
const SHOWN_ARRAY: usize = 12;

/// The parameters with long arrays replaced by "[N values]".
pub fn summarise(value: &Value) -> Value {
    match value {
        Value::Array(items) if items.len() > SHOWN_ARRAY => Value::String(format!("[{} values]", items.len())),
        Value::Array(items) => Value::Array(items.iter().map(summarise).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), summarise(v))).collect()),
        other => other.clone(),
    }
}

fn audit_facts(audit: &AuditRecord) -> Vec<(String, String)> {
    let backend = match &audit.backend_note {
        Some(note) => format!("{} ({note})", audit.backend),
        None => audit.backend.clone(),
    };
    vec![
        ("seed".to_owned(), audit.seed.to_string()),
        ("library version".to_owned(), format!("lumen {}", audit.library_version)),
        ("backend".to_owned(), backend),
        ("model evaluations".to_owned(), format!("{} model rows", audit.model_rows_evaluated)),
    ]
}

/// The error figures of an explanation: completeness gaps and standard errors.
pub fn error_figures(record: &ExplanationRecord) -> Vec<(String, String)> {
    let mut facts = Vec::new();
    let gaps: Vec<f64> =
        record.diagnostics.iter().filter_map(|d| d.completeness_gap.as_ref()).flatten().map(|g| g.abs()).collect();
    if !gaps.is_empty() {
        let label = match record.method.as_str() {
            "integrated_gradients" | "gradient_shap" => "convergence delta, max |Σ attributions − (f(x) − base)|",
            _ => "completeness gap, max |Σ attributions − (f(x) − base)|",
        };
        facts.push((
            label.to_owned(),
            format!("{:.3e} over {} rows", gaps.iter().fold(0.0f64, |m, g| m.max(*g)), record.rows),
        ));
    }
    if let Some(errors) = record.standard_errors.as_ref().filter(|e| !e.is_empty()) {
        let max = errors.iter().fold(0.0f64, |m, e| m.max(*e));
        let mean = errors.iter().sum::<f64>() / errors.len() as f64;
        facts.push(("standard error of the values".to_owned(), format!("mean {}, max {}", number(mean), number(max))));
    }
    if facts.is_empty() {
        facts.push((
            "error figures".to_owned(),
            "none defined for this method (not sampled, no completeness identity)".to_owned(),
        ));
    }
    facts
}

/// The section of one record.
pub fn section(record: &Record, source: &str, index: usize, row_plots: usize) -> CliResult<Section> {
    let stem = format!("{:02}", index + 1);
    let plot_error = |e: String| CliError::output(format!("{source}: {e}"));
    let parameters = |v: &Value| serde_json::to_string_pretty(&summarise(v)).unwrap_or_default();
    Ok(match record {
        Record::Explanation(r) => {
            let context = r.context.clone().unwrap_or_default();
            let mut facts = vec![("method".to_owned(), figures::method_title(&r.method))];
            if !context.model.is_empty() {
                facts.push(("model".to_owned(), context.model.clone()));
            }
            if !context.source.is_empty() {
                facts.push(("rows from".to_owned(), context.source.clone()));
            }
            let outputs: Vec<String> = match &r.row_targets {
                Some(_) => vec!["each row's own output (per-row targets)".to_owned()],
                None => (0..r.outputs.len()).map(|k| figures::output_label(r, 0, k)).collect(),
            };
            let sequence = timeshap::is_timeshap(r);
            facts.push(if sequence {
                ("sequence".to_owned(), context.row_labels.first().cloned().unwrap_or_else(|| "1".to_owned()))
            } else {
                ("rows explained".to_owned(), r.rows.to_string())
            });
            facts.push(("outputs explained".to_owned(), outputs.join(", ")));
            facts.push(if sequence {
                ("players".to_owned(), r.features.to_string())
            } else {
                ("features".to_owned(), format!("{} ({})", r.features, r.feature_axis))
            });
            facts.extend(timeshap::facts(r));
            facts.extend(audit_facts(&r.audit));
            facts.extend(error_figures(r));
            let plots =
                if sequence { timeshap::figures(r, &stem) } else { figures::explanation_figures(r, &stem, row_plots) };
            Section {
                heading: format!(
                    "{}. {}{} — {}",
                    index + 1,
                    figures::method_title(&r.method),
                    timeshap::level_title(r),
                    if context.model.is_empty() { "model" } else { &context.model }
                ),
                source: source.to_owned(),
                facts,
                parameters: parameters(&r.parameters),
                figures: plots.map_err(plot_error)?,
            }
        }
        Record::Counterfactuals(r) => {
            let context = r.context.clone().unwrap_or_default();
            let found = r.instances.iter().filter(|i| i.counterfactuals.iter().any(|c| c.success)).count();
            let mut facts = vec![("method".to_owned(), figures::method_title(&r.method))];
            if !context.model.is_empty() {
                facts.push(("model".to_owned(), context.model.clone()));
            }
            facts.push((
                "instances".to_owned(),
                format!("{} ({found} with a counterfactual that reaches the target)", r.instances.len()),
            ));
            facts.extend(audit_facts(&r.audit));
            Section {
                heading: format!("{}. {}", index + 1, figures::method_title(&r.method)),
                source: source.to_owned(),
                facts,
                parameters: parameters(&r.parameters),
                figures: figures::counterfactual_figures(r, &stem, row_plots).map_err(plot_error)?,
            }
        }
        Record::TimeShapGlobal(r) => {
            let mut facts = vec![("method".to_owned(), "TimeSHAP, global study".to_owned())];
            facts.extend(timeshap::global_facts(r));
            facts.extend(audit_facts(&r.audit));
            Section {
                heading: format!("{}. TimeSHAP over {} sequences", index + 1, r.sequences),
                source: source.to_owned(),
                facts,
                parameters: parameters(&r.parameters),
                figures: timeshap::global_figures(r, &stem).map_err(plot_error)?,
            }
        }
        Record::DatasetAudit(r) => {
            let s = &r.statistics;
            let mut facts = vec![
                ("audit".to_owned(), r.description.clone()),
                ("instances".to_owned(), s.instances.to_string()),
                (
                    "success rate".to_owned(),
                    format!("{:.1} % ({} of {})", 100.0 * s.success_rate, s.successes, s.instances),
                ),
                ("mean features changed".to_owned(), format!("{:.2}", s.mean_changed)),
                ("features changed (histogram 0, 1, 2, …)".to_owned(), format!("{:?}", s.changed_histogram)),
            ];
            facts.extend(audit_facts(&r.audit));
            Section {
                heading: format!("{}. Counterfactual dataset audit", index + 1),
                source: source.to_owned(),
                facts,
                parameters: parameters(&r.parameters),
                figures: figures::audit_figures(r, &stem).map_err(plot_error)?,
            }
        }
    })
}

/// Writes `report` into `dir`: report.html and plots/NAME.svg|png. Returns the HTML path.
pub fn write(report: &Report, dir: &Path) -> CliResult<PathBuf> {
    let plots = dir.join("plots");
    create_dir(&plots)?;
    for figure in report.sections.iter().flat_map(|s| &s.figures) {
        write_file(&plots.join(format!("{}.svg", figure.name)), &figure.svg)?;
        write_file(&plots.join(format!("{}.png", figure.name)), &figure.png)?;
    }
    let path = dir.join("report.html");
    write_file(&path, html::render(report))?;
    Ok(path)
}

/// Runs `lumen report`.
pub fn run(args: &ReportArgs) -> CliResult {
    crate::output::refuse_existing(&[args.output.join("report.html")], args.force)?;
    let bar = crate::progress::steps(args.inputs.len() as u64 + 1);
    let mut sections = Vec::with_capacity(args.inputs.len());
    for (index, path) in args.inputs.iter().enumerate() {
        bar.set_message(path.display().to_string());
        let record = Record::read(path)?;
        sections.push(section(&record, &path.display().to_string(), index, args.row_plots)?);
        bar.inc(1);
    }
    let report = Report { title: args.title.clone(), introduction: Vec::new(), sections };
    bar.set_message("writing");
    let path = write(&report, &args.output)?;
    bar.finish_and_clear();
    let plots: usize = report.sections.iter().map(|s| s.figures.len()).sum();
    println!(
        "Report: {} ({} explanations, {plots} plots; plots also in {})",
        path.display(),
        report.sections.len(),
        args.output.join("plots").display()
    );
    Ok(())
}
