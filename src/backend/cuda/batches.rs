//! Device-resident runs: a job's operands uploaded once, then batches built straight into
//! device buffers in the model's input type, path gradients accumulated into a device
//! accumulator, and finiteness checked on the device. The model layer
//! (`src/model/device_run.rs`) drives these around the model's device callbacks.

use std::ops::Range;

use cudarc::driver::{CudaSlice, DevicePtr, PushKernelArg};

use super::gpu::{download, grid, launched, rows_grid, upload, upload_structs, zeros, MAX_REDUCTION_BLOCKS};
use super::layout::{PathPointDevice, WindowGeometry};
use super::{baseline_operands, f32_value, f32_values, CudaBackend, PathSegments};
use crate::backend::{AblationJob, CoalitionJob, InputDtype, Masks, PathJob, PathPoint};
use crate::element::Element;
use crate::error::Result;

/// The kernel-name suffix of an input type.
fn suffix(dtype: InputDtype) -> &'static str {
    match dtype {
        InputDtype::F32 => "f32",
        InputDtype::F16 => "f16",
        InputDtype::Bf16 => "bf16",
    }
}

/// How an ablation job's perturbations look on the device.
enum DeviceMasks {
    Windows(WindowGeometry),
    Groups { group_of: CudaSlice<u32>, groups: u64 },
}

/// An ablation job's operands on the device.
pub struct DeviceAblation {
    inputs: CudaSlice<f32>,
    baseline: CudaSlice<f32>,
    mode: u32,
    scalar: f32,
    masks: DeviceMasks,
    row_len: u64,
}

/// A coalition job's operands on the device.
pub struct DeviceCoalitions {
    x: CudaSlice<f32>,
    background: CudaSlice<f32>,
    background_rows: u64,
    player_of: CudaSlice<u32>,
    coalitions: CudaSlice<u64>,
    words: u64,
    row_len: u64,
}

/// A path job's operands on the device.
pub struct DevicePaths {
    inputs: CudaSlice<f32>,
    baselines: CudaSlice<f32>,
    points: Vec<PathPoint>,
    row_len: u64,
    times_difference: u32,
}

/// A device buffer of model input rows, sized for `rows × row_len` elements of `dtype`.
pub struct DeviceBatch {
    /// The raw bytes (the kernels write `dtype` elements).
    pub bytes: CudaSlice<u8>,
    /// Their element type.
    pub dtype: InputDtype,
}

impl CudaBackend {
    /// A device buffer for `rows × row_len` input elements of `dtype`.
    pub fn batch_buffer(&self, rows: usize, row_len: usize, dtype: InputDtype) -> Result<DeviceBatch> {
        Ok(DeviceBatch { bytes: zeros(self.device.stream(), rows * row_len * dtype.size())?, dtype })
    }

    /// `len` zeroed f32 on the device (outputs, gradients).
    pub fn f32_buffer(&self, len: usize) -> Result<CudaSlice<f32>> {
        zeros(self.device.stream(), len)
    }

    /// A device copy of `values`.
    pub fn upload_f64(&self, values: &[f64]) -> Result<CudaSlice<f64>> {
        upload(self.device.stream(), values)
    }

    /// A device copy of `values`.
    pub fn upload_u32(&self, values: &[u32]) -> Result<CudaSlice<u32>> {
        upload(self.device.stream(), values)
    }

    /// Copies `src` into `out` (its first `out.len()` elements) and waits.
    pub fn download_f32(&self, src: &CudaSlice<f32>, out: &mut [f32]) -> Result<()> {
        download(self.device.stream(), src, out)
    }

    /// Copies `src` into `out` (its first `out.len()` elements) and waits.
    pub fn download_f64(&self, src: &CudaSlice<f64>, out: &mut [f64]) -> Result<()> {
        download(self.device.stream(), src, out)
    }

    /// The raw bytes of `batch` (its first `out.len()`), for checks.
    pub fn download_batch(&self, batch: &DeviceBatch, out: &mut [u8]) -> Result<()> {
        download(self.device.stream(), &batch.bytes, out)
    }

    /// The device address of a buffer, for a model callback (valid while `buffer` lives).
    pub fn address<T>(&self, buffer: &CudaSlice<T>) -> u64 {
        let (address, _synced) = buffer.device_ptr(self.device.stream());
        address
    }

    /// The backend's stream as the `CUstream` a model callback receives.
    pub fn raw_stream(&self) -> *mut std::ffi::c_void {
        self.device.stream().cu_stream().cast()
    }

    /// Host rows (`values`, f32) copied into `batch` in its element type.
    pub fn fill_batch(&self, values: &[f32], batch: &mut DeviceBatch) -> Result<()> {
        let stream = self.device.stream();
        let staged = upload(stream, values)?;
        if batch.dtype == InputDtype::F32 {
            let bytes = values.len() * 4;
            let mut target = batch.bytes.slice_mut(..bytes);
            let (source, _synced) = staged.device_ptr(stream);
            let (destination, _synced_target) = cudarc::driver::DevicePtrMut::device_ptr_mut(&mut target, stream);
            // SAFETY: both ranges are live device allocations of `bytes` bytes on this stream.
            let copied =
                unsafe { cudarc::driver::result::memcpy_dtod_async(destination, source, bytes, stream.cu_stream()) };
            return launched("a device-to-device copy", copied);
        }
        let name = format!("convert_f32_to_{}", suffix(batch.dtype));
        let function = self.device.function(&name)?;
        let count = values.len() as u64;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&staged).arg(&count).arg(&mut batch.bytes);
        // SAFETY: matches convert_f32_to_* in kernels/buffers.cu; `batch` holds at least
        // `count` elements of its type.
        launched(&name, unsafe { launch.launch(grid(count)) })
    }

    /// Uploads an ablation job's inputs, baseline and perturbations once.
    pub fn upload_ablation<E: Element>(&self, job: &AblationJob<'_, E>) -> Result<DeviceAblation> {
        let stream = self.device.stream();
        let rows = job.inputs.len() / job.row_len.max(1);
        let (mode, scalar, baseline) = baseline_operands(job.baselines, 0..rows, job.row_len)?;
        let masks = match job.masks {
            Masks::Windows(windows) => DeviceMasks::Windows(WindowGeometry::new(windows)?),
            Masks::Groups(groups) => {
                DeviceMasks::Groups { group_of: upload(stream, groups.mask())?, groups: groups.len() as u64 }
            }
        };
        Ok(DeviceAblation {
            inputs: upload(stream, f32_values(job.inputs)?)?,
            baseline: upload(stream, baseline)?,
            mode,
            scalar,
            masks,
            row_len: job.row_len as u64,
        })
    }

    /// Builds items `items` of an uploaded ablation job into `batch`.
    pub fn build_ablation_device(
        &self,
        job: &DeviceAblation,
        items: Range<usize>,
        batch: &mut DeviceBatch,
    ) -> Result<()> {
        let stream = self.device.stream();
        let (first, count) = (items.start as u64, items.len() as u64);
        match &job.masks {
            DeviceMasks::Windows(geometry) => {
                let name = format!("occlusion_build_{}", suffix(batch.dtype));
                let function = self.device.function(&name)?;
                let mut launch = stream.launch_builder(&function);
                launch.arg(&job.inputs).arg(&job.baseline).arg(&job.scalar).arg(&job.mode).arg(geometry);
                launch.arg(&job.row_len).arg(&first).arg(&count).arg(&mut batch.bytes);
                // SAFETY: matches occlusion_build_* in kernels/ablation.cu; the job holds every
                // input row and the batch `count × row_len` elements of its type.
                launched(&name, unsafe { launch.launch(rows_grid(count, job.row_len)) })
            }
            DeviceMasks::Groups { group_of, groups } => {
                let name = format!("group_ablation_build_{}", suffix(batch.dtype));
                let function = self.device.function(&name)?;
                let mut launch = stream.launch_builder(&function);
                launch.arg(&job.inputs).arg(&job.baseline).arg(&job.scalar).arg(&job.mode).arg(group_of);
                launch.arg(groups).arg(&job.row_len).arg(&first).arg(&count).arg(&mut batch.bytes);
                // SAFETY: matches group_ablation_build_* in kernels/ablation.cu; as above.
                launched(&name, unsafe { launch.launch(rows_grid(count, job.row_len)) })
            }
        }
    }

    /// Uploads a coalition job's row, background, players and coalitions once.
    pub fn upload_coalitions<E: Element>(&self, job: &CoalitionJob<'_, E>) -> Result<DeviceCoalitions> {
        let stream = self.device.stream();
        Ok(DeviceCoalitions {
            x: upload(stream, f32_values(job.x)?)?,
            background: upload(stream, f32_values(job.background)?)?,
            background_rows: job.background_rows() as u64,
            player_of: upload(stream, job.players.mask())?,
            coalitions: upload(stream, job.coalitions)?,
            words: job.words as u64,
            row_len: job.row_len() as u64,
        })
    }

    /// Builds items `items` of an uploaded coalition job into `batch`.
    pub fn build_coalitions_device(
        &self,
        job: &DeviceCoalitions,
        items: Range<usize>,
        batch: &mut DeviceBatch,
    ) -> Result<()> {
        let stream = self.device.stream();
        let (first, count) = (items.start as u64, items.len() as u64);
        let name = format!("coalition_build_{}", suffix(batch.dtype));
        let function = self.device.function(&name)?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&job.x).arg(&job.background).arg(&job.background_rows).arg(&job.player_of);
        launch.arg(&job.coalitions).arg(&job.words).arg(&job.row_len).arg(&first).arg(&count).arg(&mut batch.bytes);
        // SAFETY: matches coalition_build_* in kernels/coalition.cu; items index uploaded
        // coalitions and background rows; the batch holds `count × row_len` elements.
        launched(&name, unsafe { launch.launch(rows_grid(count, job.row_len)) })
    }

    /// Uploads a path job's inputs and baselines once.
    pub fn upload_paths<E: Element>(&self, job: &PathJob<'_, E>) -> Result<DevicePaths> {
        let stream = self.device.stream();
        let points = job
            .points
            .iter()
            .map(|p| {
                Ok(PathPoint {
                    alpha: f32_value(p.alpha)?,
                    input: p.input,
                    baseline: p.baseline,
                    weight: p.weight,
                    target: p.target,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(DevicePaths {
            inputs: upload(stream, f32_values(job.inputs)?)?,
            baselines: upload(stream, f32_values(job.baselines)?)?,
            points,
            row_len: job.row_len as u64,
            times_difference: u32::from(job.times_difference),
        })
    }

    /// Builds points `points` of an uploaded path job into `batch`.
    pub fn build_paths_device(&self, job: &DevicePaths, points: Range<usize>, batch: &mut DeviceBatch) -> Result<()> {
        let stream = self.device.stream();
        let chunk = job.points[points].iter().map(PathPointDevice::new).collect::<Result<Vec<_>>>()?;
        if chunk.is_empty() {
            return Ok(());
        }
        let chunk_buffer = upload_structs(stream, &chunk)?;
        let count = chunk.len() as u64;
        let name = format!("path_build_{}", suffix(batch.dtype));
        let function = self.device.function(&name)?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&job.inputs).arg(&job.baselines).arg(&chunk_buffer).arg(&count).arg(&job.row_len);
        launch.arg(&mut batch.bytes);
        // SAFETY: matches path_build_* in kernels/path.cu; points index uploaded rows.
        launched(&name, unsafe { launch.launch(rows_grid(count, job.row_len)) })
    }

    /// Adds the weighted gradients of points `points` (one f32 row each in `gradients`) to
    /// the device `accumulator` (all accumulator rows of the job).
    pub fn accumulate_paths_device(
        &self,
        job: &DevicePaths,
        points: Range<usize>,
        gradients: &CudaSlice<f32>,
        accumulator: &mut CudaSlice<f64>,
    ) -> Result<()> {
        let stream = self.device.stream();
        let host_chunk = &job.points[points];
        if host_chunk.is_empty() {
            return Ok(());
        }
        let segments = PathSegments::new(host_chunk)?;
        let chunk = host_chunk.iter().map(PathPointDevice::new).collect::<Result<Vec<_>>>()?;
        let chunk_buffer = upload_structs(stream, &chunk)?;
        let order = upload(stream, &segments.order)?;
        let starts = upload(stream, &segments.starts)?;
        let targets = upload(stream, &segments.targets)?;
        let segment_count = segments.targets.len() as u64;
        let offset = segments.rows.start * job.row_len as usize;
        let mut rows = accumulator.slice_mut(offset..);
        let function = self.device.function("path_accumulate")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&job.inputs).arg(&job.baselines).arg(&chunk_buffer).arg(&order).arg(&starts).arg(&targets);
        launch.arg(&segment_count).arg(gradients).arg(&job.row_len).arg(&job.times_difference).arg(&mut rows);
        // SAFETY: matches path_accumulate in kernels/path.cu; segment targets are relative to
        // the accumulator view starting at the chunk's first row.
        launched("path_accumulate", unsafe { launch.launch(rows_grid(segment_count, job.row_len)) })
    }

    /// `count` raw Philox words quadruples from `kernels/path.cu` (indices `start..`), for
    /// checking the device RNG against its CPU twin (`backend::philox`).
    pub fn philox_words(&self, seed: u64, stream_id: u64, start: u64, count: usize) -> Result<Vec<u32>> {
        let stream = self.device.stream();
        let mut words = zeros::<u32>(stream, 4 * count)?;
        let count_u = count as u64;
        let function = self.device.function("philox_words")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&seed).arg(&stream_id).arg(&start).arg(&count_u).arg(&mut words);
        // SAFETY: matches philox_words in kernels/path.cu; `words` holds 4 × count values.
        launched("philox_words", unsafe { launch.launch(grid(count_u)) })?;
        let mut host = vec![0u32; 4 * count];
        download(stream, &words, &mut host)?;
        Ok(host)
    }

    /// The index of the first NaN or infinity among the first `count` values, if any.
    pub fn first_non_finite(&self, values: &CudaSlice<f32>, count: usize) -> Result<Option<usize>> {
        if count == 0 {
            return Ok(None);
        }
        let stream = self.device.stream();
        let mut config = grid(count as u64);
        config.grid_dim.0 = config.grid_dim.0.min(MAX_REDUCTION_BLOCKS as u32);
        let blocks = config.grid_dim.0 as usize;
        let mut firsts = zeros::<u64>(stream, blocks)?;
        let total = count as u64;
        let function = self.device.function("first_non_finite")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(values).arg(&total).arg(&mut firsts);
        // SAFETY: matches first_non_finite in kernels/buffers.cu (256 threads per block, as
        // `grid` launches); `firsts` has one slot per block.
        launched("first_non_finite", unsafe { launch.launch(config) })?;
        let mut host = vec![0u64; blocks];
        download(stream, &firsts, &mut host)?;
        let first = host.into_iter().min().unwrap_or(total);
        Ok((first < total).then_some(first as usize))
    }
}
