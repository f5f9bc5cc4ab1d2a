//! The evaluation shared by Occlusion and Feature Ablation: f(x), f(baseline) and
//! f(x with perturbation p) for every row and perturbation, as output deltas.
//!
//! A perturbation that sets elements to the values they already have (a window of zero
//! pixels under a zero baseline, a one-hot column that is 0 ablated to 0) leaves the row
//! as it is, bit for bit: its delta is 0 without a model call.

use std::ops::Range;

use crate::alloc::{try_filled, try_with_capacity};
use crate::backend::{AblationJob, AblationSlots, BaselineRow, Baselines, Masks};
use crate::element::Element;
use crate::engine::memory::WorkingSet;
use crate::engine::scratch::Scratch;
use crate::engine::Engine;
use crate::error::Result;
use crate::model::evaluator::{BatchSource, DeviceJob};
use crate::model::{BatchPlan, Evaluator, MemorySpace, Model, ModelSignature};

/// What the model said about the rows, their baselines and their perturbations.
pub(super) struct AblationRun<E: Element> {
    /// `rows × targets` outputs at the input.
    pub predictions: Vec<E>,
    /// `rows × targets` outputs at the baseline.
    pub base_values: Vec<E>,
    /// `rows × targets × perturbations` deltas f(x) − f(x_p).
    pub deltas: Vec<f64>,
    /// Model rows evaluated for each input row (its own reference rows and the
    /// perturbations that change it).
    pub rows_per_input_row: Vec<u64>,
    /// Model rows evaluated in all.
    pub rows_evaluated: u64,
}

/// Plain copies of rows from two row sets laid end to end, built in buffers the engine
/// keeps between calls (every row a batch reads is written first).
struct ReferenceRows<'a, E: Element> {
    engine: &'a Engine,
    row_len: usize,
    inputs: &'a [E],
    baselines: &'a Baselines<E>,
}

impl<'a, E: Element> BatchSource<E> for ReferenceRows<'a, E> {
    type Scratch = Scratch<E>;

    fn new_scratch(&self, batch_rows: usize) -> Result<Scratch<E>> {
        self.engine.scratch(batch_rows.saturating_mul(self.row_len))
    }

    fn fill(&self, scratch: &mut Scratch<E>, rows: Range<usize>) -> Result<()> {
        let n = self.row_len;
        let input_rows = self.inputs.len() / n;
        let scratch = scratch.as_mut_slice();
        for (slot, row) in rows.enumerate() {
            let out = &mut scratch[slot * n..(slot + 1) * n];
            if row < input_rows {
                out.copy_from_slice(&self.inputs[row * n..(row + 1) * n]);
            } else {
                self.baselines.write_row(row - input_rows, out);
            }
        }
        Ok(())
    }

    fn rows<'s>(&self, scratch: &'s Scratch<E>, count: usize) -> &'s [E] {
        &scratch.as_slice()[..count * self.row_len]
    }
}

/// Perturbed rows built by the engine's backend: every item of the job, or the `listed` ones
/// (those that change their row).
struct PerturbedRows<'a, E: Element> {
    engine: &'a Engine,
    job: AblationJob<'a, E>,
    listed: Option<&'a [u32]>,
    batch_capacity: usize,
}

/// A worker's batch slots: their rows in a buffer the engine keeps between calls (so a
/// call neither allocates nor clears megabytes first; every slot starts empty and is
/// written whole before it is read), and the item each slot holds.
struct PerturbedSlots<E: Element> {
    rows: Scratch<E>,
    held: Vec<Option<usize>>,
}

impl<'a, E: Element> BatchSource<E> for PerturbedRows<'a, E> {
    type Scratch = PerturbedSlots<E>;

    fn new_scratch(&self, batch_rows: usize) -> Result<PerturbedSlots<E>> {
        let slots = batch_rows.min(self.batch_capacity);
        Ok(PerturbedSlots {
            rows: self.engine.scratch(slots.saturating_mul(self.job.row_len))?,
            held: try_filled("batch slots", slots, None)?,
        })
    }

    fn fill(&self, scratch: &mut PerturbedSlots<E>, rows: Range<usize>) -> Result<()> {
        let slots = AblationSlots { rows: scratch.rows.as_mut_slice(), held: &mut scratch.held };
        let backend = self.engine.backend_for::<E>();
        match self.listed {
            Some(items) => backend.build_listed_ablation_rows(&self.job, &items[rows], slots),
            None => backend.build_ablation_batch(&self.job, rows, slots),
        }
    }

    fn rows<'s>(&self, scratch: &'s PerturbedSlots<E>, count: usize) -> &'s [E] {
        &scratch.rows.as_slice()[..count * self.job.row_len]
    }

    fn device_job(&self) -> Option<DeviceJob<'_, E>> {
        self.listed.is_none().then_some(DeviceJob::Ablation(self.job))
    }
}

/// The items of `job` whose perturbation changes their row (some element's bits differ
/// from its baseline's), in order; `None` when every item does (or they do not fit `u32`).
fn changing_items<E: Element>(job: &AblationJob<'_, E>) -> Result<Option<Vec<u32>>> {
    let items = job.items();
    if items > u32::MAX as usize {
        return Ok(None);
    }
    let per_row = job.masks.len();
    let rows = items / per_row.max(1);
    let same = |a: E, b: E| a.widen().to_bits() == b.widen().to_bits();
    // Most perturbations change their first element, so the runs are asked until one does.
    let changes = |row: usize, p: usize| {
        let (x, baseline) = (job.input_row(row), job.baselines.row(row, job.row_len));
        job.masks.any_run(p, |start, len| {
            let x = &x[start..start + len];
            match baseline {
                BaselineRow::Scalar(v) => x.iter().any(|&e| !same(e, v)),
                BaselineRow::Values(values) => x.iter().zip(&values[start..start + len]).any(|(&e, &b)| !same(e, b)),
            }
        })
    };
    let mut changing: Option<Vec<u32>> = None;
    for row in 0..rows {
        for p in 0..per_row {
            let item = row * per_row + p;
            match (&mut changing, changes(row, p)) {
                (Some(list), true) => list.push(item as u32),
                (None, false) => {
                    let mut list = try_with_capacity("changing perturbations", items)?;
                    list.extend(0..item as u32);
                    changing = Some(list);
                }
                (Some(_), false) | (None, true) => {}
            }
        }
    }
    Ok(changing)
}

/// The rows to explain and how to perturb them, already validated by the method.
pub(super) struct AblationRequest<'a, E: Element> {
    /// `rows × input_len` inputs.
    pub inputs: &'a [E],
    /// Rows to explain.
    pub rows: usize,
    /// What perturbed elements become.
    pub baselines: &'a Baselines<E>,
    /// The perturbations of each row.
    pub masks: &'a Masks,
    /// The model outputs to explain.
    pub targets: &'a [u32],
    /// Caller's cap on rows per model call.
    pub perturbations_per_eval: Option<usize>,
}

/// What an ablation call holds besides its batches, its inputs and its result, counted
/// for the whole call (the deltas and the gather's scratch come after the batches, so the
/// count errs on the safe side): the masks, every model output (the reference rows' and
/// every perturbation's, whose rows are evaluated unless they change nothing), the list of
/// the perturbations that change their row, the output deltas and the attribution gather's
/// scratch.
fn working_set<E: Element>(
    engine: &Engine,
    signature: &ModelSignature,
    request: &AblationRequest<'_, E>,
    reference_rows: usize,
) -> WorkingSet {
    let &AblationRequest { rows, masks, targets, .. } = request;
    let items = rows.saturating_mul(masks.len());
    let listed = if signature.memory_space == MemorySpace::Host { items } else { 0 };
    let blocks = rows.saturating_mul(targets.len());
    let output_bytes = signature.output_len.saturating_mul(std::mem::size_of::<E>());
    let gather_bytes = engine.backend_for::<E>().gather_ablation_scratch_bytes(masks, blocks, engine.threads());
    engine
        .working_set()
        .hold("the feature groups' map", masks.heap_bytes(), 1)
        .hold("the reference rows' outputs", reference_rows, output_bytes)
        .hold("the perturbed rows' outputs", items, output_bytes)
        .hold("the list of perturbations that change their row", listed, std::mem::size_of::<u32>())
        .hold("the output deltas", items.saturating_mul(targets.len()), std::mem::size_of::<f64>())
        .hold("the attribution gather's scratch", gather_bytes, 1)
}

/// Evaluates every row, its baseline and each of its perturbations.
pub(super) fn run<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    request: &AblationRequest<'_, E>,
) -> Result<AblationRun<E>> {
    let &AblationRequest { inputs, rows, baselines, masks, targets, perturbations_per_eval } = request;
    let evaluator = Evaluator::with_backend(model, engine.backend());
    let signature = model.signature();
    let (row_len, output_len) = (signature.input_len(), signature.output_len);
    let threads = engine.threads();
    let baseline_rows = match baselines {
        Baselines::PerRow(_) => rows,
        Baselines::Scalar(_) | Baselines::Shared(_) => 1,
    };
    let reference_rows = rows + baseline_rows;
    let per_row = masks.len();
    let items = rows * per_row;
    let element_size = std::mem::size_of::<E>();
    let budget = working_set(engine, signature, request, reference_rows).batch_budget(row_len * element_size)?;

    let reference = ReferenceRows { engine, row_len, inputs, baselines };
    // Products past usize::MAX saturate, and their allocation then fails as out of memory.
    let mut reference_out = try_filled("reference outputs", reference_rows.saturating_mul(output_len), E::zero())?;
    let plan = BatchPlan::new(signature, reference_rows, row_len, element_size, budget, None, threads)?;
    evaluator.run(engine.pool(), plan, &reference, &mut reference_out)?;

    let job = AblationJob { inputs, row_len, baselines, masks };
    // A device-memory model's rows are built on the device, every one of them.
    let changing = match signature.memory_space {
        MemorySpace::Host => changing_items(&job)?,
        MemorySpace::Device => None,
    };
    let evaluated = changing.as_ref().map_or(items, Vec::len);
    let plan = BatchPlan::new(signature, evaluated, row_len, element_size, budget, perturbations_per_eval, threads)?;
    let mut perturbed_out = try_filled("perturbed outputs", evaluated.saturating_mul(output_len), E::zero())?;
    let source = PerturbedRows { engine, job, listed: changing.as_deref(), batch_capacity: plan.batch_rows };
    evaluator.run(engine.pool(), plan, &source, &mut perturbed_out)?;
    // Where each item's outputs are in `perturbed_out`, in item order; `None` for an
    // unchanged row.
    let mut next_evaluated = 0;
    let mut slot_of = |item: usize| match &changing {
        None => Some(item),
        Some(items) if items.get(next_evaluated) == Some(&(item as u32)) => {
            next_evaluated += 1;
            Some(next_evaluated - 1)
        }
        Some(_) => None,
    };

    let t = targets.len();
    let mut predictions = try_with_capacity("predictions", rows.saturating_mul(t))?;
    let mut base_values = try_with_capacity("base values", rows.saturating_mul(t))?;
    let mut deltas = try_with_capacity("output deltas", rows.saturating_mul(t).saturating_mul(per_row))?;
    let mut slots = try_with_capacity("perturbation slots", per_row)?;
    let per_row_baseline = matches!(baselines, Baselines::PerRow(_));
    let mut rows_per_input_row = Vec::with_capacity(rows);
    for r in 0..rows {
        slots.clear();
        slots.extend((0..per_row).map(|p| slot_of(r * per_row + p)));
        let x_out = &reference_out[r * output_len..(r + 1) * output_len];
        let b = rows + if baseline_rows == rows { r } else { 0 };
        let b_out = &reference_out[b * output_len..(b + 1) * output_len];
        for &target in targets {
            let target = target as usize;
            predictions.push(x_out[target]);
            base_values.push(b_out[target]);
            let fx = x_out[target].widen();
            deltas.extend(slots.iter().map(|slot| match slot {
                Some(slot) => fx - perturbed_out[slot * output_len + target].widen(),
                None => 0.0,
            }));
        }
        let changed = slots.iter().filter(|slot| slot.is_some()).count();
        rows_per_input_row.push(changed as u64 + 1 + u64::from(per_row_baseline));
    }
    Ok(AblationRun { predictions, base_values, deltas, rows_per_input_row, rows_evaluated: evaluator.rows_evaluated() })
}
