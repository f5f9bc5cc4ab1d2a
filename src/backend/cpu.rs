//! The CPU backend: rayon over slots and elements. This is the reference every other
//! backend is tested against.

use std::mem::MaybeUninit;
use std::ops::Range;

use rayon::prelude::*;

use crate::alloc::{try_with_capacity, try_with_capacity_large};
use crate::element::Element;
use crate::error::Result;
use crate::parallel;
use crate::wide::avx2_dispatch;

use super::{
    ablation::MAX_WINDOW_RANK, stream_store, AblationJob, AblationSlots, Backend, BackendKind, BaselineRow,
    CoalitionJob, GradientShapDrawJob, GroupMap, Masks, PathJob, WindowGrid,
};

/// Work below this many elements per rayon task is not worth a task.
const MIN_ELEMENTS_PER_TASK: usize = 1 << 14;

/// Elements the group gather computes on the stack before writing them out.
const GROUP_GATHER_PIECE: usize = 256;

/// Coalitions whose background sums [`reduce_background`](CpuBackend::reduce_background)
/// runs side by side, each in its own order: a single sum would wait on each addition, and
/// four still waited on theirs (sixteen leave the loads the limit).
const REDUCE_BLOCK: usize = 16;

/// [`reduce_background`](CpuBackend::reduce_background) for `B` coalitions (`outputs`
/// and `values` theirs, one after the other), their sums side by side: each coalition's
/// over the background rows in order, from `Sum`'s −0 (as the CUDA kernel's).
#[inline(always)]
fn reduce_block<E: Element, const B: usize>(
    outputs: &[E],
    output_len: usize,
    weights: &[f64],
    targets: &[u32],
    values: &mut [f64],
) {
    let per_coalition = outputs.len() / B;
    let coalitions: [&[E]; B] = std::array::from_fn(|c| &outputs[c * per_coalition..(c + 1) * per_coalition]);
    for (t, &target) in targets.iter().enumerate() {
        let mut sums = [-0.0f64; B];
        for (r, &w) in weights.iter().enumerate() {
            let entry = r * output_len + target as usize;
            for (sum, coalition) in sums.iter_mut().zip(&coalitions) {
                *sum += w * coalition[entry].widen();
            }
        }
        for (values, sum) in values.chunks_exact_mut(targets.len()).zip(sums) {
            values[t] = sum;
        }
    }
}

/// Writes `rows` (whole rows of coalition `c`, over background rows `first_background..`):
/// each element from the explained row where its player is in the coalition, else from the
/// background row. `mask` is scratch.
fn build_coalition_rows<E: Element>(
    job: &CoalitionJob<'_, E>,
    c: usize,
    first_background: usize,
    rows: &mut [E],
    mask: &mut Vec<u32>,
) {
    if rows.is_empty() {
        return;
    }
    coalition_mask(job, c, mask);
    let n = mask.len();
    let x: &[u32] = &bytemuck::cast_slice(job.x)[..n];
    let rows = bytemuck::cast_slice_mut::<E, u32>(rows);
    let backgrounds = &bytemuck::cast_slice::<E, u32>(job.background)[first_background * n..];
    select_rows(mask, x, backgrounds, rows);
}

avx2_dispatch! {
    /// Writes each row of `rows` (`mask.len()` words each) under `mask`
    /// ([`coalition_mask`]): `x`'s words where the mask is set, the matching row of
    /// `backgrounds` elsewhere.
    ///
    /// The select works on the elements' bits as `u32` words (an f64 is two): it copies
    /// bits exactly, whatever the element type, and the compiler turns it into vector ands
    /// and ors, eight words at a time with AVX2 (four on the baseline x86-64).
    fn select_rows(mask: &[u32], x: &[u32], backgrounds: &[u32], rows: &mut [u32]) => portable_select_rows;
}

/// [`select_rows`], compiled into both of its copies.
#[inline(always)]
fn portable_select_rows(mask: &[u32], x: &[u32], backgrounds: &[u32], rows: &mut [u32]) {
    let n = mask.len();
    for (row, background) in rows.chunks_exact_mut(n).zip(backgrounds.chunks_exact(n)) {
        for (((out, &m), &x), &b) in row.iter_mut().zip(mask).zip(x).zip(background) {
            *out = (x & m) | (b & !m);
        }
    }
}

/// Sets `mask` to coalition `c`'s select mask over a row's `u32` words: all ones for the
/// words of elements whose player is in the coalition, zero for the others.
///
/// With fewer than 65 players and one word per element (f32), the common case, each word
/// is one shift of the coalition's single word of bits, a loop the compiler vectorises.
fn coalition_mask<E: Element>(job: &CoalitionJob<'_, E>, c: usize, mask: &mut Vec<u32>) {
    let words = std::mem::size_of::<E>() / std::mem::size_of::<u32>();
    mask.resize(job.row_len() * words, 0);
    let (bits, players) = (job.bits(c), job.players.mask());
    let select = |member: u64| 0u32.wrapping_sub((member & 1) as u32);
    match (words, bits) {
        (1, &[only]) => {
            for (word, &player) in mask.iter_mut().zip(players) {
                *word = select(only >> (player % 64));
            }
        }
        _ => {
            for (element_mask, &player) in mask.chunks_exact_mut(words).zip(players) {
                element_mask.fill(select(bits[player as usize / 64] >> (player % 64)));
            }
        }
    }
}

/// Writes the rows of the listed `items` of `job` into `rows`, in order (item `i` is
/// coalition `i / background_rows` over background row `i % background_rows`; the items of
/// one coalition adjacent, so that a coalition's mask is built once per task).
pub(super) fn build_listed_coalition_rows<E: Element>(job: &CoalitionJob<'_, E>, items: &[u32], rows: &mut [E]) {
    let (n, background_rows) = (job.row_len(), job.background_rows());
    if n == 0 || background_rows == 0 || items.is_empty() {
        return;
    }
    let words = n * std::mem::size_of::<E>() / std::mem::size_of::<u32>();
    let rows_per_task = (MIN_ELEMENTS_PER_TASK / n).max(1);
    let rows = bytemuck::cast_slice_mut::<E, u32>(&mut rows[..items.len() * n]);
    let background = bytemuck::cast_slice::<E, u32>(job.background);
    let x: &[u32] = &bytemuck::cast_slice(job.x)[..words];
    parallel::for_each_init(
        rows.par_chunks_mut(rows_per_task * words).zip(items.par_chunks(rows_per_task)),
        || (Vec::new(), usize::MAX),
        |(mask, masked), (rows, items)| {
            for (row, &item) in rows.chunks_exact_mut(words).zip(items) {
                let (c, b) = (item as usize / background_rows, item as usize % background_rows);
                if *masked != c {
                    coalition_mask(job, c, mask);
                    *masked = c;
                }
                select_rows(mask, x, &background[b * words..(b + 1) * words], row);
            }
        },
    );
}

/// Builds item `item_of(slot)` of `job` into each of the first `slots` of `scratch`'s slots.
fn build_ablation_slots<E: Element>(
    job: &AblationJob<'_, E>,
    slots: usize,
    item_of: impl Fn(usize) -> usize + Sync,
    scratch: AblationSlots<'_, E>,
) {
    let n = job.row_len;
    let per_row = job.masks.len();
    // Slots that must copy a whole row (first use, or a new input row) are worth
    // spreading over threads; the usual restore-and-reapply of one perturbation is not.
    let full_copies = scratch.held[..slots]
        .iter()
        .enumerate()
        .filter(|(slot, held)| held.is_none_or(|previous| previous / per_row != item_of(*slot) / per_row))
        .count();
    let rows = scratch.rows[..slots * n].chunks_mut(n);
    if full_copies * n < 2 * MIN_ELEMENTS_PER_TASK {
        for (slot, (row, held)) in rows.zip(&mut scratch.held[..slots]).enumerate() {
            build_slot(job, item_of(slot), held, row);
        }
    } else {
        let slots = scratch.rows[..slots * n]
            .par_chunks_mut(n)
            .zip(scratch.held[..slots].par_iter_mut())
            .enumerate()
            .with_min_len((MIN_ELEMENTS_PER_TASK / n.max(1)).max(1));
        parallel::for_each(slots, |(slot, (row, held))| build_slot(job, item_of(slot), held, row));
    }
}

/// Builds the listed `items` of `job` into the first `items.len()` of `scratch`'s slots.
pub(super) fn build_listed_ablation_rows<E: Element>(
    job: &AblationJob<'_, E>,
    items: &[u32],
    scratch: AblationSlots<'_, E>,
) {
    build_ablation_slots(job, items.len(), |slot| items[slot] as usize, scratch);
}

/// The rayon reference backend (runs on the calling engine's thread pool).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuBackend;

fn apply_baseline<E: Element>(masks: &Masks, p: usize, baseline: BaselineRow<'_, E>, row: &mut [E]) {
    masks.for_each_run(p, |start, len| match baseline {
        BaselineRow::Scalar(v) => row[start..start + len].fill(v),
        BaselineRow::Values(values) => row[start..start + len].copy_from_slice(&values[start..start + len]),
    });
}

fn build_slot<E: Element>(job: &AblationJob<'_, E>, item: usize, held: &mut Option<usize>, row: &mut [E]) {
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

/// [`Backend::gather_ablation`]: the attributions of every block of `deltas` under
/// `masks`, written by streaming stores ([`stream_store`]) when the whole output holds at
/// least `streaming_bytes`.
fn gather_attributions<E: Element>(masks: &Masks, deltas: &[f64], streaming_bytes: usize) -> Result<Vec<f64>> {
    let (per_block, row_len) = (masks.len().max(1), masks.row_len());
    let blocks = deltas.len() / per_block;
    // A product past usize::MAX saturates, and the allocation then fails as out of memory.
    let len = blocks.saturating_mul(row_len);
    let mut attributions = try_with_capacity_large("attributions", len)?;
    if len == 0 {
        return Ok(attributions);
    }
    let stream = len.saturating_mul(std::mem::size_of::<f64>()) >= streaming_bytes;
    match masks {
        Masks::Groups(groups) => {
            // Each group's delta rounded once; each element's then staged a piece at a time.
            let mut rounded = try_with_capacity("rounded group deltas", deltas.len())?;
            rounded.extend(deltas.iter().map(|&delta| E::TYPE.round(delta)));
            let out = &mut attributions.spare_capacity_mut()[..len];
            let pairs = rounded.par_chunks(per_block).zip(out.par_chunks_mut(row_len));
            parallel::for_each(pairs, |(rounded, out)| gather_groups(groups, rounded, out, stream));
        }
        Masks::Windows(windows) => {
            let last = windows.shape().len() - 1;
            let columns: Vec<Range<usize>> = (0..windows.shape()[last]).map(|c| windows.covering(last, c)).collect();
            let out = &mut attributions.spare_capacity_mut()[..len];
            let pairs = deltas.par_chunks(per_block).zip(out.par_chunks_mut(row_len));
            parallel::for_each_init(
                pairs,
                || (Vec::new(), Vec::new()),
                |(line_sums, row), (deltas, out)| {
                    gather_windows::<E>(windows, &columns, deltas, line_sums, row, out, stream)
                },
            );
        }
    }
    // SAFETY: the gather above wrote each of the first `len` elements: the pairs cover
    // all `blocks` blocks of `row_len` elements (`blocks × row_len = len`), the group
    // gather writes every element of a block, and `gather_windows` every element of
    // every row of its block (`row_len` is the window grid's element count, which its
    // row length divides).
    unsafe { attributions.set_len(len) };
    Ok(attributions)
}

/// What [`gather_attributions`] allocates besides its output, at most: the group gather's
/// rounded deltas, or the window gather's column ranges and each thread's line sums and
/// row.
fn gather_scratch_bytes(masks: &Masks, blocks: usize, threads: usize) -> usize {
    let f64_bytes = std::mem::size_of::<f64>();
    match masks {
        Masks::Groups(groups) => blocks.saturating_mul(groups.len()).saturating_mul(f64_bytes),
        Masks::Windows(windows) => {
            let last = windows.shape().len() - 1;
            let width = windows.shape()[last];
            let lines = windows.len() / windows.positions()[last].max(1);
            let per_thread = lines.saturating_add(1).saturating_mul(width).saturating_mul(f64_bytes);
            let columns = width.saturating_mul(std::mem::size_of::<Range<usize>>());
            threads.max(1).saturating_mul(per_thread).saturating_add(columns)
        }
    }
}

/// One block of the group gather: each element's attribution is its group's rounded delta
/// (`rounded`), computed a piece at a time on the stack and written out, by streaming
/// stores with `stream` (fenced before the block returns).
fn gather_groups(groups: &GroupMap, rounded: &[f64], out: &mut [MaybeUninit<f64>], stream: bool) {
    parallel::for_each(out.par_chunks_mut(MIN_ELEMENTS_PER_TASK).enumerate(), |(chunk, out)| {
        let mut staged = [0.0; GROUP_GATHER_PIECE];
        let first = chunk * MIN_ELEMENTS_PER_TASK;
        for (piece, out) in out.chunks_mut(GROUP_GATHER_PIECE).enumerate() {
            let start = first + piece * GROUP_GATHER_PIECE;
            let staged = &mut staged[..out.len()];
            for (element, value) in (start..).zip(staged.iter_mut()) {
                *value = rounded[groups.group_of(element)];
            }
            stream_store::write(out, staged, stream);
        }
        if stream {
            stream_store::fence();
        }
    });
}

/// One block of the window gather: each element's attribution is the mean of the deltas
/// of the windows covering it (0 where none does), the same bits as the CUDA kernel.
///
/// Windows go by lines (the windows that differ only in their last-dimension position).
/// First each line's column sums: for every column, the deltas of the line's windows
/// covering it, in position order. An element's sum is then its column's sums over the
/// lines covering its row, in line order, which is increasing window order: the same for
/// every element whatever the threads, and a whole row at a time (vectorised). Each
/// attribution is written once; its cover count is its lines times its column's windows.
/// With `stream` the rows are written by streaming stores ([`stream_store`]), fenced
/// before the block returns.
fn gather_windows<E: Element>(
    windows: &WindowGrid,
    columns: &[Range<usize>],
    deltas: &[f64],
    line_sums: &mut Vec<f64>,
    row: &mut Vec<f64>,
    out: &mut [MaybeUninit<f64>],
    stream: bool,
) {
    let (rank, width) = (windows.shape().len(), columns.len());
    let leading = rank - 1;
    let per_line = windows.positions()[leading];
    line_sums.clear();
    for line_deltas in deltas.chunks_exact(per_line) {
        // Neighbouring columns under the same windows (a stride's columns) share one sum.
        let mut last: (Range<usize>, f64) = (0..0, 0.0);
        line_sums.extend(columns.iter().map(|covering| {
            if *covering != last.0 {
                last = (covering.clone(), line_deltas[covering.clone()].iter().fold(0.0, |s, &d| s + d));
            }
            last.1
        }));
    }
    let mut ranges: [Range<usize>; MAX_WINDOW_RANK] = Default::default();
    let mut previous: Option<[Range<usize>; MAX_WINDOW_RANK]> = None;
    let mut divisors = RowDivisors::default();
    row.resize(width, 0.0);
    for (r, out_row) in out.chunks_exact_mut(width).enumerate() {
        // The covering positions along every leading dimension, and how many lines they make.
        let mut rest = r;
        let mut lines = 1;
        for d in (0..leading).rev() {
            let shape = windows.shape()[d];
            ranges[d] = windows.covering(d, rest % shape);
            rest /= shape;
            lines *= ranges[d].len();
        }
        // Rows covered by the same windows (a stride's rows, or the channels under one
        // window) have the same attributions: the row is summed (cache-resident) once for
        // them and written out for each.
        if previous.as_ref() != Some(&ranges) {
            sum_row_lines(windows, &ranges[..leading], lines, line_sums, row);
            if lines > 0 {
                divisors.set_lines(lines, columns);
                divisors.divide::<E>(row);
            }
            previous = Some(ranges.clone());
        }
        stream_store::write(out_row, row, stream);
    }
    if stream {
        stream_store::fence();
    }
}

/// Sums into `row` the column sums of the `lines` lines that `ranges` (one range of
/// positions per leading dimension) cover, in increasing line order; zeros when none do.
fn sum_row_lines(windows: &WindowGrid, ranges: &[Range<usize>], lines: usize, line_sums: &[f64], row: &mut [f64]) {
    let width = row.len();
    if lines == 0 {
        row.fill(0.0);
        return;
    }
    let mut at: [usize; MAX_WINDOW_RANK] = std::array::from_fn(|d| ranges.get(d).map_or(0, |r| r.start));
    let mut first = true;
    loop {
        let line = (0..ranges.len()).fold(0, |line, d| line * windows.positions()[d] + at[d]);
        let sums = &line_sums[line * width..(line + 1) * width];
        // The first line is copied, not added to zeros: a line sum is never −0, so the
        // bits are those of a sum started at 0.
        if first {
            row.copy_from_slice(sums);
            first = false;
        } else {
            row.iter_mut().zip(sums).for_each(|(sum, &line_sum)| *sum += line_sum);
        }
        // Odometer over the leading dimensions, last one fastest (increasing line order).
        let Some(d) = (0..ranges.len()).rev().find(|&d| at[d] + 1 < ranges[d].end) else {
            break;
        };
        at[d] += 1;
        (d + 1..ranges.len()).for_each(|e| at[e] = ranges[e].start);
    }
}

/// The cover counts of one row's elements (its lines times each column's windows), as
/// divisors, kept while consecutive rows have the same number of lines.
#[derive(Default)]
struct RowDivisors {
    lines: usize,
    counts: Vec<f64>,
    /// `1 / count` per element, when every count is a power of two (then multiplying by it
    /// is exactly dividing: both round the same real number once); empty otherwise.
    reciprocals: Vec<f64>,
}

impl RowDivisors {
    fn set_lines(&mut self, lines: usize, columns: &[Range<usize>]) {
        if lines == self.lines && self.counts.len() == columns.len() {
            return;
        }
        self.lines = lines;
        // An uncovered element's sum is 0: any divisor keeps it 0.
        self.counts.clear();
        self.counts.extend(columns.iter().map(|covering| (lines * covering.len()).max(1) as f64));
        self.reciprocals.clear();
        if columns.iter().all(|covering| (lines * covering.len()).max(1).is_power_of_two()) {
            self.reciprocals.extend(self.counts.iter().map(|count| 1.0 / count));
        }
    }

    /// `row[j] ← row[j] / count[j]`, rounded to `E`.
    fn divide<E: Element>(&self, row: &mut [f64]) {
        if self.reciprocals.is_empty() {
            for (value, &count) in row.iter_mut().zip(&self.counts) {
                *value = E::from_f64(*value / count).widen();
            }
        } else {
            for (value, &reciprocal) in row.iter_mut().zip(&self.reciprocals) {
                *value = E::from_f64(*value * reciprocal).widen();
            }
        }
    }
}

impl<E: Element> Backend<E> for CpuBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Cpu
    }

    fn build_ablation_batch(
        &self,
        job: &AblationJob<'_, E>,
        items: Range<usize>,
        slots: AblationSlots<'_, E>,
    ) -> Result<()> {
        build_ablation_slots(job, items.len(), |slot| items.start + slot, slots);
        Ok(())
    }

    fn build_listed_ablation_rows(
        &self,
        job: &AblationJob<'_, E>,
        items: &[u32],
        slots: AblationSlots<'_, E>,
    ) -> Result<()> {
        build_listed_ablation_rows(job, items, slots);
        Ok(())
    }

    fn gather_ablation(&self, masks: &Masks, deltas: &[f64]) -> Result<Vec<f64>> {
        gather_attributions::<E>(masks, deltas, stream_store::STREAMING_BYTES)
    }

    fn gather_ablation_scratch_bytes(&self, masks: &Masks, blocks: usize, threads: usize) -> usize {
        gather_scratch_bytes(masks, blocks, threads)
    }

    fn build_coalition_batch(&self, job: &CoalitionJob<'_, E>, items: Range<usize>, rows: &mut [E]) -> Result<()> {
        let (n, background_rows) = (job.row_len(), job.background_rows());
        if n == 0 || background_rows == 0 || items.is_empty() {
            return Ok(());
        }
        // The batch may start and end inside a coalition: split off the head's rows, then
        // build whole coalitions (one mask each) in parallel.
        let rows = &mut rows[..items.len() * n];
        let (first, skipped) = (items.start / background_rows, items.start % background_rows);
        let head_len = ((background_rows - skipped) % background_rows).min(items.len()) * n;
        let (head, tail) = rows.split_at_mut(head_len);
        let mut mask = Vec::new();
        build_coalition_rows(job, first, skipped, head, &mut mask);
        let first_whole = first + usize::from(head_len > 0);
        let coalitions = tail
            .par_chunks_mut(background_rows * n)
            .enumerate()
            .with_min_len((MIN_ELEMENTS_PER_TASK / (background_rows * n)).max(1));
        parallel::for_each_init(coalitions, Vec::new, |mask, (offset, rows)| {
            build_coalition_rows(job, first_whole + offset, 0, rows, mask)
        });
        Ok(())
    }

    fn build_listed_coalition_rows(&self, job: &CoalitionJob<'_, E>, items: &[u32], rows: &mut [E]) -> Result<()> {
        build_listed_coalition_rows(job, items, rows);
        Ok(())
    }

    fn reduce_background(
        &self,
        outputs: &[E],
        output_len: usize,
        weights: &[f64],
        targets: &[u32],
        values: &mut [f64],
    ) -> Result<()> {
        let per_coalition = weights.len() * output_len;
        if per_coalition == 0 || targets.is_empty() {
            // Sums over no background rows (or no values at all): `Sum`'s −0.
            values.fill(-0.0);
            return Ok(());
        }
        let blocks =
            values.par_chunks_mut(targets.len() * REDUCE_BLOCK).zip(outputs.par_chunks(per_coalition * REDUCE_BLOCK));
        parallel::for_each(blocks, |(values, outputs)| {
            if values.len() == targets.len() * REDUCE_BLOCK {
                reduce_block::<E, REDUCE_BLOCK>(outputs, output_len, weights, targets, values);
            } else {
                let coalitions = values.chunks_exact_mut(targets.len()).zip(outputs.chunks_exact(per_coalition));
                coalitions
                    .for_each(|(values, outputs)| reduce_block::<E, 1>(outputs, output_len, weights, targets, values));
            }
        });
        Ok(())
    }

    fn build_path_batch(&self, job: &PathJob<'_, E>, points: Range<usize>, rows: &mut [E]) -> Result<()> {
        let n = job.row_len;
        let rows = rows[..points.len() * n]
            .par_chunks_mut(n)
            .zip(&job.points[points])
            .with_min_len((MIN_ELEMENTS_PER_TASK / n.max(1)).max(1));
        parallel::for_each(rows, |(row, point)| {
            let (x, b) = (job.input(point.input), job.baseline(point.baseline));
            for ((out, &x), &b) in row.iter_mut().zip(x).zip(b) {
                *out = b + point.alpha * (x - b);
            }
        });
        Ok(())
    }

    fn accumulate_path_gradients(
        &self,
        job: &PathJob<'_, E>,
        points: Range<usize>,
        gradients: &[E],
        accumulator: &mut [f64],
    ) -> Result<()> {
        let n = job.row_len;
        let points = &job.points[points];
        // Only the accumulator rows the batch adds to are visited: a batch of a long run
        // touches a few of them, and scanning all would make the run quadratic.
        let Some(first) = points.iter().map(|p| p.target).min() else {
            return Ok(());
        };
        let last = points.iter().map(|p| p.target).max().unwrap_or(first);
        let touched = &mut accumulator[first * n..(last + 1) * n];
        // Elements are independent: split every accumulator row into chunks and let each
        // chunk add the points in order (deterministic whatever the threads).
        let rows = touched.par_chunks_mut(n).enumerate().map(|(row, acc)| (first + row, acc));
        parallel::for_each(rows, |(target, acc)| {
            parallel::for_each(acc.par_chunks_mut(MIN_ELEMENTS_PER_TASK).enumerate(), |(chunk, acc)| {
                let offset = chunk * MIN_ELEMENTS_PER_TASK;
                let span = offset..offset + acc.len();
                for (point, gradient) in points.iter().zip(gradients.chunks_exact(n)) {
                    if point.target != target {
                        continue;
                    }
                    let gradient = &gradient[span.clone()];
                    if job.times_difference {
                        let x = &job.input(point.input)[span.clone()];
                        let b = &job.baseline(point.baseline)[span.clone()];
                        for (((a, &g), &x), &b) in acc.iter_mut().zip(gradient).zip(x).zip(b) {
                            *a += point.weight * g.widen() * (x.widen() - b.widen());
                        }
                    } else {
                        for (a, &g) in acc.iter_mut().zip(gradient) {
                            *a += point.weight * g.widen();
                        }
                    }
                }
            });
        });
        Ok(())
    }

    fn scale_by_difference(
        &self,
        inputs: &[E],
        baselines: &[E],
        row_len: usize,
        per_input: usize,
        accumulator: &mut [f64],
    ) -> Result<()> {
        parallel::for_each(accumulator.par_chunks_mut(row_len).enumerate(), |(row, acc)| {
            let r = row / per_input;
            let (x, b) = (&inputs[r * row_len..(r + 1) * row_len], &baselines[r * row_len..(r + 1) * row_len]);
            for ((a, &x), &b) in acc.iter_mut().zip(x).zip(b) {
                *a *= x.widen() - b.widen();
            }
        });
        Ok(())
    }
    fn draw_gradient_shap(
        &self,
        job: &GradientShapDrawJob<'_, E>,
        samples: Range<usize>,
        baseline_index: &mut [u32],
        alpha: &mut [E],
        noisy_inputs: &mut [E],
    ) -> Result<()> {
        let n = job.x.len();
        let draws = baseline_index[..samples.len()]
            .par_iter_mut()
            .zip(&mut alpha[..samples.len()])
            .zip(noisy_inputs[..samples.len() * n].par_chunks_mut(n.max(1)))
            .zip(samples);
        parallel::for_each(draws, |(((index, alpha), row), j)| {
            (*index, *alpha) = job.sample(j as u64);
            job.noisy_input(j as u64, row);
        });
        Ok(())
    }

    fn grad_cam_map(
        &self,
        layer: [usize; 3],
        activations: &[E],
        gradients: &[E],
        relu: bool,
        maps: &mut [E],
    ) -> Result<()> {
        let [channels, h, w] = layer;
        let plane = h * w;
        let row_len = channels * plane;
        if row_len == 0 {
            return Ok(());
        }
        // Rows are independent; within a row, channels are added in order.
        let rows = maps
            .par_chunks_mut(plane)
            .zip(activations.par_chunks(row_len))
            .zip(gradients.par_chunks(row_len))
            .with_min_len((MIN_ELEMENTS_PER_TASK / row_len).max(1));
        parallel::for_each_init(
            rows,
            || vec![0.0f64; plane],
            |sums, ((map, activations), gradients)| grad_cam_row(plane, activations, gradients, relu, sums, map),
        );
        Ok(())
    }

    fn upsample_bilinear(&self, maps: &[E], from: [usize; 2], to: [usize; 2], resampled: &mut [E]) -> Result<()> {
        let ([h, w], [out_h, out_w]) = (from, to);
        if h * w == 0 || out_h * out_w == 0 {
            return Ok(());
        }
        let (rows, cols) = (super::bilinear_taps(h, out_h), super::bilinear_taps(w, out_w));
        // Each output line (one output y of one map) is independent of the others.
        let lines = resampled[..maps.len() / (h * w) * out_h * out_w]
            .par_chunks_mut(out_w)
            .enumerate()
            .with_min_len((MIN_ELEMENTS_PER_TASK / out_w).max(1));
        parallel::for_each(lines, |(line, out)| {
            let (map, y) = (line / out_h, line % out_h);
            let map = &maps[map * h * w..(map + 1) * h * w];
            let tap = rows[y];
            let (lo, hi) = (&map[tap.lo * w..(tap.lo + 1) * w], &map[tap.hi * w..(tap.hi + 1) * w]);
            for (out, col) in out.iter_mut().zip(&cols) {
                let at = |line: &[E]| col.lo_weight * line[col.lo].widen() + col.hi_weight * line[col.hi].widen();
                *out = E::from_f64(tap.lo_weight * at(lo) + tap.hi_weight * at(hi));
            }
        });
        Ok(())
    }
}

/// One row of the Grad-CAM map: channel weights are the mean of each channel's
/// gradients, the map their weighted sum of activation planes (f64, channel order).
fn grad_cam_row<E: Element>(
    plane: usize,
    activations: &[E],
    gradients: &[E],
    relu: bool,
    sums: &mut [f64],
    map: &mut [E],
) {
    sums.fill(0.0);
    for (activation, gradient) in activations.chunks_exact(plane).zip(gradients.chunks_exact(plane)) {
        let weight = gradient.iter().map(|&g| g.widen()).sum::<f64>() / plane as f64;
        for (sum, &a) in sums.iter_mut().zip(activation) {
            *sum += weight * a.widen();
        }
    }
    for (out, &sum) in map.iter_mut().zip(sums.iter()) {
        *out = E::from_f64(if relu { sum.max(0.0) } else { sum });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{AblationScratch, Baselines};

    /// Listed rows are bit for bit the batch's rows of the same items, for both element
    /// types, over two-word coalitions and enough items to span several tasks.
    fn listed_rows_match_the_batch<E: Element>(value: impl Fn(usize) -> E) {
        let (n, background_rows, players, coalitions) = (150, 9, 70, 40);
        let x: Vec<E> = (0..n).map(&value).collect();
        let background: Vec<E> = (n..n + background_rows * n).map(&value).collect();
        let mask: Vec<u32> = (0..n).map(|e| (e * 11 % players) as u32).collect();
        let players_map = GroupMap::new(&mask, "players").unwrap();
        let words = players.div_ceil(64);
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let bits: Vec<u64> = (0..coalitions * words)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if i % words == words - 1 {
                    state & ((1 << (players % 64)) - 1)
                } else {
                    state
                }
            })
            .collect();
        let job = CoalitionJob { x: &x, background: &background, players: &players_map, coalitions: &bits, words };
        let mut all = vec![E::zero(); job.items() * n];
        CpuBackend.build_coalition_batch(&job, 0..job.items(), &mut all).unwrap();
        let items: Vec<u32> = (0..job.items() as u32).filter(|i| i % 3 != 1 && i % 11 != 4).collect();
        let mut listed = vec![E::zero(); items.len() * n];
        CpuBackend.build_listed_coalition_rows(&job, &items, &mut listed).unwrap();
        for (row, &item) in listed.chunks_exact(n).zip(&items) {
            let want = &all[item as usize * n..(item as usize + 1) * n];
            assert!(row.iter().zip(want).all(|(a, b)| a.widen().to_bits() == b.widen().to_bits()), "item {item}");
        }
    }

    /// Both gathers write the same bits with streaming stores as without, over rows of
    /// odd lengths (so that rows start off a 16-byte boundary), several blocks and, for
    /// the groups, several tasks and pieces per block.
    fn streamed_gather_matches<E: Element>() {
        let grid = Masks::Windows(WindowGrid::new(&[3, 37, 41], &[1, 5, 6], &[1, 2, 3]).unwrap());
        let n = MIN_ELEMENTS_PER_TASK + 3 * GROUP_GATHER_PIECE + 17;
        let mask: Vec<u32> = (0..n).map(|e| (e * 7 % 23) as u32).collect();
        let groups = Masks::Groups(GroupMap::new(&mask, "mask").unwrap());
        for masks in [grid, groups] {
            let blocks = 3;
            let deltas: Vec<f64> =
                (0..blocks * masks.len()).map(|i| ((i * 7919) % 1000) as f64 / 37.0 - 13.0).collect();
            let plain = gather_attributions::<E>(&masks, &deltas, usize::MAX).unwrap();
            let streamed = gather_attributions::<E>(&masks, &deltas, 0).unwrap();
            assert_eq!(plain.len(), blocks * masks.row_len());
            assert!(plain.iter().zip(&streamed).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn streamed_gather_matches_the_plain_one() {
        streamed_gather_matches::<f32>();
        streamed_gather_matches::<f64>();
    }

    #[test]
    fn listed_ablation_rows_match_the_batch() {
        let (rows, n) = (3, 40);
        let inputs: Vec<f32> = (0..rows * n).map(|i| i as f32 * 0.5 - 9.0).collect();
        let groups = GroupMap::new(&(0..n).map(|e| (e * 3 % 8) as u32).collect::<Vec<_>>(), "mask").unwrap();
        let masks = Masks::Groups(groups);
        let baselines = Baselines::PerRow((0..rows * n).map(|i| i as f32 * -0.25).collect());
        let job = AblationJob { inputs: &inputs, row_len: n, baselines: &baselines, masks: &masks };
        let mut all = AblationScratch::new(job.items(), n).unwrap();
        CpuBackend.build_ablation_batch(&job, 0..job.items(), all.slots()).unwrap();
        let items: Vec<u32> = (0..job.items() as u32).filter(|i| i % 5 != 2).collect();
        let mut listed = AblationScratch::new(items.len(), n).unwrap();
        // Slots of unspecified contents (a reused buffer's): every empty slot is written whole.
        listed.rows.fill(f32::NAN);
        // Twice into the same slots: the second build reuses the rows the first filled.
        for _ in 0..2 {
            CpuBackend.build_listed_ablation_rows(&job, &items, listed.slots()).unwrap();
            for (row, &item) in listed.rows.chunks_exact(n).zip(&items) {
                assert_eq!(row, &all.rows[item as usize * n..(item as usize + 1) * n], "item {item}");
            }
        }
    }

    #[test]
    fn listed_coalition_rows_match_the_batch() {
        listed_rows_match_the_batch(|i| i as f32 * 0.25 - 7.0);
        listed_rows_match_the_batch(|i| i as f64 * 0.125 + 1e-9 * i as f64);
    }
}
