//! Grad-CAM against hand computations: fixed 2-channel 2 × 2 layers with known maps, and
//! the bilinear upsampling against an independent per-pixel implementation of PyTorch's
//! `F.interpolate(mode="bilinear", align_corners=False)`.

mod common;

use std::sync::Mutex;

use common::{engine, values};
use lumen::backend::BackendKind;
use lumen::explain::gradient::{grad_cam, GradCamParams};
use lumen::explanation::Method;
use lumen::{ErrorKind, Model, ModelSignature};

/// Channel 0: A = [1, 2, 3, 4], ∂f/∂A = [0.5, 0.5, 1, 2] (mean 1).
/// Channel 1: A = [4, 0, 1, −1], ∂f/∂A = [−1, −1, −1, −1] (mean −1).
const ACTIVATIONS: [f32; 8] = [1.0, 2.0, 3.0, 4.0, 4.0, 0.0, 1.0, -1.0];
const GRADIENTS: [f32; 8] = [0.5, 0.5, 1.0, 2.0, -1.0, -1.0, -1.0, -1.0];
/// 1 · A_0 − 1 · A_1.
const MAP: [f32; 4] = [-3.0, 2.0, 2.0, 5.0];

/// A model with a layer: activation `e` of a row is `base_activations[e] · x[e mod n]`,
/// its gradient for target `t` is `(t + 1) · base_gradients[e]`; f_t(x) = (t + 1) Σ x.
struct LayerModel {
    signature: ModelSignature,
    base_activations: Vec<f32>,
    base_gradients: Vec<f32>,
    poison: Option<&'static str>,
    largest_call: Mutex<usize>,
}

impl LayerModel {
    fn new(input_shape: &[usize], layer: [usize; 3], base_activations: Vec<f32>, base_gradients: Vec<f32>) -> Self {
        let mut signature = ModelSignature::flat(input_shape.iter().product(), 2);
        signature.input_shape = input_shape.to_vec();
        signature.layer_shape = Some(layer);
        Self { signature, base_activations, base_gradients, poison: None, largest_call: Mutex::new(0) }
    }

    /// The hand-computed 2 × 2 layer over inputs of `input_shape`.
    fn fixed(input_shape: &[usize]) -> Self {
        Self::new(input_shape, [2, 2, 2], ACTIVATIONS.to_vec(), GRADIENTS.to_vec())
    }
}

impl Model for LayerModel {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for (x, out) in inputs.chunks_exact(n).zip(outputs.chunks_exact_mut(2)).take(rows) {
            let sum: f32 = x.iter().sum();
            out[0] = sum;
            out[1] = 2.0 * sum;
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
    ) -> lumen::Result<()> {
        let n = self.signature.input_len();
        let len = self.base_activations.len();
        assert_eq!(
            (inputs.len(), targets.len(), activations.len(), gradients.len()),
            (rows * n, rows, rows * len, rows * len)
        );
        let mut largest = self.largest_call.lock().unwrap();
        *largest = (*largest).max(rows);
        for r in 0..rows {
            let x = &inputs[r * n..(r + 1) * n];
            let scale = (targets[r] + 1) as f32;
            for e in 0..len {
                activations[r * len + e] = self.base_activations[e] * x[e % n];
                gradients[r * len + e] = self.base_gradients[e] * scale;
            }
        }
        match self.poison {
            Some("activations") => activations[rows * len - 1] = f32::NAN,
            Some("gradients") => gradients[0] = f32::INFINITY,
            _ => {}
        }
        Ok(())
    }
}

/// The map of a row of constant value `x` for target `t`: x · (t + 1) · MAP.
fn hand_map(x: f32, t: u32, relu: bool) -> Vec<f32> {
    MAP.iter().map(|&m| x * (t + 1) as f32 * m).map(|v| if relu { v.max(0.0) } else { v }).collect()
}

/// PyTorch's bilinear interpolation with `align_corners=False`, written out per output
/// pixel: source coordinate (d + 0.5) · in/out − 0.5 clamped at 0, neighbours clamped at
/// the last row/column.
fn reference_bilinear(map: &[f32], h: usize, w: usize, out_h: usize, out_w: usize) -> Vec<f32> {
    fn source(d: usize, input: usize, output: usize) -> (usize, usize, f64) {
        let s = ((d as f64 + 0.5) * (input as f64 / output as f64) - 0.5).max(0.0);
        let i0 = (s.floor() as usize).min(input - 1);
        let i1 = if i0 + 1 < input { i0 + 1 } else { i0 };
        (i0, i1, s - i0 as f64)
    }
    let at = |y: usize, x: usize| f64::from(map[y * w + x]);
    let mut out = Vec::with_capacity(out_h * out_w);
    for oy in 0..out_h {
        let (y0, y1, ly) = source(oy, h, out_h);
        for ox in 0..out_w {
            let (x0, x1, lx) = source(ox, w, out_w);
            let top = (1.0 - lx) * at(y0, x0) + lx * at(y0, x1);
            let bottom = (1.0 - lx) * at(y1, x0) + lx * at(y1, x1);
            out.push(((1.0 - ly) * top + ly * bottom) as f32);
        }
    }
    out
}

/// Compares backend outputs (f32) or attributions (f64) with f32 expectations, in f64.
fn assert_close<A: Copy + Into<f64>>(actual: &[A], expected: &[f32], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let (a, e): (f64, f64) = (a.into(), e.into());
        assert!((a - e).abs() <= 1e-5 * (1.0 + e.abs()), "{what}: element {i} is {a}, expected {e}");
    }
}

backend_tests! {
    fn the_map_is_the_gradient_weighted_sum_of_activations(backend) {
        let Some(engine) = engine(backend, 2) else { return };
        let model = LayerModel::fixed(&[1, 2, 2]);
        // Row 0 is all 1, row 1 all −2: activations scale with the row.
        let inputs = [1.0, 1.0, 1.0, 1.0, -2.0, -2.0, -2.0, -2.0];
        for relu in [false, true] {
            let params = GradCamParams { relu_attributions: relu, upsample: false, ..Default::default() };
            let e = grad_cam(&engine, &model, &inputs, 2, &params).unwrap();
            assert_eq!((e.method, e.features, e.outputs.clone()), (Method::GradCam, 4, vec![0, 1]));
            assert_eq!(e.input_shape, vec![1, 2, 2]);
            assert_eq!(e.feature_shape, vec![2, 2], "the layer's h × w plane");
            for (r, x) in [(0, 1.0f32), (1, -2.0)] {
                for t in 0..2u32 {
                    assert_close(e.row_attributions(r, t as usize), &hand_map(x, t, relu), "map");
                    assert_eq!(e.predictions[r * 2 + t as usize], f64::from((t + 1) as f32 * 4.0 * x));
                }
                assert_eq!(e.diagnostics[r].model_rows_evaluated, 3);
                assert_eq!(e.diagnostics[r].completeness_gap, None);
            }
            assert_eq!(e.base_values, vec![0.0; 4]);
            assert_eq!(e.audit.model_rows_evaluated, 2 * 2 + 2);
            assert_eq!(e.parameters["relu_attributions"], relu);
        }
        // By hand, the ReLU map of row 1 / target 0 is −2 · [−3, 2, 2, 5] → [6, 0, 0, 0].
        let params = GradCamParams { relu_attributions: true, upsample: false, targets: Some(vec![0]), ..Default::default() };
        let e = grad_cam(&engine, &model, &inputs, 2, &params).unwrap();
        assert_eq!(e.row_attributions(1, 0), &[6.0, 0.0, 0.0, 0.0]);
    }

    fn the_backend_upsampling_matches_the_reference_formula(backend) {
        let Some(engine) = engine(backend, 3) else { return };
        // PyTorch: F.interpolate([[1, 2], [3, 4]], size=(4, 4), mode="bilinear").
        let mut out = vec![0.0f32; 16];
        engine.backend().upsample_bilinear(&[1.0, 2.0, 3.0, 4.0], [2, 2], [4, 4], &mut out).unwrap();
        let torch = [1.0, 1.25, 1.75, 2.0, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3.0, 3.25, 3.75, 4.0];
        assert_close(&out, &torch, "2x2 -> 4x4 against PyTorch");
        let sizes = [([2, 2], [4, 4]), ([3, 3], [8, 8]), ([4, 4], [7, 5]), ([5, 3], [2, 7]), ([3, 4], [3, 4]), ([1, 1], [3, 2])];
        for (seed, ([h, w], [out_h, out_w])) in sizes.into_iter().enumerate() {
            // Three maps at once: each is resampled on its own.
            let maps = values(3 * h * w, seed as u64 + 1);
            let mut out = vec![f32::NAN; 3 * out_h * out_w];
            engine.backend().upsample_bilinear(&maps, [h, w], [out_h, out_w], &mut out).unwrap();
            for m in 0..3 {
                let want = reference_bilinear(&maps[m * h * w..(m + 1) * h * w], h, w, out_h, out_w);
                assert_close(&out[m * out_h * out_w..(m + 1) * out_h * out_w], &want, &format!("{h}x{w} -> {out_h}x{out_w}, map {m}"));
            }
        }
    }

    fn upsampled_maps_cover_the_input_plane(backend) {
        let Some(engine) = engine(backend, 2) else { return };
        for (shape, [out_h, out_w]) in [(vec![3, 4, 4], [4, 4]), (vec![3, 8, 8], [8, 8]), (vec![7, 5], [7, 5])] {
            let model = LayerModel::fixed(&shape);
            let n: usize = shape.iter().product();
            let inputs = vec![1.5f32; n];
            let params = GradCamParams { targets: Some(vec![1]), ..Default::default() };
            let e = grad_cam(&engine, &model, &inputs, 1, &params).unwrap();
            assert_eq!(e.features, out_h * out_w, "{shape:?}");
            assert_eq!(e.feature_shape, vec![out_h, out_w], "the input's plane, {shape:?}");
            let want = reference_bilinear(&hand_map(1.5, 1, false), 2, 2, out_h, out_w);
            assert_close(e.row_attributions(0, 0), &want, &format!("{shape:?}"));
        }
    }

    fn grad_cam_is_deterministic_across_threads_and_batches(backend) {
        let layer = [6, 5, 7];
        let len = 6 * 5 * 7;
        let mut model = LayerModel::new(&[3, 20, 18], layer, values(len, 11), values(len, 12));
        model.signature.max_batch_rows = Some(4);
        let rows = 5;
        let inputs = values(rows * 3 * 20 * 18, 13);
        let mut results = Vec::new();
        for (threads, batch) in [(1, None), (2, Some(3)), (8, Some(1)), (4, None)] {
            let Some(engine) = engine(backend, threads) else { return };
            let params = GradCamParams { internal_batch_size: batch, relu_attributions: true, ..Default::default() };
            let e = grad_cam(&engine, &model, &inputs, rows, &params).unwrap();
            results.push(e.attributions.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        }
        assert!(*model.largest_call.lock().unwrap() <= 4, "the model's batch limit was exceeded");
        assert!(results.windows(2).all(|pair| pair[0] == pair[1]), "results differ between thread counts or batches");
        assert_eq!(results[0].len(), rows * 2 * 20 * 18);
    }
}

/// A layer model's callbacks, minus the layer callback.
struct NoLayer(ModelSignature);

impl Model for NoLayer {
    fn signature(&self) -> &ModelSignature {
        &self.0
    }
    fn predict(&self, _: &[f32], _: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        outputs.fill(0.0);
        Ok(())
    }
}

#[test]
fn grad_cam_rejects_what_it_cannot_explain() {
    let engine = engine(BackendKind::Cpu, 2).unwrap();
    let inputs = [1.0f32; 4];
    let run =
        |model: &dyn Model, params: &GradCamParams| grad_cam(&engine, model, &inputs, 1, params).unwrap_err().kind();
    let defaults = GradCamParams::default();

    let mut signature = ModelSignature::flat(4, 2);
    signature.input_shape = vec![2, 2];
    signature.layer_shape = Some([2, 2, 2]);
    assert_eq!(run(&NoLayer(signature.clone()), &defaults), ErrorKind::ModelCapabilityMissing);
    signature.layer_shape = None;
    assert_eq!(run(&NoLayer(signature), &defaults), ErrorKind::ModelCapabilityMissing);

    let mut model = LayerModel::fixed(&[2, 2]);
    model.poison = Some("activations");
    assert_eq!(run(&model, &defaults), ErrorKind::ModelNonFiniteOutput);
    model.poison = Some("gradients");
    assert_eq!(run(&model, &defaults), ErrorKind::ModelNonFiniteOutput);

    let model = LayerModel::fixed(&[2, 2]);
    assert_eq!(
        run(&model, &GradCamParams { targets: Some(vec![2]), ..Default::default() }),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        run(&model, &GradCamParams { internal_batch_size: Some(0), ..Default::default() }),
        ErrorKind::InvalidArgument
    );

    // A flat input has no plane to upsample to; without upsampling it explains fine.
    let flat = LayerModel::fixed(&[4]);
    assert_eq!(run(&flat, &defaults), ErrorKind::InvalidArgument);
    let e = grad_cam(&engine, &flat, &inputs, 1, &GradCamParams { upsample: false, ..Default::default() }).unwrap();
    assert_eq!((e.features, e.row_attributions(0, 0)), (4, &MAP.map(f64::from)[..]));
}
