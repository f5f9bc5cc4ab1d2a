//! The built-in German Credit model: the [`Mlp`] trained on the training rows, served to
//! Lumen through the [`Model`] trait.

use std::sync::OnceLock;

use lumen::{Error, Model, ModelSignature, Result};

use super::metrics::{accuracy, roc_auc, HoldoutMetrics};
use super::mlp::Mlp;
use super::prepared::{GermanCredit, HOLDOUT_ROWS, TRAINING_ROWS};
use super::training::{train, TrainingConfig};

/// A network that maps an encoded applicant (see [`GermanCredit::encoded_rows`]) to the
/// probability of good credit. Its one output is that probability.
#[derive(Debug, Clone, PartialEq)]
pub struct GermanCreditModel {
    signature: ModelSignature,
    mlp: Mlp,
    holdout: HoldoutMetrics,
}

impl GermanCreditModel {
    /// Trains a model on `data`'s training rows with [`TrainingConfig::GERMAN_CREDIT`] and
    /// measures it on the hold-out rows. Deterministic: every call gives the same weights.
    pub fn train(data: &GermanCredit) -> Self {
        let mlp = train(
            data.encoded_range(TRAINING_ROWS),
            &data.labels()[TRAINING_ROWS],
            data.encoded_len(),
            &TrainingConfig::GERMAN_CREDIT,
        );
        let labels = &data.labels()[HOLDOUT_ROWS];
        let mut probabilities = vec![0.0; labels.len()];
        mlp.predict(data.encoded_range(HOLDOUT_ROWS), &mut probabilities);
        let holdout = HoldoutMetrics {
            rows: labels.len(),
            accuracy: accuracy(&probabilities, labels),
            auc: roc_auc(&probabilities, labels)
                .expect("the embedded hold-out rows hold both classes (139 good, 61 bad)"),
        };
        let mut signature = ModelSignature::flat(data.encoded_len(), 1);
        signature.feature_names = Some(data.column_names().to_vec());
        signature.concurrent = true;
        Self { signature, mlp, holdout }
    }

    /// The model trained on [`GermanCredit::shared`], trained on first use and shared
    /// afterwards.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<GermanCreditModel> = OnceLock::new();
        SHARED.get_or_init(|| Self::train(GermanCredit::shared()))
    }

    /// The trained network.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }

    /// Accuracy and AUC on the hold-out rows.
    pub fn holdout_metrics(&self) -> HoldoutMetrics {
        self.holdout
    }
}

impl Model for GermanCreditModel {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> Result<()> {
        let row_len = self.mlp.input_len();
        if inputs.len() != rows * row_len {
            return Err(Error::length("inputs", inputs.len(), format!("{rows} rows × {row_len} columns")));
        }
        if outputs.len() != rows {
            return Err(Error::length("outputs", outputs.len(), format!("{rows} (one per row)")));
        }
        self.mlp.predict(inputs, outputs);
        Ok(())
    }
}
