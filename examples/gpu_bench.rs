//! GPU benches (feature `cuda`, needs a GPU): the achieved bandwidth of each memory-bound
//! kernel against a device-to-device copy measured in the same run (bytes read + written),
//! and, end to end with a device-resident model (the MLP of tests/gpu_support), the share
//! of wall time the engine spends outside the model callback for KernelSHAP (M = 20,
//! 2M + 2048 coalitions, 100 background rows), Integrated Gradients (3×224×224, 50 steps)
//! and Occlusion (3×224×224, window 3×8×8, strides 3×4×4), with the same runs on the CPU
//! backend (host twin of the model) as a GPU/CPU wall-time ratio. Prints a table last.
//!
//! Run: `cargo run --release --features cuda --example gpu_bench` (or the prebuilt binary
//! from scripts/gpu-bundle.sh). Targets: kernels ≥ 70% of the copy; engine share < 5%.

#[path = "../tests/gpu_support/mod.rs"]
mod gpu_support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use gpu_support::{uniform, DeviceMlp, HostMlp, MlpWeights};
use lumen::backend::cuda::CudaBackend;
use lumen::backend::{
    AblationJob, Baselines, CoalitionJob, GroupMap, InputDtype, Masks, PathJob, PathPoint, WindowGrid,
};
use lumen::explain::gradient::{integrated_gradients, IntegratedGradientsParams};
use lumen::explain::shapley::{kernel_shap, Background, KernelShapParams, ShapleyGame};
use lumen::{occlusion, BackendChoice, Engine, EngineConfig, Explanation, Model, ModelSignature, OcclusionParams};

type Failure = Box<dyn std::error::Error>;

/// Seconds per call of `f` (after one warm-up), waiting for the device each time.
fn time(backend: &CudaBackend, iterations: u32, mut f: impl FnMut() -> lumen::Result<()>) -> Result<f64, Failure> {
    f()?;
    backend.device().stream().synchronize()?;
    let start = Instant::now();
    for _ in 0..iterations {
        f()?;
    }
    backend.device().stream().synchronize()?;
    Ok(start.elapsed().as_secs_f64() / f64::from(iterations))
}

struct Row {
    name: String,
    value: String,
    target: String,
}

fn bandwidth(backend: &CudaBackend, rows: &mut Vec<Row>) -> Result<(), Failure> {
    let stream = backend.device().stream().clone();
    let copy_len = 64 << 20; // 256 MiB of f32
    let source = stream.alloc_zeros::<f32>(copy_len)?;
    let mut target = stream.alloc_zeros::<f32>(copy_len)?;
    let copy = time(backend, 20, || {
        stream
            .memcpy_dtod(&source, &mut target)
            .map_err(|e| lumen::Error::new(lumen::ErrorKind::Internal, e.to_string()))
    })?;
    let copy_gbs = 2.0 * (copy_len * 4) as f64 / copy / 1e9;
    rows.push(Row {
        name: "device-to-device copy".into(),
        value: format!("{copy_gbs:.0} GB/s"),
        target: "reference".into(),
    });
    let mut kernel = |name: &str, bytes: f64, seconds: f64| {
        let gbs = bytes / seconds / 1e9;
        rows.push(Row {
            name: name.into(),
            value: format!("{gbs:.0} GB/s ({:.0}% of copy)", 100.0 * gbs / copy_gbs),
            target: ">= 70%".into(),
        });
    };

    // Occlusion batch: 256 windows of a 3×224×224 row; each element reads one f32
    // (input or baseline) and writes one.
    let shape = [3, 224, 224];
    let n: usize = shape.iter().product();
    let x = uniform(n, 1, -1.0, 1.0);
    let masks = Masks::Windows(WindowGrid::new(&shape, &[3, 8, 8], &[3, 4, 4])?);
    let baseline = Baselines::Scalar(0.0);
    let job = AblationJob { inputs: &x, row_len: n, baselines: &baseline, masks: &masks };
    let operands = backend.upload_ablation(&job)?;
    let items = 256;
    for dtype in [InputDtype::F32, InputDtype::Bf16] {
        let mut batch = backend.batch_buffer(items, n, dtype)?;
        let seconds = time(backend, 20, || backend.build_ablation_device(&operands, 0..items, &mut batch))?;
        kernel(&format!("occlusion batch build ({dtype:?})"), (items * n * (4 + dtype.size())) as f64, seconds);
    }

    // Coalition batch: 4096-element rows, 64 players, 256 coalitions × 16 background rows;
    // each element reads its player id and one f32 and writes one.
    let (cn, background_rows, players) = (4096, 16, 64);
    let cx = uniform(cn, 2, -1.0, 1.0);
    let background = uniform(background_rows * cn, 3, -1.0, 1.0);
    let mask: Vec<u32> = (0..cn).map(|e| (e % players) as u32).collect();
    let groups = GroupMap::new(&mask, "players")?;
    let coalitions: Vec<u64> = (0..256u64).map(|c| c.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
    let cjob = CoalitionJob { x: &cx, background: &background, players: &groups, coalitions: &coalitions, words: 1 };
    let coperands = backend.upload_coalitions(&cjob)?;
    let citems = cjob.items();
    let mut cbatch = backend.batch_buffer(citems, cn, InputDtype::F32)?;
    let seconds = time(backend, 20, || backend.build_coalitions_device(&coperands, 0..citems, &mut cbatch))?;
    kernel("coalition batch build (f32)", (citems * cn * 12) as f64, seconds);

    // Path batch and accumulation: 50 points of a 3×224×224 path.
    let b = vec![0.0f32; n];
    let points: Vec<PathPoint> = (0..50)
        .map(|k| PathPoint { input: 0, baseline: 0, alpha: (k as f32 + 0.5) / 50.0, weight: 0.02, target: 0 })
        .collect();
    let pjob = PathJob { inputs: &x, baselines: &b, row_len: n, points: &points, times_difference: true };
    let poperands = backend.upload_paths(&pjob)?;
    let mut pbatch = backend.batch_buffer(50, n, InputDtype::F32)?;
    let seconds = time(backend, 20, || backend.build_paths_device(&poperands, 0..50, &mut pbatch))?;
    kernel("path batch build (f32)", (50 * n * 12) as f64, seconds);
    let gradients = backend.f32_buffer(50 * n)?;
    let mut accumulator = backend.upload_f64(&vec![0.0; n])?;
    let seconds =
        time(backend, 20, || backend.accumulate_paths_device(&poperands, 0..50, &gradients, &mut accumulator))?;
    kernel("path gradient accumulation", (n * (50 * 12 + 16)) as f64, seconds);
    Ok(())
}

/// Wall time during which at least one callback of a host model runs: the union of the
/// callbacks' spans, so that callbacks running in parallel count once.
#[derive(Default)]
struct Busy {
    running: usize,
    since: Option<Instant>,
    total: Duration,
}

impl Busy {
    fn enter(&mut self) {
        if self.running == 0 {
            self.since = Some(Instant::now());
        }
        self.running += 1;
    }

    fn leave(&mut self) {
        self.running -= 1;
        if self.running == 0 {
            if let Some(since) = self.since.take() {
                self.total += since.elapsed();
            }
        }
    }
}

/// A host model that records the wall time its callbacks cover in `busy`.
struct Timed<'a> {
    model: &'a HostMlp,
    busy: Mutex<Busy>,
}

impl Timed<'_> {
    fn timed<T>(&self, work: impl FnOnce() -> T) -> T {
        self.busy.lock().unwrap().enter();
        let out = work();
        self.busy.lock().unwrap().leave();
        out
    }
}

impl Model for Timed<'_> {
    fn signature(&self) -> &ModelSignature {
        self.model.signature()
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        self.timed(|| self.model.predict(inputs, rows, outputs))
    }
    fn gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        targets: &[u32],
        gradients: &mut [f32],
        outputs: Option<&mut [f32]>,
    ) -> lumen::Result<()> {
        self.timed(|| self.model.gradient(inputs, rows, targets, gradients, outputs))
    }
}

/// One timed run: its wall time and the time inside the model.
type Run = (Duration, Duration);

/// The run of median wall time among `runs`.
fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|run| run.0);
    runs[runs.len() / 2]
}

/// The share of `run`'s wall time spent outside the model, in percent.
fn engine_share((wall, model): Run) -> f64 {
    100.0 * wall.saturating_sub(model).as_secs_f64() / wall.as_secs_f64()
}

/// Runs of `explain` on the GPU with the device model (after a warm-up).
fn gpu_runs(
    cuda: &Engine,
    model: &DeviceMlp,
    count: usize,
    explain: &dyn Fn(&Engine, &dyn Model) -> lumen::Result<Explanation>,
) -> Result<Vec<Run>, Failure> {
    let mut runs = Vec::with_capacity(count);
    for _ in 0..count {
        *model.model_time.lock().unwrap() = Duration::ZERO;
        let start = Instant::now();
        explain(cuda, model)?;
        runs.push((start.elapsed(), *model.model_time.lock().unwrap()));
    }
    Ok(runs)
}

/// Median wall time and the share outside the model for `explain` on the GPU (device
/// model, 7 runs) and the CPU (host twin, 3 runs); with `pool_kept`, the GPU runs again
/// after the device's memory pool was told to keep freed memory.
struct EndToEnd<'a> {
    name: &'a str,
    shape: &'a [usize],
    explain: &'a dyn Fn(&Engine, &dyn Model) -> lumen::Result<Explanation>,
}

fn end_to_end(backend: &CudaBackend, case: &EndToEnd<'_>, rows: &mut Vec<Row>) -> Result<(), Failure> {
    let n = case.shape.iter().product();
    let weights = MlpWeights::random(n, 16, 4, 42);
    let mut device_model = DeviceMlp::new(backend, case.shape, weights.clone())?;
    let host_model = HostMlp::new(case.shape, weights);
    let config = |backend| EngineConfig { backend, seed: 3, ..Default::default() };
    let (cuda, cpu) = (Engine::new(config(BackendChoice::Cuda))?, Engine::new(config(BackendChoice::Cpu))?);
    (case.explain)(&cuda, &device_model)?; // warm-up: NVRTC compile, allocations
    device_model.timing = true;
    let gpu = median(gpu_runs(&cuda, &device_model, 7, case.explain)?);
    let timed = Timed { model: &host_model, busy: Mutex::new(Busy::default()) };
    let mut cpu_runs = Vec::new();
    for _ in 0..3 {
        timed.busy.lock().unwrap().total = Duration::ZERO;
        let start = Instant::now();
        (case.explain)(&cpu, &timed)?;
        cpu_runs.push((start.elapsed(), timed.busy.lock().unwrap().total));
    }
    let cpu = median(cpu_runs);
    let name = case.name;
    rows.push(Row {
        name: format!("{name}: engine share, GPU"),
        value: format!("{:.1}% of {:.2} ms", engine_share(gpu), gpu.0.as_secs_f64() * 1e3),
        target: "< 5%".into(),
    });
    rows.push(Row {
        name: format!("{name}: engine share, CPU"),
        value: format!("{:.1}% of {:.1} ms", engine_share(cpu), cpu.0.as_secs_f64() * 1e3),
        target: "(reference)".into(),
    });
    rows.push(Row {
        name: format!("{name}: wall GPU/CPU"),
        value: format!("{:.4}", gpu.0.as_secs_f64() / cpu.0.as_secs_f64()),
        target: "(ratio)".into(),
    });
    keep_pool_memory(backend)?;
    let kept = median(gpu_runs(&cuda, &device_model, 7, case.explain)?);
    rows.push(Row {
        name: format!("{name}: engine share, GPU, pool kept"),
        value: format!("{:.1}% of {:.2} ms", engine_share(kept), kept.0.as_secs_f64() * 1e3),
        target: "(diagnostic)".into(),
    });
    release_pool_memory(backend)?;
    Ok(())
}

/// Sets the release threshold of the device's default memory pool (the one cudarc's
/// stream-ordered allocations use): 0 is CUDA's default (freed memory goes back to the
/// driver at each synchronisation), `u64::MAX` keeps it for the next allocation.
fn set_pool_threshold(backend: &CudaBackend, threshold: u64) -> Result<(), Failure> {
    use cudarc::driver::sys;
    let context = backend.device().context();
    context.bind_to_thread()?;
    let mut pool: sys::CUmemoryPool = std::ptr::null_mut();
    let mut value = threshold;
    // SAFETY: the context is bound to this thread; `pool` receives the device's default
    // pool, and the attribute takes a pointer to a u64 that lives across the call.
    unsafe {
        sys::cuDeviceGetDefaultMemPool(&mut pool, context.cu_device()).result()?;
        sys::cuMemPoolSetAttribute(
            pool,
            sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
            (&mut value as *mut u64).cast(),
        )
        .result()?;
    }
    Ok(())
}

fn keep_pool_memory(backend: &CudaBackend) -> Result<(), Failure> {
    set_pool_threshold(backend, u64::MAX)
}

fn release_pool_memory(backend: &CudaBackend) -> Result<(), Failure> {
    set_pool_threshold(backend, 0)?;
    backend.device().stream().synchronize()?;
    Ok(())
}

/// Milliseconds (median of 7, each waiting for the device) of every engine step of the
/// device-resident IG path (`model::device_run`, `paths`), model excluded, for 3×224×224
/// and 50 points: where the engine's time outside the model goes.
fn ig_steps(backend: &CudaBackend, rows: &mut Vec<Row>) -> Result<(), Failure> {
    let shape = [3usize, 224, 224];
    let n: usize = shape.iter().product();
    let x = uniform(n, 6, 0.0, 1.0);
    let b = vec![0.0f32; n];
    let points: Vec<PathPoint> = (0..50)
        .map(|k| PathPoint { input: 0, baseline: 0, alpha: (k as f32 + 0.5) / 50.0, weight: 0.02, target: 0 })
        .collect();
    let job = PathJob { inputs: &x, baselines: &b, row_len: n, points: &points, times_difference: true };
    let stream = backend.device().stream().clone();
    let step = |name: &str, f: &mut dyn FnMut() -> Result<(), Failure>, rows: &mut Vec<Row>| -> Result<(), Failure> {
        let mut times = Vec::new();
        for _ in 0..7 {
            stream.synchronize()?;
            let start = Instant::now();
            f()?;
            stream.synchronize()?;
            times.push(start.elapsed());
        }
        times.sort();
        rows.push(Row {
            name: format!("IG device path step: {name}"),
            value: format!("{:.3} ms", times[3].as_secs_f64() * 1e3),
            target: "(diagnostic)".into(),
        });
        Ok(())
    };
    let operands = backend.upload_paths(&job)?;
    step(
        "upload inputs, baselines",
        &mut || {
            backend.upload_paths(&job)?;
            Ok(())
        },
        rows,
    )?;
    step(
        "allocate batch + gradients",
        &mut || {
            let batch = backend.batch_buffer(50, n, InputDtype::F32)?;
            let gradients = backend.f32_buffer(50 * n)?;
            drop((batch, gradients));
            Ok(())
        },
        rows,
    )?;
    let mut batch = backend.batch_buffer(50, n, InputDtype::F32)?;
    let gradients = backend.f32_buffer(50 * n)?;
    let mut accumulator = backend.upload_f64(&vec![0.0; n])?;
    step("build 50 points", &mut || Ok(backend.build_paths_device(&operands, 0..50, &mut batch)?), rows)?;
    step(
        "upload targets",
        &mut || {
            backend.upload_u32(&[0u32; 50])?;
            Ok(())
        },
        rows,
    )?;
    step(
        "finite check",
        &mut || {
            backend.first_non_finite(&gradients, 50 * n)?;
            Ok(())
        },
        rows,
    )?;
    step(
        "accumulate",
        &mut || Ok(backend.accumulate_paths_device(&operands, 0..50, &gradients, &mut accumulator)?),
        rows,
    )?;
    let mut host = vec![0.0f64; n];
    step("download accumulator", &mut || Ok(backend.download_f64(&accumulator, &mut host)?), rows)?;
    Ok(())
}

/// The KernelSHAP solve (M = 20, 2088 coalitions) on the device (`kernels/solve.cu`:
/// normal equations and a one-thread Cholesky, with the copies) against the engine's
/// host QR solve, median of 21 each, and how far apart their values are.
fn solve_on_device(backend: &CudaBackend, rows: &mut Vec<Row>) -> Result<(), Failure> {
    use lumen::explain::shapley::schedule::Coalitions;
    let (players, count) = (20usize, 2088usize);
    let draws = uniform(count * players, 11, 0.0, 1.0);
    let mut coalitions = Coalitions::new(players);
    for k in 0..count {
        coalitions.push((0..players).filter(|&j| draws[k * players + j] < 0.5))?;
    }
    let weights: Vec<f64> = uniform(count, 12, 0.1, 1.0).iter().map(|&v| f64::from(v)).collect();
    let values: Vec<f64> = uniform(count, 13, -1.0, 1.0).iter().map(|&v| f64::from(v)).collect();
    let (base, total) = (0.25, 1.5);
    let problem = lumen::backend::cuda::solve::WlsProblem::new(&coalitions, &weights, &values, base, total);
    let median = |f: &mut dyn FnMut() -> lumen::Result<Vec<f64>>| -> Result<(Duration, Vec<f64>), Failure> {
        let mut last = f()?;
        let mut times = Vec::new();
        for _ in 0..21 {
            let start = Instant::now();
            last = f()?;
            times.push(start.elapsed());
        }
        times.sort();
        Ok((times[10], last))
    };
    let (device, on_device) = median(&mut || backend.constrained_wls(&problem))?;
    let (host, on_host) =
        median(&mut || lumen::explain::shapley::solve::constrained_wls(&coalitions, &weights, &values, base, total))?;
    let largest = on_host.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let apart = on_device.iter().zip(&on_host).fold(0.0f64, |m, (d, h)| m.max((d - h).abs())) / largest;
    rows.push(Row {
        name: "KernelSHAP solve M=20, 2088 coalitions: device / host time".into(),
        value: format!(
            "{:.3} ms / {:.3} ms = {:.2}",
            device.as_secs_f64() * 1e3,
            host.as_secs_f64() * 1e3,
            device.as_secs_f64() / host.as_secs_f64()
        ),
        target: format!("(values {apart:.1e} apart)"),
    });
    Ok(())
}

fn main() -> Result<(), Failure> {
    let backend = CudaBackend::new(0)?;
    println!("device: {}", backend.device().describe());
    let mut rows = Vec::new();
    bandwidth(&backend, &mut rows)?;

    ig_steps(&backend, &mut rows)?;
    solve_on_device(&backend, &mut rows)?;

    let players = 20;
    let x = uniform(players, 4, -1.0, 1.0);
    let background = uniform(100 * players, 5, -1.0, 1.0);
    let kernel_shap_run = |engine: &Engine, model: &dyn Model| {
        let mut params = KernelShapParams::new(ShapleyGame::new(Background::new(background.clone(), players, None)?));
        params.budget = Some(2 * players + 2048);
        params.game.targets = Some(vec![0]);
        kernel_shap(engine, model, &x, 1, &params)
    };
    let image = uniform(3 * 224 * 224, 6, 0.0, 1.0);
    let ig_run = |engine: &Engine, model: &dyn Model| {
        let params = IntegratedGradientsParams { n_steps: 50, targets: Some(vec![0]), ..Default::default() };
        integrated_gradients(engine, model, &image, 1, &params)
    };
    let occlusion_run = |engine: &Engine, model: &dyn Model| {
        let mut params = OcclusionParams::new(vec![3, 8, 8]);
        params.strides = Some(vec![3, 4, 4]);
        params.targets = Some(vec![0]);
        occlusion(engine, model, &image, 1, &params)
    };
    let cases = [
        EndToEnd {
            name: "KernelSHAP M=20, 2088 coalitions, 100 background",
            shape: &[players],
            explain: &kernel_shap_run,
        },
        EndToEnd { name: "IG 3x224x224, 50 steps", shape: &[3, 224, 224], explain: &ig_run },
        EndToEnd { name: "Occlusion 3x224x224, 3x8x8 / 3x4x4", shape: &[3, 224, 224], explain: &occlusion_run },
    ];
    for case in &cases {
        end_to_end(&backend, case, &mut rows)?;
    }

    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let value_width = rows.iter().map(|r| r.value.len()).max().unwrap_or(0);
    println!("\n{:width$}  {:value_width$}  target", "measurement", "value");
    for row in &rows {
        println!("{:width$}  {:value_width$}  {}", row.name, row.value, row.target);
    }
    Ok(())
}
