//! Lumen's side of the KernelSHAP comparison with shap (`benches/compare/`).
//!
//! The setting is a small MLP (`M` inputs → `H` tanh units → 1 sigmoid output) with
//! deterministic weights, a background set and the rows to explain, all written to one JSON
//! file so that Lumen and shap's `KernelExplainer` see identical numbers. Every value in
//! that file is an `f32` written exactly (as the `f64` of the same value), so Python reads
//! the very weights and inputs this example evaluates.
//!
//! Two commands:
//!
//! * `setup PATH [--inputs M] [--hidden H] [--background B] [--rows R] [--seed S]` writes
//!   the setting (defaults: M = 16, H = 16, B = 50, R = 20, S = 2024).
//! * `run PATH [--budgets 200,500,1000,2080] [--reps 3] [--threads 1,2] [--error-batches 64]
//!   [--estimators shap,leverage,leverage_stratified,leverage_interactions,leverage_top_triples]
//!   [--row-cost-us 0]`
//!   explains every row of the setting with KernelSHAP, one row per call, on a CPU engine
//!   (`--row-cost-us`: the model busy-waits this many microseconds per row after computing
//!   it, in every timed run but not in exact mode, to stand for a model whose evaluations
//!   dominate):
//!   - in exact mode (budget `2^M − 2`, every coalition once), the reference values;
//!   - for each estimator (default: all), at each sampled budget and engine thread count,
//!     `reps` times with engine seeds `0..reps` (`--error-batches`: KernelSHAP's jackknife
//!     groups for standard errors, Lumen's default 64).
//!
//!   It prints one JSON object on stdout: per budget and thread count, the median wall
//!   time and process CPU time per explanation, the median time spent inside the model's `predict` per explanation, the
//!   model rows evaluated per explanation, the mean absolute error against Lumen's exact
//!   values, the share of values within ±1.96 standard errors of them (and the share of
//!   explanations whose standard errors were available), and every attribution (so that the Python side can score them against its own
//!   brute-force Shapley values).
//!
//! Run it through `benches/compare/run.sh`, or by hand:
//!
//! ```text
//! cargo run --release --example kernel_shap_compare -- setup target/compare/setting.json
//! cargo run --release --example kernel_shap_compare -- run target/compare/setting.json --budgets 500,2080 --threads 1
//! ```

use std::collections::HashMap;
use std::error::Error as StdError;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lumen::explain::shapley::{kernel_shap, Background, Estimator, KernelShapParams, ShapleyGame};
use lumen::{BackendChoice, Engine, EngineConfig, Model, ModelSignature};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Any failure of this example, reported on stderr.
type AnyResult<T> = std::result::Result<T, Box<dyn StdError>>;

/// The shared setting, as written to and read from the JSON file. Every number is an `f32`
/// value stored as the `f64` of the same value.
#[derive(Debug, Serialize, Deserialize)]
struct Setting {
    /// What the file holds, for a reader who opens it.
    description: String,
    /// Input features `M` (one player each).
    inputs: usize,
    /// Hidden tanh units `H`.
    hidden: usize,
    /// First-layer weights, `H` rows of `M`.
    w1: Vec<Vec<f64>>,
    /// First-layer biases, `H`.
    b1: Vec<f64>,
    /// Output weights, `H`.
    w2: Vec<f64>,
    /// Output bias.
    b2: f64,
    /// Background rows, `B` rows of `M`.
    background: Vec<Vec<f64>>,
    /// Rows to explain, `R` rows of `M`.
    rows: Vec<Vec<f64>>,
}

/// Rows evaluated together, one per SIMD lane (two AVX2 vectors of f32).
const LANES: usize = 16;

impl Setting {
    /// Checks the shapes (and that exact mode's `2^M` coalitions stay affordable).
    fn check(&self) -> AnyResult<()> {
        let (m, h) = (self.inputs, self.hidden);
        if !(2..=24).contains(&m) {
            return Err(format!("inputs = {m}: exact mode enumerates 2^M coalitions, expected 2 <= M <= 24").into());
        }
        let rows_of = |rows: &[Vec<f64>], len: usize| rows.iter().all(|row| row.len() == len);
        if self.w1.len() != h || !rows_of(&self.w1, m) || self.b1.len() != h || self.w2.len() != h {
            return Err(format!("weights: expected w1 {h} x {m}, b1 and w2 of {h}").into());
        }
        if self.background.is_empty()
            || self.rows.is_empty()
            || !rows_of(&self.background, m)
            || !rows_of(&self.rows, m)
        {
            return Err(format!("background and rows: expected at least one row each, of {m} values").into());
        }
        Ok(())
    }
}

/// `sigmoid(w2 · tanh(W1 x + b1) + b2)` in f32, counting the time spent inside `predict`.
///
/// Evaluated as an inference runtime would: [`LANES`] rows at a time, laid out so that
/// every operation is the same across rows and compiles to SIMD instructions (AVX2 and
/// FMA when the CPU has them, chosen at run time as numpy does; SSE2 otherwise). `tanh` is
/// a rational approximation accurate to a few f32 ulps ([`tanh_f32`]), and the sigmoid is
/// `(1 + tanh(z / 2)) / 2`. Against the float64 numpy model of the Python side the outputs
/// differ by about 1e-7, which the comparison reports through the exact Shapley values.
struct Mlp {
    signature: ModelSignature,
    inputs: usize,
    hidden: usize,
    /// `H × M`, row-major.
    w1: Vec<f32>,
    b1: Vec<f32>,
    w2: Vec<f32>,
    b2: f32,
    /// Whether the CPU has AVX2 and FMA.
    avx2_fma: bool,
    /// Nanoseconds spent inside `predict`, summed over calls.
    inside_ns: AtomicU64,
    /// Nanoseconds `predict` busy-waits per row (0: none).
    row_cost_ns: AtomicU64,
}

impl Mlp {
    /// The MLP of `setting`.
    fn new(setting: &Setting) -> Self {
        let narrow = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        Self {
            signature: ModelSignature::flat(setting.inputs, 1),
            inputs: setting.inputs,
            hidden: setting.hidden,
            w1: setting.w1.iter().flat_map(|row| narrow(row)).collect(),
            b1: narrow(&setting.b1),
            w2: narrow(&setting.w2),
            b2: setting.b2 as f32,
            avx2_fma: avx2_fma_detected(),
            inside_ns: AtomicU64::new(0),
            row_cost_ns: AtomicU64::new(0),
        }
    }

    /// Nanoseconds spent inside `predict` so far.
    fn inside_ns(&self) -> u64 {
        self.inside_ns.load(Ordering::Relaxed)
    }

    /// The outputs of `outputs.len()` rows of `inputs`, [`LANES`] rows at a time; `FMA`
    /// selects fused multiply-adds (only where the CPU has them: they are slow calls
    /// otherwise).
    #[inline(always)]
    fn predict_rows<const FMA: bool>(&self, inputs: &[f32], outputs: &mut [f32]) {
        let m = self.inputs;
        let mut columns = vec![[0.0f32; LANES]; m];
        for (block, out) in inputs.chunks(LANES * m).zip(outputs.chunks_mut(LANES)) {
            for (lane, x) in block.chunks_exact(m).enumerate() {
                for (column, &v) in columns.iter_mut().zip(x) {
                    column[lane] = v;
                }
            }
            let mut logit = [self.b2; LANES];
            for h in 0..self.hidden {
                let mut pre = [self.b1[h]; LANES];
                for (&w, column) in self.w1[h * m..(h + 1) * m].iter().zip(&columns) {
                    for (p, &x) in pre.iter_mut().zip(column) {
                        *p = madd::<FMA>(w, x, *p);
                    }
                }
                for (l, &p) in logit.iter_mut().zip(&pre) {
                    *l = madd::<FMA>(self.w2[h], tanh_f32::<FMA>(p), *l);
                }
            }
            for (o, &l) in out.iter_mut().zip(&logit) {
                *o = madd::<FMA>(0.5, tanh_f32::<FMA>(0.5 * l), 0.5);
            }
        }
    }

    /// [`Mlp::predict_rows`] compiled for AVX2 and FMA.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA ([`avx2_fma_detected`]).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn predict_rows_avx2_fma(&self, inputs: &[f32], outputs: &mut [f32]) {
        self.predict_rows::<true>(inputs, outputs);
    }
}

impl Model for Mlp {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let entry = Instant::now();
        let (inputs, outputs) = (&inputs[..rows * self.inputs], &mut outputs[..rows]);
        #[cfg(target_arch = "x86_64")]
        if self.avx2_fma {
            // SAFETY: `avx2_fma` is set only when the running CPU reports AVX2 and FMA.
            unsafe { self.predict_rows_avx2_fma(inputs, outputs) };
        } else {
            self.predict_rows::<false>(inputs, outputs);
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.predict_rows::<false>(inputs, outputs);
        let cost = Duration::from_nanos(self.row_cost_ns.load(Ordering::Relaxed).saturating_mul(rows as u64));
        while entry.elapsed() < cost {
            std::hint::spin_loop();
        }
        self.inside_ns.fetch_add(entry.elapsed().as_nanos() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// Whether the running CPU has AVX2 and FMA.
fn avx2_fma_detected() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `a · b + c`, fused when `FMA`.
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// tanh in f32 without branches (so that it vectorises): Eigen's rational approximation
/// (`generic_fast_tanh_float`, also TensorFlow's and XLA's on CPU), a degree-13 odd
/// polynomial over a degree-6 even one on `x` clamped to ±7.905311, where tanh rounds to ±1
/// in f32; its error is a few ulps.
#[inline(always)]
fn tanh_f32<const FMA: bool>(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const ALPHA: [f32; 7] =
        [-2.760_768_5e-16, 2.000_188e-13, -8.604_672e-11, 5.122_297e-8, 1.485_722_4e-5, 6.372_619_3e-4, 4.893_524_6e-3];
    const BETA: [f32; 4] = [1.198_258_4e-6, 1.185_347_1e-4, 2.268_434_6e-3, 4.893_525e-3];
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let p = ALPHA[1..].iter().fold(ALPHA[0], |acc, &a| madd::<FMA>(acc, x2, a));
    let q = BETA[1..].iter().fold(BETA[0], |acc, &b| madd::<FMA>(acc, x2, b));
    x * p / q
}

/// SplitMix64: a tiny deterministic generator, so the setting never depends on a crate's
/// stream.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller), rounded to f32 and returned as that value's f64.
    fn normal_f32(&mut self, scale: f64) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        f64::from((z * scale) as f32)
    }

    fn matrix(&mut self, rows: usize, cols: usize, scale: f64) -> Vec<Vec<f64>> {
        (0..rows).map(|_| (0..cols).map(|_| self.normal_f32(scale)).collect()).collect()
    }
}

/// The setting of `options`: weights scaled so that the tanh units work in their
/// non-linear range and the output probabilities spread over (0, 1); features standard
/// normal with a per-feature offset and scale.
fn make_setting(options: &HashMap<String, String>) -> AnyResult<Setting> {
    let inputs = option(options, "inputs", 16)?;
    let hidden = option(options, "hidden", 16)?;
    let background = option(options, "background", 50)?;
    let rows = option(options, "rows", 20)?;
    let mut rng = SplitMix64(option(options, "seed", 2024)? as u64);
    let w1 = rng.matrix(hidden, inputs, 1.5 / (inputs as f64).sqrt());
    let b1 = rng.matrix(1, hidden, 0.5).remove(0);
    let w2 = rng.matrix(1, hidden, 2.0 / (hidden as f64).sqrt()).remove(0);
    let b2 = rng.normal_f32(0.3);
    let offsets = rng.matrix(1, inputs, 0.5).remove(0);
    let scales: Vec<f64> = (0..inputs).map(|i| 0.5 + (i % 4) as f64 * 0.25).collect();
    let mut draw_rows = |count: usize| -> Vec<Vec<f64>> {
        (0..count)
            .map(|_| (0..inputs).map(|i| f64::from((offsets[i] + rng.normal_f32(scales[i])) as f32)).collect())
            .collect()
    };
    let background_rows = draw_rows(background);
    let explained_rows = draw_rows(rows);
    Ok(Setting {
        description: format!(
            "KernelSHAP comparison: MLP {inputs} -> {hidden} tanh -> 1 sigmoid, \
             p = sigmoid(w2 . tanh(W1 x + b1) + b2); {background} background rows, {rows} explained rows; \
             every number is an f32 value"
        ),
        inputs,
        hidden,
        w1,
        b1,
        w2,
        b2,
        background: background_rows,
        rows: explained_rows,
    })
}

/// Option `--name` as a `usize`, or `default`.
fn option(options: &HashMap<String, String>, name: &str, default: usize) -> AnyResult<usize> {
    match options.get(name) {
        Some(value) => value.parse().map_err(|e| format!("--{name} {value}: {e}").into()),
        None => Ok(default),
    }
}

/// `--name value` pairs after the positional arguments.
fn parse_options(args: &[String]) -> AnyResult<HashMap<String, String>> {
    let mut options = HashMap::new();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let name = flag.strip_prefix("--").ok_or_else(|| format!("expected --option, got {flag}"))?;
        let value = iter.next().ok_or_else(|| format!("--{name} needs a value"))?;
        options.insert(name.to_owned(), value.clone());
    }
    Ok(options)
}

/// A CPU engine on `threads` threads with `seed`.
fn engine(threads: usize, seed: u64) -> AnyResult<Engine> {
    Ok(Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads, seed, ..Default::default() })?)
}

/// The median of `values` (upper median for an even count).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One batch of explanations (every row, `reps` seeds) at one budget.
struct Runs {
    /// Attributions per repetition, per row (`M` each).
    values: Vec<Vec<Vec<f32>>>,
    /// Wall seconds per explanation.
    seconds: Vec<f64>,
    /// CPU seconds of the whole process per explanation (robust to other load on the machine).
    cpu_seconds: Vec<f64>,
    /// Seconds inside the model's `predict` per explanation.
    model_seconds: Vec<f64>,
    /// Model rows evaluated per explanation.
    model_rows: Vec<u64>,
    /// Standard errors per repetition, per row (`None` where unavailable).
    errors: Vec<Vec<Option<Vec<f32>>>>,
}

/// Explains every row of `rows` one call at a time with `params`, `reps` times (engine
/// seeds `0..reps`), after one untimed warm-up call.
fn explain_rows(
    model: &Mlp,
    rows: &[Vec<f32>],
    params: &KernelShapParams,
    reps: usize,
    threads: usize,
) -> AnyResult<Runs> {
    let mut runs = Runs {
        values: Vec::new(),
        seconds: Vec::new(),
        cpu_seconds: Vec::new(),
        model_seconds: Vec::new(),
        model_rows: Vec::new(),
        errors: Vec::new(),
    };
    kernel_shap(&engine(threads, 0)?, model, &rows[0], 1, params)?;
    for rep in 0..reps {
        let engine = engine(threads, rep as u64)?;
        let mut rep_values = Vec::with_capacity(rows.len());
        let mut rep_errors = Vec::with_capacity(rows.len());
        for x in rows {
            let inside = model.inside_ns();
            let (start, cpu_start) = (Instant::now(), process_cpu_seconds());
            let explanation = kernel_shap(&engine, model, x, 1, params)?;
            runs.seconds.push(start.elapsed().as_secs_f64());
            runs.cpu_seconds.push(process_cpu_seconds() - cpu_start);
            runs.model_seconds.push((model.inside_ns() - inside) as f64 * 1e-9);
            runs.model_rows.push(explanation.audit.model_rows_evaluated);
            rep_values.push(explanation.attributions.to_f32());
            rep_errors.push(explanation.standard_errors.map(|errors| errors.to_f32()));
        }
        runs.values.push(rep_values);
        runs.errors.push(rep_errors);
    }
    Ok(runs)
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

/// CPU seconds used by this process so far (all threads).
fn process_cpu_seconds() -> f64 {
    let mut time = Timespec { seconds: 0, nanoseconds: 0 };
    // SAFETY: `time` is a valid, writable timespec; the clock id is Linux's process CPU clock.
    let status = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut time) };
    if status == 0 {
        time.seconds as f64 + time.nanoseconds as f64 * 1e-9
    } else {
        f64::NAN
    }
}

/// Mean absolute difference of every repetition's attributions from `exact`.
fn mean_absolute_error(values: &[Vec<Vec<f32>>], exact: &[Vec<f32>]) -> f64 {
    let (mut sum, mut count) = (0.0f64, 0usize);
    for rep in values {
        for (row, reference) in rep.iter().zip(exact) {
            sum += row.iter().zip(reference).map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs()).sum::<f64>();
            count += row.len();
        }
    }
    sum / count as f64
}

/// The share of values within ±1.96 standard errors of `exact` (over rows whose errors
/// are available), and the share of rows whose errors are available.
fn coverage(runs: &Runs, exact: &[Vec<f32>]) -> (Option<f64>, f64) {
    let (mut covered, mut count, mut available, mut rows) = (0usize, 0usize, 0usize, 0usize);
    for (rep_values, rep_errors) in runs.values.iter().zip(&runs.errors) {
        for ((values, errors), reference) in rep_values.iter().zip(rep_errors).zip(exact) {
            rows += 1;
            let Some(errors) = errors else { continue };
            available += 1;
            for ((v, e), r) in values.iter().zip(errors).zip(reference) {
                covered += usize::from((f64::from(*v) - f64::from(*r)).abs() <= 1.96 * f64::from(*e));
                count += 1;
            }
        }
    }
    ((count > 0).then(|| covered as f64 / count as f64), available as f64 / rows.max(1) as f64)
}

/// The JSON summary of `runs` at `budget`, scored against `exact` when given.
fn summary(budget: usize, mut runs: Runs, exact: Option<&[Vec<f32>]>) -> serde_json::Value {
    let mae = exact.map(|exact| mean_absolute_error(&runs.values, exact));
    let (covered, available) = exact.map(|exact| coverage(&runs, exact)).unwrap_or((None, 1.0));
    runs.model_rows.sort_unstable();
    json!({
        "budget": budget,
        "explanations": runs.seconds.len(),
        "seconds_per_explanation": median(&mut runs.seconds),
        "cpu_seconds_per_explanation": median(&mut runs.cpu_seconds),
        "model_seconds_per_explanation": median(&mut runs.model_seconds),
        "model_rows_per_explanation": runs.model_rows[runs.model_rows.len() / 2],
        "mae_vs_lumen_exact": mae,
        "coverage_1_96_se": covered,
        "standard_errors_available": available,
        "values": runs.values,
    })
}

/// A comma-separated list of numbers, or `default` when the option is absent.
fn list_option(options: &HashMap<String, String>, name: &str, default: Vec<usize>) -> AnyResult<Vec<usize>> {
    match options.get(name) {
        Some(list) => list
            .split(',')
            .map(|v| v.trim().parse::<usize>().map_err(|e| format!("--{name} {list}: {e}").into()))
            .collect(),
        None => Ok(default),
    }
}

/// `run PATH [options]`: exact reference, then every budget and thread count; JSON on stdout.
fn run(path: &str, options: &HashMap<String, String>) -> AnyResult<()> {
    let setting: Setting = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    setting.check()?;
    let m = setting.inputs;
    let reps = option(options, "reps", 3)?.max(1);
    let thread_counts = list_option(options, "threads", vec![1, 2])?;
    let budgets = list_option(options, "budgets", vec![200, 500, 1000, 2 * m + 2048])?;
    let estimators: Vec<Estimator> = match options.get("estimators") {
        Some(list) => list
            .split(',')
            .map(|name| serde_json::from_value(json!(name.trim())).map_err(|e| format!("--estimators {name}: {e}")))
            .collect::<Result<_, _>>()?,
        None => Estimator::ALL.to_vec(),
    };
    let model = Mlp::new(&setting);
    let background: Vec<f32> = setting.background.iter().flatten().map(|&v| v as f32).collect();
    let rows: Vec<Vec<f32>> = setting.rows.iter().map(|row| row.iter().map(|&v| v as f32).collect()).collect();
    let mut params = KernelShapParams::new(ShapleyGame::new(Background::new(background, m, None)?));
    params.error_batches = u32::try_from(option(options, "error-batches", params.error_batches as usize)?)?;

    let exact_budget = (1usize << m) - 2;
    params.budget = Some(exact_budget);
    let exact_threads = thread_counts.iter().copied().max().unwrap_or(1);
    eprintln!("lumen: exact mode, budget {exact_budget}, {exact_threads} thread(s)");
    let exact_runs = explain_rows(&model, &rows, &params, 1, exact_threads)?;
    let exact = exact_runs.values[0].clone();
    let mut exact_summary = summary(exact_budget, exact_runs, None);
    exact_summary["threads"] = exact_threads.into();
    let row_cost_us = option(options, "row-cost-us", 0)?;
    model.row_cost_ns.store(u64::try_from(row_cost_us)?.saturating_mul(1000), Ordering::Relaxed);
    let mut sampled = Vec::new();
    for &estimator in &estimators {
        params.estimator = estimator;
        for &budget in &budgets {
            params.budget = Some(budget);
            for &threads in &thread_counts {
                eprintln!("lumen: {}, budget {budget}, {threads} thread(s)", estimator.name());
                let runs = explain_rows(&model, &rows, &params, reps, threads)?;
                let mut entry = summary(budget, runs, Some(&exact));
                entry["threads"] = threads.into();
                entry["estimator"] = estimator.name().into();
                sampled.push(entry);
            }
        }
    }
    let report = json!({
        "inputs": m,
        "hidden": setting.hidden,
        "background_rows": setting.background.len(),
        "explained_rows": rows.len(),
        "reps": reps,
        "error_batches": params.error_batches,
        "estimators": estimators.iter().map(|e| e.name()).collect::<Vec<_>>(),
        "model_simd": if model.avx2_fma { "avx2+fma" } else { "portable" },
        "row_cost_us": row_cost_us,
        "exact": exact_summary,
        "sampled": sampled,
    });
    println!("{report}");
    Ok(())
}

fn main() -> ExitCode {
    match dispatch() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kernel_shap_compare: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command named on the command line.
fn dispatch() -> AnyResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: kernel_shap_compare setup PATH [--inputs M --hidden H --background B --rows R --seed S]\n       \
                 kernel_shap_compare run PATH [--budgets 200,500,1000,2080 --reps 3 --threads 1,2 --error-batches 64 \
                 --estimators shap,leverage,leverage_stratified,leverage_interactions,leverage_top_triples]";
    let (Some(command), Some(path)) = (args.first(), args.get(1)) else {
        return Err(usage.into());
    };
    let options = parse_options(&args[2..])?;
    match command.as_str() {
        "setup" => {
            let setting = make_setting(&options)?;
            if let Some(dir) = std::path::Path::new(path).parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, serde_json::to_string_pretty(&setting)?)?;
            eprintln!(
                "wrote {path}: M = {}, H = {}, {} background rows, {} rows",
                setting.inputs,
                setting.hidden,
                setting.background.len(),
                setting.rows.len()
            );
            Ok(())
        }
        "run" => run(path, &options),
        _ => Err(usage.into()),
    }
}
