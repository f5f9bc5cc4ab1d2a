//! Engine overhead of occlusion next to a model of known cost.
//!
//! The seed setting of the overhead issue: one 3×224×224 input row, a 3×8×8 window moved
//! by 3×4×4 (55 × 55 = 3025 windows, plus the input and baseline reference rows), a
//! 10-output model handed over as a C `predict` callback through [`HostModel`], exactly as
//! a C caller would. The callback busy-waits `cost × rows` and sums the time it really
//! spent inside itself in an `AtomicU64`, so that everything else in the wall time is the
//! engine's.
//!
//! For callback costs of 0, 1 and 20 µs per row, on 1 and 2 engine threads, with a serial
//! model (`concurrent: false`, so calls never overlap and in-callback time is a share of
//! wall time), and for a float model and the same model on doubles (`element` f32 / f64:
//! the f64 rows are twice the bytes to build and hand over), it runs the explanation
//! several times and reports the repetition with the median wall time:
//!
//! * `engine µs/row` = (wall − in-callback) / model rows;
//! * `outside model %` = (wall − in-callback) / wall.
//!
//! A second table places the engine's time relative to the callback's calls (their entry
//! and exit times), so it needs no change to the engine: before the first call (checks,
//! window grid, the reference rows' batch), the gap before the first perturbed batch (batch
//! planning, scratch allocation, full copies of the input into every slot), the other gaps
//! between calls (incremental batch building, output checks, scheduling; with the median
//! gap per batch) and after the last call (deltas turned into attributions).
//!
//! Run with:
//!
//! ```text
//! cargo run --release --example occlusion_overhead
//! LUMEN_REPS=15 LUMEN_TARGETS=one cargo run --release --example occlusion_overhead
//! LUMEN_COSTS=20 LUMEN_THREADS=1 cargo run --release --example occlusion_overhead
//! ```
//!
//! `LUMEN_REPS` sets the repetitions per setting (default 7); `LUMEN_TARGETS=one` explains
//! output 0 only instead of every output (the default, `targets: None`); `LUMEN_COSTS`
//! (µs per row) and `LUMEN_THREADS` (engine threads), comma-separated, keep only those
//! settings (default `0,1,20` and `1,2`), for profiling one of them.
//! `LUMEN_METHOD=feature_ablation` measures Feature Ablation of the same image instead, by
//! 8×8 superpixels shared by the three channels (784 groups, 786 model rows).

#[path = "../benches/support/seed_setting.rs"]
mod seed_setting;

use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lumen::model::host::HostModel;
use lumen::{Element, Engine, Explanation, FeatureAblationParams, OcclusionParams};

use seed_setting::{OUTPUTS, SHAPE};

/// What the callback knows and what it records; handed over as `user_data`.
struct CallbackState {
    /// Busy-wait per row.
    cost_per_row: Duration,
    /// Elements per input row.
    input_len: usize,
    /// Nanoseconds spent inside the callback, summed over calls.
    inside_ns: AtomicU64,
    /// Rows the callback was asked for.
    rows: AtomicU64,
    /// Entry and exit time of every call, in call order (calls never overlap: the model is
    /// serial).
    calls: Mutex<Vec<(Instant, Instant)>>,
}

impl CallbackState {
    fn new(cost_per_row: Duration, input_len: usize) -> Self {
        Self {
            cost_per_row,
            input_len,
            inside_ns: AtomicU64::new(0),
            rows: AtomicU64::new(0),
            calls: Mutex::new(Vec::with_capacity(256)),
        }
    }

    fn reset(&self) {
        self.inside_ns.store(0, Ordering::Relaxed);
        self.rows.store(0, Ordering::Relaxed);
        self.calls.lock().expect("call log").clear();
    }
}

/// The model: reads a few elements of each row, writes `OUTPUTS` deterministic outputs,
/// busy-waits until `cost_per_row × rows` has passed since entry and records the call.
unsafe extern "C" fn predict<E: Element>(
    user_data: *mut c_void,
    inputs: *const E,
    rows: usize,
    outputs: *mut E,
) -> i32 {
    let entry = Instant::now();
    // SAFETY: `user_data` is the `CallbackState` that `main` owns and keeps alive for as
    // long as the model exists; it is only read here (counters are atomics, the log is
    // behind a mutex).
    let state = unsafe { &*user_data.cast::<CallbackState>() };
    let n = state.input_len;
    // SAFETY: the engine's predict contract: `inputs` holds `rows × input_len` elements and
    // `outputs` `rows × OUTPUTS` elements, both live and not aliased for this call.
    let (inputs, outputs) = unsafe {
        (std::slice::from_raw_parts(inputs, rows * n), std::slice::from_raw_parts_mut(outputs, rows * OUTPUTS))
    };
    seed_setting::score_rows(inputs, n, outputs);
    seed_setting::spin_until(entry, state.cost_per_row, rows);
    let exit = Instant::now();
    state.inside_ns.fetch_add(u64::try_from((exit - entry).as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    state.rows.fetch_add(rows as u64, Ordering::Relaxed);
    if let Ok(mut calls) = state.calls.lock() {
        calls.push((entry, exit));
    }
    0
}

/// One repetition, as seen from outside the engine.
#[derive(Debug, Clone, Copy)]
struct Rep {
    wall: Duration,
    inside: Duration,
    rows: u64,
    /// Start of the explanation to the first call's entry.
    before_first: Duration,
    /// First call's exit to the second call's entry (the first perturbed batch).
    first_gap: Duration,
    /// Sum of the gaps between the later calls.
    other_gaps: Duration,
    /// Median of those gaps.
    median_gap: Duration,
    /// Last call's exit to the end of the explanation.
    after_last: Duration,
}

/// The explanation measured: the seed setting's occlusion, or Feature Ablation of the same
/// image by 8×8 superpixels (784 groups, each over the three channels).
enum Method<E: Element> {
    Occlusion(OcclusionParams<E>),
    FeatureAblation(FeatureAblationParams<E>),
}

impl<E: Element> Method<E> {
    /// The method `LUMEN_METHOD` names (`occlusion`, the default, or `feature_ablation`).
    fn from_env() -> Self {
        match std::env::var("LUMEN_METHOD").as_deref() {
            Ok("feature_ablation") => {
                let (height, width) = (SHAPE[1], SHAPE[2]);
                let patches_per_row = width.div_ceil(8) as u32;
                let mask = (0..SHAPE[0] * height * width)
                    .map(|e| ((e / width % height) / 8) as u32 * patches_per_row + (e % width / 8) as u32)
                    .collect();
                Self::FeatureAblation(FeatureAblationParams { feature_mask: Some(mask), ..Default::default() })
            }
            Ok("occlusion") | Err(_) => Self::Occlusion(seed_setting::params()),
            Ok(other) => panic!("LUMEN_METHOD={other}: expected occlusion or feature_ablation"),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Occlusion(_) => "occlusion, window [3, 8, 8], strides [3, 4, 4]",
            Self::FeatureAblation(_) => "feature ablation, 8 × 8 superpixels",
        }
    }

    fn explain_output_zero_only(&mut self) {
        match self {
            Self::Occlusion(params) => params.targets = Some(vec![0]),
            Self::FeatureAblation(params) => params.targets = Some(vec![0]),
        }
    }

    fn explain(&self, engine: &Engine, model: &HostModel<E>, input: &[E]) -> lumen::Result<Explanation> {
        match self {
            Self::Occlusion(params) => lumen::occlusion(engine, model, input, 1, params),
            Self::FeatureAblation(params) => lumen::feature_ablation(engine, model, input, 1, params),
        }
    }
}

fn measure<E: Element>(
    engine: &Engine,
    model: &HostModel<E>,
    state: &CallbackState,
    input: &[E],
    method: &Method<E>,
) -> Rep {
    state.reset();
    let start = Instant::now();
    let explanation = method.explain(engine, model, input).expect("explanation failed");
    let end = Instant::now();
    std::hint::black_box(&explanation);
    let rows = state.rows.load(Ordering::Relaxed);
    assert_eq!(rows, explanation.audit.model_rows_evaluated, "callback rows and audit rows disagree");
    let calls = state.calls.lock().expect("call log");
    assert!(calls.len() >= 3, "expected a reference call and at least two perturbed batches");
    let mut gaps: Vec<Duration> = calls[1..].windows(2).map(|w| w[1].0 - w[0].1).collect();
    let other_gaps = gaps.iter().sum();
    gaps.sort();
    Rep {
        wall: end - start,
        inside: Duration::from_nanos(state.inside_ns.load(Ordering::Relaxed)),
        rows,
        before_first: calls[0].0 - start,
        first_gap: calls[1].0 - calls[0].1,
        other_gaps,
        median_gap: gaps[gaps.len() / 2],
        after_last: end - calls[calls.len() - 1].1,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The median repetition of `reps` for a model of element type `E` costing `cost` per row.
fn median_rep<E: Element>(engine: &Engine, cost: Duration, input: &[E], method: &Method<E>, reps: usize) -> Rep {
    let state = CallbackState::new(cost, input.len());
    // Declared after `state`, so dropped before it: the callback never outlives its state.
    let model = seed_setting::host_model(Some(predict::<E>), std::ptr::from_ref(&state).cast_mut().cast(), false);
    measure(engine, &model, &state, input, method);
    let mut runs: Vec<Rep> = (0..reps).map(|_| measure(engine, &model, &state, input, method)).collect();
    runs.sort_by_key(|r| r.wall);
    runs[runs.len() / 2]
}

fn main() {
    let reps: usize = std::env::var("LUMEN_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(7).max(1);
    let input_len = seed_setting::INPUT_LEN;
    let (input32, input64) = (seed_setting::input_row::<f32>(input_len), seed_setting::input_row::<f64>(input_len));
    let (mut method32, mut method64) = (Method::<f32>::from_env(), Method::<f64>::from_env());
    let one_target = std::env::var("LUMEN_TARGETS").as_deref() == Ok("one");
    if one_target {
        method32.explain_output_zero_only();
        method64.explain_output_zero_only();
    }
    let target_note = if one_target { "output 0" } else { "all 10 outputs" };

    println!(
        "{} of {SHAPE:?}, serial C-callback model, targets: {target_note}, median of {reps} repetitions",
        method32.name()
    );
    println!();
    println!(
        "{:>11} | {:>7} | {:>7} | {:>10} | {:>9} | {:>14} | {:>13} | {:>15}",
        "cost µs/row",
        "threads",
        "element",
        "model rows",
        "wall ms",
        "in-callback ms",
        "engine µs/row",
        "outside model %"
    );
    println!("{}", "-".repeat(111));
    let mut medians = Vec::new();
    let costs: Vec<u64> = std::env::var("LUMEN_COSTS")
        .ok()
        .map(|v| v.split(',').filter_map(|c| c.trim().parse().ok()).collect())
        .filter(|c: &Vec<u64>| !c.is_empty())
        .unwrap_or_else(|| vec![0, 1, 20]);
    let thread_counts: Vec<usize> = std::env::var("LUMEN_THREADS")
        .ok()
        .map(|v| v.split(',').filter_map(|t| t.trim().parse().ok()).filter(|&t| t > 0).collect())
        .filter(|t: &Vec<usize>| !t.is_empty())
        .unwrap_or_else(|| vec![1, 2]);
    for &cost_us in &costs {
        for &threads in &thread_counts {
            let engine = seed_setting::engine(threads);
            let cost = Duration::from_micros(cost_us);
            for (element, m) in [
                ("f32", median_rep(&engine, cost, &input32, &method32, reps)),
                ("f64", median_rep(&engine, cost, &input64, &method64, reps)),
            ] {
                let outside = m.wall.saturating_sub(m.inside);
                println!(
                    "{:>11} | {:>7} | {:>7} | {:>10} | {:>9.2} | {:>14.2} | {:>13.2} | {:>15.1}",
                    cost_us,
                    threads,
                    element,
                    m.rows,
                    ms(m.wall),
                    ms(m.inside),
                    outside.as_secs_f64() * 1e6 / m.rows as f64,
                    100.0 * outside.as_secs_f64() / m.wall.as_secs_f64(),
                );
                medians.push((cost_us, threads, element, m));
            }
        }
    }
    println!();
    println!("where the engine's time falls in the same repetitions (ms, except the median gap):");
    println!(
        "{:>11} | {:>7} | {:>7} | {:>15} | {:>17} | {:>10} | {:>14} | {:>15} | {:>12}",
        "cost µs/row",
        "threads",
        "element",
        "before 1st call",
        "1st perturbed gap",
        "other gaps",
        "median gap µs",
        "after last call",
        "engine total"
    );
    println!("{}", "-".repeat(135));
    for (cost_us, threads, element, m) in medians {
        println!(
            "{:>11} | {:>7} | {:>7} | {:>15.2} | {:>17.2} | {:>10.2} | {:>14.1} | {:>15.2} | {:>12.2}",
            cost_us,
            threads,
            element,
            ms(m.before_first),
            ms(m.first_gap),
            ms(m.other_gaps),
            m.median_gap.as_secs_f64() * 1e6,
            ms(m.after_last),
            ms(m.wall.saturating_sub(m.inside)),
        );
    }
}
