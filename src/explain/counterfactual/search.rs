//! One run of PermuteAttack's genetic search (the paper's Algorithm 1) for one instance.
//!
//! A generation is evaluated in one model call. Fitness is
//! (p_t(x) − p_t(x₀)) − ρ0·L0(x − x₀) − ρ1·L2(x − x₀), where p_t is the target class's
//! probability, L0 counts changed logical features and L2 is the encoding-independent
//! distance of [`Schema::distance`] (a changed categorical feature counts √2, as between
//! one-hot vectors, whether the model reads it one-hot or as a code). The paper writes the first term as an absolute value. For a search aimed at a
//! target class, the signed difference is the right one: with |·|, moving away from the
//! target scores as well as moving toward it. On the German Credit forest, the signed
//! form raised success with the three most important attributes fixed from 94% to 97%. The best candidate survives unchanged (elitism). Parents are drawn with
//! probability softmax(fitness / τ). Children take each feature from one of two parents
//! (uniform crossover). Each child then mutates one feature, drawn from a new value of
//! the training data (through the resampler; one draw in ten is a plain draw from the
//! training column, so categories the conditional sampler makes rare stay reachable).
//! The feature is chosen with probability proportional to how much changing it raised
//! p_t in the previous generation, plus a floor of a tenth of the largest such rise. Lumen adds
//! one step to the paper: a child may restore one changed feature to its original value,
//! so sparser candidates keep appearing. While no candidate succeeds, ρ0 and ρ1 decay
//! by `decay` per generation.
//!
//! The model sees each distinct candidate once per run: the elite, children equal to a
//! parent or to an earlier candidate, and repeats within a generation take the outputs
//! already computed (a row's outputs depend on the row only), so the search and its
//! results are the same bits with fewer model rows. The run remembers the outputs of its
//! first distinct candidates, up to [`MEMO_GENERATIONS`] populations' worth or what the
//! memory budget leaves.

use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use rustc_hash::FxHashMap;
use std::collections::HashSet;

use super::schema::{ColumnResampler, Resampler, Schema};
use crate::alloc::out_of_memory;
use crate::element::Element;
use crate::error::Result;
use crate::model::Evaluator;

/// Chance that a child restores one of its changed features to the original value.
const RESTORE_PROBABILITY: f64 = 0.3;
/// Floor of a feature's mutation weight, so every mutable feature stays reachable...
const MIN_MUTATION_WEIGHT: f64 = 1e-3;
/// ...raised to this share of the largest weight.
const RELATIVE_MUTATION_FLOOR: f64 = 0.1;
/// Chance that a mutation draws from the plain training column instead of the resampler.
const EXPLORATION_PROBABILITY: f64 = 0.1;
/// A run remembers the outputs of at most this many populations' worth of distinct
/// candidates (the default search's 100 generations: all of them).
pub(super) const MEMO_GENERATIONS: usize = 100;
/// The bytes a remembered candidate takes beside its values and outputs, at most: two
/// vectors' headers and allocations, and its share of the hash table while it grows (the
/// old and the new table, at most 7/8 full).
pub(super) const MEMO_ENTRY_OVERHEAD: usize = 256;

/// What every run of one instance shares.
pub(super) struct Instance<'a, E: Element> {
    pub evaluator: &'a Evaluator<'a, E>,
    pub schema: &'a Schema,
    pub resampler: &'a dyn Resampler,
    /// Plain training-column draws, for exploration.
    pub column: ColumnResampler<'a>,
    /// The instance as a model row and as logical values.
    pub row: &'a [f64],
    pub logical: &'a [f64],
    /// The target class and the instance's probability of it.
    pub target: usize,
    pub original_probability: f64,
    /// Features the search may change.
    pub mutable: &'a [usize],
    /// Per feature, the allowed value range (numeric features only).
    pub ranges: &'a [Option<(f64, f64)>],
    pub settings: &'a Settings,
}

/// The search's tuning.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Settings {
    pub population: usize,
    pub parents: usize,
    pub generations: usize,
    pub rho0: f64,
    pub rho1: f64,
    pub temperature: f64,
    pub decay: f64,
    pub max_changed: Option<usize>,
    pub max_distance: Option<f64>,
    pub success_probability: Option<f64>,
    /// The most distinct candidates whose outputs a run remembers.
    pub memo_capacity: usize,
}

/// An evaluated candidate.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Candidate {
    pub logical: Vec<f64>,
    pub row: Vec<f64>,
    pub changed: Vec<usize>,
    pub distance: f64,
    pub target_probability: f64,
    pub predicted_class: usize,
    pub fitness: f64,
    pub success: bool,
}

/// What one run found: every distinct successful candidate, in discovery order, and the
/// fittest candidate that changes something (the fallback when nothing succeeds).
pub(super) struct RunResult {
    pub successes: Vec<Candidate>,
    pub best: Option<Candidate>,
}

/// The probability of class `class` in one row's outputs (one output: binary P(class 1)).
pub(super) fn class_probability(outputs: &[f64], class: usize) -> f64 {
    if outputs.len() == 1 {
        let p1 = outputs[0];
        if class == 1 {
            p1
        } else {
            1.0 - p1
        }
    } else {
        outputs[class]
    }
}

/// The predicted class of one row's outputs (ties go to the lower class).
pub(super) fn predicted_class(outputs: &[f64]) -> usize {
    if outputs.len() == 1 {
        return usize::from(outputs[0] > 0.5);
    }
    (0..outputs.len()).fold(0, |best, c| if outputs[c] > outputs[best] { c } else { best })
}

impl<E: Element> Instance<'_, E> {
    /// Runs the search once with `rng`.
    pub fn run(&self, rng: &mut ChaCha20Rng) -> Result<RunResult> {
        let s = self.settings;
        let (mut rho0, mut rho1) = (s.rho0, s.rho1);
        let mut population: Vec<Vec<f64>> = (0..s.population).map(|_| self.initial(rng)).collect();
        let mut successes: Vec<Candidate> = Vec::new();
        let mut seen: HashSet<Vec<u64>> = HashSet::new();
        let mut best = None;
        let mut memo = Memo::new(s.memo_capacity);
        for _ in 0..s.generations {
            let evaluated = self.evaluate(&population, &mut memo, rho0, rho1)?;
            let mut any_success = false;
            for candidate in &evaluated {
                if candidate.success {
                    any_success = true;
                    if seen.insert(bit_pattern(&candidate.logical)) {
                        successes.push(candidate.clone());
                    }
                }
            }
            if !any_success {
                rho0 *= s.decay;
                rho1 *= s.decay;
            }
            let weights = self.mutation_weights(&evaluated);
            let elite =
                (0..evaluated.len()).fold(0, |b, i| if evaluated[i].fitness > evaluated[b].fitness { i } else { b });
            for candidate in evaluated.iter().filter(|c| !c.changed.is_empty()) {
                if best.as_ref().is_none_or(|known: &Candidate| candidate.fitness > known.fitness) {
                    best = Some(candidate.clone());
                }
            }
            let parents = self.select_parents(&evaluated, rng);
            let mut next = Vec::with_capacity(s.population);
            next.push(evaluated[elite].logical.clone());
            while next.len() < s.population {
                let a = &evaluated[parents[rng.random_range(0..parents.len())]].logical;
                let b = &evaluated[parents[rng.random_range(0..parents.len())]].logical;
                next.push(self.child(a, b, &weights, rng));
            }
            population = next;
        }
        Ok(RunResult { successes, best })
    }

    /// A first-generation candidate: one to three mutable features drawn anew.
    fn initial(&self, rng: &mut ChaCha20Rng) -> Vec<f64> {
        let mut candidate = self.logical.to_vec();
        let count = rng.random_range(1..=self.mutable.len().min(3));
        let mut features: Vec<usize> = Vec::with_capacity(count);
        while features.len() < count {
            let f = self.mutable[rng.random_range(0..self.mutable.len())];
            if !features.contains(&f) {
                features.push(f);
            }
        }
        self.resampler.resample(&mut candidate, &features, rng);
        self.repair(&mut candidate, rng);
        candidate
    }

    /// Crossover of `a` and `b`, one mutation, an optional restore, then repair.
    fn child(&self, a: &[f64], b: &[f64], weights: &[f64], rng: &mut ChaCha20Rng) -> Vec<f64> {
        let mut child: Vec<f64> = a.iter().zip(b).map(|(&x, &y)| if rng.random::<bool>() { x } else { y }).collect();
        let feature = self.mutable[weighted_index(weights, rng)];
        if rng.random::<f64>() < EXPLORATION_PROBABILITY {
            self.column.resample(&mut child, &[feature], rng);
        } else {
            self.resampler.resample(&mut child, &[feature], rng);
        }
        if rng.random::<f64>() < RESTORE_PROBABILITY {
            let changed: Vec<usize> = self.mutable.iter().copied().filter(|&f| child[f] != self.logical[f]).collect();
            if !changed.is_empty() {
                let f = changed[rng.random_range(0..changed.len())];
                child[f] = self.logical[f];
            }
        }
        self.repair(&mut child, rng);
        child
    }

    /// Enforces actionability: immovable features and out-of-range values go back to the
    /// original, and changes beyond `max_changed` are undone at random.
    fn repair(&self, candidate: &mut [f64], rng: &mut ChaCha20Rng) {
        for (f, value) in candidate.iter_mut().enumerate() {
            let in_range = self.ranges[f].is_none_or(|(lo, hi)| (lo..=hi).contains(value));
            if !self.mutable.contains(&f) || !in_range {
                *value = self.logical[f];
            }
        }
        if let Some(max) = self.settings.max_changed {
            let mut changed: Vec<usize> = (0..candidate.len()).filter(|&f| candidate[f] != self.logical[f]).collect();
            while changed.len() > max {
                let f = changed.swap_remove(rng.random_range(0..changed.len()));
                candidate[f] = self.logical[f];
            }
        }
    }

    /// Evaluates a population in one model call, which gets only the candidates that are
    /// neither in `memo` nor earlier in `population`; remembers their outputs in `memo`.
    fn evaluate(&self, population: &[Vec<f64>], memo: &mut Memo, rho0: f64, rho1: f64) -> Result<Vec<Candidate>> {
        let n = self.row.len();
        let output_len = self.evaluator.signature().output_len;
        let mut keys: Vec<Vec<u64>> = population.iter().map(|candidate| bit_pattern(candidate)).collect();
        // Each individual's outputs: known ones, or the index of its row in the model call.
        let mut first_of: FxHashMap<&[u64], usize> = FxHashMap::default();
        first_of
            .try_reserve(population.len())
            .map_err(|_| out_of_memory::<usize>("candidate lookup", population.len()))?;
        // The population index of each row of the model call.
        let mut fresh_individuals: Vec<usize> = Vec::new();
        let mut rows = Vec::new();
        let sources: Vec<Source<'_>> = population
            .iter()
            .zip(&keys)
            .enumerate()
            .map(|(individual, (candidate, key))| match memo.outputs.get(key.as_slice()) {
                Some(outputs) => Source::Known(outputs),
                None => Source::Fresh(*first_of.entry(key).or_insert_with(|| {
                    let at = fresh_individuals.len();
                    fresh_individuals.push(individual);
                    rows.extend_from_slice(self.row);
                    self.schema.encode_into(candidate, &mut rows[at * n..]);
                    at
                })),
            })
            .collect();
        let fresh = fresh_individuals.len();
        // Every value is one of the caller's (or a code, 0 or 1): exact in `E`.
        let model_rows: Vec<E> = crate::element::from_f64_slice(&rows);
        let mut model_outputs = vec![E::zero(); fresh * output_len];
        if fresh > 0 {
            self.evaluator.predict(&model_rows, fresh, &mut model_outputs)?;
        }
        let outputs: Vec<f64> = model_outputs.iter().map(|v| v.widen()).collect();
        let fresh_outputs = |at: usize| &outputs[at * output_len..(at + 1) * output_len];
        let evaluated = population
            .iter()
            .zip(&sources)
            .map(|(logical, source)| match source {
                Source::Known(out) => {
                    let mut row = self.row.to_vec();
                    self.schema.encode_into(logical, &mut row);
                    (logical, row, *out)
                }
                // Encoded already, for the model call.
                Source::Fresh(at) => (logical, rows[at * n..(at + 1) * n].to_vec(), fresh_outputs(*at)),
            })
            .map(|(logical, row, out)| {
                let changed: Vec<usize> = (0..logical.len()).filter(|&f| logical[f] != self.logical[f]).collect();
                let distance = self.schema.distance::<E>(logical, self.logical);
                let target_probability = class_probability(out, self.target);
                let predicted_class = predicted_class(out);
                let fitness =
                    (target_probability - self.original_probability) - rho0 * changed.len() as f64 - rho1 * distance;
                let reached = match self.settings.success_probability {
                    Some(cutoff) => target_probability >= cutoff,
                    None => predicted_class == self.target,
                };
                let success =
                    reached && !changed.is_empty() && self.settings.max_distance.is_none_or(|max| distance <= max);
                Candidate {
                    logical: logical.clone(),
                    row,
                    changed,
                    distance,
                    target_probability,
                    predicted_class,
                    fitness,
                    success,
                }
            })
            .collect();
        for (at, &individual) in fresh_individuals.iter().enumerate() {
            memo.remember(std::mem::take(&mut keys[individual]), fresh_outputs(at));
        }
        Ok(evaluated)
    }

    /// Per mutable feature: the mean rise of p_t over the candidates that changed it (the
    /// paper's outcome-weighted feature choice), floored so every feature stays reachable.
    fn mutation_weights(&self, evaluated: &[Candidate]) -> Vec<f64> {
        let rises: Vec<f64> = self
            .mutable
            .iter()
            .map(|&f| {
                let moves: Vec<f64> = evaluated
                    .iter()
                    .filter(|c| c.changed.contains(&f))
                    .map(|c| (c.target_probability - self.original_probability).max(0.0))
                    .collect();
                if moves.is_empty() {
                    0.0
                } else {
                    moves.iter().sum::<f64>() / moves.len() as f64
                }
            })
            .collect();
        let floor = (RELATIVE_MUTATION_FLOOR * rises.iter().copied().fold(0.0, f64::max)).max(MIN_MUTATION_WEIGHT);
        rises.into_iter().map(|rise| rise + floor).collect()
    }

    /// `parents` indices drawn with probability softmax(fitness / τ).
    fn select_parents(&self, evaluated: &[Candidate], rng: &mut ChaCha20Rng) -> Vec<usize> {
        let top = evaluated.iter().map(|c| c.fitness).fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> =
            evaluated.iter().map(|c| ((c.fitness - top) / self.settings.temperature).exp()).collect();
        (0..self.settings.parents).map(|_| weighted_index(&weights, rng)).collect()
    }
}

/// An index drawn with probability proportional to `weights` (all ≥ 0, sum > 0).
fn weighted_index(weights: &[f64], rng: &mut ChaCha20Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut point = rng.random::<f64>() * total;
    for (i, &w) in weights.iter().enumerate() {
        if point < w {
            return i;
        }
        point -= w;
    }
    weights.len() - 1
}

/// Where a candidate's model outputs come from.
enum Source<'m> {
    /// Computed for the same candidate earlier in the run (held by the run's memo).
    Known(&'m [f64]),
    /// Row `at` of this generation's model call.
    Fresh(usize),
}

/// The model outputs of the distinct candidates a run has evaluated, by their values'
/// bits, up to `capacity` of them (later ones are evaluated whenever they appear).
struct Memo {
    outputs: FxHashMap<Vec<u64>, Vec<f64>>,
    capacity: usize,
}

impl Memo {
    fn new(capacity: usize) -> Self {
        Self { outputs: FxHashMap::default(), capacity }
    }

    /// Remembers the `outputs` of the candidate whose values have the bits `key` while there
    /// is room (within the capacity, and while the table can grow: remembering saves model
    /// rows, and is skipped, not failed).
    fn remember(&mut self, key: Vec<u64>, outputs: &[f64]) {
        if self.outputs.len() < self.capacity && self.outputs.try_reserve(1).is_ok() {
            self.outputs.insert(key, outputs.to_vec());
        }
    }
}

/// The exact bits of a candidate's values, for hashing (values are compared bit for bit).
pub(super) fn bit_pattern(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}
