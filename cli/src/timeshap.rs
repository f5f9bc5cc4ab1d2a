//! TimeSHAP from the command line: `lumen explain --sequences FILE --model fraud-gru
//! --method timeshap`, and the pieces the demo's fraud section shares with it (parameters,
//! the explanation of one sequence at the chosen levels, its record and its printout).
//!
//! Per sequence: the full pruning curve (every split, for the report's plot), then the
//! chosen levels on the pruning at η (`--tolerance`, default 0.025, the demo's value: on
//! the fraud GRU's probabilities it keeps the takeover's events and lumps everyday
//! history). Cell level picks its relevant events and features by top-k
//! (`--relevant-events`, `--relevant-features`) or by a threshold on |value|
//! (`--relevance-threshold`). Output: one audit record per sequence and level
//! (`explanation-<k>-<level>.json`, k the sequence's position in the file) with the
//! command's context, and `timeshap.csv` with every value.

use std::path::Path;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use lumen::engine::call_control::{CallControl, ControlScope};
use lumen::engine::row_keys::row_key_of_bytes;
use lumen::explain::shapley::Estimator;
use lumen::explain::timeshap::{
    timeshap_cell, timeshap_event, timeshap_feature, timeshap_local, timeshap_prune, CellRelevance, Level, Player,
    Pruning, TimeShapExplanation, TimeShapParams,
};
use lumen::{Engine, SequenceModel};

use crate::error::{create_dir, write_file, CliError, CliResult};
use crate::model::fraud;
use crate::report::record::{with_context, Context, CurvePoint, SequenceContext};
use crate::sequences::read_sequences;
use crate::EngineArgs;

/// The pruning tolerance η used unless `--tolerance` says otherwise.
pub const DEFAULT_TOLERANCE: f64 = 0.025;

/// Which levels `lumen explain --method timeshap` computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelChoice {
    /// One value per unpruned event and one for the pruned events.
    Event,
    /// One value per feature (over the unpruned events) and one for the pruned events.
    Feature,
    /// The paper's cell groups around the relevant events and features.
    Cell,
    /// Event, feature and cell level on one shared pruning.
    All,
}

/// TimeSHAP's options of `lumen explain`.
#[derive(Debug, Clone, Args)]
pub struct TimeShapOptions {
    /// TimeSHAP: the level(s) explained.
    #[arg(long, value_enum, default_value_t = LevelChoice::All)]
    pub level: LevelChoice,
    /// TimeSHAP: the pruning tolerance η (older events whose exact Shapley value is at most
    /// η in magnitude are lumped into one player), in the model's output units.
    #[arg(long, default_value_t = DEFAULT_TOLERANCE, allow_negative_numbers = true)]
    pub tolerance: f64,
    /// TimeSHAP: prune nothing (every event is a player).
    #[arg(long, conflicts_with = "tolerance")]
    pub no_pruning: bool,
    /// TimeSHAP: a fixed pruning index instead of a tolerance (the timeshap package's
    /// `pruning_idx`): -K keeps the newest K events as players and lumps the older ones.
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = ["tolerance", "no_pruning"])]
    pub pruning_index: Option<i64>,
    /// TimeSHAP cell level: the events of largest |value| that count as relevant.
    #[arg(long, default_value_t = 3)]
    pub relevant_events: usize,
    /// TimeSHAP cell level: the features of largest |value| that count as relevant.
    #[arg(long, default_value_t = 3)]
    pub relevant_features: usize,
    /// TimeSHAP cell level: relevant events and features are those with |value| at least
    /// this (instead of the top-k of --relevant-events and --relevant-features).
    #[arg(long, allow_negative_numbers = true)]
    pub relevance_threshold: Option<f64>,
}

impl TimeShapOptions {
    /// The cell-level relevance these options describe.
    pub fn relevance(&self) -> CellRelevance {
        match self.relevance_threshold {
            Some(t) => CellRelevance::Threshold { events: t, features: t },
            None => CellRelevance::TopK { events: self.relevant_events, features: self.relevant_features },
        }
    }
}

/// TimeSHAP's parameters on the fraud GRU: the paper's average-event background, η, and
/// the coalition budget (the paper's 32000 unless `budget`).
pub fn params(tolerance: Option<f64>, budget: Option<usize>) -> CliResult<TimeShapParams> {
    let mut params = TimeShapParams::new(fraud::background()?);
    params.tolerance = tolerance;
    if let Some(budget) = budget {
        params.budget = budget;
    }
    Ok(params)
}

/// The snake_case name of a level.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Event => "event",
        Level::Feature => "feature",
        Level::Cell => "cell",
    }
}

/// One sequence explained: the full pruning curve and the explanations of the chosen levels.
pub struct SequenceExplanation {
    /// Every split's values (pruned length read off at the explanations' η).
    pub curve: Pruning,
    /// The explanations, in the order event, feature, cell (those chosen).
    pub levels: Vec<TimeShapExplanation>,
}

impl SequenceExplanation {
    /// The explanation at `level`, when it was computed.
    pub fn level(&self, level: Level) -> Option<&TimeShapExplanation> {
        self.levels.iter().find(|e| e.level == level)
    }
}

/// Explains one sequence of `seq_len` events at `choice`.
pub fn explain_sequence(
    engine: &Engine,
    model: &dyn SequenceModel,
    sequence: &[f32],
    seq_len: usize,
    params: &TimeShapParams,
    choice: LevelChoice,
    relevance: &CellRelevance,
) -> CliResult<SequenceExplanation> {
    // The curve is the tolerance search's, also beside a fixed pruning index.
    let search = TimeShapParams { pruning_index: None, ..params.clone() };
    let curve = timeshap_prune(engine, model, sequence, seq_len, &search, true)?;
    let levels = match choice {
        LevelChoice::Event => vec![timeshap_event(engine, model, sequence, seq_len, params)?],
        LevelChoice::Feature => vec![timeshap_feature(engine, model, sequence, seq_len, params)?],
        LevelChoice::Cell => vec![timeshap_cell(engine, model, sequence, seq_len, params, relevance)?],
        LevelChoice::All => {
            let local = timeshap_local(engine, model, sequence, seq_len, params, relevance)?;
            vec![local.event, local.feature, local.cell]
        }
    };
    Ok(SequenceExplanation { curve, levels })
}

/// The command's context of a sequence: its id, its events in words and the full curve.
pub fn sequence_context(id: &str, events: Vec<String>, curve: &Pruning) -> SequenceContext {
    SequenceContext {
        id: id.to_owned(),
        events,
        curve: curve.curve.iter().map(|p| CurvePoint { newer_len: p.newer_len, older_value: p.older_value }).collect(),
    }
}

/// The audit record of one level's explanation with the command's context.
pub fn record(explanation: &TimeShapExplanation, source: &str, sequence: &SequenceContext) -> CliResult<String> {
    let context = Context {
        model: fraud::NAME.to_owned(),
        source: source.to_owned(),
        output_label: fraud::OUTPUT_LABEL.to_owned(),
        row_labels: vec![format!("sequence {}", sequence.id)],
        sequence: Some(sequence.clone()),
        ..Default::default()
    };
    let json = explanation.explanation.to_json().map_err(|e| CliError::output(e.to_string()))?;
    with_context(&json, &context)
}

/// The players of `explanation`, largest |value| first, at most `top`.
pub fn top_players(explanation: &TimeShapExplanation, top: usize) -> Vec<usize> {
    let values = explanation.values();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()).then(a.cmp(&b)));
    order.truncate(top);
    order
}

/// A player's name, with the event in words for an event player.
pub fn player_label(explanation: &TimeShapExplanation, player: usize, events: &[String]) -> String {
    let name = explanation.explanation.feature_name(player);
    match explanation.players.get(player) {
        Some(Player::Event { event }) => match events.get(*event) {
            Some(words) => format!("{name} ({words})"),
            None => name,
        },
        Some(Player::PrunedEvents) => format!("{name} (the {} older events)", explanation.pruning.split()),
        _ => name,
    }
}

/// A signed value with four decimals, or in e-notation when those would show only zeros.
fn signed(value: f32) -> String {
    if value == 0.0 || value.abs() >= 5e-5 {
        format!("{value:+.4}")
    } else {
        format!("{value:+.1e}")
    }
}

/// Prints the `top` players of `explanation`, one per line, indented by `indent`.
pub fn print_top(explanation: &TimeShapExplanation, top: usize, events: &[String], indent: &str) {
    let errors = explanation.explanation.standard_errors.as_deref().unwrap_or_default();
    for player in top_players(explanation, top) {
        let error = errors.get(player).filter(|e| **e > 0.0).map(|e| format!(" ± {e:.4}")).unwrap_or_default();
        println!(
            "{indent}{:>8}{error}  {}",
            signed(explanation.values()[player] as f32),
            player_label(explanation, player, events)
        );
    }
}

/// The CSV of values: one line per sequence, level and player.
pub fn values_csv(explained: &[(String, SequenceExplanation)]) -> CliResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CliError::output(format!("timeshap.csv: {e}"));
    writer
        .write_record([
            "sequence_id",
            "level",
            "player",
            "value",
            "standard_error",
            "prediction",
            "base_value",
            "sequence_len",
            "pruned_len",
        ])
        .map_err(io)?;
    for (id, sequence) in explained {
        for explanation in &sequence.levels {
            let e = &explanation.explanation;
            let errors = e.standard_errors.as_deref().unwrap_or_default();
            for (player, value) in explanation.values().iter().enumerate() {
                writer
                    .write_record([
                        id.clone(),
                        level_name(explanation.level).to_owned(),
                        e.feature_name(player),
                        e.audit.element_type.shortest(*value),
                        errors.get(player).map_or_else(String::new, |&s| e.audit.element_type.shortest(s)),
                        e.audit.element_type.shortest(e.predictions[0]),
                        e.audit.element_type.shortest(e.base_values[0]),
                        explanation.pruning.sequence_len.to_string(),
                        explanation.pruning.pruned_len.to_string(),
                    ])
                    .map_err(io)?;
            }
        }
    }
    String::from_utf8(writer.into_inner().map_err(|e| CliError::output(e.to_string()))?)
        .map_err(|e| CliError::output(e.to_string()))
}

/// The sequence model `--model` names (only the built-in `fraud-gru`; plugins are row models).
fn sequence_model(model: Option<&str>, plugin: Option<&Path>) -> CliResult<&'static dyn SequenceModel> {
    match (model, plugin) {
        (Some(fraud::NAME), None) => Ok(fraud::model()),
        (Some(name), None) => Err(CliError::model(format!(
            "{name} is not a sequence model; TimeSHAP explains the built-in sequence model {}",
            fraud::NAME
        ))),
        (None, Some(path)) => Err(CliError::model(format!(
            "{}: plugins are row models; TimeSHAP explains the built-in sequence model {}",
            path.display(),
            fraud::NAME
        ))),
        _ => Err(CliError::model("give exactly one of --model NAME and --plugin FILE")),
    }
}

/// Where `lumen explain --method timeshap` reads and writes.
pub struct SequenceRequest<'a> {
    /// `--model`.
    pub model: Option<&'a str>,
    /// `--plugin`.
    pub plugin: Option<&'a Path>,
    /// `--sequences`.
    pub sequences: &'a Path,
    /// TimeSHAP's options.
    pub options: &'a TimeShapOptions,
    /// `--estimator`: how the sampled levels fit their coalitions (`None`: Lumen's default).
    pub estimator: Option<Estimator>,
    /// The engine flags.
    pub engine: &'a EngineArgs,
    /// `--output`.
    pub output: &'a Path,
    /// `--force`: overwrite the records and timeshap.csv of an earlier run.
    pub force: bool,
}

/// Runs `lumen explain --sequences FILE --method timeshap`.
pub fn run(request: &SequenceRequest<'_>) -> CliResult {
    let model = sequence_model(request.model, request.plugin)?;
    let sequences = read_sequences(request.sequences, &fraud::feature_names())?;
    let options = request.options;
    let tolerance = (!options.no_pruning).then_some(options.tolerance);
    let mut params = params(tolerance, request.engine.budget())?;
    if options.pruning_index.is_some() {
        params.tolerance = None;
        params.pruning_index = options.pruning_index;
    }
    params.estimator = request.estimator.unwrap_or(params.estimator);
    let engine = request.engine.engine()?;
    let relevance = options.relevance();
    let mut earlier = crate::output::matching(request.output, "explanation-", ".json");
    earlier.insert(0, request.output.join("timeshap.csv"));
    crate::output::refuse_existing(&earlier, request.force)?;
    let spinner =
        crate::progress::counted(sequences.ids.len() as u64, "sequences", format!("timeshap on {}", sequences.source));
    let mut explained = Vec::with_capacity(sequences.ids.len());
    for (k, id) in sequences.ids.iter().enumerate() {
        let events = sequences.sequence(k);
        // A sequence draws from its id's key, as a row does from --id-column's.
        let keyed = CallControl::new(None, None, None, None).with_row_keys(vec![row_key_of_bytes(id.as_bytes())]);
        let result = {
            let _scope = ControlScope::enter(Some(Arc::new(keyed)));
            explain_sequence(&engine, model, events, sequences.lengths[k], &params, options.level, &relevance)
        }
        .map_err(|e| CliError::new(e.category(), format!("sequence '{id}': {e}")))?;
        explained.push((id.clone(), result));
        spinner.inc(1);
    }
    spinner.finish_and_clear();
    create_dir(request.output)?;
    let mut written = Vec::new();
    for (k, (id, result)) in explained.iter().enumerate() {
        let words: Vec<String> =
            sequences.sequence(k).chunks_exact(sequences.features).map(fraud::describe_encoded).collect();
        let context = sequence_context(id, words, &result.curve);
        for explanation in &result.levels {
            let path = request.output.join(format!("explanation-{}-{}.json", k + 1, level_name(explanation.level)));
            write_file(&path, record(explanation, &sequences.source, &context)?)?;
            written.push(path);
        }
        if k < 5 {
            print_sequence(id, result, &context.events);
        }
    }
    if explained.len() > 5 {
        println!("… {} more sequences in timeshap.csv", explained.len() - 5);
    }
    let csv_path = request.output.join("timeshap.csv");
    write_file(&csv_path, values_csv(&explained)?)?;
    let rows: u64 =
        explained.iter().flat_map(|(_, r)| &r.levels).map(|e| e.explanation.audit.model_rows_evaluated).sum();
    println!(
        "TimeSHAP on {} ({} sequences of {}): {rows} model rows evaluated, seed {}",
        fraud::NAME,
        explained.len(),
        sequences.source,
        request.engine.seed
    );
    println!(
        "Wrote {} explanation records ({} …) and {}",
        written.len(),
        written.first().map_or_else(String::new, |p| p.display().to_string()),
        csv_path.display()
    );
    Ok(())
}

/// Prints one sequence's headline: score, base, pruning and the top players of each level.
fn print_sequence(id: &str, result: &SequenceExplanation, events: &[String]) {
    let Some(first) = result.levels.first() else { return };
    let e = &first.explanation;
    let pruning = &first.pruning;
    let eta = pruning.tolerance.map_or_else(|| "no pruning".to_owned(), |t| format!("η = {t}"));
    println!(
        "sequence {id}: {} events, {} {:.4}, base {:.4}; pruned to the last {} events ({eta})",
        pruning.sequence_len,
        fraud::OUTPUT_LABEL,
        e.predictions[0],
        e.base_values[0],
        pruning.pruned_len
    );
    for explanation in &result.levels {
        println!("  {} level ({} players):", level_name(explanation.level), explanation.players.len());
        print_top(explanation, 3, events, "    ");
    }
}
