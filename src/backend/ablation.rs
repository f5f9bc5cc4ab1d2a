//! The occlusion / ablation primitive family: what a perturbation is (a sliding window or
//! a feature group), what it is replaced with (the baseline), and the per-worker batch
//! buffer the backends build perturbed rows into.

use std::ops::Range;

use crate::alloc::{try_copy, try_filled};
use crate::element::Element;
use crate::error::{ensure_finite, Error, Result};

/// The reference values that perturbed elements are set to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", content = "values", rename_all = "snake_case")]
pub enum Baselines<E: Element = f32> {
    /// One value for every element of every row.
    Scalar(E),
    /// One row shared by all input rows.
    Shared(Vec<E>),
    /// One row per input row, `rows × row_len`, row-major.
    PerRow(Vec<E>),
}

/// One row's baseline.
#[derive(Debug, Clone, Copy)]
pub enum BaselineRow<'a, E: Element = f32> {
    /// Every element takes this value.
    Scalar(E),
    /// Element `e` takes `values[e]`.
    Values(&'a [E]),
}

/// `rows × row_len`, or an error naming `rows` when it overflows.
fn element_count(rows: usize, row_len: usize) -> Result<usize> {
    rows.checked_mul(row_len)
        .ok_or_else(|| Error::invalid("rows", format!("{rows} rows × {row_len} elements overflows")))
}

/// The error for a baseline buffer of `len` values for `rows` rows of `row_len`.
fn wrong_length(len: usize, rows: usize, row_len: usize) -> Error {
    let all_rows = rows.checked_mul(row_len).map_or_else(|| "rows × input_len".to_owned(), |n| n.to_string());
    Error::length("baseline", len, format!("0 (scalar), {row_len} (one row) or {all_rows} (one per row)"))
}

impl<E: Element> Baselines<E> {
    /// Interprets a caller's baseline buffer: empty → `scalar`, `row_len` values → one
    /// shared row, `rows × row_len` values → one row per input row.
    pub fn from_buffer(values: &[E], scalar: E, rows: usize, row_len: usize) -> Result<Self> {
        let all_rows = element_count(rows, row_len)?;
        let baselines = if values.is_empty() {
            Self::Scalar(scalar)
        } else if values.len() == row_len {
            Self::Shared(try_copy("baseline", values)?)
        } else if values.len() == all_rows {
            Self::PerRow(try_copy("baseline", values)?)
        } else {
            // Checked before anything is copied.
            return Err(wrong_length(values.len(), rows, row_len));
        };
        baselines.validate(rows, row_len)?;
        Ok(baselines)
    }

    /// The baselines of the input rows `rows` (indices, rows of `row_len` elements), in
    /// that order: a scalar or shared row stays as it is.
    pub fn of_rows(&self, rows: &[usize], row_len: usize) -> Self {
        match self {
            Self::PerRow(v) => {
                Self::PerRow(rows.iter().flat_map(|&r| &v[r * row_len..(r + 1) * row_len]).copied().collect())
            }
            other => other.clone(),
        }
    }

    /// Checks lengths against `rows` rows of `row_len` elements, and finiteness.
    pub fn validate(&self, rows: usize, row_len: usize) -> Result<()> {
        let all_rows = element_count(rows, row_len)?;
        match self {
            Self::Scalar(v) => ensure_finite("baseline scalar", std::slice::from_ref(v)),
            Self::Shared(v) if v.len() != row_len => Err(wrong_length(v.len(), rows, row_len)),
            Self::PerRow(v) if v.len() != all_rows => Err(wrong_length(v.len(), rows, row_len)),
            Self::Shared(v) | Self::PerRow(v) => ensure_finite("baseline", v),
        }
    }

    /// The baseline of input row `row` (rows of `row_len` elements).
    pub fn row(&self, row: usize, row_len: usize) -> BaselineRow<'_, E> {
        match self {
            Self::Scalar(v) => BaselineRow::Scalar(*v),
            Self::Shared(v) => BaselineRow::Values(v),
            Self::PerRow(v) => BaselineRow::Values(&v[row * row_len..(row + 1) * row_len]),
        }
    }

    /// Every row's baseline, `rows × row_len` values (a fallible allocation, named
    /// `what` when it fails). The variant is matched once, not per row.
    pub fn expand(&self, what: &str, rows: usize, row_len: usize) -> Result<Vec<E>> {
        let len = element_count(rows, row_len)?;
        match self {
            Self::Scalar(v) => crate::alloc::try_filled(what, len, *v),
            Self::Shared(v) => {
                let mut all = crate::alloc::try_with_capacity(what, len)?;
                (0..rows).for_each(|_| all.extend_from_slice(v));
                Ok(all)
            }
            Self::PerRow(v) => try_copy(what, v),
        }
    }

    /// Writes row `row`'s whole baseline into `out`.
    pub fn write_row(&self, row: usize, out: &mut [E]) {
        match self.row(row, out.len()) {
            BaselineRow::Scalar(v) => out.fill(v),
            BaselineRow::Values(values) => out.copy_from_slice(values),
        }
    }
}

/// The largest input rank Occlusion accepts.
pub const MAX_WINDOW_RANK: usize = 8;

/// Captum-style sliding windows over an N-d row: window `w`, stride `s`, and along each
/// dimension `ceil((n - w) / s) + 1` positions, the last one clipped at the border.
/// When `s > w` Captum's last position can start past the border and cover nothing;
/// such empty windows are left out (they change no attribution, only cost model rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowGrid {
    shape: Vec<usize>,
    window: Vec<usize>,
    strides: Vec<usize>,
    positions: Vec<usize>,
    element_strides: Vec<usize>,
}

impl WindowGrid {
    /// Windows of `window` moved by `strides` over rows of `shape` (all the same rank).
    pub fn new(shape: &[usize], window: &[usize], strides: &[usize]) -> Result<Self> {
        let rank = shape.len();
        if rank == 0 {
            return Err(Error::invalid("input_shape", "[] has no dimension; occlusion needs at least one"));
        }
        if rank > MAX_WINDOW_RANK {
            return Err(Error::invalid(
                "input_shape",
                format!("rank {rank} is above the {MAX_WINDOW_RANK} dimensions occlusion supports"),
            ));
        }
        if window.len() != rank {
            return Err(Error::length(
                "window_shape",
                window.len(),
                format!("{rank} (the input rank, shape {shape:?})"),
            ));
        }
        if strides.len() != rank {
            return Err(Error::length("strides", strides.len(), format!("{rank} (the input rank, shape {shape:?})")));
        }
        for d in 0..rank {
            if window[d] == 0 || window[d] > shape[d] {
                return Err(Error::invalid(
                    "window_shape",
                    format!(
                        "{window:?} does not fit the input shape {shape:?}: dimension {d} must be in 1..={}",
                        shape[d]
                    ),
                ));
            }
            if strides[d] == 0 {
                return Err(Error::invalid(
                    "strides",
                    format!("{strides:?} has a zero in dimension {d}; expected >= 1"),
                ));
            }
        }
        let positions = (0..rank)
            .map(|d| ((shape[d] - window[d]).div_ceil(strides[d]) + 1).min(shape[d].div_ceil(strides[d])))
            .collect();
        let mut element_strides = vec![1; rank];
        for d in (0..rank.saturating_sub(1)).rev() {
            element_strides[d] = element_strides[d + 1] * shape[d + 1];
        }
        Ok(Self {
            shape: shape.to_vec(),
            window: window.to_vec(),
            strides: strides.to_vec(),
            positions,
            element_strides,
        })
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.positions.iter().product()
    }

    /// The row shape the windows slide over.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The window's extent per dimension.
    pub fn window(&self) -> &[usize] {
        &self.window
    }

    /// The step between windows per dimension.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Window positions per dimension (window `p` enumerates them, last dimension fastest).
    pub fn positions(&self) -> &[usize] {
        &self.positions
    }

    /// Whether there are no windows (never, for a valid grid).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The positions along dimension `d` whose windows cover coordinate `c` (empty when
    /// none does): position `k` covers `[k·s, k·s + w)`.
    pub fn covering(&self, d: usize, c: usize) -> Range<usize> {
        let (window, stride) = (self.window[d], self.strides[d]);
        let lo = if c >= window { (c - window) / stride + 1 } else { 0 };
        let hi = (c / stride + 1).min(self.positions[d]);
        lo..hi.max(lo)
    }

    /// Calls `f(start, len)` for each contiguous run of elements in window `p`, in
    /// increasing `start`. Allocation-free: it runs once per perturbed row.
    pub fn for_each_run(&self, p: usize, mut f: impl FnMut(usize, usize)) {
        self.any_run(p, |start, len| {
            f(start, len);
            false
        });
    }

    /// Whether `pred(start, len)` holds for some contiguous run of elements in window `p`,
    /// asked in increasing `start` until it does.
    ///
    /// The grid's numbers are copied to the stack first, each run's start follows from the
    /// previous one, and the runs along the second-to-last dimension are a plain loop: the
    /// callers' closures write rows, and read through `self` every number would be loaded
    /// again after each write (restoring a 3×8×8 window's 24 runs took 200 ns so, 77 ns
    /// now).
    pub fn any_run(&self, p: usize, mut pred: impl FnMut(usize, usize) -> bool) -> bool {
        let rank = self.shape.len();
        let mut lens = [0; MAX_WINDOW_RANK];
        let mut steps = [0; MAX_WINDOW_RANK];
        let mut start = 0;
        let mut rest = p;
        for d in (0..rank).rev() {
            let k = rest % self.positions[d];
            rest /= self.positions[d];
            let lo = k * self.strides[d];
            lens[d] = (lo + self.window[d]).min(self.shape[d]) - lo;
            steps[d] = self.element_strides[d];
            start += lo * steps[d];
        }
        let run = lens[rank - 1];
        if rank == 1 {
            return pred(start, run);
        }
        // The runs of the second-to-last dimension in a plain loop, and an odometer over
        // the dimensions before it.
        let (lines, line_step) = (lens[rank - 2], steps[rank - 2]);
        let mut at = [0; MAX_WINDOW_RANK];
        loop {
            let mut line_start = start;
            for _ in 0..lines {
                if pred(line_start, run) {
                    return true;
                }
                line_start += line_step;
            }
            let mut d = rank - 2;
            loop {
                if d == 0 {
                    return false;
                }
                d -= 1;
                at[d] += 1;
                start += steps[d];
                if at[d] < lens[d] {
                    break;
                }
                start -= lens[d] * steps[d];
                at[d] = 0;
            }
        }
    }
}

/// Calls `f(start, len, group)` for each maximal run of equal ids in `mask`, in order.
fn for_each_mask_run(mask: &[u32], mut f: impl FnMut(usize, usize, usize)) {
    let mut start = 0;
    while start < mask.len() {
        let g = mask[start];
        let len = mask[start..].iter().position(|&m| m != g).unwrap_or(mask.len() - start);
        f(start, len, g as usize);
        start += len;
    }
}

/// A feature mask: element `e` belongs to group `mask[e]`; groups are `0..groups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMap {
    mask: Vec<u32>,
    run_offsets: Vec<usize>,
    runs: Vec<(usize, usize)>,
}

impl GroupMap {
    /// Validates `mask`: group ids must be `0..G` with every id used. Errors name
    /// `argument` (the caller's name for the map).
    pub fn new(mask: &[u32], argument: &str) -> Result<Self> {
        let groups = mask.iter().max().map_or(0, |&m| m as usize + 1);
        if groups > mask.len() {
            return Err(Error::invalid(
                argument,
                format!(
                    "group id {} is too large: ids must be 0..G with every id used, so G <= {} elements",
                    groups - 1,
                    mask.len()
                ),
            ));
        }
        // Each group's runs, counted, then placed in increasing start (a group's runs never
        // touch each other: two would make one).
        let mut run_offsets = try_filled("feature mask groups", groups + 1, 0usize)?;
        for_each_mask_run(mask, |_, _, g| run_offsets[g + 1] += 1);
        if let Some(missing) = run_offsets[1..].iter().position(|&runs| runs == 0) {
            return Err(Error::invalid(
                argument,
                format!("group ids must be 0..{groups} with every id used; id {missing} has no elements"),
            ));
        }
        for g in 0..groups {
            run_offsets[g + 1] += run_offsets[g];
        }
        let mut runs = try_filled("feature mask runs", run_offsets[groups], (0, 0))?;
        let mut next = try_copy("feature mask runs", &run_offsets[..groups])?;
        for_each_mask_run(mask, |start, len, g| {
            runs[next[g]] = (start, len);
            next[g] += 1;
        });
        Ok(Self { mask: try_copy("feature mask", mask)?, run_offsets, runs })
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.run_offsets.len() - 1
    }

    /// Whether the mask is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes the map holds: its copy of the mask, the runs and their offsets.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(self.mask.as_slice())
            + std::mem::size_of_val(self.run_offsets.as_slice())
            + std::mem::size_of_val(self.runs.as_slice())
    }

    /// The group of every element.
    pub fn mask(&self) -> &[u32] {
        &self.mask
    }

    /// The group of element `element`.
    pub fn group_of(&self, element: usize) -> usize {
        self.mask[element] as usize
    }

    /// Calls `f(start, len)` for each contiguous run of elements in group `g`.
    pub fn for_each_run(&self, g: usize, mut f: impl FnMut(usize, usize)) {
        for &(start, len) in self.runs_of(g) {
            f(start, len);
        }
    }

    /// Whether `pred(start, len)` holds for some contiguous run of group `g`'s elements,
    /// asked in increasing `start` until it does.
    pub fn any_run(&self, g: usize, mut pred: impl FnMut(usize, usize) -> bool) -> bool {
        self.runs_of(g).iter().any(|&(start, len)| pred(start, len))
    }

    fn runs_of(&self, g: usize) -> &[(usize, usize)] {
        &self.runs[self.run_offsets[g]..self.run_offsets[g + 1]]
    }
}

/// The perturbations of one explanation: each sets a set of elements to the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Masks {
    /// Occlusion's sliding windows.
    Windows(WindowGrid),
    /// Feature Ablation's groups.
    Groups(GroupMap),
}

impl Masks {
    /// Number of perturbations per input row.
    pub fn len(&self) -> usize {
        match self {
            Self::Windows(w) => w.len(),
            Self::Groups(g) => g.len(),
        }
    }

    /// Whether there are no perturbations.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Elements of the rows the perturbations apply to: the window grid's shape, or the
    /// group mask's length.
    pub fn row_len(&self) -> usize {
        match self {
            Self::Windows(w) => w.shape().iter().product(),
            Self::Groups(g) => g.mask().len(),
        }
    }

    /// Heap bytes the masks hold: a group map's copy of the mask and its runs (a window
    /// grid's few numbers count as nothing).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Self::Windows(_) => 0,
            Self::Groups(g) => g.heap_bytes(),
        }
    }

    /// Calls `f(start, len)` for each contiguous run of elements perturbed by `p`.
    pub fn for_each_run(&self, p: usize, f: impl FnMut(usize, usize)) {
        match self {
            Self::Windows(w) => w.for_each_run(p, f),
            Self::Groups(g) => g.for_each_run(p, f),
        }
    }

    /// Whether `pred(start, len)` holds for some contiguous run of elements perturbed by
    /// `p`, asked in increasing `start` until it does.
    pub fn any_run(&self, p: usize, pred: impl FnMut(usize, usize) -> bool) -> bool {
        match self {
            Self::Windows(w) => w.any_run(p, pred),
            Self::Groups(g) => g.any_run(p, pred),
        }
    }
}

/// A batched ablation run: item `i` is input row `i / masks.len()` with perturbation
/// `i % masks.len()` applied.
#[derive(Debug, Clone, Copy)]
pub struct AblationJob<'a, E: Element = f32> {
    /// The rows being explained, `rows × row_len`.
    pub inputs: &'a [E],
    /// Elements per row.
    pub row_len: usize,
    /// What perturbed elements become.
    pub baselines: &'a Baselines<E>,
    /// The perturbations.
    pub masks: &'a Masks,
}

impl<E: Element> AblationJob<'_, E> {
    /// Input row `row`.
    pub fn input_row(&self, row: usize) -> &[E] {
        &self.inputs[row * self.row_len..(row + 1) * self.row_len]
    }

    /// Number of items (input rows × perturbations).
    pub fn items(&self) -> usize {
        self.inputs.len() / self.row_len.max(1) * self.masks.len()
    }
}

/// Batch slots that own their rows (zeroed) and items: for tests and callers of the
/// backends that keep no buffers of their own. [`slots`](Self::slots) lends them.
#[derive(Debug, Clone, Default)]
pub struct AblationScratch<E: Element = f32> {
    /// `batch_rows × row_len` perturbed rows.
    pub rows: Vec<E>,
    /// The item each slot currently holds.
    pub held: Vec<Option<usize>>,
}

impl<E: Element> AblationScratch<E> {
    /// A buffer of `batch_rows` empty slots of `row_len` elements; `OutOfMemory` when
    /// it cannot be had.
    pub fn new(batch_rows: usize, row_len: usize) -> Result<Self> {
        Ok(Self {
            rows: try_filled("batch rows", batch_rows.saturating_mul(row_len), E::zero())?,
            held: try_filled("batch slots", batch_rows, None)?,
        })
    }

    /// The slots, lent to a backend for one batch.
    pub fn slots(&mut self) -> AblationSlots<'_, E> {
        AblationSlots { rows: &mut self.rows, held: &mut self.held }
    }
}

/// A worker's batch slots, lent to the backend for one batch. Each slot remembers which
/// item it holds, so the next item of the same input row only restores and re-applies the
/// perturbed elements instead of copying a whole row. A slot that holds no item (`None`)
/// has unspecified contents, such as a reused buffer's, and is written whole first.
#[derive(Debug)]
pub struct AblationSlots<'s, E: Element = f32> {
    /// `slots × row_len` perturbed rows.
    pub rows: &'s mut [E],
    /// The item each slot currently holds.
    pub held: &'s mut [Option<usize>],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(grid: &WindowGrid, p: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        grid.for_each_run(p, |start, len| out.push((start, len)));
        out
    }

    /// The elements of window `p`'s clipped box (positions `positions` per dimension),
    /// row-major, from the definition.
    fn box_elements(shape: &[usize], window: &[usize], strides: &[usize], positions: &[usize], p: usize) -> Vec<usize> {
        let rank = shape.len();
        let (mut lo, mut hi, mut rest) = (vec![0; rank], vec![0; rank], p);
        for d in (0..rank).rev() {
            lo[d] = rest % positions[d] * strides[d];
            hi[d] = (lo[d] + window[d]).min(shape[d]);
            rest /= positions[d];
        }
        (0..shape.iter().product::<usize>())
            .filter(|&e| {
                let mut rest = e;
                (0..rank).rev().all(|d| {
                    let c = rest % shape[d];
                    rest /= shape[d];
                    (lo[d]..hi[d]).contains(&c)
                })
            })
            .collect()
    }

    #[test]
    fn windows_follow_captum_positions_and_clip_at_the_border() {
        // 5×6 input, window 2×4, stride 2×3: rows ceil(3/2)+1 = 3 positions, columns
        // ceil(2/3)+1 = 2 positions; the last row window and last column window are clipped.
        let grid = WindowGrid::new(&[5, 6], &[2, 4], &[2, 3]).unwrap();
        assert_eq!(grid.len(), 6);
        assert_eq!(runs(&grid, 0), vec![(0, 4), (6, 4)]);
        assert_eq!(runs(&grid, 1), vec![(3, 3), (9, 3)]);
        assert_eq!(runs(&grid, 5), vec![(27, 3)]);
    }

    #[test]
    fn every_window_run_lies_inside_its_clipped_box() {
        let (shape, window, strides) = ([4, 5, 6], [2, 3, 2], [1, 2, 3]);
        let grid = WindowGrid::new(&shape, &window, &strides).unwrap();
        // Positions: 3 along d0; ceil(2/2)+1 = 2 along d1; along d2 Captum's third window
        // would start at 6, past the border, so 2.
        let positions = [3, 2, 2];
        assert_eq!(grid.len(), 12);
        for p in 0..grid.len() {
            let mut got = Vec::new();
            grid.for_each_run(p, |start, len| got.extend(start..start + len));
            assert_eq!(got, box_elements(&shape, &window, &strides, &positions, p), "window {p} of {positions:?}");
        }
    }

    #[test]
    fn window_runs_cover_their_boxes_at_every_rank() {
        let cases: [(&[usize], &[usize], &[usize]); 3] = [
            (&[7], &[3], &[2]),
            (&[3, 4, 5, 6], &[2, 3, 2, 4], &[1, 2, 2, 3]),
            (&[2, 3, 2, 3, 2], &[1, 2, 2, 2, 1], &[1, 1, 2, 2, 1]),
        ];
        assert_eq!(WindowGrid::new(&[], &[], &[]).unwrap_err().kind(), crate::error::ErrorKind::InvalidArgument);
        for (shape, window, strides) in cases {
            let grid = WindowGrid::new(shape, window, strides).unwrap();
            for p in 0..grid.len() {
                let mut got = Vec::new();
                grid.for_each_run(p, |start, len| got.extend(start..start + len));
                assert_eq!(got, box_elements(shape, window, strides, grid.positions(), p), "{shape:?} window {p}");
            }
        }
    }

    #[test]
    fn any_run_asks_until_a_run_answers() {
        let grid = Masks::Windows(WindowGrid::new(&[5, 6], &[2, 4], &[2, 3]).unwrap());
        let groups = Masks::Groups(GroupMap::new(&[1, 1, 0, 1, 0, 0], "mask").unwrap());
        for (masks, p, runs) in [(&grid, 0, vec![(0, 4), (6, 4)]), (&groups, 0, vec![(2, 1), (4, 2)])] {
            let mut asked = Vec::new();
            assert!(!masks.any_run(p, |start, len| {
                asked.push((start, len));
                false
            }));
            assert_eq!(asked, runs);
            asked.clear();
            assert!(masks.any_run(p, |start, len| {
                asked.push((start, len));
                true
            }));
            assert_eq!(asked, runs[..1]);
        }
    }

    #[test]
    fn group_runs_merge_contiguous_elements() {
        let groups = GroupMap::new(&[1, 1, 0, 1, 0, 0], "mask").unwrap();
        let collect = |g| {
            let mut out = Vec::new();
            groups.for_each_run(g, |s, l| out.push((s, l)));
            out
        };
        assert_eq!(collect(0), vec![(2, 1), (4, 2)]);
        assert_eq!(collect(1), vec![(0, 2), (3, 1)]);
        assert!(GroupMap::new(&[0, 2], "mask").is_err());
        let e = GroupMap::new(&[0, 0, u32::MAX], "mask").unwrap_err();
        assert!(e.message().starts_with("mask: group id 4294967295 is too large"), "{e}");
    }

    #[test]
    fn group_runs_are_each_groups_maximal_runs_in_order() {
        // Runs of pseudo-random lengths and groups, repeated ids next to each other included.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut mask = Vec::new();
        while mask.len() < 3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let (group, len) = ((state % 41) as u32, 1 + (state >> 32) as usize % 9);
            mask.extend(std::iter::repeat_n(group, len));
        }
        let groups = GroupMap::new(&mask, "mask").unwrap();
        assert_eq!(groups.len(), 41);
        for g in 0..41 {
            let mut want: Vec<(usize, usize)> = Vec::new();
            for (e, &m) in mask.iter().enumerate() {
                if m as usize != g {
                    continue;
                }
                match want.last_mut() {
                    Some((start, len)) if *start + *len == e => *len += 1,
                    _ => want.push((e, 1)),
                }
            }
            let mut got = Vec::new();
            groups.for_each_run(g, |s, l| got.push((s, l)));
            assert_eq!(got, want, "group {g}");
        }
        let e = GroupMap::new(&[0, 2, 2], "mask").unwrap_err();
        assert!(e.message().contains("id 1 has no elements"), "{e}");
    }

    #[test]
    fn baselines_are_read_by_length() {
        assert_eq!(Baselines::from_buffer(&[], 0.5, 2, 3).unwrap(), Baselines::Scalar(0.5));
        assert!(matches!(Baselines::from_buffer(&[1.0; 3], 0.0, 2, 3).unwrap(), Baselines::Shared(_)));
        assert!(matches!(Baselines::from_buffer(&[1.0; 6], 0.0, 2, 3).unwrap(), Baselines::PerRow(_)));
        let e = Baselines::from_buffer(&[1.0; 4], 0.0, 2, 3).unwrap_err();
        assert_eq!(e.message(), "baseline: length 4, expected 0 (scalar), 3 (one row) or 6 (one per row)");
    }
}
