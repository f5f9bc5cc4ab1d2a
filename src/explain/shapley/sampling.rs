//! Shapley Value Sampling: the permutation estimator with antithetic pairs. Each sampled
//! permutation π is walked together with its reverse; a player's value is the mean of
//! its marginal contributions v(S ∪ i) − v(S) over the walked permutations. Every walk
//! telescopes to v(N) − v(∅), so local accuracy holds exactly; the standard error comes
//! from the spread of the antithetic pairs' means. Each row's [`SamplingDiagnostics`]
//! record the distinct coalitions evaluated and the largest standard error.
//!
//! Walks share prefixes (most often their first and last players), and each distinct
//! coalition is evaluated once: with the default 25 pairs that saves about 52 % of the
//! model rows at 8 players, 33 % at 10, 12 % at 16 and 8 % at 20, and gives the same values
//! bit for bit as evaluating every prefix.

use rand::seq::SliceRandom;
use serde::Serialize;

use rustc_hash::FxHashMap;

use super::common::{cover_rounding, Request, RowEstimate, ShapleyGame};
use super::game::Game;
use super::schedule::CoalitionKey;
use crate::alloc::{out_of_memory, try_filled, try_with_capacity};
use crate::element::Element;
use crate::engine::memory::WorkingSet;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::explain::row_targets::{by_row_target, TargetGroup, Targeted};
use crate::explanation::{Explanation, Method, SamplingDiagnostics};
use crate::model::Model;

/// Shapley Value Sampling's parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapleySamplingParams<E: Element = f32> {
    /// The game: background, players, outputs, link.
    #[serde(flatten)]
    pub game: ShapleyGame<E>,
    /// Antithetic pairs of permutations per row (each pair walks π and its reverse); at
    /// least 1. The standard errors come from the spread of the pairs: with one pair the
    /// values stand and the explanation reports no standard errors.
    pub permutation_pairs: usize,
}

impl<E: Element> ShapleySamplingParams<E> {
    /// The default: 25 antithetic pairs (50 permutations).
    pub fn new(game: ShapleyGame<E>) -> Self {
        Self { game, permutation_pairs: 25 }
    }
}

impl<E: Element> Targeted for ShapleySamplingParams<E> {
    fn targets(&self) -> Option<&[u32]> {
        self.game.targets.as_deref()
    }
    fn for_group(&self, group: &TargetGroup<'_>, _row_len: usize) -> Self {
        let mut params = self.clone();
        params.game.targets = Some(vec![group.target]);
        params
    }
}

/// Explains `rows` rows of `inputs` by Shapley Value Sampling. Deterministic given the
/// engine's seed, whatever the thread count.
pub fn shapley_value_sampling<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &ShapleySamplingParams<E>,
) -> Result<Explanation> {
    if let Some(explanation) = by_row_target(engine, model, inputs, rows, params, shapley_value_sampling)? {
        return Ok(explanation);
    }
    crate::limits::at_most("permutation_pairs", params.permutation_pairs, crate::limits::MAX_SAMPLES)?;
    let request = Request::new(engine, model, inputs, rows, &params.game)?;
    if params.permutation_pairs == 0 {
        return Err(Error::invalid("permutation_pairs", "is 0, expected at least 1"));
    }
    let estimates = request.estimate_rows(|game, rng| estimate_row(game, params.permutation_pairs, rng))?;
    let parameters = super::super::parameters_json(params)?;
    Ok(request.explanation(Method::ShapleyValueSampling, parameters, estimates))
}

/// The permutations walked for one row: `pairs` random ones, each followed by its reverse.
fn permutations(players: usize, pairs: usize, rng: &mut impl rand::Rng) -> Result<Vec<Vec<usize>>> {
    let mut walks = try_with_capacity("permutations", pairs.saturating_mul(2))?;
    for _ in 0..pairs {
        let mut order: Vec<usize> = (0..players).collect();
        order.shuffle(rng);
        let reverse = order.iter().rev().copied().collect();
        walks.push(order);
        walks.push(reverse);
    }
    Ok(walks)
}

/// The proper prefixes S_1 … S_{M−1} of every walk, packed as coalition bits.
fn prefixes(walks: &[Vec<usize>], players: usize) -> Result<(Vec<u64>, usize)> {
    let words = players.div_ceil(64);
    let mut bits = try_with_capacity("permutation prefixes", walks.len().saturating_mul((players - 1) * words))?;
    for walk in walks {
        let mut current = vec![0u64; words];
        for &player in &walk[..players - 1] {
            current[player / 64] |= 1 << (player % 64);
            bits.extend_from_slice(&current);
        }
    }
    Ok((bits, words))
}

/// The distinct coalitions among `bits` (`words` words each), in order of first
/// appearance, and for every coalition of `bits` the index of its distinct copy.
///
/// Walks share prefixes: the first and last players of 25 antithetic pairs over 16
/// players repeat, so about an eighth of the prefixes are evaluated already. Each distinct
/// coalition is evaluated once and its value read wherever it appears, which gives the same
/// values as evaluating every prefix (a coalition's value depends on its members only).
fn distinct_coalitions(bits: &[u64], words: usize) -> Result<(Vec<u64>, Vec<usize>)> {
    let count = bits.len() / words;
    let mut first_seen: FxHashMap<CoalitionKey, usize> = FxHashMap::default();
    first_seen
        .try_reserve(count)
        .map_err(|_| out_of_memory::<(CoalitionKey, usize)>("distinct permutation prefixes", count))?;
    let mut distinct = try_with_capacity("distinct permutation prefixes", bits.len())?;
    let mut index = try_with_capacity("permutation prefix indices", count)?;
    for coalition in bits.chunks_exact(words) {
        let next = distinct.len() / words;
        let at = *first_seen.entry(CoalitionKey::of(coalition)).or_insert_with(|| {
            distinct.extend_from_slice(coalition);
            next
        });
        index.push(at);
    }
    Ok((distinct, index))
}

/// What one row's estimate keeps: the walks, their prefixes as coalitions with their
/// values (and the distinct ones' copies, indices and lookup), and each pair's mean
/// contributions.
fn working_set<E: Element>(game: &Game<'_, E>, pairs: usize) -> WorkingSet {
    let (m, t) = (game.players(), game.targets().len());
    let walks = pairs.saturating_mul(2);
    let prefixes = walks.saturating_mul(m.saturating_sub(1));
    let coalition_bytes = m.div_ceil(64).saturating_mul(8);
    // A lookup entry: its key (a word, or a boxed copy of the words), its index and the
    // table's control byte, at the table's worst load.
    let key_bytes = if m <= 64 { 16 } else { coalition_bytes.saturating_add(16) };
    let lookup_bytes = key_bytes.saturating_add(9).saturating_mul(2);
    game.engine()
        .working_set()
        .hold("the permutations", walks, m.saturating_mul(8).saturating_add(24))
        .hold("their prefixes", prefixes, coalition_bytes.saturating_mul(2).saturating_add(t.saturating_mul(8)))
        .hold("the distinct prefixes' lookup", prefixes, lookup_bytes.saturating_add(8))
        .hold("the pair means", pairs, t.saturating_mul(m).saturating_mul(8).saturating_add(24))
}

fn estimate_row<E: Element>(game: &Game<'_, E>, pairs: usize, rng: &mut impl rand::Rng) -> Result<RowEstimate> {
    let m = game.players();
    game.limit_batches(working_set(game, pairs).batch_budget(game.min_batch_bytes())?);
    let prediction = game.prediction()?;
    let base = game.base()?;
    let t = prediction.len();
    let walks = permutations(m, pairs, rng)?;
    let (bits, words) = prefixes(&walks, m)?;
    let (distinct, index) = distinct_coalitions(&bits, words)?;
    drop(bits);
    let values = game.values(&distinct, words)?;
    // pair_means[p][k·m + i]: the mean contribution of player i to output k over pair p.
    let mut pair_means = try_filled("pair means", pairs, Vec::new())?;
    for means in &mut pair_means {
        *means = try_filled("pair means", t * m, 0.0f64)?;
    }
    for (w, walk) in walks.iter().enumerate() {
        for k in 0..t {
            let value_after = |step: usize| {
                if step + 1 == m {
                    prediction[k]
                } else {
                    values[index[w * (m - 1) + step] * t + k]
                }
            };
            let mut before = base[k];
            for (step, &player) in walk.iter().enumerate() {
                let after = value_after(step);
                pair_means[w / 2][k * m + player] += 0.5 * (after - before);
                before = after;
            }
        }
    }
    let mut estimate = vec![0.0f64; t * m];
    for means in &pair_means {
        estimate.iter_mut().zip(means).for_each(|(e, v)| *e += v / pairs as f64);
    }
    // One pair has no spread to estimate an error from: NaN marks the errors unavailable.
    let mut standard_errors: Vec<f64> = (0..t * m)
        .map(|j| {
            let squares: f64 = pair_means.iter().map(|means| (means[j] - estimate[j]).powi(2)).sum();
            let variance = if pairs < 2 { f64::NAN } else { squares / (pairs - 1) as f64 };
            (variance / pairs as f64).sqrt()
        })
        .collect();
    cover_rounding(&mut standard_errors, &estimate, &base, &prediction, E::TYPE);
    let available = standard_errors.iter().all(|e| e.is_finite());
    let sampling = SamplingDiagnostics {
        rounds: 1,
        coalitions: distinct.len() / words,
        exact: false,
        standard_errors_available: available,
        largest_standard_error: available.then(|| standard_errors.iter().copied().fold(0.0, f64::max)),
        target_standard_error: None,
        target_met: None,
    };
    Ok(RowEstimate {
        values: estimate,
        standard_errors,
        prediction,
        base,
        rows_evaluated: game.rows_evaluated(),
        sampling: Some(sampling),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn distinct_coalitions_index_their_first_copy() {
        let bits = [0b011, 0b100, 0b011, 0b110, 0b100];
        let (distinct, index) = distinct_coalitions(&bits, 1).unwrap();
        assert_eq!(distinct, [0b011, 0b100, 0b110]);
        assert_eq!(index, [0, 1, 0, 2, 1]);
    }

    #[test]
    fn distinct_coalitions_of_many_words_compare_every_word() {
        let bits = [1, 7, 1, 8, 1, 7, 2, 7];
        let (distinct, index) = distinct_coalitions(&bits, 2).unwrap();
        assert_eq!(distinct, [1, 7, 1, 8, 2, 7]);
        assert_eq!(index, [0, 1, 0, 2]);
    }

    #[test]
    fn every_prefix_reads_its_own_coalition() {
        let players = 70;
        let walks = permutations(players, 30, &mut ChaCha20Rng::seed_from_u64(3)).unwrap();
        let (bits, words) = prefixes(&walks, players).unwrap();
        let (distinct, index) = distinct_coalitions(&bits, words).unwrap();
        assert!(distinct.len() < bits.len(), "the first and last players repeat");
        for (coalition, &at) in bits.chunks_exact(words).zip(&index) {
            assert_eq!(coalition, &distinct[at * words..(at + 1) * words]);
        }
    }
}
