//! The seed setting of the occlusion overhead issue, shared by `benches/occlusion.rs` and
//! `examples/occlusion_overhead.rs`.
//!
//! One deterministic 3×224×224 input row, a 3×8×8 window moved by 3×4×4 (55 × 55 = 3025
//! windows, plus the input and baseline reference rows) with a scalar baseline of 0, and a
//! 10-output model handed over as a C `predict` callback through [`HostModel`], exactly as a
//! C caller would build it. The callback itself stays with each user (the example also
//! records timings); this module holds what both share: the model's arithmetic, its
//! busy-wait, the model and engine construction, the input row and the parameters.
//!
//! It lives under `benches/support/` so that cargo does not take it for a bench target;
//! both users include it with `#[path = ...] mod seed_setting;`.

use std::ffi::c_void;
use std::time::{Duration, Instant};

use lumen::backend::Baselines;
use lumen::model::host::{HostCallbacks, HostModel, PredictOf};
use lumen::model::MemorySpace;
use lumen::{BackendChoice, Element, Engine, EngineConfig, ModelSignature, OcclusionParams};

/// Input shape of the seed setting.
pub const SHAPE: [usize; 3] = [3, 224, 224];
/// Elements per input row.
pub const INPUT_LEN: usize = SHAPE[0] * SHAPE[1] * SHAPE[2];
/// Outputs per row.
pub const OUTPUTS: usize = 10;
/// Input elements the model reads per row (spread evenly over the row).
const TAPS: usize = 16;

/// The model's arithmetic, in the element type `E` of its rows: reads `TAPS` elements of
/// each `input_len`-long row of `inputs` and writes `OUTPUTS` deterministic outputs per row
/// into `outputs`.
pub fn score_rows<E: Element>(inputs: &[E], input_len: usize, outputs: &mut [E]) {
    let number = |v: usize| E::from_f64(v as f64);
    for (row, out) in inputs.chunks_exact(input_len).zip(outputs.chunks_exact_mut(OUTPUTS)) {
        let mut acc = E::zero();
        for t in 0..TAPS {
            acc = acc + row[t * (input_len / TAPS) + t] * (number(t) + E::one());
        }
        for (k, o) in out.iter_mut().enumerate() {
            *o = acc * (number(k) + E::one()) * E::from_f64(0.01) + number(k);
        }
    }
}

/// The model's cost: busy-waits until `cost_per_row × rows` has passed since `entry`.
pub fn spin_until(entry: Instant, cost_per_row: Duration, rows: usize) {
    let cost = cost_per_row * u32::try_from(rows).unwrap_or(u32::MAX);
    while entry.elapsed() < cost {
        std::hint::spin_loop();
    }
}

/// A C-callback model of the seed setting's signature, calling `predict` with `user_data`;
/// whatever `user_data` points at must outlive the returned model.
pub fn host_model<E: Element>(predict: PredictOf<E>, user_data: *mut c_void, concurrent: bool) -> HostModel<E> {
    let signature = ModelSignature {
        input_shape: SHAPE.to_vec(),
        output_len: OUTPUTS,
        max_batch_rows: None,
        concurrent,
        memory_space: MemorySpace::Host,
        feature_names: None,
        layer_shape: None,
        element_type: E::TYPE,
    };
    let callbacks = HostCallbacks { predict, gradient: None, layer_gradient: None, finalize: None, user_data };
    HostModel::new(signature, callbacks).expect("valid signature")
}

/// A CPU engine on `threads` threads with the default memory budget.
pub fn engine(threads: usize) -> Engine {
    Engine::new(EngineConfig {
        backend: BackendChoice::Cpu,
        threads,
        seed: 0,
        memory_budget_bytes: lumen::engine::DEFAULT_MEMORY_BUDGET_BYTES,
    })
    .expect("cpu engine")
}

/// The seed setting's occlusion: window [3, 8, 8], strides [3, 4, 4], scalar baseline 0,
/// every output explained.
pub fn params<E: Element>() -> OcclusionParams<E> {
    let mut params = OcclusionParams::new(vec![3, 8, 8]);
    params.strides = Some(vec![3, 4, 4]);
    params.baseline = Baselines::Scalar(E::zero());
    params
}

/// A deterministic input row in [0, 1) (the same values, exactly, in either element type).
pub fn input_row<E: Element>(len: usize) -> Vec<E> {
    (0..len).map(|i| E::from_f64(f64::from(((i as u64 * 2_654_435_761) % 1000) as f32 / 1000.0))).collect()
}
