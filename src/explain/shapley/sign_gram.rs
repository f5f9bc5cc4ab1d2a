//! Weighted normal equations of ±1 terms, by counting where their signs differ.
//!
//! Every term the interaction fit uses is ±1 at a pair: a player's sign `2z − 1` at the
//! pair's first coalition, or the product of three. Over the pairs that share one weight
//! `w`, an entry of the Gram matrix `Σ_p w_p x_j(p) x_k(p)` is therefore
//! `w · (count − 2 · differing)`, where `differing` counts the pairs at which the signs of
//! terms `j` and `k` differ: the popcount of the XOR of their sign bits. A schedule's pairs
//! take few weights (the leverage draws one per coalition size, shap's schedule one per
//! size and draw count), so an entry costs a few XOR-and-popcounts per 64 pairs where a
//! dense update costs a multiply-add per pair, and it is exact: the counts are integers,
//! and an entry rounds only where its weight classes are added, in a fixed order. So the
//! matrix is the same bits on any number of threads and with or without AVX2.
//!
//! A triple's sign is the product of its players', so its sign bits are the XOR of theirs.
//!
//! The fit's size terms `(2 z_i − 1) · h(|S|)` are a player's sign times a scale that
//! depends only on the pair's coalition size ([`size_scale`]). The pairs are grouped by
//! weight and by that scale, so that within a group a size term is its player's sign times
//! a constant: its entries are the same counts, times the scale once or twice.

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use super::interactions::size_scale;
use super::wide::avx2_dispatch;

/// The fewest XOR-and-popcounts one task of the Gram matrix's rows takes on the engine's
/// workers (fewer rows than that stay with one task).
const WORDS_PER_TASK: usize = 1 << 14;

/// Partial sums per class of the right side (independent additions in flight).
const RHS_LANES: usize = 4;

/// The pairs that share one weight and one size scale.
#[derive(Debug, Clone, PartialEq)]
struct WeightClass {
    /// The weight, times the size scale once and twice: the class's weight in an entry
    /// of two plain terms, of a plain term and a size term, and of two size terms.
    weight: [f64; 3],
    /// Their positions in [`SignColumns::order`].
    members: Range<usize>,
    /// Their words in each term's sign bits (the last one's high bits unused, 0).
    words: Range<usize>,
}

/// The sign bits of some terms at some weighted pairs, the pairs grouped by weight (and
/// size scale, when size terms are fitted).
///
/// The terms are, in order: each player's sign, each player's size term (when fitted),
/// then each triple's sign. Only the players' and the triples' signs are stored, as
/// columns of bits; a size term reads its player's column.
#[derive(Debug)]
pub(super) struct SignColumns {
    players: usize,
    /// Size terms fitted: `players` of them, else 0.
    size_terms: usize,
    terms: usize,
    /// Words of sign bits per column.
    words: usize,
    /// `columns × words` (the players', then the triples'): bit `q` of a class's words is
    /// set where the column is −1 at the class's `q`-th pair.
    bits: Vec<u64>,
    classes: Vec<WeightClass>,
    /// The pairs, each class's members in turn.
    order: Vec<usize>,
}

impl SignColumns {
    /// The signs of the `players` players' terms, their size terms when `size_terms`, then
    /// each triple's sign, at the pairs of `weighted` (pair index and weight, in order;
    /// pairs of weight 0 are left out), where `first_coalition(p)` gives the packed
    /// membership words of pair `p`'s first coalition (player `i` is bit `i % 64` of word
    /// `i / 64`, and its sign is `+1` where the bit is set; no bit past the players set).
    pub(super) fn new<'a>(
        players: usize,
        size_terms: bool,
        triples: &[[usize; 3]],
        weighted: impl Iterator<Item = (usize, f64)>,
        first_coalition: impl Fn(usize) -> &'a [u64],
    ) -> Self {
        // The size scale of a pair: 1 (and one class per weight) without size terms.
        let scale_of = |pair: usize| match size_terms {
            true => size_scale(players, first_coalition(pair).iter().map(|w| w.count_ones() as usize).sum()),
            false => 1.0,
        };
        // The classes in order of their keys' first appearance, each pair keeping its
        // place within its class (a schedule's pairs mostly come in runs of one weight).
        let mut members: Vec<((f64, f64), Vec<usize>)> = Vec::new();
        let mut class_of: HashMap<(u64, u64), usize> = HashMap::new();
        let mut last: Option<usize> = None;
        for (pair, weight) in weighted.filter(|&(_, weight)| weight != 0.0) {
            let scale = scale_of(pair);
            let key = (weight.to_bits(), scale.to_bits());
            let class = match last {
                Some(class) if (members[class].0 .0.to_bits(), members[class].0 .1.to_bits()) == key => class,
                _ => *class_of.entry(key).or_insert_with(|| {
                    members.push(((weight, scale), Vec::new()));
                    members.len() - 1
                }),
            };
            members[class].1.push(pair);
            last = Some(class);
        }
        let (mut order, mut classes, mut words) = (Vec::new(), Vec::with_capacity(members.len()), 0);
        for ((weight, scale), pairs) in members {
            let (first, first_word) = (order.len(), words);
            words += pairs.len().div_ceil(64);
            order.extend(pairs);
            let weight = [weight, weight * scale, weight * scale * scale];
            classes.push(WeightClass { weight, members: first..order.len(), words: first_word..words });
        }
        let size_terms = if size_terms { players } else { 0 };
        let columns = players + triples.len();
        let mut bits = vec![0u64; columns * words];
        for class in &classes {
            for (q, &pair) in order[class.members.clone()].iter().enumerate() {
                let (word, bit) = (class.words.start + q / 64, q % 64);
                let membership = first_coalition(pair);
                // Branch-free: a player's bit is as likely set as not.
                for player in 0..players {
                    let negative = !(membership[player / 64] >> (player % 64)) & 1;
                    bits[player * words + word] |= negative << bit;
                }
            }
        }
        let (player_bits, triple_bits) = bits.split_at_mut(players * words);
        let player = |i: usize| &player_bits[i * words..(i + 1) * words];
        for (row, [a, b, c]) in triple_bits.chunks_exact_mut(words.max(1)).zip(triples) {
            for (w, x) in row.iter_mut().enumerate() {
                *x = player(*a)[w] ^ player(*b)[w] ^ player(*c)[w];
            }
        }
        Self { players, size_terms, terms: columns + size_terms, words, bits, classes, order }
    }

    /// The number of terms (the Gram matrix's order).
    pub(super) fn terms(&self) -> usize {
        self.terms
    }

    /// Term `j`'s sign bits, and whether it is a size term (scaled by the class's scale).
    fn term(&self, j: usize) -> (&[u64], bool) {
        let (column, scaled) = match j.checked_sub(self.players) {
            None => (j, false),
            Some(i) if i < self.size_terms => (i, true),
            Some(_) => (j - self.size_terms, false),
        };
        (&self.bits[column * self.words..(column + 1) * self.words], scaled)
    }

    /// `Σ_p w_p x(p) y(p)` for every term, `y(p)` the response at pair `p`: per class, its
    /// pairs' signed responses summed in [`RHS_LANES`] interleaved partial sums, added in
    /// order and times its weight; the classes in order.
    pub(super) fn rhs(&self, y: impl Fn(usize) -> f64) -> Vec<f64> {
        let responses: Vec<f64> = self.order.iter().map(|&p| y(p)).collect();
        (0..self.terms)
            .map(|j| {
                let (signs, scaled) = self.term(j);
                self.classes.iter().fold(0.0, |sum, class| {
                    let lanes = signed_sum(&responses[class.members.clone()], &signs[class.words.clone()]);
                    sum + class.weight[usize::from(scaled)] * lanes.iter().sum::<f64>()
                })
            })
            .collect()
    }

    /// The Gram matrix `Σ_p w_p x(p) x(p)ᵀ`, its upper triangle in whole rows of `terms`
    /// (row-major, the lower triangle 0). With more than one worker its rows are split
    /// among them; every entry is its own computation, the same bits on any number.
    pub(super) fn gram(&self) -> Vec<f64> {
        let n = self.terms;
        let mut gram = vec![0.0; n * n];
        if n == 0 {
            return gram;
        }
        let rows_per_task = (WORDS_PER_TASK / (n * self.words).max(1)).max(1);
        gram.par_chunks_mut(n).enumerate().with_min_len(rows_per_task).for_each(|(j, row)| gram_row(self, j, row));
        gram
    }
}

avx2_dispatch! {
    /// `Σ_q ±responses[q]` (minus where bit `q` of `signs` is set), response `q` into
    /// partial sum `q mod RHS_LANES`.
    fn signed_sum(responses: &[f64], signs: &[u64]) -> [f64; RHS_LANES] => portable_signed_sum;
}

#[inline(always)]
fn portable_signed_sum(responses: &[f64], signs: &[u64]) -> [f64; RHS_LANES] {
    let mut lanes = [0.0; RHS_LANES];
    let signed = |y: f64, negative: u64| f64::from_bits(y.to_bits() ^ (negative << 63));
    for (word, &bits) in responses.chunks(64).zip(signs) {
        let quads = word.chunks_exact(RHS_LANES);
        let tail = quads.remainder();
        for (c, quad) in quads.enumerate() {
            let nibble = bits >> (c * RHS_LANES);
            for (lane, (sum, &y)) in lanes.iter_mut().zip(quad).enumerate() {
                *sum += signed(y, (nibble >> lane) & 1);
            }
        }
        let start = word.len() - tail.len();
        for (lane, (sum, &y)) in lanes.iter_mut().zip(tail).enumerate() {
            *sum += signed(y, (bits >> (start + lane)) & 1);
        }
    }
    lanes
}

avx2_dispatch! {
    /// Entries `j..` of row `j` of the Gram matrix of `columns` into `row[j..]`.
    fn gram_row(columns: &SignColumns, j: usize, row: &mut [f64]) => portable_gram_row;
}

#[inline(always)]
fn portable_gram_row(columns: &SignColumns, j: usize, row: &mut [f64]) {
    let (a, a_scaled) = columns.term(j);
    for (k, entry) in row.iter_mut().enumerate().skip(j) {
        let (b, b_scaled) = columns.term(k);
        let scalings = usize::from(a_scaled) + usize::from(b_scaled);
        *entry = columns.classes.iter().fold(0.0, |sum, class| {
            let words = class.words.clone();
            let differing: u64 =
                a[words.clone()].iter().zip(&b[words]).map(|(x, y)| u64::from((x ^ y).count_ones())).sum();
            // Both counts are below 2⁵³: the difference is exact as an f64.
            let agreement = class.members.len() as f64 - 2.0 * differing as f64;
            sum + class.weight[scalings] * agreement
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs' first coalitions, their weights, the triples fitted and the players.
    struct Example {
        memberships: Vec<Vec<u64>>,
        weighted: Vec<(usize, f64)>,
        triples: Vec<[usize; 3]>,
        players: usize,
    }

    /// 150 pairs of 70 players (two membership words) in three interleaved weight classes
    /// (one of more than 64 pairs), a pair of weight 0, and four triples, one across the
    /// words.
    fn example() -> Example {
        let players = 70;
        let memberships: Vec<Vec<u64>> = (0..150u64)
            .map(|p| {
                vec![p.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (p << 7), p.wrapping_mul(0xBF58_476D_1CE4_E5B9) & 0x3F]
            })
            .collect();
        let weight = |p: usize| match p % 5 {
            _ if p == 17 => 0.0,
            0..=2 => 0.25,
            3 => 1.0,
            _ => 0.625,
        };
        let weighted = (0..150).map(|p| (p, weight(p))).collect();
        Example { memberships, weighted, triples: vec![[0, 1, 2], [3, 40, 69], [5, 6, 64], [1, 33, 68]], players }
    }

    /// The terms at a pair in the fit's order: the players' signs, their size terms (when
    /// `size_terms`), the triples' signs.
    fn dense_features(membership: &[u64], players: usize, size_terms: bool, triples: &[[usize; 3]]) -> Vec<f64> {
        let sign = |i: usize| if (membership[i / 64] >> (i % 64)) & 1 == 1 { 1.0 } else { -1.0 };
        let mut x: Vec<f64> = (0..players).map(sign).collect();
        if size_terms {
            let size = (0..players).filter(|&i| sign(i) > 0.0).count();
            x.extend((0..players).map(|i| sign(i) * size_scale(players, size)));
        }
        x.extend(triples.iter().map(|[a, b, c]| sign(*a) * sign(*b) * sign(*c)));
        x
    }

    #[test]
    fn counted_normal_equations_match_the_dense_sums() {
        let Example { memberships, weighted, triples, players } = example();
        for size_terms in [false, true] {
            let columns =
                SignColumns::new(players, size_terms, &triples, weighted.iter().copied(), |p| &memberships[p]);
            let n = columns.terms();
            assert_eq!(n, players * (1 + usize::from(size_terms)) + triples.len());
            let y = |p: usize| (p as f64 * 0.37).sin();
            let (gram, rhs) = (columns.gram(), columns.rhs(y));
            let (mut want_gram, mut want_rhs) = (vec![0.0; n * n], vec![0.0; n]);
            for &(p, w) in &weighted {
                let x = dense_features(&memberships[p], players, size_terms, &triples);
                for j in 0..n {
                    want_rhs[j] += w * x[j] * y(p);
                    for k in j..n {
                        want_gram[j * n + k] += w * x[j] * x[k];
                    }
                }
            }
            if size_terms {
                // The scales round: the counts' sums agree to rounding.
                for (got, want) in gram.iter().zip(&want_gram) {
                    assert!((got - want).abs() <= 1e-12 * (1.0 + want.abs()), "{got} vs {want}");
                }
            } else {
                // Without size terms the entries are sums of multiples of 1/8: exact.
                assert_eq!(gram, want_gram);
            }
            for (got, want) in rhs.iter().zip(&want_rhs) {
                assert!((got - want).abs() <= 1e-12 * (1.0 + want.abs()), "{got} vs {want}");
            }
            let total: f64 = weighted.iter().map(|(_, w)| w).sum();
            assert!((0..players).all(|j| gram[j * n + j] == total));
            assert!((1..n).all(|j| (0..j).all(|k| gram[j * n + k] == 0.0)), "the lower triangle stays 0");
        }
    }

    #[test]
    fn the_equations_are_the_same_bits_on_any_pool_and_vector_width() {
        let Example { memberships, mut weighted, triples, players } = example();
        // Weights without a short binary expansion, so that the entries round.
        weighted.iter_mut().for_each(|(p, w)| *w *= 1.0 + (*p % 3) as f64 / 7.0);
        let columns = SignColumns::new(players, true, &triples, weighted.into_iter(), |p| &memberships[p]);
        let bits = |gram: Vec<f64>| gram.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let reference = bits(one.install(|| columns.gram()));
        assert_eq!(bits(three.install(|| columns.gram())), reference);
        let n = columns.terms();
        let mut portable = vec![0.0; n * n];
        for (j, row) in portable.chunks_exact_mut(n).enumerate() {
            portable_gram_row(&columns, j, row);
        }
        assert_eq!(bits(portable), reference);
        // The right side's signed sums: 150 responses over three words, a tail of two.
        let responses: Vec<f64> = (0..150).map(|q| (q as f64 * 0.61).cos()).collect();
        let signs = [0x9E37_79B9_7F4A_7C15, 0xBF58_476D_1CE4_E5B9, 0x0000_0000_002A_5A5A];
        let sums = |lanes: [f64; RHS_LANES]| lanes.map(f64::to_bits);
        assert_eq!(sums(signed_sum(&responses, &signs)), sums(portable_signed_sum(&responses, &signs)));
    }

    #[test]
    fn no_pairs_give_zero_equations() {
        const MEMBERSHIP: [u64; 1] = [0b101];
        let columns = SignColumns::new(3, false, &[[0, 1, 2]], [(0, 0.0)].into_iter(), |_| &MEMBERSHIP[..]);
        assert_eq!(columns.gram(), vec![0.0; 16]);
        assert_eq!(columns.rhs(|_| 1.0), vec![0.0; 4]);
    }
}
