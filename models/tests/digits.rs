//! The digits CNN end to end: the embedded data, the embedded weights and their accuracy,
//! the `lumen::Model` contract, and the exact gradients checked against central finite
//! differences computed in `f64`.

use lumen::{ErrorKind, Model};
use lumen_models::digits::{
    render_heatmap, train, Cnn, Digits, DigitsCnn, HeatmapStyle, Trace, TrainingConfig, TrainingRun, WeightsFile,
    CLASSES, IMAGES, LAYER_LEN, LAYER_SHAPE, PIXELS, TEST_ROWS, TRAINING_ROWS,
};

/// Test accuracy the embedded weights must reach; they measure 0.9663 (287 of 297).
const MIN_TEST_ACCURACY: f64 = 0.955;
/// Training accuracy the embedded weights must reach; they measure 0.9987 (1498 of 1500).
const MIN_TRAINING_ACCURACY: f64 = 0.99;

/// Largest accepted relative error ‖analytic − numeric‖ / ‖numeric‖ of a gradient.
const MAX_RELATIVE_ERROR: f64 = 1e-3;
/// Step of the central differences. Small enough not to cross a ReLU kink or change a
/// max-pool choice (biases near 0 put some pre-activations within 1e-3 of a kink), large
/// enough that f64 rounding stays far below the tolerance.
const STEP: f64 = 1e-6;

/// Images the gradient checks use: training and test rows, every digit among them.
const CHECKED_IMAGES: [usize; 8] = [0, 7, 42, 333, 1000, 1500, 1650, 1796];

/// The target probability in `f64`, from whichever side keeps its relative precision:
/// `p_t` directly when small, `1 − Σ_{j≠t} p_j` when it is near 1 (there `p_t` itself has
/// lost the digits a finite difference needs).
fn target_probability(probabilities: &[f64; CLASSES], target: usize) -> f64 {
    if probabilities[target] < 0.5 {
        probabilities[target]
    } else {
        let others: f64 = probabilities.iter().enumerate().filter(|&(class, _)| class != target).map(|(_, p)| p).sum();
        -others
    }
}

fn image_f64(image: &[f32]) -> Vec<f64> {
    image.iter().map(|&pixel| f64::from(pixel)).collect()
}

fn probabilities_f64(network: &Cnn<f64>, image: &[f64]) -> [f64; CLASSES] {
    let mut probabilities = [0.0; CLASSES];
    network.predict(image, &mut probabilities);
    probabilities
}

/// ∂p_target/∂pixel by central differences of the `f64` network, `None` for a pixel where
/// the network is not differentiable: where the forward and backward one-sided
/// differences disagree by more than their truncation error could explain. That happens
/// at a ReLU kink and, more often, where a max-pool window holds equal largest values
/// (background regions give equal conv 2 outputs), and a perturbation moves them apart.
fn numeric_input_gradient(network: &Cnn<f64>, image: &[f64], target: usize) -> Vec<Option<f64>> {
    let centre = target_probability(&probabilities_f64(network, image), target);
    let mut perturbed = image.to_vec();
    let one_sided: Vec<(f64, f64)> = (0..PIXELS)
        .map(|pixel| {
            perturbed[pixel] = image[pixel] + STEP;
            let up = target_probability(&probabilities_f64(network, &perturbed), target);
            perturbed[pixel] = image[pixel] - STEP;
            let down = target_probability(&probabilities_f64(network, &perturbed), target);
            perturbed[pixel] = image[pixel];
            ((up - centre) / STEP, (centre - down) / STEP)
        })
        .collect();
    let scale =
        one_sided.iter().fold(0.0f64, |largest, &(forward, backward)| largest.max(forward.abs()).max(backward.abs()));
    one_sided
        .into_iter()
        .map(|(forward, backward)| {
            ((forward - backward).abs() <= KINK_THRESHOLD * scale).then_some((forward + backward) / 2.0)
        })
        .collect()
}

/// Disagreement of the one-sided differences, relative to the gradient's largest element,
/// above which a pixel counts as a point of non-differentiability. Smooth points disagree
/// by about `STEP` × the second derivative, some 1e-6 of the scale or less.
const KINK_THRESHOLD: f64 = 1e-4;

/// Image `index` plus a small deterministic jitter (below 0.01, well inside the pixel
/// range) that separates the equal values of blank regions, so that the network is
/// differentiable at every pixel.
fn jittered_image(index: usize) -> Vec<f64> {
    let image = Digits::shared().image(index);
    image
        .iter()
        .enumerate()
        .map(|(pixel, &value)| f64::from(value) + ((pixel * 37 + index * 11) % 17) as f64 * 5e-4)
        .collect()
}

/// ‖a − b‖ / ‖b‖ (or ‖a‖ when b is 0).
fn relative_error(analytic: impl IntoIterator<Item = f64>, numeric: &[f64]) -> f64 {
    let (mut difference, mut reference) = (0.0f64, 0.0f64);
    for (a, &n) in analytic.into_iter().zip(numeric) {
        difference += (a - n).powi(2);
        reference += n * n;
    }
    if reference == 0.0 {
        difference.sqrt()
    } else {
        (difference / reference).sqrt()
    }
}

/// The label and a class three digits on: a likely and an unlikely target.
fn targets_for(label: u32) -> [u32; 2] {
    [label, (label + 3) % CLASSES as u32]
}

#[test]
fn data_has_1797_images_of_the_ten_digits_with_pixels_in_0_1() {
    let data = Digits::shared();
    assert_eq!(data.len(), IMAGES);
    assert_eq!(data.images().len(), IMAGES * PIXELS);
    let mut per_class = [0usize; CLASSES];
    for &label in data.labels() {
        per_class[label as usize] += 1;
    }
    assert_eq!(per_class, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    for &pixel in data.images() {
        assert!((0.0..=1.0).contains(&pixel), "pixel {pixel}");
        assert_eq!((pixel * 16.0).fract(), 0.0, "pixel {pixel} is not a count / 16");
    }
    assert_eq!(data.images().iter().fold(0.0f32, |a, &b| a.max(b)), 1.0);
    assert_eq!(data.image(0)[..8], [0.0, 0.0, 5.0 / 16.0, 13.0 / 16.0, 9.0 / 16.0, 1.0 / 16.0, 0.0, 0.0]);
    assert_eq!(data.labels()[..3], [0, 1, 2]);
    assert_eq!(TRAINING_ROWS.end, TEST_ROWS.start);
    assert_eq!(TEST_ROWS.end, IMAGES);
}

#[test]
fn malformed_lines_are_reported_with_their_line_number() {
    let good = format!("{},3", vec!["0"; PIXELS].join(","));
    assert_eq!(Digits::from_csv(&good).map(|d| d.labels().to_vec()), Ok(vec![3]));
    let cases = [
        (format!("{good}\n{}", vec!["0"; PIXELS].join(",")), 2, "fields"),
        (format!("{},3", vec!["17"; PIXELS].join(",")), 1, "pixel 0"),
        (format!("{},10", vec!["0"; PIXELS].join(",")), 1, "label"),
        (format!("{},-1", vec!["0"; PIXELS].join(",")), 1, "label"),
        (format!("{},3", vec!["1.5"; PIXELS].join(",")), 1, "pixel 0"),
    ];
    for (text, line, mentions) in cases {
        let error = Digits::from_csv(&text).expect_err("malformed");
        assert_eq!(error.line(), Some(line), "{error}");
        assert!(error.message().contains(mentions), "{error}");
    }
    assert!(Digits::from_csv("").is_err());
    assert!(Digits::from_gzip(b"not gzip").is_err());
}

#[test]
fn embedded_weights_reach_the_recorded_accuracy() {
    let data = Digits::shared();
    let file = WeightsFile::embedded().expect("the embedded weights parse");
    let network = DigitsCnn::shared().network();
    let training_correct = network.correct(data.images_in(TRAINING_ROWS), &data.labels()[TRAINING_ROWS]);
    let test_correct = network.correct(data.images_in(TEST_ROWS), &data.labels()[TEST_ROWS]);
    assert_eq!((training_correct, test_correct), (file.accuracy.training_correct, file.accuracy.test_correct));
    assert_eq!((file.accuracy.training_images, file.accuracy.test_images), (TRAINING_ROWS.len(), TEST_ROWS.len()));
    let test_accuracy = network.accuracy(data.images_in(TEST_ROWS), &data.labels()[TEST_ROWS]);
    let training_accuracy = network.accuracy(data.images_in(TRAINING_ROWS), &data.labels()[TRAINING_ROWS]);
    assert!(test_accuracy > MIN_TEST_ACCURACY, "test accuracy {test_accuracy}");
    assert!(training_accuracy > MIN_TRAINING_ACCURACY, "training accuracy {training_accuracy}");
}

#[test]
fn embedded_weights_file_is_exactly_what_the_writer_produces() {
    let file = WeightsFile::embedded().expect("the embedded weights parse");
    let json = file.to_json().expect("serialisable");
    assert_eq!(json, lumen_models::digits::weights::WEIGHTS_JSON);
    assert_eq!(WeightsFile::parse(&json), Ok(file));
    assert!(DigitsCnn::from_json("{}").is_err());
}

#[test]
fn signature_describes_images_ten_classes_and_the_grad_cam_layer() {
    let signature = DigitsCnn::shared().signature();
    assert_eq!(signature.input_shape, vec![1, 8, 8]);
    assert_eq!(signature.output_len, 10);
    assert_eq!(signature.layer_shape, Some([16, 8, 8]));
    assert_eq!(LAYER_SHAPE, [16, 8, 8]);
    assert!(signature.concurrent);
    assert_eq!(signature.feature_names, None);
    assert_eq!(signature.max_batch_rows, None);
    signature.validate().expect("a valid signature");
}

#[test]
fn probabilities_sum_to_1() {
    let data = Digits::shared();
    let mut outputs = vec![0.0; IMAGES * CLASSES];
    DigitsCnn::shared().predict(data.images(), IMAGES, &mut outputs).expect("predict");
    for probabilities in outputs.chunks_exact(CLASSES) {
        let total: f32 = probabilities.iter().sum();
        assert!((total - 1.0).abs() < 1e-5, "total {total}");
        assert!(probabilities.iter().all(|&p| (0.0..=1.0).contains(&p)));
    }
}

#[test]
fn a_batch_gives_the_same_results_as_row_by_row_calls() {
    let model = DigitsCnn::shared();
    let data = Digits::shared();
    let rows = 40;
    let inputs = data.images_in(1480..1480 + rows);
    let targets: Vec<u32> = (0..rows as u32).map(|row| (row * 7) % 10).collect();

    let mut outputs = vec![0.0; rows * CLASSES];
    model.predict(inputs, rows, &mut outputs).expect("predict");
    let mut gradients = vec![0.0; rows * PIXELS];
    let mut gradient_outputs = vec![0.0; rows * CLASSES];
    model.gradient(inputs, rows, &targets, &mut gradients, Some(&mut gradient_outputs)).expect("gradient");
    let mut activations = vec![0.0; rows * LAYER_LEN];
    let mut layer_gradients = vec![0.0; rows * LAYER_LEN];
    model.layer_gradient(inputs, rows, &targets, &mut activations, &mut layer_gradients).expect("layer gradient");
    assert_eq!(gradient_outputs, outputs);

    for row in 0..rows {
        let image = &inputs[row * PIXELS..][..PIXELS];
        let target = &targets[row..=row];
        let mut one_output = [0.0; CLASSES];
        model.predict(image, 1, &mut one_output).expect("predict");
        assert_eq!(one_output[..], outputs[row * CLASSES..][..CLASSES]);
        let mut one_gradient = [0.0; PIXELS];
        model.gradient(image, 1, target, &mut one_gradient, None).expect("gradient");
        assert_eq!(one_gradient[..], gradients[row * PIXELS..][..PIXELS]);
        let (mut one_activations, mut one_layer_gradient) = (vec![0.0; LAYER_LEN], vec![0.0; LAYER_LEN]);
        model.layer_gradient(image, 1, target, &mut one_activations, &mut one_layer_gradient).expect("layer");
        assert_eq!(one_activations[..], activations[row * LAYER_LEN..][..LAYER_LEN]);
        assert_eq!(one_layer_gradient[..], layer_gradients[row * LAYER_LEN..][..LAYER_LEN]);
    }
}

/// Checks the `f32` model's and the `f64` network's input gradients of one image and
/// target against central differences, over the pixels where the network is
/// differentiable. Returns the two relative errors and the number of pixels skipped.
fn check_input_gradient(image64: &[f64], target: u32, what: &str) -> (f64, f64, usize) {
    let model = DigitsCnn::shared();
    let numeric = numeric_input_gradient(model.network_f64(), image64, target as usize);
    let image32: Vec<f32> = image64.iter().map(|&value| value as f32).collect();
    let mut gradient = [0.0f32; PIXELS];
    model.gradient(&image32, 1, &[target], &mut gradient, None).expect("gradient");
    let mut gradient64 = [0.0f64; PIXELS];
    model.network_f64().input_gradient(image64, target as usize, &mut gradient64);

    let smooth: Vec<usize> = (0..PIXELS).filter(|&pixel| numeric[pixel].is_some()).collect();
    let numeric: Vec<f64> = numeric.iter().flatten().copied().collect();
    assert!(numeric.iter().any(|&g| g != 0.0), "{what} target {target}: a flat gradient");
    let error_f32 = relative_error(smooth.iter().map(|&pixel| f64::from(gradient[pixel])), &numeric);
    let error_f64 = relative_error(smooth.iter().map(|&pixel| gradient64[pixel]), &numeric);
    let skipped = PIXELS - smooth.len();
    eprintln!("{what} target {target}: {skipped} kink pixels skipped, relative error f32 {error_f32:.2e}, f64 {error_f64:.2e}");
    assert!(error_f32 < MAX_RELATIVE_ERROR, "{what} target {target}: f32 error {error_f32}");
    assert!(error_f64 < MAX_RELATIVE_ERROR, "{what} target {target}: f64 error {error_f64}");
    (error_f32, error_f64, skipped)
}

#[test]
fn input_gradient_matches_finite_differences() {
    let data = Digits::shared();
    let (mut worst, mut skipped) = ((0.0f64, 0.0f64), 0);
    for image_index in CHECKED_IMAGES {
        for target in targets_for(data.labels()[image_index]) {
            let image = image_f64(data.image(image_index));
            let (error_f32, error_f64, kinks) = check_input_gradient(&image, target, &format!("image {image_index}"));
            assert!(kinks <= PIXELS / 2, "image {image_index} target {target}: {kinks} pixels at kinks");
            worst = (worst.0.max(error_f32), worst.1.max(error_f64));
            skipped += kinks;
        }
    }
    eprintln!(
        "input gradient, largest relative error: f32 {:.2e}, f64 {:.2e}; {skipped} kink pixels",
        worst.0, worst.1
    );
}

#[test]
fn input_gradient_matches_finite_differences_at_every_pixel_of_jittered_images() {
    let data = Digits::shared();
    let mut worst = (0.0f64, 0.0f64);
    for image_index in CHECKED_IMAGES {
        for target in targets_for(data.labels()[image_index]) {
            let image = jittered_image(image_index);
            let (error_f32, error_f64, kinks) =
                check_input_gradient(&image, target, &format!("jittered image {image_index}"));
            assert_eq!(kinks, 0, "jittered image {image_index} target {target}: {kinks} pixels at kinks");
            worst = (worst.0.max(error_f32), worst.1.max(error_f64));
        }
    }
    eprintln!("input gradient, jittered images, largest relative error: f32 {:.2e}, f64 {:.2e}", worst.0, worst.1);
}

#[test]
fn gradient_writes_the_outputs_when_asked() {
    let model = DigitsCnn::shared();
    let image = Digits::shared().image(5);
    let (mut with_outputs, mut without) = ([0.0; PIXELS], [0.0; PIXELS]);
    let mut outputs = [0.0; CLASSES];
    model.gradient(image, 1, &[5], &mut with_outputs, Some(&mut outputs)).expect("gradient");
    model.gradient(image, 1, &[5], &mut without, None).expect("gradient");
    assert_eq!(with_outputs, without);
    assert_eq!(outputs, model.probabilities(image));
}

/// Whether `element` of the layer shares its 2 × 2 pooling window with an equal value, so
/// that max-pooling is not differentiable there.
fn in_tied_window(layer: &[f64], element: usize) -> bool {
    let channel_start = element / PIXELS * PIXELS;
    let (y, x) = ((element % PIXELS) / 8, element % 8);
    let top_left = channel_start + (y / 2 * 2) * 8 + x / 2 * 2;
    let window = [top_left, top_left + 1, top_left + 8, top_left + 9];
    let largest = window.iter().map(|&i| layer[i]).fold(f64::NEG_INFINITY, f64::max);
    window.iter().filter(|&&i| layer[i] == largest).count() > 1
}

#[test]
fn layer_gradient_matches_the_forward_pass_and_finite_differences() {
    let model = DigitsCnn::shared();
    let data = Digits::shared();
    let mut worst = (0.0f64, 0.0f64);
    let mut checked_elements = 0;
    for image_index in CHECKED_IMAGES {
        let image = data.image(image_index);
        let image64 = image_f64(image);
        let mut trace32 = Trace::new();
        model.network().forward(image, &mut trace32);
        let mut trace64 = Trace::new();
        model.network_f64().forward(&image64, &mut trace64);
        let layer64 = trace64.layer().to_vec();

        for target in targets_for(data.labels()[image_index]) {
            let mut activations = vec![0.0f32; LAYER_LEN];
            let mut gradient = vec![0.0f32; LAYER_LEN];
            model.layer_gradient(image, 1, &[target], &mut activations, &mut gradient).expect("layer gradient");
            assert_eq!(activations, trace32.layer(), "activations differ from a forward pass");

            let mut activations64 = vec![0.0f64; LAYER_LEN];
            let mut gradient64 = vec![0.0f64; LAYER_LEN];
            model.network_f64().layer_gradient(&image64, target as usize, &mut activations64, &mut gradient64);

            let mut head = Trace::new();
            let mut perturbed = layer64.clone();
            let (mut analytic32, mut analytic64, mut numeric) = (Vec::new(), Vec::new(), Vec::new());
            for element in (0..LAYER_LEN).filter(|&element| !in_tied_window(&layer64, element)) {
                let mut difference = 0.0;
                for sign in [1.0, -1.0] {
                    perturbed[element] = layer64[element] + sign * STEP;
                    model.network_f64().forward_from_layer(&perturbed, &mut head);
                    difference += sign * target_probability(head.probabilities(), target as usize);
                }
                perturbed[element] = layer64[element];
                numeric.push(difference / (2.0 * STEP));
                analytic32.push(f64::from(gradient[element]));
                analytic64.push(gradient64[element]);
            }
            checked_elements += numeric.len();
            assert!(numeric.len() >= LAYER_LEN / 4, "image {image_index}: only {} untied elements", numeric.len());
            assert!(numeric.iter().any(|&g| g != 0.0), "image {image_index} target {target}: a flat gradient");
            let error_f32 = relative_error(analytic32, &numeric);
            let error_f64 = relative_error(analytic64, &numeric);
            eprintln!(
                "image {image_index} target {target}: {} elements, relative error f32 {error_f32:.2e}, f64 {error_f64:.2e}",
                numeric.len()
            );
            assert!(error_f32 < MAX_RELATIVE_ERROR, "image {image_index} target {target}: f32 error {error_f32}");
            assert!(error_f64 < MAX_RELATIVE_ERROR, "image {image_index} target {target}: f64 error {error_f64}");
            worst = (worst.0.max(error_f32), worst.1.max(error_f64));
        }
    }
    eprintln!(
        "layer gradient, {checked_elements} elements, largest relative error: f32 {:.2e}, f64 {:.2e}",
        worst.0, worst.1
    );
}

#[test]
fn layer_gradient_is_zero_outside_each_windows_chosen_value() {
    let model = DigitsCnn::shared();
    let image = Digits::shared().image(1600);
    let (mut activations, mut gradient) = (vec![0.0f32; LAYER_LEN], vec![0.0f32; LAYER_LEN]);
    model.layer_gradient(image, 1, &[3], &mut activations, &mut gradient).expect("layer gradient");
    let nonzero = gradient.iter().filter(|&&g| g != 0.0).count();
    assert!(nonzero <= LAYER_LEN / 4, "{nonzero} non-zero gradients, at most one per pooling window");
    assert!(nonzero > 0);
}

#[test]
fn calls_with_wrong_lengths_or_targets_are_refused() {
    let model = DigitsCnn::shared();
    let image = Digits::shared().image(0);
    let mut outputs = [0.0; CLASSES];
    let mut gradient = [0.0; PIXELS];
    let (mut activations, mut layer_gradient) = (vec![0.0; LAYER_LEN], vec![0.0; LAYER_LEN]);

    let kind = |result: lumen::Result<()>| result.expect_err("refused").kind();
    assert_eq!(kind(model.predict(&image[..63], 1, &mut outputs)), ErrorKind::LengthMismatch);
    assert_eq!(kind(model.predict(image, 1, &mut outputs[..9])), ErrorKind::LengthMismatch);
    assert_eq!(kind(model.gradient(image, 1, &[10], &mut gradient, None)), ErrorKind::InvalidArgument);
    assert_eq!(kind(model.gradient(image, 1, &[1, 2], &mut gradient, None)), ErrorKind::LengthMismatch);
    assert_eq!(kind(model.gradient(image, 1, &[1], &mut gradient[..8], None)), ErrorKind::LengthMismatch);
    assert_eq!(kind(model.gradient(image, 1, &[1], &mut gradient, Some(&mut outputs[..3]))), ErrorKind::LengthMismatch);
    assert_eq!(
        kind(model.layer_gradient(image, 1, &[1], &mut activations[..10], &mut layer_gradient)),
        ErrorKind::LengthMismatch
    );
    assert_eq!(
        kind(model.layer_gradient(image, 1, &[12], &mut activations, &mut layer_gradient)),
        ErrorKind::InvalidArgument
    );
    model.predict(&[], 0, &mut []).expect("zero rows are fine");
}

#[test]
fn heatmaps_render_magnitudes_and_signs() {
    let map = [0.0, 0.5, 1.0, -1.0, -0.25, 0.05];
    assert_eq!(render_heatmap(&map, 3, HeatmapStyle::Magnitude), "  ++@@\n@@::  \n");
    assert_eq!(render_heatmap(&map, 3, HeatmapStyle::Signed), "  +++@\n-@-:  \n");
    assert_eq!(render_heatmap(&[0.0; 4], 2, HeatmapStyle::Signed), "    \n    \n");
    let digit = render_heatmap(Digits::shared().image(0), 8, HeatmapStyle::Magnitude);
    assert_eq!(digit.lines().count(), 8);
    assert!(digit.lines().all(|line| line.chars().count() == 16));
}

#[test]
fn training_is_deterministic_and_lowers_the_loss() {
    let data = Digits::shared();
    let config = TrainingConfig { epochs: 3, ..TrainingConfig::DIGITS };
    let rows = 0..300;
    let first = train(data.images_in(rows.clone()), &data.labels()[rows.clone()], &config);
    let second = train(data.images_in(rows.clone()), &data.labels()[rows], &config);
    let bits = |run: &TrainingRun| run.network.parameters().iter().map(|value| value.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&first), bits(&second));
    assert_eq!(first.epoch_losses.len(), 3);
    assert!(first.epoch_losses.windows(2).all(|pair| pair[1] < pair[0]), "losses {:?}", first.epoch_losses);
}
