//! KernelSHAP's constrained weighted least squares, solved stably.
//!
//! # The problem
//! For coalitions `z_k ∈ {0, 1}^M` with weights `w_k ≥ 0` and (link-space) values `y_k`:
//! minimise `Σ_k w_k (y_k − base − z_k·φ)²` subject to `Σ_i φ_i = total − base =: Δ`
//! (local accuracy; `base` is the value of the empty coalition, `total` that of the full one).
//!
//! # The method (null-space method with an orthogonal basis)
//! shap eliminates the last player (`φ_M = Δ − Σ_{i<M} φ_i`) and solves the normal
//! equations. Here the constraint is removed with an *orthogonal* basis of `{φ : Σφ = 0}`:
//! the Householder reflector `H = I − β v vᵀ`, `v = 1 + √M e₀`, `β = 1 / (M + √M)`, maps
//! the all-ones vector onto `−√M e₀`, so its columns `1..M` (call them `Q₂`) are an
//! orthonormal basis of that subspace. Every feasible `φ` is `φ = (Δ/M)·1 + Q₂u` for a
//! unique `u ∈ ℝ^{M−1}`, and the problem becomes the unconstrained
//! `min_u ‖√W (t − Z Q₂ u)‖²` with `t_k = y_k − base − Δ·|z_k|/M`.
//! Unlike eliminating one player, this neither depends on which player is eliminated nor
//! worsens the conditioning (the oblique basis `e_i − e_M` has condition number up to `√M`
//! in the 2-norm); `Z Q₂` costs `O(M)` per row since `zᵀH = z − β (zᵀv) vᵀ`.
//!
//! The reduced problem is solved by Householder QR with column pivoting on the
//! `√w`-scaled design in f64 (weights are first divided by their maximum, which leaves the
//! solution unchanged and keeps squares far from overflow) — never through the normal
//! equations, which would square the condition number. The design is declared
//! rank-deficient when a pivot `|R_jj|` falls to [`RANK_TOLERANCE`] `· |R_00|` or below;
//! that is an [`Error::invalid`] on `budget`, never a NaN. Finally `φ` is shifted by
//! `(Δ − Σφ)/M` (a compensated sum) so that local accuracy holds to rounding.
//!
//! # Where this differs from shap's `KernelExplainer.solve`
//! - Null-space method with QR instead of eliminating the last player and inverting the
//!   normal equations; same minimiser whenever the design has full rank.
//! - A singular design is an error here; shap falls back to a pseudo-inverse with a warning.
//! - shap's L1 feature selection (`l1_reg`; with its default `"auto"`, an AIC-chosen lasso
//!   whenever under 20 % of the coalition space is evaluated) is not applied: every player
//!   keeps its coefficient.
//!
//! Note that a *single* player present in every selected coalition, or in none, is still
//! identifiable through the constraint; two such players (or any linear dependence among
//! the coalitions restricted to `Σφ = 0`) are not, and give the error.

use super::schedule::Coalitions;
use crate::engine::scratch::{call_buffer, Scratch};
use crate::error::{Error, ErrorKind, Result};
use crate::wide::avx2_dispatch;

/// Relative tolerance on the diagonal of R (pivoted QR) below which the design is
/// declared rank-deficient. Kernel designs of full rank stay many orders of magnitude
/// above it; exactly dependent 0/1 designs fall to about 1e-16.
pub const RANK_TOLERANCE: f64 = 1e-10;

/// Solves `min Σ_k w_k (y_k − base − z_k·φ)²` subject to `Σ_i φ_i = total − base`, where
/// `z_k` is coalition `k` of `coalitions`, `w_k = weights[k]` (finite, `≥ 0`) and
/// `y_k = values[k]` its (link-space) value. Returns `φ` (one per player).
///
/// Fails with an error on `budget` when the coalitions do not determine `φ` (too few, or
/// linearly dependent), and on mismatched lengths or non-finite inputs.
pub fn constrained_wls(
    coalitions: &Coalitions,
    weights: &[f64],
    values: &[f64],
    base: f64,
    total: f64,
) -> Result<Vec<f64>> {
    solve(coalitions, weights, values, 0..coalitions.len(), base, total)
}

/// [`constrained_wls`] on the selected `rows` of `coalitions`, `weights` and `values`
/// only (indices into them; a repeated index counts twice). Lets the caller re-solve per
/// subset of the sampling units
/// without copying the coalitions or values.
pub fn constrained_wls_rows(
    coalitions: &Coalitions,
    weights: &[f64],
    values: &[f64],
    rows: &[usize],
    base: f64,
    total: f64,
) -> Result<Vec<f64>> {
    solve(coalitions, weights, values, rows.iter().copied(), base, total)
}

/// Both entry points: check, reduce, factorise, expand.
fn solve(
    coalitions: &Coalitions,
    weights: &[f64],
    values: &[f64],
    rows: impl ExactSizeIterator<Item = usize> + Clone,
    base: f64,
    total: f64,
) -> Result<Vec<f64>> {
    check_inputs(coalitions, weights, values, rows.clone(), base, total)?;
    let delta = total - base;
    let players = coalitions.players();
    if players == 1 {
        return Ok(vec![delta]);
    }
    let basis = NullSpace::new(players);
    let design = Design { coalitions, weights, values, base, delta, basis: &basis };
    let u = householder_solve(design.least_squares(rows)?)?;
    let mut phi = basis.expand(&u, delta);
    restore_sum(&mut phi, delta);
    if phi.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid("values", "the solve overflowed f64; the values are too large to attribute"));
    }
    Ok(phi)
}

/// Fails on the first input that is inconsistent or not finite.
fn check_inputs(
    coalitions: &Coalitions,
    weights: &[f64],
    values: &[f64],
    rows: impl Iterator<Item = usize>,
    base: f64,
    total: f64,
) -> Result<()> {
    let len = coalitions.len();
    if coalitions.players() == 0 {
        return Err(Error::invalid("coalitions", "have no players, expected at least 1"));
    }
    if weights.len() != len {
        return Err(Error::length("weights", weights.len(), format!("{len} (one per coalition)")));
    }
    if values.len() != len {
        return Err(Error::length("values", values.len(), format!("{len} (one per coalition)")));
    }
    for (name, value) in [("base", base), ("total", total), ("total − base", total - base)] {
        if !value.is_finite() {
            return Err(non_finite(format!("{name} is {value}, expected a finite number")));
        }
    }
    for (i, row) in rows.enumerate() {
        if row >= len {
            return Err(Error::invalid("rows", format!("element {i} is {row}, expected a coalition index < {len}")));
        }
        let weight = weights[row];
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(Error::invalid("weights", format!("element {row} is {weight}, expected a finite weight ≥ 0")));
        }
        if !values[row].is_finite() {
            return Err(non_finite(format!("values: element {row} is {}, expected a finite number", values[row])));
        }
    }
    Ok(())
}

fn non_finite(message: String) -> Error {
    Error::new(ErrorKind::NonFiniteInput, message)
}

/// The error of a design that does not determine `φ`.
fn rank_error(rows: usize, rank: usize, unknowns: usize) -> Error {
    Error::invalid(
        "budget",
        format!(
            "the {rows} selected coalitions determine only {rank} of the {unknowns} free directions of the \
             attributions (rank-deficient design: too few coalitions, or players present in all or none of them); \
             raise the budget"
        ),
    )
}

/// The orthonormal basis `Q₂` (columns `1..M` of the reflector `H`) of `{φ : Σφ = 0}`.
pub(super) struct NullSpace {
    players: usize,
    sqrt_players: f64,
    /// `β = 2 / vᵀv = 1 / (M + √M)`.
    beta: f64,
}

impl NullSpace {
    pub(super) fn new(players: usize) -> Self {
        let m = players as f64;
        let sqrt_players = m.sqrt();
        Self { players, sqrt_players, beta: 1.0 / (m + sqrt_players) }
    }

    /// `zᵀQ₂` for coalition `coalition` into `out` (`M − 1` entries):
    /// `z_j − β (|z| + √M z₀)` for `j = 1..M`.
    pub(super) fn row(&self, coalitions: &Coalitions, coalition: usize, out: &mut [f64]) {
        let bits = coalitions.bits(coalition);
        let size = bits.iter().map(|w| w.count_ones()).sum::<u32>() as usize;
        let bit = |j: usize| ((bits[j / 64] >> (j % 64)) & 1) as f64;
        let shift = self.shift(size, bit(0) == 1.0);
        for (j, x) in (1..self.players).zip(out.iter_mut()) {
            *x = bit(j) - shift;
        }
    }

    /// The shift `β (|z| + √M z₀)` every entry of a coalition's row loses (see
    /// [`row`](Self::row)), for a coalition of `size` players that holds player 0 or not.
    pub(super) fn shift(&self, size: usize, has_first: bool) -> f64 {
        let first = if has_first { self.sqrt_players } else { 0.0 };
        self.beta * (size as f64 + first)
    }

    /// `φ = (Δ/M)·1 + Q₂u`.
    pub(super) fn expand(&self, u: &[f64], delta: f64) -> Vec<f64> {
        let mean = delta / self.players as f64;
        let sum: f64 = u.iter().sum();
        let first = mean - sum / self.sqrt_players;
        std::iter::once(first).chain(u.iter().map(|&x| mean + x - self.beta * sum)).collect()
    }
}

/// Adds `(Δ − Σφ)/M` to every `φ_i`, removing the rounding drift from the constraint.
fn restore_sum(phi: &mut [f64], delta: f64) {
    let shift = (delta - compensated_sum(phi)) / phi.len() as f64;
    phi.iter_mut().for_each(|v| *v += shift);
}

/// Neumaier's compensated sum.
fn compensated_sum(values: &[f64]) -> f64 {
    let (mut sum, mut compensation) = (0.0f64, 0.0f64);
    for &v in values {
        let t = sum + v;
        compensation += if sum.abs() >= v.abs() { (sum - t) + v } else { (v - t) + sum };
        sum = t;
    }
    sum + compensation
}

/// The inputs of one solve, before reduction.
struct Design<'a> {
    coalitions: &'a Coalitions,
    weights: &'a [f64],
    values: &'a [f64],
    base: f64,
    delta: f64,
    basis: &'a NullSpace,
}

impl Design<'_> {
    /// The reduced, `√w`-scaled least-squares problem over `rows`.
    fn least_squares(&self, rows: impl ExactSizeIterator<Item = usize> + Clone) -> Result<LeastSquares> {
        let m = rows.len();
        let n = self.basis.players - 1;
        if m < n {
            return Err(rank_error(m, m, n));
        }
        let max_weight = rows.clone().map(|r| self.weights[r]).fold(0.0, f64::max);
        if max_weight == 0.0 {
            return Err(rank_error(m, 0, n));
        }
        let cells = m.checked_mul(n).ok_or_else(|| Error::invalid("budget", "coalitions × players overflows"))?;
        let mut a = call_buffer("the least-squares design", cells)?;
        let mut b = call_buffer("the least-squares right-hand side", m)?;
        // The buffers' slices, taken once: through `Scratch`'s `DerefMut` in the loop, the
        // compiler may reload the buffer's pointer and length for every element.
        let (design, sides) = (a.as_mut_slice(), b.as_mut_slice());
        let mut x = vec![0.0; n];
        let players = self.basis.players as f64;
        for (i, row) in rows.enumerate() {
            let scale = (self.weights[row] / max_weight).sqrt();
            self.basis.row(self.coalitions, row, &mut x);
            for (j, &value) in x.iter().enumerate() {
                design[j * m + i] = scale * value;
            }
            let size = self.coalitions.size(row) as f64;
            sides[i] = scale * (self.values[row] - self.base - self.delta * size / players);
        }
        Ok(LeastSquares { rows: m, cols: n, a, b })
    }
}

avx2_dispatch! {
    /// [`LeastSquares::solve`]: its reflections' dot products and updates run four `f64` per
    /// vector where the CPU has AVX2 (the same operations in the same order: the same bits).
    fn householder_solve(problem: LeastSquares) -> Result<Vec<f64>> => LeastSquares::solve;
}

/// `min ‖b − A x‖²` with `A` (`rows × cols`, `rows ≥ cols`) stored column by column, in
/// buffers of the call's engine (every element written by [`Design::least_squares`]).
struct LeastSquares {
    rows: usize,
    cols: usize,
    a: Scratch<f64>,
    b: Scratch<f64>,
}

impl LeastSquares {
    /// Householder QR with column pivoting, then back substitution.
    #[inline(always)]
    fn solve(mut self) -> Result<Vec<f64>> {
        let n = self.cols;
        let mut permutation: Vec<usize> = (0..n).collect();
        let mut diagonal = vec![0.0; n];
        for j in 0..n {
            // Large solves take seconds: a cancelled call stops here too (a column costs
            // rows × cols work, far more than the check).
            crate::engine::call_control::check_current()?;
            let pivot = self.pivot(j);
            self.swap_columns(j, pivot);
            permutation.swap(j, pivot);
            diagonal[j] = self.reflect(j);
            if diagonal[j].abs() <= RANK_TOLERANCE * diagonal[0].abs() || diagonal[j] == 0.0 {
                return Err(rank_error(self.rows, j, n));
            }
        }
        let x = self.back_substitute(&diagonal);
        let mut u = vec![0.0; n];
        for (i, &column) in permutation.iter().enumerate() {
            u[column] = x[i];
        }
        Ok(u)
    }

    /// Column `c`, rows `from..`.
    #[inline(always)]
    fn column(&self, c: usize, from: usize) -> &[f64] {
        &self.a[c * self.rows + from..(c + 1) * self.rows]
    }

    /// The column among `j..cols` of largest norm over rows `j..` (the first on ties).
    #[inline(always)]
    fn pivot(&self, j: usize) -> usize {
        let mut best = (j, -1.0);
        for c in j..self.cols {
            let column = self.column(c, j);
            let norm = dot(column, column);
            if norm > best.1 {
                best = (c, norm);
            }
        }
        best.0
    }

    #[inline(always)]
    fn swap_columns(&mut self, c: usize, d: usize) {
        if c != d {
            let m = self.rows;
            let (low, high) = (c.min(d), c.max(d));
            let (left, right) = self.a.split_at_mut(high * m);
            left[low * m..(low + 1) * m].swap_with_slice(&mut right[..m]);
        }
    }

    /// Applies the Householder reflection zeroing column `j` below row `j` to columns
    /// `j..` and to `b`; returns `R_jj`.
    #[inline(always)]
    fn reflect(&mut self, j: usize) -> f64 {
        let m = self.rows;
        let (head, tail) = self.a.split_at_mut((j + 1) * m);
        let v = &mut head[j * m + j..];
        let norm = dot(v, v).sqrt();
        if norm == 0.0 {
            return 0.0;
        }
        let alpha = if v[0] > 0.0 { -norm } else { norm };
        v[0] -= alpha;
        let tau = 2.0 / dot(v, v);
        for column in tail.chunks_exact_mut(m) {
            reflect_into(&mut column[j..], v, tau);
        }
        reflect_into(&mut self.b[j..], v, tau);
        alpha
    }

    /// Solves `R x = (Qᵀb)[..cols]`; `R`'s strict upper triangle lies in `a`.
    #[inline(always)]
    fn back_substitute(&self, diagonal: &[f64]) -> Vec<f64> {
        let n = self.cols;
        let mut x = self.b[..n].to_vec();
        for i in (0..n).rev() {
            let above: f64 = (i + 1..n).map(|c| self.a[c * self.rows + i] * x[c]).sum();
            x[i] = (x[i] - above) / diagonal[i];
        }
        x
    }
}

/// `y ← y − τ (vᵀy) v`.
#[inline(always)]
fn reflect_into(y: &mut [f64], v: &[f64], tau: f64) {
    let factor = tau * dot(y, v);
    y.iter_mut().zip(v).for_each(|(a, b)| *a -= factor * b);
}

/// Lanes of [`dot`]'s partial sums.
pub(super) const DOT_LANES: usize = 8;

/// `aᵀb` over the shorter length, summed in [`DOT_LANES`] interleaved partial sums (a
/// fixed order, so the same bits on every machine and thread count) that the compiler
/// keeps in vector registers; a single running sum would wait on each addition.
#[inline(always)]
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    if len < DOT_LANES {
        // Only the tail: what `sum_lanes` gives with every lane 0 (`0 + tail`, so that a
        // tail of −0 gives +0 as there).
        return 0.0 + a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    }
    let mut lanes = [0.0f64; DOT_LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(DOT_LANES), b.chunks_exact(DOT_LANES));
    let tail: f64 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for ((lane, x), y) in lanes.iter_mut().zip(x).zip(y) {
            *lane += x * y;
        }
    }
    sum_lanes(&lanes, tail)
}

/// [`dot`] of `a` with each of `others`, every one in `dot`'s own order (the same bits
/// as four calls), sharing the loads of `a`.
#[inline(always)]
pub(super) fn dots(a: &[f64], others: [&[f64]; 4]) -> [f64; 4] {
    /// The whole groups of [`DOT_LANES`] in `v[..whole]`, as arrays (so that the lanes'
    /// loop needs no bounds checks; every group converts).
    fn chunks(v: &[f64], whole: usize) -> impl Iterator<Item = Option<&[f64; DOT_LANES]>> {
        v[..whole].chunks_exact(DOT_LANES).map(|c| c.try_into().ok())
    }
    let len = others.iter().fold(a.len(), |len, b| len.min(b.len()));
    let whole = len - len % DOT_LANES;
    let mut lanes = [[0.0f64; DOT_LANES]; 4];
    let [b0, b1, b2, b3] = others.map(|b| chunks(b, whole));
    for ((((x, y0), y1), y2), y3) in chunks(a, whole).zip(b0).zip(b1).zip(b2).zip(b3) {
        let (Some(x), Some(y0), Some(y1), Some(y2), Some(y3)) = (x, y0, y1, y2, y3) else { continue };
        for l in 0..DOT_LANES {
            lanes[0][l] += x[l] * y0[l];
            lanes[1][l] += x[l] * y1[l];
            lanes[2][l] += x[l] * y2[l];
            lanes[3][l] += x[l] * y3[l];
        }
    }
    finish_dots(&lanes, &a[whole..len], others.map(|b| &b[whole..len]))
}

/// [`dots`]' last step: each of its four sums of `lanes`, with the tails past the whole
/// groups (`a`'s and each of `others`'). Kept out of line: where LLVM inlined it into an
/// AVX2 copy of [`dots`], it compiled the lanes' loop with several times the instructions
/// (`benches/compare/README.md`, stop 52).
#[inline(never)]
fn finish_dots(lanes: &[[f64; DOT_LANES]; 4], a: &[f64], others: [&[f64]; 4]) -> [f64; 4] {
    let mut sums = [0.0; 4];
    for ((sum, lanes), b) in sums.iter_mut().zip(lanes).zip(others) {
        let tail: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        *sum = sum_lanes(lanes, tail);
    }
    sums
}

/// [`dot`]'s last step: its partial sums added pairwise in a fixed order, then the
/// sequential `tail` past the last whole group of [`DOT_LANES`].
#[inline(always)]
pub(super) fn sum_lanes(lanes: &[f64; DOT_LANES], tail: f64) -> f64 {
    let halves = [lanes[0] + lanes[4], lanes[1] + lanes[5], lanes[2] + lanes[6], lanes[3] + lanes[7]];
    (halves[0] + halves[2]) + (halves[1] + halves[3]) + tail
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use super::super::schedule::{default_budget, kernel_schedule, Schedule};
    use super::*;

    fn schedule(players: usize, budget: usize, seed: u64) -> Schedule {
        kernel_schedule(players, budget, &mut ChaCha20Rng::seed_from_u64(seed)).expect("valid schedule")
    }

    /// A deterministic pseudo-random number in [−1, 1) from `key` (splitmix64).
    fn hash(key: u64) -> f64 {
        let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// The coefficients of a linear game.
    fn coefficients(players: usize) -> Vec<f64> {
        (0..players).map(|i| 3.0 * hash(1000 + i as u64)).collect()
    }

    fn linear_value(coalitions: &Coalitions, c: usize, base: f64, a: &[f64]) -> f64 {
        base + coalitions.members(c).map(|i| a[i]).sum::<f64>()
    }

    /// Solves the linear game `v(S) = base + Σ_{i∈S} a_i` on `schedule`, checks local
    /// accuracy and returns the largest error against `a`.
    fn linear_error(schedule: &Schedule) -> f64 {
        let players = schedule.coalitions.players();
        let (base, a) = (0.7, coefficients(players));
        let total = base + a.iter().sum::<f64>();
        let values: Vec<f64> = (0..schedule.len()).map(|c| linear_value(&schedule.coalitions, c, base, &a)).collect();
        let phi = constrained_wls(&schedule.coalitions, &schedule.weights, &values, base, total).expect("full rank");
        assert_local_accuracy(&phi, total - base);
        phi.iter().zip(&a).map(|(p, a)| (p - a).abs()).fold(0.0, f64::max)
    }

    fn assert_local_accuracy(phi: &[f64], delta: f64) {
        assert!(phi.iter().all(|v| v.is_finite()));
        let sum: f64 = phi.iter().sum();
        assert!((sum - delta).abs() <= 1e-12, "Σφ = {sum}, expected {delta}");
    }

    /// A nonlinear game on masks of at most 64 players: a hash of the mask.
    fn hash_game(mask: u64) -> f64 {
        hash(mask)
    }

    fn factorial(n: usize) -> f64 {
        (1..=n).map(|k| k as f64).product()
    }

    /// Shapley values by definition: φ_i = Σ_{S ⊆ N∖{i}} |S|! (M − |S| − 1)! / M! · (v(S ∪ {i}) − v(S)).
    fn brute_force_shapley(players: usize, v: impl Fn(u64) -> f64) -> Vec<f64> {
        let full = (1u64 << players) - 1;
        (0..players)
            .map(|i| {
                let player = 1u64 << i;
                (0..=full)
                    .filter(|s| s & player == 0)
                    .map(|s| {
                        let size = s.count_ones() as usize;
                        let weight = factorial(size) * factorial(players - size - 1) / factorial(players);
                        weight * (v(s | player) - v(s))
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn linear_games_are_recovered_exactly_and_by_sampling() {
        for players in 2..=10 {
            let exact = schedule(players, usize::MAX, 0);
            assert!(exact.exact);
            assert!(linear_error(&exact) < 1e-10, "exact, M = {players}");
        }
        for (players, budget) in [(3, 4), (5, 12), (10, 100), (12, 500), (20, default_budget(20)), (100, 2248)] {
            for seed in 0..3 {
                let sampled = schedule(players, budget, seed);
                assert!(!sampled.exact);
                assert!(linear_error(&sampled) < 1e-10, "sampled, M = {players}, budget {budget}");
            }
        }
    }

    #[test]
    fn exact_schedule_gives_the_shapley_values_of_any_game() {
        for players in 2..=10 {
            for game in 0..3u64 {
                let v = |mask: u64| hash_game(mask ^ (game << 40));
                let expected = brute_force_shapley(players, v);
                let schedule = schedule(players, usize::MAX, 0);
                let values: Vec<f64> = (0..schedule.len()).map(|c| v(schedule.coalitions.bits(c)[0])).collect();
                let (base, total) = (v(0), v((1u64 << players) - 1));
                let phi = constrained_wls(&schedule.coalitions, &schedule.weights, &values, base, total)
                    .expect("the exact design has full rank");
                assert_local_accuracy(&phi, total - base);
                for (i, (p, e)) in phi.iter().zip(&expected).enumerate() {
                    assert!((p - e).abs() < 1e-9, "M = {players}, game {game}, player {i}: {p} vs {e}");
                }
            }
        }
    }

    #[test]
    fn sampled_schedule_approaches_the_shapley_values_of_a_smooth_game() {
        let players = 12;
        let a = coefficients(players);
        let v = |mask: u64| {
            let s: f64 = (0..players).filter(|i| mask >> i & 1 == 1).map(|i| a[i]).sum();
            (0.5 * s).sin() + 0.1 * s * s
        };
        let expected = brute_force_shapley(players, v);
        let schedule = schedule(players, 2000, 4);
        let values: Vec<f64> = (0..schedule.len()).map(|c| v(schedule.coalitions.bits(c)[0])).collect();
        let (base, total) = (v(0), v((1u64 << players) - 1));
        let phi = constrained_wls(&schedule.coalitions, &schedule.weights, &values, base, total).expect("full rank");
        assert_local_accuracy(&phi, total - base);
        let scale = expected.iter().map(|e| e.abs()).fold(0.0, f64::max);
        let error = phi.iter().zip(&expected).map(|(p, e)| (p - e).abs()).fold(0.0, f64::max);
        assert!(error < 0.05 * scale, "max error {error}, largest |φ| {scale}");
    }

    #[test]
    fn sixty_four_players_with_the_default_budget_stay_accurate() {
        let players = 64;
        for seed in 0..3 {
            let schedule = schedule(players, default_budget(players), seed);
            assert!(linear_error(&schedule) < 1e-8);
            let values: Vec<f64> = (0..schedule.len()).map(|c| hash_game(schedule.coalitions.bits(c)[0])).collect();
            let (base, total) = (hash_game(0), hash_game(u64::MAX));
            let phi =
                constrained_wls(&schedule.coalitions, &schedule.weights, &values, base, total).expect("full rank");
            assert_local_accuracy(&phi, total - base);
        }
    }

    #[test]
    fn solves_on_selected_rows_use_only_those() {
        let schedule = schedule(16, 600, 9);
        let players = 16;
        let (base, a) = (-1.5, coefficients(players));
        let total = base + a.iter().sum::<f64>();
        let values: Vec<f64> = (0..schedule.len()).map(|c| linear_value(&schedule.coalitions, c, base, &a)).collect();
        let all: Vec<usize> = (0..schedule.len()).collect();
        let full = constrained_wls(&schedule.coalitions, &schedule.weights, &values, base, total).expect("full rank");
        let by_rows = constrained_wls_rows(&schedule.coalitions, &schedule.weights, &values, &all, base, total)
            .expect("full rank");
        assert_eq!(full, by_rows);
        assert!(schedule.units > 1);
        for half in 0..2 {
            let rows: Vec<usize> =
                (0..schedule.len()).filter(|&r| schedule.unit[r].is_none_or(|u| u % 2 == half)).collect();
            let phi = constrained_wls_rows(&schedule.coalitions, &schedule.weights, &values, &rows, base, total)
                .expect("enumerated sizes 1 and M − 1 keep every half at full rank");
            assert_local_accuracy(&phi, total - base);
            assert!(phi.iter().zip(&a).all(|(p, a)| (p - a).abs() < 1e-10));
        }
    }

    fn coalitions(players: usize, members: &[&[usize]]) -> Coalitions {
        let mut coalitions = Coalitions::new(players);
        for m in members {
            coalitions.push(m.iter().copied()).expect("valid members");
        }
        coalitions
    }

    fn solve_linear(coalitions: &Coalitions, a: &[f64]) -> Result<Vec<f64>> {
        let values: Vec<f64> = (0..coalitions.len()).map(|c| linear_value(coalitions, c, 0.0, a)).collect();
        constrained_wls(coalitions, &vec![1.0; coalitions.len()], &values, 0.0, a.iter().sum())
    }

    #[test]
    fn rank_deficient_designs_ask_for_a_larger_budget() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let cases: [&[&[usize]]; 4] = [
            &[&[0], &[0, 1]],                                  // fewer coalitions than unknowns
            &[&[0], &[1], &[0, 1], &[0], &[1]],                // players 2 and 3 never present
            &[&[0, 2, 3], &[1, 2, 3], &[2, 3], &[0, 1, 2, 3]], // players 2 and 3 always present
            &[&[0, 1], &[2, 3], &[0, 1], &[2, 3]],             // players 0, 1 (and 2, 3) always together
        ];
        for members in cases {
            let error = solve_linear(&coalitions(4, members), &a).expect_err("rank-deficient");
            assert_eq!(error.kind(), ErrorKind::InvalidArgument);
            assert!(error.message().starts_with("budget:") && error.message().contains("raise the budget"));
        }
        let zero_weights = coalitions(3, &[&[0], &[1]]);
        let error = constrained_wls(&zero_weights, &[0.0, 0.0], &[1.0, 1.0], 0.0, 1.0).expect_err("no weight");
        assert!(error.message().starts_with("budget:"));
    }

    #[test]
    fn one_player_absent_everywhere_is_pinned_by_the_constraint() {
        let a = [1.0, -2.0, 5.0];
        let phi = solve_linear(&coalitions(3, &[&[0], &[1]]), &a).expect("identifiable");
        assert!(phi.iter().zip(&a).all(|(p, a)| (p - a).abs() < 1e-12));
        let phi = solve_linear(&coalitions(3, &[&[0, 2], &[1, 2]]), &a).expect("identifiable");
        assert!(phi.iter().zip(&a).all(|(p, a)| (p - a).abs() < 1e-12));
    }

    #[test]
    fn inputs_are_checked() {
        let c = coalitions(3, &[&[0], &[1], &[2]]);
        let ok = [1.0, 1.0, 1.0];
        let message = |r: Result<Vec<f64>>| r.expect_err("invalid input").message().to_owned();
        assert!(message(constrained_wls(&c, &ok[..2], &ok, 0.0, 1.0)).starts_with("weights: length 2"));
        assert!(message(constrained_wls(&c, &ok, &ok[..2], 0.0, 1.0)).starts_with("values: length 2"));
        assert!(message(constrained_wls(&c, &[1.0, -1.0, 1.0], &ok, 0.0, 1.0)).starts_with("weights: element 1"));
        assert!(message(constrained_wls(&c, &ok, &[1.0, f64::NAN, 1.0], 0.0, 1.0)).starts_with("values: element 1"));
        assert!(message(constrained_wls(&c, &ok, &ok, f64::INFINITY, 1.0)).starts_with("base"));
        assert!(message(constrained_wls_rows(&c, &ok, &ok, &[0, 3], 0.0, 1.0)).starts_with("rows: element 1"));
        assert_eq!(constrained_wls(&coalitions(1, &[]), &[], &[], 0.5, 2.0), Ok(vec![1.5]));
    }
}
