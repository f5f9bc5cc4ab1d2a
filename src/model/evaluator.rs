//! Calls a model within its limits: batches no larger than the model accepts or the
//! memory budget allows, calls serialised unless the model is concurrent, outputs
//! checked for NaN/Inf, model rows counted. Batch boundaries never depend on the thread
//! count, so a model that is deterministic per batch gives bit-identical results.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::device_run::DeviceRunner;
use super::{MemorySpace, Model, ModelSignature};
use crate::backend::{AblationJob, Backend, CoalitionJob, PathJob};
use crate::element::{first_non_finite, same_slice, same_slice_mut, Element};
use crate::engine::call_control::{self, CallControl};
use crate::error::{Error, ErrorKind, Result};
use crate::parallel;

/// Rows per batch when the caller does not choose: as many as fit in this many bytes of
/// inputs (at least one). Large enough to amortise a model call, small enough that the
/// first fill of a batch (a full copy of every row) stays cheap for 600 KB image rows.
const DEFAULT_BATCH_BYTES: usize = 4 << 20;

/// Unless the caller chooses the batch size, a concurrent host model's run is cut into at
/// least this many batches (while each keeps [`MIN_SPLIT_BATCH_ROWS`] rows), so that the
/// engine's workers share the model's work even where one batch would hold every row (a
/// KernelSHAP explanation of 50 000 rows of 16 floats). A constant, not the thread count:
/// the batches are the same on any number of threads.
const PARALLEL_BATCHES: usize = 16;

/// The fewest rows in a batch made by the split above: enough to amortise a model call.
const MIN_SPLIT_BATCH_ROWS: usize = 2048;

/// The same default for a device-memory model: a GPU needs far larger batches to amortise
/// a launch and a model call (still bounded by the memory budget).
const DEVICE_BATCH_BYTES: usize = 64 << 20;

/// How a run of model rows is cut into batches and spread over workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPlan {
    /// Rows per model call (the last call may have fewer).
    pub batch_rows: usize,
    /// Batches evaluated at the same time, each with its own scratch buffer.
    pub workers: usize,
}

impl BatchPlan {
    /// Plans `total_rows` rows of `row_len` elements of `element_size` bytes for
    /// `signature`, holding at most
    /// `budget_bytes` of batch inputs at once. `requested` caps the batch size (Captum's
    /// `perturbations_per_eval`); `threads` caps the workers of a concurrent model.
    pub fn new(
        signature: &ModelSignature,
        total_rows: usize,
        row_len: usize,
        element_size: usize,
        budget_bytes: usize,
        requested: Option<usize>,
        threads: usize,
    ) -> Result<Self> {
        let row_bytes = row_len.max(1) * element_size;
        let budget_rows = budget_bytes / row_bytes;
        if budget_rows == 0 {
            return Err(Error::new(
                ErrorKind::BudgetTooSmall,
                format!(
                    "memory_budget_bytes: {budget_bytes} cannot hold one batch row of {row_bytes} bytes (the input, and for gradient methods its gradient); expected >= {row_bytes}"
                ),
            ));
        }
        let default_bytes =
            if signature.memory_space == MemorySpace::Device { DEVICE_BATCH_BYTES } else { DEFAULT_BATCH_BYTES };
        let preferred = requested.unwrap_or((default_bytes / row_bytes).max(1));
        let largest = preferred
            .min(signature.max_batch_rows.unwrap_or(usize::MAX))
            .min(budget_rows)
            .min(total_rows.max(1))
            .max(1);
        let mut batches = total_rows.div_ceil(largest).max(1);
        if requested.is_none() && signature.concurrent && signature.memory_space == MemorySpace::Host {
            batches = batches.max((total_rows / MIN_SPLIT_BATCH_ROWS).min(PARALLEL_BATCHES));
        }
        // Unless the caller chose the size, the batches are made equal (as near as rows
        // allow), so that workers finish together: 90 000 rows in batches of at most
        // 52 000 are two of 45 000, not 52 000 and 38 000. Their size depends on the rows,
        // the limits and whether the model may be called concurrently, never on the
        // thread count.
        let batch_rows = match requested {
            Some(_) => largest,
            None => total_rows.div_ceil(batches).max(1),
        };
        let workers =
            if signature.concurrent { threads.max(1).min(budget_rows / batch_rows).min(batches).max(1) } else { 1 };
        Ok(Self { batch_rows, workers })
    }
}

/// Produces the input rows of a batched run (elements `E`), one batch at a time, into
/// per-worker scratch.
pub trait BatchSource<E: Element = f32>: Sync {
    /// Per-worker scratch space (e.g. a reusable batch buffer).
    type Scratch: Send;
    /// A scratch able to hold `batch_rows` rows; `OutOfMemory` when it cannot be had.
    fn new_scratch(&self, batch_rows: usize) -> Result<Self::Scratch>;
    /// Builds rows `rows` of the run into `scratch`.
    fn fill(&self, scratch: &mut Self::Scratch, rows: Range<usize>) -> Result<()>;
    /// The first `count` rows held by `scratch`, row-major.
    fn rows<'s>(&self, scratch: &'s Self::Scratch, count: usize) -> &'s [E];
    /// The primitive job behind the rows, when a device can build them itself (the
    /// evaluator of a device-memory model, always an f32 one, then never builds them on
    /// the host).
    fn device_job(&self) -> Option<DeviceJob<'_, E>> {
        None
    }
}

/// A batch source's rows as a primitive job a device backend can build.
#[derive(Debug, Clone, Copy)]
pub enum DeviceJob<'a, E: Element = f32> {
    /// Occlusion / ablation items.
    Ablation(AblationJob<'a, E>),
    /// Coalition × background items.
    Coalitions(CoalitionJob<'a, E>),
}

/// Fails on the first NaN or ±Inf of a batch of `rows` rows of `width` values that the
/// `callback` wrote (each value a `unit`, all of them `plural`).
pub(super) fn ensure_finite_batch<E: Element>(
    values: &[E],
    width: usize,
    rows: usize,
    callback: &str,
    unit: &str,
    plural: &str,
) -> Result<()> {
    match first_non_finite(values) {
        None => Ok(()),
        Some(i) => Err(Error::new(
            ErrorKind::ModelNonFiniteOutput,
            format!(
                "model: the {callback} callback wrote {} to {unit} {} of row {} of a {rows}-row batch; {plural} must be finite",
                values[i],
                i % width,
                i / width
            ),
        )),
    }
}

/// Calls one model on behalf of one explanation and counts the rows it evaluated.
/// A model that is not concurrent gets one worker per explanation ([`BatchPlan`]); calls
/// from explanations running at once are serialised by the model itself ([`HostModel`]
/// holds the lock for C callbacks).
///
/// [`HostModel`]: super::HostModel
pub struct Evaluator<'m, E: Element = f32> {
    model: &'m dyn Model<E>,
    rows_evaluated: AtomicU64,
    backend: Option<&'m dyn Backend>,
    /// The control of the call that created the evaluator (checked before every model call).
    control: Option<Arc<CallControl>>,
}

impl<'m, E: Element> Evaluator<'m, E> {
    /// An evaluator for `model` on the host. A device-memory model fails with
    /// `BackendUnavailable` (use [`Evaluator::with_backend`] where a method has a device path).
    pub fn new(model: &'m dyn Model<E>) -> Self {
        Self { model, rows_evaluated: AtomicU64::new(0), backend: None, control: call_control::current() }
    }

    /// An evaluator that runs a device-memory model on `backend` (the CUDA backend),
    /// and a host model as [`Evaluator::new`] does.
    pub fn with_backend(model: &'m dyn Model<E>, backend: &'m dyn Backend) -> Self {
        Self { model, rows_evaluated: AtomicU64::new(0), backend: Some(backend), control: call_control::current() }
    }

    /// The device runner for a device-memory model, `None` for a host model.
    fn device(&self) -> Result<Option<DeviceRunner<'m>>> {
        if self.model.signature().memory_space != MemorySpace::Device {
            return Ok(None);
        }
        let Some(device_model) = self.model.device() else {
            return Err(Error::new(
                ErrorKind::ModelCapabilityMissing,
                "model: its memory space is device but it has no device callbacks",
            ));
        };
        let Some(backend) = self.backend else {
            return Err(Error::new(
                ErrorKind::BackendUnavailable,
                "model: this method has no device-memory path; device-memory models are explained by Occlusion, Feature Ablation, KernelSHAP, Shapley Value Sampling, Integrated Gradients, Saliency and GradientSHAP on the CUDA backend",
            ));
        };
        DeviceRunner::new(backend, device_model).map(Some)
    }

    /// Whether the model runs on the device (a device-memory model on the CUDA backend);
    /// fails when it is a device-memory model that cannot run here.
    pub fn on_device(&self) -> Result<bool> {
        Ok(self.device()?.is_some())
    }

    /// Runs the points of `job` on the device: builds them, calls the model's device
    /// gradient and accumulates `weight · gradient` (⊙ (x − b) with `times_difference`)
    /// into `accumulator` on the device, at most `batch_rows` points per call. Only for a
    /// model for which [`Evaluator::on_device`] is true.
    pub fn device_path_gradients(
        &self,
        job: &PathJob<'_, E>,
        targets: &[u32],
        batch_rows: usize,
        accumulator: &mut [f64],
    ) -> Result<()> {
        let Some(device) = self.device()? else {
            return Err(Error::new(ErrorKind::Internal, "evaluator: device path requested for a host model"));
        };
        self.before_call()?;
        let rows = device.paths(job, targets, batch_rows, accumulator)?;
        self.rows_evaluated.fetch_add(rows, Ordering::Relaxed);
        self.after_call(rows as usize)
    }

    /// The model's signature.
    pub fn signature(&self) -> &ModelSignature {
        self.model.signature()
    }

    /// Announces `rows` model rows this call is about to evaluate (for its progress).
    pub fn plan_rows(&self, rows: usize) {
        if let Some(control) = &self.control {
            control.plan_rows(rows);
        }
    }

    /// Whether the call must stop (cancelled, past its deadline): checked before each
    /// model call.
    fn before_call(&self) -> Result<()> {
        self.control.as_ref().map_or(Ok(()), |control| control.check())
    }

    /// Counts `rows` model rows as done for the call's progress, and checks it again.
    fn after_call(&self, rows: usize) -> Result<()> {
        self.control.as_ref().map_or(Ok(()), |control| control.rows_done(rows))
    }

    /// Model rows evaluated so far.
    pub fn rows_evaluated(&self) -> u64 {
        self.rows_evaluated.load(Ordering::Relaxed)
    }

    /// Evaluates `rows` rows, split at the model's batch limit, and fails on any
    /// non-finite output.
    pub fn predict(&self, inputs: &[E], rows: usize, outputs: &mut [E]) -> Result<()> {
        let signature = self.model.signature();
        let (input_len, output_len) = (signature.input_len(), signature.output_len);
        if inputs.len() != rows * input_len || outputs.len() != rows * output_len {
            return Err(Error::new(ErrorKind::Internal, "evaluator: batch buffers do not match the row count"));
        }
        if let Some(device) = self.device()? {
            self.before_call()?;
            let batch_rows = DEVICE_BATCH_BYTES / (4 * input_len).max(1);
            let evaluated = device.predict(f32_view(inputs)?, rows, f32_view_mut(outputs)?, batch_rows)?;
            self.rows_evaluated.fetch_add(evaluated, Ordering::Relaxed);
            return self.after_call(evaluated as usize);
        }
        for batch in self.batches(rows) {
            let n = batch.len();
            let batch_out = &mut outputs[batch.start * output_len..batch.end * output_len];
            self.before_call()?;
            self.model.predict(&inputs[batch.start * input_len..batch.end * input_len], n, batch_out)?;
            self.rows_evaluated.fetch_add(n as u64, Ordering::Relaxed);
            ensure_finite_batch(batch_out, output_len, n, "predict", "output", "outputs")?;
            self.after_call(n)?;
        }
        Ok(())
    }

    /// Consecutive row ranges no larger than the model's batch limit.
    fn batches(&self, rows: usize) -> impl Iterator<Item = Range<usize>> {
        let limit = self.model.signature().max_batch_rows.unwrap_or(usize::MAX).max(1);
        (0..rows).step_by(limit).map(move |start| start..(start + limit).min(rows))
    }

    /// ∂ output_target / ∂ input for `rows` rows (one target per row), split at the
    /// model's batch limit; fails on any non-finite gradient or output. `outputs`, when
    /// given, receives the model's outputs too.
    pub fn gradient(
        &self,
        inputs: &[E],
        rows: usize,
        targets: &[u32],
        gradients: &mut [E],
        mut outputs: Option<&mut [E]>,
    ) -> Result<()> {
        let signature = self.model.signature();
        let (input_len, output_len) = (signature.input_len(), signature.output_len);
        if inputs.len() != rows * input_len || gradients.len() != rows * input_len || targets.len() != rows {
            return Err(Error::new(ErrorKind::Internal, "evaluator: gradient buffers do not match the row count"));
        }
        if let Some(device) = self.device()? {
            let batch_rows = DEVICE_BATCH_BYTES / (8 * input_len).max(1);
            self.before_call()?;
            let outputs = match outputs {
                Some(outputs) => Some(f32_view_mut(outputs)?),
                None => None,
            };
            let evaluated =
                device.gradient(f32_view(inputs)?, rows, targets, f32_view_mut(gradients)?, outputs, batch_rows)?;
            self.rows_evaluated.fetch_add(evaluated, Ordering::Relaxed);
            return self.after_call(evaluated as usize);
        }
        for batch in self.batches(rows) {
            let n = batch.len();
            let range = batch.start * input_len..batch.end * input_len;
            let batch_outputs =
                outputs.as_deref_mut().map(|o| &mut o[batch.start * output_len..batch.end * output_len]);
            let batch_gradients = &mut gradients[range.clone()];
            self.before_call()?;
            self.model.gradient(&inputs[range], n, &targets[batch.clone()], batch_gradients, batch_outputs)?;
            self.rows_evaluated.fetch_add(n as u64, Ordering::Relaxed);
            ensure_finite_batch(batch_gradients, input_len, n, "gradient", "element", "gradients")?;
            self.after_call(n)?;
        }
        if let Some(outputs) = outputs {
            if let Some(i) = first_non_finite(outputs) {
                return Err(Error::new(
                    ErrorKind::ModelNonFiniteOutput,
                    format!("model: the gradient callback wrote {} to output {i}; outputs must be finite", outputs[i]),
                ));
            }
        }
        Ok(())
    }

    /// Evaluates every row of `source` (`outputs.len() / output_len` rows) under `plan`,
    /// on `pool`. Each batch's outputs land at that batch's place, whichever worker ran it.
    /// On failure, the error of the lowest failing batch is returned.
    pub fn run<S: BatchSource<E>>(
        &self,
        pool: &rayon::ThreadPool,
        plan: BatchPlan,
        source: &S,
        outputs: &mut [E],
    ) -> Result<()> {
        self.plan_rows(outputs.len() / self.signature().output_len.max(1));
        self.before_call()?;
        if let Some(device) = self.device()? {
            let outputs = f32_view_mut(outputs)?;
            let evaluated = match source.device_job() {
                Some(DeviceJob::Ablation(job)) => device.ablation(&job, plan.batch_rows, outputs)?,
                Some(DeviceJob::Coalitions(job)) => device.coalitions(&job, plan.batch_rows, outputs)?,
                None => device.host_built(source, plan.batch_rows, outputs)?,
            };
            self.rows_evaluated.fetch_add(evaluated, Ordering::Relaxed);
            return self.after_call(evaluated as usize);
        }
        let workers = plan.workers.min(self.control.as_ref().and_then(|c| c.max_model_threads()).unwrap_or(usize::MAX));
        let plan = BatchPlan { workers: workers.max(1), ..plan };
        if plan.workers > 1 {
            self.run_workers(pool, plan, source, outputs)
        } else {
            parallel::install(pool, || self.run_in_order(plan, source, outputs))
        }
    }

    /// One batch after the other on one thread. (Building batch k + 1 on a second thread
    /// while the model runs batch k was measured slower: a rayon join per batch costs more
    /// than the incremental build it hides.)
    fn run_in_order<S: BatchSource<E>>(&self, plan: BatchPlan, source: &S, outputs: &mut [E]) -> Result<()> {
        let output_len = self.signature().output_len;
        let mut scratch = source.new_scratch(plan.batch_rows)?;
        for (batch, batch_out) in outputs.chunks_mut(plan.batch_rows * output_len).enumerate() {
            self.evaluate_batch(plan, source, &mut scratch, batch, batch_out)?;
        }
        Ok(())
    }

    /// Builds batch `batch` of `plan` into `scratch` and evaluates it into `batch_out`.
    fn evaluate_batch<S: BatchSource<E>>(
        &self,
        plan: BatchPlan,
        source: &S,
        scratch: &mut S::Scratch,
        batch: usize,
        batch_out: &mut [E],
    ) -> Result<()> {
        let rows = batch_out.len() / self.signature().output_len;
        let start = batch * plan.batch_rows;
        source.fill(scratch, start..start + rows)?;
        self.predict(source.rows(scratch, rows), rows, batch_out)
    }

    /// `plan.workers` workers, each with its own scratch, taking batches in turn (for
    /// models that may be called concurrently).
    fn run_workers<S: BatchSource<E>>(
        &self,
        pool: &rayon::ThreadPool,
        plan: BatchPlan,
        source: &S,
        outputs: &mut [E],
    ) -> Result<()> {
        let output_len = self.signature().output_len;
        let chunks = Mutex::new(outputs.chunks_mut(plan.batch_rows * output_len).enumerate());
        let failure: Mutex<Option<(usize, Error)>> = Mutex::new(None);
        let cancelled = AtomicBool::new(false);
        let worker = || {
            let mut scratch: Option<S::Scratch> = None;
            while !cancelled.load(Ordering::Relaxed) {
                let next = chunks.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).next();
                let Some((batch, batch_out)) = next else { break };
                let held = scratch.take().map_or_else(|| source.new_scratch(plan.batch_rows), Ok);
                let outcome = held.and_then(|mut held| {
                    let outcome = self.evaluate_batch(plan, source, &mut held, batch, batch_out);
                    scratch = Some(held);
                    outcome
                });
                if let Err(error) = outcome {
                    cancelled.store(true, Ordering::Relaxed);
                    let mut slot = failure.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    if slot.as_ref().is_none_or(|(first, _)| batch < *first) {
                        *slot = Some((batch, error));
                    }
                }
            }
        };
        pool.scope(|scope| {
            for _ in 0..plan.workers {
                scope.spawn(|_| worker());
            }
        });
        match failure.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()) {
            Some((_, error)) => Err(error),
            None => Ok(()),
        }
    }
}

/// A batch of a device-memory model as the f32 it is (device models are f32 only: a
/// double-precision device model is refused when it is created).
fn f32_view<E: Element>(values: &[E]) -> Result<&[f32]> {
    same_slice(values).ok_or_else(|| Error::new(ErrorKind::Internal, "evaluator: a device model got non-f32 rows"))
}

/// The mutable form of [`f32_view`].
fn f32_view_mut<E: Element>(values: &mut [E]) -> Result<&mut [f32]> {
    same_slice_mut(values).ok_or_else(|| Error::new(ErrorKind::Internal, "evaluator: a device model got non-f32 rows"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_size_respects_model_limit_budget_and_request() {
        let mut signature = ModelSignature::flat(1000, 1);
        let row = 4000;
        // Default: 4 MiB / 4000 B = 1048 rows, capped by the 100 rows of work.
        assert_eq!(BatchPlan::new(&signature, 100, 1000, 4, 256 << 20, None, 4).unwrap().batch_rows, 100);
        // 5000 rows in batches of at most 1048: five equal batches of 1000.
        assert_eq!(BatchPlan::new(&signature, 5000, 1000, 4, 256 << 20, None, 4).unwrap().batch_rows, 1000);
        assert_eq!(BatchPlan::new(&signature, 2097, 1000, 4, 256 << 20, None, 4).unwrap().batch_rows, 699);
        // The same batches on any number of threads.
        assert_eq!(BatchPlan::new(&signature, 2097, 1000, 4, 256 << 20, None, 1).unwrap().batch_rows, 699);
        assert_eq!(
            BatchPlan::new(&signature, 5000, 1000, 4, 10 * row, None, 4).unwrap(),
            BatchPlan { batch_rows: 10, workers: 1 }
        );
        assert_eq!(
            BatchPlan::new(&signature, 5000, 1000, 4, 40 * row, Some(10), 4).unwrap(),
            BatchPlan { batch_rows: 10, workers: 4 }
        );
        signature.max_batch_rows = Some(7);
        assert_eq!(BatchPlan::new(&signature, 5000, 1000, 4, 256 << 20, Some(10), 2).unwrap().batch_rows, 7);
        signature.concurrent = false;
        assert_eq!(BatchPlan::new(&signature, 5000, 1000, 4, 256 << 20, None, 8).unwrap().workers, 1);
        let e = BatchPlan::new(&signature, 5000, 1000, 4, row - 1, None, 8).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BudgetTooSmall);
    }

    #[test]
    fn a_concurrent_models_run_is_split_for_the_workers_whatever_the_thread_count() {
        // KernelSHAP's rows at budget 1000 over 50 background rows: 3.2 MB of 16 floats,
        // one batch by bytes, cut into 16 equal batches (the last one row short).
        let mut signature = ModelSignature::flat(16, 1);
        let rows = 50_051;
        for threads in [1, 2, 8, 32] {
            let plan = BatchPlan::new(&signature, rows, 16, 4, 256 << 20, None, threads).unwrap();
            assert_eq!(plan, BatchPlan { batch_rows: 3129, workers: threads.min(16) });
        }
        // Each split batch keeps at least 2048 rows: 4096 rows are two batches, 4095 one.
        assert_eq!(BatchPlan::new(&signature, 4096, 16, 4, 256 << 20, None, 2).unwrap().batch_rows, 2048);
        assert_eq!(BatchPlan::new(&signature, 4095, 16, 4, 256 << 20, None, 2).unwrap().batch_rows, 4095);
        // Rows already in more batches by bytes keep them: 48 batches of 4000-byte rows.
        assert_eq!(BatchPlan::new(&signature, 50_000, 1000, 4, 256 << 20, None, 2).unwrap().batch_rows, 1042);
        // A caller's size stands.
        assert_eq!(BatchPlan::new(&signature, rows, 16, 4, 256 << 20, Some(60_000), 2).unwrap().batch_rows, rows);
        // A device-memory model keeps its large batches, a serial one its one call.
        signature.memory_space = MemorySpace::Device;
        assert_eq!(BatchPlan::new(&signature, rows, 16, 4, 256 << 20, None, 2).unwrap().batch_rows, rows);
        signature.memory_space = MemorySpace::Host;
        signature.concurrent = false;
        assert_eq!(
            BatchPlan::new(&signature, rows, 16, 4, 256 << 20, None, 2).unwrap(),
            BatchPlan { batch_rows: rows, workers: 1 }
        );
    }
}
