//! KernelSHAP with third-order interactions (estimators `leverage_interactions` and
//! `leverage_top_triples`): PolySHAP (Fumagalli et al., 2025) on a paired schedule,
//! restricted to the triples among the most important players, and (for
//! `leverage_top_triples`) each player's size term and score term.
//!
//! # The model
//! A complementary pair `{S, N∖S}` measures the game's antisymmetric part
//! `y(S) = (v(S) − v(N∖S)) / 2`, and only that part carries Shapley values. It is fitted by
//! weighted least squares on the ±1 (Walsh) products `χ_T(S) = Π_{i∈T} (2 z_i − 1)` over
//! the odd sets `T` chosen below (antisymmetric exactly when `|T|` is odd), with the pair's
//! regression weight, subject to local accuracy: the pair `{N, ∅}` gives
//! `Σ_T a_T = (v(N) − v(∅)) / 2`. The Shapley values are `φ_i = Σ_{T∋i} 2 a_T / |T|`. With
//! the players alone (`|T| = 1`) this is paired KernelSHAP exactly; every triple added
//! captures a three-way interaction that KernelSHAP's linear fit leaves as noise.
//!
//! # Size terms
//! `leverage_top_triples` also fits, for every player, the size term
//! `u_i(S) = χ_i(S) · h(|S|)` with `h(s) = ((2s − M) / M)²` ([`size_scale`]): player `i`'s
//! effect growing towards the smallest and the largest coalitions, as saturating models
//! (a sigmoid, a capped score) make it. `h` is even about `M / 2`, so `u_i` is
//! antisymmetric like `χ_i`, and `h(M) = 1` keeps the constraint `Σ a = Δ / 2`. Since
//! `2|S| − M = Σ_j χ_j`, its Walsh expansion is `(M χ_i + 2 Σ_{k≠i} χ_k + 2 Σ_{j<k; j,k≠i}
//! χ_{ijk}) / M²`: the sum of every triple containing `i`, which the linear fit leaves as
//! noise in all the players' coefficients, for one coefficient. Its Shapley values have a
//! closed form by symmetry (`size_term_shapley`). The size terms are fitted
//! unpenalised, and only where the pairs support the players and them together
//! ([`PAIRS_PER_COEFFICIENT`] pairs per coefficient, from budget `16 M`) and a triple
//! still fits beside them (M < 128); they count towards [`MAX_COEFFICIENTS`].
//!
//! Measured with numpy before any Rust was written, at equal coalitions, on top of the six
//! players' triples: they lowered the mean absolute error by 11–19 % on the comparison MLP
//! (12 and 16 players) and by 1–12 % on three other models of 16 players (a tree ensemble,
//! a logistic score, a product model), and never raised it. A quartic `h` beside it
//! changed nothing, nor did size-scaled products of the top players' pairs or triples.
//! `leverage_interactions` does not fit them: its penalised triples among up to twelve
//! players already span most of these directions, and with them its jackknife's 1.96-SE
//! coverage on the comparison MLP rose from 0.93–0.97 to 0.97–0.98.
//!
//! # Score terms
//! `leverage_top_triples` also fits, from 24 coalitions per player (the players' signs,
//! size terms and score terms unpenalised), every player's score term
//! `u_i(S) = χ_i(S) · (Σ_j b_j χ_j(S))²` along the direction `b` of the players' linear
//! values on the same sample (scaled to `Σ|b_j| = 1`): the size term with the equal weights
//! `1/M` replaced by the players' own, so that one coefficient per player captures its
//! effect changing with the coalition's linear score, as a model that saturates along its
//! score (a logistic scorecard, a network with a dominant direction) makes it. Its Walsh
//! expansion has a closed form, and so do its Shapley values (`add_score_term_shapley`). Its
//! value at the full coalition is `(Σ_j b_j)²`, not 1, so the constraint reads
//! `Σ_T c_T a_T = Δ / 2` with `c_T` each term's value there. A score term is not ±1: its
//! Gram entries are summed pair by pair ([`score_gram`](super::score_gram)). Where `b`
//! makes the score terms the size terms (equal values) or the players' signs (one nonzero
//! value), the system is singular and the fit goes on without them; near such a `b` the
//! two sets of terms give nearly the same Shapley values, so the near-collinearity does not
//! amplify the noise (at 12 players with effects within 10⁻⁶ to 10⁻¹ of equal, 0.91–1.02×
//! the error without them: `score_terms_near_the_size_terms_do_not_amplify_noise`). `b`
//! comes from the sample and is held fixed in the jackknife's replicates, as the triples'
//! ranking is.
//!
//! Measured on the comparison MLP (`benches/compare/README.md`), with the triples among five
//! players instead of six: the mean absolute error at equal coalitions went from 0.49–0.56×
//! shap's to 0.42–0.48× at 16 players (budgets 500 to 2080) and to 0.36–0.50× at 12, with
//! 1.96-SE coverage 0.944–0.967; in numpy first, on other models of 16 players, −22 to −36 %
//! on a logistic score, ±4 % on trees and a product model.
//!
//! # Which triples
//! The triples among the `k` players with the largest linear (KernelSHAP) values of the same
//! sample, `k` the largest that keeps at most [`MAX_COEFFICIENTS`] coefficients (all 220
//! triples of 12 players; 12 of 16) and at most the estimator's own cap (`k ≤ 5`, 10
//! triples, for `leverage_top_triples`, the default). The triples among the players that the pairs support
//! on their own ([`PAIRS_PER_COEFFICIENT`] pairs per coefficient) are fitted freely; the
//! others carry a ridge penalty of [`RIDGE`] times the pairs' total weight, which shrinks
//! them towards 0 where the pairs say little. Below `k = 3` (256 players and more) the
//! linear fit stands.
//!
//! Measured on the comparison MLP (`benches/compare/README.md`): the penalised triples
//! lowered the error at M = 12 by 1.6× at budget 300 and 2.0× at 1000, against the free
//! triples alone. The penalty is consistent: with every coalition enumerated the fit gives
//! the exact Shapley values whatever it is (a numpy check with interactions of orders 2 to
//! 4). A penalty of 0.03 or 0.1 lowered the error a little more but made the jackknife
//! errors too wide (1.96-SE coverage up to 0.99); 0.3 keeps it at 0.93–0.97.

//! # Solving
//! By the (penalised) normal equations, factored by Cholesky in f64, with the constraint by
//! a Lagrange multiplier: `a = G⁻¹r + G⁻¹c · (Δ/2 − cᵀG⁻¹r) / (cᵀG⁻¹c)` (`r` the right
//! side, `c` the terms' values at the full coalition). The Walsh products are orthogonal
//! under the uniform weighting and nearly so under the kernel's, so the Gram matrix stays
//! well conditioned; when a pivot collapses the linear fit stands. Since every term but the
//! score terms is ±1, the Gram matrix is counted from the terms' sign bits
//! ([`sign_gram`](super::sign_gram)): a few XOR-and-popcounts per 64 pairs and entry
//! instead of a multiply-add per pair.
//!
//! # Standard errors
//! The delete-a-group jackknife of [`jackknife`](super::jackknife), with the same groups
//! and variance factors: leaving group `g` out, its weight goes to the other sampled pairs
//! and the fit is solved again on the same terms, with the same penalty. A group of few
//! pairs is removed exactly by the Woodbury identity from one factorisation (the group's
//! rows substituted through the factor together, as panels of columns); a large one is
//! refitted from the enumerated and sampled pairs' normal equations less the group's.
//! Where a removal leaves the system singular (a free triple that only the removed pairs
//! identify), that group's replicate is refitted with every triple penalised, so that the
//! errors stay available; the values are always the fit's own, whatever the groups.
//!
//! # Threads
//! The removals run on the engine's workers, one group per task, and with more than one
//! worker the Gram matrix's rows are split among them. Each replicate and each Gram entry
//! is computed by one worker in a fixed order, so the values and errors are the same bits
//! on any number of threads (on 2 threads the fit takes 1.3–1.5× less wall time; the
//! factorisations stay on one).
//!
//! The errors are conditional on the chosen triples. Choosing them again in every replicate
//! (refitting where the choice differs) changed the errors by about 2 % on the comparison
//! MLP (1.96-SE coverage 0.941–0.963 without, 0.944–0.965 with), but where many players
//! have nearly equal values (irrelevant features) nearly every replicate chooses
//! differently and the fit cost 20 times as much (`kernel_shap_floor`, 297 ms), so the
//! choice is kept. A linearised jackknife (one factorisation, two triangular solves per
//! group) was tried first: with four pairs per coefficient the pairs' leverages are near
//! 1/4, and it understated the errors by a fifth (coverage 0.86–0.91).

use std::ops::Range;

use super::batched_cholesky::{factor_lanes, padded_right_sides, padded_systems, solve_lanes, LANES};
use super::jackknife::{
    backward_substitute, cholesky, cholesky_relative_to, cholesky_solve, column_products, forward_substitute,
    forward_substitute_columns, stopped, Replicates,
};
use rayon::prelude::*;

use super::schedule::{Coalitions, Schedule};
use super::score_gram::ScoreRows;
use super::sign_gram::{Part, SignColumns};
use super::solve::dot;
use crate::engine::call_control::{self, ControlScope};
use crate::error::Result;
use crate::parallel;

/// The fewest complementary pairs per unpenalised coefficient.
pub(super) const PAIRS_PER_COEFFICIENT: usize = 4;

/// The ridge penalty on each further triple's coefficient, as a share of the pairs' total
/// weight (every term's own weighted sum of squares, since the terms are ±1).
pub(super) const RIDGE: f64 = 0.3;

/// The most coefficients (players plus triples) one fit keeps: bounds its cost at
/// `pairs · 256² / 64` popcounts for the Gram matrix, `pairs · 256² / 2` multiply-adds for
/// the jackknife's removals and a few `256 × 256` matrices.
pub(super) const MAX_COEFFICIENTS: usize = 256;

/// The most normal equations (and factors) the fit holds at once: the enumerated and the
/// sampled pairs', a group's, their combination and its factor.
pub(super) const INTERACTION_SYSTEMS: usize = 5;

/// Which odd functions an interaction fit may use beside the players' signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct InteractionTerms {
    /// The most players whose triples are fitted.
    pub(super) triple_players: usize,
    /// Whether the players' size terms are fitted where the pairs support them.
    pub(super) size_terms: bool,
    /// Whether the players' score terms are fitted beside their size terms where the pairs
    /// support both.
    pub(super) score_terms: bool,
}

impl InteractionTerms {
    /// The most terms per player: its sign, its size term and its score term.
    fn most_player_terms(self) -> usize {
        1 + usize::from(self.size_terms) + usize::from(self.size_terms && self.score_terms)
    }
}

/// The most coefficients of a fit for `players` players on `terms`, with any number of
/// its terms per player (0 when no triple fits).
fn most_coefficients(players: usize, terms: InteractionTerms) -> usize {
    (1..=terms.most_player_terms())
        .filter(|&per_player| Terms::player_terms_fit(players, per_player, usize::MAX))
        .map(|per_player| {
            let base = per_player * players;
            let k = Terms::supported_players(base, players, terms.triple_players, usize::MAX);
            if k < 3 {
                0
            } else {
                base + Terms::triples_among(k)
            }
        })
        .max()
        .unwrap_or(0)
}

/// The bytes of one system of normal equations of the largest fit for `players` players
/// on `terms` (0 when no triple fits).
pub(super) fn interaction_system_bytes(players: usize, terms: InteractionTerms) -> usize {
    let coefficients = most_coefficients(players, terms);
    (coefficients + 1) * coefficients * 8
}

/// The bytes of the terms' sign bits ([`SignColumns`]) over `pairs` pairs of the largest
/// fit: a word per 64 pairs of each weight class (the leverage draws give the pairs of one
/// coalition size one weight, so at most `players` classes), per coefficient and once more
/// per player (the call's players' columns, kept while a target's triples are added to a
/// copy), and each pair's index (in both) and response; 0 when no triple fits.
pub(super) fn interaction_sign_bytes(players: usize, terms: InteractionTerms, pairs: usize) -> usize {
    let coefficients = most_coefficients(players, terms);
    if coefficients == 0 {
        return 0;
    }
    let words = (pairs / 64).saturating_add(players).saturating_add(1);
    let columns = coefficients.saturating_add(players);
    columns.saturating_mul(words).saturating_add(pairs.saturating_mul(3)).saturating_mul(8)
}

/// The bytes the score terms' dense sums ([`NormalEquations::with_score_terms`]) of the
/// largest fit for `players` players on `terms` hold: a block of pairs' terms, weights and
/// responses, their weighted score terms, and the score terms' rows and right side (0
/// without score terms).
pub(super) fn interaction_score_bytes(players: usize, terms: InteractionTerms) -> usize {
    let n = most_coefficients(players, terms);
    if n == 0 || Terms::terms_per_player(players, terms, usize::MAX) < 3 {
        return 0;
    }
    let block = SCORE_BLOCK * (n + 2 + players);
    block.saturating_add(players.saturating_mul(n + 1)).saturating_mul(8)
}

/// The bytes one worker's group removals ([`RemovalScratch`], [`Removable::removal`])
/// hold for the largest fit for `players` players on `terms`: a chunk's columns of `U` (at
/// most `n` columns of `n` entries), [`LANES`] groups' systems `I − Z P Zᵀ` (fewer than
/// `n / 2` pairs each) alone and side by side with their right sides, and a few vectors
/// of `n` or `players` entries (0 when no triple fits).
pub(super) fn interaction_removal_bytes(players: usize, terms: InteractionTerms) -> usize {
    let n = most_coefficients(players, terms);
    if n == 0 {
        return 0;
    }
    let group = n / 2;
    let entries = n * n + LANES * (2 * group * group + group) + 4 * n + 2 * players;
    entries.saturating_mul(8)
}

/// Values (`targets × M`) and their standard errors, `None` when unavailable.
pub(super) type Estimate = (Vec<f64>, Option<Vec<f64>>);

/// Values and standard errors of the interaction fit on `schedule`, falling back target by
/// target to the linear fit where it does not apply.
///
/// `values` are the coalition values (`coalitions × targets`), `base` and `total` the
/// empty and full coalitions' (one per target), `linear_fit(k)` KernelSHAP's linear values
/// of target `k` (M values, or the error of a design that does not determine them), and the
/// jackknife runs over at most `max_groups` groups. Returns the values (`targets × M`) and
/// their standard errors (`None` when fewer than two groups were sampled, a replicate
/// cannot be refitted, or a target that falls back has no linear errors); `None` where the
/// interaction fit does not apply (an exact schedule, too few players, or no complementary
/// pairs), so that the caller's linear fit and its errors stand.
///
/// On a paired schedule the linear fit is the players' block of the interaction system
/// without the triples, so the players are ranked from that block's solution; `linear_fit`
/// runs only where it fails (to rank the players, or to report why the design does not
/// determine them) and for a target that falls back, whose linear replicates are then
/// computed too.
pub(super) fn interaction_estimate(
    schedule: &Schedule,
    interaction_terms: InteractionTerms,
    values: &[f64],
    base: &[f64],
    total: &[f64],
    max_groups: u32,
    linear_fit: impl Fn(usize) -> Result<Vec<f64>>,
) -> Result<Option<Estimate>> {
    let players = schedule.coalitions.players();
    if schedule.exact || Terms::supported_players(players, players, interaction_terms.triple_players, usize::MAX) < 3 {
        return Ok(None);
    }
    let groups = Replicates::groups(schedule, max_groups);
    let Some(pairs) = Pairs::of(schedule, values, base, total, groups.max(1)) else {
        return Ok(None);
    };
    let mut phi = Vec::with_capacity(base.len() * players);
    // Per target: the interaction fit's replicates, or `None` where the linear fit stands
    // (read only when there are groups to leave out and every target's replicates exist).
    let mut fitted: Vec<Option<Vec<Vec<f64>>>> = Vec::with_capacity(base.len());
    let mut replicated = groups >= 2;
    // The players' signs (and size scales) at every pair, counted once for every target:
    // the players' block ranks them, and each target's triples are added to them.
    let size_terms = Terms::terms_per_player(players, interaction_terms, pairs.len()) > 1;
    let signs = SignColumns::new(players, size_terms, &[], pairs.parted(), |p| pairs.coalitions.bits(2 * p));
    let linear = Terms::linear(players);
    for k in 0..base.len() {
        let delta = total[k] - base[k];
        // The QR fit, where the players' block could not rank them (computed once).
        let mut qr = None;
        let block = NormalEquations::of_part(&signs, None, &linear, &pairs, k);
        let ranking = match block.and_then(|block| block.shapley_values(&linear, delta)) {
            Some(ranking) => ranking,
            None => qr.insert(linear_fit(k)?).clone(),
        };
        let fit_on = |terms: Terms| {
            let columns = signs.with_triples(&terms.triples);
            Fit::new(&columns, &pairs, &terms, k, delta).map(|fit| (terms, fit))
        };
        let chosen = Terms::choose(&ranking, interaction_terms, pairs.len());
        // Score terms along a direction that makes them the size terms (equal values) or
        // the players' signs (one value) leave the system singular, and score terms that
        // leave no room for three players' triples leave no fit: then the target is fitted
        // without them. Where the chosen terms have none, that would be the same fit again.
        let retry = interaction_terms.score_terms && chosen.as_ref().is_none_or(|terms| !terms.direction.is_empty());
        let without_score_terms = InteractionTerms { score_terms: false, ..interaction_terms };
        let fit = chosen.and_then(fit_on).or_else(|| {
            retry.then(|| Terms::choose(&ranking, without_score_terms, pairs.len()).and_then(fit_on)).flatten()
        });
        let Some((terms, fit)) = fit else {
            phi.extend(match qr {
                Some(linear) => linear,
                None => linear_fit(k)?,
            });
            fitted.push(None);
            continue;
        };
        if !replicated {
            phi.extend(fit.phi);
            continue;
        }
        match fit.replicates(&pairs, &terms, k, delta, groups) {
            Some(refitted) => fitted.push(Some(refitted)),
            // No errors for this call; every target's values are still its own fit's.
            None => replicated = false,
        }
        phi.extend(fit.phi);
    }
    if !replicated {
        return Ok(Some((phi, None)));
    }
    let mut replicates = if fitted.iter().any(Option::is_none) {
        match Replicates::of_linear_fit(schedule, values, base, total, max_groups) {
            Some(linear) => linear,
            None => return Ok(Some((phi, None))),
        }
    } else {
        Replicates::empty(schedule, groups, phi.len())
    };
    for (k, refitted) in fitted.into_iter().enumerate() {
        let span = k * players..(k + 1) * players;
        for (estimate, phi_g) in replicates.estimates.iter_mut().zip(refitted.into_iter().flatten()) {
            estimate[span.clone()].copy_from_slice(&phi_g);
        }
    }
    Ok(Some((phi, Some(replicates.standard_errors()))))
}

/// The pairs whose terms [`NormalEquations::with_score_terms`] holds at once.
const SCORE_BLOCK: usize = 64;

/// The part of the enumerated pairs in [`Pairs::parted`].
const ENUMERATED: usize = 0;

/// The part of the sampled pairs in [`Pairs::parted`].
const SAMPLED: usize = 1;

/// The complementary pairs of a paired schedule.
struct Pairs<'a> {
    players: usize,
    targets: usize,
    /// The schedule's coalitions: pair `p` is rows `2p` and `2p + 1`.
    coalitions: &'a Coalitions,
    /// Each pair's regression weight, divided by the largest.
    weights: Vec<f64>,
    /// Each pair's jackknife group; `None` for an enumerated pair.
    group: Vec<Option<usize>>,
    /// `pairs × targets`: the antisymmetric part `(v(S) − v(N∖S)) / 2`.
    y: Vec<f64>,
    /// Per group: its pairs' weight, and the weight of every sampled pair.
    group_weights: Vec<f64>,
    sampled_weight: f64,
}

impl<'a> Pairs<'a> {
    /// The pairs of `schedule` (rows `2p` and `2p + 1` complementary), their units dealt to
    /// `groups` groups, for the targets whose empty and full coalitions' values are `base`
    /// and `total`; `None` when the schedule is not made of such pairs or a value or
    /// difference is not finite.
    fn of(schedule: &'a Schedule, values: &[f64], base: &[f64], total: &[f64], groups: usize) -> Option<Self> {
        let coalitions = &schedule.coalitions;
        let players = coalitions.players();
        let targets = base.len();
        if coalitions.len() % 2 != 0 || coalitions.is_empty() {
            return None;
        }
        if base.iter().zip(total).any(|(b, t)| !(t - b).is_finite()) {
            return None;
        }
        let count = coalitions.len() / 2;
        let largest = schedule.weights.iter().copied().fold(0.0, f64::max);
        let mut pairs = Self {
            players,
            targets,
            coalitions,
            weights: Vec::with_capacity(count),
            group: Vec::with_capacity(count),
            y: Vec::with_capacity(count * targets),
            group_weights: vec![0.0; groups],
            sampled_weight: 0.0,
        };
        for p in 0..count {
            let (first, second) = (2 * p, 2 * p + 1);
            if !coalitions.are_complements(first, second) || schedule.unit[first] != schedule.unit[second] {
                return None;
            }
            let weight = schedule.weights[first] / largest;
            pairs.weights.push(weight);
            let group = schedule.unit[first].map(|unit| unit as usize % groups);
            if let Some(g) = group {
                pairs.group_weights[g] += weight;
                pairs.sampled_weight += weight;
            }
            pairs.group.push(group);
            pairs.y.extend((0..targets).map(|k| (values[first * targets + k] - values[second * targets + k]) / 2.0));
        }
        pairs.y.iter().all(|y| y.is_finite()).then_some(pairs)
    }

    fn len(&self) -> usize {
        self.weights.len()
    }

    /// Every pair with its weight and part: [`ENUMERATED`] or [`SAMPLED`].
    fn parted(&self) -> impl Iterator<Item = (usize, f64, usize)> + '_ {
        (0..self.len()).map(|p| (p, self.weights[p], if self.group[p].is_some() { SAMPLED } else { ENUMERATED }))
    }

    /// The pairs of each of `groups` groups.
    fn group_members(&self, groups: usize) -> Vec<Vec<usize>> {
        // Counted first, so that each list is allocated once.
        let mut sizes = vec![0; groups];
        self.group.iter().flatten().for_each(|&g| sizes[g] += 1);
        let mut members: Vec<Vec<usize>> = sizes.into_iter().map(Vec::with_capacity).collect();
        for (p, group) in self.group.iter().enumerate() {
            if let Some(g) = group {
                members[*g].push(p);
            }
        }
        members
    }

    /// `2 z_i − 1` of pair `pair`'s first coalition, into `out` (one per player).
    fn signs(&self, pair: usize, out: &mut [f64]) {
        let bits = self.coalitions.bits(2 * pair);
        for (signs, &word) in out.chunks_mut(u64::BITS as usize).zip(bits) {
            for (i, sign) in signs.iter_mut().enumerate() {
                *sign = 2.0 * ((word >> i) & 1) as f64 - 1.0;
            }
        }
    }

    /// The factor on the other sampled pairs' weights when group `left_out` is left out.
    fn scale(&self, left_out: usize) -> f64 {
        self.sampled_weight / (self.sampled_weight - self.group_weights[left_out])
    }
}

/// The size scale `h(s) = ((2s − M) / M)²` of a size term at a coalition of `size` of
/// `players` players: even about `M / 2`, so that a size term is antisymmetric like its
/// player's sign, and 1 at the full coalition, so that local accuracy stays `Σ a = Δ / 2`.
pub(super) fn size_scale(players: usize, size: usize) -> f64 {
    let z = (2.0 * size as f64 - players as f64) / players as f64;
    z * z
}

/// The Shapley values of one size term `u_i(S) = (2 z_i − 1) · h(|S|)` as a game: `own`
/// to player `i`, `other` to each other player. Over the sizes `s` of the coalitions
/// without the player, `own` averages `h(s + 1) + h(s)`, and `other` averages
/// `E[2 z_i − 1 | s] · (h(s + 1) − h(s))` with `E[2 z_i − 1 | s] = 2s / (M − 1) − 1`
/// (player `i` is in a share `s / (M − 1)` of them). They sum to `h(M) + h(0) = 2`.
fn size_term_shapley(players: usize) -> (f64, f64) {
    let m = players as f64;
    let h = |s: usize| size_scale(players, s);
    let own = (0..players).map(|s| h(s + 1) + h(s)).sum::<f64>() / m;
    let other = (0..players).map(|s| (2.0 * s as f64 / (m - 1.0) - 1.0) * (h(s + 1) - h(s))).sum::<f64>() / m;
    (own, other)
}

/// Adds to `phi` the Shapley values of the score terms `u_i(S) = (2 z_i − 1) · (Σ_j b_j
/// (2 z_j − 1))²` along `direction` (`b`) with coefficients `a`. Its Walsh expansion is
/// `(Σ_j b_j²) χ_i + Σ_{k≠i} 2 b_i b_k χ_k + Σ_{j<k; j,k≠i} 2 b_j b_k χ_{ijk}`, and a Walsh
/// term of odd order `|T|` gives `2 / |T|` to each of its players: `u_i` gives
/// `2 Σ_j b_j² + (4/3) Σ_{j<k; j,k≠i} b_j b_k` to player `i` and
/// `4 b_i b_m + (4/3) b_m (Σ_j b_j − b_i − b_m)` to each other player `m`.
fn add_score_term_shapley(direction: &[f64], a: &[f64], phi: &mut [f64]) {
    let squares: f64 = direction.iter().map(|b| b * b).sum();
    let total: f64 = direction.iter().sum();
    // A score term without a coefficient adds nothing (`W`'s columns are built from one
    // coefficient at a time).
    for (i, (&b_i, &a_i)) in direction.iter().zip(a).enumerate().filter(|(_, (_, &a_i))| a_i != 0.0) {
        let rest = total - b_i;
        // Σ_{j<k; j,k≠i} b_j b_k.
        let others = (rest * rest - (squares - b_i * b_i)) / 2.0;
        for (m, (phi, &b_m)) in phi.iter_mut().zip(direction).enumerate() {
            let value = match m == i {
                true => 2.0 * squares + 4.0 / 3.0 * others,
                false => 4.0 * b_i * b_m + 4.0 / 3.0 * b_m * (rest - b_m),
            };
            *phi += a_i * value;
        }
    }
}

/// The score terms' direction for a fit whose linear values are `linear`: the values
/// scaled to `Σ|b| = 1`; `None` when they are all 0 or not finite.
fn score_direction(linear: &[f64]) -> Option<Vec<f64>> {
    let scale: f64 = linear.iter().map(|v| v.abs()).sum();
    (scale > 0.0 && scale.is_finite()).then(|| linear.iter().map(|v| v / scale).collect())
}

/// The fitted odd functions: every player's sign, every player's size term and score term
/// (when the pairs support them), then the triples among some players.
///
/// A size term `(2 z_i − 1) · h(|S|)` lets player `i`'s effect change with the coalition's
/// size, which the linear fit otherwise leaves as noise in every other player's
/// coefficient: it is the part of player `i`'s triples shared evenly by all others (its
/// Walsh expansion is `Σ_{j<k} χ_{ijk}` over the pairs of other players, up to linear
/// terms), and its Shapley values have a closed form ([`size_term_shapley`]).
///
/// A score term `(2 z_i − 1) · (Σ_j b_j (2 z_j − 1))²` does the same along the direction
/// `b` of the players' linear values instead of equal weights: it captures player `i`'s
/// effect changing with the coalition's linear score, as a model that saturates along its
/// own score (a logistic scorecard, a network with one dominant direction) makes it
/// ([`add_score_term_shapley`]).
#[derive(Debug, PartialEq)]
struct Terms {
    players: usize,
    /// The number of size terms: `players` or 0.
    size_terms: usize,
    /// The score terms' direction `b` (`Σ|b| = 1`), one per player; empty without score
    /// terms.
    direction: Vec<f64>,
    /// The triples, those among the most important players first.
    triples: Vec<[usize; 3]>,
    /// How many triples come first, unpenalised: those the pairs support on their own.
    free: usize,
}

impl Terms {
    /// The players alone, without triples: KernelSHAP's linear fit.
    fn linear(players: usize) -> Self {
        Self { players, size_terms: 0, direction: Vec::new(), triples: Vec::new(), free: 0 }
    }

    /// The fit of target `k` on these terms over every pair, unpenalised, as Shapley
    /// values, counted as [`interaction_estimate`] counts them (the pairs in their parts);
    /// `None` when its Gram matrix is singular or the call was stopped.
    #[cfg(test)]
    fn fit(&self, pairs: &Pairs, k: usize, delta: f64) -> Option<Vec<f64>> {
        let signs =
            SignColumns::new(self.players, self.size_terms > 0, &[], pairs.parted(), |p| pairs.coalitions.bits(2 * p));
        NormalEquations::of_part(&signs.with_triples(&self.triples), None, self, pairs, k)?.shapley_values(self, delta)
    }

    /// The players alone, their size terms and score terms (along `linear`) where `terms`
    /// has them and `pairs` pairs support them unpenalised beside the players, and the
    /// triples among the `k` players with the largest `|linear|` (ties to the lower index),
    /// `k` the largest within the coefficient cap and `terms.triple_players`; those among
    /// the players that the pairs support on their own come first, unpenalised. `None`
    /// below `k = 3`.
    fn choose(linear: &[f64], terms: InteractionTerms, pairs: usize) -> Option<Self> {
        let (players, triple_players) = (linear.len(), terms.triple_players);
        let supported = pairs / PAIRS_PER_COEFFICIENT;
        let per_player = Self::terms_per_player(players, terms, pairs);
        let size_terms = if per_player > 1 { players } else { 0 };
        let direction = match per_player > 2 {
            true => score_direction(linear).unwrap_or_default(),
            false => Vec::new(),
        };
        let base = players + size_terms + direction.len();
        let k = Self::supported_players(base, players, triple_players, usize::MAX);
        if k < 3 {
            return None;
        }
        let free_players = Self::supported_players(base, players, triple_players, supported);
        let mut order: Vec<usize> = (0..players).collect();
        order.sort_by(|&a, &b| linear[b].abs().total_cmp(&linear[a].abs()).then(a.cmp(&b)));
        // Rank of each player, and the triples in order of their least important member:
        // those within the first `free_players` come first.
        let mut rank = vec![usize::MAX; players];
        order.iter().enumerate().for_each(|(r, &player)| rank[player] = r);
        let mut triples = Vec::with_capacity(Self::triples_among(k));
        for c in 2..k {
            for b in 1..c {
                for a in 0..b {
                    let mut triple = [order[a], order[b], order[c]];
                    triple.sort_unstable();
                    triples.push(triple);
                }
            }
        }
        let free = triples.iter().take_while(|t| t.iter().all(|&i| rank[i] < free_players)).count();
        Some(Self { players, size_terms, direction, triples, free })
    }

    /// The terms per player of a fit on `terms` over `pairs` pairs: its sign, then its size
    /// term and its score term where `terms` has them and the pairs support them
    /// unpenalised.
    fn terms_per_player(players: usize, terms: InteractionTerms, pairs: usize) -> usize {
        let supported = pairs / PAIRS_PER_COEFFICIENT;
        (1..=terms.most_player_terms())
            .take_while(|&t| Self::player_terms_fit(players, t, supported))
            .last()
            .unwrap_or(1)
    }

    /// Whether `per_player` terms per player fit unpenalised within `coefficients`, leaving
    /// room under [`MAX_COEFFICIENTS`] for a triple (always for the players' signs alone).
    fn player_terms_fit(players: usize, per_player: usize, coefficients: usize) -> bool {
        let base = per_player.saturating_mul(players);
        per_player == 1 || (base <= coefficients && base < MAX_COEFFICIENTS)
    }

    /// The most players `k` (at most `players` and `triple_players`) whose triples fit
    /// beside `base` other coefficients within [`MAX_COEFFICIENTS`] and within
    /// `coefficients`.
    fn supported_players(base: usize, players: usize, triple_players: usize, coefficients: usize) -> usize {
        let limit = coefficients.min(MAX_COEFFICIENTS);
        let fits = |k: usize| base + Self::triples_among(k) <= limit;
        (0..=players.min(triple_players)).take_while(|&k| fits(k)).last().unwrap_or(0)
    }

    /// The number of triples among `k` players, `C(k, 3)`.
    fn triples_among(k: usize) -> usize {
        k * k.saturating_sub(1) * k.saturating_sub(2) / 6
    }

    /// The number of coefficients.
    fn len(&self) -> usize {
        self.player_terms() + self.triples.len()
    }

    /// The number of the players' own coefficients: their signs', size terms' and score
    /// terms'.
    fn player_terms(&self) -> usize {
        self.players + self.size_terms + self.direction.len()
    }

    /// The number of coefficients fitted without penalty: the players' own and the free
    /// triples'.
    fn unpenalised(&self) -> usize {
        self.player_terms() + self.free
    }

    /// Each term's value at the full coalition: 1, but `(Σ_j b_j)²` for a score term.
    fn at_full(&self) -> Vec<f64> {
        let total: f64 = self.direction.iter().sum();
        let mut values = vec![1.0; self.len()];
        values[self.players + self.size_terms..self.player_terms()].fill(total * total);
        values
    }

    /// The basis functions at a pair whose first coalition has `signs`.
    fn features(&self, signs: &[f64], out: &mut [f64]) {
        let (own, rest) = out.split_at_mut(self.players);
        own.copy_from_slice(signs);
        let (sized, rest) = rest.split_at_mut(self.size_terms);
        if self.size_terms > 0 {
            let size = signs.iter().filter(|&&sign| sign > 0.0).count();
            let scale = size_scale(self.players, size);
            sized.iter_mut().zip(signs).for_each(|(x, sign)| *x = sign * scale);
        }
        let (scored, triples) = rest.split_at_mut(self.direction.len());
        if !self.direction.is_empty() {
            let score = dot(&self.direction, signs);
            scored.iter_mut().zip(signs).for_each(|(x, sign)| *x = sign * (score * score));
        }
        for (x, [a, b, c]) in triples.iter_mut().zip(&self.triples) {
            *x = signs[*a] * signs[*b] * signs[*c];
        }
    }

    /// [`shapley`](Self::shapley) shifted evenly to sum to `delta` exactly (the
    /// coefficients do up to rounding); `None` when a value is not finite.
    fn locally_accurate(&self, a: &[f64], delta: f64) -> Option<Vec<f64>> {
        shifted_to_sum(self.shapley(a), delta)
    }

    /// The Shapley values of coefficients `a`: `φ_i = 2 a_i + (2/3) Σ_{T∋i} a_T` plus the
    /// size terms' ([`size_term_shapley`]) and the score terms'
    /// ([`add_score_term_shapley`]).
    fn shapley(&self, a: &[f64]) -> Vec<f64> {
        let (own, rest) = a.split_at(self.players);
        let (sized, rest) = rest.split_at(self.size_terms);
        let (scored, triples) = rest.split_at(self.direction.len());
        let mut phi: Vec<f64> = own.iter().map(|v| 2.0 * v).collect();
        if self.size_terms > 0 {
            let (own_share, other_share) = size_term_shapley(self.players);
            let all: f64 = sized.iter().sum();
            phi.iter_mut().zip(sized).for_each(|(phi, b)| *phi += own_share * b + other_share * (all - b));
        }
        add_score_term_shapley(&self.direction, scored, &mut phi);
        for (triple, &coefficient) in self.triples.iter().zip(triples) {
            for &i in triple {
                phi[i] += 2.0 * coefficient / 3.0;
            }
        }
        phi
    }
}

/// `phi` shifted evenly to sum to `delta`; `None` when a value is not finite.
fn shifted_to_sum(mut phi: Vec<f64>, delta: f64) -> Option<Vec<f64>> {
    let gap = (delta - phi.iter().sum::<f64>()) / phi.len() as f64;
    phi.iter_mut().for_each(|v| *v += gap);
    phi.iter().all(|v| v.is_finite()).then_some(phi)
}

/// The weighted normal equations `Σ w x xᵀ` (upper triangle, row-major) and `Σ w x y` of
/// one target over some pairs, on one choice of terms.
#[derive(Clone)]
struct NormalEquations {
    n: usize,
    gram: Vec<f64>,
    rhs: Vec<f64>,
}

impl NormalEquations {
    /// The normal equations of target `k` on `terms` over the pairs `which`, each pair
    /// weighted by its regression weight (pairs of weight 0 skipped), counted from the
    /// terms' signs ([`SignColumns`]); `None` when the call was stopped.
    fn over(pairs: &Pairs, terms: &Terms, k: usize, which: impl Iterator<Item = usize>) -> Option<Self> {
        if stopped() {
            return None;
        }
        let weighted = which.map(|p| (p, pairs.weights[p], ENUMERATED));
        let columns = SignColumns::new(pairs.players, terms.size_terms > 0, &terms.triples, weighted, |p| {
            pairs.coalitions.bits(2 * p)
        });
        Self::of_part(&columns, None, terms, pairs, k)
    }

    /// The normal equations of target `k` over the pairs of `part` of `columns`, whose
    /// terms are `terms` but the score terms, or begin with them (only the players' block
    /// is counted for [`Terms::linear`]); `None` when the call was stopped.
    fn of_part(columns: &SignColumns, part: Part, terms: &Terms, pairs: &Pairs, k: usize) -> Option<Self> {
        if stopped() {
            return None;
        }
        let players_only = terms.len() == terms.players;
        let rhs = columns.rhs(part, players_only, |p| pairs.y[p * pairs.targets + k]);
        let gram = columns.gram(part, players_only);
        let counted = Self { n: terms.len() - terms.direction.len(), gram, rhs };
        let equations = match terms.direction.is_empty() {
            true => counted,
            false => counted.with_score_terms(columns, part, terms, pairs, k)?,
        };
        (!stopped()).then_some(equations)
    }

    /// These equations of `terms` without their score terms, with the score terms' rows
    /// and columns added ([`ScoreRows`]), summed over the pairs of `part` of `columns`
    /// [`SCORE_BLOCK`] pairs at a time. Score terms come with the size terms
    /// ([`Terms::choose`]): the players' signs, size terms and score terms are one block
    /// of `players` each. `None` when the call was stopped (checked once per block).
    fn with_score_terms(
        self,
        columns: &SignColumns,
        part: Part,
        terms: &Terms,
        pairs: &Pairs,
        k: usize,
    ) -> Option<Self> {
        let (n, counted, scores) = (terms.len(), self.n, terms.direction.len());
        let first = terms.players + terms.size_terms;
        // A counted term's place among all terms: the score terms come before the triples.
        let place = |c: usize| if c < first { c } else { c + scores };
        let (mut gram, mut rhs) = (vec![0.0; n * n], vec![0.0; n]);
        for r in 0..counted {
            rhs[place(r)] = self.rhs[r];
            for c in r..counted {
                gram[place(r) * n + place(c)] = self.gram[r * counted + c];
            }
        }
        let mut sums = ScoreRows::new(n, scores);
        let mut signs = vec![0.0; terms.players];
        let mut features = vec![0.0; SCORE_BLOCK * n];
        let (mut weights, mut responses) = (Vec::with_capacity(SCORE_BLOCK), Vec::with_capacity(SCORE_BLOCK));
        let mut weighted = columns.weighted_pairs(part).peekable();
        while weighted.peek().is_some() {
            if stopped() {
                return None;
            }
            weights.clear();
            responses.clear();
            // The block first: `zip` then takes no pair past the block's end.
            for (x, (p, weight)) in features.chunks_exact_mut(n).zip(weighted.by_ref()) {
                pairs.signs(p, &mut signs);
                terms.features(&signs, x);
                weights.push(weight);
                responses.push(pairs.y[p * pairs.targets + k]);
            }
            sums.add(&features[..weights.len() * n], &weights, &responses);
        }
        let (rows, score_rhs) = sums.rows();
        for (i, (row, &sum)) in rows.chunks_exact(n).zip(&score_rhs).enumerate() {
            let r = first + i;
            rhs[r] = sum;
            (0..first).for_each(|c| gram[c * n + r] = row[c]);
            (r..n).for_each(|c| gram[r * n + c] = row[c]);
        }
        Some(Self { n, gram, rhs })
    }

    /// `scale · self`, entry by entry.
    fn scaled(&self, scale: f64) -> Self {
        let times = |a: &[f64]| -> Vec<f64> { a.iter().map(|a| scale * a).collect() };
        Self { n: self.n, gram: times(&self.gram), rhs: times(&self.rhs) }
    }

    /// `self + other`, entry by entry.
    fn plus(&self, other: &Self) -> Self {
        let add = |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(a, b)| a + b).collect() };
        Self { n: self.n, gram: add(&self.gram, &other.gram), rhs: add(&self.rhs, &other.rhs) }
    }

    /// `self` with `amount` added to the diagonal entries of the coefficients after the
    /// first `free`: the ridge penalty (the triples come last).
    fn penalised(mut self, free: usize, amount: f64) -> Self {
        let n = self.n;
        (free..n).for_each(|i| self.gram[i * n + i] += amount);
        self
    }

    /// `fixed + scale · (sampled − left_out)`, entry by entry.
    fn combine(fixed: &Self, sampled: &Self, left_out: &Self, scale: f64) -> Self {
        let mix = |f: &[f64], s: &[f64], l: &[f64]| -> Vec<f64> {
            f.iter().zip(s).zip(l).map(|((f, s), l)| f + scale * (s - l)).collect()
        };
        Self {
            n: fixed.n,
            gram: mix(&fixed.gram, &sampled.gram, &left_out.gram),
            rhs: mix(&fixed.rhs, &sampled.rhs, &left_out.rhs),
        }
    }

    /// The least-squares coefficients constrained to `Σ_T c_T a_T = delta / 2` (so that
    /// `Σφ = delta`), `c` the terms' values at the full coalition ([`Terms::at_full`]), with
    /// the factor; `None` when the Gram matrix is singular.
    fn solve(self, terms: &Terms, delta: f64) -> Option<Solution> {
        let n = self.n;
        let factor = cholesky(self.gram, n)?;
        let at_full = terms.at_full();
        let mut constraint = at_full.clone();
        forward_substitute(&factor, n, &mut constraint);
        let constraint_norm: f64 = constraint.iter().map(|e| e * e).sum();
        let unconstrained = cholesky_solve(&factor, n, self.rhs);
        let mut h = constraint.clone();
        backward_substitute(&factor, n, &mut h);
        let shift = (delta / 2.0 - dot(&at_full, &unconstrained)) / constraint_norm;
        let coefficients = unconstrained.iter().zip(&h).map(|(u, h)| u + shift * h).collect();
        Some(Solution { n, factor, constraint, constraint_norm, coefficients })
    }

    /// The Shapley values of [`solve`](Self::solve)'s coefficients; `None` when the Gram
    /// matrix is singular or the values are not finite.
    fn shapley_values(self, terms: &Terms, delta: f64) -> Option<Vec<f64>> {
        terms.locally_accurate(&self.solve(terms, delta)?.coefficients, delta)
    }
}

/// A factored system of [`NormalEquations`] and its constrained solution.
struct Solution {
    n: usize,
    /// The Cholesky factor of the Gram matrix `G`.
    factor: Vec<f64>,
    /// `e = L⁻¹ c` and `eᵀe = cᵀ G⁻¹ c`, `c` the terms' values at the full coalition.
    constraint: Vec<f64>,
    constraint_norm: f64,
    coefficients: Vec<f64>,
}

impl Solution {
    /// This solution ready for group removals on `terms`: its Shapley values and
    /// `W = L⁻¹ Sᵀ` (`S` the linear map from coefficients to Shapley values), so that a
    /// removal's change `−L⁻ᵀ q` in the coefficients moves the values by `−Wᵀ q` (`M` per
    /// entry of `q`, where the coefficients' change and their values would cost `n / 2`).
    fn removable(self, terms: &Terms) -> Removable {
        let (n, players) = (self.n, terms.players);
        // Sᵀ's columns one after the other (entry `j` of column `i`: player `i`'s value of
        // coefficient `j` alone), through L⁻¹, then back to rows.
        let mut columns = vec![0.0; players * n];
        let mut unit = vec![0.0; n];
        for j in 0..n {
            unit[j] = 1.0;
            for (i, value) in terms.shapley(&unit).into_iter().enumerate() {
                columns[i * n + j] = value;
            }
            unit[j] = 0.0;
        }
        forward_substitute_columns(&self.factor, n, &mut columns, players);
        let shapley_rows =
            (0..n).flat_map(|j| (0..players).map(move |i| (i, j))).map(|(i, j)| columns[i * n + j]).collect();
        let phi = terms.shapley(&self.coefficients);
        Removable { solution: self, phi, shapley_rows }
    }
}

/// A [`Solution`] ready for group removals ([`Solution::removable`]).
struct Removable {
    solution: Solution,
    /// The Shapley values of its coefficients (not shifted to sum to `Δ`).
    phi: Vec<f64>,
    /// `W = L⁻¹ Sᵀ`: `n` rows of `M`.
    shapley_rows: Vec<f64>,
}

impl Removable {
    /// Whether a group of `pairs` pairs is removed from the factor ([`removed_from_factor`]).
    fn removes(&self, pairs: usize) -> bool {
        removed_from_factor(pairs, self.solution.n)
    }

    /// Every group of `groups` removed from the system on its own ([`Removal::TooLarge`]
    /// where [`removes`](Self::removes) refuses it), its values shifted to sum to `delta`.
    ///
    /// A removal is exact, by the Woodbury identity: with `Z` the group's rows scaled by
    /// `√w`, `ρ` their scaled residuals and `P = G⁻¹ − G⁻¹c cᵀG⁻¹ / cᵀG⁻¹c` (the inverse
    /// on `cᵀa = 0`), the coefficients change by `−P Zᵀ (I − Z P Zᵀ)⁻¹ ρ`. It costs
    /// `|members| · n² / 2` (the rows through `L⁻¹`) against a refactorisation's `n³ / 6`;
    /// the groups' rows go through `L⁻¹` together, as whole panels. A removal that leaves
    /// the system singular (a pivot of `I − Z P Zᵀ`, whose diagonal is `1 −` the pairs'
    /// leverages, at or below the jackknife's tolerance) gives [`Removal::Failed`].
    fn remove_each(
        &self,
        (pairs, terms, k, delta): (&Pairs, &Terms, usize, f64),
        groups: &[Vec<usize>],
        scratch: &mut RemovalScratch,
    ) -> Vec<Removal> {
        let solution = &self.solution;
        let n = solution.n;
        let columns: usize = groups.iter().map(Vec::len).filter(|&r| self.removes(r)).sum();
        let RemovalScratch { u, residuals, signs, along, q } = scratch;
        // The removed pairs' scaled rows as the columns of `Z` (`n` entries each, one after
        // the other), group after group. `Terms::features` writes each column whole, so
        // only the buffer's growth is zeroed.
        u.truncate(n * columns);
        u.resize(n * columns, 0.0);
        residuals.clear();
        signs.resize(pairs.players, 0.0);
        let removed = groups.iter().filter(|m| self.removes(m.len())).flatten();
        for (&p, column) in removed.zip(u.chunks_exact_mut(n)) {
            pairs.signs(p, signs);
            terms.features(signs, column);
            let root = pairs.weights[p].sqrt();
            residuals.push(root * (pairs.y[p * pairs.targets + k] - dot(column, &solution.coefficients)));
            column.iter_mut().for_each(|x| *x *= root);
        }
        // In the factor's coordinates: the columns of U = L⁻¹ Z, so that
        // zₜᵀ G⁻¹ zᵤ = uₜ·uᵤ and zₜᵀ G⁻¹ c = uₜ·e.
        let e = &solution.constraint;
        forward_substitute_columns(&solution.factor, n, u, columns);
        along.clear();
        along.extend(u.chunks_exact(n).map(|column| dot(column, e)));
        // Each removed group's columns of `U`.
        let mut first = 0;
        let spans: Vec<Range<usize>> = groups
            .iter()
            .filter(|members| self.removes(members.len()))
            .map(|members| {
                first += members.len();
                first - members.len()..first
            })
            .collect();
        let mut weights = self.removal_weights(u, along, residuals, &spans).into_iter().zip(&spans);
        groups
            .iter()
            .map(|members| {
                if !self.removes(members.len()) {
                    return Removal::TooLarge;
                }
                let Some((Some(weights), span)) = weights.next() else { return Removal::Failed };
                let phi = self.removal(&u[span.start * n..span.end * n], &weights, q);
                shifted_to_sum(phi, delta).map_or(Removal::Failed, Removal::Values)
            })
            .collect()
    }

    /// Per removed group, whose columns of `U` are `spans` (`n` entries each, one after the
    /// other, in `u`): the weights `w = (I − Z P Zᵀ)⁻¹ ρ` of its scaled residuals `ρ` (in
    /// `residuals`), `None` where the removal leaves the system singular (a pivot of
    /// `I − Z P Zᵀ`, whose diagonal is `1 −` the pairs' leverages, at or below the
    /// jackknife's tolerance) or the call was stopped. [`LANES`] groups' systems are
    /// factored side by side, each padded to the largest with the identity (which leaves
    /// its factor and solution the same bits); where one of them is singular, each is
    /// factored alone.
    fn removal_weights(
        &self,
        u: &[f64],
        along: &[f64],
        residuals: &[f64],
        spans: &[Range<usize>],
    ) -> Vec<Option<Vec<f64>>> {
        let n = self.solution.n;
        let mut weights = Vec::with_capacity(spans.len());
        for chunk in spans.chunks(LANES) {
            let systems: Vec<Vec<f64>> =
                chunk.iter().map(|span| self.kept(&u[span.start * n..span.end * n], &along[span.clone()])).collect();
            let size = chunk.iter().map(Range::len).max().unwrap_or(0);
            let padded: Vec<(&[f64], usize)> =
                systems.iter().map(Vec::as_slice).zip(chunk.iter().map(Range::len)).collect();
            let mut lanes = padded_systems(&padded, size);
            let sides: Vec<&[f64]> = chunk.iter().map(|span| &residuals[span.clone()]).collect();
            let mut rhs = padded_right_sides(&sides, size);
            if factor_lanes(&mut lanes, size, &[1.0; LANES]) {
                solve_lanes(&lanes, size, &mut rhs);
                weights.extend(
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(lane, span)| Some(rhs[..span.len()].iter().map(|w| w[lane]).collect())),
                );
            } else {
                weights.extend(systems.into_iter().zip(chunk).map(|(system, span)| {
                    let factor = cholesky_relative_to(system, span.len(), 1.0)?;
                    Some(cholesky_solve(&factor, span.len(), residuals[span.clone()].to_vec()))
                }));
            }
        }
        weights
    }

    /// `I − Z P Zᵀ` for the group whose columns of `U` are `u` (`n` entries each, one after
    /// the other), with their products `uₜ·e` in `along`: its upper triangle, row-major
    /// (symmetric, and positive definite unless the removal leaves the system singular).
    fn kept(&self, u: &[f64], along: &[f64]) -> Vec<f64> {
        let solution = &self.solution;
        let (n, r) = (solution.n, along.len());
        let mut kept = column_products(u, n, r);
        for t in 0..r {
            for s in t..r {
                let h = kept[t * r + s] - along[t] * along[s] / solution.constraint_norm;
                kept[t * r + s] = f64::from(u8::from(t == s)) - h;
            }
        }
        kept
    }

    /// The values (not shifted to sum to `Δ`) without the group whose columns of `U` are
    /// `u` (`n` entries each, one after the other), given its weights `w`
    /// ([`removal_weights`](Self::removal_weights)).
    fn removal(&self, u: &[f64], weights: &[f64], q: &mut Vec<f64>) -> Vec<f64> {
        let n = self.solution.n;
        // The step −P Zᵀ w = −L⁻ᵀ q, q = v − e (e·v) / eᵀe, with v = Σ wₜ uₜ; the values
        // move by −Wᵀ q.
        let e = &self.solution.constraint;
        q.clear();
        q.resize(n, 0.0);
        for (column, w) in u.chunks_exact(n).zip(weights) {
            q.iter_mut().zip(column).for_each(|(q, x)| *q += w * x);
        }
        let projection = dot(q, e) / self.solution.constraint_norm;
        q.iter_mut().zip(e).for_each(|(q, e)| *q -= projection * e);
        let mut phi = self.phi.clone();
        for (q, row) in q.iter().zip(self.shapley_rows.chunks_exact(phi.len())) {
            phi.iter_mut().zip(row).for_each(|(phi, w)| *phi -= q * w);
        }
        phi
    }
}

/// Buffers one worker's removals reuse ([`Removable::remove_each`]): `Z` and then `U`,
/// the pairs' scaled residuals, a pair's signs, `U`'s products with `e`, and the step
/// `q`.
#[derive(Default)]
struct RemovalScratch {
    u: Vec<f64>,
    residuals: Vec<f64>,
    signs: Vec<f64>,
    along: Vec<f64>,
    q: Vec<f64>,
}

/// Whether a jackknife group of `pairs` pairs is removed from a factor of `coefficients`
/// unknowns rather than refitted: fewer than half as many pairs as coefficients (see
/// [`Fit::replicates`]).
fn removed_from_factor(pairs: usize, coefficients: usize) -> bool {
    2 * pairs < coefficients
}

/// Consecutive groups of `members` whose pairs, where `removes(len)`, fill at most
/// `columns` columns together (a chunk holds at least one group): the groups whose rows go
/// through `L⁻¹` together.
fn removal_chunks(members: &[Vec<usize>], columns: usize, removes: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
    let mut chunks: Vec<Range<usize>> = Vec::new();
    let mut filled = 0;
    for (g, group) in members.iter().enumerate() {
        let width = if removes(group.len()) { group.len() } else { 0 };
        match chunks.last_mut() {
            Some(chunk) if filled + width <= columns => {
                chunk.end = g + 1;
                filled += width;
            }
            _ => {
                chunks.push(g..g + 1);
                filled = width;
            }
        }
    }
    chunks
}

/// What removing one jackknife group from the shared factor gave.
enum Removal {
    /// The replicate's values.
    Values(Vec<f64>),
    /// The removal left the system singular, or the call was stopped.
    Failed,
    /// The group is too large to remove from the factor: it is refitted.
    TooLarge,
}

/// One target's fit on one choice of terms, with the normal equations of its enumerated
/// and sampled pairs kept for the jackknife.
struct Fit {
    fixed: NormalEquations,
    /// The ridge penalty on each triple, [`RIDGE`] times the pairs' total weight.
    penalty: f64,
    sampled: NormalEquations,
    phi: Vec<f64>,
}

impl Fit {
    /// Fits target `k` on `terms` constrained to `Σφ = delta`; `None` when the Gram
    /// matrix is singular or the call was stopped.
    fn new(columns: &SignColumns, pairs: &Pairs, terms: &Terms, k: usize, delta: f64) -> Option<Self> {
        let fixed = NormalEquations::of_part(columns, Some(ENUMERATED), terms, pairs, k)?;
        let sampled = NormalEquations::of_part(columns, Some(SAMPLED), terms, pairs, k)?;
        let whole = fixed.plus(&sampled);
        // Every ±1 term's weighted sum of squares is the pairs' total weight.
        let penalty = RIDGE * whole.gram[0];
        let phi = whole.penalised(terms.unpenalised(), penalty).shapley_values(terms, delta)?;
        Some(Self { fixed, sampled, penalty, phi })
    }

    /// The jackknife replicates of this fit's values over `groups` groups: each group left
    /// out and its weight given to the other sampled pairs, refitted on the same terms.
    /// Where leaving a group out leaves a free triple unidentified (the group's pairs alone
    /// told it apart), that replicate is refitted with every triple penalised, so that the
    /// errors stay available and the values never depend on the groups. `None` when a
    /// replicate's system is singular even so, or the call was stopped.
    ///
    /// A group of fewer than half as many pairs as coefficients is removed by
    /// [`Removable::remove_each`] from the system whose enumerated pairs are scaled by
    /// `1 − 1/G`: every group's own scale `1 − W_g / W_s` averages that, and the groups'
    /// spread around it changes a replicate at second order only (refitting the default's
    /// 16-pair groups at 36 coefficients instead changed the standard errors by at most
    /// 0.14 %). A larger group is refitted with its exact weights: with `r` pairs against
    /// `n` coefficients the removal costs about `r²n/2 + r³/6` multiply-adds beyond the
    /// group's rows, a refit `n³/6 + 3n²`, which cross near `r = n/2`.
    fn replicates(&self, pairs: &Pairs, terms: &Terms, k: usize, delta: f64, groups: usize) -> Option<Vec<Vec<f64>>> {
        let members = pairs.group_members(groups);
        if !members.iter().any(|m| removed_from_factor(m.len(), terms.len())) {
            return self.refit_each(pairs, terms, k, delta, &members, members.iter().map(|_| Removal::TooLarge));
        }
        let base = self.rescaled(terms, delta, groups)?;
        // The removals (a few pairs each, from one shared factor) run on the engine's
        // workers, each under the call's control; the refits, each holding systems of its
        // own, one at a time. Every replicate is its own computation: the same bits on any
        // number of threads.
        let control = call_control::current();
        let chunks = removal_chunks(&members, terms.len(), |r| base.removes(r));
        let per_chunk: Vec<Vec<Removal>> =
            parallel::map_init_collect(chunks.par_iter(), RemovalScratch::default, |scratch, chunk| {
                let groups = &members[chunk.clone()];
                let _scope = ControlScope::enter(control.clone());
                match stopped() {
                    true => groups.iter().map(|_| Removal::Failed).collect(),
                    false => base.remove_each((pairs, terms, k, delta), groups, scratch),
                }
            });
        let removals: Vec<Removal> = per_chunk.into_iter().flatten().collect();
        // The refits below hold systems of their own: the shared factor and `W` go first,
        // so that at most [`INTERACTION_SYSTEMS`] systems are held at once.
        drop(base);
        self.refit_each(pairs, terms, k, delta, &members, removals)
    }

    /// The system the groups are removed from: the enumerated pairs scaled by `1 − 1/G`
    /// for `groups` groups, ready for removals; `None` when it is singular.
    fn rescaled(&self, terms: &Terms, delta: f64, groups: usize) -> Option<Removable> {
        let scale = 1.0 - 1.0 / groups as f64;
        let base = self.fixed.scaled(scale).plus(&self.sampled);
        Some(base.penalised(terms.unpenalised(), scale * self.penalty).solve(terms, delta)?.removable(terms))
    }

    /// The replicates of the groups `members` from their `removals`, refitting each group
    /// whose removal failed or was too large; `None` when a refit's system is singular or
    /// the call was stopped.
    fn refit_each(
        &self,
        pairs: &Pairs,
        terms: &Terms,
        k: usize,
        delta: f64,
        members: &[Vec<usize>],
        removals: impl IntoIterator<Item = Removal>,
    ) -> Option<Vec<Vec<f64>>> {
        // The unpenalised coefficients when every triple is penalised.
        let every_triple_penalised = terms.player_terms();
        let mut out = Vec::with_capacity(members.len());
        for (g, (members, removal)) in members.iter().zip(removals).enumerate() {
            let phi = match removal {
                Removal::Values(phi) => phi,
                Removal::Failed => self.refit_without(pairs, terms, k, delta, (g, members), every_triple_penalised)?,
                // Penalising every triple changes the system only where some are free.
                Removal::TooLarge => {
                    self.refit_without(pairs, terms, k, delta, (g, members), terms.unpenalised()).or_else(|| {
                        (terms.free > 0)
                            .then(|| self.refit_without(pairs, terms, k, delta, (g, members), every_triple_penalised))
                            .flatten()
                    })?
                }
            };
            out.push(phi);
        }
        Some(out)
    }

    /// The replicate without group `g` (whose pairs are `members`), refitted with its exact
    /// weights and the ridge penalty on every coefficient after the first `free`; `None`
    /// when its system is singular or the call was stopped.
    fn refit_without(
        &self,
        pairs: &Pairs,
        terms: &Terms,
        k: usize,
        delta: f64,
        (g, members): (usize, &[usize]),
        free: usize,
    ) -> Option<Vec<f64>> {
        if stopped() {
            return None;
        }
        let left_out = NormalEquations::over(pairs, terms, k, members.iter().copied())?;
        NormalEquations::combine(&self.fixed, &self.sampled, &left_out, pairs.scale(g))
            .penalised(free, self.penalty)
            .shapley_values(terms, delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::shapley::leverage::LeverageSampler;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn pairs_read_complements_and_refuse_lone_coalitions() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let paired = LeverageSampler::new(10, 200, true, &mut rng).unwrap().schedule;
        // Value of a coalition: its bit pattern read as a number, one target.
        let value = |c: usize| (0..10).filter(|&i| paired.coalitions.contains(c, i)).map(|i| (1 << i) as f64).sum();
        let values: Vec<f64> = (0..paired.len()).map(value).collect();
        let pairs = Pairs::of(&paired, &values, &[0.0], &[1.0], 4).expect("a paired schedule");
        assert_eq!(pairs.len(), paired.len() / 2);
        let mut signs = vec![0.0; 10];
        for p in 0..pairs.len() {
            pairs.signs(p, &mut signs);
            // (v(S) − v(N∖S)) / 2 of a bit pattern is Σ_i sign_i 2^i / 2.
            let want: f64 = signs.iter().enumerate().map(|(i, s)| s * (1 << i) as f64 / 2.0).sum();
            assert_eq!(pairs.y[p], want);
            assert_eq!(pairs.group[p], paired.unit[2 * p].map(|u| u as usize % 4));
        }
        let sampled: f64 = pairs.group_weights.iter().sum();
        assert!((sampled - pairs.sampled_weight).abs() < 1e-12 && sampled > 0.0);
        let lone = LeverageSampler::new(10, 12, true, &mut rng).unwrap().schedule;
        let values = vec![0.0; lone.len()];
        assert!(Pairs::of(&lone, &values, &[0.0], &[1.0], 4).is_none(), "below 2(M − 1) coalitions are drawn alone");
        let mut overflowing = (0..paired.len()).map(value).collect::<Vec<f64>>();
        overflowing[0] = f64::MAX;
        overflowing[1] = -f64::MAX;
        assert!(Pairs::of(&paired, &overflowing, &[0.0], &[1.0], 4).is_none(), "an infinite difference");
        assert!(Pairs::of(&paired, &values, &[-f64::MAX], &[f64::MAX], 4).is_none(), "an infinite total − base");
    }

    #[test]
    fn the_players_block_gives_kernel_shaps_linear_fit_on_pairs() {
        // On complementary pairs the linear fit's residuals split into the pairs' symmetric
        // part, which the constraint fixes, and the antisymmetric part `y − a·x` with
        // `φ = 2a`: the players' block of the normal equations solves the same problem.
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let players = 9;
        let schedule = LeverageSampler::new(players, 150, true, &mut rng).unwrap().schedule;
        let value = |c: usize| {
            let z = |i: usize| f64::from(u8::from(schedule.coalitions.contains(c, i)));
            (0..players).map(|i| (i as f64 - 3.5) * z(i)).sum::<f64>() + 2.0 * z(1) * z(4) * z(7) - z(0) * z(2)
        };
        let values: Vec<f64> = (0..schedule.len()).map(value).collect();
        let (base, total) = (0.25, 0.25 + (0..players).map(|i| i as f64 - 3.5).sum::<f64>() + 2.0 - 1.0);
        let pairs = Pairs::of(&schedule, &values, &[base], &[total], 4).expect("a paired schedule");
        let block = Terms::linear(players).fit(&pairs, 0, total - base).expect("an identified fit");
        let qr = crate::explain::shapley::solve::constrained_wls(
            &schedule.coalitions,
            &schedule.weights,
            &values,
            base,
            total,
        )
        .unwrap();
        for (b, q) in block.iter().zip(&qr) {
            assert!((b - q).abs() <= 1e-12 * (1.0 + q.abs()), "{block:?} vs {qr:?}");
        }
        assert!((block.iter().sum::<f64>() - (total - base)).abs() < 1e-12);
    }

    /// Every triple the cap allows, and the size terms.
    const SIZED: InteractionTerms =
        InteractionTerms { triple_players: usize::MAX, size_terms: true, score_terms: false };

    #[test]
    fn removals_in_chunks_are_each_groups_refit_on_the_rescaled_system() {
        // Groups removed together (their rows through L⁻¹ in shared panels) or alone give
        // the replicate of the rescaled system without the group, solved afresh; with the
        // score terms too, whose values at the full coalition are not 1.
        let players = 10;
        let value = |s: u32| {
            let z = |i: usize| f64::from(u8::from(s & (1 << i) != 0));
            let linear: f64 = (0..players).map(|i| (i as f64 - 4.5) * z(i)).sum();
            (0.3 * linear).tanh() + 0.5 * z(1) * z(4) * z(7) - 0.25 * z(0) * z(2)
        };
        let (schedule, values, base, total) = sampled_game(players, 420, 5, value);
        let (groups, delta) = (16, total - base);
        let pairs = Pairs::of(&schedule, &values, &[base], &[total], groups).expect("a paired schedule");
        let ranking = Terms::linear(players).fit(&pairs, 0, delta).expect("an identified linear fit");
        for score_terms in [false, true] {
            let terms = InteractionTerms { triple_players: 6, size_terms: true, score_terms };
            let terms = Terms::choose(&ranking, terms, pairs.len()).expect("triples fit");
            assert!(terms.size_terms > 0 && !terms.triples.is_empty());
            assert_eq!(terms.direction.is_empty(), !score_terms);
            let signs =
                SignColumns::new(players, true, &terms.triples, pairs.parted(), |p| pairs.coalitions.bits(2 * p));
            let fit = Fit::new(&signs, &pairs, &terms, 0, delta).expect("an identified fit");
            let rescaled = fit.rescaled(&terms, delta, groups).expect("an identified system");
            let members = pairs.group_members(groups);
            assert!(members.iter().all(|m| rescaled.removes(m.len())));
            let chunks = removal_chunks(&members, terms.len(), |r| rescaled.removes(r));
            assert!(chunks.len() > 1 && chunks.len() < groups, "several groups share a chunk: {chunks:?}");
            let context = (&pairs, &terms, 0, delta);
            let mut scratch = RemovalScratch::default();
            let together = rescaled.remove_each(context, &members, &mut scratch);
            let scale = 1.0 - 1.0 / groups as f64;
            for (g, (group, removal)) in members.iter().zip(together).enumerate() {
                let Removal::Values(together) = removal else { panic!("group {g} was not removed") };
                let [Removal::Values(alone)] = &rescaled.remove_each(context, &members[g..g + 1], &mut scratch)[..]
                else {
                    panic!("group {g} alone was not removed")
                };
                let left_out = NormalEquations::over(&pairs, &terms, 0, group.iter().copied()).expect("equations");
                let refit = NormalEquations::combine(&fit.fixed.scaled(scale), &fit.sampled, &left_out, 1.0)
                    .penalised(terms.unpenalised(), scale * fit.penalty)
                    .shapley_values(&terms, delta)
                    .expect("an identified refit");
                for ((t, a), r) in together.iter().zip(alone).zip(&refit) {
                    assert!((t - a).abs() < 1e-12 && (t - r).abs() < 1e-9, "group {g}: {t} / {a} / {r}");
                }
            }
        }
    }

    #[test]
    fn removal_chunks_fill_their_columns_with_consecutive_groups() {
        let members: Vec<Vec<usize>> = [3, 4, 2, 9, 1, 5].iter().map(|&r| (0..r).collect()).collect();
        // Groups of 9 pairs or more are refitted: they take no columns.
        let chunks = removal_chunks(&members, 7, |r| r < 9);
        assert_eq!(chunks, vec![0..2, 2..5, 5..6]);
        assert_eq!(removal_chunks(&members, 1, |_| true), (0..6).map(|g| g..g + 1).collect::<Vec<_>>());
        assert!(removal_chunks(&[], 7, |_| true).is_empty());
    }

    #[test]
    fn terms_keep_the_largest_players_within_the_coefficient_cap() {
        // 16 players and their 16 size terms: C(12, 3) = 220 triples, 252 coefficients
        // (C(13, 3) = 286 would not fit).
        let linear: Vec<f64> = (0..16).map(|i| if i % 2 == 0 { -(i as f64) } else { 0.1 }).collect();
        let terms = Terms::choose(&linear, SIZED, 1 << 20).unwrap();
        assert_eq!((terms.size_terms, terms.triples.len()), (16, 220));
        assert_eq!(terms.len(), 252);
        let mut top: Vec<usize> = terms.triples.iter().flatten().copied().collect();
        top.sort_unstable();
        top.dedup();
        // The 7 even players from 2 by |value|, then the 5 lowest-indexed ties at 0.1
        // (player 0's value is 0, the smallest).
        assert_eq!(top, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14]);
        // Without pairs for the size terms, 12 players: all 220 triples; 255 players: one;
        // 256 and more: none.
        assert_eq!(terms.free, 220, "enough pairs for every triple unpenalised");
        assert_eq!(Terms::choose(&[1.0; 12], SIZED, 0).unwrap().len(), 12 + 220);
        assert_eq!(Terms::choose(&[1.0; 255], SIZED, 0).unwrap().triples.len(), 1);
        assert!(Terms::choose(&[1.0; 256], SIZED, 0).is_none());
        // However many pairs, the size terms of 128 players would leave no room for a triple.
        let wide = Terms::choose(&[1.0; 128], SIZED, 1 << 20).unwrap();
        assert_eq!((wide.size_terms, wide.triples.len()), (0, 120));
        // 300 pairs support 75 coefficients: the 16 players, their 16 size terms and the
        // C(7, 3) = 35 triples among the 7 largest players (the even ones from 2) come
        // first, unpenalised.
        let few = Terms::choose(&linear, SIZED, 300).unwrap();
        assert_eq!((few.size_terms, few.free, few.triples.len()), (16, 35, 220));
        assert_eq!(few.unpenalised(), 16 + 16 + 35);
        let ranked = [14, 12, 10, 8, 6, 4, 2];
        assert!(few.triples[..35].iter().all(|t| t.iter().all(|i| ranked.contains(i))));
        assert!(few.triples[35..].iter().all(|t| t.iter().any(|i| !ranked.contains(i))));
        // 127 pairs support 31 coefficients: no room for the size terms beside the players.
        let top = InteractionTerms { triple_players: 6, size_terms: true, score_terms: false };
        let thin = Terms::choose(&linear, top, 127).unwrap();
        assert_eq!((thin.size_terms, thin.triples.len()), (0, 20));
        assert_eq!(Terms::choose(&linear, top, 128).unwrap().size_terms, 16);
        // An estimator without size terms never fits them.
        let unsized_terms = InteractionTerms { triple_players: usize::MAX, size_terms: false, score_terms: false };
        let plain = Terms::choose(&linear, unsized_terms, 1 << 20).unwrap();
        assert_eq!((plain.size_terms, plain.len()), (0, 236));
    }

    /// The exact Shapley values of the game `value` over `players` players (bit `i` of a
    /// coalition's index is player `i`), by enumeration.
    fn brute_force_shapley(players: usize, value: impl Fn(u32) -> f64) -> Vec<f64> {
        let factorial = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
        (0..players)
            .map(|i| {
                (0..1u32 << players)
                    .filter(|s| s & (1 << i) == 0)
                    .map(|s| {
                        let size = s.count_ones() as usize;
                        let weight = factorial(size) * factorial(players - size - 1) / factorial(players);
                        weight * (value(s | 1 << i) - value(s))
                    })
                    .sum()
            })
            .collect()
    }

    /// A paired leverage schedule of `budget` coalitions over `players` players drawn with
    /// `seed`, the game `value`'s values at its coalitions (bit `i` of a coalition's index
    /// is player `i`), and `v(∅)` and `v(N)`.
    fn sampled_game(
        players: usize,
        budget: usize,
        seed: u64,
        value: impl Fn(u32) -> f64,
    ) -> (Schedule, Vec<f64>, f64, f64) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let schedule = LeverageSampler::new(players, budget, true, &mut rng).unwrap().schedule;
        let mask = |c: usize| (0..players).filter(|&i| schedule.coalitions.contains(c, i)).map(|i| 1u32 << i).sum();
        let values = (0..schedule.len()).map(|c| value(mask(c))).collect();
        let (base, total) = (value(0), value((1 << players) - 1));
        (schedule, values, base, total)
    }

    /// The largest gap between `terms`' fit of target 0 over `pairs` and `exact`.
    fn largest_error(terms: &Terms, pairs: &Pairs, exact: &[f64], delta: f64) -> f64 {
        let phi = terms.fit(pairs, 0, delta).expect("an identified fit");
        phi.iter().zip(exact).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
    }

    #[test]
    fn size_terms_have_their_closed_form_shapley_values() {
        for players in [3, 4, 7, 10] {
            let sign = |s: u32, i: usize| if s & (1 << i) != 0 { 1.0 } else { -1.0 };
            let size_term = |s: u32| sign(s, 1) * size_scale(players, s.count_ones() as usize);
            let exact = brute_force_shapley(players, size_term);
            let (own, other) = size_term_shapley(players);
            assert!((exact[1] - own).abs() < 1e-12, "M = {players}: {exact:?} vs {own}");
            for (i, value) in exact.iter().enumerate().filter(|&(i, _)| i != 1) {
                assert!((value - other).abs() < 1e-12, "M = {players}, player {i}: {value} vs {other}");
            }
            // Efficiency: u(N) − u(∅) = h(M) + h(0) = 2.
            assert!((own + (players - 1) as f64 * other - 2.0).abs() < 1e-12);
            assert_eq!((size_scale(players, players), size_scale(players, 0)), (1.0, 1.0));
        }
        // The fitted basis at a pair and the values of its coefficients.
        let terms = Terms { players: 4, size_terms: 4, direction: Vec::new(), triples: vec![[0, 1, 3]], free: 1 };
        let mut x = vec![0.0; terms.len()];
        terms.features(&[1.0, -1.0, 1.0, 1.0], &mut x);
        let h = size_scale(4, 3);
        assert_eq!(x, vec![1.0, -1.0, 1.0, 1.0, h, -h, h, h, -1.0]);
        let (own, other) = size_term_shapley(4);
        let phi = terms.shapley(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
        assert_eq!(phi, vec![2.0 * other, 2.0 * other, 2.0 * own, 2.0 * other]);
    }

    #[test]
    fn size_terms_fit_a_size_dependent_game_exactly() {
        // A game whose players' effects grow away from the middle size, plus an even part
        // (a pair's product, which complementary pairs cancel): the linear fit leaves the
        // size dependence as noise; with the size terms the fit spans the game's
        // antisymmetric part and recovers the exact values from a sample.
        let players = 10;
        let value = |s: u32| {
            let sign = |i: usize| if s & (1 << i) != 0 { 1.0 } else { -1.0 };
            let scale = size_scale(players, s.count_ones() as usize);
            let effects: f64 = (0..players).map(|i| (i as f64 - 4.5) * sign(i) * (1.0 + 2.0 * scale)).sum();
            effects + 0.7 * sign(0) * sign(3)
        };
        let exact = brute_force_shapley(players, value);
        let (schedule, values, base, total) = sampled_game(players, 400, 5, value);
        assert!(!schedule.exact);
        let pairs = Pairs::of(&schedule, &values, &[base], &[total], 4).expect("a paired schedule");
        let error = |terms: &Terms| largest_error(terms, &pairs, &exact, total - base);
        let linear = Terms::linear(players);
        let ranking = linear.fit(&pairs, 0, total - base).unwrap();
        let sized = Terms::choose(
            &ranking,
            InteractionTerms { triple_players: 3, size_terms: true, score_terms: false },
            pairs.len(),
        )
        .unwrap();
        assert_eq!((sized.size_terms, sized.triples.len()), (players, 1));
        assert!(error(&linear) > 1e-2, "the linear fit cannot represent the game: {}", error(&linear));
        assert!(error(&sized) < 1e-9, "{}", error(&sized));
    }

    #[test]
    fn score_terms_have_their_closed_form_shapley_values() {
        let sign = |s: u32, i: usize| if s & (1 << i) != 0 { 1.0 } else { -1.0 };
        for players in [3, 4, 7] {
            let direction: Vec<f64> = (0..players).map(|j| [0.5, -0.25, 0.125, 1.0][j % 4] / (j + 1) as f64).collect();
            for i in 0..players {
                let score_term = |s: u32| {
                    let score: f64 = direction.iter().enumerate().map(|(j, b)| b * sign(s, j)).sum();
                    sign(s, i) * score * score
                };
                let exact = brute_force_shapley(players, score_term);
                let mut unit = vec![0.0; players];
                unit[i] = 1.0;
                let mut phi = vec![0.0; players];
                add_score_term_shapley(&direction, &unit, &mut phi);
                for (m, (got, want)) in phi.iter().zip(&exact).enumerate() {
                    assert!((got - want).abs() < 1e-12, "M = {players}, term {i}, player {m}: {got} vs {want}");
                }
            }
        }
        // The fitted basis at a pair, and each term's value at the full coalition.
        let direction = vec![0.5, -0.25, 0.25];
        let terms = Terms { players: 3, size_terms: 3, direction, triples: vec![[0, 1, 2]], free: 1 };
        let mut x = vec![0.0; terms.len()];
        terms.features(&[1.0, -1.0, -1.0], &mut x);
        let (h, g) = (size_scale(3, 1), 0.5f64 * 0.5);
        assert_eq!(x, vec![1.0, -1.0, -1.0, h, -h, -h, g, -g, -g, 1.0]);
        assert_eq!(terms.at_full(), vec![1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.25, 0.25, 0.25, 1.0]);
    }

    #[test]
    fn score_terms_fit_a_game_that_saturates_along_its_score() {
        // Each player's effect shrinks as the coalition's score `Σ b_j (2 z_j − 1)` moves
        // away from 0 (a sigmoid's saturation, to second order), plus an even part that
        // complementary pairs cancel: the size terms do not span it, the score terms along
        // `b` do, and recover the exact values from a sample.
        let players = 10;
        let direction: Vec<f64> = (0..players).map(|i| (i as f64 - 3.5) / 45.0).collect();
        let value = |s: u32| {
            let sign = |i: usize| if s & (1 << i) != 0 { 1.0 } else { -1.0 };
            let score: f64 = direction.iter().enumerate().map(|(j, b)| b * sign(j)).sum();
            let effects: f64 = (0..players).map(|i| (i as f64 - 3.5) * sign(i) * (1.0 - 4.0 * score * score)).sum();
            effects + 0.7 * sign(0) * sign(3)
        };
        let exact = brute_force_shapley(players, value);
        let (schedule, values, base, total) = sampled_game(players, 600, 9, value);
        let pairs = Pairs::of(&schedule, &values, &[base], &[total], 4).expect("a paired schedule");
        let error = |terms: &Terms| largest_error(terms, &pairs, &exact, total - base);
        let triples = vec![[7, 8, 9]];
        let sized = Terms { players, size_terms: players, direction: Vec::new(), triples: triples.clone(), free: 1 };
        let scored = Terms { players, size_terms: players, direction, triples, free: 1 };
        assert!(error(&sized) > 1e-2, "the size terms cannot represent the game: {}", error(&sized));
        assert!(error(&scored) < 1e-9, "{}", error(&scored));
    }

    #[test]
    fn score_terms_along_equal_values_give_way_to_the_size_terms() {
        // A symmetric game: equal linear values make every score term its size term, and
        // the system singular; the fit goes on without the score terms.
        let players = 8;
        let value = |s: u32| {
            let size = s.count_ones() as f64;
            size + 0.1 * size * size * size
        };
        let exact = brute_force_shapley(players, value);
        let (schedule, values, base, total) = sampled_game(players, 220, 4, value);
        let terms = InteractionTerms { triple_players: 6, size_terms: true, score_terms: true };
        let pairs = Pairs::of(&schedule, &values, &[base], &[total], 4).expect("a paired schedule");
        let chosen = Terms::choose(&[1.0; 8], terms, pairs.len()).unwrap();
        assert_eq!(chosen.direction, vec![0.125; 8]);
        assert!(chosen.fit(&pairs, 0, total - base).is_none(), "score terms equal to the size terms");
        let no_linear_fit = |_| unreachable!("the players' block ranks them");
        let (phi, _) = interaction_estimate(&schedule, terms, &values, &[base], &[total], 8, no_linear_fit)
            .expect("no error")
            .expect("the interaction fit applies");
        for (got, want) in phi.iter().zip(&exact) {
            assert!((got - want).abs() < 1e-9, "{phi:?} vs {exact:?}");
        }
    }

    #[test]
    fn score_terms_near_the_size_terms_do_not_amplify_noise() {
        // Players of nearly equal effects (tilted by up to 10 %), saturating with the
        // coalition's size, plus a triple, a pair and small noise: `b` is then nearly
        // `1/M`, the score terms nearly the size terms. Over 20 seeds at M = 12 the fit with
        // them errs no more than without them (0.91–1.02× when written).
        let players = 12;
        for tilt in [0.0, 1e-6, 1e-4, 1e-2, 0.1] {
            let value = |s: u32| {
                let sign = |i: usize| if s & (1 << i) != 0 { 1.0 } else { -1.0 };
                let score = (0..players).map(sign).sum::<f64>() / players as f64;
                let effects: f64 =
                    (0..players).map(|i| (1.0 + tilt * i as f64) * sign(i) * (1.0 - 0.8 * score * score)).sum();
                effects + 0.3 * sign(0) * sign(1) * sign(2) + 0.7 * sign(0) * sign(3)
            };
            let exact = brute_force_shapley(players, value);
            let mut errors = [0.0, 0.0];
            for seed in 0..20 {
                let (schedule, mut values, base, total) = sampled_game(players, 800, seed, value);
                let noise = |c: usize| 0.01 * (((c * 7919 + seed as usize * 104_729) % 1000) as f64 / 1000.0 - 0.5);
                values.iter_mut().enumerate().for_each(|(c, v)| *v += noise(c));
                for (score_terms, error) in [true, false].into_iter().zip(&mut errors) {
                    let terms = InteractionTerms { triple_players: 5, size_terms: true, score_terms };
                    let no_linear_fit = |_| unreachable!("the players' block ranks them");
                    let (phi, _) = interaction_estimate(&schedule, terms, &values, &[base], &[total], 8, no_linear_fit)
                        .expect("no error")
                        .expect("the interaction fit applies");
                    *error += phi.iter().zip(&exact).map(|(a, b)| (a - b).abs()).sum::<f64>();
                }
            }
            let [with, without] = errors;
            assert!(with <= 1.05 * without, "tilt {tilt}: {with:.4e} with the score terms, {without:.4e} without");
        }
    }

    #[test]
    fn shapley_values_split_each_triple_evenly() {
        let terms = Terms { players: 4, size_terms: 0, direction: Vec::new(), triples: vec![[0, 1, 3]], free: 1 };
        let phi = terms.shapley(&[0.5, 0.0, 1.0, 0.0, 3.0]);
        assert_eq!(phi, vec![3.0, 2.0, 2.0, 2.0]);
        let mut x = vec![0.0; 5];
        terms.features(&[1.0, -1.0, 1.0, -1.0], &mut x);
        assert_eq!(x, vec![1.0, -1.0, 1.0, -1.0, 1.0]);
    }
}
