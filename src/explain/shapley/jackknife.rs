//! Standard errors of a sampled KernelSHAP estimate by the delete-a-group jackknife over
//! its sampling units.
//!
//! The sampled units of a [`Schedule`] (pairs, or lone coalitions) are dealt to `G` groups
//! (unit `u` to group `u mod G`, `G` = the number of units or the caller's cap, whichever
//! is smaller). Leaving group `g` out, the constrained least squares is solved again on the
//! enumerated coalitions and the other groups, whose weights are scaled up to carry the
//! whole sampled weight; the jackknife variance of each value is
//! `(G − 1)/G · Σ_g c_g (φ_{−g} − φ̄)²`, where `c_g` is the mean of the group's
//! [`unit_factors`](Schedule::unit_factors): the finite-population correction `1 − f` of
//! a unit drawn without replacement (its size class drawn at a share `f`), or `1 / count`
//! for a pair drawn `count` times with replacement. Without them the errors were up to a
//! third too large once a large share of the coalitions is drawn.
//!
//! Unlike a split into independent batches (Lumen's method before), every leave-one-out
//! solve keeps almost all samples, so it identifies the values whenever the whole sample
//! nearly does, and it accounts for the regression's nonlinearity in the sampled weights
//! (the ratio-estimator bias that made batch errors 1.6–2× too small at small budgets).
//! Measured 1.96-SE coverage: 0.93–0.97 from budget 3M up (`tests/shapley.rs`,
//! `benches/compare/README.md`).
//!
//! The leave-one-out solves go through the `(M − 1) × (M − 1)` normal equations of the
//! reduced problem of [`solve`](super::solve) (in f64, by Cholesky): each group's Gram
//! matrix is accumulated once and subtracted from their sum instead of refactoring the
//! design, which makes the standard errors cost `O(rows · s² + G · M³)`, `s` the smaller
//! side of a row's coalition (a complementary pair is added at once through it:
//! [`Moments`]); the `G` systems are factored and solved four at a time, one per vector
//! lane, with the same bits as one at a time
//! ([`batched_cholesky`](super::batched_cholesky)). When a leave-one-out system is
//! singular (too few samples for the jackknife), or fewer than two units were sampled, the
//! standard errors are unavailable (`None`): the values stand, their errors are not
//! reported.

use super::batched_cholesky::{factor_lanes, solve_lanes, Lanes, LANES};
use super::schedule::Schedule;
use super::solve::{dot, dots, NullSpace};
use crate::alloc::try_filled;
use crate::engine::scratch::{call_buffer, Scratch};
use crate::wide::avx2_dispatch;
use std::ops::Range;

/// A leave-one-out system is declared singular when a Cholesky pivot falls to this share
/// of the largest diagonal entry.
pub(super) const SINGULAR_TOLERANCE: f64 = 1e-11;

/// The jackknife standard errors (`targets × M`, target-major) of the values of
/// `schedule` with coalition values `values` (`coalitions × targets`, coalition-major),
/// empty-coalition values `base` and full-coalition values `total` (one per target), over
/// at most `max_groups` (`≥ 2`) groups. Zeros for an exact schedule; `None` when they
/// cannot be estimated.
pub(super) fn jackknife_standard_errors(
    schedule: &Schedule,
    values: &[f64],
    base: &[f64],
    total: &[f64],
    max_groups: u32,
) -> Option<Vec<f64>> {
    if schedule.exact {
        return Some(vec![0.0; base.len() * schedule.coalitions.players()]);
    }
    Some(Replicates::of_linear_fit(schedule, values, base, total, max_groups)?.standard_errors())
}

/// The leave-one-group-out estimates of a sampled schedule's values and the groups'
/// variance factors, from which the jackknife standard errors follow.
pub(super) struct Replicates {
    /// Per group `g`: the values (`targets × M`, target-major) without group `g`.
    pub(super) estimates: Vec<Vec<f64>>,
    /// Per group: the mean [`unit_factors`](Schedule::unit_factors) of its units.
    pub(super) factors: Vec<f64>,
}

impl Replicates {
    /// The number of groups for `schedule` under a cap of `max_groups`; below 2 the
    /// jackknife cannot run.
    pub(super) fn groups(schedule: &Schedule, max_groups: u32) -> usize {
        schedule.units.min(max_groups) as usize
    }

    /// The replicates of KernelSHAP's linear fit (see the module documentation); `None`
    /// when a leave-one-out system is singular, fewer than two units were sampled, or the
    /// call was stopped.
    pub(super) fn of_linear_fit(
        schedule: &Schedule,
        values: &[f64],
        base: &[f64],
        total: &[f64],
        max_groups: u32,
    ) -> Option<Self> {
        let players = schedule.coalitions.players();
        let targets = base.len();
        let groups = Self::groups(schedule, max_groups);
        if groups < 2 {
            return None;
        }
        let system = Normal::new(schedule, values, base, total, groups)?;
        let basis = NullSpace::new(players);
        let deltas: Vec<f64> = total.iter().zip(base).map(|(t, b)| t - b).collect();
        // estimates[g][k·M + i]: φ_i of target k without group g.
        let mut estimates = Vec::with_capacity(groups);
        for first in (0..groups).step_by(LANES) {
            if stopped() {
                return None;
            }
            for u in system.leave_out(first..groups.min(first + LANES))? {
                estimates.push((0..targets).flat_map(|k| basis.expand(&u[k], deltas[k])).collect());
            }
        }
        Some(Self { estimates, factors: group_factors(schedule, groups) })
    }

    /// Zero replicates of `len` values over `groups` groups of `schedule`'s units, for an
    /// estimator that computes its own.
    pub(super) fn empty(schedule: &Schedule, groups: usize, len: usize) -> Self {
        Self { estimates: vec![vec![0.0; len]; groups], factors: group_factors(schedule, groups) }
    }

    /// `sqrt((G − 1)/G · Σ_g c_g (φ_{−g} − φ̄)²)` for every value.
    pub(super) fn standard_errors(&self) -> Vec<f64> {
        let g = self.estimates.len() as f64;
        let len = self.estimates.first().map_or(0, Vec::len);
        (0..len)
            .map(|j| {
                let mean = self.estimates.iter().map(|e| e[j]).sum::<f64>() / g;
                let spread: f64 =
                    self.estimates.iter().zip(&self.factors).map(|(e, f)| f * (e[j] - mean).powi(2)).sum();
                ((g - 1.0) / g * spread).sqrt()
            })
            .collect()
    }
}

/// Per group of `groups` (unit `u` in group `u mod groups`): the mean variance factor of
/// its units.
fn group_factors(schedule: &Schedule, groups: usize) -> Vec<f64> {
    let mut factors = vec![(0.0f64, 0usize); groups];
    for (unit, &factor) in schedule.unit_factors.iter().enumerate() {
        let group = &mut factors[unit % groups];
        group.0 += factor;
        group.1 += 1;
    }
    factors.into_iter().map(|(sum, count)| sum / count.max(1) as f64).collect()
}

/// The reduced normal equations, split into the fixed part, the whole sample and each
/// group's share.
struct Normal {
    /// Unknowns `n = M − 1`.
    n: usize,
    targets: usize,
    /// `Σ w x xᵀ` and `Σ w x t_k` over enumerated rows (one set).
    fixed: Moments,
    /// The same over every sampled row, and the sampled weight.
    sampled: (Vec<f64>, Vec<f64>, f64),
    /// The same per group (one set each).
    groups: Moments,
}

impl Normal {
    /// The normal equations of the sample and of each group; `None` when the call was
    /// stopped meanwhile, or memory for them could not be had (the errors are then
    /// unavailable, like those of a singular system).
    fn new(schedule: &Schedule, values: &[f64], base: &[f64], total: &[f64], groups: usize) -> Option<Self> {
        let players = schedule.coalitions.players();
        let n = players - 1;
        let targets = base.len();
        let basis = NullSpace::new(players);
        let mut fixed = Moments::new(n, targets, 1)?;
        let mut per_group = Moments::new(n, targets, groups)?;
        let max_weight = schedule.weights.iter().copied().fold(0.0, f64::max);
        // Per coalition size s and target k: the constraint's share `Δ_k · s / M` of a
        // coalition's value.
        let drift: Vec<f64> = (0..=players)
            .flat_map(|size| (0..targets).map(move |k| (total[k] - base[k]) * size as f64 / players as f64))
            .collect();
        let mut members = Vec::with_capacity(players);
        let mut t = vec![0.0; 2 * targets];
        let mut r_share = vec![0.0; targets];
        let mut row = 0;
        while row < schedule.len() {
            if row % CHECK_EVERY < 2 && stopped() {
                return None;
            }
            // A complementary pair of one unit and weight is added at once, through the
            // smaller of its two coalitions (`Moments::add`).
            let pair = row + 1 < schedule.len()
                && schedule.unit[row] == schedule.unit[row + 1]
                && schedule.weights[row] == schedule.weights[row + 1]
                && schedule.coalitions.are_complements(row, row + 1);
            let rows = row..row + 1 + usize::from(pair);
            let w = schedule.weights[row] / max_weight;
            // The row whose players are listed (or, for a lone coalition of more than half
            // the players, the players outside it): the one with fewer.
            let size = schedule.coalitions.size(row);
            let listed_row = if pair && 2 * size > players { row + 1 } else { row };
            let outside = !pair && 2 * size > players;
            members.clear();
            match outside {
                true => members.extend(schedule.coalitions.non_members(listed_row)),
                false => members.extend(schedule.coalitions.members(listed_row)),
            }
            let mut added = [Added::default(); 2];
            // A pair's second coalition holds the players outside the first.
            let sizes = [size, players - size];
            for (((r, added), t), size) in rows.clone().zip(&mut added).zip(t.chunks_exact_mut(targets)).zip(sizes) {
                let values = &values[r * targets..(r + 1) * targets];
                let drift = &drift[size * targets..(size + 1) * targets];
                for (((t, value), base), drift) in t.iter_mut().zip(values).zip(base).zip(drift) {
                    *t = value - base - drift;
                }
                let shift = basis.shift(size, schedule.coalitions.contains(r, 0));
                *added = Added { outside: outside || r != listed_row, shift, w };
            }
            // Player 0 has no column of its own: it is only in the shift.
            let reduced = &members[usize::from(members.first() == Some(&0))..];
            let moments = match schedule.unit[row] {
                None => fixed.set(0),
                Some(unit) => per_group.set(unit as usize % groups),
            };
            moments.add(reduced, &added[..rows.len()], &t[..rows.len() * targets], &mut r_share);
            row = rows.end;
        }
        fixed.normal_equations();
        per_group.normal_equations();
        // The whole sample is the sum of its groups.
        let (mut sampled_gram, mut sampled_rhs) =
            (try_filled("", n * n, 0.0).ok()?, try_filled("", n * targets, 0.0).ok()?);
        let mut sampled_weight = 0.0;
        for group in 0..groups {
            sampled_gram.iter_mut().zip(per_group.gram(group)).for_each(|(s, g)| *s += g);
            sampled_rhs.iter_mut().zip(per_group.rhs(group)).for_each(|(s, r)| *s += r);
            sampled_weight += per_group.weight(group);
        }
        Some(Self { n, targets, fixed, sampled: (sampled_gram, sampled_rhs, sampled_weight), groups: per_group })
    }

    /// Per group of `groups` (at most [`LANES`] of them, solved side by side): the reduced
    /// solutions `u` (one per target) without that group, its sampled weight given back
    /// to the others; `None` when one of these systems is singular or the call was stopped,
    /// or their memory could not be had.
    fn leave_out(&self, groups: Range<usize>) -> Option<Vec<Vec<Vec<f64>>>> {
        let (n, targets, count) = (self.n, self.targets, groups.len());
        let (gram_s, rhs_s, weight_s) = &self.sampled;
        // Lanes past the last group solve the identity, at scale 1.
        let mut scales = [1.0; LANES];
        for (group, scale) in groups.clone().zip(&mut scales) {
            let rest = weight_s - self.groups.weight(group);
            if rest <= 0.0 {
                return None;
            }
            *scale = weight_s / rest;
        }
        // The upper triangles only: the factor mirrors them.
        let mut gram = try_filled("", n * n, [0.0; LANES]).ok()?;
        for i in 0..n {
            gram[i * n + i] = [1.0; LANES];
        }
        let fixed_gram = self.fixed.gram(0);
        for (lane, group) in groups.clone().enumerate() {
            let gram_g = self.groups.gram(group);
            for i in 0..n {
                let upper = i * n + i..(i + 1) * n;
                let parts = fixed_gram[upper.clone()].iter().zip(&gram_s[upper.clone()]).zip(&gram_g[upper.clone()]);
                for (entry, ((fixed, sampled), group)) in gram[upper].iter_mut().zip(parts) {
                    entry[lane] = fixed + scales[lane] * (sampled - group);
                }
            }
        }
        let largest: Lanes = std::array::from_fn(|lane| (0..n).map(|i| gram[i * n + i][lane]).fold(0.0, f64::max));
        if !factor_lanes(&mut gram, n, &largest) {
            return None;
        }
        let mut solutions = vec![Vec::with_capacity(targets); count];
        let mut rhs = vec![[0.0; LANES]; n];
        for k in 0..targets {
            let target = k * n..(k + 1) * n;
            for (lane, group) in groups.clone().enumerate() {
                let rhs_g = self.groups.rhs(group);
                let parts =
                    self.fixed.rhs(0)[target.clone()].iter().zip(&rhs_s[target.clone()]).zip(&rhs_g[target.clone()]);
                for (entry, ((fixed, sampled), group)) in rhs.iter_mut().zip(parts) {
                    entry[lane] = fixed + scales[lane] * (sampled - group);
                }
            }
            solve_lanes(&gram, n, &mut rhs);
            for (lane, solution) in solutions.iter_mut().enumerate() {
                solution.push(rhs.iter().map(|entry| entry[lane]).collect());
            }
        }
        Some(solutions)
    }
}

/// The weighted moments of sets of reduced rows (the enumerated rows, or one set per
/// jackknife group), in one allocation. For each set of rows `x = z − s·1` (`z` a
/// coalition's 0/1 indicator over players `1..M`, `s` its [`shift`](NullSpace::shift)),
/// they are kept in the coalition's own terms so that a row costs additions over its
/// players only:
/// `A = Σ w z zᵀ`, `b = Σ w s z`, `c = Σ w s²`, `R_k = Σ w t_k z`, `e_k = Σ w s t_k`.
/// Then `Σ w x xᵀ = A − b 1ᵀ − 1 bᵀ + c 1 1ᵀ` and `Σ w x t_k = R_k − e_k 1`.
///
/// A row whose coalition holds more than half the players is added through the players
/// outside it (`y = 1 − z`, the fewer additions): `z zᵀ = y yᵀ − y 1ᵀ − 1 yᵀ + 1 1ᵀ`,
/// so those rows' `Σ w y yᵀ` goes into `A` and their `Σ w y` and `Σ w` are kept apart
/// (`outside`, `outside_weight`), as are the parts `Σ w s` and `Σ w t_k` of `b` and `R_k`
/// that every player shares. A complementary pair is added at once through its smaller
/// coalition, whose `y yᵀ` both rows share.
struct Moments {
    n: usize,
    targets: usize,
    /// Entries of `data` per set.
    stride: usize,
    /// Per set, one after the other (`stride` entries each): `A`
    /// (`n × n`, row-major, its upper triangle), `R` (`targets × n`), `b` and `outside`
    /// (`n` each), `e` and `shared_r` (`targets` each); after
    /// [`normal_equations`](Self::normal_equations), its Gram matrix and right sides in
    /// the place of `A` and `R`. A buffer of the call's engine.
    data: Scratch<f64>,
    /// Per set: its scalar sums.
    sums: Vec<Sums>,
}

/// A set's scalar moments: `c`, `Σ w`, and over the rows added through the players
/// outside them, `Σ w` and `Σ w s` (`outside_weight`, `shared_b`).
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    c: f64,
    weight: f64,
    outside_weight: f64,
    shared_b: f64,
}

/// One set of [`Moments`], its parts apart. `outside` and `shared_r` are, over the rows
/// added through the players outside them, `Σ w y` and `Σ w t_k` per target.
struct Set<'a> {
    a: &'a mut [f64],
    r: &'a mut [f64],
    b: &'a mut [f64],
    outside: &'a mut [f64],
    e: &'a mut [f64],
    shared_r: &'a mut [f64],
    sums: &'a mut Sums,
}

/// One row that [`Set::add`] adds: whether it is given by the players outside it, its
/// shift and its weight.
#[derive(Debug, Clone, Copy, Default)]
struct Added {
    outside: bool,
    shift: f64,
    w: f64,
}

impl Moments {
    /// Empty moments of `sets` sets, for `n` reduced players and `targets` targets, in one
    /// buffer of the call's engine; `None` when the memory cannot be had.
    fn new(n: usize, targets: usize, sets: usize) -> Option<Self> {
        let stride = n * (n + targets + 2) + 2 * targets;
        let mut data = call_buffer("the jackknife's moments", sets.checked_mul(stride)?).ok()?;
        data.fill(0.0);
        Some(Self { n, targets, stride, data, sums: try_filled("", sets, Sums::default()).ok()? })
    }

    /// Set `set`'s parts.
    fn set(&mut self, set: usize) -> Set<'_> {
        let (n, targets, stride) = (self.n, self.targets, self.stride);
        let data = &mut self.data[set * stride..(set + 1) * stride];
        let (a, data) = data.split_at_mut(n * n);
        let (r, data) = data.split_at_mut(n * targets);
        let (b, data) = data.split_at_mut(n);
        let (outside, data) = data.split_at_mut(n);
        let (e, shared_r) = data.split_at_mut(targets);
        Set { a, r, b, outside, e, shared_r, sums: &mut self.sums[set] }
    }

    /// Turns every set into its normal equations ([`Set::normal_equations`]).
    fn normal_equations(&mut self) {
        (0..self.sums.len()).for_each(|set| self.set(set).normal_equations());
    }

    /// After [`normal_equations`](Self::normal_equations): set `set`'s Gram matrix's upper
    /// triangle (row-major `n × n`, the rest unspecified).
    fn gram(&self, set: usize) -> &[f64] {
        let start = set * self.stride;
        &self.data[start..start + self.n * self.n]
    }

    /// After [`normal_equations`](Self::normal_equations): set `set`'s right-hand sides
    /// (`targets × n`).
    fn rhs(&self, set: usize) -> &[f64] {
        let start = set * self.stride + self.n * self.n;
        &self.data[start..start + self.n * self.targets]
    }

    /// Set `set`'s weight `Σ w`.
    fn weight(&self, set: usize) -> f64 {
        self.sums[set].weight
    }
}

impl Set<'_> {
    /// Adds the rows `rows` (one or two) whose players among `1..M` (player `j` is column
    /// `j − 1`) are `listed`, or where a row is `outside`, are the players among `1..M`
    /// outside `listed`; row `r`'s targets' responses are `t[r·targets..]`. `r_share` is
    /// scratch of `targets` entries.
    fn add(self, listed: &[usize], rows: &[Added], t: &[f64], r_share: &mut [f64]) {
        let (n, targets) = (self.b.len(), self.e.len());
        let sums = self.sums;
        // Per listed player: the rows' weight in `A` (y yᵀ, either way), and their signed
        // shares of `b` and `R` (z = y or 1 − y).
        let weight: f64 = rows.iter().map(|row| row.w).sum();
        let outside_weight: f64 = rows.iter().filter(|row| row.outside).map(|row| row.w).sum();
        let signed = |row: &Added| if row.outside { -row.w } else { row.w };
        let b_share: f64 = rows.iter().map(|row| signed(row) * row.shift).sum();
        r_share.fill(0.0);
        for (row, t) in rows.iter().zip(t.chunks_exact(targets)) {
            r_share.iter_mut().zip(t).for_each(|(share, tk)| *share += signed(row) * tk);
            sums.c += row.w * row.shift * row.shift;
            self.e.iter_mut().zip(t).for_each(|(e, tk)| *e += row.w * row.shift * tk);
            if row.outside {
                sums.shared_b += row.w * row.shift;
                self.shared_r.iter_mut().zip(t).for_each(|(r, tk)| *r += row.w * tk);
            }
            sums.weight += row.w;
        }
        sums.outside_weight += outside_weight;
        // A's upper triangle only, entry by entry over the listed players' pairs (about
        // |listed|²/2 additions).
        for (at, &i) in listed.iter().enumerate() {
            let row = &mut self.a[(i - 1) * n..i * n];
            for &j in &listed[at..] {
                row[j - 1] += weight;
            }
            self.b[i - 1] += b_share;
            for (k, share) in r_share.iter().enumerate() {
                self.r[k * n + i - 1] += share;
            }
            self.outside[i - 1] += outside_weight;
        }
    }

    /// Replaces `A` by the upper triangle of `Σ w x xᵀ` and `R` by `Σ w x t_k`.
    fn normal_equations(self) {
        let n = self.b.len();
        let sums = *self.sums;
        self.b.iter_mut().for_each(|b| *b += sums.shared_b);
        for (i, row) in self.a.chunks_exact_mut(n).enumerate() {
            for (j, g) in row.iter_mut().enumerate().skip(i) {
                *g += sums.outside_weight - self.outside[i] - self.outside[j];
                *g += sums.c - self.b[i] - self.b[j];
            }
        }
        for (k, row) in self.r.chunks_exact_mut(n).enumerate() {
            row.iter_mut().for_each(|v| *v += self.shared_r[k] - self.e[k]);
        }
    }
}

/// Rows (or columns) of work between two checks whether the call must stop.
const CHECK_EVERY: usize = 64;

/// Whether the call running on this thread was cancelled or ran past its deadline: the
/// jackknife then gives up (it returns no errors) and its caller reports the reason.
pub(super) fn stopped() -> bool {
    crate::engine::call_control::check_current().is_err()
}

/// The Cholesky factor `L` (row-major, lower) of the symmetric matrix whose upper
/// triangle is in `a`; `None` when a pivot is not clearly positive.
pub(super) fn cholesky(a: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    let largest = (0..n).map(|i| a[i * n + i]).fold(0.0, f64::max);
    cholesky_relative_to(a, n, largest)
}

/// [`cholesky`], declaring the matrix singular when a pivot falls to
/// [`SINGULAR_TOLERANCE`] `· scale` (a scale the caller knows bounds the diagonal).
pub(super) fn cholesky_relative_to(mut a: Vec<f64>, n: usize, scale: f64) -> Option<Vec<f64>> {
    factor_in_place(&mut a, n, scale).then_some(a)
}

avx2_dispatch! {
    /// Factors the upper triangle of `a` (row-major `n × n`) in place into the lower one;
    /// `false` when a pivot falls to [`SINGULAR_TOLERANCE`] `· scale` or the call was
    /// stopped.
    fn factor_in_place(a: &mut [f64], n: usize, scale: f64) -> bool => factor;
}

#[inline(always)]
fn factor(a: &mut [f64], n: usize, scale: f64) -> bool {
    if scale <= 0.0 || !scale.is_finite() {
        return false;
    }
    // Mirror the upper triangle into the lower one, then factor in place.
    for i in 0..n {
        for j in 0..i {
            a[i * n + j] = a[j * n + i];
        }
    }
    // Row j's first j entries, copied so that the rows below can be read beside them.
    let mut pivot_row = vec![0.0; n];
    for j in 0..n {
        if j % 8 == 7 && stopped() {
            return false;
        }
        pivot_row[..j].copy_from_slice(&a[j * n..j * n + j]);
        let pivot = &pivot_row[..j];
        let d = a[j * n + j] - dot(pivot, pivot);
        if d <= SINGULAR_TOLERANCE * scale {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let row = &mut a[i * n..i * n + j + 1];
            row[j] = (row[j] - dot(&row[..j], pivot)) / d;
        }
    }
    true
}

/// Solves `L Lᵀ u = b` for the factor of [`cholesky`].
pub(super) fn cholesky_solve(l: &[f64], n: usize, mut b: Vec<f64>) -> Vec<f64> {
    forward_substitute(l, n, &mut b);
    backward_substitute(l, n, &mut b);
    b
}

/// Replaces `b` by `L⁻¹ b` for the factor of [`cholesky`].
pub(super) fn forward_substitute(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let s = dot(&l[i * n..i * n + i], &b[..i]);
        b[i] = (b[i] - s) / l[i * n + i];
    }
}

/// Columns that the dense products below carry in registers at once: four AVX2 vectors,
/// whose sums are independent of each other.
const PANEL: usize = 16;

avx2_dispatch! {
    /// Replaces the `columns` columns of `B` (`n` entries each, one column after the
    /// other) by those of `L⁻¹ B` for the factor `L` of [`cholesky`], by forward
    /// substitution of whole panels of columns: each entry
    /// `(B[i, t] − Σ_{j<i} L[i, j] X[j, t]) / L[i, i]`, the sum in [`panel_sum`]'s order.
    pub(super) fn forward_substitute_columns(l: &[f64], n: usize, b: &mut [f64], columns: usize) => substitute_columns;
}

#[inline(always)]
fn substitute_columns(l: &[f64], n: usize, b: &mut [f64], columns: usize) {
    for (first, width) in panels(columns) {
        // Each width's panel is its own loop, compiled into this function (not in a
        // closure, which would not be compiled with the caller's AVX2).
        let b = &mut b[first * n..(first + width.min(columns - first)) * n];
        match width {
            PANEL => substitute_panel::<PANEL, 1>(l, n, b),
            8 => substitute_panel::<8, 2>(l, n, b),
            _ => substitute_panel::<4, 4>(l, n, b),
        }
    }
}

/// The panels `(first column, width)` that cover `columns` columns: [`PANEL`] wide while
/// that many are left, then 8 while more than 4 are, then 4 (the last panel padded), so
/// that a narrow product does not carry a wide panel's zeros.
#[inline(always)]
fn panels(columns: usize) -> impl Iterator<Item = (usize, usize)> {
    let width = |left: usize| match left {
        _ if left >= PANEL => PANEL,
        5.. => 8,
        _ => 4,
    };
    std::iter::successors((columns > 0).then(|| (0, width(columns))), move |&(first, used)| {
        let next = first + used;
        (next < columns).then(|| (next, width(columns - next)))
    })
}

/// The columns of `b` (`n` entries each, at most `W` of them) as `n` panels (entry `i` of
/// every column), zeros past the last column.
#[inline(always)]
fn padded_panels<const W: usize>(b: &[f64], n: usize) -> Vec<[f64; W]> {
    (0..n).map(|i| std::array::from_fn(|t| b.get(t * n + i).copied().unwrap_or(0.0))).collect()
}

/// [`substitute_columns`]'s solution for the columns of `b` (`n` entries each, at most
/// `W` of them), written over them.
#[inline(always)]
fn substitute_panel<const W: usize, const LANES: usize>(l: &[f64], n: usize, b: &mut [f64]) {
    let mut x = padded_panels::<W>(b, n);
    for i in 0..n {
        let row = &l[i * n..i * n + i];
        let sums = panel_sum::<W, LANES>(i, |j| row[j], &x[..i]);
        let pivot = l[i * n + i];
        x[i].iter_mut().zip(&sums).for_each(|(x, sum)| *x = (*x - sum) / pivot);
    }
    for (t, column) in b.chunks_exact_mut(n).enumerate() {
        column.iter_mut().zip(&x).for_each(|(b, x)| *b = x[t]);
    }
}

/// `Σ_{k<count} a(k) · panels[k]`, in `LANES` partial sums (term `k` into sum
/// `k mod LANES`, so that `W / 4 · LANES` vector additions are in flight), added in order
/// at the end: the same operations in the same order at any vector width.
#[inline(always)]
fn panel_sum<const W: usize, const LANES: usize>(
    count: usize,
    a: impl Fn(usize) -> f64,
    panels: &[[f64; W]],
) -> [f64; W] {
    let mut lanes = [[0.0; W]; LANES];
    let whole = count - count % LANES;
    for start in (0..whole).step_by(LANES) {
        for (lane, sums) in lanes.iter_mut().enumerate() {
            let (a, panel) = (a(start + lane), &panels[start + lane]);
            sums.iter_mut().zip(panel).for_each(|(sum, x)| *sum += a * x);
        }
    }
    for (k, sums) in (whole..count).zip(lanes.iter_mut()) {
        let (a, panel) = (a(k), &panels[k]);
        sums.iter_mut().zip(panel).for_each(|(sum, x)| *sum += a * x);
    }
    let (first, rest) = lanes.split_at(1);
    let mut sums = first[0];
    for lane in rest {
        sums.iter_mut().zip(lane).for_each(|(sum, x)| *sum += x);
    }
    sums
}

avx2_dispatch! {
    /// The upper triangle of `UᵀU` for the `count` columns of `U` held one after the
    /// other in `columns` (`n` entries each): `count × count`, row-major, entry `(t, s)`
    /// with `s ≥ t` the [`dot`] of columns `t` and `s` (four at a time, each in `dot`'s
    /// own order); the lower triangle stays 0.
    pub(super) fn column_products(columns: &[f64], n: usize, count: usize) -> Vec<f64> => multiply_columns;
}

#[inline(always)]
fn multiply_columns(columns: &[f64], n: usize, count: usize) -> Vec<f64> {
    let mut out = vec![0.0; count * count];
    let column = |t: usize| &columns[t * n..(t + 1) * n];
    for t in 0..count {
        let row = &mut out[t * count..(t + 1) * count];
        let mut s = t;
        while s + 4 <= count {
            row[s..s + 4].copy_from_slice(&dots(column(t), [column(s), column(s + 1), column(s + 2), column(s + 3)]));
            s += 4;
        }
        for (s, out) in row.iter_mut().enumerate().skip(s) {
            *out = dot(column(t), column(s));
        }
    }
    out
}

/// Replaces `b` by `L⁻ᵀ b` for the factor of [`cholesky`], by rows of `L`: once `u_i`
/// is known, it leaves the equations above it.
pub(super) fn backward_substitute(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        b[i] /= l[i * n + i];
        let (above, rest) = b.split_at_mut(i);
        let known = rest[0];
        above.iter_mut().zip(&l[i * n..i * n + i]).for_each(|(v, lik)| *v -= lik * known);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_and_rejects_singular_systems() {
        // A = [[4, 2], [2, 3]] (upper triangle given), b = [2, 1] → u = [0.5, 0].
        let l = cholesky(vec![4.0, 2.0, 0.0, 3.0], 2).expect("positive definite");
        let u = cholesky_solve(&l, 2, vec![2.0, 1.0]);
        assert!((u[0] - 0.5).abs() < 1e-15 && u[1].abs() < 1e-15);
        assert!(cholesky(vec![1.0, 1.0, 0.0, 1.0], 2).is_none(), "rank 1");
        assert!(cholesky(vec![0.0; 4], 2).is_none());
    }

    /// A diagonally dominant 19 × 19 system (odd, so that sums have a tail past the
    /// lanes), factored.
    fn factor_19() -> (Vec<f64>, usize) {
        let n = 19;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                a[i * n + j] = if i == j { n as f64 } else { ((i * 7 + j * 3) % 5) as f64 / 10.0 - 0.2 };
            }
        }
        (cholesky(a, n).expect("positive definite"), n)
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn panels_of_columns_substitute_as_single_columns_do() {
        let (l, n) = factor_19();
        let close = |got: f64, want: f64| (got - want).abs() <= 1e-13 * (1.0 + want.abs());
        // Right-hand sides as the columns of B (one after the other): panels of 4, 8
        // (padded), 16 + 8 (padded) and 16 + 8 + 4; products four at a time and alone.
        for columns in [3, 7, 21, 28] {
            let b: Vec<f64> = (0..n * columns).map(|k| ((k * 37) % 23) as f64 / 7.0 - 1.5).collect();
            let mut solved = b.clone();
            forward_substitute_columns(&l, n, &mut solved, columns);
            for (t, (column, solved)) in b.chunks_exact(n).zip(solved.chunks_exact(n)).enumerate() {
                let mut want = column.to_vec();
                forward_substitute(&l, n, &mut want);
                for (i, (got, want)) in solved.iter().zip(&want).enumerate() {
                    assert!(close(*got, *want), "{columns} columns, ({i}, {t}): {got} vs {want}");
                }
            }
            let column = |t: usize| &solved[t * n..(t + 1) * n];
            let products = column_products(&solved, n, columns);
            for t in 0..columns {
                for s in 0..columns {
                    let got = products[t * columns + s];
                    if s < t {
                        assert_eq!(got, 0.0, "the lower triangle stays 0");
                        continue;
                    }
                    let want: f64 = column(t).iter().zip(column(s)).map(|(x, y)| x * y).sum();
                    assert!(close(got, want), "{columns} columns, ({t}, {s}): {got} vs {want}");
                    let alone = dot(column(t), column(s));
                    assert_eq!(got.to_bits(), alone.to_bits(), "four at a time as one dot product");
                }
            }
        }
    }

    #[test]
    fn moments_of_rows_added_through_either_side_are_the_direct_sums() {
        // Players 1..=6 (player 0 has no column), two targets; every coalition of them,
        // added alone through its members or (more than half of them) the players outside,
        // and every coalition again with its complement as one pair (other shifts and
        // responses), through the smaller of the two.
        let (players, targets) = (7, 2);
        let n = players - 1;
        let mut moments = Moments::new(n, targets, 1).expect("memory");
        let mut r_share = vec![0.0; targets];
        let (mut gram, mut rhs, mut weight) = (vec![0.0; n * n], vec![0.0; targets * n], 0.0);
        let mut direct = |z: &[f64], shift: f64, t: &[f64], w: f64| {
            let x: Vec<f64> = z.iter().map(|z| z - shift).collect();
            for i in 0..n {
                (0..n).for_each(|j| gram[i * n + j] += w * x[i] * x[j]);
                (0..targets).for_each(|k| rhs[k * n + i] += w * x[i] * t[k]);
            }
            weight += w;
        };
        for mask in 0u32..1 << n {
            let z: Vec<f64> = (0..n).map(|j| f64::from((mask >> j) & 1)).collect();
            let (w, shift) = (1.0 + f64::from(mask % 5) / 4.0, 0.3 * f64::from(mask % 3) - 0.2);
            let t = [f64::from(mask).sin(), f64::from(mask).cos()];
            let members: Vec<usize> = (1..players).filter(|&p| z[p - 1] == 1.0).collect();
            let others: Vec<usize> = (1..players).filter(|&p| z[p - 1] == 0.0).collect();
            let outside = 2 * members.len() > n;
            moments.set(0).add(
                if outside { &others } else { &members },
                &[Added { outside, shift, w }],
                &t,
                &mut r_share,
            );
            direct(&z, shift, &t, w);

            let complement: Vec<f64> = z.iter().map(|z| 1.0 - z).collect();
            let (shift_c, t_c) = (0.1 - shift, [t[1] * 0.5, -t[0]]);
            let listed_is_members = members.len() <= others.len();
            let rows = [
                Added { outside: !listed_is_members, shift, w },
                Added { outside: listed_is_members, shift: shift_c, w },
            ];
            let both = [t[0], t[1], t_c[0], t_c[1]];
            moments.set(0).add(if listed_is_members { &members } else { &others }, &rows, &both, &mut r_share);
            direct(&z, shift, &t, w);
            direct(&complement, shift_c, &t_c, w);
        }
        moments.normal_equations();
        let (got_gram, got_rhs, got_weight) = (moments.gram(0), moments.rhs(0), moments.weight(0));
        let close =
            |got: &[f64], want: &[f64]| got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-12 * (1.0 + w.abs()));
        let upper = |gram: &[f64]| -> Vec<f64> { (0..n).flat_map(|i| gram[i * n + i..(i + 1) * n].to_vec()).collect() };
        assert!(close(&upper(got_gram), &upper(&gram)), "{got_gram:?} vs {gram:?}");
        assert!(close(got_rhs, &rhs), "{got_rhs:?} vs {rhs:?}");
        assert!((got_weight - weight).abs() < 1e-12);
    }

    #[test]
    fn vector_width_does_not_change_the_bits() {
        // Whatever the dispatched loops run on this CPU (AVX2 or not), the plain loops give
        // the same bits.
        let (l, n) = factor_19();
        for columns in [5, 21] {
            let b: Vec<f64> = (0..n * columns).map(|k| ((k * 5 + 11) % 13) as f64 / 3.0 - 2.0).collect();
            let (mut dispatched, mut portable) = (b.clone(), b);
            forward_substitute_columns(&l, n, &mut dispatched, columns);
            substitute_columns(&l, n, &mut portable, columns);
            assert_eq!(bits(&dispatched), bits(&portable));
            assert_eq!(
                bits(&column_products(&dispatched, n, columns)),
                bits(&multiply_columns(&dispatched, n, columns))
            );
        }

        let mut a: Vec<f64> = (0..n * n).map(|k| ((k * 13) % 7) as f64 / 50.0).collect();
        (0..n).for_each(|i| a[i * n + i] = n as f64);
        let (mut dispatched, mut portable) = (a.clone(), a);
        assert!(factor_in_place(&mut dispatched, n, n as f64) && factor(&mut portable, n, n as f64));
        assert_eq!(bits(&dispatched), bits(&portable));
    }
}
