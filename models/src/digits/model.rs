//! The built-in digits classifier served to Lumen through the [`Model`] trait, with the
//! gradients that Saliency, Integrated Gradients and Grad-CAM need.

use std::sync::OnceLock;

use lumen::{Error, Model, ModelSignature, Result};

use super::data::{CLASSES, IMAGE_SIDE, PIXELS};
use super::network::{Cnn, LAYER_LEN, LAYER_SHAPE};
use super::weights::{WeightsError, WeightsFile};

/// The digits network as a Lumen model: each row is one image (1 × 8 × 8 pixels in
/// [0, 1], row by row), its 10 outputs the class probabilities of the digits 0–9, and its
/// Grad-CAM layer the second convolution's ReLU output (16 × 8 × 8). Runs in `f32`; an
/// `f64` copy of the same weights ([`DigitsCnn::network_f64`]) serves precise checks.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitsCnn {
    signature: ModelSignature,
    network: Cnn<f32>,
    network_f64: Cnn<f64>,
}

impl DigitsCnn {
    /// Serves `network` as a Lumen model.
    pub fn new(network: Cnn<f32>) -> Self {
        let mut signature = ModelSignature::flat(PIXELS, CLASSES);
        signature.input_shape = vec![1, IMAGE_SIDE, IMAGE_SIDE];
        signature.layer_shape = Some(LAYER_SHAPE);
        signature.concurrent = true;
        let network_f64 = network.cast();
        Self { signature, network, network_f64 }
    }

    /// The model whose weights a weights file holds.
    pub fn from_json(text: &str) -> std::result::Result<Self, WeightsError> {
        WeightsFile::parse(text)?.network().map(Self::new)
    }

    /// The model with the embedded weights (`data/digits/cnn_weights.json`), loaded on
    /// first use and shared afterwards. It is not trained at run time.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<DigitsCnn> = OnceLock::new();
        SHARED.get_or_init(|| {
            WeightsFile::embedded()
                .and_then(|file| file.network())
                .map(Self::new)
                .unwrap_or_else(|error| panic!("the embedded weights are checked by the tests: {error}"))
        })
    }

    /// The network, in `f32`.
    pub fn network(&self) -> &Cnn<f32> {
        &self.network
    }

    /// The same network in `f64`.
    pub fn network_f64(&self) -> &Cnn<f64> {
        &self.network_f64
    }

    /// The class probabilities of one image.
    ///
    /// # Panics
    /// When `image` does not hold [`PIXELS`] values.
    pub fn probabilities(&self, image: &[f32]) -> [f32; CLASSES] {
        let mut probabilities = [0.0; CLASSES];
        self.network.predict(image, &mut probabilities);
        probabilities
    }

    fn check_inputs(&self, inputs: &[f32], rows: usize) -> Result<()> {
        if inputs.len() != rows * PIXELS {
            return Err(Error::length("inputs", inputs.len(), format!("{rows} rows × {PIXELS} pixels")));
        }
        Ok(())
    }

    fn check_targets(&self, targets: &[u32], rows: usize) -> Result<()> {
        if targets.len() != rows {
            return Err(Error::length("targets", targets.len(), format!("{rows} (one per row)")));
        }
        if let Some(target) = targets.iter().find(|&&target| target as usize >= CLASSES) {
            return Err(Error::invalid("targets", format!("holds {target}, expected a class 0..{CLASSES}")));
        }
        Ok(())
    }
}

fn check_len(argument: &str, actual: usize, rows: usize, per_row: usize) -> Result<()> {
    if actual != rows * per_row {
        return Err(Error::length(argument, actual, format!("{rows} rows × {per_row}")));
    }
    Ok(())
}

impl Model for DigitsCnn {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> Result<()> {
        self.check_inputs(inputs, rows)?;
        check_len("outputs", outputs.len(), rows, CLASSES)?;
        for (image, probabilities) in inputs.chunks_exact(PIXELS).zip(outputs.chunks_exact_mut(CLASSES)) {
            self.network.predict(image, probabilities);
        }
        Ok(())
    }

    fn gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        targets: &[u32],
        gradients: &mut [f32],
        mut outputs: Option<&mut [f32]>,
    ) -> Result<()> {
        self.check_inputs(inputs, rows)?;
        self.check_targets(targets, rows)?;
        check_len("gradients", gradients.len(), rows, PIXELS)?;
        if let Some(outputs) = outputs.as_deref() {
            check_len("outputs", outputs.len(), rows, CLASSES)?;
        }
        for (row, ((image, &target), gradient)) in
            inputs.chunks_exact(PIXELS).zip(targets).zip(gradients.chunks_exact_mut(PIXELS)).enumerate()
        {
            let probabilities = self.network.input_gradient(image, target as usize, gradient);
            if let Some(outputs) = outputs.as_deref_mut() {
                outputs[row * CLASSES..][..CLASSES].copy_from_slice(&probabilities);
            }
        }
        Ok(())
    }

    fn layer_gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        targets: &[u32],
        activations: &mut [f32],
        gradients: &mut [f32],
    ) -> Result<()> {
        self.check_inputs(inputs, rows)?;
        self.check_targets(targets, rows)?;
        check_len("activations", activations.len(), rows, LAYER_LEN)?;
        check_len("gradients", gradients.len(), rows, LAYER_LEN)?;
        for (((image, &target), activations), gradient) in inputs
            .chunks_exact(PIXELS)
            .zip(targets)
            .zip(activations.chunks_exact_mut(LAYER_LEN))
            .zip(gradients.chunks_exact_mut(LAYER_LEN))
        {
            self.network.layer_gradient(image, target as usize, activations, gradient);
        }
        Ok(())
    }
}
