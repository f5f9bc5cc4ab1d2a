//! The CUDA backend (feature `cuda`): the primitives of [`Backend`] as hand-written
//! kernels (`kernels/*.cu`, embedded and compiled by NVRTC on first use, cached per
//! device), launched through cudarc with dynamic loading, so a build with this feature
//! still runs on machines without CUDA. For host-memory models every primitive copies its
//! operands to the device, launches, and copies the result back (batches move in the
//! chunks the evaluator plans); device-resident models are served by [`batches`] (driven
//! by `model::device_run`), which keeps batches on the device. Reductions are gathers in a fixed order (no atomics) and
//! kernels are compiled without FMA contraction, so results are deterministic and follow
//! the CPU reference's operation order.

pub mod batches;
pub mod device;
mod gpu;
pub mod kernels;
mod layout;
pub mod solve;

use std::ops::Range;
use std::sync::Arc;

use cudarc::driver::{CudaSlice, PushKernelArg};

use self::device::CudaDevice;
use self::gpu::{download, grid, launched, rows_grid, upload, upload_structs, zeros};
use self::layout::{to_u32, BilinearTapDevice, PathPointDevice, WindowGeometry};
use super::{
    bilinear_taps, AblationJob, AblationSlots, Backend, BackendKind, Baselines, CoalitionJob, GradientShapDrawJob,
    Masks, PathJob,
};
use crate::element::{same_slice, same_value, Element};
use crate::error::{Error, ErrorKind, Result};

/// The error for rows of an element type the kernels do not build.
fn not_f32<E: Element>() -> Error {
    Error::new(
        ErrorKind::ElementTypeUnsupported,
        format!("cuda: the kernels build f32, f16 and bf16 rows; {} rows are built on the CPU", E::TYPE),
    )
}

/// `values` as the f32 the kernels read, or `ElementTypeUnsupported`.
fn f32_values<E: Element>(values: &[E]) -> Result<&[f32]> {
    same_slice(values).ok_or_else(not_f32::<E>)
}

/// `value` as the f32 the kernels read, or `ElementTypeUnsupported`.
fn f32_value<E: Element>(value: E) -> Result<f32> {
    same_value(value).ok_or_else(not_f32::<E>)
}

/// How the kernels read a baseline: the mode constant of `kernels/common.cuh`, the scalar,
/// and the rows (`row_range` of a per-row baseline, else the shared row or nothing).
fn baseline_operands<E: Element>(
    baselines: &Baselines<E>,
    rows: Range<usize>,
    row_len: usize,
) -> Result<(u32, f32, &[f32])> {
    Ok(match baselines {
        Baselines::Scalar(v) => (0, f32_value(*v)?, &[]),
        Baselines::Shared(values) => (1, 0.0, f32_values(values)?),
        Baselines::PerRow(values) => (2, 0.0, f32_values(&values[rows.start * row_len..rows.end * row_len])?),
    })
}

/// The CUDA backend on one device.
#[derive(Debug, Clone)]
pub struct CudaBackend {
    device: Arc<CudaDevice>,
}

impl CudaBackend {
    /// The backend on device `ordinal`, its kernels compiled and loaded (once per device
    /// and process); fails with `BackendUnavailable` and the reason when CUDA cannot run
    /// here (no driver, no device, no NVRTC, too old a device, or a driver that cannot load
    /// the PTX), so that `auto` can fall back before any work starts.
    pub fn new(ordinal: usize) -> Result<Self> {
        let device = CudaDevice::open(ordinal)?;
        device.function(kernels::FAMILIES[0].kernels[0]).map_err(|e| {
            crate::error::Error::new(crate::error::ErrorKind::BackendUnavailable, e.message().to_owned())
        })?;
        Ok(Self { device })
    }

    /// The device this backend launches on.
    pub fn device(&self) -> &Arc<CudaDevice> {
        &self.device
    }
}

impl Backend for CudaBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Cuda
    }

    fn as_cuda(&self) -> Option<&CudaBackend> {
        Some(self)
    }

    fn build_ablation_batch(
        &self,
        job: &AblationJob<'_>,
        items: Range<usize>,
        scratch: AblationSlots<'_>,
    ) -> Result<()> {
        let (n, per_row, slots) = (job.row_len, job.masks.len(), items.len());
        if slots == 0 || n == 0 {
            return Ok(());
        }
        // Only the input rows this batch touches go to the device.
        let rows = items.start / per_row..(items.end - 1) / per_row + 1;
        let stream = self.device.stream();
        let inputs = upload(stream, &job.inputs[rows.start * n..rows.end * n])?;
        let (mode, scalar, baseline) = baseline_operands(job.baselines, rows.clone(), n)?;
        let baseline = upload(stream, baseline)?;
        let mut out = zeros::<f32>(stream, slots * n)?;
        let (row_len, first, count) = (n as u64, (items.start - rows.start * per_row) as u64, slots as u64);
        match job.masks {
            Masks::Windows(windows) => {
                let geometry = WindowGeometry::new(windows)?;
                let function = self.device.function("occlusion_build_f32")?;
                let mut launch = stream.launch_builder(&function);
                launch.arg(&inputs).arg(&baseline).arg(&scalar).arg(&mode).arg(&geometry);
                launch.arg(&row_len).arg(&first).arg(&count).arg(&mut out);
                // SAFETY: the arguments match occlusion_build_f32 in kernels/ablation.cu; `inputs`
                // holds the rows the items index (relative to `rows.start`), `baseline` what
                // `mode` reads, `out` `count × row_len` floats.
                launched("occlusion_build_f32", unsafe { launch.launch(rows_grid(count, row_len)) })?;
            }
            Masks::Groups(groups) => {
                let group_of = upload(stream, groups.mask())?;
                let group_count = groups.len() as u64;
                let function = self.device.function("group_ablation_build_f32")?;
                let mut launch = stream.launch_builder(&function);
                launch.arg(&inputs).arg(&baseline).arg(&scalar).arg(&mode).arg(&group_of).arg(&group_count);
                launch.arg(&row_len).arg(&first).arg(&count).arg(&mut out);
                // SAFETY: the arguments match group_ablation_build_f32 in kernels/ablation.cu;
                // `group_of` has `row_len` ids below `group_count`; buffers as above.
                launched("group_ablation_build_f32", unsafe { launch.launch(rows_grid(count, row_len)) })?;
            }
        }
        download(stream, &out, &mut scratch.rows[..slots * n])?;
        for (held, item) in scratch.held[..slots].iter_mut().zip(items) {
            *held = Some(item);
        }
        Ok(())
    }

    /// Built on the host by the CPU reference, as the listed coalition rows are, for the
    /// same reasons.
    fn build_listed_ablation_rows(
        &self,
        job: &AblationJob<'_>,
        items: &[u32],
        scratch: AblationSlots<'_>,
    ) -> Result<()> {
        crate::backend::cpu::build_listed_ablation_rows(job, items, scratch);
        Ok(())
    }

    fn gather_ablation(&self, masks: &Masks, deltas: &[f64]) -> Result<Vec<f64>> {
        let (per_block, row_len) = (masks.len(), masks.row_len());
        let blocks = deltas.len() / per_block.max(1);
        let len = blocks.saturating_mul(row_len);
        let mut attributions = crate::alloc::try_with_capacity("attributions", len)?;
        if len == 0 {
            return Ok(attributions);
        }
        let row_len = row_len as u64;
        let stream = self.device.stream();
        let deltas_device = upload(stream, deltas)?;
        let mut out = zeros::<f32>(stream, len)?;
        let block_count = blocks as u64;
        let total = block_count * row_len;
        match masks {
            Masks::Windows(windows) => {
                let geometry = WindowGeometry::new(windows)?;
                let function = self.device.function("occlusion_gather")?;
                let mut launch = stream.launch_builder(&function);
                launch.arg(&deltas_device).arg(&geometry).arg(&row_len).arg(&block_count).arg(&mut out);
                // SAFETY: matches occlusion_gather in kernels/ablation.cu; `deltas_device` holds
                // `blocks × windows` values and `out` `blocks × row_len`.
                launched("occlusion_gather", unsafe { launch.launch(grid(total)) })?;
            }
            Masks::Groups(groups) => {
                let group_of = upload(stream, groups.mask())?;
                let group_count = groups.len() as u64;
                let function = self.device.function("group_gather")?;
                let mut launch = stream.launch_builder(&function);
                launch.arg(&deltas_device).arg(&group_of).arg(&group_count).arg(&row_len).arg(&block_count);
                launch.arg(&mut out);
                // SAFETY: matches group_gather in kernels/ablation.cu; buffers as above.
                launched("group_gather", unsafe { launch.launch(grid(total)) })?;
            }
        }
        // The kernels write f32: widen them into the f64 the explanation holds.
        let mut floats = crate::alloc::try_filled("attributions (f32)", len, 0.0f32)?;
        download(stream, &out, &mut floats)?;
        attributions.extend(floats.iter().map(|&f| f64::from(f)));
        Ok(attributions)
    }

    fn gather_ablation_scratch_bytes(&self, masks: &Masks, blocks: usize, _threads: usize) -> usize {
        // The kernels' f32 attributions, downloaded before they are widened.
        blocks.saturating_mul(masks.row_len()).saturating_mul(std::mem::size_of::<f32>())
    }

    fn build_coalition_batch(&self, job: &CoalitionJob<'_>, items: Range<usize>, rows: &mut [f32]) -> Result<()> {
        let (n, slots) = (job.row_len(), items.len());
        if slots == 0 || n == 0 {
            return Ok(());
        }
        let stream = self.device.stream();
        let x = upload(stream, job.x)?;
        let background = upload(stream, job.background)?;
        let player_of = upload(stream, job.players.mask())?;
        let coalitions = upload(stream, job.coalitions)?;
        let mut out = zeros::<f32>(stream, slots * n)?;
        let (background_rows, words, row_len) = (job.background_rows() as u64, job.words as u64, n as u64);
        let (first, count) = (items.start as u64, slots as u64);
        let function = self.device.function("coalition_build_f32")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&x).arg(&background).arg(&background_rows).arg(&player_of).arg(&coalitions).arg(&words);
        launch.arg(&row_len).arg(&first).arg(&count).arg(&mut out);
        // SAFETY: matches coalition_build_f32 in kernels/coalition.cu; items index coalitions
        // below `coalitions.len() / words` and background rows below `background_rows`.
        launched("coalition_build_f32", unsafe { launch.launch(rows_grid(count, row_len)) })?;
        download(stream, &out, &mut rows[..slots * n])
    }

    /// Built on the host by the CPU reference: the listed rows serve a host-memory model
    /// (a device-memory model's rows are all built on the device, none skipped), and a
    /// short list gathers too little to repay uploading the job and reading the rows back.
    fn build_listed_coalition_rows(&self, job: &CoalitionJob<'_>, items: &[u32], rows: &mut [f32]) -> Result<()> {
        crate::backend::cpu::build_listed_coalition_rows(job, items, rows);
        Ok(())
    }

    fn reduce_background(
        &self,
        outputs: &[f32],
        output_len: usize,
        weights: &[f64],
        targets: &[u32],
        values: &mut [f64],
    ) -> Result<()> {
        let coalitions = values.len() / targets.len().max(1);
        if coalitions == 0 {
            return Ok(());
        }
        let stream = self.device.stream();
        let outputs_device = upload(stream, outputs)?;
        let weights_device = upload(stream, weights)?;
        let targets_device = upload(stream, targets)?;
        let mut out = zeros::<f64>(stream, values.len())?;
        let (output_len, background_rows) = (output_len as u64, weights.len() as u64);
        let (target_count, coalition_count) = (targets.len() as u64, coalitions as u64);
        let function = self.device.function("reduce_background")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&outputs_device).arg(&output_len).arg(&weights_device).arg(&background_rows);
        launch.arg(&targets_device).arg(&target_count).arg(&coalition_count).arg(&mut out);
        // SAFETY: matches reduce_background in kernels/coalition.cu; `outputs` holds
        // `coalitions × background_rows × output_len` values and targets are below output_len.
        launched("reduce_background", unsafe { launch.launch(grid(coalition_count * target_count)) })?;
        download(stream, &out, values)
    }

    fn build_path_batch(&self, job: &PathJob<'_>, points: Range<usize>, rows: &mut [f32]) -> Result<()> {
        let (n, count) = (job.row_len, points.len());
        if count == 0 || n == 0 {
            return Ok(());
        }
        let stream = self.device.stream();
        let device_points = job.points[points].iter().map(PathPointDevice::new).collect::<Result<Vec<_>>>()?;
        let point_buffer = upload_structs(stream, &device_points)?;
        let inputs = upload(stream, job.inputs)?;
        let baselines = upload(stream, job.baselines)?;
        let mut out = zeros::<f32>(stream, count * n)?;
        let (count, row_len) = (count as u64, n as u64);
        let function = self.device.function("path_build_f32")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&inputs).arg(&baselines).arg(&point_buffer).arg(&count).arg(&row_len).arg(&mut out);
        // SAFETY: matches path_build_f32 in kernels/path.cu; every point's rows exist in
        // `inputs` and `baselines` (the job's contract).
        launched("path_build_f32", unsafe { launch.launch(rows_grid(count, row_len)) })?;
        download(stream, &out, &mut rows[..count as usize * n])
    }

    fn accumulate_path_gradients(
        &self,
        job: &PathJob<'_>,
        points: Range<usize>,
        gradients: &[f32],
        accumulator: &mut [f64],
    ) -> Result<()> {
        let n = job.row_len;
        let chunk = &job.points[points];
        if chunk.is_empty() || n == 0 {
            return Ok(());
        }
        let segments = PathSegments::new(chunk)?;
        let rows = segments.rows.clone();
        let stream = self.device.stream();
        let device_points = chunk.iter().map(PathPointDevice::new).collect::<Result<Vec<_>>>()?;
        let point_buffer = upload_structs(stream, &device_points)?;
        let inputs = upload(stream, job.inputs)?;
        let baselines = upload(stream, job.baselines)?;
        let order = upload(stream, &segments.order)?;
        let starts = upload(stream, &segments.starts)?;
        let targets = upload(stream, &segments.targets)?;
        let gradients_device = upload(stream, &gradients[..chunk.len() * n])?;
        let touched = &mut accumulator[rows.start * n..rows.end * n];
        let mut acc = upload(stream, touched)?;
        let (segment_count, row_len) = (segments.targets.len() as u64, n as u64);
        let times_difference = u32::from(job.times_difference);
        let function = self.device.function("path_accumulate")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&inputs).arg(&baselines).arg(&point_buffer).arg(&order).arg(&starts).arg(&targets);
        launch.arg(&segment_count).arg(&gradients_device).arg(&row_len).arg(&times_difference).arg(&mut acc);
        // SAFETY: matches path_accumulate in kernels/path.cu; segment targets are relative to
        // `rows.start`, so they index the uploaded accumulator rows; gradients hold one row per point.
        launched("path_accumulate", unsafe { launch.launch(rows_grid(segment_count, row_len)) })?;
        download(stream, &acc, touched)
    }

    fn scale_by_difference(
        &self,
        inputs: &[f32],
        baselines: &[f32],
        row_len: usize,
        per_input: usize,
        accumulator: &mut [f64],
    ) -> Result<()> {
        if accumulator.is_empty() || row_len == 0 {
            return Ok(());
        }
        let stream = self.device.stream();
        let inputs_device = upload(stream, inputs)?;
        let baselines_device = upload(stream, baselines)?;
        let mut acc = upload(stream, accumulator)?;
        let (n, per, rows) = (row_len as u64, per_input as u64, (accumulator.len() / row_len) as u64);
        let function = self.device.function("path_scale_by_difference")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&inputs_device).arg(&baselines_device).arg(&n).arg(&per).arg(&rows).arg(&mut acc);
        // SAFETY: matches path_scale_by_difference in kernels/path.cu; accumulator row r
        // reads input and baseline row r / per_input, which exist by the trait's contract.
        launched("path_scale_by_difference", unsafe { launch.launch(grid(rows * n)) })?;
        download(stream, &acc, accumulator)
    }

    fn draw_gradient_shap(
        &self,
        job: &GradientShapDrawJob<'_>,
        samples: Range<usize>,
        baseline_index: &mut [u32],
        alpha: &mut [f32],
        noisy_inputs: &mut [f32],
    ) -> Result<()> {
        let (n, count) = (job.x.len(), samples.len());
        if count == 0 || n == 0 {
            return Ok(());
        }
        let stream = self.device.stream();
        let x = upload(stream, job.x)?;
        let mut indices = zeros::<u32>(stream, count)?;
        let mut alphas = zeros::<f32>(stream, count)?;
        let mut noisy = zeros::<f32>(stream, count * n)?;
        let (first, samples_count, row_len) = (samples.start as u64, count as u64, n as u64);
        let function = self.device.function("gradient_shap_draw")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&job.seed).arg(&job.row).arg(&first).arg(&samples_count).arg(&job.baseline_count).arg(&x);
        launch.arg(&row_len).arg(&job.stdev).arg(&mut indices).arg(&mut alphas).arg(&mut noisy);
        // SAFETY: matches gradient_shap_draw in kernels/path.cu; outputs hold `count`,
        // `count` and `count × row_len` values.
        launched("gradient_shap_draw", unsafe { launch.launch(grid(samples_count * row_len)) })?;
        download(stream, &indices, &mut baseline_index[..count])?;
        download(stream, &alphas, &mut alpha[..count])?;
        download(stream, &noisy, &mut noisy_inputs[..count * n])
    }

    fn grad_cam_map(
        &self,
        layer: [usize; 3],
        activations: &[f32],
        gradients: &[f32],
        relu: bool,
        maps: &mut [f32],
    ) -> Result<()> {
        let [channels, h, w] = layer;
        let plane = h * w;
        if channels * plane == 0 || maps.is_empty() {
            return Ok(());
        }
        let rows = maps.len() / plane;
        let stream = self.device.stream();
        let activations_device = upload(stream, &activations[..rows * channels * plane])?;
        let gradients_device = upload(stream, &gradients[..rows * channels * plane])?;
        let mut weights: CudaSlice<f64> = zeros(stream, rows * channels)?;
        let (planes, plane_len) = ((rows * channels) as u64, plane as u64);
        let function = self.device.function("grad_cam_channel_weights")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&gradients_device).arg(&planes).arg(&plane_len).arg(&mut weights);
        // SAFETY: matches grad_cam_channel_weights in kernels/grad_cam.cu; `gradients` holds
        // `planes × plane` values and `weights` `planes`.
        launched("grad_cam_channel_weights", unsafe { launch.launch(grid(planes)) })?;
        let mut out = zeros::<f32>(stream, rows * plane)?;
        let (row_count, channel_count, relu) = (rows as u64, channels as u64, u32::from(relu));
        let function = self.device.function("grad_cam_combine")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&activations_device).arg(&weights).arg(&row_count).arg(&channel_count).arg(&plane_len);
        launch.arg(&relu).arg(&mut out);
        // SAFETY: matches grad_cam_combine in kernels/grad_cam.cu; buffers as sized above.
        launched("grad_cam_combine", unsafe { launch.launch(grid(row_count * plane_len)) })?;
        download(stream, &out, maps)
    }

    fn upsample_bilinear(&self, maps: &[f32], from: [usize; 2], to: [usize; 2], resampled: &mut [f32]) -> Result<()> {
        let ([h, w], [out_h, out_w]) = (from, to);
        if h * w == 0 || out_h * out_w == 0 || maps.is_empty() {
            return Ok(());
        }
        let count = maps.len() / (h * w);
        let rows = bilinear_taps(h, out_h).iter().map(BilinearTapDevice::new).collect::<Result<Vec<_>>>()?;
        let cols = bilinear_taps(w, out_w).iter().map(BilinearTapDevice::new).collect::<Result<Vec<_>>>()?;
        let stream = self.device.stream();
        let maps_device = upload(stream, &maps[..count * h * w])?;
        let row_taps = upload_structs(stream, &rows)?;
        let col_taps = upload_structs(stream, &cols)?;
        let mut out = zeros::<f32>(stream, count * out_h * out_w)?;
        let (count, h, w, out_h, out_w) = (count as u64, h as u64, w as u64, out_h as u64, out_w as u64);
        let function = self.device.function("upsample_bilinear")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&maps_device).arg(&count).arg(&h).arg(&w).arg(&row_taps).arg(&out_h).arg(&col_taps);
        launch.arg(&out_w).arg(&mut out);
        // SAFETY: matches upsample_bilinear in kernels/grad_cam.cu; taps index inside h × w.
        launched("upsample_bilinear", unsafe { launch.launch(grid(count * out_h * out_w)) })?;
        download(stream, &out, &mut resampled[..(count * out_h * out_w) as usize])
    }
}

/// A chunk of path points grouped by accumulator row for `path_accumulate`: segment `s`
/// adds points `order[starts[s]..starts[s + 1]]` (increasing) to row `rows.start + targets[s]`.
struct PathSegments {
    order: Vec<u32>,
    starts: Vec<u32>,
    targets: Vec<u32>,
    rows: Range<usize>,
}

impl PathSegments {
    fn new(points: &[super::PathPoint]) -> Result<Self> {
        let first = points.iter().map(|p| p.target).min().unwrap_or(0);
        let last = points.iter().map(|p| p.target).max().unwrap_or(0);
        let mut order: Vec<u32> = (0..to_u32(points.len(), "path points per batch")?).collect();
        // Stable: points of one row keep their order.
        order.sort_by_key(|&q| points[q as usize].target);
        let (mut starts, mut targets) = (Vec::new(), Vec::new());
        for (j, &q) in order.iter().enumerate() {
            let target = to_u32(points[q as usize].target - first, "path accumulator row")?;
            if targets.last() != Some(&target) {
                starts.push(j as u32);
                targets.push(target);
            }
        }
        starts.push(order.len() as u32);
        Ok(Self { order, starts, targets, rows: first..last + 1 })
    }
}
