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
//! Two groups:
//!
//! * `kernel_shap_players`: M ∈ {10, 20, 40, 64} players at 100 background rows;
//! * `kernel_shap_background`: 10, 50, 100 and 200 background rows at M = 20.
//!
//! M = 20 at 100 background rows, the issue's headline figure, appears in both. Each
//! iteration is one whole explanation (schedule, coalition rows, model calls, the
//! constrained solve and the standard-error solves); `thrpt` counts model rows, so the time
//! per model row is the inverse. At M = 10 the default budget exceeds the 2^10 − 2 = 1022
//! coalitions, so that point runs in exact mode.
//!
//! Run with (about a minute on two cores):
//!
//! ```text
//! cargo bench --bench kernel_shap
//! cargo bench --bench kernel_shap -- kernel_shap_background    # one group only
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use lumen::explain::shapley::{kernel_shap, Background, KernelShapParams, ShapleyGame};
use lumen::{BackendChoice, Engine, EngineConfig, Model, ModelSignature};

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

/// `len` deterministic pseudo-random values in [-1, 1) (xorshift64 from `seed`).
fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// One benchmark setting: `players` inputs, `background_rows` background rows.
struct Setting {
    model: TanhLinear,
    input: Vec<f32>,
    params: KernelShapParams,
}

impl Setting {
    fn new(players: usize, background_rows: usize) -> Self {
        let background = values(background_rows * players, 1000 + players as u64);
        let background = Background::new(background, players, None).expect("valid background");
        Self {
            model: TanhLinear::new(players),
            input: values(players, players as u64),
            params: KernelShapParams::new(ShapleyGame::new(background)),
        }
    }

    /// One explanation of the input row.
    fn explain(&self, engine: &Engine) -> lumen::Explanation {
        kernel_shap(engine, &self.model, black_box(&self.input), 1, &self.params).expect("kernel_shap")
    }
}

/// Benchmarks `(players, background rows)` settings in group `name`, each named
/// `M{players}_bg{background rows}`.
fn bench_group(c: &mut Criterion, engine: &Engine, name: &str, settings: &[(usize, usize)]) {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for &(players, background_rows) in settings {
        let setting = Setting::new(players, background_rows);
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
    bench_group(c, &engine, "kernel_shap_players", &[(10, 100), (20, 100), (40, 100), (64, 100)]);
    bench_group(c, &engine, "kernel_shap_background", &[(20, 10), (20, 50), (20, 100), (20, 200)]);
}

criterion_group!(benches, bench_kernel_shap);
criterion_main!(benches);
