//! `lumen explain`: rows from a CSV file, a model (built-in or plugin), a method and its
//! options → the explanation's audit JSON (with the command's context) and a CSV of
//! attributions or counterfactuals.
//!
//! Rows come as the model's raw attributes (for a model with a schema: labels or codes,
//! numbers in real units) or as its input columns; see [`crate::input`]. Every output is
//! keyed by `--id-column` when given, else by line number, and shows values in raw units
//! and labels when the model has a schema. [`context`](mod@context) builds the records' context,
//! [`outputs`] the CSV files, [`progress`] the rows-done bar.

pub mod context;
pub mod outputs;
pub mod progress;

use std::path::{Path, PathBuf};

use clap::Args;
use lumen::engine::row_keys::row_key_of_bytes;
use lumen::explain::shapley::Estimator;
use lumen::explanation::Explanation;
use lumen::{ElementType, Engine};

use crate::error::{create_dir, write_file, CliError, CliResult};
use crate::input::{read_rows, Columns, InputForm, ReadOptions, Rows};
use crate::methods::{InputKind, MethodName, MethodOptions, Outcome, Request};
use crate::model::{builtin, LoadedModel};
use crate::output::refuse_existing;
use crate::EngineArgs;
pub use context::{context, counterfactual_context};
pub use outputs::{attributions_csv, counterfactuals_csv};

/// Options of `lumen explain`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("model_source").required(true).args(["model", "plugin"])))]
#[command(group(clap::ArgGroup::new("rows_source").required(true).args(["input", "sequences"])))]
pub struct ExplainArgs {
    /// The rows to explain: a CSV file whose header names the model's raw attributes
    /// (category labels or codes, numbers in real units; models with a schema) or its
    /// input columns, in any order (see `lumen models --schema MODEL`).
    #[arg(long, short, value_name = "CSV")]
    input: Option<PathBuf>,
    /// Which columns the header of --input (and --background) names: raw attributes,
    /// the model's encoded input columns, or auto (raw when every column is a raw
    /// attribute, encoded when every column is an input column).
    #[arg(long, value_enum, default_value_t = InputForm::Auto)]
    input_form: InputForm,
    /// A column of --input that names each row (e.g. applicant_id): not a model input,
    /// passed through to every output (CSV key, JSON row labels, report titles) instead
    /// of "line N", and each row's key: its random draws come from the seed and its id
    /// (as in every binding), so one row re-explained alone gets its batch values.
    #[arg(long, value_name = "NAME")]
    id_column: Option<String>,
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
    /// TimeSHAP, `explanation-<k>-<level>.json` per sequence and level, and timeshap.csv.
    #[arg(long, short, default_value = "lumen-explanation")]
    output: PathBuf,
    /// Overwrite outputs that already exist (otherwise the command refuses, exit code 5).
    #[arg(long)]
    force: bool,
}

/// The model named by `--model` or `--plugin`.
pub fn load_model(model: Option<&str>, plugin: Option<&Path>) -> CliResult<LoadedModel> {
    match (model, plugin) {
        (Some(name), None) => builtin::load(name),
        (None, Some(path)) => LoadedModel::from_plugin(path),
        _ => Err(CliError::model("give exactly one of --model NAME and --plugin FILE")),
    }
}

/// Reads a CSV of rows for `model`, in `form`, with the id column `id_column` (required
/// when `id_required`).
pub fn read_model_rows(
    path: &Path,
    model: &LoadedModel,
    form: InputForm,
    id_column: Option<&str>,
    id_required: bool,
) -> CliResult<Rows> {
    let columns =
        if model.named_columns { Columns::Named(&model.columns) } else { Columns::Count(model.columns.len()) };
    let doubles = model.element_type() == ElementType::F64;
    read_rows(path, &ReadOptions { columns, schema: model.schema.as_ref(), form, id_column, id_required, doubles })
}

/// Runs the sequence path of `lumen explain` (TimeSHAP), or refuses a mismatch of method
/// and input; `None` when the method explains rows of --input.
fn sequences(args: &ExplainArgs) -> Option<CliResult> {
    let spec = args.method.spec();
    match (&args.sequences, spec.input) {
        (Some(sequences), InputKind::Sequences) => Some(crate::timeshap::run(&crate::timeshap::SequenceRequest {
            model: args.model.as_deref(),
            plugin: args.plugin.as_deref(),
            sequences,
            options: &args.timeshap,
            estimator: args.options.estimator.map(Estimator::from),
            engine: &args.engine,
            output: &args.output,
            force: args.force,
        })),
        (Some(_), InputKind::Rows) => Some(Err(CliError::input(format!(
            "{} explains rows of a CSV file (--input); --sequences is for sequence methods such as TimeSHAP (--method timeshap)",
            args.method.cli_name()
        )))),
        (None, InputKind::Sequences) => Some(Err(CliError::input(format!(
            "{} explains sequences: give them with --sequences FILE (see lumen models --sample fraud-gru)",
            args.method.cli_name()
        )))),
        (None, InputKind::Rows) => None,
    }
}

/// The rows of an encoded file as the doubles a double-precision model takes.
fn exact(rows: &Rows) -> CliResult<&[f64]> {
    rows.doubles.as_deref().ok_or_else(|| {
        CliError::input(format!(
            "{}: the model takes doubles; give its input columns (--input-form encoded), which are read as \
             doubles, rather than raw attributes, which are encoded in float",
            rows.source
        ))
    })
}

/// Runs `lumen explain`.
pub fn run(args: &ExplainArgs) -> CliResult {
    args.options.check_sampling_flags(args.method)?;
    if let Some(result) = sequences(args) {
        return result;
    }
    let model = load_model(args.model.as_deref(), args.plugin.as_deref())?;
    let input = args.input.as_deref().ok_or_else(|| CliError::input("--input CSV is required"))?;
    let id_column = args.id_column.as_deref();
    let rows = read_model_rows(input, &model, args.input_form, id_column, true)?;
    let background = match &args.options.background {
        Some(path) => read_model_rows(path, &model, args.input_form, id_column, false)?,
        None => match &model.background {
            Some(values) => Rows { values: values.clone(), doubles: None, ..rows.clone() },
            None => rows.clone(),
        },
    };
    let json_path = args.output.join("explanation.json");
    let csv_name = if args.method == MethodName::PermuteAttack { "counterfactuals.csv" } else { "attributions.csv" };
    let csv_path = args.output.join(csv_name);
    refuse_existing(&[json_path.clone(), csv_path.clone()], args.force)?;
    let engine: Engine = args.engine.engine()?;
    let labels = rows.labels();
    let key = id_column.unwrap_or("row");
    // Rows named by --id-column draw from their id's key: one applicant re-explained alone
    // gets the values of any batch it was in.
    let row_keys = rows.ids.as_ref().map(|ids| ids.iter().map(|id| row_key_of_bytes(id.as_bytes())).collect());
    let outcome = match model.element_type() {
        ElementType::F32 => {
            let request = Request {
                engine: &engine,
                model: &model,
                evaluator: model.typed::<f32>()?,
                inputs: &rows.values,
                rows: rows.rows,
                background: &background.values,
                budget: args.engine.budget(),
                options: &args.options,
            };
            progress::run(args.method, &request, &rows.source, row_keys)?
        }
        ElementType::F64 => {
            let request = Request {
                engine: &engine,
                model: &model,
                evaluator: model.typed::<f64>()?,
                inputs: exact(&rows)?,
                rows: rows.rows,
                background: exact(&background)?,
                budget: args.engine.budget(),
                options: &args.options,
            };
            progress::run(args.method, &request, &rows.source, row_keys)?
        }
    };
    create_dir(&args.output)?;
    let io = |e: lumen::Error| CliError::output(e.to_string());
    match outcome {
        Outcome::Attributions(explanation) => {
            let mut context = context(&model, &explanation, &rows.values, &rows.source, labels.clone());
            context.id_column = args.id_column.clone();
            context.input_form = Some(rows.form);
            write_file(
                &json_path,
                crate::report::record::with_context(&explanation.to_json().map_err(io)?, &context)?,
            )?;
            write_file(&csv_path, attributions_csv(&explanation, key, &labels)?)?;
            print_summary(&explanation, &labels, &model);
        }
        Outcome::Counterfactuals(result) => {
            let mut context = counterfactual_context(&model, &result, &rows.values, &rows.source, labels.clone());
            context.id_column = args.id_column.clone();
            write_file(&json_path, crate::report::record::with_context(&result.to_json().map_err(io)?, &context)?)?;
            write_file(&csv_path, counterfactuals_csv(&result, &model, key, &labels)?)?;
            let found = result.instances.iter().filter(|i| i.counterfactuals.iter().any(|c| c.success)).count();
            println!(
                "permute-attack on {} ({} rows of {}): {found} rows with a counterfactual that reaches the target; {} model rows evaluated",
                model.name,
                result.instances.len(),
                rows.source,
                result.audit.model_rows_evaluated
            );
        }
    }
    println!("Wrote {} and {}", json_path.display(), csv_path.display());
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
