//! The trained weights as a JSON file (`data/fraud/gru_weights.json`, embedded at compile
//! time): the data they were trained on, how they were trained, what they measured, and
//! the parameters as exact `f32` values (shortest round-trip decimals).

pub use crate::weights_json::WeightsError;
use crate::weights_json::{encode, write_weights_json, WeightsArray};

use super::features::{FEATURES, FEATURE_NAMES};
use super::generator::GeneratorConfig;
use super::gru::{FraudGru, MAX_HIDDEN};
use super::layout::GruShape;
use super::training::TrainingConfig;

/// `gru_weights.json` as committed, written by `examples/train_fraud_gru.rs`.
pub const WEIGHTS_JSON: &str = include_str!("../../../data/fraud/gru_weights.json");

/// The value of the file's `format` field.
pub const FORMAT: &str = "lumen-fraud-gru/1";

/// The value of the file's `architecture` field.
pub const ARCHITECTURE: &str = "GRU (PyTorch gate order r, z, n; h0 = 0) over events of 8 features -> \
                                linear on the last hidden state -> sigmoid";

/// The synthetic data the weights were trained and measured on: histories `0..count` of
/// each generator configuration.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataDescription {
    /// The training histories' generator.
    pub training: GeneratorConfig,
    /// Number of training histories.
    pub training_histories: usize,
    /// The hold-out histories' generator.
    pub holdout: GeneratorConfig,
    /// Number of hold-out histories.
    pub holdout_histories: usize,
}

/// What the stored (`f32`) weights scored when the file was written.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedMetrics {
    /// Area under the ROC curve on the training histories.
    pub training_auc: f64,
    /// Accuracy (threshold 0.5) on the training histories.
    pub training_accuracy: f64,
    /// Area under the ROC curve on the hold-out histories.
    pub holdout_auc: f64,
    /// Accuracy (threshold 0.5) on the hold-out histories.
    pub holdout_accuracy: f64,
    /// Hold-out histories that end in a takeover.
    pub holdout_frauds: usize,
}

/// The contents of a weights file; array layouts are those of
/// [`super::layout::GruLayers`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// A one-line description of the network, [`ARCHITECTURE`].
    pub architecture: String,
    /// The input features' names, [`FEATURE_NAMES`].
    pub feature_names: Vec<String>,
    /// Hidden units, H.
    pub hidden: usize,
    /// The data the weights were trained and measured on.
    pub data: DataDescription,
    /// How the weights were trained.
    pub training: TrainingConfig,
    /// What they scored.
    pub metrics: RecordedMetrics,
    /// 3H × F.
    pub weight_ih: Vec<f32>,
    /// 3H × H.
    pub weight_hh: Vec<f32>,
    /// 3H.
    pub bias_ih: Vec<f32>,
    /// 3H.
    pub bias_hh: Vec<f32>,
    /// H.
    pub weight_out: Vec<f32>,
    /// 1.
    pub bias_out: Vec<f32>,
}

/// The model these weights belong to, as error messages name it.
pub(crate) const MODEL: &str = "fraud GRU";

impl WeightsFile {
    /// Describes `model`, trained on `data` with `training`, which scored `metrics`.
    pub fn new(model: &FraudGru, data: DataDescription, training: TrainingConfig, metrics: RecordedMetrics) -> Self {
        let layers = model.shape().layers(model.parameters());
        Self {
            format: FORMAT.to_owned(),
            architecture: ARCHITECTURE.to_owned(),
            feature_names: FEATURE_NAMES.iter().map(|&name| name.to_owned()).collect(),
            hidden: model.hidden_size(),
            data,
            training,
            metrics,
            weight_ih: layers.weight_ih.to_vec(),
            weight_hh: layers.weight_hh.to_vec(),
            bias_ih: layers.bias_ih.to_vec(),
            bias_hh: layers.bias_hh.to_vec(),
            weight_out: layers.weight_out.to_vec(),
            bias_out: layers.bias_out.to_vec(),
        }
    }

    /// Parses a weights file and checks its format, features and array lengths.
    pub fn parse(text: &str) -> Result<Self, WeightsError> {
        let file: Self = serde_json::from_str(text).map_err(|error| WeightsError::new(MODEL, error.to_string()))?;
        if file.format != FORMAT {
            return Err(WeightsError::new(MODEL, format!("format is {:?}, expected {FORMAT:?}", file.format)));
        }
        if file.feature_names != FEATURE_NAMES {
            return Err(WeightsError::new(
                MODEL,
                format!("features are {:?}, expected {FEATURE_NAMES:?}", file.feature_names),
            ));
        }
        file.model().map(|_| file)
    }

    /// The embedded file, parsed.
    pub fn embedded() -> Result<Self, WeightsError> {
        Self::parse(WEIGHTS_JSON)
    }

    /// The model these weights define.
    pub fn model(&self) -> Result<FraudGru, WeightsError> {
        if self.hidden == 0 || self.hidden > MAX_HIDDEN {
            return Err(WeightsError::new(MODEL, format!("{} hidden units, expected 1 to {MAX_HIDDEN}", self.hidden)));
        }
        let shape = GruShape { features: FEATURES, hidden: self.hidden };
        let gates = 3 * self.hidden;
        let mut parameters = Vec::with_capacity(shape.parameter_count());
        for (name, values, expected) in [
            ("weight_ih", &self.weight_ih, gates * FEATURES),
            ("weight_hh", &self.weight_hh, gates * self.hidden),
            ("bias_ih", &self.bias_ih, gates),
            ("bias_hh", &self.bias_hh, gates),
            ("weight_out", &self.weight_out, self.hidden),
            ("bias_out", &self.bias_out, 1),
        ] {
            if values.len() != expected {
                return Err(WeightsError::new(
                    MODEL,
                    format!("{name} has {} values, expected {expected}", values.len()),
                ));
            }
            parameters.extend_from_slice(values);
        }
        FraudGru::from_parameters(self.hidden, parameters)
    }

    /// The file as JSON: one field per line, each weight matrix one gate row per line.
    pub fn to_json(&self) -> Result<String, WeightsError> {
        self.write_json().map_err(|error| WeightsError::new(MODEL, error.to_string()))
    }

    fn write_json(&self) -> Result<String, serde_json::Error> {
        let fields = [
            ("format", encode(&self.format)?),
            ("architecture", encode(&self.architecture)?),
            ("feature_names", encode(&self.feature_names)?),
            ("hidden", encode(&self.hidden)?),
            ("data", encode(&self.data)?),
            ("training", encode(&self.training)?),
            ("metrics", encode(&self.metrics)?),
        ];
        let arrays: [WeightsArray<'_>; 6] = [
            ("weight_ih", &self.weight_ih, FEATURES),
            ("weight_hh", &self.weight_hh, self.hidden),
            ("bias_ih", &self.bias_ih, usize::MAX),
            ("bias_hh", &self.bias_hh, usize::MAX),
            ("weight_out", &self.weight_out, usize::MAX),
            ("bias_out", &self.bias_out, usize::MAX),
        ];
        write_weights_json(&fields, &arrays)
    }
}
