//! The trained weights as a JSON file (`data/digits/cnn_weights.json`, embedded at
//! compile time): how they were trained, the accuracy they measured, and each layer's
//! parameters as a flat array of numbers rounded to [`SIGNIFICANT_DIGITS`] digits.

pub use crate::weights_json::WeightsError;
use crate::weights_json::{encode, write_weights_json, WeightsArray};

use super::data::{TEST_ROWS, TRAINING_ROWS};
use super::network::{layers, Cnn, KERNEL_SIDE, PARAMETER_COUNT};
use super::training::TrainingConfig;

/// `cnn_weights.json` as committed, written by `examples/train_digits.rs`.
pub const WEIGHTS_JSON: &str = include_str!("../../../data/digits/cnn_weights.json");

/// The value of the file's `format` field.
pub const FORMAT: &str = "lumen-digits-cnn/1";

/// The value of the file's `architecture` field.
pub const ARCHITECTURE: &str = "input 1x8x8 -> conv 3x3 8 channels padding 1, ReLU -> conv 3x3 16 channels padding 1, \
                                ReLU (Grad-CAM layer 16x8x8) -> max-pool 2x2 -> dense 256->10 -> softmax";

/// Significant digits kept in the committed file.
pub const SIGNIFICANT_DIGITS: usize = 6;

/// Accuracy measured when the file was written, with its (rounded) weights, as counts of
/// correctly classified images (exact in JSON, unlike fractions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordedAccuracy {
    /// Training images classified correctly.
    pub training_correct: usize,
    /// Training images.
    pub training_images: usize,
    /// Test images classified correctly.
    pub test_correct: usize,
    /// Test images.
    pub test_images: usize,
}

impl RecordedAccuracy {
    /// The fraction of training images classified correctly.
    pub fn training(&self) -> f64 {
        fraction(self.training_correct, self.training_images)
    }

    /// The fraction of test images classified correctly.
    pub fn test(&self) -> f64 {
        fraction(self.test_correct, self.test_images)
    }
}

fn fraction(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The contents of a weights file. Array layouts are those of
/// [`super::network::Layers`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// A one-line description of the network, [`ARCHITECTURE`].
    pub architecture: String,
    /// How the weights were trained.
    pub training: TrainingConfig,
    /// The rows trained on, `[start, end)`.
    pub training_rows: [usize; 2],
    /// The rows held out, `[start, end)`.
    pub test_rows: [usize; 2],
    /// What the weights scored.
    pub accuracy: RecordedAccuracy,
    /// 8 × 1 × 3 × 3.
    pub conv1_weights: Vec<f32>,
    /// 8.
    pub conv1_biases: Vec<f32>,
    /// 16 × 8 × 3 × 3.
    pub conv2_weights: Vec<f32>,
    /// 16.
    pub conv2_biases: Vec<f32>,
    /// 10 × 256.
    pub dense_weights: Vec<f32>,
    /// 10.
    pub dense_biases: Vec<f32>,
}

/// The model these weights belong to, as error messages name it.
const MODEL: &str = "digits";

/// `value` rounded to `digits` significant decimal digits (then to the nearest `f32`).
pub fn round_significant(value: f32, digits: usize) -> f32 {
    if !value.is_finite() || value == 0.0 {
        return value;
    }
    format!("{value:.prec$e}", prec = digits.saturating_sub(1)).parse().unwrap_or(value)
}

impl WeightsFile {
    /// Describes `network`, its parameters rounded to [`SIGNIFICANT_DIGITS`] digits. The
    /// accuracy must have been measured with the rounded parameters: see
    /// [`WeightsFile::network`].
    pub fn new(network: &Cnn<f32>, training: TrainingConfig, accuracy: RecordedAccuracy) -> Self {
        let round = |values: &[f32]| values.iter().map(|&v| round_significant(v, SIGNIFICANT_DIGITS)).collect();
        let layers = network.layers();
        Self {
            format: FORMAT.to_owned(),
            architecture: ARCHITECTURE.to_owned(),
            training,
            training_rows: [TRAINING_ROWS.start, TRAINING_ROWS.end],
            test_rows: [TEST_ROWS.start, TEST_ROWS.end],
            accuracy,
            conv1_weights: round(layers.conv1_weights),
            conv1_biases: round(layers.conv1_biases),
            conv2_weights: round(layers.conv2_weights),
            conv2_biases: round(layers.conv2_biases),
            dense_weights: round(layers.dense_weights),
            dense_biases: round(layers.dense_biases),
        }
    }

    /// Parses a weights file and checks its format and array lengths.
    pub fn parse(text: &str) -> Result<Self, WeightsError> {
        let file: Self = serde_json::from_str(text).map_err(|error| WeightsError::new(MODEL, error.to_string()))?;
        if file.format != FORMAT {
            return Err(WeightsError::new(MODEL, format!("format is {:?}, expected {FORMAT:?}", file.format)));
        }
        file.network().map(|_| file)
    }

    /// The embedded file, parsed.
    pub fn embedded() -> Result<Self, WeightsError> {
        Self::parse(WEIGHTS_JSON)
    }

    /// The network these weights define.
    pub fn network(&self) -> Result<Cnn<f32>, WeightsError> {
        let reference = layers(&[0.0f32; PARAMETER_COUNT][..]);
        let mut parameters = Vec::with_capacity(PARAMETER_COUNT);
        for (name, values, expected) in [
            ("conv1_weights", &self.conv1_weights, reference.conv1_weights.len()),
            ("conv1_biases", &self.conv1_biases, reference.conv1_biases.len()),
            ("conv2_weights", &self.conv2_weights, reference.conv2_weights.len()),
            ("conv2_biases", &self.conv2_biases, reference.conv2_biases.len()),
            ("dense_weights", &self.dense_weights, reference.dense_weights.len()),
            ("dense_biases", &self.dense_biases, reference.dense_biases.len()),
        ] {
            if values.len() != expected {
                return Err(WeightsError::new(
                    MODEL,
                    format!("{name} has {} values, expected {expected}", values.len()),
                ));
            }
            if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
                return Err(WeightsError::new(MODEL, format!("{name} holds the non-finite value {bad}")));
            }
            parameters.extend_from_slice(values);
        }
        Cnn::from_parameters(parameters).ok_or_else(|| WeightsError::new(MODEL, "wrong parameter count"))
    }

    /// The file as JSON: one field per line, each kernel (convolutions) or each pooled
    /// channel's 16 weights (dense layer) on a line of its own.
    pub fn to_json(&self) -> Result<String, WeightsError> {
        self.write_json().map_err(|error| WeightsError::new(MODEL, error.to_string()))
    }

    fn write_json(&self) -> Result<String, serde_json::Error> {
        let fields = [
            ("format", encode(&self.format)?),
            ("architecture", encode(&self.architecture)?),
            ("training", encode(&self.training)?),
            ("training_rows", encode(&self.training_rows)?),
            ("test_rows", encode(&self.test_rows)?),
            ("accuracy", encode(&self.accuracy)?),
        ];
        let kernel = KERNEL_SIDE * KERNEL_SIDE;
        let arrays: [WeightsArray<'_>; 6] = [
            ("conv1_weights", &self.conv1_weights, kernel),
            ("conv1_biases", &self.conv1_biases, usize::MAX),
            ("conv2_weights", &self.conv2_weights, kernel),
            ("conv2_biases", &self.conv2_biases, usize::MAX),
            ("dense_weights", &self.dense_weights, 16),
            ("dense_biases", &self.dense_biases, usize::MAX),
        ];
        write_weights_json(&fields, &arrays)
    }
}
