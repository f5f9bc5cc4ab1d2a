//! The demo's fraud section: the built-in account-takeover GRU on synthetic hold-out
//! histories, explained by TimeSHAP. The first hold-out takeover gets the whole local
//! treatment (pruning at η = 0.025, event, feature and cell level with the top 3 events
//! and features relevant); a global study over the first `--histories` hold-out
//! histories gives the paper's pruning table for η ∈ {0.005, 0.025, 0.1} and event
//! importance by distance from the most recent event.
//!
//! η = 0.025 (2.5 points of takeover probability): on this model, older everyday events
//! carry far less than that once the takeover's events are kept apart, while every event
//! of the takeover carries far more, so pruning keeps the takeover and lumps the rest.
//! The global study runs 3 seeds per sequence (the paper runs 10) to keep the demo fast;
//! its sampled values use the same budget as the local explanations.

use lumen::explain::timeshap::{timeshap_global, CellRelevance, GlobalParams, GlobalReport, Level};
use lumen_models::fraud::{generate_history, AccountHistory, GeneratorConfig, FEATURES};

use super::{DemoContext, DemoRecord, DemoSection};
use crate::error::{CliError, CliResult};
use crate::model::fraud;
use crate::report::record::Context;
use crate::report::timeshap::GLOBAL_KIND;
use crate::timeshap::{self, explain_sequence, print_top, sequence_context, LevelChoice};

/// The demo's pruning tolerance η.
pub const TOLERANCE: f64 = 0.025;

/// The η of the global pruning table.
pub const TABLE_TOLERANCES: [f64; 3] = [0.005, 0.025, 0.1];

/// Seeds per sequence for the global study's relative standard deviation.
pub const GLOBAL_SEEDS: u32 = 3;

/// Players listed per level.
const TOP: usize = 3;

/// The fraud section.
pub struct FraudSection;

/// The first hold-out history that ends in a takeover.
fn first_takeover() -> AccountHistory {
    (0..)
        .map(|index| generate_history(&GeneratorConfig::HOLDOUT, index))
        .find(AccountHistory::is_fraud)
        .unwrap_or_else(|| generate_history(&GeneratorConfig::HOLDOUT, 0))
}

impl DemoSection for FraudSection {
    fn name(&self) -> &'static str {
        "fraud sequences"
    }

    fn introduction(&self) -> String {
        "Fraud sequences (synthetic account-takeover histories from a seeded generator): the built-in GRU's \
         probability of a takeover, explained by TimeSHAP: temporal pruning, event, feature and cell level on a \
         hold-out takeover, and a global study of hold-out histories."
            .to_owned()
    }

    fn run(&self, demo: &DemoContext<'_>) -> CliResult<Vec<DemoRecord>> {
        let engine = demo.engine;
        let model = fraud::model();
        let params = timeshap::params(Some(TOLERANCE), demo.args.engine.budget())?;
        let relevance = CellRelevance::TopK { events: TOP, features: TOP };
        let history = first_takeover();
        let id = format!("holdout-{}", history.index);
        let sequence = history.encoded();
        let local = explain_sequence(engine, model, &sequence, history.len(), &params, LevelChoice::All, &relevance)?;
        let events = fraud::describe_history(&history);
        let context = sequence_context(&id, events.clone(), &local.curve);
        let missing = || CliError::output("timeshap: a level is missing");
        let event = local.level(Level::Event).ok_or_else(missing)?;
        let feature = local.level(Level::Feature).ok_or_else(missing)?;
        let cell = local.level(Level::Cell).ok_or_else(missing)?;
        let pruning = &event.pruning;

        println!("\nFraud sequences: account-takeover GRU (8 features per event, 16 hidden units), TimeSHAP");
        println!(
            "Hold-out history {id}: {} events, the takeover starts at event {} of {}; {} {:.3} (base {:.4}: the average event)",
            history.len(),
            history.ending_start.map_or(0, |s| s + 1),
            history.len(),
            fraud::OUTPUT_LABEL,
            event.explanation.predictions[0],
            event.explanation.base_values[0]
        );
        println!(
            "  Pruning (η = {TOLERANCE}): {} of {} events kept as players, the {} older events lumped into one ({} model rows)",
            pruning.pruned_len,
            pruning.sequence_len,
            pruning.split(),
            local.curve.model_rows_evaluated
        );
        let exact = |e: &timeshap::SequenceExplanation, level| {
            e.level(level).map_or("", |x| if x.exact { "exact" } else { "sampled" })
        };
        println!("  Top events ({} players, {}):", event.players.len(), exact(&local, Level::Event));
        print_top(event, TOP, &events, "    ");
        println!("  Top features ({} players, {}):", feature.players.len(), exact(&local, Level::Feature));
        print_top(feature, TOP, &events, "    ");
        println!("  Top cells ({} players, {}):", cell.players.len(), exact(&local, Level::Cell));
        print_top(cell, TOP, &events, "    ");

        let count = usize::from(demo.args.histories);
        let histories: Vec<AccountHistory> =
            (0..count as u64).map(|index| generate_history(&GeneratorConfig::HOLDOUT, index)).collect();
        let lengths: Vec<usize> = histories.iter().map(AccountHistory::len).collect();
        let data: Vec<f32> = histories.iter().flat_map(AccountHistory::encoded).collect();
        debug_assert_eq!(data.len(), lengths.iter().sum::<usize>() * FEATURES);
        let mut global_params = GlobalParams::new(params.clone(), TABLE_TOLERANCES.to_vec());
        global_params.seeds = GLOBAL_SEEDS;
        let global = timeshap_global(engine, model, &data, &lengths, &global_params)?;
        print_global(&global);

        let source = "synthetic hold-out histories (GeneratorConfig::HOLDOUT)";
        let mut records = Vec::new();
        for explanation in [event, feature, cell] {
            records.push(DemoRecord {
                name: format!("fraud-timeshap-{}", timeshap::level_name(explanation.level)),
                json: timeshap::record(explanation, &format!("{source}, history {}", history.index), &context)?,
            });
        }
        records.push(DemoRecord { name: "fraud-timeshap-global".to_owned(), json: global_record(&global, source)? });
        Ok(records)
    }
}

/// Prints the global study: the pruning table and the most recent events' importance.
fn print_global(global: &GlobalReport) {
    println!("  Global study of {} hold-out histories (pruning table, as in the paper):", global.sequences);
    println!(
        "    {:>7}  {:>8}  {:>10}  {:>7}  {:>13}  {:>12}",
        "η", "mean len", "median len", "max len", "exact share", "rel. std"
    );
    for row in &global.pruning_table {
        println!(
            "    {:>7}  {:>8.1}  {:>10.1}  {:>7}  {:>12.0} %  {:>12.4}",
            row.tolerance,
            row.mean_len,
            row.median_len,
            row.max_len,
            100.0 * row.exact_share,
            row.relative_std
        );
    }
    let distances: Vec<String> = global
        .event_importance
        .iter()
        .take(4)
        .map(|d| format!("Event -{} {:+.4}", d.distance + 1, d.summary.mean))
        .collect();
    println!("    mean event value by distance: {}", distances.join(", "));
    println!(
        "    the most recent event carries {:.0} % of f(x) − base on average ({} model rows for the study)",
        100.0 * global.most_recent_share.mean,
        global.audit.model_rows_evaluated
    );
}

/// The global report as a record: the engine's JSON with `kind` and the command's context.
fn global_record(global: &GlobalReport, source: &str) -> CliResult<String> {
    let io = |e: String| CliError::output(format!("timeshap global record: {e}"));
    let mut value: serde_json::Value =
        serde_json::from_str(&global.to_json().map_err(|e| io(e.to_string()))?).map_err(|e| io(e.to_string()))?;
    let context = Context {
        model: fraud::NAME.to_owned(),
        source: source.to_owned(),
        output_label: fraud::OUTPUT_LABEL.to_owned(),
        ..Default::default()
    };
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("kind".to_owned(), GLOBAL_KIND.into());
        map.insert("context".to_owned(), serde_json::to_value(context).map_err(|e| io(e.to_string()))?);
    }
    serde_json::to_string_pretty(&value).map_err(|e| io(e.to_string()))
}
