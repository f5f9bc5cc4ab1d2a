//! A small convolutional network classifying scikit-learn's 8 × 8 handwritten digits
//! (1797 images of the UCI "Optical Recognition of Handwritten Digits" data, embedded
//! from `data/digits/`), built to demonstrate gradient explanations on images: Saliency
//! and Integrated Gradients through [`lumen::Model::gradient`], Grad-CAM through
//! [`lumen::Model::layer_gradient`].
//!
//! ```text
//! input 1 × 8 × 8                          pixels / 16, in [0, 1]
//! conv 3 × 3, 8 channels, padding 1, ReLU  → 8 × 8 × 8
//! conv 3 × 3, 16 channels, padding 1, ReLU → 16 × 8 × 8   the Grad-CAM layer
//! max-pool 2 × 2, stride 2                 → 16 × 4 × 4
//! dense 256 → 10, softmax                  → the 10 class probabilities
//! ```
//!
//! The pieces, in the order data flows through them: [`data`] (parsing the embedded
//! file) → [`network`] (the forward pass, in `f32` or `f64`) → [`backward`] (the exact
//! gradients) → [`training`] (how the weights were fitted, run once by
//! `examples/train_digits.rs`) → [`weights`] (the committed weights file) → [`model`] (the
//! Lumen [`lumen::Model`]); [`heatmap`] draws maps as text.
//!
//! ```
//! use lumen::Model;
//! use lumen_models::digits::{render_heatmap, Digits, DigitsCnn, HeatmapStyle, CLASSES, LAYER_LEN, PIXELS};
//!
//! let data = Digits::shared();
//! let model = DigitsCnn::shared();
//! let image = data.image(0);
//! let mut probabilities = [0.0; CLASSES];
//! model.predict(image, 1, &mut probabilities)?;
//! assert!((probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
//!
//! let mut saliency = [0.0; PIXELS];
//! model.gradient(image, 1, &data.labels()[..1], &mut saliency, None)?;
//! let map = render_heatmap(&saliency, 8, HeatmapStyle::Signed);
//! assert_eq!(map.lines().count(), 8);
//!
//! let (mut activations, mut gradients) = (vec![0.0; LAYER_LEN], vec![0.0; LAYER_LEN]);
//! model.layer_gradient(image, 1, &data.labels()[..1], &mut activations, &mut gradients)?;
//! # Ok::<(), lumen::Error>(())
//! ```

pub mod backward;
pub mod data;
pub mod heatmap;
pub mod model;
pub mod network;
pub mod training;
pub mod weights;

pub use backward::probability_logit_gradient;
pub use data::{Digits, DigitsError, CLASSES, IMAGES, IMAGE_SIDE, PIXELS, PIXEL_MAX, TEST_ROWS, TRAINING_ROWS};
pub use heatmap::{render_heatmap, HeatmapStyle, RAMP};
pub use model::DigitsCnn;
pub use network::{most_probable, Cnn, Float, Trace, LAYER_LEN, LAYER_SHAPE, PARAMETER_COUNT};
pub use training::{train, TrainingConfig, TrainingRun};
pub use weights::{RecordedAccuracy, WeightsError, WeightsFile};
