//! The CPU backend: rayon over slots and elements. This is the reference every other
//! backend is tested against.

use std::ops::Range;

use rayon::prelude::*;

use super::{AblationJob, AblationScratch, Backend, BackendKind, BaselineRow, Masks};

/// Work below this many elements per rayon task is not worth a task.
const MIN_ELEMENTS_PER_TASK: usize = 1 << 14;

/// The rayon reference backend (runs on the calling engine's thread pool).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuBackend;

fn apply_baseline(masks: &Masks, p: usize, baseline: BaselineRow<'_>, row: &mut [f32]) {
    masks.for_each_run(p, |start, len| match baseline {
        BaselineRow::Scalar(v) => row[start..start + len].fill(v),
        BaselineRow::Values(values) => row[start..start + len].copy_from_slice(&values[start..start + len]),
    });
}

fn build_slot(job: &AblationJob<'_>, item: usize, held: &mut Option<usize>, row: &mut [f32]) {
    let per_row = job.masks.len();
    let (input_row, p) = (item / per_row, item % per_row);
    let x = job.input_row(input_row);
    match *held {
        Some(previous) if previous == item => return,
        Some(previous) if previous / per_row == input_row => {
            job.masks.for_each_run(previous % per_row, |start, len| {
                row[start..start + len].copy_from_slice(&x[start..start + len]);
            });
        }
        _ => row.copy_from_slice(x),
    }
    apply_baseline(job.masks, p, job.baselines.row(input_row, job.row_len), row);
    *held = Some(item);
}

fn gather_one(masks: &Masks, deltas: &[f64], element: usize) -> f32 {
    match masks {
        Masks::Groups(groups) => deltas[groups.group_of(element)] as f32,
        Masks::Windows(windows) => {
            let mut sum = 0.0f64;
            let count = windows.for_each_covering(element, |p| sum += deltas[p]);
            if count == 0 {
                0.0
            } else {
                (sum / count as f64) as f32
            }
        }
    }
}

impl Backend for CpuBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Cpu
    }

    fn build_ablation_batch(&self, job: &AblationJob<'_>, items: Range<usize>, scratch: &mut AblationScratch) {
        let n = job.row_len;
        let slots = items.len();
        let min_slots = (MIN_ELEMENTS_PER_TASK / n.max(1)).max(1);
        scratch.rows[..slots * n]
            .par_chunks_mut(n)
            .zip(scratch.held[..slots].par_iter_mut())
            .zip(items)
            .with_min_len(min_slots)
            .for_each(|((row, held), item)| build_slot(job, item, held, row));
    }

    fn gather_ablation(&self, masks: &Masks, deltas: &[f64], attributions: &mut [f32]) {
        attributions
            .par_iter_mut()
            .enumerate()
            .with_min_len(MIN_ELEMENTS_PER_TASK / 16)
            .for_each(|(element, out)| *out = gather_one(masks, deltas, element));
    }
}
