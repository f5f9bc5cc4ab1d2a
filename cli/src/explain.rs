//! `lumen explain`: rows from a CSV file, a model (built-in or plugin), a method and its
//! options → the explanation's audit JSON (with the command's context) and a CSV of
//! attributions or counterfactuals.

use std::path::{Path, PathBuf};

use clap::Args;
use lumen::explanation::{Counterfactuals, Explanation, FeatureAxis};
use lumen::Engine;

use crate::error::{create_dir, write_file, CliError, CliResult};
use crate::input::{read_rows, Columns, Rows};
use crate::methods::{self, InputKind, MethodName, MethodOptions, Outcome, Request};
use crate::model::{builtin, LoadedModel};
use crate::report::record::{Context, CounterfactualContext, ImageContext};
use crate::EngineArgs;

/// Options of `lumen explain`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("model_source").required(true).args(["model", "plugin"])))]
#[command(group(clap::ArgGroup::new("rows_source").required(true).args(["input", "sequences"])))]
pub struct ExplainArgs {
    /// The rows to explain: a CSV file whose header names the model's input columns.
    #[arg(long, short, value_name = "CSV")]
    input: Option<PathBuf>,
    /// Sequences to explain with --method timeshap: a CSV file with a `sequence_id` column
    /// and the model's feature columns, one line per event, oldest first (see
    /// `lumen models --sample fraud-gru`).
    #[arg(long, value_name = "FILE")]
    sequences: Option<PathBuf>,
    /// A built-in model: german-credit-mlp, german-credit-forest, digits-cnn, or the
    /// sequence model fraud-gru.
    #[arg(long, short)]
    model: Option<String>,
    /// A model plugin: a shared library exporting `lumen_plugin_model` (see
    /// examples/plugin/lumen_plugin.h).
    #[arg(long, value_name = "FILE.so")]
    plugin: Option<PathBuf>,
    /// The method.
    #[arg(long, value_enum)]
    method: MethodName,
    #[command(flatten)]
    options: MethodOptions,
    #[command(flatten)]
    timeshap: crate::timeshap::TimeShapOptions,
    #[command(flatten)]
    engine: EngineArgs,
    /// Folder for explanation.json and attributions.csv (or counterfactuals.csv); for
    /// TimeSHAP, explanation-<k>-<level>.json per sequence and level, and timeshap.csv.
    #[arg(long, short, default_value = "lumen-explanation")]
    output: PathBuf,
}

/// The model named by `--model` or `--plugin`.
pub fn load_model(model: Option<&str>, plugin: Option<&Path>) -> CliResult<LoadedModel> {
    match (model, plugin) {
        (Some(name), None) => builtin::load(name),
        (None, Some(path)) => LoadedModel::from_plugin(path),
        _ => Err(CliError::model("give exactly one of --model NAME and --plugin FILE")),
    }
}

/// Reads a CSV of rows in `model`'s columns.
pub fn read_model_rows(path: &Path, model: &LoadedModel) -> CliResult<Rows> {
    let columns =
        if model.named_columns { Columns::Named(&model.columns) } else { Columns::Count(model.columns.len()) };
    read_rows(path, columns)
}

/// The command's context of an explanation of `rows`.
pub fn context(
    model: &LoadedModel,
    explanation: &Explanation,
    inputs: &[f32],
    source: &str,
    row_labels: Vec<String>,
) -> Context {
    let n = model.columns.len();
    let grouped = explanation.feature_axis == FeatureAxis::Groups;
    let value_text = model
        .describe
        .filter(|_| grouped)
        .and_then(|describe| inputs.chunks_exact(n).map(describe).collect::<Option<Vec<_>>>());
    let feature_values = if explanation.features == n {
        Some(inputs.chunks_exact(n).map(|row| row.iter().map(|&v| Some(f64::from(v))).collect()).collect())
    } else {
        // Grouped: a group of one column has an orderable value; one-hot groups have none.
        model.groups.as_ref().filter(|_| grouped).map(|groups| {
            let columns: Vec<Vec<usize>> =
                (0..groups.names.len()).map(|g| (0..n).filter(|&c| groups.mask[c] == g as u32).collect()).collect();
            inputs
                .chunks_exact(n)
                .map(|row| columns.iter().map(|cols| (cols.len() == 1).then(|| f64::from(row[cols[0]]))).collect())
                .collect()
        })
    };
    let image = model.image.map(|(height, width)| ImageContext { height, width, pixels: inputs.to_vec() });
    Context {
        model: model.name.clone(),
        source: source.to_owned(),
        output_label: model.output_label.clone(),
        row_labels,
        value_text,
        feature_values,
        image: image.filter(|i| i.height * i.width == n),
        sequence: None,
    }
}

/// The CSV of attributions: one line per row and explained output.
pub fn attributions_csv(explanation: &Explanation, labels: &[String]) -> CliResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CliError::output(format!("attributions.csv: {e}"));
    let mut header = vec!["row".to_owned(), "output".to_owned(), "prediction".to_owned(), "base_value".to_owned()];
    header.extend((0..explanation.features).map(|f| explanation.feature_name(f)));
    writer.write_record(&header).map_err(io)?;
    for row in 0..explanation.rows {
        for (k, output) in explanation.outputs.iter().enumerate() {
            let index = row * explanation.outputs.len() + k;
            let mut line = vec![
                labels.get(row).cloned().unwrap_or_else(|| row.to_string()),
                output.to_string(),
                explanation.predictions[index].to_string(),
                explanation.base_values[index].to_string(),
            ];
            line.extend(explanation.row_attributions(row, k).iter().map(|v| v.to_string()));
            writer.write_record(&line).map_err(io)?;
        }
    }
    String::from_utf8(writer.into_inner().map_err(|e| CliError::output(e.to_string()))?)
        .map_err(|e| CliError::output(e.to_string()))
}

/// The CSV of counterfactuals: one line per counterfactual with its model row.
pub fn counterfactuals_csv(result: &Counterfactuals, columns: &[String], labels: &[String]) -> CliResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CliError::output(format!("counterfactuals.csv: {e}"));
    let mut header: Vec<String> =
        ["row", "counterfactual", "success", "target_probability", "predicted_class", "changed"]
            .map(String::from)
            .to_vec();
    header.extend(columns.iter().cloned());
    writer.write_record(&header).map_err(io)?;
    for (i, instance) in result.instances.iter().enumerate() {
        for (c, cf) in instance.counterfactuals.iter().enumerate() {
            let changed: Vec<&str> = cf.changed.iter().map(|&f| result.feature_names[f].as_str()).collect();
            let mut line = vec![
                labels.get(i).cloned().unwrap_or_else(|| i.to_string()),
                (c + 1).to_string(),
                cf.success.to_string(),
                cf.target_probability.to_string(),
                cf.predicted_class.to_string(),
                changed.join("; "),
            ];
            line.extend(cf.row.iter().map(|v| v.to_string()));
            writer.write_record(&line).map_err(io)?;
        }
    }
    String::from_utf8(writer.into_inner().map_err(|e| CliError::output(e.to_string()))?)
        .map_err(|e| CliError::output(e.to_string()))
}

/// The context of counterfactuals: display values when the model knows its encoding.
pub fn counterfactual_context(
    model: &LoadedModel,
    result: &Counterfactuals,
    inputs: &[f32],
    source: &str,
    labels: Vec<String>,
) -> CounterfactualContext {
    let n = model.columns.len();
    let show = |row: &[f32]| -> Vec<String> {
        match model.describe.and_then(|d| d(row)) {
            Some(values) if values.len() == result.feature_names.len() => values,
            _ => row.iter().map(|v| format!("{v}")).collect(),
        }
    };
    CounterfactualContext {
        model: model.name.clone(),
        source: source.to_owned(),
        output_label: model.output_label.clone(),
        instance_labels: labels,
        originals: inputs.chunks_exact(n).map(show).collect(),
        counterfactuals: result
            .instances
            .iter()
            .map(|i| i.counterfactuals.iter().map(|c| show(&c.row)).collect())
            .collect(),
        summary: Vec::new(),
    }
}

/// Runs `lumen explain`.
pub fn run(args: &ExplainArgs) -> CliResult {
    let spec = args.method.spec();
    match (&args.sequences, spec.input) {
        (Some(sequences), InputKind::Sequences) => {
            return crate::timeshap::run(&crate::timeshap::SequenceRequest {
                model: args.model.as_deref(),
                plugin: args.plugin.as_deref(),
                sequences,
                options: &args.timeshap,
                engine: &args.engine,
                output: &args.output,
            })
        }
        (Some(_), InputKind::Rows) => {
            return Err(CliError::input(format!(
                "{} explains rows of a CSV file (--input); --sequences is for sequence methods such as TimeSHAP (--method timeshap)",
                args.method.cli_name()
            )))
        }
        (None, InputKind::Sequences) => {
            return Err(CliError::input(format!(
                "{} explains sequences: give them with --sequences FILE (see lumen models --sample fraud-gru)",
                args.method.cli_name()
            )))
        }
        (None, InputKind::Rows) => {}
    }
    let model = load_model(args.model.as_deref(), args.plugin.as_deref())?;
    let input = args.input.as_deref().ok_or_else(|| CliError::input("--input CSV is required"))?;
    let rows = read_model_rows(input, &model)?;
    let background = match &args.options.background {
        Some(path) => read_model_rows(path, &model)?.values,
        None => model.background.clone().unwrap_or_else(|| rows.values.clone()),
    };
    let engine: Engine = args.engine.engine()?;
    let labels: Vec<String> = rows.lines.iter().map(|l| format!("line {l}")).collect();
    let request = Request {
        engine: &engine,
        model: &model,
        inputs: &rows.values,
        rows: rows.rows,
        background: &background,
        budget: args.engine.budget(),
        options: &args.options,
    };
    let spinner =
        crate::progress::spinner(format!("{} on {} rows of {}", args.method.cli_name(), rows.rows, rows.source));
    let outcome = methods::run(args.method, &request);
    spinner.finish_and_clear();
    let outcome = outcome?;
    create_dir(&args.output)?;
    let json_path = args.output.join("explanation.json");
    let io = |e: lumen::Error| CliError::output(e.to_string());
    match outcome {
        Outcome::Attributions(explanation) => {
            let context = context(&model, &explanation, &rows.values, &rows.source, labels.clone());
            write_file(
                &json_path,
                crate::report::record::with_context(&explanation.to_json().map_err(io)?, &context)?,
            )?;
            let csv_path = args.output.join("attributions.csv");
            write_file(&csv_path, attributions_csv(&explanation, &labels)?)?;
            print_summary(&explanation, &labels, &model);
            println!("Wrote {} and {}", json_path.display(), csv_path.display());
        }
        Outcome::Counterfactuals(result) => {
            let context = counterfactual_context(&model, &result, &rows.values, &rows.source, labels.clone());
            write_file(&json_path, crate::report::record::with_context(&result.to_json().map_err(io)?, &context)?)?;
            let csv_path = args.output.join("counterfactuals.csv");
            write_file(&csv_path, counterfactuals_csv(&result, &model.columns, &labels)?)?;
            let found = result.instances.iter().filter(|i| i.counterfactuals.iter().any(|c| c.success)).count();
            println!(
                "permute-attack on {} ({} rows of {}): {found} rows with a counterfactual that reaches the target; {} model rows evaluated",
                model.name,
                result.instances.len(),
                rows.source,
                result.audit.model_rows_evaluated
            );
            println!("Wrote {} and {}", json_path.display(), csv_path.display());
        }
    }
    Ok(())
}

/// Prints the explanation's headline: per row (at most 5), f(x), the base and the three
/// largest attributions.
fn print_summary(explanation: &Explanation, labels: &[String], model: &LoadedModel) {
    println!(
        "{} on {} ({} rows, output {}): {} model rows evaluated, seed {}, backend {}",
        serde_json::to_value(explanation.method)
            .ok()
            .and_then(|v| v.as_str().map(crate::report::figures::method_title))
            .unwrap_or_default(),
        model.name,
        explanation.rows,
        explanation.outputs.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
        explanation.audit.model_rows_evaluated,
        explanation.audit.seed,
        explanation.audit.backend
    );
    for row in 0..explanation.rows.min(5) {
        let values = explanation.row_attributions(row, 0);
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()).then(a.cmp(&b)));
        let top: Vec<String> =
            order.iter().take(3).map(|&f| format!("{} {:+.4}", explanation.feature_name(f), values[f])).collect();
        let index = row * explanation.outputs.len();
        println!(
            "  {}: f(x) {:.4}, base {:.4}; largest: {}",
            labels.get(row).map_or("?", String::as_str),
            explanation.predictions[index],
            explanation.base_values[index],
            top.join(", ")
        );
    }
    if explanation.rows > 5 {
        println!("  … {} more rows in attributions.csv", explanation.rows - 5);
    }
}
