//! Runs a device-memory model on the CUDA backend: each batch is built on the device in
//! the model's input type (from operands uploaded once per run), handed to the model's
//! device callback with the backend's stream, and reduced on the device where the method
//! reduces per element (path gradients). Only per-row outputs come back to the host,
//! where they are checked for NaN/Inf like a host model's.
//!
//! Without the `cuda` feature [`DeviceRunner`] is uninhabited: the evaluator's device
//! branch compiles but can never be entered.

use super::evaluator::BatchSource;
use crate::backend::{AblationJob, CoalitionJob, PathJob};
use crate::element::Element;
use crate::error::Result;

#[cfg(feature = "cuda")]
pub use with_cuda::DeviceRunner;
#[cfg(not(feature = "cuda"))]
pub use without_cuda::DeviceRunner;

#[cfg(not(feature = "cuda"))]
mod without_cuda {
    use super::*;
    use crate::backend::Backend;
    use crate::error::{Error, ErrorKind};
    use crate::model::DeviceModel;

    /// A device run; never exists in a build without the `cuda` feature.
    #[derive(Debug)]
    pub enum DeviceRunner<'a> {
        /// Uninhabited.
        Never(std::convert::Infallible, std::marker::PhantomData<&'a ()>),
    }

    impl DeviceRunner<'_> {
        /// Always fails: this build has no CUDA backend.
        pub fn new(_backend: &dyn Backend, _model: &dyn DeviceModel) -> Result<Self> {
            Err(Error::new(
                ErrorKind::BackendUnavailable,
                "model: device-memory models need the CUDA backend, and this build of lumen has none (built without the `cuda` feature)",
            ))
        }
        /// See the CUDA build.
        pub fn predict(&self, _: &[f32], _: usize, _: &mut [f32], _: usize) -> Result<u64> {
            let Self::Never(never, _) = self;
            match *never {}
        }
        /// See the CUDA build.
        pub fn gradient(
            &self,
            _: &[f32],
            _: usize,
            _: &[u32],
            _: &mut [f32],
            _: Option<&mut [f32]>,
            _: usize,
        ) -> Result<u64> {
            let Self::Never(never, _) = self;
            match *never {}
        }
        /// See the CUDA build.
        pub fn ablation<E: Element>(&self, _: &AblationJob<'_, E>, _: usize, _: &mut [f32]) -> Result<u64> {
            let Self::Never(never, _) = self;
            match *never {}
        }
        /// See the CUDA build.
        pub fn coalitions<E: Element>(&self, _: &CoalitionJob<'_, E>, _: usize, _: &mut [f32]) -> Result<u64> {
            let Self::Never(never, _) = self;
            match *never {}
        }
        /// See the CUDA build.
        pub fn host_built<E: Element, S: BatchSource<E>>(&self, _: &S, _: usize, _: &mut [f32]) -> Result<u64> {
            let Self::Never(never, _) = self;
            match *never {}
        }
        /// See the CUDA build.
        pub fn paths<E: Element>(&self, _: &PathJob<'_, E>, _: &[u32], _: usize, _: &mut [f64]) -> Result<u64> {
            let Self::Never(never, _) = self;
            match *never {}
        }
    }
}

#[cfg(feature = "cuda")]
mod with_cuda {
    use std::ops::Range;

    use super::super::evaluator::ensure_finite_batch;
    use super::*;
    use crate::backend::cuda::batches::DeviceBatch;
    use crate::backend::cuda::CudaBackend;
    use crate::backend::{Backend, BackendKind};
    use crate::element::same_slice;
    use crate::error::{Error, ErrorKind};
    use crate::model::DeviceModel;

    /// One explanation's device-side evaluation of a device-memory model.
    pub struct DeviceRunner<'a> {
        backend: &'a CudaBackend,
        model: &'a dyn DeviceModel,
    }

    impl std::fmt::Debug for DeviceRunner<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("DeviceRunner").field("backend", self.backend).finish_non_exhaustive()
        }
    }

    impl<'a> DeviceRunner<'a> {
        /// A runner for `model` on `backend`, which must be the CUDA backend.
        pub fn new(backend: &'a dyn Backend, model: &'a dyn DeviceModel) -> Result<Self> {
            match backend.as_cuda() {
                Some(backend) => Ok(Self { backend, model }),
                None => Err(Error::new(
                    ErrorKind::BackendUnavailable,
                    format!(
                        "model: device-memory models need an engine on the CUDA backend; this engine runs {}",
                        if backend.kind() == BackendKind::Cpu { "cpu" } else { "another backend" }
                    ),
                )),
            }
        }

        fn row_len(&self) -> usize {
            self.model.signature().input_len()
        }

        fn output_len(&self) -> usize {
            self.model.signature().output_len
        }

        /// Consecutive batches of at most `batch_rows` (and the model's limit) over `rows`.
        fn batches(&self, rows: usize, batch_rows: usize) -> impl Iterator<Item = Range<usize>> {
            let limit = batch_rows.min(self.model.signature().max_batch_rows.unwrap_or(usize::MAX)).max(1);
            (0..rows).step_by(limit).map(move |start| start..(start + limit).min(rows))
        }

        /// Calls the model's forward pass on `rows` rows of `batch`, writes the outputs into
        /// `outputs` (host) and checks them.
        fn forward(
            &self,
            batch: &DeviceBatch,
            rows: usize,
            device_out: &cudarc::driver::CudaSlice<f32>,
            outputs: &mut [f32],
        ) -> Result<()> {
            let backend = self.backend;
            // SAFETY: `batch` holds `rows × input_len` elements of the model's type and
            // `device_out` `rows × output_len` f32; both live across the call and the download
            // below, which waits for the model's work on the same stream.
            unsafe {
                self.model.predict_device(
                    backend.address(&batch.bytes),
                    rows,
                    backend.address(device_out),
                    backend.raw_stream(),
                )?;
            }
            backend.download_f32(device_out, outputs)?;
            ensure_finite_batch(outputs, self.output_len(), rows, "predict_device", "output", "outputs")
        }

        /// Evaluates host rows `inputs` (`rows` rows), copied to the device in batches.
        pub fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32], batch_rows: usize) -> Result<u64> {
            let (n, m) = (self.row_len(), self.output_len());
            let capacity = batch_rows.min(rows).max(1);
            let mut batch = self.backend.batch_buffer(capacity, n, self.model.input_dtype())?;
            let device_out = self.backend.f32_buffer(capacity * m)?;
            for range in self.batches(rows, capacity) {
                self.backend.fill_batch(&inputs[range.start * n..range.end * n], &mut batch)?;
                self.forward(&batch, range.len(), &device_out, &mut outputs[range.start * m..range.end * m])?;
            }
            Ok(rows as u64)
        }

        /// Gradients of host rows `inputs` (copied to the device in batches).
        pub fn gradient(
            &self,
            inputs: &[f32],
            rows: usize,
            targets: &[u32],
            gradients: &mut [f32],
            mut outputs: Option<&mut [f32]>,
            batch_rows: usize,
        ) -> Result<u64> {
            let (n, m) = (self.row_len(), self.output_len());
            let capacity = batch_rows.min(rows).max(1);
            let mut batch = self.backend.batch_buffer(capacity, n, self.model.input_dtype())?;
            let device_gradients = self.backend.f32_buffer(capacity * n)?;
            let device_out = self.backend.f32_buffer(capacity * m)?;
            for range in self.batches(rows, capacity) {
                let k = range.len();
                self.backend.fill_batch(&inputs[range.start * n..range.end * n], &mut batch)?;
                let device_targets = self.backend.upload_u32(&targets[range.clone()])?;
                self.call_gradient(&batch, k, &device_targets, &device_gradients, &device_out)?;
                let out = &mut gradients[range.start * n..range.end * n];
                self.backend.download_f32(&device_gradients, out)?;
                ensure_finite_batch(out, n, k, "gradient_device", "element", "gradients")?;
                if let Some(outputs) = outputs.as_deref_mut() {
                    let out = &mut outputs[range.start * m..range.end * m];
                    self.backend.download_f32(&device_out, out)?;
                    ensure_finite_batch(out, m, k, "gradient_device", "output", "outputs")?;
                }
            }
            Ok(rows as u64)
        }

        fn call_gradient(
            &self,
            batch: &DeviceBatch,
            rows: usize,
            targets: &cudarc::driver::CudaSlice<u32>,
            gradients: &cudarc::driver::CudaSlice<f32>,
            outputs: &cudarc::driver::CudaSlice<f32>,
        ) -> Result<()> {
            let backend = self.backend;
            // SAFETY: every buffer holds what gradient_device's contract names for `rows`
            // rows and lives until the caller's download waits on the stream.
            unsafe {
                self.model.gradient_device(
                    backend.address(&batch.bytes),
                    rows,
                    backend.address(targets),
                    backend.address(gradients),
                    backend.address(outputs),
                    backend.raw_stream(),
                )
            }
        }

        /// Every item of `job`, built on the device batch by batch; outputs to the host.
        pub fn ablation<E: Element>(
            &self,
            job: &AblationJob<'_, E>,
            batch_rows: usize,
            outputs: &mut [f32],
        ) -> Result<u64> {
            let operands = self.backend.upload_ablation(job)?;
            self.run_built(job.items(), batch_rows, outputs, |items, batch| {
                self.backend.build_ablation_device(&operands, items, batch)
            })
        }

        /// Every item of `job`, built on the device batch by batch; outputs to the host.
        pub fn coalitions<E: Element>(
            &self,
            job: &CoalitionJob<'_, E>,
            batch_rows: usize,
            outputs: &mut [f32],
        ) -> Result<u64> {
            let operands = self.backend.upload_coalitions(job)?;
            self.run_built(job.items(), batch_rows, outputs, |items, batch| {
                self.backend.build_coalitions_device(&operands, items, batch)
            })
        }

        /// Rows of a host-built `source` (reference rows and the like), uploaded per batch.
        pub fn host_built<E: Element, S: BatchSource<E>>(
            &self,
            source: &S,
            batch_rows: usize,
            outputs: &mut [f32],
        ) -> Result<u64> {
            let rows = outputs.len() / self.output_len();
            let capacity = batch_rows.min(rows).max(1);
            let mut scratch = source.new_scratch(capacity)?;
            let n = self.row_len();
            self.run_built(rows, capacity, outputs, |items, batch| {
                let count = items.len();
                source.fill(&mut scratch, items)?;
                let rows = same_slice::<E, f32>(source.rows(&scratch, count))
                    .ok_or_else(|| Error::new(ErrorKind::Internal, "device run: a device model got non-f32 rows"))?;
                self.backend.fill_batch(&rows[..count * n], batch)
            })
        }

        fn run_built(
            &self,
            items: usize,
            batch_rows: usize,
            outputs: &mut [f32],
            mut build: impl FnMut(Range<usize>, &mut DeviceBatch) -> Result<()>,
        ) -> Result<u64> {
            let m = self.output_len();
            let capacity = batch_rows.min(items).max(1);
            let mut batch = self.backend.batch_buffer(capacity, self.row_len(), self.model.input_dtype())?;
            let device_out = self.backend.f32_buffer(capacity * m)?;
            for range in self.batches(items, capacity) {
                let out = &mut outputs[range.start * m..range.end * m];
                let k = range.len();
                build(range, &mut batch)?;
                self.forward(&batch, k, &device_out, out)?;
            }
            Ok(items as u64)
        }

        /// Integrated-Gradients-style paths on the device: each batch of points is built,
        /// differentiated by the model and accumulated without leaving the device; the
        /// accumulator comes back once at the end.
        pub fn paths<E: Element>(
            &self,
            job: &PathJob<'_, E>,
            targets: &[u32],
            batch_rows: usize,
            accumulator: &mut [f64],
        ) -> Result<u64> {
            let n = self.row_len();
            let operands = self.backend.upload_paths(job)?;
            let capacity = batch_rows.min(job.points.len()).max(1);
            let mut batch = self.backend.batch_buffer(capacity, n, self.model.input_dtype())?;
            let gradients = self.backend.f32_buffer(capacity * n)?;
            let unused_outputs = self.backend.f32_buffer(capacity * self.output_len())?;
            let mut device_accumulator = self.backend.upload_f64(accumulator)?;
            for range in self.batches(job.points.len(), capacity) {
                let k = range.len();
                self.backend.build_paths_device(&operands, range.clone(), &mut batch)?;
                let device_targets = self.backend.upload_u32(&targets[range.clone()])?;
                self.call_gradient(&batch, k, &device_targets, &gradients, &unused_outputs)?;
                if let Some(i) = self.backend.first_non_finite(&gradients, k * n)? {
                    return Err(Error::new(
                        ErrorKind::ModelNonFiniteOutput,
                        format!(
                            "model: the gradient_device callback wrote a non-finite value to element {} of row {} of a {k}-row batch; gradients must be finite",
                            i % n,
                            i / n
                        ),
                    ));
                }
                self.backend.accumulate_paths_device(&operands, range, &gradients, &mut device_accumulator)?;
            }
            self.backend.download_f64(&device_accumulator, accumulator)?;
            Ok(job.points.len() as u64)
        }
    }
}
