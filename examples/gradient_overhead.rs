//! Integrated Gradients' engine overhead and memory at the seed notebook's size.
//!
//! A 3×224×224 input, `n_steps` = 50 (and 200), Gauss–Legendre, a C-callback model
//! whose gradient busy-waits a fixed cost per row. The time spent inside the callback is
//! summed, so the rest of the wall time is the engine's: it reports the engine's time
//! per gradient row and its share of the wall time, for 0 and 20 µs per row, for a float
//! model and the same model on doubles (`element` f32 / f64). A counting global allocator
//! measures the peak of heap memory held during the explanation. The peak depends on the
//! internal batch size (and the element size), not on `n_steps`.
//!
//! ```text
//! cargo run --release --example gradient_overhead
//! ```

use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lumen::explain::gradient::{integrated_gradients, IntegratedGradientsParams};
use lumen::model::host::{HostCallbacks, HostModel};
use lumen::{BackendChoice, Element, Engine, EngineConfig, ModelSignature};

#[path = "../tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{peak_of, Counting};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SHAPE: [usize; 3] = [3, 224, 224];
const OUTPUTS: usize = 10;

/// The callback's cost and what it measured.
struct State {
    cost_per_row: Duration,
    inside_ns: AtomicU64,
    rows: AtomicU64,
}

/// f(x) = Σ x_i / n per output; the gradient is a constant row, after a busy wait.
unsafe extern "C" fn predict<E: Element>(_: *mut c_void, inputs: *const E, rows: usize, outputs: *mut E) -> i32 {
    let n: usize = SHAPE.iter().product();
    // SAFETY: the engine's predict contract gives `rows × n` inputs and `rows × OUTPUTS` outputs.
    let (inputs, outputs) = unsafe {
        (std::slice::from_raw_parts(inputs, rows * n), std::slice::from_raw_parts_mut(outputs, rows * OUTPUTS))
    };
    for (row, out) in inputs.chunks_exact(n).zip(outputs.chunks_exact_mut(OUTPUTS)) {
        out.fill(row.iter().copied().sum::<E>() / E::from_f64(n as f64));
    }
    0
}

unsafe extern "C" fn gradient<E: Element>(
    user_data: *mut c_void,
    _inputs: *const E,
    rows: usize,
    _targets: *const u32,
    gradients: *mut E,
    _outputs: *mut E,
) -> i32 {
    let entry = Instant::now();
    // SAFETY: `user_data` is the `State` that `main` keeps alive while the model exists.
    let state = unsafe { &*user_data.cast::<State>() };
    let n: usize = SHAPE.iter().product();
    // SAFETY: the gradient contract gives `rows × n` writable elements.
    let gradients = unsafe { std::slice::from_raw_parts_mut(gradients, rows * n) };
    gradients.fill(E::from_f64(1.0 / n as f64));
    while entry.elapsed() < state.cost_per_row * rows as u32 {
        std::hint::spin_loop();
    }
    state.inside_ns.fetch_add(entry.elapsed().as_nanos() as u64, Ordering::Relaxed);
    state.rows.fetch_add(rows as u64, Ordering::Relaxed);
    0
}

/// One explanation of `input` by a model of element type `E` costing `cost_us` µs per
/// gradient row; prints its line of the table.
fn run<E: Element>(engine: &Engine, input: &[E], (cost_us, n_steps, batch): (u64, usize, Option<usize>)) {
    let n = input.len();
    let state = State { cost_per_row: Duration::from_micros(cost_us), inside_ns: 0.into(), rows: 0.into() };
    let mut signature = ModelSignature::flat(n, OUTPUTS);
    signature.input_shape = SHAPE.to_vec();
    signature.element_type = E::TYPE;
    let callbacks = HostCallbacks {
        predict: Some(predict::<E>),
        gradient: Some(gradient::<E>),
        layer_gradient: None,
        finalize: None,
        user_data: std::ptr::from_ref(&state).cast_mut().cast(),
    };
    let model = HostModel::new(signature, callbacks).expect("valid model");
    let params = IntegratedGradientsParams::<E> {
        n_steps,
        internal_batch_size: batch,
        targets: Some(vec![0]),
        ..Default::default()
    };
    let start = Instant::now();
    let (explanation, peak) = peak_of(|| integrated_gradients(engine, &model, input, 1, &params).expect("explanation"));
    let wall = start.elapsed().as_secs_f64();
    drop(explanation);
    let inside = state.inside_ns.load(Ordering::Relaxed) as f64 * 1e-9;
    let rows = state.rows.load(Ordering::Relaxed) as f64;
    let batch_text = batch.map_or_else(|| "budget".to_owned(), |b| b.to_string());
    println!(
        "{cost_us:>11} | {n_steps:>7} | {batch_text:>14} | {:>7} | {:>9.2} | {:>13.2} | {:>15.1} | {:>12.1}",
        E::TYPE,
        wall * 1e3,
        (wall - inside) / rows * 1e6,
        (wall - inside) / wall * 100.0,
        peak as f64 / (1 << 20) as f64
    );
}

fn main() {
    let n: usize = SHAPE.iter().product();
    let input: Vec<f32> = (0..n).map(|i| (i % 255) as f32 / 255.0).collect();
    let input64: Vec<f64> = input.iter().map(|&v| f64::from(v)).collect();
    let engine = Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads: 2, ..Default::default() })
        .expect("cpu engine");
    println!("Integrated Gradients, input {SHAPE:?}, Gauss-Legendre, one target, C callbacks, 2 engine threads");
    println!(
        "{:>11} | {:>7} | {:>14} | {:>7} | {:>9} | {:>13} | {:>15} | {:>12}",
        "cost µs/row",
        "n_steps",
        "internal batch",
        "element",
        "wall ms",
        "engine µs/row",
        "outside model %",
        "peak MiB"
    );
    for setting in
        [(0, 50, None), (0, 50, Some(8)), (0, 200, Some(8)), (20, 50, None), (20, 50, Some(8)), (20, 200, Some(8))]
    {
        run(&engine, &input, setting);
        run(&engine, &input64, setting);
    }
}
