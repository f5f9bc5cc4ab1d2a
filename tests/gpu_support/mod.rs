//! Shared by the GPU checks (`tests/cuda_differential.rs`) and the GPU bench
//! (`examples/gpu_bench.rs`): fresh random data, the NaN-poisoned comparison, and a small
//! MLP as a device-resident model (CUDA kernels in `mlp.cu`) with a host twin that
//! computes the same bits on the CPU.
#![allow(dead_code)]

use std::ffi::c_void;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cudarc::driver::{CudaFunction, CudaSlice, CudaStream, LaunchConfig, PushKernelArg};
use cudarc::nvrtc::{compile_ptx_with_opts, CompileOptions};
use lumen::backend::cuda::CudaBackend;
use lumen::model::device::DevicePtr;
use lumen::model::{DeviceModel, InputDtype, MemorySpace};
use lumen::{Error, ErrorKind, Model, ModelSignature};

#[path = "../support/pseudo_random.rs"]
mod pseudo_random;
pub use pseudo_random::uniform;

/// The seed of this run's random data: `LUMEN_GPU_CHECK_SEED`, or the clock (printed, so
/// a failure can be replayed).
pub fn run_seed() -> u64 {
    let seed = std::env::var("LUMEN_GPU_CHECK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    eprintln!("random data seed: {seed} (replay with LUMEN_GPU_CHECK_SEED={seed})");
    seed
}

/// The largest relative error of `gpu` against `cpu`, relative to `max(|cpu_i|, 1e-6 ·
/// max|cpu|)`; a NaN or infinity on the GPU side (e.g. an unwritten poisoned slot) is an
/// error, never a pass.
pub fn relative_error(gpu: &[f64], cpu: &[f64]) -> Result<f64, String> {
    if gpu.len() != cpu.len() {
        return Err(format!("length {} against {}", gpu.len(), cpu.len()));
    }
    let scale = cpu.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    let mut worst = 0.0f64;
    for (i, (&g, &c)) in gpu.iter().zip(cpu).enumerate() {
        if !g.is_finite() {
            return Err(format!("element {i} is {g} on the GPU (CPU {c})"));
        }
        let error = (g - c).abs() / c.abs().max(1e-6 * scale);
        worst = worst.max(error);
    }
    Ok(worst)
}

/// [`relative_error`] of f32 data.
pub fn relative_error_f32(gpu: &[f32], cpu: &[f32]) -> Result<f64, String> {
    let widen = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
    relative_error(&widen(gpu), &widen(cpu))
}

/// The MLP's parameters.
#[derive(Debug, Clone)]
pub struct MlpWeights {
    pub inputs: usize,
    pub hidden: usize,
    pub outputs: usize,
    pub w1: Vec<f32>,
    pub b1: Vec<f32>,
    pub w2: Vec<f32>,
    pub b2: Vec<f32>,
}

impl MlpWeights {
    /// Random weights (scaled so pre-activations stay O(1)).
    pub fn random(inputs: usize, hidden: usize, outputs: usize, seed: u64) -> Self {
        let scale = 2.0 / (inputs as f32).sqrt();
        Self {
            inputs,
            hidden,
            outputs,
            w1: uniform(hidden * inputs, seed, -scale, scale),
            b1: uniform(hidden, seed + 1, -0.5, 0.5),
            w2: uniform(outputs * hidden, seed + 2, -1.0, 1.0),
            b2: uniform(outputs, seed + 3, -0.5, 0.5),
        }
    }

    /// Hidden activations of one row, summed exactly as `mlp_hidden` does.
    fn hidden_of(&self, x: &[f32]) -> Vec<f32> {
        const THREADS: usize = 256;
        (0..self.hidden)
            .map(|j| {
                let w = &self.w1[j * self.inputs..(j + 1) * self.inputs];
                let mut partial = [0.0f32; THREADS];
                for (t, slot) in partial.iter_mut().enumerate() {
                    let mut e = t;
                    while e < self.inputs {
                        *slot += w[e] * x[e];
                        e += THREADS;
                    }
                }
                let mut half = THREADS / 2;
                while half > 0 {
                    for t in 0..half {
                        partial[t] += partial[t + half];
                    }
                    half /= 2;
                }
                let s = self.b1[j] + partial[0];
                s / (1.0 + s.abs())
            })
            .collect()
    }
}

/// The MLP on the host: the CPU reference's model, bit-identical to [`DeviceMlp`].
pub struct HostMlp {
    pub signature: ModelSignature,
    pub weights: MlpWeights,
}

impl HostMlp {
    /// Over rows of `shape`.
    pub fn new(shape: &[usize], weights: MlpWeights) -> Self {
        let mut signature = ModelSignature::flat(weights.inputs, weights.outputs);
        signature.input_shape = shape.to_vec();
        Self { signature, weights }
    }
}

impl Model for HostMlp {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let w = &self.weights;
        for r in 0..rows {
            let h = w.hidden_of(&inputs[r * w.inputs..(r + 1) * w.inputs]);
            for k in 0..w.outputs {
                let mut sum = w.b2[k];
                for (weight, &h) in w.w2[k * w.hidden..(k + 1) * w.hidden].iter().zip(&h) {
                    sum += weight * h;
                }
                outputs[r * w.outputs + k] = sum;
            }
        }
        Ok(())
    }

    fn gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        targets: &[u32],
        gradients: &mut [f32],
        outputs: Option<&mut [f32]>,
    ) -> lumen::Result<()> {
        let w = &self.weights;
        for r in 0..rows {
            let h = w.hidden_of(&inputs[r * w.inputs..(r + 1) * w.inputs]);
            let t = targets[r] as usize;
            for e in 0..w.inputs {
                let mut sum = 0.0f32;
                for (j, &h) in h.iter().enumerate() {
                    let d = (1.0 - h.abs()) * (1.0 - h.abs());
                    sum += w.w1[j * w.inputs + e] * (w.w2[t * w.hidden + j] * d);
                }
                gradients[r * w.inputs + e] = sum;
            }
        }
        if let Some(outputs) = outputs {
            self.predict(inputs, rows, outputs)?;
        }
        Ok(())
    }
}

/// The MLP as a device-resident model: weights on the GPU, callbacks launching `mlp.cu`
/// on the stream the engine passes. With timing on, each callback waits for the stream
/// before and after its work and adds that span to `model_time` (for the bench's "engine
/// time outside the model" share).
pub struct DeviceMlp {
    signature: ModelSignature,
    weights: MlpWeights,
    w1: CudaSlice<f32>,
    b1: CudaSlice<f32>,
    w2: CudaSlice<f32>,
    b2: CudaSlice<f32>,
    hidden_fn: CudaFunction,
    output_fn: CudaFunction,
    gradient_fn: CudaFunction,
    stream: Arc<CudaStream>,
    pub timing: bool,
    pub model_time: Mutex<Duration>,
}

fn failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::ModelFailed, format!("device MLP: {what}: {e}"))
}

impl DeviceMlp {
    /// Uploads `weights` to `backend`'s device and compiles the MLP kernels.
    pub fn new(backend: &CudaBackend, shape: &[usize], weights: MlpWeights) -> lumen::Result<Self> {
        let stream = backend.device().stream().clone();
        let options = CompileOptions { fmad: Some(false), arch: Some("sm_80"), ..Default::default() };
        let ptx = compile_ptx_with_opts(include_str!("mlp.cu"), options).map_err(|e| failed("NVRTC", e))?;
        let module = backend.device().context().load_module(ptx).map_err(|e| failed("loading", e))?;
        let function = |name| module.load_function(name).map_err(|e| failed(name, e));
        let upload = |v: &[f32]| stream.clone_htod(v).map_err(|e| failed("upload", e));
        let mut signature = ModelSignature::flat(weights.inputs, weights.outputs);
        signature.input_shape = shape.to_vec();
        signature.memory_space = MemorySpace::Device;
        Ok(Self {
            w1: upload(&weights.w1)?,
            b1: upload(&weights.b1)?,
            w2: upload(&weights.w2)?,
            b2: upload(&weights.b2)?,
            hidden_fn: function("mlp_hidden")?,
            output_fn: function("mlp_output")?,
            gradient_fn: function("mlp_gradient")?,
            signature,
            weights,
            stream,
            timing: false,
            model_time: Mutex::new(Duration::ZERO),
        })
    }

    fn check_stream(&self, stream: *mut c_void) -> lumen::Result<()> {
        if stream != self.stream.cu_stream().cast() {
            return Err(Error::new(ErrorKind::ModelFailed, "device MLP: called on a stream other than the engine's"));
        }
        Ok(())
    }

    fn timed<T>(&self, work: impl FnOnce() -> lumen::Result<T>) -> lumen::Result<T> {
        if !self.timing {
            return work();
        }
        self.stream.synchronize().map_err(|e| failed("sync", e))?;
        let start = Instant::now();
        let out = work()?;
        self.stream.synchronize().map_err(|e| failed("sync", e))?;
        *self.model_time.lock().unwrap() += start.elapsed();
        Ok(out)
    }

    /// Hidden activations of `rows` rows at device address `inputs`.
    fn hidden(&self, inputs: DevicePtr, rows: usize) -> lumen::Result<CudaSlice<f32>> {
        let w = &self.weights;
        let mut hidden = self.stream.alloc_zeros::<f32>(rows * w.hidden).map_err(|e| failed("alloc", e))?;
        let (n, h) = (w.inputs as u64, w.hidden as u64);
        let mut launch = self.stream.launch_builder(&self.hidden_fn);
        launch.arg(&inputs).arg(&n).arg(&self.w1).arg(&self.b1).arg(&h).arg(&mut hidden);
        let config =
            LaunchConfig { grid_dim: ((rows * w.hidden) as u32, 1, 1), block_dim: (256, 1, 1), shared_mem_bytes: 0 };
        // SAFETY: `inputs` holds rows × n f32 (the engine's contract); one block per (row, unit).
        unsafe { launch.launch(config) }.map_err(|e| failed("mlp_hidden", e))?;
        Ok(hidden)
    }

    fn outputs(&self, hidden: &CudaSlice<f32>, rows: usize, outputs: DevicePtr) -> lumen::Result<()> {
        let w = &self.weights;
        let (r, h, k) = (rows as u64, w.hidden as u64, w.outputs as u64);
        let mut launch = self.stream.launch_builder(&self.output_fn);
        launch.arg(hidden).arg(&r).arg(&h).arg(&self.w2).arg(&self.b2).arg(&k).arg(&outputs);
        // SAFETY: `outputs` holds rows × K f32 (the engine's contract).
        unsafe { launch.launch(LaunchConfig::for_num_elems((rows * w.outputs) as u32)) }
            .map_err(|e| failed("mlp_output", e))?;
        Ok(())
    }
}

impl Model for DeviceMlp {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, _: &[f32], _: usize, _: &mut [f32]) -> lumen::Result<()> {
        Err(Error::new(ErrorKind::ModelCapabilityMissing, "device MLP: host predict must not be called"))
    }

    fn device(&self) -> Option<&dyn DeviceModel> {
        Some(self)
    }
}

impl DeviceModel for DeviceMlp {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn input_dtype(&self) -> InputDtype {
        InputDtype::F32
    }

    unsafe fn predict_device(
        &self,
        inputs: DevicePtr,
        rows: usize,
        outputs: DevicePtr,
        stream: *mut c_void,
    ) -> lumen::Result<()> {
        self.check_stream(stream)?;
        self.timed(|| {
            let hidden = self.hidden(inputs, rows)?;
            self.outputs(&hidden, rows, outputs)
        })
    }

    unsafe fn gradient_device(
        &self,
        inputs: DevicePtr,
        rows: usize,
        targets: DevicePtr,
        gradients: DevicePtr,
        outputs: DevicePtr,
        stream: *mut c_void,
    ) -> lumen::Result<()> {
        self.check_stream(stream)?;
        self.timed(|| {
            let w = &self.weights;
            let hidden = self.hidden(inputs, rows)?;
            let (r, n, h) = (rows as u64, w.inputs as u64, w.hidden as u64);
            let mut launch = self.stream.launch_builder(&self.gradient_fn);
            launch.arg(&hidden).arg(&r).arg(&n).arg(&self.w1).arg(&self.w2).arg(&h).arg(&targets).arg(&gradients);
            // SAFETY: `targets` holds rows u32 and `gradients` rows × n f32 (the contract).
            unsafe { launch.launch(LaunchConfig::for_num_elems((rows * w.inputs) as u32)) }
                .map_err(|e| failed("mlp_gradient", e))?;
            if outputs != 0 {
                self.outputs(&hidden, rows, outputs)?;
            }
            Ok(())
        })
    }
}
