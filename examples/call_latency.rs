//! Latency of one small call, where the engine's fixed costs show: a 16-feature model
//! explained by Integrated Gradients (50 steps) and Saliency, and a 12-event sequence by
//! event-level TimeSHAP (budget 300), one row per call, on 1 and 2 engine threads.
//!
//! A banking service that explains one applicant per request pays these per call. The
//! models cost next to nothing, so the times are the engine's: checks, rules, batches,
//! fits and the handover of a call's work to the engine's worker threads (45–75 µs each
//! way on a small virtual machine, which is why each call hands its work over once).
//!
//! ```text
//! cargo run --release --example call_latency
//! ```
//!
//! `LUMEN_REPS` sets the calls timed per setting (default 400); the median is printed.

use std::time::Instant;

use lumen::explain::gradient::{integrated_gradients, saliency, IntegratedGradientsParams, SaliencyParams};
use lumen::explain::timeshap::{timeshap_event, SequenceBackground, TimeShapParams};
use lumen::model::SequenceSignature;
use lumen::{BackendChoice, Engine, EngineConfig, ModelSignature};

#[path = "../benches/support/small_models.rs"]
mod small_models;

use small_models::{Recurrent, Tanh};

/// The median wall time of `reps` calls, in µs.
fn median_us(reps: usize, mut call: impl FnMut()) -> f64 {
    call();
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            call();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let reps: usize = std::env::var("LUMEN_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(400).max(1);
    let model = Tanh(ModelSignature::flat(16, 1));
    let x: Vec<f32> = (0..16).map(|i| i as f32 * 0.05).collect();
    let ig = IntegratedGradientsParams { n_steps: 50, ..Default::default() };
    let recurrent = Recurrent(SequenceSignature::new(2, 1));
    let sequence: Vec<f32> = (0..24).map(|i| (i as f32 * 0.37).sin()).collect();
    let mut timeshap = TimeShapParams::new(SequenceBackground::Event(vec![0.0; 2]));
    timeshap.budget = 300;

    println!("median µs per call, one row, median of {reps} calls");
    println!("threads | IG (16 features, 50 steps) | Saliency (16 features) | TimeSHAP event (12 × 2, budget 300)");
    for threads in [1, 2] {
        let config = EngineConfig { backend: BackendChoice::Cpu, threads, seed: 1, memory_budget_bytes: 1 << 28 };
        let engine = Engine::new(config).expect("engine");
        let ig_us = median_us(reps, || {
            integrated_gradients(&engine, &model, &x, 1, &ig).expect("integrated gradients");
        });
        let saliency_us = median_us(reps, || {
            saliency(&engine, &model, &x, 1, &SaliencyParams::default()).expect("saliency");
        });
        let timeshap_us = median_us(reps.div_ceil(4), || {
            timeshap_event(&engine, &recurrent, &sequence, 12, &timeshap).expect("timeshap");
        });
        println!("{threads:>7} | {ig_us:>27.0} | {saliency_us:>22.0} | {timeshap_us:>35.0}");
    }
}
