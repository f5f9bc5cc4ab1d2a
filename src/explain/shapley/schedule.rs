//! KernelSHAP's coalition schedule: which coalitions to evaluate and their Shapley-kernel
//! regression weights.
//!
//! # The kernel
//! For `M` players, a coalition of size `s` (`0 < s < M`) has the Shapley-kernel weight
//! `k(s) = (M − 1) / (C(M, s) · s · (M − s))` (Lundberg & Lee 2017, theorem 2). The empty
//! and the full coalition have infinite weight: the solver turns them into the constraints
//! `φ₀ = v(∅)` and `Σφ = v(N) − v(∅)`, so they are never part of a schedule.
//!
//! # Normalisation
//! Every schedule's weights sum to 1, as in shap. In exact mode the weight of a coalition
//! of size `s` is `k(s) / Z`, `Z = Σ_{s=1}^{M−1} C(M, s) · k(s) = Σ_{s=1}^{M−1} (M − 1) / (s (M − s))`.
//!
//! # Exact mode
//! When `budget ≥ 2^M − 2` every non-trivial coalition is enumerated once with its kernel
//! weight, in shap's order (sizes `s = 1, 2, …`, each combination in lexicographic order
//! followed by its complement). shap reaches the same set through its size loop (it caps
//! `nsamples` at `2^M − 2` for `M ≤ 30`, and then every size fits); here the loop is run
//! without the fit test.
//!
//! # Sampled mode (shap's `KernelExplainer.explain`, followed step by step)
//! 1. Subset sizes `s = 1..=ceil((M − 1) / 2)`; size `s` is *paired* with size `M − s` when
//!    `s ≤ floor((M − 1) / 2)`, i.e. unless `s = M / 2` (`M` even).
//! 2. `weight_vector[s] ∝ (M − 1) / (s (M − s))`, doubled for paired sizes, normalised to 1.
//! 3. From the outside in, size `s` is enumerated completely (with its partner) when the
//!    remaining budget holds it under shap's test
//!    `remaining_budget · remaining_weight[s] / nsubsets ≥ 1 − 1e-8`, where `nsubsets` is
//!    `C(M, s)`, doubled when paired. Each such coalition gets `weight_vector[s] / nsubsets`;
//!    the remaining weight vector is then divided by `1 − remaining_weight[s]`. The walk
//!    stops at the first size that does not fit.
//! 4. The rest of the budget is sampled: a size is drawn from the normalised
//!    `weight_vector` over the sizes not enumerated (inverse CDF of one uniform, as
//!    `numpy.random.choice`), then a uniformly random subset of that size (partial
//!    Fisher–Yates, as the head of `numpy.random.permutation`). A new subset is added with
//!    its complement, each with count 1; a subset drawn again (or the complement of one
//!    drawn before) adds 1 to the counts of both rows of its pair instead (shap's
//!    `used_masks` dict). At most `4 ×` the remaining budget draws are made (shap's
//!    `4 * samples_left`).
//! 5. The sampled counts are rescaled to sum to `weight_left = Σ weight_vector[s]` over the
//!    sizes not enumerated, so all weights sum to 1.
//!
//! # Where this differs from shap
//! - **The middle size is sampled in pairs too** (`s = M / 2`, `M` even): shap adds such a
//!   subset alone, this schedule adds its complement (also of size `M / 2`) as well, so every
//!   sampled row has its complement in the schedule with the same weight (antithetic pairs,
//!   and sampling units made of whole pairs). The size is drawn with the same probability
//!   as in shap relative to the paired sizes *per coalition added*: shap draws sizes from
//!   `weight_vector` with paired sizes halved (two rows per draw), here every draw adds two
//!   rows, so all sizes are halved, which is `weight_vector` itself after normalisation. The
//!   expected weight of every coalition is therefore the same as in shap.
//! - **No lone last sample**: a new pair is added only while two coalitions of the budget
//!   remain; shap may add a last subset without its complement when its budget is odd.
//! - **Lone samples below `2(M − 1)`**: a pair and its complement give one direction of the
//!   regression, so pairs cannot determine the `M − 1` free directions of the values with
//!   fewer than `2(M − 1)` coalitions; there every sample is added alone (its size, or the
//!   complementary size with probability ½), so budgets from `M − 1` up can.
//! - **Random numbers** come from the caller's [`rand::Rng`] (ChaCha20 in Lumen), not from
//!   NumPy's global generator, so draws differ from shap's for the same seed; the schedule is
//!   a deterministic function of `(players, budget, rng state)`.
//! - **Sampling units** (for standard errors) are Lumen's addition: every new pair is one
//!   unit, numbered in draw order.
//! - **Rounds** (accuracy-driven budgets) are Lumen's addition: a later round keeps the
//!   complete sizes of the first and only draws more pairs.
//! - shap drops players whose value is the same in the explained row and every background
//!   row before building its schedule; that choice belongs to the caller here.

use rand::{Rng, RngExt};

use super::sampled_rows::SampledRows;
use crate::error::{Error, Result};

/// Bits per packed word.
pub(super) const WORD_BITS: usize = 64;

/// shap's tolerance in the test "does this subset size fit the remaining budget?".
const FIT_TOLERANCE: f64 = 1e-8;

/// shap draws at most this many subset sizes per remaining coalition of the budget.
const DRAWS_PER_REMAINING: usize = 4;

/// The most coalitions reserved up front (more are added as they come).
pub(super) const MAX_RESERVED: usize = 1 << 16;

/// `k` coalitions over `players` players, packed as bits: `words = players.div_ceil(64)`
/// `u64` per coalition, bit `j % 64` of word `j / 64` set when player `j` is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coalitions {
    players: usize,
    words: usize,
    len: usize,
    bits: Vec<u64>,
}

impl Coalitions {
    /// No coalitions over `players` players.
    pub fn new(players: usize) -> Self {
        Self::with_capacity(players, 0)
    }

    /// No coalitions over `players` players, with room for `capacity` of them.
    pub fn with_capacity(players: usize, capacity: usize) -> Self {
        let words = players.div_ceil(WORD_BITS);
        Self { players, words, len: 0, bits: Vec::with_capacity(capacity.saturating_mul(words)) }
    }

    /// The number of players `M`.
    pub fn players(&self) -> usize {
        self.players
    }

    /// Packed `u64` words per coalition: `ceil(M / 64)`.
    pub fn words(&self) -> usize {
        self.words
    }

    /// The number of coalitions.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no coalitions.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All coalitions' bits, coalition after coalition (`len() × words()` words).
    pub fn packed(&self) -> &[u64] {
        &self.bits
    }

    /// Appends the coalition of `members` (repeats are harmless). Fails, appending
    /// nothing, when a member is not a player (`≥ players()`).
    pub fn push(&mut self, members: impl IntoIterator<Item = usize>) -> Result<()> {
        let start = self.bits.len();
        self.bits.resize(start + self.words, 0);
        for player in members {
            if player >= self.players {
                self.bits.truncate(start);
                return Err(Error::invalid(
                    "members",
                    format!("player {player} is out of range, expected < {}", self.players),
                ));
            }
            self.bits[start + player / WORD_BITS] |= 1 << (player % WORD_BITS);
        }
        self.len += 1;
        Ok(())
    }

    /// Appends a coalition given as packed bits. Fails when `bits` is not `words()` long or
    /// sets a bit at or beyond `players()`.
    pub fn push_bits(&mut self, bits: &[u64]) -> Result<()> {
        if bits.len() != self.words {
            return Err(Error::length("bits", bits.len(), format!("ceil(players / 64) = {}", self.words)));
        }
        if bits.iter().zip(self.word_masks()).any(|(word, mask)| word & !mask != 0) {
            return Err(Error::invalid("bits", format!("sets a player ≥ players = {}", self.players)));
        }
        self.bits.extend_from_slice(bits);
        self.len += 1;
        Ok(())
    }

    /// Whether `player` is in coalition `coalition` (`false` for a player ≥ `players()`).
    ///
    /// # Panics
    /// When `coalition ≥ len()`, as slice indexing does.
    pub fn contains(&self, coalition: usize, player: usize) -> bool {
        player < self.players && (self.bits(coalition)[player / WORD_BITS] >> (player % WORD_BITS)) & 1 == 1
    }

    /// The packed bits of coalition `coalition` (`words()` words).
    ///
    /// # Panics
    /// When `coalition ≥ len()`, as slice indexing does.
    pub fn bits(&self, coalition: usize) -> &[u64] {
        assert!(coalition < self.len, "coalition {coalition} out of range for {} coalitions", self.len);
        &self.bits[coalition * self.words..(coalition + 1) * self.words]
    }

    /// The number of players in coalition `coalition`.
    ///
    /// # Panics
    /// When `coalition ≥ len()`, as slice indexing does.
    pub fn size(&self, coalition: usize) -> usize {
        self.bits(coalition).iter().map(|word| word.count_ones() as usize).sum()
    }

    /// The players of coalition `coalition`, in increasing order.
    ///
    /// # Panics
    /// When `coalition ≥ len()`, as slice indexing does.
    pub fn members(&self, coalition: usize) -> impl Iterator<Item = usize> + '_ {
        set_bits(self.bits(coalition).iter().copied())
    }

    /// The players outside coalition `coalition`, in increasing order.
    ///
    /// # Panics
    /// When `coalition ≥ len()`, as slice indexing does.
    pub fn non_members(&self, coalition: usize) -> impl Iterator<Item = usize> + '_ {
        set_bits(self.bits(coalition).iter().zip(self.word_masks()).map(|(bits, mask)| !bits & mask))
    }

    /// Each word's mask of valid player bits.
    fn word_masks(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.words).map(|word| word_mask(self.players, word))
    }

    /// Whether coalitions `a` and `b` are each other's complement.
    pub(super) fn are_complements(&self, a: usize, b: usize) -> bool {
        self.bits(a).iter().zip(self.bits(b)).zip(self.word_masks()).all(|((a, b), mask)| a ^ b == mask)
    }

    /// Appends the complement of `bits` (a valid coalition of these players).
    pub(super) fn push_complement(&mut self, bits: &[u64]) {
        let start = self.bits.len();
        self.bits.extend_from_slice(bits);
        complement(self.players, &mut self.bits[start..]);
        self.len += 1;
    }

    /// Appends, unchecked, coalition `bits` (built for these players).
    pub(super) fn push_valid(&mut self, bits: &[u64]) {
        self.bits.extend_from_slice(bits);
        self.len += 1;
    }
}

/// A coalition as a hash key: its one word when the players fit in 64 (no allocation),
/// else a copy of its words.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum CoalitionKey {
    /// Up to 64 players.
    One(u64),
    /// More players.
    Many(Box<[u64]>),
}

impl CoalitionKey {
    /// The key of coalition `bits`.
    pub(super) fn of(bits: &[u64]) -> Self {
        match bits {
            [word] => Self::One(*word),
            words => Self::Many(words.into()),
        }
    }
}

/// The bytes a sampler's set of drawn coalitions holds with `entries` [`CoalitionKey`]s of
/// `players` players, each beside a value of `value_bytes`: hashbrown's table (a power of
/// two of buckets, at most 7/8 of them used, each with a control byte, and a group of 16
/// control bytes more), and each key's copy of its words over 64 players.
pub(super) fn drawn_set_bytes(players: usize, entries: usize, value_bytes: usize) -> usize {
    let buckets = table_buckets(entries);
    let bucket = std::mem::size_of::<CoalitionKey>() + value_bytes + 1;
    let words = players.div_ceil(WORD_BITS);
    let key_copies = if words > 1 { entries.saturating_mul(words * 8) } else { 0 };
    buckets.saturating_mul(bucket).saturating_add(16).saturating_add(key_copies)
}

/// The buckets of a hashbrown table sized for `entries` (at most 7/8 of them used, at
/// least 4).
fn table_buckets(entries: usize) -> usize {
    match entries {
        0..4 => 4,
        4..8 => 8,
        _ => entries.saturating_mul(8).div_ceil(7).checked_next_power_of_two().unwrap_or(usize::MAX),
    }
}

/// Turns `bits` (a valid coalition of `players` players) into its complement, in place.
pub(super) fn complement(players: usize, bits: &mut [u64]) {
    bits.iter_mut().enumerate().for_each(|(word, bits)| *bits = !*bits & word_mask(players, word));
}

/// The indices of the set bits of `words` (bit `b` of word `w` is index `64 w + b`), lowest
/// first: the cost follows the number of set bits, not the words' length.
fn set_bits(words: impl Iterator<Item = u64>) -> impl Iterator<Item = usize> {
    words.enumerate().flat_map(|(word, bits)| {
        std::iter::successors((bits != 0).then_some(bits), |&rest| {
            let rest = rest & (rest - 1);
            (rest != 0).then_some(rest)
        })
        .map(move |rest| word * WORD_BITS + rest.trailing_zeros() as usize)
    })
}

/// The bits of word `word` that hold players, for `players` players.
fn word_mask(players: usize, word: usize) -> u64 {
    let used = (players - word * WORD_BITS).min(WORD_BITS);
    if used == WORD_BITS {
        u64::MAX
    } else {
        (1u64 << used) - 1
    }
}

/// The coalitions KernelSHAP evaluates and their regression weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The coalitions, never the empty or the full one.
    pub coalitions: Coalitions,
    /// One weight per coalition, `> 0`; they sum to 1 (see the module documentation).
    pub weights: Vec<f64>,
    /// Whether all `2^M − 2` coalitions are enumerated (the solve then gives the exact
    /// Shapley values of the game).
    pub exact: bool,
    /// For a sampled coalition, its sampling unit (`0..units`): the two coalitions of a
    /// sampled pair share one. `None` for a coalition every draw of the schedule would
    /// include (a complete subset size). The standard errors leave units out in turn.
    pub unit: Vec<Option<u32>>,
    /// The number of sampling units (sampled pairs, or lone samples); 0 when nothing was
    /// sampled.
    pub units: u32,
    /// Per unit, the factor on its share of the jackknife variance: `1 − f` for a unit
    /// drawn without replacement from a class of which a share `f` was drawn (finite
    /// population correction), `1 / c` for a pair drawn `c` times with replacement (its
    /// leave-one-out removes `c` draws at once).
    pub unit_factors: Vec<f64>,
}

impl Schedule {
    /// The number of coalitions.
    pub fn len(&self) -> usize {
        self.coalitions.len()
    }

    /// Whether the schedule has no coalitions.
    pub fn is_empty(&self) -> bool {
        self.coalitions.is_empty()
    }

    /// An empty schedule over `players` players with room for `capacity` coalitions.
    pub(super) fn with_capacity(players: usize, capacity: usize) -> Self {
        Self {
            coalitions: Coalitions::with_capacity(players, capacity),
            weights: Vec::with_capacity(capacity),
            exact: false,
            unit: Vec::with_capacity(capacity),
            units: 0,
            unit_factors: Vec::new(),
        }
    }

    /// Divides every weight by their sum, so that they sum to 1.
    pub(super) fn normalise(&mut self) {
        let sum: f64 = self.weights.iter().sum();
        if sum > 0.0 {
            self.weights.iter_mut().for_each(|w| *w /= sum);
        }
    }
}

/// shap's default budget: `2M + 2048` coalitions.
pub fn default_budget(players: usize) -> usize {
    2 * players + 2048
}

/// The KernelSHAP schedule of shap's `KernelExplainer` for `players` players (`≥ 2`) within
/// `budget` coalitions (model evaluations per background row, `≥ 2`). Exact when
/// `budget ≥ 2^M − 2`, else shap's scheme (see the module documentation). Deterministic
/// given the state of `rng`, which exact mode does not use.
pub fn kernel_schedule(players: usize, budget: usize, rng: &mut impl Rng) -> Result<Schedule> {
    Ok(ShapSampler::new(players, budget, rng)?.schedule)
}

/// Fails on the first argument out of range.
pub(super) fn check_arguments(players: usize, budget: usize) -> Result<()> {
    if players < 2 {
        return Err(Error::invalid(
            "players",
            format!("is {players}, expected at least 2 (a single player takes the whole difference, no solve needed)"),
        ));
    }
    if budget < 2 {
        return Err(Error::invalid("budget", format!("is {budget}, expected at least 2 coalitions")));
    }
    Ok(())
}

/// `2^M − 2`, the number of coalitions other than the empty and the full one; `None` when
/// it does not fit in a `u128` (no budget can reach it then).
pub(super) fn all_coalitions(players: usize) -> Option<u128> {
    u32::try_from(players).ok().and_then(|m| 1u128.checked_shl(m)).map(|all| all - 2)
}

/// The coalitions a sampler reserves room for up front under `budget`: at most every
/// coalition of `players` players and [`MAX_RESERVED`] (more are added as they come).
pub(super) fn reserved_coalitions(players: usize, budget: usize) -> usize {
    let all = all_coalitions(players).and_then(|all| usize::try_from(all).ok()).unwrap_or(usize::MAX);
    budget.min(all).min(MAX_RESERVED)
}

/// Whether a first round of `budget` coalitions for `players` players is drawn in
/// complementary pairs (enough for two coalitions per free direction).
pub(super) fn draws_pairs(players: usize, budget: usize) -> bool {
    budget >= 2 * players.saturating_sub(1)
}

/// Whether `budget` coalitions cover all `2^M − 2` of `players` players.
pub(super) fn covers_all(players: usize, budget: usize) -> bool {
    all_coalitions(players).is_some_and(|all| budget as u128 >= all)
}

/// Divides the weights after `used` by `1 − weights[used]` (shap's renormalisation after
/// enumerating a size), unless that size held all the remaining weight.
fn renormalise(weights: &mut [f64], used: usize) {
    let rest = 1.0 - weights[used];
    if weights[used] < 1.0 {
        weights.iter_mut().for_each(|w| *w /= rest);
    }
}

/// shap's subset sizes `1..=ceil((M − 1) / 2)`, their pairing and their normalised weights.
struct SubsetSizes {
    players: usize,
    paired: usize,
    /// `weight_vector[s − 1]`: `(M − 1) / (s (M − s))`, doubled when paired, summing to 1.
    weights: Vec<f64>,
}

impl SubsetSizes {
    fn new(players: usize) -> Self {
        let count = (players - 1).div_ceil(2);
        let paired = (players - 1) / 2;
        let m = players as f64;
        let mut weights: Vec<f64> = (1..=count)
            .map(|s| {
                let kernel = (m - 1.0) / (s as f64 * (m - s as f64));
                if s <= paired {
                    2.0 * kernel
                } else {
                    kernel
                }
            })
            .collect();
        let sum: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= sum);
        Self { players, paired, weights }
    }

    /// The number of subset sizes walked.
    fn count(&self) -> usize {
        self.weights.len()
    }

    /// Whether `size` is paired with `M − size`.
    fn is_paired(&self, size: usize) -> bool {
        size <= self.paired
    }

    /// The coalitions of `size` and, when paired, of `M − size` (shap's `nsubsets`), as f64.
    fn subsets(&self, size: usize) -> f64 {
        let factor = if self.is_paired(size) { 2.0 } else { 1.0 };
        factor * binomial_f64(self.players, size)
    }

    /// shap's test: the coalitions `size` takes when it fits the remaining budget with its
    /// remaining weight, else `None`.
    fn fits(&self, size: usize, remaining_budget: usize, remaining_weight: f64) -> Option<usize> {
        let factor = if self.is_paired(size) { 2 } else { 1 };
        let count = binomial_u128(self.players, size)?.checked_mul(factor)?;
        let count = usize::try_from(count).ok().filter(|&c| c <= remaining_budget)?;
        let share = remaining_budget as f64 * remaining_weight / self.subsets(size);
        (share >= 1.0 - FIT_TOLERANCE).then_some(count)
    }

    /// The size drawn by uniform `u ∈ [0, 1)` from the normalised weights of the sizes after
    /// the first `enumerated` (inverse CDF, as `numpy.random.choice`).
    fn draw(&self, enumerated: usize, u: f64) -> usize {
        let rest = &self.weights[enumerated..];
        let total: f64 = rest.iter().sum();
        let mut target = u * total;
        for (offset, &w) in rest.iter().enumerate() {
            if target < w {
                return enumerated + offset + 1;
            }
            target -= w;
        }
        self.count()
    }
}

/// `C(n, k)` in f64 (relative error a few ulps; `inf` beyond f64's range).
pub(super) fn binomial_f64(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    (1..=k).fold(1.0, |c, i| c * (n - k + i) as f64 / i as f64)
}

/// `C(n, k)` exactly, `None` when it overflows a `u128`.
pub(super) fn binomial_u128(n: usize, k: usize) -> Option<u128> {
    let k = k.min(n - k);
    (1..=k as u128).try_fold(1u128, |c, i| Some(c.checked_mul((n - k) as u128 + i)? / i))
}

/// Calls `visit` with every `k`-subset of `0..n` in lexicographic order
/// (`itertools.combinations`).
pub(super) fn for_each_combination(n: usize, k: usize, mut visit: impl FnMut(&[usize])) {
    let mut index: Vec<usize> = (0..k).collect();
    loop {
        visit(&index);
        let Some(i) = (0..k).rev().find(|&i| index[i] != i + n - k) else { return };
        index[i] += 1;
        for j in i + 1..k {
            index[j] = index[j - 1] + 1;
        }
    }
}

/// shap's schedule, grown in rounds: the complete subset sizes are fixed by the first
/// budget, later rounds only add sampled pairs (drawn as in the first round).
pub(super) struct ShapSampler {
    sizes: SubsetSizes,
    /// Subset sizes enumerated completely.
    enumerated: usize,
    /// The schedule so far (sampled rows carry their normalised counts).
    pub(super) schedule: Schedule,
    /// The first sampled row.
    first: usize,
    /// Draw counts of the sampled rows (`first..`).
    counts: Vec<f64>,
    /// Row of every sampled coalition (of every sampled pair).
    seen: SampledRows,
    /// Whether samples come in complementary pairs (from a budget of `2(M − 1)` up, below
    /// which pairs could not determine the `M − 1` free directions of the values).
    paired: bool,
    order: Vec<usize>,
    scratch: Vec<u64>,
}

impl ShapSampler {
    /// The first round: shap's schedule within `budget` coalitions.
    pub(super) fn new(players: usize, budget: usize, rng: &mut impl Rng) -> Result<Self> {
        check_arguments(players, budget)?;
        let sizes = SubsetSizes::new(players);
        // The budget may be far above what can be added: reserve at most a modest amount.
        let capacity = reserved_coalitions(players, budget);
        let mut schedule = Schedule::with_capacity(players, capacity);
        schedule.exact = covers_all(players, budget);
        let words = schedule.coalitions.words();
        let paired = draws_pairs(players, budget);
        let mut sampler = Self {
            sizes,
            enumerated: 0,
            schedule,
            first: 0,
            counts: Vec::new(),
            // Sized once, like the schedule: growing a hash map rehashed every key as it doubled.
            seen: SampledRows::new(players, capacity, paired),
            paired,
            order: Vec::with_capacity(players),
            scratch: vec![0; words],
        };
        let mut remaining_budget = budget;
        let mut remaining_weight = sampler.sizes.weights.clone();
        for size in 1..=sampler.sizes.count() {
            let nsubsets = sampler.sizes.subsets(size);
            if !sampler.schedule.exact {
                let Some(taken) = sampler.sizes.fits(size, remaining_budget, remaining_weight[size - 1]) else {
                    break;
                };
                remaining_budget -= taken;
                renormalise(&mut remaining_weight, size - 1);
            }
            let weight = sampler.sizes.weights[size - 1] / nsubsets;
            sampler.enumerate(size, sampler.sizes.is_paired(size), weight);
            sampler.enumerated = size;
        }
        sampler.first = sampler.schedule.len();
        sampler.grow(budget, rng);
        Ok(sampler)
    }

    /// Adds sampled pairs until the schedule holds `budget` coalitions (or shap's draw
    /// limit is reached), then rescales the sampled counts to the weight left.
    pub(super) fn grow(&mut self, budget: usize, rng: &mut impl Rng) {
        if self.enumerated == self.sizes.count() {
            return;
        }
        let remaining = budget.saturating_sub(self.schedule.len());
        self.sample(remaining, rng);
        let weight_left: f64 = self.sizes.weights[self.enumerated..].iter().sum();
        let total: f64 = self.counts.iter().sum();
        if total > 0.0 {
            let rows = &mut self.schedule.weights[self.first..];
            rows.iter_mut().zip(&self.counts).for_each(|(w, c)| *w = c * weight_left / total);
        }
        let mut factors = Vec::with_capacity(self.schedule.units as usize);
        let mut last = None;
        for (count, &unit) in self.counts.iter().zip(&self.schedule.unit[self.first..]) {
            if unit != last {
                factors.push(1.0 / count);
                last = unit;
            }
        }
        self.schedule.unit_factors = factors;
    }

    /// Adds every coalition of `size` (and, when `paired`, its complement right after it),
    /// each with `weight`.
    fn enumerate(&mut self, size: usize, paired: bool, weight: f64) {
        let players = self.schedule.coalitions.players();
        let mut bits = std::mem::take(&mut self.scratch);
        let schedule = &mut self.schedule;
        for_each_combination(players, size, |members| {
            bits.fill(0);
            members.iter().for_each(|&p| bits[p / WORD_BITS] |= 1 << (p % WORD_BITS));
            schedule.coalitions.push_valid(&bits);
            schedule.weights.push(weight);
            schedule.unit.push(None);
            if paired {
                schedule.coalitions.push_complement(&bits);
                schedule.weights.push(weight);
                schedule.unit.push(None);
            }
        });
        self.scratch = bits;
    }

    /// Spends `budget` coalitions on new samples of the sizes not enumerated: pairs, or
    /// lone coalitions below a budget of `2(M − 1)` (a sample drawn again adds to its
    /// counts instead).
    fn sample(&mut self, budget: usize, rng: &mut impl Rng) {
        let players = self.schedule.coalitions.players();
        let mut bits = std::mem::take(&mut self.scratch);
        let mut order = std::mem::take(&mut self.order);
        let per_sample = if self.paired { 2 } else { 1 };
        let mut remaining = budget;
        for _ in 0..budget.saturating_mul(DRAWS_PER_REMAINING) {
            if remaining < per_sample {
                break;
            }
            let size = self.sizes.draw(self.enumerated, rng.random::<f64>());
            random_subset(players, size, rng, &mut order, &mut bits);
            if !self.paired && self.sizes.is_paired(size) && rng.random::<bool>() {
                // A lone sample of size s stands for size M − s half of the time.
                complement(players, &mut bits);
            }
            if let Some(row) = self.seen.get(&bits) {
                let sampled = row - self.first;
                self.counts[sampled] += 1.0;
                if self.paired {
                    self.counts[sampled ^ 1] += 1.0;
                }
                continue;
            }
            let schedule = &mut self.schedule;
            let row = schedule.coalitions.len();
            let unit = schedule.units;
            schedule.coalitions.push_valid(&bits);
            self.seen.insert(&bits, row);
            if self.paired {
                schedule.coalitions.push_complement(&bits);
            }
            for _ in 0..per_sample {
                schedule.weights.push(1.0);
                schedule.unit.push(Some(unit));
                self.counts.push(1.0);
            }
            schedule.units += 1;
            remaining -= per_sample;
        }
        self.scratch = bits;
        self.order = order;
    }
}

/// Sets `bits` to a uniformly random subset of `size` of the `players` players: the first
/// `size` entries of a partial Fisher–Yates shuffle of `0..players`.
pub(super) fn random_subset(players: usize, size: usize, rng: &mut impl Rng, order: &mut Vec<usize>, bits: &mut [u64]) {
    order.clear();
    order.extend(0..players);
    if let [only] = bits {
        // One word: its bits gathered in a register, not read and written back per player.
        let mut word = 0u64;
        for i in 0..size {
            let j = rng.random_range(i..players);
            order.swap(i, j);
            word |= 1 << order[i];
        }
        *only = word;
        return;
    }
    bits.fill(0);
    for i in 0..size {
        let j = rng.random_range(i..players);
        order.swap(i, j);
        let player = order[i];
        bits[player / WORD_BITS] |= 1 << (player % WORD_BITS);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use super::*;
    use rustc_hash::FxHashSet;

    fn rng(seed: u64) -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(seed)
    }

    fn schedule(players: usize, budget: usize, seed: u64) -> Schedule {
        kernel_schedule(players, budget, &mut rng(seed)).expect("valid schedule arguments")
    }

    /// The Shapley kernel `(M − 1) / (C(M, s) s (M − s))`, straight from the formula.
    fn kernel(players: usize, size: usize) -> f64 {
        let m = players as f64;
        (m - 1.0) / (binomial_f64(players, size) * size as f64 * (m - size as f64))
    }

    /// The buckets counted for a set of drawn coalitions are hashbrown's: a set reserved
    /// for `n` keys holds exactly the capacity they give (7/8 of the buckets, or one less
    /// than 4 or 8), and a set grown key by key to `n` keys never holds more.
    #[test]
    fn drawn_sets_are_counted_by_their_buckets() {
        let usable = |buckets: usize| if buckets < 8 { buckets - 1 } else { buckets / 8 * 7 };
        for n in [1, 3, 4, 7, 8, 9, 100, 1000, 1040, 4096, 70_000] {
            let reserved: FxHashSet<CoalitionKey> = FxHashSet::with_capacity_and_hasher(n, Default::default());
            assert_eq!(reserved.capacity(), usable(table_buckets(n)), "{n} keys reserved");
            let mut grown: FxHashSet<CoalitionKey> = FxHashSet::default();
            (0..n as u64).for_each(|key| _ = grown.insert(CoalitionKey::One(key)));
            assert!(grown.capacity() <= usable(table_buckets(n)), "{n} keys grown: {}", grown.capacity());
        }
        // Over 64 players every key holds a copy of its words.
        let entry = std::mem::size_of::<CoalitionKey>() + 1;
        assert_eq!(drawn_set_bytes(64, 1040, 0), 2048 * entry + 16);
        assert_eq!(drawn_set_bytes(65, 1040, 8), 2048 * (entry + 8) + 16 + 1040 * 16);
    }

    /// The complement of coalition `c`, as packed bits.
    fn complement(coalitions: &Coalitions, c: usize) -> Vec<u64> {
        let mut other = Coalitions::new(coalitions.players());
        other.push_complement(coalitions.bits(c));
        other.bits(0).to_vec()
    }

    fn row_of(schedule: &Schedule) -> HashMap<Vec<u64>, usize> {
        (0..schedule.len()).map(|c| (schedule.coalitions.bits(c).to_vec(), c)).collect()
    }

    fn assert_complements_paired(schedule: &Schedule) {
        let rows = row_of(schedule);
        for c in 0..schedule.len() {
            let partner = rows[&complement(&schedule.coalitions, c)];
            assert_eq!(schedule.weights[c], schedule.weights[partner], "coalition {c} and its complement");
            assert_eq!(schedule.unit[c], schedule.unit[partner]);
        }
    }

    #[test]
    fn coalitions_pack_players() {
        let mut coalitions = Coalitions::new(100);
        coalitions.push([0, 63, 64, 99]).expect("valid members");
        coalitions.push_bits(&[1, 1 << 35]).expect("valid bits");
        assert_eq!((coalitions.players(), coalitions.words(), coalitions.len()), (100, 2, 2));
        assert_eq!(coalitions.members(0).collect::<Vec<_>>(), [0, 63, 64, 99]);
        assert_eq!(coalitions.size(0), 4);
        assert!(coalitions.contains(1, 99) && coalitions.contains(1, 0) && !coalitions.contains(1, 1));
        assert!(!coalitions.contains(0, 100));
        assert!(coalitions.push([100]).is_err());
        assert!(coalitions.push_bits(&[0, 1 << 36]).is_err());
        assert!(coalitions.push_bits(&[0]).is_err());
        assert_eq!(coalitions.len(), 2);
        assert_eq!(coalitions.packed().len(), 4);
        assert_eq!(complement(&coalitions, 0), [!(1 | 1 << 63), (1 << 36) - 1 - 1 - (1 << 35)]);
    }

    #[test]
    fn arguments_are_checked() {
        assert!(kernel_schedule(1, 100, &mut rng(0)).is_err_and(|e| e.message().starts_with("players")));
        assert!(kernel_schedule(5, 1, &mut rng(0)).is_err_and(|e| e.message().starts_with("budget")));
    }

    #[test]
    fn exact_mode_enumerates_every_coalition_with_kernel_weights() {
        for players in 2..=10 {
            let all = (1usize << players) - 2;
            for budget in [all, all + 1, usize::MAX] {
                let schedule = schedule(players, budget, 0);
                assert!(schedule.exact && schedule.units == 0);
                assert_eq!(schedule.len(), all);
                let distinct: HashSet<&[u64]> = (0..all).map(|c| schedule.coalitions.bits(c)).collect();
                assert_eq!(distinct.len(), all);
                let z: f64 = (1..players).map(|s| binomial_f64(players, s) * kernel(players, s)).sum();
                for c in 0..all {
                    let size = schedule.coalitions.size(c);
                    assert!(size > 0 && size < players);
                    let expected = kernel(players, size) / z;
                    assert!((schedule.weights[c] - expected).abs() <= 1e-14 * expected, "M = {players}, size {size}");
                    assert_eq!(schedule.unit[c], None);
                }
                assert!((schedule.weights.iter().sum::<f64>() - 1.0).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn exact_mode_follows_shap_order() {
        let schedule = schedule(4, 14, 0);
        let members: Vec<Vec<usize>> = (0..schedule.len()).map(|c| schedule.coalitions.members(c).collect()).collect();
        let expected: Vec<Vec<usize>> = vec![
            vec![0],
            vec![1, 2, 3],
            vec![1],
            vec![0, 2, 3],
            vec![2],
            vec![0, 1, 3],
            vec![3],
            vec![0, 1, 2],
            vec![0, 1],
            vec![0, 2],
            vec![0, 3],
            vec![1, 2],
            vec![1, 3],
            vec![2, 3],
        ];
        assert_eq!(members, expected);
    }

    #[test]
    fn sampled_mode_respects_budget_and_pairs_complements() {
        for (players, budget) in [(3, 5), (4, 13), (6, 20), (8, 101), (10, 1000), (11, 300), (20, 2088), (100, 2248)] {
            for seed in 0..5 {
                let schedule = schedule(players, budget, seed);
                assert!(!schedule.exact);
                assert!(schedule.len() <= budget, "M = {players}, budget {budget}: {} coalitions", schedule.len());
                assert!(schedule.weights.iter().all(|&w| w > 0.0));
                assert!((schedule.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
                let distinct: HashSet<&[u64]> = (0..schedule.len()).map(|c| schedule.coalitions.bits(c)).collect();
                assert_eq!(distinct.len(), schedule.len());
                assert!((0..schedule.len()).all(|c| (1..players).contains(&schedule.coalitions.size(c))));
                assert_complements_paired(&schedule);
            }
        }
    }

    #[test]
    fn sampled_mode_spends_the_budget_when_the_space_is_large() {
        let schedule = schedule(30, 1001, 3);
        assert_eq!(schedule.len(), 1000, "pairs only: one coalition of an odd budget stays unused");
    }

    #[test]
    fn sampled_mode_is_deterministic_per_seed_and_differs_across_seeds() {
        let a = schedule(16, 500, 7);
        assert_eq!(a, schedule(16, 500, 7));
        let b = schedule(16, 500, 8);
        assert_ne!(a.coalitions, b.coalitions);
    }

    #[test]
    fn outer_sizes_are_complete_as_in_shap() {
        // M = 20, budget 2088: shap enumerates sizes 1, 2 (and 19, 18), then samples.
        let players = 20;
        let schedule = schedule(players, default_budget(players), 1);
        let count = |size: usize| (0..schedule.len()).filter(|&c| schedule.coalitions.size(c) == size).count();
        for size in [1, 2] {
            let all = binomial_u128(players, size).map(|c| c as usize);
            assert_eq!(Some(count(size)), all);
            assert_eq!(Some(count(players - size)), all);
        }
        let enumerated = schedule.unit.iter().filter(|b| b.is_none()).count();
        assert_eq!(enumerated, 2 * (20 + 190));
        assert!((0..schedule.len()).all(|c| schedule.unit[c].is_none() == (count_size(&schedule, c) <= 2)));
        assert_eq!(schedule.units as usize, (default_budget(players) - enumerated) / 2);
        assert_eq!(schedule.len(), default_budget(players));
    }

    fn count_size(schedule: &Schedule, c: usize) -> usize {
        let size = schedule.coalitions.size(c);
        size.min(schedule.coalitions.players() - size)
    }

    #[test]
    fn enumerated_weights_match_shap() {
        // M = 20, budget 2088: enumerated coalitions of size s get weight_vector[s] / (2 C(20, s)).
        let players = 20;
        let schedule = schedule(players, default_budget(players), 1);
        let z: f64 = (1..players).map(|s| 19.0 / (s * (players - s)) as f64).sum();
        for c in (0..schedule.len()).filter(|&c| schedule.unit[c].is_none()) {
            let expected = kernel(players, schedule.coalitions.size(c)) / z;
            assert!((schedule.weights[c] - expected).abs() < 1e-14 * expected);
        }
        let sampled: f64 =
            (0..schedule.len()).filter(|&c| schedule.unit[c].is_some()).map(|c| schedule.weights[c]).sum();
        let weight_left: f64 = (3..=17).map(|s| 19.0 / (s * (players - s)) as f64).sum::<f64>() / z;
        assert!((sampled - weight_left).abs() < 1e-12);
    }

    #[test]
    fn sampled_weights_have_the_kernel_mass_per_size_on_average() {
        // M = 10 (middle size 5 paired here, unpaired in shap): the average sampled weight
        // per size must follow the kernel's mass per size, C(M, s) k(s) ∝ 1 / (s (M − s)).
        let players = 10;
        let budget = 200;
        let mut mass = [0.0f64; 10];
        let runs = 300;
        for seed in 0..runs {
            let schedule = schedule(players, budget, seed);
            for c in (0..schedule.len()).filter(|&c| schedule.unit[c].is_some()) {
                mass[schedule.coalitions.size(c)] += schedule.weights[c] / runs as f64;
            }
        }
        let z: f64 = (1..players).map(|s| 1.0 / (s * (players - s)) as f64).sum();
        let sampled_sizes: Vec<usize> = (1..players).filter(|&s| mass[s] > 0.0).collect();
        assert_eq!(sampled_sizes, [2, 3, 4, 5, 6, 7, 8], "sizes 1 and 9 are enumerated at this budget");
        for s in sampled_sizes {
            let expected = 1.0 / (s * (players - s)) as f64 / z;
            assert!((mass[s] - expected).abs() < 0.05 * expected, "size {s}: {} vs {expected}", mass[s]);
        }
    }

    #[test]
    fn units_are_numbered_by_pair_in_draw_order() {
        let schedule = schedule(12, 300, 2);
        let first = schedule.unit.iter().position(Option::is_some).expect("some samples");
        for (pair, rows) in schedule.unit[first..].chunks(2).enumerate() {
            assert_eq!(rows, [Some(pair as u32); 2]);
        }
        assert_eq!(schedule.units as usize, (schedule.len() - first) / 2);
    }

    #[test]
    fn later_rounds_keep_the_first_rows_and_add_pairs() {
        let mut random = rng(4);
        let mut sampler = ShapSampler::new(16, 200, &mut random).expect("valid arguments");
        let first = sampler.schedule.clone();
        sampler.grow(600, &mut random);
        let grown = &sampler.schedule;
        assert_eq!(grown.len(), 600);
        assert_eq!(grown.coalitions.packed()[..first.coalitions.packed().len()], *first.coalitions.packed());
        assert!((grown.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_complements_paired(grown);
        let enumerated = first.unit.iter().filter(|u| u.is_none()).count();
        assert_eq!(grown.unit.iter().filter(|u| u.is_none()).count(), enumerated);
    }

    #[test]
    fn many_players_run_fast_with_full_size_one() {
        for players in [64, 100] {
            let start = std::time::Instant::now();
            let schedule = schedule(players, default_budget(players), 5);
            assert!(start.elapsed().as_secs_f64() < 1.0);
            assert_eq!(schedule.len(), default_budget(players));
            assert_eq!(schedule.coalitions.words(), players.div_ceil(64));
            let singletons = (0..schedule.len()).filter(|&c| schedule.coalitions.size(c) == 1).count();
            assert_eq!(singletons, players);
            assert_complements_paired(&schedule);
        }
    }

    #[test]
    fn huge_player_counts_sample_without_enumerating() {
        let schedule = schedule(2000, 100, 0);
        assert_eq!(schedule.len(), 100);
        assert!(schedule.unit.iter().all(Option::is_some));
    }

    #[test]
    fn combinations_are_lexicographic() {
        let mut all = Vec::new();
        for_each_combination(4, 2, |c| all.push(c.to_vec()));
        assert_eq!(all, [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
        assert_eq!(binomial_u128(64, 32), Some(1_832_624_140_942_590_534));
        assert_eq!(binomial_u128(1000, 500), None);
    }
}
