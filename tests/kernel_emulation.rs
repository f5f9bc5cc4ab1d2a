//! The CUDA kernels' own source, compiled as host C++ (`tests/kernel_emulation/shim.h`:
//! one block of one thread runs each grid-stride loop in order) and checked bit for bit
//! against the CPU reference on fresh random data. This runs without a GPU, so every
//! kernel's indexing, odometers, bit masks, segment walks, Philox rounds and summation
//! order are exercised here; the device's conversion instructions, launch shapes and the
//! cudarc launch code are left to scripts/gpu-check.sh on a GPU.
//!
//! Needs `g++` (as the C ABI tests do); without it the tests say so and pass, unless
//! `LUMEN_REQUIRE_EMULATION=1`.

use std::path::PathBuf;
use std::sync::OnceLock;

use libloading::{Library, Symbol};
use lumen::backend::{
    bilinear_taps, AblationJob, AblationScratch, Backend, Baselines, CoalitionJob, CpuBackend, GradientShapDrawJob,
    GroupMap, Masks, PathJob, PathPoint, WindowGrid,
};

mod common;

const FAMILIES: [&str; 6] = ["ablation.cu", "path.cu", "coalition.cu", "grad_cam.cu", "solve.cu", "buffers.cu"];

/// The kernels as a host shared library, built once per test run.
fn kernels() -> Option<&'static Library> {
    static LIBRARY: OnceLock<Result<Library, String>> = OnceLock::new();
    let built = LIBRARY.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut source = std::fs::read_to_string(root.join("tests/kernel_emulation/shim.h")).unwrap();
        source += &std::fs::read_to_string(root.join("kernels/common.cuh")).unwrap();
        for family in FAMILIES {
            source += &std::fs::read_to_string(root.join("kernels").join(family)).unwrap();
        }
        let dir = std::env::temp_dir().join(format!("lumen-kernel-emulation-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (file, library) = (dir.join("kernels.cpp"), dir.join("libkernels.so"));
        std::fs::write(&file, source).unwrap();
        let output = std::process::Command::new("g++")
            .args([
                "-std=c++17",
                "-O1",
                "-fPIC",
                "-shared",
                "-ffp-contract=off",
                "-Wall",
                "-Wno-unused-function",
                "-Wno-unknown-pragmas",
            ])
            .arg(&file)
            .arg("-o")
            .arg(&library)
            .output()
            .map_err(|e| format!("g++ cannot run: {e}"))?;
        if !output.status.success() {
            panic!("the kernels do not compile as host C++:\n{}", String::from_utf8_lossy(&output.stderr));
        }
        // SAFETY: the library is our own kernels; loading runs no initialisers of note.
        unsafe { Library::new(&library) }.map_err(|e| e.to_string())
    });
    match built {
        Ok(library) => Some(library),
        Err(reason) => {
            let required = std::env::var("LUMEN_REQUIRE_EMULATION").is_ok_and(|v| v == "1");
            assert!(!required, "LUMEN_REQUIRE_EMULATION=1 but {reason}");
            eprintln!("skipped: {reason}");
            None
        }
    }
}

/// Kernel `name` of the host build with signature `F`.
fn kernel<F>(library: &'static Library, name: &str) -> Symbol<'static, F> {
    // SAFETY: every call site names the kernel's exact parameter list from kernels/*.cu.
    unsafe { library.get(name.as_bytes()) }.unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn random(len: usize, seed: u64) -> Vec<f32> {
    common::values(len, seed)
}

fn run_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let seed = std::env::var("LUMEN_GPU_CHECK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
        });
        eprintln!("random data seed: {seed} (replay with LUMEN_GPU_CHECK_SEED={seed})");
        seed
    })
}

fn assert_bits_f32(name: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{name}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.to_bits() == w.to_bits(), "{name}: element {i} is {g}, the CPU reference {w}");
    }
}

fn assert_bits_f64(name: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.to_bits() == w.to_bits(), "{name}: element {i} is {g}, the CPU reference {w}");
    }
}

/// `WindowGeometry` of kernels/ablation.cu.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct WindowGeometry {
    rank: u32,
    shape: [u32; 8],
    window: [u32; 8],
    strides: [u32; 8],
    positions: [u32; 8],
}

impl WindowGeometry {
    fn new(grid: &WindowGrid) -> Self {
        let mut g = Self { rank: grid.shape().len() as u32, ..Self::default() };
        for d in 0..grid.shape().len() {
            g.shape[d] = grid.shape()[d] as u32;
            g.window[d] = grid.window()[d] as u32;
            g.strides[d] = grid.strides()[d] as u32;
            g.positions[d] = grid.positions()[d] as u32;
        }
        g
    }
}

/// `PathPointDevice` of kernels/path.cu.
#[repr(C)]
#[derive(Clone, Copy)]
struct PathPointDevice {
    input: u32,
    baseline: u32,
    alpha: f32,
    target: u32,
    weight: f64,
}

/// `BilinearTapDevice` of kernels/grad_cam.cu.
#[repr(C)]
#[derive(Clone, Copy)]
struct BilinearTapDevice {
    lo: u32,
    hi: u32,
    lo_weight: f64,
    hi_weight: f64,
}

type BuildWindows<T> = unsafe extern "C" fn(*const f32, *const f32, f32, u32, WindowGeometry, u64, u64, u64, *mut T);
type BuildGroups<T> = unsafe extern "C" fn(*const f32, *const f32, f32, u32, *const u32, u64, u64, u64, u64, *mut T);

fn baseline_operands(baselines: &Baselines) -> (u32, f32, Vec<f32>) {
    match baselines {
        Baselines::Scalar(v) => (0, *v, vec![0.0]),
        Baselines::Shared(v) => (1, 0.0, v.clone()),
        Baselines::PerRow(v) => (2, 0.0, v.clone()),
    }
}

#[test]
fn ablation_builds_deltas_and_gathers() {
    let Some(lib) = kernels() else { return };
    let s = run_seed();
    let shape = [2, 13, 17];
    let n: usize = shape.iter().product();
    let rows = 3;
    let inputs = random(rows * n, s);
    let grid = WindowGrid::new(&shape, &[2, 4, 5], &[1, 3, 2]).unwrap();
    let mask: Vec<u32> = (0..n).map(|e| ((e * 7 + e / 11) % 9) as u32).collect();
    let groups = GroupMap::new(&mask, "mask").unwrap();
    let geometry = WindowGeometry::new(&grid);
    let baselines =
        [Baselines::Scalar(0.5), Baselines::Shared(random(n, s + 1)), Baselines::PerRow(random(rows * n, s + 2))];
    for masks in [Masks::Windows(grid.clone()), Masks::Groups(groups.clone())] {
        for baseline in &baselines {
            let job = AblationJob { inputs: &inputs, row_len: n, baselines: baseline, masks: &masks };
            let items = 2..job.items() - 1;
            let mut reference = AblationScratch::new(items.len(), n).expect("batch scratch");
            CpuBackend.build_ablation_batch(&job, items.clone(), reference.slots()).unwrap();
            let (mode, scalar, values) = baseline_operands(baseline);
            let mut out = vec![f32::NAN; items.len() * n];
            let (first, count) = (items.start as u64, items.len() as u64);
            match &masks {
                Masks::Windows(_) => {
                    let f: Symbol<BuildWindows<f32>> = kernel(lib, "occlusion_build_f32");
                    // SAFETY: buffers sized as the kernel indexes them.
                    unsafe {
                        f(
                            inputs.as_ptr(),
                            values.as_ptr(),
                            scalar,
                            mode,
                            geometry,
                            n as u64,
                            first,
                            count,
                            out.as_mut_ptr(),
                        )
                    };
                    assert_bits_f32("occlusion_build_f32", &out, &reference.rows);
                    for (name, to_bits) in [
                        ("occlusion_build_f16", (|v: f32| half::f16::from_f32(v).to_bits()) as fn(f32) -> u16),
                        ("occlusion_build_bf16", |v: f32| half::bf16::from_f32(v).to_bits()),
                    ] {
                        let mut halves = vec![0u16; items.len() * n];
                        let f: Symbol<BuildWindows<u16>> = kernel(lib, name);
                        // SAFETY: as above.
                        unsafe {
                            f(
                                inputs.as_ptr(),
                                values.as_ptr(),
                                scalar,
                                mode,
                                geometry,
                                n as u64,
                                first,
                                count,
                                halves.as_mut_ptr(),
                            )
                        };
                        let want: Vec<u16> = reference.rows.iter().map(|&v| to_bits(v)).collect();
                        assert_eq!(halves, want, "{name}");
                    }
                }
                Masks::Groups(g) => {
                    let f: Symbol<BuildGroups<f32>> = kernel(lib, "group_ablation_build_f32");
                    let groups_count = g.len() as u64;
                    // SAFETY: as above.
                    unsafe {
                        f(
                            inputs.as_ptr(),
                            values.as_ptr(),
                            scalar,
                            mode,
                            g.mask().as_ptr(),
                            groups_count,
                            n as u64,
                            first,
                            count,
                            out.as_mut_ptr(),
                        )
                    };
                    assert_bits_f32("group_ablation_build_f32", &out, &reference.rows);
                }
            }
        }
        // Deltas then the gather, against the CPU's.
        let per_row = masks.len();
        let (targets, output_len) = ([2u32, 0], 3usize);
        let reference_out = random(rows * output_len, s + 3);
        let perturbed = random(rows * per_row * output_len, s + 4);
        let mut deltas = vec![f64::NAN; rows * targets.len() * per_row];
        let f: Symbol<unsafe extern "C" fn(*const f32, *const f32, *const u32, u64, u64, u64, u64, *mut f64)> =
            kernel(lib, "ablation_deltas");
        // SAFETY: as above.
        unsafe {
            f(
                reference_out.as_ptr(),
                perturbed.as_ptr(),
                targets.as_ptr(),
                2,
                output_len as u64,
                per_row as u64,
                rows as u64,
                deltas.as_mut_ptr(),
            )
        };
        let mut want = Vec::new();
        for r in 0..rows {
            for &t in &targets {
                let fx = f64::from(reference_out[r * output_len + t as usize]);
                want.extend(
                    (0..per_row).map(|p| fx - f64::from(perturbed[(r * per_row + p) * output_len + t as usize])),
                );
            }
        }
        assert_bits_f64("ablation_deltas", &deltas, &want);
        let blocks = rows * targets.len();
        let wide = Backend::<f32>::gather_ablation(&CpuBackend, &masks, &deltas).unwrap();
        assert_eq!(wide.len(), blocks * n);
        let reference: Vec<f32> = wide.iter().map(|&v| v as f32).collect();
        let mut out = vec![f32::NAN; blocks * n];
        match &masks {
            Masks::Windows(_) => {
                let f: Symbol<unsafe extern "C" fn(*const f64, WindowGeometry, u64, u64, *mut f32)> =
                    kernel(lib, "occlusion_gather");
                // SAFETY: as above.
                unsafe { f(deltas.as_ptr(), geometry, n as u64, blocks as u64, out.as_mut_ptr()) };
                assert_bits_f32("occlusion_gather", &out, &reference);
            }
            Masks::Groups(g) => {
                let f: Symbol<unsafe extern "C" fn(*const f64, *const u32, u64, u64, u64, *mut f32)> =
                    kernel(lib, "group_gather");
                // SAFETY: as above.
                unsafe {
                    f(deltas.as_ptr(), g.mask().as_ptr(), g.len() as u64, n as u64, blocks as u64, out.as_mut_ptr())
                };
                assert_bits_f32("group_gather", &out, &reference);
            }
        }
    }
}

#[test]
fn occlusion_gather_covers_strides_wider_than_windows() {
    // Strides above the window leave uncovered elements (0) and drop Captum's empty last
    // window; the gather's per-dimension window ranges must agree.
    let Some(lib) = kernels() else { return };
    let shape = [7, 10];
    let grid = WindowGrid::new(&shape, &[2, 3], &[3, 4]).unwrap();
    let deltas: Vec<f64> = (0..grid.len()).map(|p| p as f64 + 0.25).collect();
    let masks = Masks::Windows(grid.clone());
    let wide = Backend::<f32>::gather_ablation(&CpuBackend, &masks, &deltas).unwrap();
    assert_eq!(wide.len(), 70);
    let reference: Vec<f32> = wide.iter().map(|&v| v as f32).collect();
    let mut out = vec![f32::NAN; 70];
    let f: Symbol<unsafe extern "C" fn(*const f64, WindowGeometry, u64, u64, *mut f32)> =
        kernel(lib, "occlusion_gather");
    // SAFETY: buffers sized as the kernel indexes them.
    unsafe { f(deltas.as_ptr(), WindowGeometry::new(&grid), 70, 1, out.as_mut_ptr()) };
    assert_bits_f32("occlusion_gather (sparse windows)", &out, &reference);
    assert!(out.contains(&0.0));
}

/// Groups points by accumulator row as the CUDA backend does (stable order within a row).
fn segments(points: &[PathPoint]) -> (Vec<u32>, Vec<u32>, Vec<u32>, usize) {
    let first = points.iter().map(|p| p.target).min().unwrap();
    let mut order: Vec<u32> = (0..points.len() as u32).collect();
    order.sort_by_key(|&q| points[q as usize].target);
    let (mut starts, mut targets) = (Vec::new(), Vec::new());
    for (j, &q) in order.iter().enumerate() {
        let t = (points[q as usize].target - first) as u32;
        if targets.last() != Some(&t) {
            starts.push(j as u32);
            targets.push(t);
        }
    }
    starts.push(order.len() as u32);
    (order, starts, targets, first)
}

#[test]
fn path_builds_accumulation_scaling_and_draws() {
    let Some(lib) = kernels() else { return };
    let s = run_seed();
    let (n, rows) = (77, 3);
    let inputs = random(rows * n, s);
    let baselines = random(rows * n, s + 1);
    let alphas = random(30, s + 2);
    let points: Vec<PathPoint> = alphas
        .iter()
        .enumerate()
        .map(|(i, &a)| PathPoint {
            input: i % rows,
            baseline: (i / 2) % rows,
            alpha: a.abs(),
            weight: f64::from(a) * 0.3 + 0.01,
            target: 1 + (i * 5) % 4,
        })
        .collect();
    let device: Vec<PathPointDevice> = points
        .iter()
        .map(|p| PathPointDevice {
            input: p.input as u32,
            baseline: p.baseline as u32,
            alpha: p.alpha,
            target: p.target as u32,
            weight: p.weight,
        })
        .collect();
    let range = 4..27;
    for times_difference in [false, true] {
        let job = PathJob { inputs: &inputs, baselines: &baselines, row_len: n, points: &points, times_difference };
        let mut reference = vec![f32::NAN; range.len() * n];
        CpuBackend.build_path_batch(&job, range.clone(), &mut reference).unwrap();
        let mut out = vec![f32::NAN; range.len() * n];
        let f: Symbol<unsafe extern "C" fn(*const f32, *const f32, *const PathPointDevice, u64, u64, *mut f32)> =
            kernel(lib, "path_build_f32");
        // SAFETY: buffers sized as the kernel indexes them.
        unsafe {
            f(
                inputs.as_ptr(),
                baselines.as_ptr(),
                device[range.clone()].as_ptr(),
                range.len() as u64,
                n as u64,
                out.as_mut_ptr(),
            )
        };
        assert_bits_f32("path_build_f32", &out, &reference);

        let gradients = random(range.len() * n, s + 3);
        let start: Vec<f64> = random(6 * n, s + 4).iter().map(|&v| f64::from(v)).collect();
        let mut want = start.clone();
        CpuBackend.accumulate_path_gradients(&job, range.clone(), &gradients, &mut want).unwrap();
        let (order, starts, targets, first) = segments(&points[range.clone()]);
        let mut got = start.clone();
        type Accumulate = unsafe extern "C" fn(
            *const f32,
            *const f32,
            *const PathPointDevice,
            *const u32,
            *const u32,
            *const u32,
            u64,
            *const f32,
            u64,
            u32,
            *mut f64,
        );
        let f: Symbol<Accumulate> = kernel(lib, "path_accumulate");
        // SAFETY: segment targets are relative to row `first`, as the backend passes them.
        unsafe {
            f(
                inputs.as_ptr(),
                baselines.as_ptr(),
                device[range.clone()].as_ptr(),
                order.as_ptr(),
                starts.as_ptr(),
                targets.as_ptr(),
                targets.len() as u64,
                gradients.as_ptr(),
                n as u64,
                u32::from(times_difference),
                got[first * n..].as_mut_ptr(),
            )
        };
        assert_bits_f64("path_accumulate", &got, &want);
    }
    let start: Vec<f64> = random(2 * rows * n, s + 5).iter().map(|&v| f64::from(v)).collect();
    let mut want = start.clone();
    CpuBackend.scale_by_difference(&inputs, &baselines, n, 2, &mut want).unwrap();
    let mut got = start;
    let f: Symbol<unsafe extern "C" fn(*const f32, *const f32, u64, u64, u64, *mut f64)> =
        kernel(lib, "path_scale_by_difference");
    // SAFETY: as above.
    unsafe { f(inputs.as_ptr(), baselines.as_ptr(), n as u64, 2, (2 * rows) as u64, got.as_mut_ptr()) };
    assert_bits_f64("path_scale_by_difference", &got, &want);

    // GradientSHAP's draws: the kernel and the CPU twin give the same bits.
    let x = random(n, s + 6);
    for stdev in [0.0f32, 0.7] {
        let job = GradientShapDrawJob { seed: s, row: 9, baseline_count: 5, x: &x, stdev };
        let samples = 2..13;
        let k = samples.len();
        let (mut index, mut alpha, mut noisy) = (vec![0u32; k], vec![f32::NAN; k], vec![f32::NAN; k * n]);
        CpuBackend.draw_gradient_shap(&job, samples.clone(), &mut index, &mut alpha, &mut noisy).unwrap();
        let (mut gi, mut ga, mut gn) = (vec![u32::MAX; k], vec![f32::NAN; k], vec![f32::NAN; k * n]);
        type Draw = unsafe extern "C" fn(u64, u64, u64, u64, u32, *const f32, u64, f32, *mut u32, *mut f32, *mut f32);
        let f: Symbol<Draw> = kernel(lib, "gradient_shap_draw");
        // SAFETY: as above.
        unsafe {
            f(s, 9, 2, k as u64, 5, x.as_ptr(), n as u64, stdev, gi.as_mut_ptr(), ga.as_mut_ptr(), gn.as_mut_ptr())
        };
        assert_eq!(gi, index, "baseline indices");
        assert_bits_f32("gradient_shap_draw alpha", &ga, &alpha);
        assert_bits_f32("gradient_shap_draw noisy inputs", &gn, &noisy);
        assert!(index.iter().all(|&i| i < 5));
    }
    let mut words = vec![0u32; 4 * 50];
    let f: Symbol<unsafe extern "C" fn(u64, u64, u64, u64, *mut u32)> = kernel(lib, "philox_words");
    // SAFETY: as above.
    unsafe { f(s, 1 << 50, 1 << 40, 50, words.as_mut_ptr()) };
    let want: Vec<u32> =
        (0..50u64).flat_map(|i| lumen::backend::philox::random_words(s, 1 << 50, (1 << 40) + i)).collect();
    assert_eq!(words, want, "philox_words");
}

#[test]
fn coalition_builds_and_background_means() {
    let Some(lib) = kernels() else { return };
    let s = run_seed();
    let (n, background_rows, players) = (90, 7, 70);
    let x = random(n, s);
    let background = random(background_rows * n, s + 1);
    let mask: Vec<u32> = (0..n).map(|e| ((e * 13) % players) as u32).collect();
    let groups = GroupMap::new(&mask, "players").unwrap();
    let words = 2;
    let count = 11;
    let bits: Vec<u64> = (0..count * words)
        .map(|i| {
            let w = (s ^ (i as u64 + 1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            if i % 2 == 1 {
                w & ((1 << (players - 64)) - 1)
            } else {
                w
            }
        })
        .collect();
    let job = CoalitionJob { x: &x, background: &background, players: &groups, coalitions: &bits, words };
    let items = 3..job.items() - 2;
    let mut want = vec![f32::NAN; items.len() * n];
    CpuBackend.build_coalition_batch(&job, items.clone(), &mut want).unwrap();
    let mut got = vec![f32::NAN; items.len() * n];
    type Build =
        unsafe extern "C" fn(*const f32, *const f32, u64, *const u32, *const u64, u64, u64, u64, u64, *mut f32);
    let f: Symbol<Build> = kernel(lib, "coalition_build_f32");
    // SAFETY: buffers sized as the kernel indexes them.
    unsafe {
        f(
            x.as_ptr(),
            background.as_ptr(),
            background_rows as u64,
            mask.as_ptr(),
            bits.as_ptr(),
            words as u64,
            n as u64,
            items.start as u64,
            items.len() as u64,
            got.as_mut_ptr(),
        )
    };
    assert_bits_f32("coalition_build_f32", &got, &want);

    let output_len = 3;
    let outputs = random(count * background_rows * output_len, s + 2);
    let weights: Vec<f64> = (0..background_rows).map(|b| (b as f64 + 1.0) / 28.0).collect();
    let targets = [2u32, 1];
    let mut want = vec![f64::NAN; count * 2];
    CpuBackend.reduce_background(&outputs, output_len, &weights, &targets, &mut want).unwrap();
    let mut got = vec![f64::NAN; count * 2];
    type Reduce = unsafe extern "C" fn(*const f32, u64, *const f64, u64, *const u32, u64, u64, *mut f64);
    let f: Symbol<Reduce> = kernel(lib, "reduce_background");
    // SAFETY: as above.
    unsafe {
        f(
            outputs.as_ptr(),
            output_len as u64,
            weights.as_ptr(),
            background_rows as u64,
            targets.as_ptr(),
            2,
            count as u64,
            got.as_mut_ptr(),
        )
    };
    assert_bits_f64("reduce_background", &got, &want);
}

#[test]
fn grad_cam_maps_and_upsampling() {
    let Some(lib) = kernels() else { return };
    let s = run_seed();
    let (rows, [c, h, w]) = (2, [5, 6, 7]);
    let activations = random(rows * c * h * w, s);
    let gradients = random(rows * c * h * w, s + 1);
    for relu in [false, true] {
        let mut want = vec![f32::NAN; rows * h * w];
        CpuBackend.grad_cam_map([c, h, w], &activations, &gradients, relu, &mut want).unwrap();
        let mut weights = vec![f64::NAN; rows * c];
        let f: Symbol<unsafe extern "C" fn(*const f32, u64, u64, *mut f64)> = kernel(lib, "grad_cam_channel_weights");
        // SAFETY: buffers sized as the kernel indexes them.
        unsafe { f(gradients.as_ptr(), (rows * c) as u64, (h * w) as u64, weights.as_mut_ptr()) };
        let mut got = vec![f32::NAN; rows * h * w];
        let f: Symbol<unsafe extern "C" fn(*const f32, *const f64, u64, u64, u64, u32, *mut f32)> =
            kernel(lib, "grad_cam_combine");
        // SAFETY: as above.
        unsafe {
            f(
                activations.as_ptr(),
                weights.as_ptr(),
                rows as u64,
                c as u64,
                (h * w) as u64,
                u32::from(relu),
                got.as_mut_ptr(),
            )
        };
        assert_bits_f32("grad_cam_map", &got, &want);
    }
    let maps = random(rows * h * w, s + 2);
    for to in [[6, 7], [13, 29], [2, 3]] {
        let mut want = vec![f32::NAN; rows * to[0] * to[1]];
        CpuBackend.upsample_bilinear(&maps, [h, w], to, &mut want).unwrap();
        let taps = |from, to| -> Vec<BilinearTapDevice> {
            bilinear_taps(from, to)
                .iter()
                .map(|t| BilinearTapDevice {
                    lo: t.lo as u32,
                    hi: t.hi as u32,
                    lo_weight: t.lo_weight,
                    hi_weight: t.hi_weight,
                })
                .collect()
        };
        let (row_taps, col_taps) = (taps(h, to[0]), taps(w, to[1]));
        let mut got = vec![f32::NAN; rows * to[0] * to[1]];
        type Upsample = unsafe extern "C" fn(
            *const f32,
            u64,
            u64,
            u64,
            *const BilinearTapDevice,
            u64,
            *const BilinearTapDevice,
            u64,
            *mut f32,
        );
        let f: Symbol<Upsample> = kernel(lib, "upsample_bilinear");
        // SAFETY: as above.
        unsafe {
            f(
                maps.as_ptr(),
                rows as u64,
                h as u64,
                w as u64,
                row_taps.as_ptr(),
                to[0] as u64,
                col_taps.as_ptr(),
                to[1] as u64,
                got.as_mut_ptr(),
            )
        };
        assert_bits_f32("upsample_bilinear", &got, &want);
    }
}

#[test]
fn kernel_shap_solve_matches_the_qr_reference() {
    let Some(lib) = kernels() else { return };
    let s = run_seed();
    let players = 9;
    let count = 120;
    let draws = random(count * players, s);
    let mut coalitions = lumen::explain::shapley::schedule::Coalitions::new(players);
    for k in 0..count {
        coalitions.push((0..players).filter(|&j| draws[k * players + j] < 0.0)).unwrap();
    }
    let weights: Vec<f64> = random(count, s + 1).iter().map(|&v| f64::from(v.abs()) + 0.05).collect();
    let phi: Vec<f64> = random(players, s + 2).iter().map(|&v| f64::from(v)).collect();
    let noise = random(count, s + 3);
    let values: Vec<f64> = (0..count)
        .map(|k| {
            0.3 + (0..players).filter(|&j| draws[k * players + j] < 0.0).map(|j| phi[j]).sum::<f64>()
                + 1e-3 * f64::from(noise[k])
        })
        .collect();
    let total = 0.3 + phi.iter().sum::<f64>();
    let want = lumen::explain::shapley::solve::constrained_wls(&coalitions, &weights, &values, 0.3, total).unwrap();
    let mut gram = vec![f64::NAN; (players - 1) * players];
    type Normal = unsafe extern "C" fn(*const u64, u64, u64, u64, *const f64, *const f64, f64, f64, *mut f64);
    let f: Symbol<Normal> = kernel(lib, "wls_normal_equations");
    // SAFETY: buffers sized as the kernel indexes them.
    unsafe {
        f(
            coalitions.packed().as_ptr(),
            1,
            players as u64,
            count as u64,
            weights.as_ptr(),
            values.as_ptr(),
            0.3,
            total - 0.3,
            gram.as_mut_ptr(),
        )
    };
    let (mut got, mut status) = (vec![f64::NAN; players], -1i32);
    let f: Symbol<unsafe extern "C" fn(*mut f64, u64, f64, *mut f64, *mut i32)> = kernel(lib, "wls_cholesky_solve");
    // SAFETY: as above.
    unsafe { f(gram.as_mut_ptr(), players as u64, total - 0.3, got.as_mut_ptr(), &mut status) };
    assert_eq!(status, 0);
    for (j, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= 1e-9 * (1.0 + w.abs()), "player {j}: normal equations {g}, QR {w}");
    }
    assert!((got.iter().sum::<f64>() - (total - 0.3)).abs() < 1e-12, "the constraint holds");

    // Players 0 and 1 always together: their values cannot be told apart, and the
    // solve says so instead of returning numbers.
    let mut constant = lumen::explain::shapley::schedule::Coalitions::new(3);
    for k in 0..10usize {
        let (pair, third) = (k & 1 == 1, k & 2 == 2);
        constant.push([(0, pair), (1, pair), (2, third)].into_iter().filter(|&(_, on)| on).map(|(j, _)| j)).unwrap();
    }
    let (w, v) = (vec![1.0; 10], vec![0.5; 10]);
    let mut gram = vec![f64::NAN; 2 * 3];
    // SAFETY: as above.
    unsafe {
        let f: Symbol<Normal> = kernel(lib, "wls_normal_equations");
        f(constant.packed().as_ptr(), 1, 3, 10, w.as_ptr(), v.as_ptr(), 0.0, 1.0, gram.as_mut_ptr());
        let f: Symbol<unsafe extern "C" fn(*mut f64, u64, f64, *mut f64, *mut i32)> = kernel(lib, "wls_cholesky_solve");
        f(gram.as_mut_ptr(), 3, 1.0, got.as_mut_ptr(), &mut status);
    }
    assert_eq!(status, 2, "players 0 and 1 move together: pivot 1 fails");
}

#[test]
fn buffer_conversions_and_the_finiteness_check() {
    let Some(lib) = kernels() else { return };
    let s = run_seed();
    let mut values = random(4000, s).iter().map(|&v| v * 80000.0).collect::<Vec<_>>();
    values.extend([0.0, -0.0, 65504.0, 65520.0, 1e-8, 5.96e-8, 6.1e-5, f32::MIN_POSITIVE, f32::MAX, 3.0e-39]);
    for (name, to_bits) in [
        ("convert_f32_to_f16", (|v: f32| half::f16::from_f32(v).to_bits()) as fn(f32) -> u16),
        ("convert_f32_to_bf16", |v: f32| half::bf16::from_f32(v).to_bits()),
    ] {
        let mut out = vec![0u16; values.len()];
        let f: Symbol<unsafe extern "C" fn(*const f32, u64, *mut u16)> = kernel(lib, name);
        // SAFETY: buffers sized as the kernel indexes them.
        unsafe { f(values.as_ptr(), values.len() as u64, out.as_mut_ptr()) };
        let want: Vec<u16> = values.iter().map(|&v| to_bits(v)).collect();
        assert_eq!(out, want, "{name}");
    }
    let f: Symbol<unsafe extern "C" fn(*const f32, u64, *mut u64)> = kernel(lib, "first_non_finite");
    let mut first = [0u64];
    // SAFETY: one block: one slot.
    unsafe { f(values.as_ptr(), values.len() as u64, first.as_mut_ptr()) };
    assert_eq!(first[0], values.len() as u64, "all finite: the count");
    values[1234] = f32::NAN;
    values[3000] = f32::INFINITY;
    // SAFETY: as above.
    unsafe { f(values.as_ptr(), values.len() as u64, first.as_mut_ptr()) };
    assert_eq!(first[0], 1234);
}
