//! Lumen's TimeSHAP on histories written by the `fraud_sequences` example: the Lumen side
//! of `benches/compare/timeshap/run.sh`, printing the fields `compare_timeshap.py` prints
//! for the `timeshap` package, so that `side_by_side.py` can set them next to each other.
//!
//! ```text
//! cargo run --release -p lumen-models --example timeshap_fraud -- SEQUENCES.json
//!     [--tolerance 0.025] [--budget 32000] [--seed 42] [--threads 1] [--reps 5] [--count N]
//!     [--estimator leverage_top_triples]
//! ```
//!
//! Sampled levels are explained once more with the linear fit (`leverage_stratified`,
//! untimed): its standard errors (`linear_*_standard_errors`) are the scale of the
//! `timeshap` package's own sampling error, against which `side_by_side.py` judges the
//! difference.
//!
//! Background: the file's `average_event` (the mean event of the training histories), as
//! on the Python side. Every sequence is explained twice, with the GRU's state path
//! (`use_state = true`, Lumen's default) and by full re-evaluation, each `--reps` times
//! (median wall time reported; values are identical across repetitions). Timed calls:
//! - `pruning`: `timeshap_prune` with η, stopping at the pruned length (Algorithm 1);
//! - `event` / `feature`: `timeshap_event` / `timeshap_feature`, each of which prunes
//!   again before explaining, so Lumen's `total` counts the pruning three times;
//! - `pruning_full_curve` (not in `total`): every split's value, as `timeshap`'s
//!   `local_pruning` computes; its curve is the one printed and compared.
//!
//! Output: one JSON object per line and state setting: `index`, `length`, `use_state`,
//! `score`, `base_score`, `pruned_length`, `pruning_curve` (`[t, value of the events ≤ t]`,
//! t = split − L as in `timeshap`), `events` / `features` (name → value), their
//! `standard_errors`, `event_exact` / `feature_exact`, `model_rows`, `wall_s`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use lumen::explain::shapley::Estimator;
use lumen::explain::timeshap::{
    timeshap_event, timeshap_feature, timeshap_prune, SequenceBackground, TimeShapExplanation, TimeShapParams,
};
use lumen::{Engine, EngineConfig};
use lumen_models::fraud::{FraudSequenceModel, FEATURES, FEATURE_NAMES};
use serde::Deserialize;
use serde_json::{json, Map, Value};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("timeshap_fraud: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line options.
struct Options {
    sequences: PathBuf,
    tolerance: f64,
    budget: usize,
    seed: u64,
    threads: usize,
    reps: usize,
    count: Option<usize>,
    estimator: Estimator,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut sequences = None;
    let mut options = Options {
        sequences: PathBuf::new(),
        tolerance: 0.025,
        budget: 32_000,
        seed: 42,
        threads: 1,
        reps: 5,
        count: None,
        estimator: Estimator::default(),
    };
    while let Some(arg) = args.next() {
        let mut text = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let whole = |name: &str, text: String| -> Result<u64, String> {
            text.parse().map_err(|_| format!("{name}: {text:?} is not a whole number"))
        };
        match arg.as_str() {
            "--tolerance" => {
                let value = text("--tolerance")?;
                options.tolerance = value.parse().map_err(|_| format!("--tolerance: {value:?} is not a number"))?;
            }
            "--budget" => options.budget = whole("--budget", text("--budget")?)? as usize,
            "--seed" => options.seed = whole("--seed", text("--seed")?)?,
            "--threads" => options.threads = whole("--threads", text("--threads")?)? as usize,
            "--reps" => options.reps = (whole("--reps", text("--reps")?)? as usize).max(1),
            "--count" => options.count = Some(whole("--count", text("--count")?)? as usize),
            "--estimator" => {
                let name = text("--estimator")?;
                options.estimator = serde_json::from_value(json!(name))
                    .map_err(|_| format!("--estimator: {name:?} is not an estimator"))?;
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            path if sequences.is_none() => sequences = Some(PathBuf::from(path)),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    options.sequences = sequences.ok_or("usage: timeshap_fraud SEQUENCES.json [options]")?;
    if !options.tolerance.is_finite() || options.tolerance < 0.0 {
        return Err(format!("--tolerance is {}, expected a finite η >= 0", options.tolerance));
    }
    Ok(options)
}

/// The file written by the `fraud_sequences` example (the fields read here).
#[derive(Deserialize)]
struct SequencesFile {
    format: String,
    feature_names: Vec<String>,
    average_event: Vec<f32>,
    sequences: Vec<Sequence>,
}

/// One history of the file.
#[derive(Deserialize)]
struct Sequence {
    index: u64,
    length: usize,
    score: f32,
    events: Vec<Vec<f32>>,
}

fn read_sequences(options: &Options) -> Result<SequencesFile, String> {
    let path = options.sequences.display();
    let text = std::fs::read_to_string(&options.sequences).map_err(|error| format!("cannot read {path}: {error}"))?;
    let mut file: SequencesFile = serde_json::from_str(&text).map_err(|error| format!("{path}: {error}"))?;
    if file.format != "lumen-fraud-sequences/1" {
        return Err(format!("{path}: format {:?}, expected \"lumen-fraud-sequences/1\"", file.format));
    }
    if file.feature_names != FEATURE_NAMES {
        return Err(format!("{path}: feature names {:?} differ from the GRU's", file.feature_names));
    }
    if let Some(count) = options.count {
        file.sequences.truncate(count);
    }
    for sequence in &file.sequences {
        if sequence.events.len() != sequence.length || sequence.events.iter().any(|e| e.len() != FEATURES) {
            return Err(format!(
                "{path}: sequence {} is not {} events of {FEATURES} values",
                sequence.index, sequence.length
            ));
        }
    }
    Ok(file)
}

/// Runs `f` `reps` times; its last result and the median wall time in seconds.
fn timed<T>(reps: usize, mut f: impl FnMut() -> lumen::Result<T>) -> Result<(T, f64), String> {
    let mut times = Vec::with_capacity(reps);
    let mut result = None;
    for _ in 0..reps {
        let start = Instant::now();
        result = Some(f().map_err(|error| error.to_string())?);
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok((result.expect("reps >= 1"), times[times.len() / 2]))
}

/// Player name → value, and player name → standard error.
fn named_values(explanation: &TimeShapExplanation) -> (Map<String, Value>, Map<String, Value>) {
    let names = explanation.explanation.feature_names.as_deref().unwrap_or_default();
    let errors = explanation.explanation.standard_errors.as_deref().unwrap_or_default();
    let values = names.iter().zip(explanation.values()).map(|(n, &v)| (n.clone(), json!(v))).collect();
    let errors = names.iter().zip(errors).map(|(n, &e)| (n.clone(), json!(e))).collect();
    (values, errors)
}

fn explain(
    engine: &Engine,
    model: &FraudSequenceModel,
    sequence: &Sequence,
    params: &TimeShapParams,
    reps: usize,
) -> Result<Value, String> {
    let events: Vec<f32> = sequence.events.concat();
    let l = sequence.length;
    let (pruning, pruning_s) = timed(reps, || timeshap_prune(engine, model, &events, l, params, false))?;
    let (curve, curve_s) = timed(reps, || timeshap_prune(engine, model, &events, l, params, true))?;
    if curve.pruned_len != pruning.pruned_len {
        return Err(format!(
            "sequence {}: the full curve prunes to {} events, the walk to {}",
            sequence.index, curve.pruned_len, pruning.pruned_len
        ));
    }
    let (event, event_s) = timed(reps, || timeshap_event(engine, model, &events, l, params))?;
    let (feature, feature_s) = timed(reps, || timeshap_feature(engine, model, &events, l, params))?;
    let (event_values, event_errors) = named_values(&event);
    let (feature_values, feature_errors) = named_values(&feature);
    // The sampled levels once more with the linear fit (untimed): its standard errors are
    // the scale of the `timeshap` package's own sampling error (the same linear KernelSHAP
    // at the same budget), which the default's tighter errors are not.
    let linear = TimeShapParams { estimator: Estimator::LeverageStratified, ..params.clone() };
    let errors_of = |explained: lumen::Result<TimeShapExplanation>| {
        explained.map(|e| named_values(&e).1).map_err(|error| error.to_string())
    };
    let linear_event_errors = match event.exact {
        true => Map::new(),
        false => errors_of(timeshap_event(engine, model, &events, l, &linear))?,
    };
    let linear_feature_errors = match feature.exact {
        true => Map::new(),
        false => errors_of(timeshap_feature(engine, model, &events, l, &linear))?,
    };
    let rows = |e: &TimeShapExplanation| e.explanation.diagnostics[0].model_rows_evaluated;
    let points: Vec<Value> = curve.curve.iter().map(|p| json!([p.split as i64 - l as i64, p.older_value])).collect();
    Ok(json!({
        "index": sequence.index,
        "length": l,
        "use_state": params.use_state,
        "score_file": sequence.score,
        "score": pruning.prediction,
        "base_score": pruning.base,
        "tolerance": params.tolerance,
        "budget": params.budget,
        "pruned_length": pruning.pruned_len,
        "pruning_curve": points,
        "events": event_values,
        "event_standard_errors": event_errors,
        "event_exact": event.exact,
        "estimator": params.estimator.name(),
        "linear_event_standard_errors": linear_event_errors,
        "features": feature_values,
        "feature_standard_errors": feature_errors,
        "feature_exact": feature.exact,
        "linear_feature_standard_errors": linear_feature_errors,
        "model_rows": {
            "pruning": pruning.model_rows_evaluated,
            "pruning_full_curve": curve.model_rows_evaluated,
            "event": rows(&event),
            "feature": rows(&feature),
        },
        "wall_s": {
            "pruning": pruning_s,
            "event": event_s,
            "feature": feature_s,
            "total": pruning_s + event_s + feature_s,
            "pruning_full_curve": curve_s,
        },
    }))
}

fn run() -> Result<(), String> {
    let options = parse_options()?;
    let file = read_sequences(&options)?;
    let engine = Engine::new(EngineConfig { threads: options.threads, seed: options.seed, ..Default::default() })
        .map_err(|error| error.to_string())?;
    let model = FraudSequenceModel::built_in();
    let background =
        SequenceBackground::average_event(&file.average_event, FEATURES).map_err(|error| error.to_string())?;
    let mut params = TimeShapParams::new(background);
    params.tolerance = Some(options.tolerance);
    params.budget = options.budget;
    params.estimator = options.estimator;
    for sequence in &file.sequences {
        for use_state in [true, false] {
            params.use_state = use_state;
            let result = explain(&engine, &model, sequence, &params, options.reps)?;
            println!("{result}");
        }
    }
    Ok(())
}
