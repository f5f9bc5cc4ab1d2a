//! The `lumen` command's library: its subcommands, the model registry, the method registry,
//! the plots and the HTML report. The binary (`src/main.rs`) only calls [`main`].
//!
//! - `lumen demo`: the built-in models on the shipped data, a printed summary and a report;
//! - `lumen explain`: rows from a CSV file, a model (built-in or plugin), a method → the
//!   explanation's audit JSON and a CSV; or sequences from a sequence file ([`sequences`])
//!   explained by TimeSHAP on the built-in `fraud-gru` ([`timeshap`]);
//! - `lumen report`: one self-contained HTML report from explanation JSON files;
//! - `lumen models`: the built-in models, and sample rows (or sequences) in their file format.
//!
//! Exit codes: 0 success, 1 the explanation failed, 2 a malformed command line, 3 a
//! missing or malformed input file, 4 a model that cannot be loaded or used, 5 an output
//! that cannot be written. Every failure prints one line `lumen: <reason>` on stderr.

#![warn(missing_docs)]

pub mod demo;
pub mod error;
pub mod explain;
pub mod input;
pub mod methods;
pub mod model;
pub mod output;
pub mod plot;
pub mod progress;
pub mod report;
pub mod schema;
pub mod sequences;
pub mod text;
pub mod timeshap;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use error::{CliError, CliResult};
use lumen::{Engine, EngineConfig};

/// Lumen: attributions and counterfactuals for models you can call.
#[derive(Debug, Parser)]
#[command(name = "lumen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explain the built-in models on the shipped data (German Credit: KernelSHAP, reason
    /// codes, counterfactuals; fraud sequences: TimeSHAP pruning, events, features, cells;
    /// digits: Occlusion, Integrated Gradients, Grad-CAM), print a summary and write a report.
    Demo(demo::DemoArgs),
    /// Explain rows of a CSV file with a built-in model or a plugin, or sequences of events
    /// (--sequences) with TimeSHAP.
    Explain(Box<explain::ExplainArgs>),
    /// Write one self-contained HTML report from explanation JSON files.
    Report(report::ReportArgs),
    /// List the built-in models, or print sample rows of one in its CSV format.
    Models(ModelsArgs),
}

/// The compute backend, as on the C ABI.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Backend {
    /// CUDA when available, else the CPU.
    Auto,
    /// The rayon CPU backend.
    Cpu,
    /// The CUDA backend (an error when unavailable).
    Cuda,
}

impl From<Backend> for lumen::BackendChoice {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Auto => Self::Auto,
            Backend::Cpu => Self::Cpu,
            Backend::Cuda => Self::Cuda,
        }
    }
}

/// The engine flags every explaining command takes.
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Seed of every random choice (sampled coalitions, noise, searches); recorded in the audit.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute backend.
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// Worker threads (0: one per core); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Evaluation budget of sampled methods: KernelSHAP coalitions per row, Shapley
    /// sampling permutation pairs, IG steps, GradientSHAP / NoiseTunnel samples,
    /// PermuteAttack generations (default: each method's own).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub budget: Option<u64>,
    /// Memory the engine may hold for perturbed rows at once, in MiB.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    pub memory_mib: u64,
}

impl EngineArgs {
    /// The engine these flags describe.
    pub fn engine(&self) -> CliResult<Engine> {
        Ok(Engine::new(EngineConfig {
            backend: self.backend.into(),
            threads: self.threads,
            seed: self.seed,
            memory_budget_bytes: usize::try_from(self.memory_mib << 20).unwrap_or(usize::MAX),
        })?)
    }

    /// `--budget` as a count.
    pub fn budget(&self) -> Option<usize> {
        self.budget.map(|b| usize::try_from(b).unwrap_or(usize::MAX))
    }
}

/// Options of `lumen models`.
#[derive(Debug, Args)]
struct ModelsArgs {
    /// Print `--rows` rows of this model's shipped data that it was not trained on, as a
    /// CSV with its column names (input for `lumen explain`); for the sequence model
    /// fraud-gru, `--rows` hold-out sequences as a sequence file (input for --sequences).
    #[arg(long, value_name = "MODEL")]
    sample: Option<String>,
    /// Print the raw attributes of this model: names, units, category labels and codes
    /// (the columns of a raw input file).
    #[arg(long, value_name = "MODEL", conflicts_with = "sample")]
    schema: Option<String>,
    /// Rows (sequences for fraud-gru) to print with --sample; a warning says when the
    /// model has fewer hold-out rows.
    #[arg(long, default_value_t = 5)]
    rows: usize,
    /// The sample's columns: raw attributes (labels, real units) for models with a schema,
    /// or the model's encoded input columns.
    #[arg(long, value_enum, default_value_t = model::sample::SampleForm::Raw)]
    form: model::sample::SampleForm,
    /// Write the sample to this file instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Overwrite --output if it exists (otherwise the command refuses, exit code 5).
    #[arg(long)]
    force: bool,
}

fn models(args: &ModelsArgs) -> CliResult {
    if let Some(name) = &args.schema {
        print!("{}", model::sample::schema_text(name)?);
        return Ok(());
    }
    match &args.sample {
        None => {
            for (name, about) in model::builtin::BUILTIN {
                println!("{name:<22} {about}");
            }
            Ok(())
        }
        Some(name) => {
            if let Some(path) = &args.output {
                output::refuse_existing(std::slice::from_ref(path), args.force)?;
            }
            let sample = model::sample::sample_csv(name, args.rows, args.form)?;
            if sample.rows < args.rows {
                eprintln!(
                    "lumen: warning: {name} has {} hold-out {}; --rows {} gives {}",
                    sample.rows, sample.unit, args.rows, sample.rows
                );
            }
            match &args.output {
                Some(path) => error::write_file(path, sample.csv),
                None => {
                    print!("{}", sample.csv);
                    Ok(())
                }
            }
        }
    }
}

/// Help and version go to stdout as clap writes them; a malformed command line becomes one
/// line `lumen: <what is wrong> (<clap's tip>); try '<command> --help'` on stderr, exit 2.
fn command_line_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // A closed stdout (`lumen --help | true`) leaves nothing to report.
        let _ = error.print();
        return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
    }
    eprintln!("lumen: {}", one_line(&error.render().to_string()));
    ExitCode::from(2)
}

/// Clap's rendered error on one line: the message with the items it lists, its tips in
/// parentheses, and the command whose `--help` to read (clap's `Usage:` block is left
/// out: `--help` prints it).
fn one_line(rendered: &str) -> String {
    let lines: Vec<&str> = rendered.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    let (usage, text) = match lines.iter().position(|line| line.starts_with("Usage:")) {
        Some(at) => (Some(lines[at]), &lines[..at]),
        None => (None, &lines[..]),
    };
    let (tips, details): (Vec<&str>, Vec<&str>) = text
        .iter()
        .skip(1)
        .filter(|line| !line.starts_with("For more information"))
        .partition(|line| line.starts_with("tip: "));
    let message = text.first().map_or("malformed command line", |line| line.trim_start_matches("error: "));
    let mut out = message.trim_end_matches(':').to_owned();
    if !details.is_empty() {
        out = format!("{out}: {}", details.join(", "));
    }
    if !tips.is_empty() {
        let tips: Vec<&str> = tips.iter().map(|tip| tip.trim_start_matches("tip: ")).collect();
        out = format!("{out} ({})", tips.join("; "));
    }
    // `Usage: lumen explain --method …` names the command: the words before the first option.
    let command: Vec<&str> = usage
        .map(|usage| {
            usage
                .trim_start_matches("Usage:")
                .split_whitespace()
                .take_while(|word| !word.starts_with(['-', '<', '[']))
                .collect()
        })
        .unwrap_or_default();
    let command = if command.is_empty() { subcommand_named_in_arguments() } else { command.join(" ") };
    format!("{out}; see '{command} --help'")
}

/// `lumen <subcommand>` when the first argument names one, else `lumen` (for errors whose
/// rendering carries no usage line, such as an invalid value).
fn subcommand_named_in_arguments() -> String {
    use clap::CommandFactory;
    match std::env::args().nth(1) {
        Some(name) if Cli::command().find_subcommand(&name).is_some() => format!("lumen {name}"),
        _ => "lumen".to_owned(),
    }
}

/// Parses the command line, runs the subcommand and turns its failure into one line on
/// stderr and the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return command_line_error(&error),
    };
    let result: Result<(), CliError> = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Models(args) => models(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("lumen: {error}");
            error.exit_code()
        }
    }
}
