//! Occlusion throughput in model rows per second, with the model behind a C callback.
//!
//! The seed setting of the overhead issue: one deterministic 3×224×224 input row, a 3×8×8
//! window moved by 3×4×4 (55 × 55 = 3025 windows, plus the input and baseline reference
//! rows), every one of 10 outputs explained. The model is built through
//! [`HostModel`] from an `unsafe extern "C" fn` callback, as a C caller would build it; the
//! callback reads a few input elements, writes deterministic outputs and busy-waits
//! `cost × rows` so that its cost per row is known.
//!
//! One group per callback cost (0, 1 and 20 µs per row); in each, engine threads 1 and 2
//! for a model that forbids concurrent calls (`serial`) and one that allows them
//! (`concurrent`). Throughput is reported in model rows, so `thrpt` is rows/s and the time
//! per row minus the callback's cost is the engine's share. The engine-only figure per
//! row is printed directly by `cargo run --release --example occlusion_overhead`.
//!
//! Run with (about a minute on two cores):
//!
//! ```text
//! cargo bench --bench occlusion
//! cargo bench --bench occlusion -- cost_20us      # one group only
//! ```

use std::ffi::c_void;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use lumen::backend::Baselines;
use lumen::model::host::{HostCallbacks, HostModel};
use lumen::model::MemorySpace;
use lumen::{BackendChoice, Engine, EngineConfig, ModelSignature, OcclusionParams};

/// Input shape of the seed setting.
const SHAPE: [usize; 3] = [3, 224, 224];
/// Outputs per row.
const OUTPUTS: usize = 10;
/// Input elements the model reads per row (spread evenly over the row).
const TAPS: usize = 16;

/// The callback's configuration, handed over as `user_data`.
struct CallbackState {
    /// Busy-wait per row.
    cost_per_row: Duration,
    /// Elements per input row.
    input_len: usize,
}

/// The model: reads `TAPS` elements of each row, writes `OUTPUTS` deterministic outputs
/// and busy-waits until `cost_per_row × rows` has passed since entry.
unsafe extern "C" fn predict(user_data: *mut c_void, inputs: *const f32, rows: usize, outputs: *mut f32) -> i32 {
    let entry = Instant::now();
    // SAFETY: `user_data` points at the `CallbackState` that `model` borrows for as long as
    // the model exists; it is only read.
    let state = unsafe { &*user_data.cast::<CallbackState>() };
    let n = state.input_len;
    // SAFETY: the engine's predict contract: `inputs` holds `rows × input_len` floats and
    // `outputs` `rows × OUTPUTS` floats, both live and not aliased for this call.
    let (inputs, outputs) = unsafe {
        (std::slice::from_raw_parts(inputs, rows * n), std::slice::from_raw_parts_mut(outputs, rows * OUTPUTS))
    };
    for (row, out) in inputs.chunks_exact(n).zip(outputs.chunks_exact_mut(OUTPUTS)) {
        let mut acc = 0.0f32;
        for t in 0..TAPS {
            acc += row[t * (n / TAPS) + t] * (t as f32 + 1.0);
        }
        for (k, o) in out.iter_mut().enumerate() {
            *o = acc * (k as f32 + 1.0) * 0.01 + k as f32;
        }
    }
    let cost = state.cost_per_row * u32::try_from(rows).unwrap_or(u32::MAX);
    while entry.elapsed() < cost {
        std::hint::spin_loop();
    }
    0
}

/// A C-callback model over `state`; `state` must outlive the returned model.
fn host_model(state: &CallbackState, concurrent: bool) -> HostModel {
    let signature = ModelSignature {
        input_shape: SHAPE.to_vec(),
        output_len: OUTPUTS,
        max_batch_rows: None,
        concurrent,
        memory_space: MemorySpace::Host,
        feature_names: None,
    };
    let callbacks = HostCallbacks {
        predict: Some(predict),
        gradient: None,
        finalize: None,
        user_data: std::ptr::from_ref(state).cast_mut().cast(),
    };
    HostModel::new(signature, callbacks).expect("valid signature")
}

fn engine(threads: usize) -> Engine {
    Engine::new(EngineConfig {
        backend: BackendChoice::Cpu,
        threads,
        seed: 0,
        memory_budget_bytes: lumen::engine::DEFAULT_MEMORY_BUDGET_BYTES,
    })
    .expect("cpu engine")
}

/// A deterministic input row in [0, 1).
fn input_row(len: usize) -> Vec<f32> {
    (0..len).map(|i| ((i as u64 * 2_654_435_761) % 1000) as f32 / 1000.0).collect()
}

fn bench_occlusion(c: &mut Criterion) {
    let input_len: usize = SHAPE.iter().product();
    let input = input_row(input_len);
    let mut params = OcclusionParams::new(vec![3, 8, 8]);
    params.strides = Some(vec![3, 4, 4]);
    params.baseline = Baselines::Scalar(0.0);
    let engines = [(1, engine(1)), (2, engine(2))];

    let probe_state = CallbackState { cost_per_row: Duration::ZERO, input_len };
    let rows = lumen::occlusion(&engines[0].1, &host_model(&probe_state, false), &input, 1, &params)
        .expect("occlusion")
        .audit
        .model_rows_evaluated;

    for cost_us in [0u64, 1, 20] {
        let state = CallbackState { cost_per_row: Duration::from_micros(cost_us), input_len };
        let mut group = c.benchmark_group(format!("occlusion_3x224x224_cost_{cost_us}us"));
        group
            .throughput(Throughput::Elements(rows))
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(3));
        for (kind, concurrent) in [("serial", false), ("concurrent", true)] {
            let model = host_model(&state, concurrent);
            for (threads, engine) in &engines {
                group.bench_with_input(BenchmarkId::new(kind, format!("{threads}t")), &model, |b, model| {
                    b.iter(|| lumen::occlusion(engine, model, black_box(&input), 1, &params).expect("occlusion"));
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench_occlusion);
criterion_main!(benches);
