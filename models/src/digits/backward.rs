//! The network's exact backward pass: from the gradient of any function of the logits
//! back to the Grad-CAM layer, the input pixels and (for training) every parameter.
//!
//! Where the network is not differentiable the pass takes one-sided choices, as deep
//! learning frameworks do: a ReLU passes gradient only where its output is positive, and
//! a max-pool window passes it only to the value it picked (the first largest, in
//! row-major order). Away from those points the gradients are exact.

use super::data::{CLASSES, IMAGE_SIDE, PIXELS};
use super::network::{
    layers, layers_mut, valid_range, Cnn, Float, Trace, CONV1_CHANNELS, CONV1_LEN, KERNEL_SIDE, LAYER_LEN, POOLED_LEN,
};

/// ∂p_target/∂logits for softmax probabilities `p`: `p_target · (δ_target,j − p_j)`. The
/// factor `1 − p_target` is computed as the sum of the other probabilities, which keeps
/// its relative precision when `p_target` rounds to 1.
///
/// # Panics
/// When `target >= CLASSES`.
pub fn probability_logit_gradient<F: Float>(probabilities: &[F; CLASSES], target: usize) -> [F; CLASSES] {
    let p_target = probabilities[target];
    let mut others = F::ZERO;
    let mut gradient = [F::ZERO; CLASSES];
    for (class, (slot, &p)) in gradient.iter_mut().zip(probabilities).enumerate() {
        if class != target {
            others += p;
            *slot = F::ZERO - p_target * p;
        }
    }
    gradient[target] = p_target * others;
    gradient
}

impl<F: Float> Cnn<F> {
    /// Writes ∂p_target/∂pixel for one image ([`PIXELS`] values into `gradient`) and
    /// returns the image's 10 class probabilities.
    ///
    /// # Panics
    /// When `image` or `gradient` does not hold [`PIXELS`] values, or `target >= CLASSES`.
    pub fn input_gradient(&self, image: &[F], target: usize, gradient: &mut [F]) -> [F; CLASSES] {
        assert_eq!(gradient.len(), PIXELS, "the input gradient has one value per pixel");
        gradient.fill(F::ZERO);
        let mut trace = Trace::new();
        self.forward(image, &mut trace);
        let d_logits = probability_logit_gradient(&trace.probabilities, target);
        let mut d_layer = [F::ZERO; LAYER_LEN];
        self.backward(image, &trace, &d_logits, &mut d_layer, Some(gradient), None);
        trace.probabilities
    }

    /// Writes the Grad-CAM layer's values for one image into `activations` and
    /// ∂p_target/∂those values into `gradient` (both [`LAYER_LEN`] values, 16 × 8 × 8),
    /// and returns the image's 10 class probabilities.
    ///
    /// # Panics
    /// When `image` does not hold [`PIXELS`] values, `activations` or `gradient` not
    /// [`LAYER_LEN`], or `target >= CLASSES`.
    pub fn layer_gradient(
        &self,
        image: &[F],
        target: usize,
        activations: &mut [F],
        gradient: &mut [F],
    ) -> [F; CLASSES] {
        let mut trace = Trace::new();
        self.forward(image, &mut trace);
        activations.copy_from_slice(&trace.layer);
        let d_logits = probability_logit_gradient(&trace.probabilities, target);
        self.backward_to_layer(&trace, &d_logits, gradient, None);
        trace.probabilities
    }

    /// Back-propagates `d_logits` (the gradient of some function with respect to the 10
    /// logits) through the forward pass recorded in `trace` for `image`. Always writes the
    /// gradient with respect to the Grad-CAM layer into `d_layer`; adds the gradient with
    /// respect to the pixels to `d_input` and with respect to every parameter to
    /// `d_parameters` (layout of [`super::network::Layers`]) when they are given.
    pub(crate) fn backward(
        &self,
        image: &[F],
        trace: &Trace<F>,
        d_logits: &[F; CLASSES],
        d_layer: &mut [F; LAYER_LEN],
        d_input: Option<&mut [F]>,
        mut d_parameters: Option<&mut [F]>,
    ) {
        let weights = self.layers();
        self.backward_to_layer(trace, d_logits, d_layer, d_parameters.as_deref_mut());
        if d_input.is_none() && d_parameters.is_none() {
            return;
        }
        let mut d_gradients = d_parameters.map(layers_mut);

        relu_backward(&trace.layer, d_layer);
        let mut d_conv1 = [F::ZERO; CONV1_LEN];
        conv3x3_backward(
            &trace.conv1,
            CONV1_CHANNELS,
            weights.conv2_weights,
            d_layer,
            Some(&mut d_conv1),
            d_gradients.as_mut().map(|g| (&mut *g.conv2_weights, &mut *g.conv2_biases)),
        );

        relu_backward(&trace.conv1, &mut d_conv1);
        conv3x3_backward(
            image,
            1,
            weights.conv1_weights,
            &d_conv1,
            d_input,
            d_gradients.as_mut().map(|g| (&mut *g.conv1_weights, &mut *g.conv1_biases)),
        );
    }

    /// The dense layer and max-pool backwards: writes ∂/∂layer into `d_layer` and adds the
    /// dense layer's parameter gradients to `d_parameters` when given.
    fn backward_to_layer(
        &self,
        trace: &Trace<F>,
        d_logits: &[F; CLASSES],
        d_layer: &mut [F],
        d_parameters: Option<&mut [F]>,
    ) {
        assert_eq!(d_layer.len(), LAYER_LEN, "the layer gradient has {LAYER_LEN} values");
        let weights = layers(self.parameters());
        let mut d_pooled = [F::ZERO; POOLED_LEN];
        for (row, &d_logit) in weights.dense_weights.chunks_exact(POOLED_LEN).zip(d_logits) {
            for (d, &weight) in d_pooled.iter_mut().zip(row) {
                *d += d_logit * weight;
            }
        }
        if let Some(d_parameters) = d_parameters {
            let gradients = layers_mut(d_parameters);
            for ((row, d_bias), &d_logit) in
                gradients.dense_weights.chunks_exact_mut(POOLED_LEN).zip(gradients.dense_biases).zip(d_logits)
            {
                *d_bias += d_logit;
                for (d, &pooled) in row.iter_mut().zip(&trace.pooled) {
                    *d += d_logit * pooled;
                }
            }
        }
        d_layer.fill(F::ZERO);
        for (&from, &d) in trace.pooled_from.iter().zip(&d_pooled) {
            d_layer[from] = d;
        }
    }
}

/// Zeroes the gradient wherever the ReLU's output is not positive.
fn relu_backward<F: Float>(output: &[F], gradient: &mut [F]) {
    for (d, &value) in gradient.iter_mut().zip(output) {
        if value <= F::ZERO {
            *d = F::ZERO;
        }
    }
}

/// The backward pass of a padded 3 × 3 convolution (the layout of the forward pass in
/// [`super::network`]): `d_output` is the gradient with respect to its pre-activation
/// output. Adds the gradient with respect to its input to `d_input` and with respect to
/// its weights and biases to `d_parameters`, when given.
fn conv3x3_backward<F: Float>(
    input: &[F],
    in_channels: usize,
    weights: &[F],
    d_output: &[F],
    mut d_input: Option<&mut [F]>,
    mut d_parameters: Option<(&mut [F], &mut [F])>,
) {
    let kernel_len = KERNEL_SIDE * KERNEL_SIDE;
    for (out_channel, d_map) in d_output.chunks_exact(PIXELS).enumerate() {
        if let Some((_, d_biases)) = d_parameters.as_mut() {
            d_biases[out_channel] += d_map.iter().fold(F::ZERO, |sum, &d| sum + d);
        }
        for in_channel in 0..in_channels {
            let in_map = &input[in_channel * PIXELS..][..PIXELS];
            let kernel_start = (out_channel * in_channels + in_channel) * kernel_len;
            for ky in 0..KERNEL_SIDE {
                let (y_start, y_end) = valid_range(ky);
                for kx in 0..KERNEL_SIDE {
                    let (x_start, x_end) = valid_range(kx);
                    let tap = kernel_start + ky * KERNEL_SIDE + kx;
                    let weight = weights[tap];
                    let mut d_weight = F::ZERO;
                    for y in y_start..y_end {
                        let source_row = (y + ky - 1) * IMAGE_SIDE;
                        for x in x_start..x_end {
                            let source = source_row + x + kx - 1;
                            let d = d_map[y * IMAGE_SIDE + x];
                            d_weight += d * in_map[source];
                            if let Some(d_input) = d_input.as_deref_mut() {
                                d_input[in_channel * PIXELS + source] += weight * d;
                            }
                        }
                    }
                    if let Some((d_weights, _)) = d_parameters.as_mut() {
                        d_weights[tap] += d_weight;
                    }
                }
            }
        }
    }
}
