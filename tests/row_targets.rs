//! Per-row targets (Captum's `target` list): every gradient and perturbation method gives
//! each row the explanation of its own output, equal bit for bit to one call per row.

mod common;

use std::sync::Arc;

use common::values;
use lumen::backend::Baselines;
use lumen::engine::call_control::{CallControl, ControlScope};
use lumen::explain::counterfactual::schema::{Feature, FeatureKind, Schema};
use lumen::explain::counterfactual::{permute_attack, PermuteAttackParams};
use lumen::explain::gradient::{
    grad_cam, gradient_shap, integrated_gradients, noise_tunnel, saliency, GradCamParams, GradientShapParams,
    IntegratedGradientsParams, NoiseTunnelBase, NoiseTunnelParams, SaliencyParams,
};
use lumen::explain::shapley::{
    kernel_shap, shapley_value_sampling, Background, KernelShapParams, ShapleyGame, ShapleySamplingParams,
};
use lumen::{
    feature_ablation, occlusion, Engine, EngineConfig, ErrorKind, Explanation, FeatureAblationParams, Model,
    ModelSignature, OcclusionParams,
};

const N: usize = 4;
const OUTPUTS: usize = 3;

/// f_t(x) = Σ_i (i + t + 1) x_i + t · x_0 x_1 + 0.2 Σ x_i², with its gradient and a 1×2×2
/// layer whose activations are x and whose gradients are the input gradient.
struct Classes {
    signature: ModelSignature,
}

impl Classes {
    fn new() -> Self {
        let mut signature = ModelSignature::flat(N, OUTPUTS);
        signature.input_shape = vec![1, 2, 2];
        signature.layer_shape = Some([1, 2, 2]);
        Self { signature }
    }

    fn output(x: &[f32], t: usize) -> f32 {
        let linear: f32 = x.iter().enumerate().map(|(i, v)| (i + t + 1) as f32 * v).sum();
        linear + t as f32 * x[0] * x[1] + 0.2 * x.iter().map(|v| v * v).sum::<f32>()
    }

    fn grad(x: &[f32], t: usize, g: &mut [f32]) {
        for i in 0..N {
            g[i] = (i + t + 1) as f32 + 0.4 * x[i];
        }
        g[0] += t as f32 * x[1];
        g[1] += t as f32 * x[0];
    }
}

impl Model for Classes {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        for (x, out) in inputs.chunks_exact(N).zip(outputs.chunks_exact_mut(OUTPUTS)).take(rows) {
            for (t, o) in out.iter_mut().enumerate() {
                *o = Self::output(x, t);
            }
        }
        Ok(())
    }
    fn gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        targets: &[u32],
        gradients: &mut [f32],
        _outputs: Option<&mut [f32]>,
    ) -> lumen::Result<()> {
        for r in 0..rows {
            Self::grad(&inputs[r * N..(r + 1) * N], targets[r] as usize, &mut gradients[r * N..(r + 1) * N]);
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
        activations[..rows * N].copy_from_slice(&inputs[..rows * N]);
        self.gradient(inputs, rows, targets, gradients, None)
    }
}

fn engine() -> Engine {
    Engine::new(EngineConfig { backend: lumen::BackendChoice::Cpu, threads: 2, seed: 3, ..Default::default() }).unwrap()
}

const ROWS: usize = 5;
const ROW_TARGETS: [u32; ROWS] = [2, 0, 2, 1, 0];

/// Runs `f` with per-row `targets` on this thread's call.
fn with_row_targets<T>(targets: &[u32], f: impl FnOnce() -> T) -> T {
    let control = CallControl::new(None, None, None, None).with_row_targets(targets.to_vec());
    let _scope = ControlScope::enter(Some(Arc::new(control)));
    f()
}

/// `explain(x, rows, targets)` with per-row targets equals one call per row with that
/// row's target: values, prediction, base value, standard errors and diagnostics.
fn assert_equals_one_call_per_row(explain: impl Fn(&[f32], usize, Option<Vec<u32>>) -> Explanation) {
    let x = values(ROWS * N, 5);
    let per_row = with_row_targets(&ROW_TARGETS, || explain(&x, ROWS, None));
    assert_eq!(per_row.row_targets.as_deref(), Some(&ROW_TARGETS[..]));
    assert_eq!(per_row.outputs_per_row(), 1);
    assert!(per_row.outputs.is_empty());
    for (r, &target) in ROW_TARGETS.iter().enumerate() {
        let alone = explain(&x[r * N..(r + 1) * N], 1, Some(vec![target]));
        assert_eq!(per_row.row_attributions(r, 0), alone.row_attributions(0, 0), "row {r}, target {target}");
        assert_eq!(per_row.predictions[r], alone.predictions[0], "row {r}");
        assert_eq!(per_row.base_values[r], alone.base_values[0], "row {r}");
        assert_eq!(per_row.output_of(r, 0), target);
        assert_eq!(per_row.diagnostics[r], alone.diagnostics[0], "row {r}");
        if let Some(errors) = &per_row.standard_errors {
            let f = per_row.features;
            assert_eq!(&errors[r * f..(r + 1) * f], &alone.standard_errors.as_ref().unwrap()[..], "row {r}");
        }
    }
    let json = per_row.to_json().unwrap();
    assert!(json.contains("\"row_targets\":[2,0,2,1,0]"), "{json}");
}

#[test]
fn perturbation_methods_take_a_target_per_row() {
    let model = Classes::new();
    let engine = engine();
    assert_equals_one_call_per_row(|x, rows, targets| {
        let mut params = OcclusionParams::new(vec![1, 1, 2]);
        params.baseline = Baselines::PerRow(x.iter().map(|v| v * 0.5).collect());
        params.targets = targets;
        occlusion(&engine, &model, x, rows, &params).unwrap()
    });
    assert_equals_one_call_per_row(|x, rows, targets| {
        let params = FeatureAblationParams { targets, baseline: Baselines::Scalar(0.25), ..Default::default() };
        feature_ablation(&engine, &model, x, rows, &params).unwrap()
    });
    let background = Background::new(values(3 * N, 9), N, None).unwrap();
    assert_equals_one_call_per_row(|x, rows, targets| {
        let mut game = ShapleyGame::new(background.clone());
        game.targets = targets;
        let mut params = KernelShapParams::new(game);
        params.budget = Some(6);
        kernel_shap(&engine, &model, x, rows, &params).unwrap()
    });
    assert_equals_one_call_per_row(|x, rows, targets| {
        let mut game = ShapleyGame::new(background.clone());
        game.targets = targets;
        shapley_value_sampling(
            &engine,
            &model,
            x,
            rows,
            &ShapleySamplingParams { permutation_pairs: 2, ..ShapleySamplingParams::new(game) },
        )
        .unwrap()
    });
}

#[test]
fn gradient_methods_take_a_target_per_row() {
    let model = Classes::new();
    let engine = engine();
    assert_equals_one_call_per_row(|x, rows, targets| {
        let params = IntegratedGradientsParams {
            baseline: Baselines::PerRow(x.iter().map(|v| v * 0.25).collect()),
            targets,
            ..Default::default()
        };
        integrated_gradients(&engine, &model, x, rows, &params).unwrap()
    });
    assert_equals_one_call_per_row(|x, rows, targets| {
        saliency(&engine, &model, x, rows, &SaliencyParams { targets, ..Default::default() }).unwrap()
    });
    assert_equals_one_call_per_row(|x, rows, targets| {
        let mut params = GradientShapParams::new(values(2 * N, 4));
        params.targets = targets;
        params.stdevs = 0.1;
        gradient_shap(&engine, &model, x, rows, &params).unwrap()
    });
    assert_equals_one_call_per_row(|x, rows, targets| {
        let base = IntegratedGradientsParams {
            baseline: Baselines::PerRow(x.iter().map(|v| v * 0.25).collect()),
            targets,
            n_steps: 8,
            ..Default::default()
        };
        let mut params = NoiseTunnelParams::new(NoiseTunnelBase::IntegratedGradients(base));
        params.nt_samples = 3;
        noise_tunnel(&engine, &model, x, rows, &params).unwrap()
    });
    assert_equals_one_call_per_row(|x, rows, targets| {
        grad_cam(&engine, &model, x, rows, &GradCamParams { targets, ..Default::default() }).unwrap()
    });
}

#[test]
fn bad_per_row_targets_are_refused() {
    let model = Classes::new();
    let engine = engine();
    let x = values(ROWS * N, 5);
    let run = |targets: &[u32], shared: Option<Vec<u32>>| {
        with_row_targets(targets, || {
            saliency(&engine, &model, &x, ROWS, &SaliencyParams { targets: shared, ..Default::default() }).unwrap_err()
        })
    };
    let short = run(&[0, 1], None);
    assert_eq!(short.kind(), ErrorKind::LengthMismatch);
    assert!(short.message().contains("control.row_targets"), "{}", short.message());
    let out_of_range = run(&[0, 1, 3, 0, 0], None);
    assert!(out_of_range.message().contains("row 2's target is 3"), "{}", out_of_range.message());
    let both = run(&ROW_TARGETS, Some(vec![0]));
    assert!(both.message().contains("targets"), "{}", both.message());

    let schema = Schema::new(
        (0..N).map(|c| Feature { name: format!("x{c}"), kind: FeatureKind::Numeric { column: c } }).collect(),
        N,
    )
    .unwrap();
    let params = PermuteAttackParams::new(schema, values(10 * N, 2));
    let error = with_row_targets(&ROW_TARGETS, || permute_attack(&engine, &model, &x, ROWS, &params).unwrap_err());
    assert!(error.message().contains("PermuteAttack takes no per-row targets"), "{}", error.message());
}
