//! The memory budget bounds what a call holds: each method, run on work far larger than
//! a 16 MiB budget under a counting allocator, either stays within the budget (plus its
//! result and a fixed allowance) or is refused with `BudgetTooSmall` naming the minimum.

mod common;

use std::sync::Mutex;

use lumen::explain::counterfactual::schema::Schema;
use lumen::explain::counterfactual::{permute_attack, PermuteAttackParams};
use lumen::explain::gradient::{
    gradient_shap, integrated_gradients, noise_tunnel, GradientShapParams, IntegratedGradientsParams, NoiseTunnelBase,
    NoiseTunnelParams, Quadrature, SaliencyParams,
};
use lumen::explain::shapley::{kernel_shap, shapley_value_sampling, KernelShapParams, ShapleySamplingParams};
use lumen::explain::shapley::{Background, ShapleyGame};
use lumen::explain::timeshap::{timeshap_event, SequenceBackground, TimeShapParams};
use lumen::model::{SequenceModel, SequenceSignature};
use lumen::{
    feature_ablation, occlusion, Engine, ErrorKind, FeatureAblationParams, Model, ModelSignature, OcclusionParams,
};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{peak_of, Counting};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One measurement at a time: the counters are process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

/// The budget every call runs under.
const BUDGET: usize = 16 << 20;

/// What a call may hold beyond its budget: the engine's per-call bookkeeping, the rayon
/// workers' stacks are not heap, the audit JSON and small per-row vectors.
const ALLOWANCE: usize = 1 << 20;

fn engine() -> Engine {
    Engine::new(lumen::EngineConfig {
        backend: lumen::BackendChoice::Cpu,
        threads: 2,
        seed: 5,
        memory_budget_bytes: BUDGET,
    })
    .unwrap()
}

/// Σ x·w over rows, with its gradient (w).
struct Weighted(ModelSignature);

impl Weighted {
    fn flat(n: usize) -> Self {
        Self(ModelSignature::flat(n, 1))
    }
}

impl Model for Weighted {
    fn signature(&self) -> &ModelSignature {
        &self.0
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = self.0.input_len();
        for (x, out) in inputs.chunks_exact(n).zip(outputs.iter_mut()).take(rows) {
            *out = x.iter().enumerate().map(|(i, v)| v * (1.0 + (i % 5) as f32 * 0.1)).sum::<f32>().tanh();
        }
        Ok(())
    }
    fn gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        _targets: &[u32],
        gradients: &mut [f32],
        outputs: Option<&mut [f32]>,
    ) -> lumen::Result<()> {
        let n = self.0.input_len();
        for (x, g) in inputs.chunks_exact(n).zip(gradients.chunks_exact_mut(n)).take(rows) {
            let s: f32 = x.iter().enumerate().map(|(i, v)| v * (1.0 + (i % 5) as f32 * 0.1)).sum();
            let d = 1.0 - s.tanh().powi(2);
            for (i, gi) in g.iter_mut().enumerate() {
                *gi = d * (1.0 + (i % 5) as f32 * 0.1);
            }
        }
        if let Some(outputs) = outputs {
            self.predict(inputs, rows, outputs)?;
        }
        Ok(())
    }
}

/// Whether a workload's working set fits in the budget (its batches never do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fits {
    Yes,
    No,
}

/// Checks one call: within the budget, or refused as too small for its budget with the
/// minimum named. `result_bytes` is the size of what the call returns.
fn check<T>(method: &str, result_bytes: usize, fits: Fits, call: impl FnOnce() -> lumen::Result<T>) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (outcome, peak) = peak_of(call);
    match outcome {
        Err(e) if fits == Fits::Yes => panic!("{method}: expected to run within the budget: {e}"),
        Ok(_) if fits == Fits::No => panic!("{method}: expected a refusal, held {peak} bytes"),
        Ok(_) => {
            let limit = BUDGET + result_bytes + ALLOWANCE;
            eprintln!("{method}: peak {peak} bytes (limit {limit})");
            assert!(peak <= limit, "{method}: held {peak} bytes at its peak, more than {limit}");
        }
        Err(e) => {
            eprintln!("{method}: {e}");
            assert_eq!(e.kind(), ErrorKind::BudgetTooSmall, "{method}: {e}");
            assert!(e.message().contains("at least"), "{method}: the refusal names no minimum: {e}");
            assert!(peak <= BUDGET + ALLOWANCE, "{method}: held {peak} bytes before refusing");
        }
    }
}

#[test]
fn occlusion_of_a_large_image() {
    // 1024 windows of a 128×128 image: 64 MiB of perturbed rows.
    let side = 128;
    let mut model = Weighted::flat(side * side);
    model.0.input_shape = vec![1, side, side];
    let x = common::values(side * side, 1);
    let params = OcclusionParams::new(vec![1, 4, 4]);
    check("occlusion", 4 * side * side * 4, Fits::Yes, || occlusion(&engine(), &model, &x, 1, &params));
}

/// `outputs` outputs of one weighted sum: output `o` is `tanh(s · (1 + o / outputs))`.
struct Fanned(ModelSignature);

impl Model for Fanned {
    fn signature(&self) -> &ModelSignature {
        &self.0
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let (n, k) = (self.0.input_len(), self.0.output_len);
        for (x, out) in inputs.chunks_exact(n).zip(outputs.chunks_exact_mut(k)).take(rows) {
            let s = x.iter().enumerate().map(|(i, v)| v * (1.0 + (i % 5) as f32 * 0.1)).sum::<f32>() * 0.01;
            for (o, out) in out.iter_mut().enumerate() {
                *out = (s * (1.0 + o as f32 / k as f32)).tanh();
            }
        }
        Ok(())
    }
}

/// A 64×64 image (one channel) explained for every one of `outputs` outputs: 1024 windows
/// of 2×2, or 1024 groups of 2×2 pixels.
fn fanned_image(outputs: usize) -> (Fanned, Vec<f32>) {
    let side = 64;
    let mut signature = ModelSignature::flat(side * side, outputs);
    signature.input_shape = vec![1, side, side];
    (Fanned(signature), common::values(side * side, 13))
}

/// The result of explaining every output of a 64×64 image.
fn fanned_result_bytes(outputs: usize) -> usize {
    outputs * 64 * 64 * std::mem::size_of::<f64>()
}

/// Occlusion of the 64×64 image by 2×2 windows (1024) for each of `outputs` outputs.
fn fanned_occlusion_case(outputs: usize, fits: Fits) {
    let (model, x) = fanned_image(outputs);
    let params = OcclusionParams { strides: Some(vec![1, 2, 2]), ..OcclusionParams::new(vec![1, 2, 2]) };
    check("occlusion", fanned_result_bytes(outputs), fits, || occlusion(&engine(), &model, &x, 1, &params));
}

/// Feature Ablation of the 64×64 image by groups of 2×2 pixels (1024) for each of
/// `outputs` outputs.
fn fanned_feature_ablation_case(outputs: usize, fits: Fits) {
    let (model, x) = fanned_image(outputs);
    let mask = (0..64 * 64u32).map(|e| (e / 64 / 2) * 32 + e % 64 / 2).collect();
    let params = FeatureAblationParams { feature_mask: Some(mask), ..Default::default() };
    check("feature_ablation", fanned_result_bytes(outputs), fits, || {
        feature_ablation(&engine(), &model, &x, 1, &params)
    });
}

#[test]
fn occlusion_counts_every_outputs_deltas() {
    // 1200 outputs: 4.7 MiB of model outputs and 9.4 MiB of deltas, which leave the
    // batches less than the 4 MiB they take by default.
    fanned_occlusion_case(1200, Fits::Yes);
}

#[test]
fn occlusion_refuses_deltas_larger_than_the_budget() {
    // 2048 outputs: 16 MiB of deltas alone.
    fanned_occlusion_case(2048, Fits::No);
}

#[test]
fn feature_ablation_counts_the_groups_and_their_rounded_deltas() {
    // 600 outputs: the map, 2.3 MiB of model outputs and 4.7 MiB each of deltas and of
    // their rounded copies for the gather.
    fanned_feature_ablation_case(600, Fits::Yes);
}

#[test]
fn feature_ablation_refuses_deltas_larger_than_the_budget() {
    // 1100 outputs: 8.6 MiB each of deltas and their rounded copies.
    fanned_feature_ablation_case(1100, Fits::No);
}

/// KernelSHAP over `players` players, a background of `background` rows and `coalitions`
/// coalitions.
fn kernel_shap_case(players: usize, background: usize, coalitions: usize, fits: Fits) {
    let model = Weighted::flat(players);
    let x = common::values(players, 2);
    let background = Background::new(common::values(players * background, 3), players, None).unwrap();
    let mut params = KernelShapParams::new(ShapleyGame::new(background));
    params.budget = Some(coalitions);
    check("kernel_shap", 64 * players, fits, || kernel_shap(&engine(), &model, &x, 1, &params));
}

#[test]
fn kernel_shap_batches_a_large_background() {
    // 4000 coalitions × 200 background rows of 100 floats: 320 MB of model rows.
    kernel_shap_case(100, 200, 4000, Fits::Yes);
}

#[test]
fn kernel_shap_refuses_a_design_larger_than_the_budget() {
    kernel_shap_case(400, 10, 20_000, Fits::No);
}

#[test]
fn shapley_sampling_with_many_pairs() {
    // 200 pairs of 200-player walks: 80 000 coalitions × 10 background rows of 200 floats.
    let players = 200;
    let model = Weighted::flat(players);
    let x = common::values(players, 4);
    let background = Background::new(common::values(players * 10, 5), players, None).unwrap();
    let params =
        ShapleySamplingParams { permutation_pairs: 200, ..ShapleySamplingParams::new(ShapleyGame::new(background)) };
    check("shapley_value_sampling", 64 * players, Fits::Yes, || {
        shapley_value_sampling(&engine(), &model, &x, 1, &params)
    });
}

#[test]
fn integrated_gradients_with_many_steps() {
    // 2¹⁹ steps: 16 MiB of path points at once, beside an 8 MiB quadrature rule.
    let model = Weighted::flat(6);
    let x = common::values(6, 6);
    let params =
        IntegratedGradientsParams { n_steps: 1 << 19, method: Quadrature::RiemannTrapezoid, ..Default::default() };
    check("integrated_gradients", 4096, Fits::Yes, || integrated_gradients(&engine(), &model, &x, 1, &params));
}

#[test]
fn gradient_shap_with_many_samples() {
    // 2²⁰ samples: 32 MiB of path points and 24 MiB of noisy inputs at once.
    let model = Weighted::flat(6);
    let x = common::values(6, 7);
    let mut params = GradientShapParams::new(common::values(6 * 4, 8));
    params.n_samples = 1 << 20;
    check("gradient_shap", 4096, Fits::Yes, || gradient_shap(&engine(), &model, &x, 1, &params));
}

#[test]
fn noise_tunnel_with_many_samples() {
    // 2¹⁴ noisy copies of 128 features: 8 MiB of copies and 24 MiB of their attributions.
    let features = 128;
    let model = Weighted::flat(features);
    let x = common::values(features, 9);
    let mut params = NoiseTunnelParams::new(NoiseTunnelBase::Saliency(SaliencyParams::default()));
    params.nt_samples = 1 << 14;
    check("noise_tunnel", 4 * features * 2, Fits::Yes, || noise_tunnel(&engine(), &model, &x, 1, &params));
}

fn permute_attack_case(population: usize, fits: Fits) {
    let features = 6;
    let model = Weighted::flat(features);
    let x = common::values(features, 10);
    let mut params = PermuteAttackParams::new(Schema::numeric(features), common::values(features * 200, 11));
    params.population = population;
    params.generations = 3;
    params.runs = 2;
    check("permute_attack", 4096, fits, || permute_attack(&engine(), &model, &x, 1, &params));
}

#[test]
fn permute_attack_with_a_population_that_fits() {
    permute_attack_case(10_000, Fits::Yes);
}

#[test]
fn permute_attack_refuses_a_population_larger_than_the_budget() {
    permute_attack_case(1 << 20, Fits::No);
}

/// Σ over events of tanh(Σ features), squashed.
struct Events(SequenceSignature);

impl SequenceModel for Events {
    fn signature(&self) -> &SequenceSignature {
        &self.0
    }
    fn predict(&self, inputs: &[f32], rows: usize, seq_len: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let f = self.0.features;
        for (x, out) in inputs.chunks_exact(seq_len * f).zip(outputs.iter_mut()).take(rows) {
            let z: f32 = x.chunks_exact(f).map(|e| e.iter().sum::<f32>().tanh()).sum();
            *out = (z * 0.01).tanh();
        }
        Ok(())
    }
}

/// Event-level TimeSHAP of a `seq_len`-event sequence with `coalitions` coalitions.
fn timeshap_case(seq_len: usize, coalitions: usize, fits: Fits) {
    let features = 4;
    let model = Events(SequenceSignature::new(features, 1));
    let x = common::values(seq_len * features, 12);
    let mut params = TimeShapParams::new(SequenceBackground::Event(vec![0.0; features]));
    params.budget = coalitions;
    check("timeshap_event", 64 * seq_len, fits, || timeshap_event(&engine(), &model, &x, seq_len, &params));
}

#[test]
fn timeshap_of_a_sequence_that_fits() {
    timeshap_case(128, 2048, Fits::Yes);
}

#[test]
fn timeshap_refuses_a_design_larger_than_the_budget() {
    timeshap_case(1024, 8192, Fits::No);
}
