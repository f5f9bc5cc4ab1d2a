//! An engine's work runs on the engine's own workers, never on rayon's global pool: a
//! caller that asks for one thread gets one, and the process gains no pool it did not ask
//! for. This binary is the only one that looks at the global pool, which exists once
//! anything has used it: after every method has run, building it must still succeed.
//! The methods run on a one-thread engine, which runs each call on the calling thread,
//! from a thread with a 256 KiB stack.

mod common;
#[path = "../benches/support/small_models.rs"]
mod small_models;

use lumen::explain::counterfactual::schema::Schema;
use lumen::explain::counterfactual::{permute_attack, PermuteAttackParams};
use lumen::explain::gradient::{
    gradient_shap, integrated_gradients, noise_tunnel, saliency, GradientShapParams, IntegratedGradientsParams,
    NoiseTunnelBase, NoiseTunnelParams, SaliencyParams,
};
use lumen::explain::shapley::{
    kernel_shap, shapley_value_sampling, Background, KernelShapParams, ShapleyGame, ShapleySamplingParams,
};
use lumen::explain::timeshap::{
    timeshap_event, timeshap_global, timeshap_local, CellRelevance, GlobalParams, SequenceBackground, TimeShapParams,
};
use lumen::model::SequenceSignature;
use lumen::{
    feature_ablation, occlusion, BackendChoice, Engine, EngineConfig, FeatureAblationParams, ModelSignature,
    OcclusionParams,
};

use common::{values, Nonlinear};
use small_models::{Recurrent, Tanh};

#[test]
fn no_method_uses_the_global_pool() {
    // A one-thread engine runs each call on the calling thread: here one with a small stack,
    // as a host's threads may have (a debug build needs more than 64 KiB and at most 128, a
    // release build at most 16).
    let small_stack = std::thread::Builder::new().stack_size(256 << 10);
    small_stack.spawn(run_every_method).unwrap().join().unwrap();
    assert!(
        rayon::ThreadPoolBuilder::new().num_threads(1).build_global().is_ok(),
        "some work ran on rayon's global pool"
    );
}

/// Runs every method on a one-thread engine.
fn run_every_method() {
    let engine =
        Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads: 1, seed: 3, memory_budget_bytes: 1 << 26 })
            .unwrap();

    // KernelSHAP with the default estimator at a budget that fits triples (12 players).
    let players = 12;
    let model = Nonlinear::new(&[players], true);
    let background = Background::new(values(players * 8, 1), players, None).unwrap();
    let mut shap = KernelShapParams::new(ShapleyGame::new(background));
    shap.budget = Some(400);
    kernel_shap(&engine, &model, &values(players, 2), 1, &shap).unwrap();

    // TimeSHAP's event level and every level of one sequence, the same estimator.
    let (seq_len, features) = (12, 2);
    let recurrent = Recurrent(SequenceSignature::new(features, 1));
    let sequence = values(seq_len * features, 3);
    let mut timeshap = TimeShapParams::new(SequenceBackground::Event(vec![0.0; features]));
    timeshap.budget = 400;
    timeshap_event(&engine, &recurrent, &sequence, seq_len, &timeshap).unwrap();
    let relevance = CellRelevance::TopK { events: 4, features: 2 };
    timeshap_local(&engine, &recurrent, &sequence, seq_len, &timeshap, &relevance).unwrap();

    let global = GlobalParams { seeds: 2, ..GlobalParams::new(timeshap.clone(), vec![0.1]) };
    timeshap_global(&engine, &recurrent, &sequence, &[seq_len], &global).unwrap();

    // Shapley value sampling, Occlusion and Feature Ablation of a small image.
    let background = Background::new(values(players * 4, 5), players, None).unwrap();
    let sampling =
        ShapleySamplingParams { permutation_pairs: 8, ..ShapleySamplingParams::new(ShapleyGame::new(background)) };
    shapley_value_sampling(&engine, &model, &values(players, 6), 1, &sampling).unwrap();
    let image = Nonlinear::new(&[1, 16, 16], false);
    occlusion(&engine, &image, &values(256, 4), 1, &OcclusionParams::new(vec![1, 4, 4])).unwrap();
    let mask = (0..256u32).map(|e| e / 16 / 4 * 4 + e % 16 / 4).collect();
    let ablation = FeatureAblationParams { feature_mask: Some(mask), ..Default::default() };
    feature_ablation(&engine, &image, &values(256, 7), 1, &ablation).unwrap();

    // Integrated Gradients in several batches, and a counterfactual search.
    let tanh = Tanh(ModelSignature::flat(6, 1));
    let ig = IntegratedGradientsParams { n_steps: 64, internal_batch_size: Some(8), ..Default::default() };
    integrated_gradients(&engine, &tanh, &values(6, 8), 1, &ig).unwrap();
    saliency(&engine, &tanh, &values(6, 11), 1, &SaliencyParams::default()).unwrap();
    let mut expected = GradientShapParams::new(values(6 * 4, 12));
    expected.n_samples = 16;
    gradient_shap(&engine, &tanh, &values(6, 13), 1, &expected).unwrap();
    let mut smoothed = NoiseTunnelParams::new(NoiseTunnelBase::IntegratedGradients(ig.clone()));
    smoothed.nt_samples = 4;
    noise_tunnel(&engine, &tanh, &values(6, 14), 1, &smoothed).unwrap();
    let mut search = PermuteAttackParams::new(Schema::numeric(6), values(6 * 50, 9));
    (search.population, search.generations, search.runs) = (40, 3, 2);
    permute_attack(&engine, &tanh, &values(6, 10), 1, &search).unwrap();
}
