//! The CUDA backend against the CPU reference on a real GPU: every primitive on fresh
//! random inputs (both outputs poisoned with NaN first, relative error ≤ 1e-5, a NaN never
//! passes), the f16/bf16 batch types bit for bit against `half`, the device RNG against its
//! CPU twin, the device KernelSHAP solve, and every method with a device-resident model
//! (a small MLP in CUDA) against the same model on the host. Each check prints a line
//! `GPU-CHECK|<name>|<max relative error>|<bit-identical>` that scripts/gpu-check.sh
//! gathers into its table.
//!
//! Without a GPU every test prints why and passes, unless `LUMEN_REQUIRE_GPU=1`, which
//! turns a missing GPU into a failure (scripts/gpu-check.sh sets it).
#![cfg(feature = "cuda")]

#[path = "gpu_support/mod.rs"]
mod gpu_support;

use std::sync::OnceLock;

use gpu_support::{relative_error, relative_error_f32, run_seed, uniform, DeviceMlp, HostMlp, MlpWeights};
use lumen::backend::cuda::CudaBackend;
use lumen::backend::{
    AblationJob, AblationScratch, Backend, Baselines, CoalitionJob, CpuBackend, GradientShapDrawJob, GroupMap,
    InputDtype, Masks, PathJob, PathPoint, WindowGrid,
};
use lumen::explain::gradient::{
    gradient_shap, integrated_gradients, saliency, GradientShapParams, IntegratedGradientsParams, SaliencyParams,
};
use lumen::explain::shapley::{kernel_shap, Background, KernelShapParams, ShapleyGame};
use lumen::{
    feature_ablation, occlusion, BackendChoice, Engine, EngineConfig, Explanation, FeatureAblationParams, Model,
    OcclusionParams,
};

const TOLERANCE: f64 = 1e-5;

/// The CUDA backend, or `None` (with the reason) where none can run.
fn gpu() -> Option<&'static CudaBackend> {
    static BACKEND: OnceLock<Result<CudaBackend, String>> = OnceLock::new();
    match BACKEND.get_or_init(|| CudaBackend::new(0).map_err(|e| e.to_string())) {
        Ok(backend) => Some(backend),
        Err(reason) => {
            let required = std::env::var("LUMEN_REQUIRE_GPU").is_ok_and(|v| v == "1");
            assert!(!required, "LUMEN_REQUIRE_GPU=1 but the CUDA backend cannot run: {reason}");
            eprintln!("skipped: {reason}");
            None
        }
    }
}

fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(run_seed)
}

/// Asserts and reports one comparison.
fn report(name: &str, error: Result<f64, String>, identical: bool) {
    match error {
        Ok(e) => {
            eprintln!("GPU-CHECK|{name}|{e:.3e}|{}", if identical { "yes" } else { "no" });
            assert!(e <= TOLERANCE, "{name}: relative error {e:e} above {TOLERANCE:e}");
        }
        Err(message) => {
            eprintln!("GPU-CHECK|{name}|FAIL|no");
            panic!("{name}: {message}");
        }
    }
}

fn compare_f32(name: &str, gpu: &[f32], cpu: &[f32]) {
    let identical = gpu.iter().zip(cpu).all(|(a, b)| a.to_bits() == b.to_bits());
    report(name, relative_error_f32(gpu, cpu), identical);
}

fn compare_f64(name: &str, gpu: &[f64], cpu: &[f64]) {
    let identical = gpu.iter().zip(cpu).all(|(a, b)| a.to_bits() == b.to_bits());
    report(name, relative_error(gpu, cpu), identical);
}

/// Runs `f` on both backends into NaN-poisoned copies of a `len`-long buffer.
fn both_f32(gpu: &CudaBackend, len: usize, f: impl Fn(&dyn Backend, &mut [f32])) -> (Vec<f32>, Vec<f32>) {
    let (mut on_gpu, mut on_cpu) = (vec![f32::NAN; len], vec![f32::NAN; len]);
    f(gpu, &mut on_gpu);
    f(&CpuBackend, &mut on_cpu);
    (on_gpu, on_cpu)
}

fn both_f64(gpu: &CudaBackend, start: &[f64], f: impl Fn(&dyn Backend, &mut [f64])) -> (Vec<f64>, Vec<f64>) {
    let (mut on_gpu, mut on_cpu) = (start.to_vec(), start.to_vec());
    f(gpu, &mut on_gpu);
    f(&CpuBackend, &mut on_cpu);
    (on_gpu, on_cpu)
}

#[test]
fn ablation_batches_and_gathers() {
    let Some(gpu) = gpu() else { return };
    let s = seed();
    let shape = [3, 17, 23];
    let n: usize = shape.iter().product();
    let rows = 2;
    let inputs = uniform(rows * n, s, -2.0, 2.0);
    let grid = WindowGrid::new(&shape, &[2, 5, 4], &[1, 3, 3]).unwrap();
    let mask: Vec<u32> = (0..n).map(|e| ((e * 7 + e / 13) % 11) as u32).collect();
    let groups = GroupMap::new(&mask, "mask").unwrap();
    let baselines = [
        ("scalar", Baselines::Scalar(0.25)),
        ("shared", Baselines::Shared(uniform(n, s + 1, -1.0, 1.0))),
        ("per_row", Baselines::PerRow(uniform(rows * n, s + 2, -1.0, 1.0))),
    ];
    for (mask_name, masks) in [("windows", Masks::Windows(grid)), ("groups", Masks::Groups(groups))] {
        for (baseline_name, baseline) in &baselines {
            let job = AblationJob { inputs: &inputs, row_len: n, baselines: baseline, masks: &masks };
            // An odd range that starts mid-row and crosses into the second input row.
            let items = masks.len() - 3..masks.len() + 5;
            let (on_gpu, on_cpu) = both_f32(gpu, items.len() * n, |backend, out| {
                let mut scratch = AblationScratch::new(items.len(), n).expect("batch scratch");
                scratch.rows.fill(f32::NAN);
                backend.build_ablation_batch(&job, items.clone(), scratch.slots()).unwrap();
                out.copy_from_slice(&scratch.rows);
            });
            compare_f32(&format!("ablation build ({mask_name}, {baseline_name})"), &on_gpu, &on_cpu);
            let listed: Vec<u32> = items.clone().map(|i| i as u32).filter(|i| i % 3 != 1).collect();
            let (on_gpu, on_cpu) = both_f32(gpu, listed.len() * n, |backend, out| {
                let mut scratch = AblationScratch::new(listed.len(), n).expect("batch scratch");
                scratch.rows.fill(f32::NAN);
                backend.build_listed_ablation_rows(&job, &listed, scratch.slots()).unwrap();
                out.copy_from_slice(&scratch.rows);
            });
            compare_f32(&format!("listed ablation rows ({mask_name}, {baseline_name})"), &on_gpu, &on_cpu);
        }
        let blocks = 3;
        let deltas: Vec<f64> = uniform(blocks * masks.len(), s + 3, -5.0, 5.0).iter().map(|&v| f64::from(v)).collect();
        let (on_gpu, on_cpu) = both_f32(gpu, blocks * n, |backend, out| {
            let wide = backend.gather_ablation(&masks, &deltas).unwrap();
            assert_eq!(wide.len(), out.len());
            out.iter_mut().zip(&wide).for_each(|(o, &w)| *o = w as f32);
        });
        compare_f32(&format!("ablation gather ({mask_name})"), &on_gpu, &on_cpu);
    }
    // Over 8192 items: the row grid (src/backend/cuda/gpu.rs, rows_grid) then gives each
    // thread several elements of a row, each with its own window test.
    let fine = Masks::Windows(WindowGrid::new(&shape, &[1, 2, 2], &[1, 1, 1]).unwrap());
    let many_rows = 8;
    let many_inputs = uniform(many_rows * n, s + 4, -2.0, 2.0);
    let baseline = Baselines::Scalar(0.5);
    let job = AblationJob { inputs: &many_inputs, row_len: n, baselines: &baseline, masks: &fine };
    let items = 0..many_rows * fine.len();
    assert!(items.len() > 8192);
    let (on_gpu, on_cpu) = both_f32(gpu, items.len() * n, |backend, out| {
        let mut scratch = AblationScratch::new(items.len(), n).expect("batch scratch");
        scratch.rows.fill(f32::NAN);
        backend.build_ablation_batch(&job, items.clone(), scratch.slots()).unwrap();
        out.copy_from_slice(&scratch.rows);
    });
    compare_f32("ablation build (windows, several elements per thread)", &on_gpu, &on_cpu);
}

#[test]
fn coalition_batches_and_background_means() {
    let Some(gpu) = gpu() else { return };
    let s = seed();
    let (n, background_rows, players) = (150, 9, 70);
    let x = uniform(n, s, -1.0, 1.0);
    let background = uniform(background_rows * n, s + 1, -1.0, 1.0);
    let mask: Vec<u32> = (0..n).map(|e| (e % players) as u32).collect();
    let players_map = GroupMap::new(&mask, "players").unwrap();
    let words = players.div_ceil(64);
    let coalitions: Vec<u64> = uniform(13 * words, s + 2, 0.0, 1.0)
        .iter()
        .enumerate()
        .map(|(i, &v)| (v.to_bits() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (i % 3))
        .enumerate()
        .map(|(i, w)| if i % words == words - 1 && players % 64 != 0 { w & ((1 << (players % 64)) - 1) } else { w })
        .collect();
    let job = CoalitionJob { x: &x, background: &background, players: &players_map, coalitions: &coalitions, words };
    let items = 5..job.items() - 4;
    let (on_gpu, on_cpu) = both_f32(gpu, items.len() * n, |backend, out| {
        backend.build_coalition_batch(&job, items.clone(), out).unwrap();
    });
    compare_f32("coalition build", &on_gpu, &on_cpu);
    let listed: Vec<u32> = items.clone().map(|i| i as u32).filter(|i| i % 4 != 2).collect();
    let (on_gpu, on_cpu) = both_f32(gpu, listed.len() * n, |backend, out| {
        backend.build_listed_coalition_rows(&job, &listed, out).unwrap();
    });
    compare_f32("listed coalition rows", &on_gpu, &on_cpu);

    let (coalition_count, output_len) = (13, 4);
    let outputs = uniform(coalition_count * background_rows * output_len, s + 3, -3.0, 3.0);
    let raw = uniform(background_rows, s + 4, 0.1, 1.0);
    let total: f64 = raw.iter().map(|&w| f64::from(w)).sum();
    let weights: Vec<f64> = raw.iter().map(|&w| f64::from(w) / total).collect();
    let targets = [3u32, 0];
    let start = vec![f64::NAN; coalition_count * targets.len()];
    let (on_gpu, on_cpu) = both_f64(gpu, &start, |backend, values| {
        backend.reduce_background(&outputs, output_len, &weights, &targets, values).unwrap();
    });
    compare_f64("background mean", &on_gpu, &on_cpu);
}

#[test]
fn path_batches_accumulation_and_scaling() {
    let Some(gpu) = gpu() else { return };
    let s = seed();
    let (n, rows) = (333, 3);
    let inputs = uniform(rows * n, s, -1.0, 1.0);
    let baselines = uniform(rows * n, s + 1, -1.0, 1.0);
    let alphas = uniform(40, s + 2, 0.0, 1.0);
    let points: Vec<PathPoint> = alphas
        .iter()
        .enumerate()
        .map(|(i, &alpha)| PathPoint {
            input: i % rows,
            baseline: (i / 2) % rows,
            alpha,
            weight: f64::from(alpha) * 0.1 + 0.01,
            target: (i * 5) % (2 * rows),
        })
        .collect();
    for times_difference in [false, true] {
        let job = PathJob { inputs: &inputs, baselines: &baselines, row_len: n, points: &points, times_difference };
        let range = 3..31;
        let (on_gpu, on_cpu) = both_f32(gpu, range.len() * n, |backend, out| {
            backend.build_path_batch(&job, range.clone(), out).unwrap();
        });
        compare_f32("path build", &on_gpu, &on_cpu);
        let gradients = uniform(range.len() * n, s + 3, -2.0, 2.0);
        let start: Vec<f64> = uniform(2 * rows * n, s + 4, -1.0, 1.0).iter().map(|&v| f64::from(v)).collect();
        let (on_gpu, on_cpu) = both_f64(gpu, &start, |backend, acc| {
            backend.accumulate_path_gradients(&job, range.clone(), &gradients, acc).unwrap();
        });
        compare_f64(&format!("path accumulate (times difference: {times_difference})"), &on_gpu, &on_cpu);
    }
    let start: Vec<f64> = uniform(2 * rows * n, s + 5, -1.0, 1.0).iter().map(|&v| f64::from(v)).collect();
    let (on_gpu, on_cpu) = both_f64(gpu, &start, |backend, acc| {
        backend.scale_by_difference(&inputs, &baselines, n, 2, acc).unwrap();
    });
    compare_f64("path scale by difference", &on_gpu, &on_cpu);
}

#[test]
fn gradient_shap_draws_match_the_cpu_twin() {
    let Some(gpu) = gpu() else { return };
    let s = seed();
    let x = uniform(101, s, -1.0, 1.0);
    for stdev in [0.0f32, 0.3] {
        let job = GradientShapDrawJob { seed: s, row: 5, baseline_count: 7, x: &x, stdev };
        let samples = 3..20;
        let run = |backend: &dyn Backend| {
            let mut index = vec![u32::MAX; samples.len()];
            let mut alpha = vec![f32::NAN; samples.len()];
            let mut noisy = vec![f32::NAN; samples.len() * x.len()];
            backend.draw_gradient_shap(&job, samples.clone(), &mut index, &mut alpha, &mut noisy).unwrap();
            (index, alpha, noisy)
        };
        let (gpu_draws, cpu_draws) = (run(gpu), run(&CpuBackend));
        assert_eq!(gpu_draws.0, cpu_draws.0, "baseline indices differ");
        compare_f32(&format!("gradientshap alpha (stdev {stdev})"), &gpu_draws.1, &cpu_draws.1);
        assert!(gpu_draws.1.iter().zip(&cpu_draws.1).all(|(a, b)| a.to_bits() == b.to_bits()), "alpha bits");
        compare_f32(&format!("gradientshap noisy inputs (stdev {stdev})"), &gpu_draws.2, &cpu_draws.2);
    }
}

#[test]
fn grad_cam_maps_and_upsampling() {
    let Some(gpu) = gpu() else { return };
    let s = seed();
    let (rows, layer) = (3, [8, 7, 9]);
    let len = rows * layer.iter().product::<usize>();
    let activations = uniform(len, s, 0.0, 2.0);
    let gradients = uniform(len, s + 1, -1.0, 1.0);
    for relu in [false, true] {
        let (on_gpu, on_cpu) = both_f32(gpu, rows * 7 * 9, |backend, maps| {
            backend.grad_cam_map(layer, &activations, &gradients, relu, maps).unwrap();
        });
        compare_f32(&format!("grad-cam map (relu: {relu})"), &on_gpu, &on_cpu);
    }
    let maps = uniform(rows * 7 * 9, s + 2, -1.0, 1.0);
    for to in [[7, 9], [32, 29], [3, 4]] {
        let (on_gpu, on_cpu) = both_f32(gpu, rows * to[0] * to[1], |backend, out| {
            backend.upsample_bilinear(&maps, [7, 9], to, out).unwrap();
        });
        compare_f32(&format!("bilinear upsample to {to:?}"), &on_gpu, &on_cpu);
    }
}

#[test]
fn half_precision_batches_round_like_the_half_crate() {
    let Some(gpu) = gpu() else { return };
    let s = seed();
    let shape = [2, 9, 11];
    let n: usize = shape.iter().product();
    let inputs = uniform(n, s, -70000.0, 70000.0);
    let masks = Masks::Windows(WindowGrid::new(&shape, &[1, 3, 3], &[1, 2, 2]).unwrap());
    let baseline = Baselines::Scalar(1.0e-3);
    let job = AblationJob { inputs: &inputs, row_len: n, baselines: &baseline, masks: &masks };
    let items = 0..masks.len();
    let mut reference = AblationScratch::new(items.len(), n).expect("batch scratch");
    CpuBackend.build_ablation_batch(&job, items.clone(), reference.slots()).unwrap();
    let operands = gpu.upload_ablation(&job).unwrap();
    for dtype in [InputDtype::F16, InputDtype::Bf16] {
        let mut batch = gpu.batch_buffer(items.len(), n, dtype).unwrap();
        gpu.build_ablation_device(&operands, items.clone(), &mut batch).unwrap();
        let mut bytes = vec![0u8; items.len() * n * 2];
        gpu.download_batch(&batch, &mut bytes).unwrap();
        let got: Vec<u16> = bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
        let expected: Vec<u16> = reference
            .rows
            .iter()
            .map(|&v| match dtype {
                InputDtype::F16 => half::f16::from_f32(v).to_bits(),
                _ => half::bf16::from_f32(v).to_bits(),
            })
            .collect();
        let mismatches = got.iter().zip(&expected).filter(|(a, b)| a != b).count();
        eprintln!(
            "GPU-CHECK|ablation build {dtype:?} vs half|{mismatches} of {} differ|{}",
            got.len(),
            mismatches == 0
        );
        assert_eq!(mismatches, 0, "{dtype:?}: {mismatches} elements round differently from the half crate");
    }
}

#[test]
fn philox_words_match_the_cpu_twin() {
    let Some(gpu) = gpu() else { return };
    let s = seed();
    let words = gpu.philox_words(s, 77, 1 << 33, 1000).unwrap();
    let expected: Vec<u32> =
        (0..1000u64).flat_map(|i| lumen::backend::philox::random_words(s, 77, (1 << 33) + i)).collect();
    let identical = words == expected;
    eprintln!("GPU-CHECK|philox4x32-10 words|0|{}", if identical { "yes" } else { "no" });
    assert!(identical, "device Philox differs from the CPU twin");
}

#[test]
fn kernel_shap_solve_on_the_device() {
    let Some(gpu) = gpu() else { return };
    let s = seed();
    let players = 12;
    let mut coalitions = lumen::explain::shapley::schedule::Coalitions::new(players);
    let draws = uniform(300 * players, s, 0.0, 1.0);
    for k in 0..300 {
        coalitions.push((0..players).filter(|&j| draws[k * players + j] < 0.5)).unwrap();
    }
    let weights: Vec<f64> = uniform(300, s + 1, 0.1, 1.0).iter().map(|&v| f64::from(v)).collect();
    let truth: Vec<f64> = uniform(players, s + 2, -1.0, 1.0).iter().map(|&v| f64::from(v)).collect();
    let values: Vec<f64> = (0..300)
        .map(|k| 0.5 + (0..players).filter(|&j| draws[k * players + j] < 0.5).map(|j| truth[j]).sum::<f64>())
        .collect();
    let total = 0.5 + truth.iter().sum::<f64>();
    let cpu = lumen::explain::shapley::solve::constrained_wls(&coalitions, &weights, &values, 0.5, total).unwrap();
    let problem = lumen::backend::cuda::solve::WlsProblem::new(&coalitions, &weights, &values, 0.5, total);
    let on_gpu = gpu.constrained_wls(&problem).unwrap();
    compare_f64("kernelshap solve (normal equations vs QR)", &on_gpu, &cpu);
}

// ---- every method end to end with a device-resident model ----

fn engines() -> Option<(Engine, Engine)> {
    gpu()?;
    let config = |backend| EngineConfig { backend, threads: 2, seed: seed(), ..Default::default() };
    Some((Engine::new(config(BackendChoice::Cuda)).unwrap(), Engine::new(config(BackendChoice::Cpu)).unwrap()))
}

fn models(shape: &[usize], outputs: usize) -> (DeviceMlp, HostMlp) {
    let n = shape.iter().product();
    let weights = MlpWeights::random(n, 16, outputs, seed() + 11);
    (DeviceMlp::new(gpu().unwrap(), shape, weights.clone()).unwrap(), HostMlp::new(shape, weights))
}

fn compare_explanations(name: &str, on_gpu: &Explanation, on_cpu: &Explanation) {
    assert_eq!(on_gpu.audit.backend, lumen::backend::BackendKind::Cuda);
    compare_f32(&format!("{name}: predictions"), &on_gpu.predictions.to_f32(), &on_cpu.predictions.to_f32());
    compare_f32(&format!("{name}: attributions"), &on_gpu.attributions.to_f32(), &on_cpu.attributions.to_f32());
    assert_eq!(on_gpu.audit.model_rows_evaluated, on_cpu.audit.model_rows_evaluated, "{name}: model rows");
}

fn run_both(name: &str, shape: &[usize], explain: impl Fn(&Engine, &dyn Model) -> Explanation) {
    let Some((cuda, cpu)) = engines() else { return };
    let (device_model, host_model) = models(shape, 3);
    let on_gpu = explain(&cuda, &device_model);
    compare_explanations(&format!("{name} (device model)"), &on_gpu, &explain(&cpu, &host_model));
    // Same seed, same bits, run to run.
    let again = explain(&cuda, &device_model);
    assert!(on_gpu.attributions.iter().zip(again.attributions.iter()).all(|(a, b)| a.to_bits() == b.to_bits()));
    // A host model on the CUDA backend (primitives copied in chunks) matches too.
    compare_explanations(&format!("{name} (host model on cuda)"), &explain(&cuda, &host_model), &on_gpu);
}

#[test]
fn occlusion_end_to_end() {
    let inputs = uniform(2 * 3 * 16 * 16, seed() + 20, -1.0, 1.0);
    run_both("occlusion", &[3, 16, 16], |engine, model| {
        let mut params = OcclusionParams::new(vec![3, 4, 4]);
        params.strides = Some(vec![3, 2, 2]);
        params.baseline = Baselines::Scalar(0.1);
        occlusion(engine, model, &inputs, 2, &params).unwrap()
    });
}

#[test]
fn feature_ablation_end_to_end() {
    let inputs = uniform(2 * 64, seed() + 21, -1.0, 1.0);
    let mask: Vec<u32> = (0..64).map(|e| (e / 5) as u32).collect();
    run_both("feature ablation", &[64], |engine, model| {
        let params = FeatureAblationParams {
            feature_mask: Some(mask.clone()),
            group_names: None,
            baseline: Baselines::Shared(vec![0.2; 64]),
            targets: None,
            perturbations_per_eval: Some(5),
            group_attributions: false,
        };
        feature_ablation(engine, model, &inputs, 2, &params).unwrap()
    });
}

#[test]
fn kernel_shap_end_to_end() {
    let inputs = uniform(2 * 24, seed() + 22, -1.0, 1.0);
    let background = uniform(10 * 24, seed() + 23, -1.0, 1.0);
    run_both("kernelshap", &[24], |engine, model| {
        let mut game = ShapleyGame::new(Background::new(background.clone(), 24, None).unwrap());
        game.players = Some((0..24).map(|e| (e / 3) as u32).collect());
        kernel_shap(engine, model, &inputs, 2, &KernelShapParams::new(game)).unwrap()
    });
}

#[test]
fn integrated_gradients_end_to_end() {
    let inputs = uniform(2 * 3 * 8 * 8, seed() + 24, -1.0, 1.0);
    run_both("integrated gradients", &[3, 8, 8], |engine, model| {
        let params = IntegratedGradientsParams { n_steps: 20, internal_batch_size: Some(7), ..Default::default() };
        integrated_gradients(engine, model, &inputs, 2, &params).unwrap()
    });
}

#[test]
fn gradient_shap_end_to_end() {
    let inputs = uniform(2 * 50, seed() + 25, -1.0, 1.0);
    let baselines = uniform(4 * 50, seed() + 26, -1.0, 1.0);
    run_both("gradientshap", &[50], |engine, model| {
        let mut params = GradientShapParams::new(baselines.clone());
        params.n_samples = 9;
        params.stdevs = 0.1;
        gradient_shap(engine, model, &inputs, 2, &params).unwrap()
    });
}

#[test]
fn saliency_end_to_end() {
    let inputs = uniform(3 * 40, seed() + 27, -1.0, 1.0);
    run_both("saliency", &[40], |engine, model| {
        saliency(engine, model, &inputs, 3, &SaliencyParams::default()).unwrap()
    });
}

#[test]
fn the_host_mlp_gradient_is_its_derivative() {
    // Runs without a GPU: the host twin every end-to-end check compares against is a
    // smooth model whose gradient callback agrees with central differences.
    let weights = MlpWeights::random(12, 16, 3, 5);
    let model = HostMlp::new(&[12], weights);
    let x = uniform(12, 9, -1.0, 1.0);
    let mut gradient = vec![0.0f32; 12];
    model.gradient(&x, 1, &[2], &mut gradient, None).unwrap();
    let f = |x: &[f32]| {
        let mut out = [0.0f32; 3];
        model.predict(x, 1, &mut out).unwrap();
        f64::from(out[2])
    };
    for e in 0..12 {
        let (mut up, mut down) = (x.clone(), x.clone());
        up[e] += 1e-2;
        down[e] -= 1e-2;
        let numeric = (f(&up) - f(&down)) / 2e-2;
        assert!((numeric - f64::from(gradient[e])).abs() < 2e-3, "element {e}: {numeric} vs {}", gradient[e]);
    }
}
