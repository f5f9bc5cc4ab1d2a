//! Leverage SHAP's coalition schedule (Musco & Witter, "Provably Accurate Shapley Value
//! Estimation via Leverage Score Sampling", ICLR 2025, arXiv 2410.01917), grown in rounds.
//!
//! # Sampling
//! The leverage scores of KernelSHAP's weighted regression are equal for every subset size
//! and split evenly within a size: a coalition of size `s` has leverage `∝ 1 / C(M, s)`.
//! Every coalition is included independently with probability
//! `q_s = min(1, c / C(M, s))`, `c` chosen so that the expected number of coalitions
//! `Σ_s min(C(M, s), c)` equals the budget (Bernoulli sampling: without replacement). Sizes
//! with `q_s = 1` are enumerated completely. Each included coalition gets the regression
//! weight `k(s) / q_s` (Shapley kernel over inclusion probability), and the regression is
//! KernelSHAP's constrained least squares ([`solve`](super::solve)).
//!
//! # Pairs
//! From a budget of `2(M − 1)` up, coalitions are drawn in complementary pairs: a pair
//! `{S, N∖S}` is one unit with the inclusion probability of its sizes (which are equal:
//! `C(M, s) = C(M, M − s)`). For `M` even the pairs of the middle size are counted once
//! each, through the member that holds the last player. Below `2(M − 1)` pairs could not
//! determine the `M − 1` free directions of the values, so coalitions are drawn alone.
//!
//! # The stratified variant
//! [`LeverageSampler`] with `stratified` fixes the number of units of every size to its
//! expectation `C · q_s`, rounded up or down by systematic sampling over the sizes (one
//! uniform draw, so the total is exactly the budget and each size's expectation is kept),
//! and weights each by `k(s) · population / drawn` (the stratum's own sampling fraction).
//! This removes the randomness of the per-size counts, a variance-reduction idea.
//!
//! # Rounds and the budget
//! A later round raises `c`: Bernoulli sampling adds each coalition not yet drawn with
//! probability `(q'_s − q_s) / (1 − q_s)`, which leaves every coalition included with
//! probability `q'_s` overall; the stratified variant adds the missing units of each size.
//! The budget is a hard cap: when a round's draws exceed it, the units last planned for the
//! sizes with the most new units are dropped.

use rand::{Rng, RngExt};

use super::drawn_set::DrawnSet;
use super::schedule::{
    binomial_f64, binomial_u128, check_arguments, covers_all, draws_pairs, for_each_combination, random_subset,
    reserved_coalitions, Schedule, WORD_BITS,
};
use crate::error::Result;

/// Units of a class are drawn by enumeration (rather than by rejection) when the class
/// holds at most this many units per unit wanted, plus [`DENSE_SLACK`].
const DENSE_FACTOR: u128 = 4;

/// See [`DENSE_FACTOR`].
const DENSE_SLACK: u128 = 64;

/// One kind of sampling unit: the coalitions of one size (alone, or with their
/// complements).
#[derive(Debug, Clone)]
struct Class {
    /// The size of a unit's first coalition.
    size: usize,
    /// Whether a unit is a pair (its first coalition, then that one's complement).
    paired: bool,
    /// Whether every unit's first coalition holds the last player (the middle size of a
    /// paired schedule, so that each pair is one unit).
    anchored: bool,
    /// Units in the class.
    population: f64,
    /// Units in the class, exactly, when that fits a `u128`.
    population_exact: Option<u128>,
    /// `C(M, size)`.
    binomial: f64,
    /// The Shapley kernel `k(size)`.
    kernel: f64,
    /// The probability with which every unit of the class has been included so far.
    probability: f64,
    /// Units drawn so far.
    drawn: usize,
}

impl Class {
    fn full(&self) -> bool {
        self.drawn as f64 >= self.population
    }

    /// Coalitions per unit.
    fn rows_per_unit(&self) -> usize {
        if self.paired {
            2
        } else {
            1
        }
    }
}

/// Leverage SHAP's schedule (Bernoulli or stratified), grown in rounds.
pub(super) struct LeverageSampler {
    players: usize,
    stratified: bool,
    classes: Vec<Class>,
    /// The schedule so far.
    pub(super) schedule: Schedule,
    /// The class of every row.
    row_class: Vec<usize>,
    /// The first coalition of every unit drawn.
    seen: DrawnSet,
    order: Vec<usize>,
    scratch: Vec<u64>,
}

impl LeverageSampler {
    /// The first round: `budget` coalitions (at most) for `players` players.
    pub(super) fn new(players: usize, budget: usize, stratified: bool, rng: &mut impl Rng) -> Result<Self> {
        check_arguments(players, budget)?;
        let paired = draws_pairs(players, budget);
        let m = players as f64;
        let kernel = |size: usize| (m - 1.0) / (binomial_f64(players, size) * size as f64 * (m - size as f64));
        let sizes: Vec<usize> = if paired { (1..=players / 2).collect() } else { (1..players).collect() };
        let classes = sizes
            .into_iter()
            .map(|size| {
                let anchored = paired && 2 * size == players;
                let (population, population_exact) = if anchored {
                    (binomial_f64(players - 1, size - 1), binomial_u128(players - 1, size - 1))
                } else {
                    (binomial_f64(players, size), binomial_u128(players, size))
                };
                Class {
                    size,
                    paired,
                    anchored,
                    population,
                    population_exact,
                    binomial: binomial_f64(players, size),
                    kernel: kernel(size),
                    probability: 0.0,
                    drawn: 0,
                }
            })
            .collect();
        let capacity = reserved_coalitions(players, budget);
        let schedule = Schedule::with_capacity(players, capacity);
        let words = schedule.coalitions.words();
        let mut sampler = Self {
            players,
            stratified,
            classes,
            schedule,
            row_class: Vec::with_capacity(capacity),
            // Sized by each round (`grow`) before it draws.
            seen: DrawnSet::default(),
            order: Vec::with_capacity(players),
            scratch: vec![0; words],
        };
        sampler.grow(budget, rng);
        Ok(sampler)
    }

    /// Grows the schedule to at most `budget` coalitions.
    pub(super) fn grow(&mut self, budget: usize, rng: &mut impl Rng) {
        let paired = self.classes.first().is_some_and(|c| c.paired);
        let target = if paired { budget - budget % 2 } else { budget };
        // One key per unit (a complementary pair is one), room made once per round, like
        // the schedule's: growing a hash set key by key rehashed every key as it doubled.
        let capacity = reserved_coalitions(self.players, budget);
        self.seen.reserve(self.players, if paired { capacity / 2 } else { capacity });
        let c = self.oversampling(target as f64);
        let probabilities: Vec<f64> =
            self.classes.iter().map(|class| (c / class.binomial).min(1.0).max(class.probability)).collect();
        let mut added = if self.stratified {
            self.stratified_counts(&probabilities, rng)
        } else {
            self.bernoulli_counts(&probabilities, rng)
        };
        self.trim(&mut added, budget);
        for (index, &count) in added.iter().enumerate() {
            self.draw_units(index, count, rng);
        }
        for (class, p) in self.classes.iter_mut().zip(probabilities) {
            class.probability = if class.full() { 1.0 } else { p };
        }
        self.reweight();
    }

    /// The `c` at which `Σ_s min(C(M, s), c)` over sizes `1..M` reaches `target`.
    fn oversampling(&self, target: f64) -> f64 {
        let mut binomials: Vec<f64> = (1..self.players).map(|s| binomial_f64(self.players, s)).collect();
        binomials.sort_by(f64::total_cmp);
        let mut below = 0.0;
        for (i, &b) in binomials.iter().enumerate() {
            let rest = (binomials.len() - i) as f64;
            if below + b * rest >= target {
                return (target - below) / rest;
            }
            below += b;
        }
        binomials.last().copied().unwrap_or(1.0)
    }

    /// New units per class for Bernoulli sampling up to `probabilities`.
    fn bernoulli_counts(&self, probabilities: &[f64], rng: &mut impl Rng) -> Vec<usize> {
        self.classes
            .iter()
            .zip(probabilities)
            .map(|(class, &p)| {
                if class.full() || p <= class.probability {
                    0
                } else if p >= 1.0 {
                    (class.population - class.drawn as f64) as usize
                } else {
                    let step = (p - class.probability) / (1.0 - class.probability);
                    binomial(class.population - class.drawn as f64, step, rng)
                }
            })
            .collect()
    }

    /// New units per class so that each class holds its expected count, rounded by
    /// systematic sampling over the classes.
    fn stratified_counts(&self, probabilities: &[f64], rng: &mut impl Rng) -> Vec<usize> {
        let u: f64 = rng.random();
        let mut cumulative = 0.0f64;
        self.classes
            .iter()
            .zip(probabilities)
            .map(|(class, &p)| {
                let expected = class.population * p;
                let wanted = ((cumulative + expected + u).floor() - (cumulative + u).floor()).max(0.0);
                cumulative += expected;
                let wanted = wanted.min(class.population) as usize;
                wanted.saturating_sub(class.drawn)
            })
            .collect()
    }

    /// Drops planned units, from the classes with the most, until the schedule fits `budget`.
    fn trim(&self, added: &mut [usize], budget: usize) {
        let rows = |added: &[usize]| -> usize {
            self.schedule.len()
                + added.iter().zip(&self.classes).map(|(&n, class)| n * class.rows_per_unit()).sum::<usize>()
        };
        while rows(added) > budget {
            let Some((largest, _)) = added.iter().enumerate().filter(|(_, &n)| n > 0).max_by_key(|&(i, &n)| (n, i))
            else {
                return;
            };
            added[largest] -= 1;
        }
    }

    /// Adds `count` new units of class `index`, uniformly among those not drawn yet.
    fn draw_units(&mut self, index: usize, count: usize, rng: &mut impl Rng) {
        if count == 0 {
            return;
        }
        let class = self.classes[index].clone();
        let dense =
            class.population_exact.is_some_and(|n| n <= DENSE_FACTOR * (class.drawn + count) as u128 + DENSE_SLACK);
        if dense {
            let words = self.schedule.coalitions.words();
            let mut candidates = self.undrawn_units(&class);
            let units = candidates.len() / words;
            for i in 0..count.min(units) {
                let j = rng.random_range(i..units);
                for w in 0..words {
                    candidates.swap(i * words + w, j * words + w);
                }
                self.push_unit(index, &candidates[i * words..(i + 1) * words]);
            }
        } else {
            let mut bits = std::mem::take(&mut self.scratch);
            let mut order = std::mem::take(&mut self.order);
            let mut added = 0;
            while added < count {
                if class.anchored {
                    random_subset(self.players - 1, class.size - 1, rng, &mut order, &mut bits);
                    let last = self.players - 1;
                    bits[last / WORD_BITS] |= 1 << (last % WORD_BITS);
                } else {
                    random_subset(self.players, class.size, rng, &mut order, &mut bits);
                }
                if !self.seen.contains(&bits) {
                    self.push_unit(index, &bits);
                    added += 1;
                }
            }
            self.scratch = bits;
            self.order = order;
        }
    }

    /// Every unit of `class` not drawn yet (its first coalition's bits, `words` per unit,
    /// one after the other), in lexicographic order.
    fn undrawn_units(&self, class: &Class) -> Vec<u64> {
        let words = self.schedule.coalitions.words();
        let mut units = Vec::new();
        let mut bits = vec![0u64; words];
        let (pool, take) = if class.anchored { (self.players - 1, class.size - 1) } else { (self.players, class.size) };
        for_each_combination(pool, take, |members| {
            bits.fill(0);
            members.iter().for_each(|&p| bits[p / WORD_BITS] |= 1 << (p % WORD_BITS));
            if class.anchored {
                let last = self.players - 1;
                bits[last / WORD_BITS] |= 1 << (last % WORD_BITS);
            }
            if !self.seen.contains(&bits) {
                units.extend_from_slice(&bits);
            }
        });
        units
    }

    /// Appends the unit whose first coalition is `bits` to class `index`.
    fn push_unit(&mut self, index: usize, bits: &[u64]) {
        let class = &mut self.classes[index];
        class.drawn += 1;
        self.seen.insert(bits);
        self.schedule.coalitions.push_valid(bits);
        self.row_class.push(index);
        if class.paired {
            self.schedule.coalitions.push_complement(bits);
            self.row_class.push(index);
        }
    }

    /// Recomputes every row's weight and unit from the classes' current state.
    fn reweight(&mut self) {
        let schedule = &mut self.schedule;
        schedule.weights.clear();
        schedule.unit.clear();
        schedule.unit_factors.clear();
        let mut units = 0u32;
        let mut row = 0;
        while row < self.row_class.len() {
            let class = &self.classes[self.row_class[row]];
            let probability = if class.full() {
                1.0
            } else if self.stratified {
                class.drawn as f64 / class.population
            } else {
                class.probability
            };
            let weight = class.kernel / probability;
            let unit = (!class.full()).then_some(units);
            if unit.is_some() {
                units += 1;
                schedule.unit_factors.push(1.0 - class.drawn as f64 / class.population);
            }
            for _ in 0..class.rows_per_unit() {
                schedule.weights.push(weight);
                schedule.unit.push(unit);
            }
            row += class.rows_per_unit();
        }
        schedule.units = units;
        schedule.exact = self.classes.iter().all(Class::full) && covers_all(self.players, schedule.len());
        schedule.normalise();
    }
}

/// The number of successes in `trials` Bernoulli trials of probability `p` (`0 < p < 1`),
/// by skipping geometric gaps between successes: `O(trials · p)` random draws.
fn binomial(trials: f64, p: f64, rng: &mut impl Rng) -> usize {
    let log_q = (-p).ln_1p();
    let (mut position, mut count) = (0.0f64, 0usize);
    loop {
        let u: f64 = rng.random();
        position += ((1.0 - u).ln() / log_q).floor() + 1.0;
        if position > trials {
            return count;
        }
        count += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use super::*;

    fn sampler(players: usize, budget: usize, stratified: bool, seed: u64) -> LeverageSampler {
        LeverageSampler::new(players, budget, stratified, &mut ChaCha20Rng::seed_from_u64(seed)).expect("valid")
    }

    fn complement(bits: &[u64], players: usize) -> Vec<u64> {
        let mut c = super::super::schedule::Coalitions::new(players);
        c.push_bits(bits).expect("valid bits");
        let members: Vec<usize> = c.members(0).collect();
        let mut other = super::super::schedule::Coalitions::new(players);
        other.push((0..players).filter(|p| !members.contains(p))).expect("valid members");
        other.bits(0).to_vec()
    }

    #[test]
    fn schedules_fit_the_budget_pair_complements_and_never_repeat() {
        for stratified in [false, true] {
            for (players, budget) in [(4, 10), (6, 20), (10, 200), (12, 61), (16, 2080), (16, 48), (40, 500)] {
                for seed in 0..4 {
                    let s = sampler(players, budget, stratified, seed).schedule;
                    assert!(s.len() <= budget, "M = {players}, budget {budget}: {}", s.len());
                    // Stratified counts spend the budget; Bernoulli counts only on average.
                    let slack = if stratified { 4.0 } else { 5.0 * (budget as f64).sqrt() };
                    let wanted = budget.min((1 << players.min(30)) - 2) as f64;
                    assert!(s.len() as f64 + slack >= wanted, "spends the budget: {}", s.len());
                    let distinct: HashSet<&[u64]> = (0..s.len()).map(|c| s.coalitions.bits(c)).collect();
                    assert_eq!(distinct.len(), s.len());
                    assert!((s.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
                    for c in (0..s.len()).step_by(2) {
                        assert_eq!(s.coalitions.bits(c + 1), complement(s.coalitions.bits(c), players));
                        assert_eq!(s.weights[c], s.weights[c + 1]);
                        assert_eq!(s.unit[c], s.unit[c + 1]);
                    }
                }
            }
        }
    }

    #[test]
    fn sizes_are_drawn_evenly_as_leverage_scores_say() {
        // M = 12, budget 400: c ≈ 400 / 11 coalitions per size, sizes 1 and 11 (12 each) complete.
        let (players, budget, runs) = (12, 400, 200);
        let mut per_size = [0.0f64; 12];
        for seed in 0..runs {
            let s = sampler(players, budget, false, seed).schedule;
            for c in 0..s.len() {
                per_size[s.coalitions.size(c)] += 1.0 / runs as f64;
            }
        }
        assert!((per_size[1] - 12.0).abs() < 1e-9 && (per_size[11] - 12.0).abs() < 1e-9);
        let c = (400.0 - 24.0) / 9.0;
        for (size, drawn) in per_size.iter().enumerate().take(11).skip(2) {
            assert!((drawn - c).abs() < 0.06 * c, "size {size}: {drawn} vs {c}");
        }
    }

    #[test]
    fn weights_are_kernel_over_inclusion_probability() {
        let (players, budget) = (10, 300);
        let s = sampler(players, budget, false, 3);
        let m = players as f64;
        let kernel = |k: usize| (m - 1.0) / (binomial_f64(players, k) * k as f64 * (m - k as f64));
        let c = s.oversampling(budget as f64);
        let raw: Vec<f64> = (0..s.schedule.len())
            .map(|r| {
                let k = s.schedule.coalitions.size(r);
                kernel(k) / (c / binomial_f64(players, k)).min(1.0)
            })
            .collect();
        let sum: f64 = raw.iter().sum();
        for (w, r) in s.schedule.weights.iter().zip(&raw) {
            assert!((w - r / sum).abs() < 1e-12 * r / sum);
        }
        assert!((s.oversampling(budget as f64) - c).abs() < 1e-12);
    }

    #[test]
    fn stratified_counts_are_fixed_per_size() {
        for seed in 0..20 {
            let s = sampler(16, 2080, true, seed).schedule;
            assert_eq!(s.len(), 2080);
            let mut per_size = [0usize; 16];
            (0..s.len()).for_each(|c| per_size[s.coalitions.size(c)] += 1);
            // c = (2080 − 2·(16 + 120)) / 11 ≈ 164.4 per size, sizes 1, 2, 14, 15 complete.
            assert_eq!((per_size[1], per_size[2]), (16, 120));
            for (size, drawn) in per_size.iter().enumerate().take(14).skip(3) {
                assert!((164..=166).contains(drawn), "size {size}: {drawn}");
            }
        }
    }

    /// The set of drawn units is reserved for at most every coalition, even under a budget
    /// far above them, so that it never holds more than the memory plan counts.
    #[test]
    fn the_drawn_set_holds_no_more_than_the_memory_plan_counts() {
        use super::super::estimator::Estimator;
        for (players, budget) in [(8, 2064), (12, 500), (16, 2080), (16, 20), (6, 100_000)] {
            let sampler = sampler(players, budget, true, 1);
            let coalitions = budget.min((1 << players) - 2);
            let counted = Estimator::LeverageStratified.drawn_set_bytes(players, coalitions, budget);
            let held = sampler.seen.held_bytes(players);
            assert!(held <= counted, "M = {players}, budget {budget}: {held} bytes held, {counted} counted");
        }
        // Grown in rounds to the plan's cap (accuracy-driven budgets): at 16 players the
        // hash set of the first round becomes the bitmap, at 20 it stays a hash set.
        for players in [16, 20] {
            let mut random = ChaCha20Rng::seed_from_u64(2);
            let mut grown = LeverageSampler::new(players, 100, true, &mut random).expect("valid");
            grown.grow(2080, &mut random);
            let (held, counted) =
                (grown.seen.held_bytes(players), Estimator::LeverageStratified.drawn_set_bytes(players, 2080, 100));
            assert!(held <= counted, "M = {players}, grown to 2080: {held} bytes held, {counted} counted");
        }
    }

    #[test]
    fn small_budgets_draw_alone_and_large_ones_enumerate_everything() {
        let s = sampler(16, 20, true, 0).schedule;
        assert_eq!(s.len(), 20);
        assert_eq!(s.units, 20);
        let all = sampler(6, 62, false, 0).schedule;
        assert!(all.exact && all.units == 0 && all.len() == 62);
    }

    #[test]
    fn rounds_keep_earlier_rows_and_reach_the_new_budget() {
        for stratified in [false, true] {
            let mut random = ChaCha20Rng::seed_from_u64(9);
            let mut s = LeverageSampler::new(16, 200, stratified, &mut random).expect("valid");
            let first = s.schedule.coalitions.clone();
            s.grow(900, &mut random);
            assert!(s.schedule.len() <= 900 && s.schedule.len() > 850, "{}", s.schedule.len());
            assert_eq!(s.schedule.coalitions.packed()[..first.packed().len()], *first.packed());
            let distinct: HashSet<&[u64]> = (0..s.schedule.len()).map(|c| s.schedule.coalitions.bits(c)).collect();
            assert_eq!(distinct.len(), s.schedule.len());
        }
    }

    #[test]
    fn binomial_counts_have_the_right_mean() {
        let mut random = ChaCha20Rng::seed_from_u64(1);
        let draws = 2000;
        let mean = (0..draws).map(|_| binomial(500.0, 0.1, &mut random) as f64).sum::<f64>() / draws as f64;
        assert!((mean - 50.0).abs() < 0.7, "mean {mean}");
    }
}
