//! KernelSHAP engine time per explanation with a cheap model, and how it grows with the
//! number of players and the background size.
//!
//! The setting of the KernelSHAP issue: one explained row, shap's default budget of
//! 2M + 2048 coalitions (each evaluated over every background row), uniform background
//! weights, a CPU engine on 2 threads. The model is deliberately cheap, so that the time is
//! the engine's: `f(x) = tanh(w · x + b)` with fixed deterministic weights (one dot product
//! and one `tanh` per row), implemented directly as a [`Model`]. Inputs and background are
//! deterministic pseudo-random values in [-1, 1).
//!
//! Three groups:
//!
//! * `kernel_shap_players`: M ∈ {10, 20, 40, 64} players at 100 background rows;
//! * `kernel_shap_background`: 10, 30, 50, 100 and 200 background rows at M = 20 (a run
//!   of a concurrent model is cut into at least 16 equal batches while each keeps 2048
//!   rows, so even 10 rows, about 21 000 model rows that fit one batch of 4 MiB, make 10
//!   batches and keep both threads busy);
//! * `kernel_shap_categorical`: 50, 100 and 200 background rows at M = 20 with every value one
//!   of three codes, so that background rows often agree on a coalition's absent players and
//!   the engine evaluates each distinct pattern once (`thrpt` counts the rows it did evaluate;
//!   compare the time with `kernel_shap_background` at the same size).
//!
//! M = 20 at 100 background rows, the issue's headline figure, appears in both. Each
//! iteration is one whole explanation (schedule, coalition rows, model calls, the
//! constrained solve and the standard-error solves); `thrpt` counts model rows, so the time
//! per model row is the inverse. At M = 10 the default budget exceeds the 2^10 − 2 = 1022
//! coalitions, so that point runs in exact mode.
//!
//! A fourth group, `kernel_shap_floor`, measures the engine against its floor on the
//! comparison setting of `benches/compare/` (M = 16, 50 background rows, budget
//! 2M + 2048 = 2080, one engine thread), with a model that costs next to nothing, so that
//! the time is the engine's: `f(x) = Σ_i (1 + i/M) x_i`. Every player's value differs, as
//! on a real model, so the default fits every term it would there (with a model of one
//! input the score terms are singular and the default falls back to a fit without them,
//! with a cheaper jackknife: not the default's path on a real model):
//!
//! * `engine/<estimator>`: one whole explanation per estimator (schedule, 104 050 coalition
//!   rows, model calls, reduction, the solve and the jackknife standard errors;
//!   `leverage_interactions` and `leverage_top_triples`, the default, add their third-order
//!   fit and that fit's jackknife, work the floor below does not count: it shows what the
//!   fit costs);
//! * `floor_write_rows`: writing the same 104 050 rows of 16 f32 (6.7 MB) as a blend of
//!   the explained row and a background row under a precomputed 0/1 mask, the least work
//!   any engine must do to hand the model its rows (compiled for AVX2 where the CPU has
//!   it, as the engine's own select is, and for this shape; on 2026-12-07's AMD EPYC it
//!   took 0.15 ms, against 0.32 ms for the baseline build, and a `memset` of the rows
//!   0.12 ms);
//! * `floor_solve`: one constrained least-squares solve over the 2080 coalitions;
//! * `model_alone`: the model on those rows by itself (it reads every element the engine
//!   wrote).
//!
//! The floor is `floor_write_rows + floor_solve`; the engine's time outside the model is
//! `engine − model_alone`. This group measures process CPU time
//! (`CLOCK_PROCESS_CPUTIME_ID`), not wall time, so that other load on a shared machine
//! does not inflate it (see `benches/compare/README.md` for measured figures);
//! `benches/floor_ratio.sh` runs it and prints each estimator's ratio.
//!
//! Run with (about a minute on two cores):
//!
//! ```text
//! cargo bench --bench kernel_shap
//! cargo bench --bench kernel_shap -- kernel_shap_background    # one group only
//! cargo bench --bench kernel_shap -- kernel_shap_floor         # engine against its floor
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use lumen::explain::shapley::schedule::kernel_schedule;
use lumen::explain::shapley::solve::constrained_wls;
use lumen::explain::shapley::{kernel_shap, Background, Estimator, KernelShapParams, ShapleyGame};
use lumen::{BackendChoice, Engine, EngineConfig, Model, ModelSignature};
use rand::SeedableRng;

#[path = "../tests/support/pseudo_random.rs"]
mod pseudo_random;
use pseudo_random::values;

/// Engine threads (the CPU backend on this two-core machine).
const THREADS: usize = 2;

/// `tanh(w · x + b)`: one output, one dot product and one `tanh` per row.
struct TanhLinear {
    signature: ModelSignature,
    weights: Vec<f32>,
    bias: f32,
}

impl TanhLinear {
    /// Over rows of `inputs` elements, with weights `(i % 7 − 3) / (2 √inputs)` so that the
    /// pre-activation stays in tanh's curved range.
    fn new(inputs: usize) -> Self {
        let scale = 0.5 / (inputs as f32).sqrt();
        let weights = (0..inputs).map(|i| ((i % 7) as f32 - 3.0) * scale).collect();
        Self { signature: ModelSignature::flat(inputs, 1), weights, bias: 0.1 }
    }
}

impl Model for TanhLinear {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = self.weights.len();
        for (x, out) in inputs.chunks_exact(n).zip(outputs.iter_mut()).take(rows) {
            let dot: f32 = self.weights.iter().zip(x).map(|(w, v)| w * v).sum();
            *out = (dot + self.bias).tanh();
        }
        Ok(())
    }
}

/// One benchmark setting: `players` inputs, `background_rows` background rows.
struct Setting {
    model: TanhLinear,
    input: Vec<f32>,
    params: KernelShapParams,
}

impl Setting {
    /// With `Some(levels)`, every value is one of `levels` codes (categorical data): background
    /// rows that agree on a coalition's absent players give one model row, not one each.
    fn with_levels(players: usize, background_rows: usize, levels: Option<u32>) -> Self {
        let code = |v: f32| match levels {
            Some(levels) => ((v + 1.0) * 0.5 * levels as f32).floor().min(levels as f32 - 1.0),
            None => v,
        };
        let background = values(background_rows * players, 1000 + players as u64).into_iter().map(code).collect();
        let background = Background::new(background, players, None).expect("valid background");
        Self {
            model: TanhLinear::new(players),
            input: values(players, players as u64).into_iter().map(code).collect(),
            params: KernelShapParams::new(ShapleyGame::new(background)),
        }
    }

    /// One explanation of the input row.
    fn explain(&self, engine: &Engine) -> lumen::Explanation {
        kernel_shap(engine, &self.model, black_box(&self.input), 1, &self.params).expect("kernel_shap")
    }
}

/// Benchmarks `(players, background rows)` settings in group `name`, each named
/// `M{players}_bg{background rows}`, with values of `levels` codes (or continuous). The
/// throughput is the model rows evaluated.
fn bench_group(c: &mut Criterion, engine: &Engine, name: &str, settings: &[(usize, usize)], levels: Option<u32>) {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for &(players, background_rows) in settings {
        let setting = Setting::with_levels(players, background_rows, levels);
        let rows = setting.explain(engine).audit.model_rows_evaluated;
        group.throughput(Throughput::Elements(rows));
        group.bench_function(BenchmarkId::from_parameter(format!("M{players}_bg{background_rows}")), |b| {
            b.iter(|| setting.explain(engine));
        });
    }
    group.finish();
}

fn bench_kernel_shap(c: &mut Criterion) {
    let engine =
        Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads: THREADS, seed: 0, ..Default::default() })
            .expect("cpu engine");
    bench_group(c, &engine, "kernel_shap_players", &[(10, 100), (20, 100), (40, 100), (64, 100)], None);
    bench_group(c, &engine, "kernel_shap_background", &[(20, 10), (20, 30), (20, 50), (20, 100), (20, 200)], None);
    // The same settings on three-level categorical data: fewer model rows, plus the scan
    // that finds the repeated background patterns.
    bench_group(c, &engine, "kernel_shap_categorical", &[(20, 50), (20, 100), (20, 200)], Some(3));
}

/// `struct timespec` of the C library.
#[repr(C)]
struct Timespec {
    seconds: i64,
    nanoseconds: i64,
}

/// `CLOCK_PROCESS_CPUTIME_ID` on Linux.
const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;

extern "C" {
    fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
}

/// Criterion measurement: CPU nanoseconds of the whole process (all threads).
struct CpuTime;

impl CpuTime {
    fn now() -> f64 {
        let mut time = Timespec { seconds: 0, nanoseconds: 0 };
        // SAFETY: `time` is a valid, writable timespec; the clock id is Linux's process CPU clock.
        let status = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut time) };
        assert_eq!(status, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
        time.seconds as f64 * 1e9 + time.nanoseconds as f64
    }
}

impl Measurement for CpuTime {
    type Intermediate = f64;
    type Value = f64;

    fn start(&self) -> f64 {
        Self::now()
    }

    fn end(&self, start: f64) -> f64 {
        Self::now() - start
    }

    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }

    fn zero(&self) -> f64 {
        0.0
    }

    fn to_f64(&self, value: &f64) -> f64 {
        *value
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuTimeFormatter
    }
}

/// Formats CPU nanoseconds as CPU milliseconds.
struct CpuTimeFormatter;

impl ValueFormatter for CpuTimeFormatter {
    fn scale_values(&self, _typical: f64, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|v| *v *= 1e-6);
        "ms cpu"
    }

    fn scale_throughputs(&self, _typical: f64, _throughput: &Throughput, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|v| *v *= 1e-6);
        "ms cpu"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns cpu"
    }
}

/// `f(x) = Σ_i w_i x_i` with `w_i = 1 + i/M`: a model that costs next to nothing (a few
/// vector operations per row), so that the time is the engine's, and whose players all
/// have different values.
struct DenseLinear {
    signature: ModelSignature,
    weights: Vec<f32>,
}

/// Partial sums of [`DenseLinear`]'s dot product (one vector of `f32`).
const DENSE_LANES: usize = 4;

impl DenseLinear {
    /// Over rows of `inputs` elements (a multiple of [`DENSE_LANES`]).
    fn new(inputs: usize) -> Self {
        assert_eq!(inputs % DENSE_LANES, 0, "whole lanes");
        let weights = (0..inputs).map(|i| 1.0 + i as f32 / inputs as f32).collect();
        Self { signature: ModelSignature::flat(inputs, 1), weights }
    }
}

impl Model for DenseLinear {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = self.weights.len();
        for (out, row) in outputs[..rows].iter_mut().zip(inputs.chunks_exact(n)) {
            let mut lanes = [0.0f32; DENSE_LANES];
            for (x, w) in row.chunks_exact(DENSE_LANES).zip(self.weights.chunks_exact(DENSE_LANES)) {
                lanes.iter_mut().zip(x).zip(w).for_each(|((sum, x), w)| *sum += x * w);
            }
            *out = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        }
        Ok(())
    }
}

/// The floor's rows: each coalition's (`mask`, one 0/1 per player) over every background
/// row, as `background + mask · (x − background)`, `P` players and `B` background rows.
/// Compiled for AVX2 where the CPU has it, as the engine's own row select is, and for the
/// shape at hand: the baseline x86-64 build (four `f32` per vector) for any shape took 2.3×
/// as long, so it measured the loop rather than the memory.
fn write_floor_rows<const P: usize, const B: usize>(rows: &mut [f32], masks: &[f32], x: &[f32], background: &[f32]) {
    #[inline(always)]
    fn portable<const P: usize, const B: usize>(rows: &mut [f32], masks: &[f32], x: &[f32], background: &[f32]) {
        for (coalition, mask) in rows.chunks_exact_mut(B * P).zip(masks.chunks_exact(P)) {
            for (row, bg) in coalition.chunks_exact_mut(P).zip(background.chunks_exact(P)) {
                for (((out, &m), &xv), &bv) in row.iter_mut().zip(mask).zip(x).zip(bg) {
                    *out = bv + m * (xv - bv);
                }
            }
        }
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn wide<const P: usize, const B: usize>(rows: &mut [f32], masks: &[f32], x: &[f32], background: &[f32]) {
            portable::<P, B>(rows, masks, x, background)
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `wide` only needs AVX2, which the CPU was just seen to have.
            return unsafe { wide::<P, B>(rows, masks, x, background) };
        }
    }
    portable::<P, B>(rows, masks, x, background)
}

/// The engine against its floor at M = 16, 50 background rows, budget 2080, one thread.
fn bench_floor(c: &mut Criterion<CpuTime>) {
    const PLAYERS: usize = 16;
    const BACKGROUND_ROWS: usize = 50;
    let budget = 2 * PLAYERS + 2048;
    let engine = Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads: 1, seed: 0, ..Default::default() })
        .expect("cpu engine");
    let model = DenseLinear::new(PLAYERS);
    let x = values(PLAYERS, 7);
    let background = values(BACKGROUND_ROWS * PLAYERS, 8);
    let mut params =
        KernelShapParams::new(ShapleyGame::new(Background::new(background.clone(), PLAYERS, None).expect("valid")));
    params.budget = Some(budget);
    let mut group = c.benchmark_group("kernel_shap_floor");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for estimator in Estimator::ALL {
        params.estimator = estimator;
        group.bench_function(BenchmarkId::new("engine", estimator.name()), |b| {
            b.iter(|| kernel_shap(&engine, &model, black_box(&x), 1, &params).expect("kernel_shap"));
        });
    }
    // The rows the engine writes: every coalition over every background row.
    let schedule =
        kernel_schedule(PLAYERS, budget, &mut rand_chacha::ChaCha20Rng::seed_from_u64(0)).expect("valid schedule");
    let mut masks = Vec::with_capacity(schedule.len() * PLAYERS);
    for c in 0..schedule.len() {
        masks.extend((0..PLAYERS).map(|p| if schedule.coalitions.contains(c, p) { 1.0f32 } else { 0.0 }));
    }
    let mut rows = vec![0.0f32; schedule.len() * BACKGROUND_ROWS * PLAYERS];
    group.bench_function("floor_write_rows", |b| {
        b.iter(|| {
            write_floor_rows::<PLAYERS, BACKGROUND_ROWS>(&mut rows, &masks, &x, &background);
            black_box(&rows);
        });
    });
    let mut outputs = vec![0.0f32; rows.len() / PLAYERS];
    group.bench_function("model_alone", |b| {
        b.iter(|| model.predict(black_box(&rows), outputs.len(), &mut outputs).expect("predict"));
    });
    let y: Vec<f64> = (0..schedule.len()).map(|c| (schedule.coalitions.size(c) as f64).sin()).collect();
    group.bench_function("floor_solve", |b| {
        b.iter(|| constrained_wls(&schedule.coalitions, &schedule.weights, black_box(&y), 0.1, 0.9).expect("solve"));
    });
    group.finish();
}

criterion_group!(benches, bench_kernel_shap);
criterion_group! {
    name = floor;
    config = Criterion::default().with_measurement(CpuTime);
    targets = bench_floor
}
criterion_main!(benches, floor);
