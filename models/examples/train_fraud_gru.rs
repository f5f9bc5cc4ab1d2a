//! Trains the built-in account-takeover GRU and writes its weights file.
//!
//! ```text
//! cargo run --release -p lumen-models --example train_fraud_gru [-- OUTPUT.json]
//! ```
//!
//! Generates `TRAINING_HISTORIES` histories with `GeneratorConfig::TRAINING` and
//! `HOLDOUT_HISTORIES` with `GeneratorConfig::HOLDOUT`, trains with
//! `TrainingConfig::FRAUD_GRU`, rounds the weights to `f32`, measures the `f32` model on
//! both sets and writes `data/fraud/gru_weights.json` (or `OUTPUT.json`). Deterministic:
//! the same machine writes the same file on every run, whatever the thread count.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use lumen_models::fraud::{
    generate_histories, measure, train, DataDescription, FraudGru, GeneratorConfig, LabelledSequence, RecordedMetrics,
    TrainingConfig, WeightsFile,
};

/// Histories trained on.
const TRAINING_HISTORIES: usize = 6000;
/// Histories held out.
const HOLDOUT_HISTORIES: usize = 4000;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("train_fraud_gru: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let output = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/fraud/gru_weights.json"),
    };
    let data = DataDescription {
        training: GeneratorConfig::TRAINING,
        training_histories: TRAINING_HISTORIES,
        holdout: GeneratorConfig::HOLDOUT,
        holdout_histories: HOLDOUT_HISTORIES,
    };
    let training_histories = generate_histories(&data.training, data.training_histories);
    let holdout_histories = generate_histories(&data.holdout, data.holdout_histories);
    let sequences: Vec<LabelledSequence> = training_histories.iter().map(LabelledSequence::from_history).collect();
    let events: usize = training_histories.iter().map(|h| h.len()).sum();
    let frauds = training_histories.iter().filter(|h| h.is_fraud()).count();
    println!("training on {} histories ({frauds} takeovers, {events} events)", sequences.len());

    let config = TrainingConfig::FRAUD_GRU;
    let started = Instant::now();
    let run = train(&sequences, &config);
    let seconds = started.elapsed().as_secs_f64();
    for (epoch, loss) in run.epoch_losses.iter().enumerate() {
        println!("epoch {:>2}: mean cross-entropy {loss:.4}", epoch + 1);
    }
    println!("trained {} epochs in {seconds:.1} s on {} threads", config.epochs, rayon::current_num_threads());

    let model = FraudGru::from_parameters(config.hidden, run.parameters_f32()).map_err(|e| e.to_string())?;
    let on_training = measure(&model, &training_histories).map_err(|e| e.to_string())?;
    let on_holdout = measure(&model, &holdout_histories).map_err(|e| e.to_string())?;
    let metrics = RecordedMetrics {
        training_auc: on_training.auc,
        training_accuracy: on_training.accuracy,
        holdout_auc: on_holdout.auc,
        holdout_accuracy: on_holdout.accuracy,
        holdout_frauds: holdout_histories.iter().filter(|h| h.is_fraud()).count(),
    };
    println!("training: AUC {:.4}, accuracy {:.4}", metrics.training_auc, metrics.training_accuracy);
    println!(
        "hold-out ({} histories, {} takeovers): AUC {:.4}, accuracy {:.4}",
        holdout_histories.len(),
        metrics.holdout_frauds,
        metrics.holdout_auc,
        metrics.holdout_accuracy
    );

    let file = WeightsFile::new(&model, data, config, metrics);
    let json = file.to_json().map_err(|e| e.to_string())?;
    if WeightsFile::parse(&json).as_ref() != Ok(&file) {
        return Err("the written JSON does not read back as the same weights".to_owned());
    }
    std::fs::write(&output, &json).map_err(|error| format!("cannot write {}: {error}", output.display()))?;
    println!("wrote {} ({} bytes)", output.display(), json.len());
    Ok(())
}
