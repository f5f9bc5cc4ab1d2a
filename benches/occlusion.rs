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

#[path = "support/seed_setting.rs"]
mod seed_setting;

use std::ffi::c_void;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use lumen::model::host::HostModel;

use seed_setting::{INPUT_LEN, OUTPUTS};

/// The callback's configuration, handed over as `user_data`.
struct CallbackState {
    /// Busy-wait per row.
    cost_per_row: Duration,
}

/// The model: reads a few elements of each row, writes `OUTPUTS` deterministic outputs
/// and busy-waits until `cost_per_row × rows` has passed since entry.
unsafe extern "C" fn predict(user_data: *mut c_void, inputs: *const f32, rows: usize, outputs: *mut f32) -> i32 {
    let entry = Instant::now();
    // SAFETY: `user_data` points at the `CallbackState` that `callback_model` borrows for as long
    // as the model exists; it is only read.
    let state = unsafe { &*user_data.cast::<CallbackState>() };
    // SAFETY: the engine's predict contract: `inputs` holds `rows × INPUT_LEN` floats and
    // `outputs` `rows × OUTPUTS` floats, both live and not aliased for this call.
    let (inputs, outputs) = unsafe {
        (std::slice::from_raw_parts(inputs, rows * INPUT_LEN), std::slice::from_raw_parts_mut(outputs, rows * OUTPUTS))
    };
    seed_setting::score_rows(inputs, INPUT_LEN, outputs);
    seed_setting::spin_until(entry, state.cost_per_row, rows);
    0
}

/// A C-callback model over `state`; `state` must outlive the returned model.
fn callback_model(state: &CallbackState, concurrent: bool) -> HostModel {
    seed_setting::host_model(Some(predict), std::ptr::from_ref(state).cast_mut().cast(), concurrent)
}

fn bench_occlusion(c: &mut Criterion) {
    let input = seed_setting::input_row::<f32>(INPUT_LEN);
    let params = seed_setting::params::<f32>();
    let engines = [(1, seed_setting::engine(1)), (2, seed_setting::engine(2))];

    let probe_state = CallbackState { cost_per_row: Duration::ZERO };
    let rows = lumen::occlusion(&engines[0].1, &callback_model(&probe_state, false), &input, 1, &params)
        .expect("occlusion")
        .audit
        .model_rows_evaluated;

    for cost_us in [0u64, 1, 20] {
        let state = CallbackState { cost_per_row: Duration::from_micros(cost_us) };
        let mut group = c.benchmark_group(format!("occlusion_3x224x224_cost_{cost_us}us"));
        group
            .throughput(Throughput::Elements(rows))
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(3));
        for (kind, concurrent) in [("serial", false), ("concurrent", true)] {
            let model = callback_model(&state, concurrent);
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
