//! Writes generated account histories, encoded as the fraud GRU reads them, with the
//! built-in GRU's score of each, as JSON: the input of the Python comparison scripts in
//! `benches/compare/timeshap/`.
//!
//! ```text
//! cargo run --release -p lumen-models --example fraud_sequences -- OUTPUT.json
//!     [--count N] [--seed S] [--min-events A] [--max-events B] [--fraud-only]
//!     [--background N]
//! ```
//!
//! Defaults: 10 histories of `GeneratorConfig::HOLDOUT` (seed, 20–300 events). With
//! `--fraud-only` the first N takeover histories are written (indices kept). The file also
//! holds the average event of the first `--background` (default 1000) training histories
//! (`GeneratorConfig::TRAINING`), TimeSHAP's default background. Every number is an `f32`
//! written exactly (shortest round-trip decimal), so other readers see the same inputs.
//!
//! Output: `{"format": "lumen-fraud-sequences/1", "feature_names": [...],
//! "generator": {...}, "background_histories": N, "average_event": [F numbers],
//! "sequences": [{"index", "ending", "fraud", "ending_start", "length", "score",
//! "events": [[F numbers] per event]}]}`.

use std::path::PathBuf;
use std::process::ExitCode;

use lumen_models::fraud::{
    average_event, generate_histories, generate_history, FraudGru, GeneratorConfig, FEATURES, FEATURE_NAMES,
};
use serde_json::json;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fraud_sequences: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    output: PathBuf,
    count: usize,
    config: GeneratorConfig,
    fraud_only: bool,
    background: usize,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut output = None;
    let mut options = Options {
        output: PathBuf::new(),
        count: 10,
        config: GeneratorConfig::HOLDOUT,
        fraud_only: false,
        background: 1000,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let text = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            text.parse().map_err(|_| format!("{name}: {text:?} is not a whole number"))
        };
        match arg.as_str() {
            "--count" => options.count = value("--count")? as usize,
            "--seed" => options.config.seed = value("--seed")?,
            "--min-events" => options.config.min_events = value("--min-events")? as usize,
            "--max-events" => options.config.max_events = value("--max-events")? as usize,
            "--background" => options.background = value("--background")? as usize,
            "--fraud-only" => options.fraud_only = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            path if output.is_none() => output = Some(PathBuf::from(path)),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    options.output = output.ok_or("usage: fraud_sequences OUTPUT.json [options]")?;
    options.config.validate()?;
    Ok(options)
}

fn run() -> Result<(), String> {
    let options = parse_options()?;
    let model = FraudGru::shared();
    let mut histories = Vec::with_capacity(options.count);
    let mut index = 0u64;
    while histories.len() < options.count {
        if index > 1000 * options.count as u64 + 1000 {
            return Err(format!("found only {} takeovers in the first {index} histories", histories.len()));
        }
        let history = generate_history(&options.config, index);
        if history.is_fraud() || !options.fraud_only {
            histories.push(history);
        }
        index += 1;
    }
    let background = average_event(&generate_histories(&GeneratorConfig::TRAINING, options.background));
    let mut sequences = Vec::with_capacity(histories.len());
    for history in &histories {
        let encoded = history.encoded();
        let mut score = [0.0f32];
        model.predict(&encoded, 1, history.len(), &mut score).map_err(|e| e.to_string())?;
        let events: Vec<&[f32]> = encoded.chunks_exact(FEATURES).collect();
        sequences.push(json!({
            "index": history.index,
            "ending": history.ending,
            "fraud": history.is_fraud(),
            "ending_start": history.ending_start,
            "length": history.len(),
            "score": score[0],
            "events": events,
        }));
    }
    let document = json!({
        "format": "lumen-fraud-sequences/1",
        "feature_names": FEATURE_NAMES,
        "generator": options.config,
        "background_histories": options.background,
        "average_event": background,
        "sequences": sequences,
    });
    let text = serde_json::to_string(&document).map_err(|e| e.to_string())?;
    std::fs::write(&options.output, text)
        .map_err(|error| format!("cannot write {}: {error}", options.output.display()))?;
    eprintln!("wrote {} histories to {}", histories.len(), options.output.display());
    Ok(())
}
