//! The digits network and its forward pass, generic over the float type so that the
//! same code runs in `f32` (what Lumen calls) and in `f64` (what finite-difference checks
//! need).
//!
//! ```text
//! input 1 × 8 × 8            pixels in [0, 1]
//! conv 3 × 3, 8 channels, padding 1, ReLU  → 8 × 8 × 8
//! conv 3 × 3, 16 channels, padding 1, ReLU → 16 × 8 × 8   (the Grad-CAM layer)
//! max-pool 2 × 2, stride 2                 → 16 × 4 × 4 = 256
//! dense 256 → 10, softmax                  → the 10 class probabilities
//! ```
//!
//! All parameters live in one flat vector (see [`Layers`] for the layout), so that an
//! optimiser can treat them uniformly.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Sub};

use super::data::{CLASSES, IMAGE_SIDE, PIXELS};

/// Channels of the first convolution.
pub const CONV1_CHANNELS: usize = 8;

/// Channels of the second convolution: the Grad-CAM layer's channels.
pub const CONV2_CHANNELS: usize = 16;

/// Side of both convolution kernels.
pub const KERNEL_SIDE: usize = 3;

/// Side of the pooled feature maps (8 / 2).
pub const POOLED_SIDE: usize = IMAGE_SIDE / 2;

/// Values after pooling, the dense layer's inputs: 16 × 4 × 4.
pub const POOLED_LEN: usize = CONV2_CHANNELS * POOLED_SIDE * POOLED_SIDE;

/// Values of the first convolution's output: 8 × 8 × 8.
pub const CONV1_LEN: usize = CONV1_CHANNELS * PIXELS;

/// Shape `[C, h, w]` of the Grad-CAM layer, the second convolution's ReLU output.
pub const LAYER_SHAPE: [usize; 3] = [CONV2_CHANNELS, IMAGE_SIDE, IMAGE_SIDE];

/// Values of the Grad-CAM layer: 16 × 8 × 8.
pub const LAYER_LEN: usize = CONV2_CHANNELS * PIXELS;

const KERNEL_LEN: usize = KERNEL_SIDE * KERNEL_SIDE;
const CONV1_WEIGHTS: usize = CONV1_CHANNELS * KERNEL_LEN;
const CONV2_WEIGHTS: usize = CONV2_CHANNELS * CONV1_CHANNELS * KERNEL_LEN;
const DENSE_WEIGHTS: usize = CLASSES * POOLED_LEN;

/// Number of parameters: 72 + 8 (conv 1), 1152 + 16 (conv 2), 2560 + 10 (dense) = 3818.
pub const PARAMETER_COUNT: usize =
    CONV1_WEIGHTS + CONV1_CHANNELS + CONV2_WEIGHTS + CONV2_CHANNELS + DENSE_WEIGHTS + CLASSES;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The float types the network runs in: `f32` and `f64`.
pub trait Float:
    sealed::Sealed
    + Copy
    + Debug
    + Default
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + AddAssign
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// e^self.
    fn exp(self) -> Self;
    /// The nearest value to an `f32` (exact for both types).
    fn from_f32(value: f32) -> Self;
    /// The nearest `f32`.
    fn to_f32(self) -> f32;
    /// The value as an `f64` (exact for both types).
    fn to_f64(self) -> f64;
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn exp(self) -> Self {
        f32::exp(self)
    }
    fn from_f32(value: f32) -> Self {
        value
    }
    fn to_f32(self) -> f32 {
        self
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn from_f32(value: f32) -> Self {
        f64::from(value)
    }
    fn to_f32(self) -> f32 {
        self as f32
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// Named views of a flat parameter (or parameter-gradient) vector of [`PARAMETER_COUNT`]
/// values, laid out in this order:
///
/// - `conv1_weights`: 8 × 1 × 3 × 3, `[out channel][in channel][row][column]`;
/// - `conv1_biases`: 8;
/// - `conv2_weights`: 16 × 8 × 3 × 3, same order;
/// - `conv2_biases`: 16;
/// - `dense_weights`: 10 × 256, one row per class; column `c·16 + y·4 + x` reads pooled
///   channel `c` at row `y`, column `x`;
/// - `dense_biases`: 10.
#[derive(Debug)]
pub struct Layers<T> {
    /// The first convolution's kernels.
    pub conv1_weights: T,
    /// The first convolution's biases.
    pub conv1_biases: T,
    /// The second convolution's kernels.
    pub conv2_weights: T,
    /// The second convolution's biases.
    pub conv2_biases: T,
    /// The dense layer's weights.
    pub dense_weights: T,
    /// The dense layer's biases.
    pub dense_biases: T,
}

/// Splits a flat vector into its layers.
///
/// # Panics
/// When `values` does not hold [`PARAMETER_COUNT`] values.
pub fn layers<F>(values: &[F]) -> Layers<&[F]> {
    assert_eq!(values.len(), PARAMETER_COUNT, "a digits network has {PARAMETER_COUNT} parameters");
    let (conv1_weights, rest) = values.split_at(CONV1_WEIGHTS);
    let (conv1_biases, rest) = rest.split_at(CONV1_CHANNELS);
    let (conv2_weights, rest) = rest.split_at(CONV2_WEIGHTS);
    let (conv2_biases, rest) = rest.split_at(CONV2_CHANNELS);
    let (dense_weights, dense_biases) = rest.split_at(DENSE_WEIGHTS);
    Layers { conv1_weights, conv1_biases, conv2_weights, conv2_biases, dense_weights, dense_biases }
}

/// Splits a flat vector into its layers, mutably.
///
/// # Panics
/// When `values` does not hold [`PARAMETER_COUNT`] values.
pub fn layers_mut<F>(values: &mut [F]) -> Layers<&mut [F]> {
    assert_eq!(values.len(), PARAMETER_COUNT, "a digits network has {PARAMETER_COUNT} parameters");
    let (conv1_weights, rest) = values.split_at_mut(CONV1_WEIGHTS);
    let (conv1_biases, rest) = rest.split_at_mut(CONV1_CHANNELS);
    let (conv2_weights, rest) = rest.split_at_mut(CONV2_WEIGHTS);
    let (conv2_biases, rest) = rest.split_at_mut(CONV2_CHANNELS);
    let (dense_weights, dense_biases) = rest.split_at_mut(DENSE_WEIGHTS);
    Layers { conv1_weights, conv1_biases, conv2_weights, conv2_biases, dense_weights, dense_biases }
}

/// The network's parameters in float type `F`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cnn<F> {
    parameters: Vec<F>,
}

/// Everything one forward pass computes, kept for the backward pass.
#[derive(Debug, Clone)]
pub struct Trace<F> {
    pub(crate) conv1: [F; CONV1_LEN],
    pub(crate) layer: [F; LAYER_LEN],
    pub(crate) pooled: [F; POOLED_LEN],
    pub(crate) pooled_from: [usize; POOLED_LEN],
    pub(crate) probabilities: [F; CLASSES],
}

impl<F: Float> Default for Trace<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Float> Trace<F> {
    /// An empty trace, to be filled by [`Cnn::forward`].
    pub fn new() -> Self {
        Self {
            conv1: [F::ZERO; CONV1_LEN],
            layer: [F::ZERO; LAYER_LEN],
            pooled: [F::ZERO; POOLED_LEN],
            pooled_from: [0; POOLED_LEN],
            probabilities: [F::ZERO; CLASSES],
        }
    }

    /// The first convolution's ReLU output, 8 × 8 × 8.
    pub fn conv1(&self) -> &[F] {
        &self.conv1
    }

    /// The Grad-CAM layer: the second convolution's ReLU output, 16 × 8 × 8.
    pub fn layer(&self) -> &[F] {
        &self.layer
    }

    /// The pooled maps, 16 × 4 × 4.
    pub fn pooled(&self) -> &[F] {
        &self.pooled
    }

    /// The 10 class probabilities.
    pub fn probabilities(&self) -> &[F; CLASSES] {
        &self.probabilities
    }
}

impl<F: Float> Cnn<F> {
    /// A network with these parameters (layout: [`Layers`]), or `None` when there are not
    /// [`PARAMETER_COUNT`] of them.
    pub fn from_parameters(parameters: Vec<F>) -> Option<Self> {
        (parameters.len() == PARAMETER_COUNT).then_some(Self { parameters })
    }

    /// All parameters, flat (layout: [`Layers`]).
    pub fn parameters(&self) -> &[F] {
        &self.parameters
    }

    pub(crate) fn parameters_mut(&mut self) -> &mut [F] {
        &mut self.parameters
    }

    /// Named views of the parameters.
    pub fn layers(&self) -> Layers<&[F]> {
        layers(&self.parameters)
    }

    /// The same network in another float type.
    pub fn cast<G: Float>(&self) -> Cnn<G> {
        Cnn { parameters: self.parameters.iter().map(|&value| G::from_f32(value.to_f32())).collect() }
    }

    /// Runs one image ([`PIXELS`] values, row by row) through the network, keeping every
    /// intermediate result in `trace`.
    ///
    /// # Panics
    /// When `image` does not hold [`PIXELS`] values.
    pub fn forward(&self, image: &[F], trace: &mut Trace<F>) {
        assert_eq!(image.len(), PIXELS, "an image has {PIXELS} pixels");
        let layers = self.layers();
        conv3x3_relu(image, 1, layers.conv1_weights, layers.conv1_biases, &mut trace.conv1);
        conv3x3_relu(&trace.conv1, CONV1_CHANNELS, layers.conv2_weights, layers.conv2_biases, &mut trace.layer);
        self.head(trace);
    }

    /// Runs the rest of the network from given Grad-CAM layer values (16 × 8 × 8, as if
    /// the second convolution had produced them): pooling, dense layer and softmax. Fills
    /// the trace's layer, pooled values and probabilities; its first convolution is left
    /// as it was.
    ///
    /// # Panics
    /// When `layer` does not hold [`LAYER_LEN`] values.
    pub fn forward_from_layer(&self, layer: &[F], trace: &mut Trace<F>) {
        trace.layer.copy_from_slice(layer);
        self.head(trace);
    }

    /// Writes the 10 class probabilities of one image.
    ///
    /// # Panics
    /// When `image` does not hold [`PIXELS`] values or `probabilities` not [`CLASSES`].
    pub fn predict(&self, image: &[F], probabilities: &mut [F]) {
        let mut trace = Trace::new();
        self.forward(image, &mut trace);
        probabilities.copy_from_slice(&trace.probabilities);
    }

    /// How many of `images` (row-major, [`PIXELS`] values each) have their label as their
    /// most probable class.
    ///
    /// # Panics
    /// When `images` does not hold one image per label.
    pub fn correct(&self, images: &[f32], labels: &[u32]) -> usize {
        assert_eq!(images.len(), labels.len() * PIXELS, "one image per label");
        let mut trace = Trace::new();
        let mut image = [F::ZERO; PIXELS];
        let mut correct = 0;
        for (pixels, &label) in images.chunks_exact(PIXELS).zip(labels) {
            for (value, &pixel) in image.iter_mut().zip(pixels) {
                *value = F::from_f32(pixel);
            }
            self.forward(&image, &mut trace);
            if most_probable(&trace.probabilities) == label as usize {
                correct += 1;
            }
        }
        correct
    }

    /// The fraction of `images` whose most probable class is their label ([`Cnn::correct`]
    /// over the number of images); 0 for no images.
    ///
    /// # Panics
    /// When `images` does not hold one image per label.
    pub fn accuracy(&self, images: &[f32], labels: &[u32]) -> f64 {
        let correct = self.correct(images, labels);
        if labels.is_empty() {
            0.0
        } else {
            correct as f64 / labels.len() as f64
        }
    }

    /// Pooling, dense layer and softmax from `trace.layer`.
    fn head(&self, trace: &mut Trace<F>) {
        let layers = self.layers();
        max_pool(&trace.layer, &mut trace.pooled, &mut trace.pooled_from);
        let mut logits = [F::ZERO; CLASSES];
        for ((logit, row), &bias) in
            logits.iter_mut().zip(layers.dense_weights.chunks_exact(POOLED_LEN)).zip(layers.dense_biases)
        {
            *logit = bias + dot(row, &trace.pooled);
        }
        softmax(&logits, &mut trace.probabilities);
    }
}

/// The index of the largest value (the first of equal largest values).
pub fn most_probable<F: Float>(probabilities: &[F]) -> usize {
    let mut best = 0;
    for (index, &value) in probabilities.iter().enumerate() {
        if value > probabilities[best] {
            best = index;
        }
    }
    best
}

fn dot<F: Float>(a: &[F], b: &[F]) -> F {
    a.iter().zip(b).fold(F::ZERO, |sum, (&x, &y)| sum + x * y)
}

/// The rows (or columns) `start..end` of the output that a kernel offset `offset`
/// (0, 1 or 2, centre 1) reads from inside the 8 × 8 input, with padding 1.
pub(crate) fn valid_range(offset: usize) -> (usize, usize) {
    match offset {
        0 => (1, IMAGE_SIDE),
        1 => (0, IMAGE_SIDE),
        _ => (0, IMAGE_SIDE - 1),
    }
}

/// A 3 × 3 convolution with padding 1 over 8 × 8 maps, then ReLU. `input` holds
/// `in_channels` maps, `output` one map per bias.
fn conv3x3_relu<F: Float>(input: &[F], in_channels: usize, weights: &[F], biases: &[F], output: &mut [F]) {
    for ((out_map, kernels), &bias) in
        output.chunks_exact_mut(PIXELS).zip(weights.chunks_exact(in_channels * KERNEL_LEN)).zip(biases)
    {
        out_map.fill(bias);
        for (in_map, kernel) in input.chunks_exact(PIXELS).zip(kernels.chunks_exact(KERNEL_LEN)) {
            for (ky, kernel_row) in kernel.chunks_exact(KERNEL_SIDE).enumerate() {
                let (y_start, y_end) = valid_range(ky);
                for (kx, &weight) in kernel_row.iter().enumerate() {
                    let (x_start, x_end) = valid_range(kx);
                    for y in y_start..y_end {
                        let source = &in_map[(y + ky - 1) * IMAGE_SIDE..][..IMAGE_SIDE];
                        let target = &mut out_map[y * IMAGE_SIDE..][..IMAGE_SIDE];
                        for x in x_start..x_end {
                            target[x] += weight * source[x + kx - 1];
                        }
                    }
                }
            }
        }
        for value in out_map.iter_mut() {
            if *value < F::ZERO {
                *value = F::ZERO;
            }
        }
    }
}

/// 2 × 2 max-pooling with stride 2 of 16 maps of 8 × 8. Records, for each pooled value,
/// the index into `layer` it came from: the first largest of its window, in row-major
/// order (top-left, top-right, bottom-left, bottom-right).
fn max_pool<F: Float>(layer: &[F], pooled: &mut [F], pooled_from: &mut [usize]) {
    for channel in 0..CONV2_CHANNELS {
        for py in 0..POOLED_SIDE {
            for px in 0..POOLED_SIDE {
                let out = (channel * POOLED_SIDE + py) * POOLED_SIDE + px;
                let top_left = channel * PIXELS + 2 * py * IMAGE_SIDE + 2 * px;
                let mut best = top_left;
                for candidate in [top_left + 1, top_left + IMAGE_SIDE, top_left + IMAGE_SIDE + 1] {
                    if layer[candidate] > layer[best] {
                        best = candidate;
                    }
                }
                pooled[out] = layer[best];
                pooled_from[out] = best;
            }
        }
    }
}

/// Numerically stable softmax.
fn softmax<F: Float>(logits: &[F; CLASSES], probabilities: &mut [F; CLASSES]) {
    let mut largest = logits[0];
    for &logit in &logits[1..] {
        if logit > largest {
            largest = logit;
        }
    }
    let mut total = F::ZERO;
    for (probability, &logit) in probabilities.iter_mut().zip(logits) {
        *probability = (logit - largest).exp();
        total += *probability;
    }
    for probability in probabilities.iter_mut() {
        *probability = *probability / total;
    }
}
