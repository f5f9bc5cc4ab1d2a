//! Trains the built-in digits network and writes its weights file.
//!
//! ```text
//! cargo run --release -p lumen-models --example train_digits [-- OUTPUT.json]
//! ```
//!
//! Trains on the first 1500 images with `TrainingConfig::DIGITS`, rounds the weights to 6
//! significant digits, measures the rounded network on the training and test rows, and
//! writes `data/digits/cnn_weights.json` (or `OUTPUT.json`). Deterministic: the same
//! machine writes the same file on every run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use lumen_models::digits::{
    train, Cnn, Digits, RecordedAccuracy, TrainingConfig, WeightsFile, TEST_ROWS, TRAINING_ROWS,
};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("train_digits: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let output = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/digits/cnn_weights.json"),
    };
    let data = Digits::shared();
    let config = TrainingConfig::DIGITS;
    let training_labels = &data.labels()[TRAINING_ROWS];
    let test_labels = &data.labels()[TEST_ROWS];

    let started = Instant::now();
    let run = train(data.images_in(TRAINING_ROWS), training_labels, &config);
    let seconds = started.elapsed().as_secs_f64();
    for (epoch, loss) in run.epoch_losses.iter().enumerate() {
        println!("epoch {:>2}: mean cross-entropy {loss:.4}", epoch + 1);
    }
    println!("trained {} epochs on {} images in {seconds:.2} s", config.epochs, training_labels.len());

    let measure = |network: &Cnn<f32>| RecordedAccuracy {
        training_correct: network.correct(data.images_in(TRAINING_ROWS), training_labels),
        training_images: training_labels.len(),
        test_correct: network.correct(data.images_in(TEST_ROWS), test_labels),
        test_images: test_labels.len(),
    };
    let full_precision = measure(&run.network);
    let mut file = WeightsFile::new(&run.network, config, full_precision);
    file.accuracy = measure(&file.network().map_err(|error| error.to_string())?);
    for (weights, accuracy) in [("full-precision", full_precision), ("rounded", file.accuracy)] {
        println!(
            "accuracy, {weights} weights: training {:.4} ({}/{}), test {:.4} ({}/{})",
            accuracy.training(),
            accuracy.training_correct,
            accuracy.training_images,
            accuracy.test(),
            accuracy.test_correct,
            accuracy.test_images,
        );
    }

    let json = file.to_json().map_err(|error| error.to_string())?;
    if WeightsFile::parse(&json).as_ref() != Ok(&file) {
        return Err("the written JSON does not read back as the same weights".to_owned());
    }
    std::fs::write(&output, &json).map_err(|error| format!("cannot write {}: {error}", output.display()))?;
    println!("wrote {} ({} bytes)", output.display(), json.len());
    Ok(())
}
