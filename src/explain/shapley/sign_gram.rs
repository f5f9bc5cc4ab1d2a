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
//!
//! The score terms are not ±1 and take no such few values; their rows are summed pair by
//! pair ([`score_gram`](super::score_gram)), over the pairs in this module's class order
//! ([`SignColumns::weighted_pairs`]).

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use super::interactions::size_scale;
use crate::parallel;
use crate::wide::avx2_dispatch;

/// The fewest XOR-and-popcounts one task of the Gram matrix's rows takes on the engine's
/// workers (fewer rows than that stay with one task).
const WORDS_PER_TASK: usize = 1 << 14;

/// Partial sums per class of the right side (independent additions in flight).
const RHS_LANES: usize = 4;

/// The pairs that share one part, one weight and one size scale.
#[derive(Debug, Clone, PartialEq)]
struct WeightClass {
    /// The part of the pairs it belongs to (see [`SignColumns::new`]).
    part: usize,
    /// The weight, times the size scale once and twice: the class's weight in an entry
    /// of two plain terms, of a plain term and a size term, and of two size terms.
    weight: [f64; 3],
    /// Their positions in [`SignColumns::order`].
    members: Range<usize>,
    /// Their words in each column's sign bits (the last one's high bits unused, 0).
    words: Range<usize>,
}

/// The sign bits of some terms at some weighted pairs, the pairs grouped by part, weight
/// and (when size terms are fitted) size scale.
///
/// The terms are, in order: each player's sign, each player's size term (when fitted),
/// then each triple's sign. Only the players' and the triples' signs are stored, as
/// columns of bits; a size term reads its player's column, and its entries reuse the
/// player's counts.
#[derive(Debug, Clone)]
pub(super) struct SignColumns {
    players: usize,
    /// Size terms fitted: `players` of them, else 0.
    size_terms: usize,
    triples: usize,
    /// Words of sign bits per column.
    words: usize,
    /// `columns × words` (the players', then the triples'): bit `q` of a class's words is
    /// set where the column is −1 at the class's `q`-th pair.
    bits: Vec<u64>,
    classes: Vec<WeightClass>,
    /// The pairs, each class's members in turn.
    order: Vec<usize>,
}

/// Which pairs' equations to count: those of one part, or of all.
pub(super) type Part = Option<usize>;

impl SignColumns {
    /// The signs of the `players` players' terms, their size terms when `size_terms`, then
    /// each triple's sign, at the pairs of `weighted` (pair index, weight and part, in
    /// order; pairs of weight 0 are left out), where `first_coalition(p)` gives the packed
    /// membership words of pair `p`'s first coalition (player `i` is bit `i % 64` of word
    /// `i / 64`, and its sign is `+1` where the bit is set; no bit past the players set).
    /// The equations of each part can be counted on their own, or of all together.
    pub(super) fn new<'a>(
        players: usize,
        size_terms: bool,
        triples: &[[usize; 3]],
        weighted: impl Iterator<Item = (usize, f64, usize)>,
        first_coalition: impl Fn(usize) -> &'a [u64],
    ) -> Self {
        // The size scale of a pair: 1 (and one class per part and weight) without size terms.
        let scale_of = |pair: usize| match size_terms {
            true => size_scale(players, first_coalition(pair).iter().map(|w| w.count_ones() as usize).sum()),
            false => 1.0,
        };
        // The classes in order of their keys' first appearance, each pair keeping its
        // place within its class (a schedule's pairs mostly come in runs of one weight).
        type Key = (usize, u64, u64);
        let mut members: Vec<(Key, f64, f64, Vec<usize>)> = Vec::new();
        let mut class_of: HashMap<Key, usize> = HashMap::new();
        let mut last: Option<usize> = None;
        for (pair, weight, part) in weighted.filter(|&(_, weight, _)| weight != 0.0) {
            let scale = scale_of(pair);
            let key = (part, weight.to_bits(), scale.to_bits());
            let class = match last {
                Some(class) if members[class].0 == key => class,
                _ => *class_of.entry(key).or_insert_with(|| {
                    members.push((key, weight, scale, Vec::new()));
                    members.len() - 1
                }),
            };
            members[class].3.push(pair);
            last = Some(class);
        }
        let (mut order, mut classes, mut words) = (Vec::new(), Vec::with_capacity(members.len()), 0);
        for ((part, ..), weight, scale, pairs) in members {
            let (first, first_word) = (order.len(), words);
            words += pairs.len().div_ceil(64);
            order.extend(pairs);
            let weight = [weight, weight * scale, weight * scale * scale];
            classes.push(WeightClass { part, weight, members: first..order.len(), words: first_word..words });
        }
        let mut bits = vec![0u64; players * words];
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
        let size_terms = if size_terms { players } else { 0 };
        let mut columns = Self { players, size_terms, triples: 0, words, bits, classes, order };
        columns.push_triples(triples);
        columns
    }

    /// A copy of these columns with `triples`' signs after their own triples'.
    pub(super) fn with_triples(&self, triples: &[[usize; 3]]) -> Self {
        let mut columns = self.clone();
        columns.push_triples(triples);
        columns
    }

    /// Appends `triples`' signs: a triple's sign bits are the XOR of its players'.
    fn push_triples(&mut self, triples: &[[usize; 3]]) {
        let words = self.words;
        self.bits.reserve(triples.len() * words);
        for [a, b, c] in triples {
            for w in 0..words {
                let bits = &self.bits;
                let word = bits[*a * words + w] ^ bits[*b * words + w] ^ bits[*c * words + w];
                self.bits.push(word);
            }
        }
        self.triples += triples.len();
    }

    /// The number of terms (the Gram matrix's order).
    #[cfg(test)]
    fn terms(&self) -> usize {
        self.players + self.size_terms + self.triples
    }

    /// Column `c`'s sign bits (the players', then the triples').
    fn column(&self, c: usize) -> &[u64] {
        &self.bits[c * self.words..(c + 1) * self.words]
    }

    /// The classes of `part`.
    fn classes_of(&self, part: Part) -> impl Iterator<Item = &WeightClass> + '_ {
        self.classes.iter().filter(move |class| part.is_none_or(|part| class.part == part))
    }

    /// The pairs of `part` with their weights, class after class (each class's pairs in
    /// their order): the order in which dense sums over them run.
    pub(super) fn weighted_pairs(&self, part: Part) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.classes_of(part)
            .flat_map(move |class| self.order[class.members.clone()].iter().map(move |&pair| (pair, class.weight[0])))
    }

    /// `Σ_p w_p x(p) y(p)` over the pairs of `part`, for every term (the players' alone
    /// when `players_only`), `y(p)` the response at pair `p`: per class, its pairs' signed
    /// responses summed in [`RHS_LANES`] interleaved partial sums, added in order and times
    /// its weight (a size term's scaled once); the classes in order.
    pub(super) fn rhs(&self, part: Part, players_only: bool, y: impl Fn(usize) -> f64) -> Vec<f64> {
        let responses: Vec<f64> = self.order.iter().map(|&p| y(p)).collect();
        let size_terms = if players_only { 0 } else { self.size_terms };
        let columns = if players_only { self.players } else { self.players + self.triples };
        let mut rhs = vec![0.0; columns + size_terms];
        for c in 0..columns {
            let signs = self.column(c);
            let (mut plain, mut scaled) = (0.0, 0.0);
            for class in self.classes_of(part) {
                let lanes = signed_sum(&responses[class.members.clone()], &signs[class.words.clone()]);
                let sum = lanes.iter().sum::<f64>();
                plain += class.weight[0] * sum;
                scaled += class.weight[1] * sum;
            }
            match c.checked_sub(self.players) {
                None => {
                    rhs[c] = plain;
                    if size_terms > 0 {
                        rhs[self.players + c] = scaled;
                    }
                }
                Some(t) => rhs[self.players + size_terms + t] = plain,
            }
        }
        rhs
    }

    /// The Gram matrix `Σ_p w_p x(p) x(p)ᵀ` over the pairs of `part`, of every term (the
    /// players' alone when `players_only`), its upper triangle in whole rows (row-major,
    /// the lower triangle 0). Each player's counts against every column give its own
    /// row's entries and its size term's, so that a size term costs no counting of its
    /// own. With more than one worker the columns are split among them; every entry is its
    /// own computation, the same bits on any number.
    pub(super) fn gram(&self, part: Part, players_only: bool) -> Vec<f64> {
        let (players, size_terms) = (self.players, if players_only { 0 } else { self.size_terms });
        let triples = if players_only { 0 } else { self.triples };
        let n = players + size_terms + triples;
        let mut gram = vec![0.0; n * n];
        if n == 0 {
            return gram;
        }
        let shape = GramShape { part, players, size_terms, triples };
        let columns_per_task = (WORDS_PER_TASK / (n * self.words).max(1)).max(1);
        let (player_rows, rest) = gram.split_at_mut(players * n);
        let (size_rows, triple_rows) = rest.split_at_mut(size_terms * n);
        if size_terms > 0 {
            let rows = player_rows.par_chunks_mut(n).zip(size_rows.par_chunks_mut(n)).enumerate();
            parallel::for_each(rows.with_min_len(columns_per_task), |(i, (row, size_row))| {
                player_rows_of(self, &shape, i, row, size_row)
            });
        } else {
            let rows = player_rows.par_chunks_mut(n).enumerate().with_min_len(columns_per_task);
            parallel::for_each(rows, |(i, row)| player_rows_of(self, &shape, i, row, &mut []));
        }
        let rows = triple_rows.par_chunks_mut(n).enumerate().with_min_len(columns_per_task);
        parallel::for_each(rows, |(t, row)| triple_row(self, &shape, t, row));
        gram
    }
}

/// Which Gram matrix [`SignColumns::gram`] counts: its part and its terms.
struct GramShape {
    part: Part,
    players: usize,
    size_terms: usize,
    triples: usize,
}

/// `Σ_class w · agreement` of columns `a` and `b` over the classes of `part`, for the
/// three weights of a class at once (plain, once scaled, twice scaled), the classes in
/// order.
#[inline(always)]
fn weighted_agreements(columns: &SignColumns, part: Part, a: &[u64], b: &[u64]) -> [f64; 3] {
    columns.classes_of(part).fold([0.0; 3], |sums, class| {
        let words = class.words.clone();
        let differing: u64 = a[words.clone()].iter().zip(&b[words]).map(|(x, y)| u64::from((x ^ y).count_ones())).sum();
        // Both counts are below 2⁵³: the difference is exact as an f64.
        let agreement = class.members.len() as f64 - 2.0 * differing as f64;
        [0, 1, 2].map(|k| sums[k] + class.weight[k] * agreement)
    })
}

avx2_dispatch! {
    /// Player `i`'s row of the Gram matrix (entries from `i`) into `row`, and its size
    /// term's (entries from its own column) into `size_row` (empty without size terms).
    fn player_rows_of(columns: &SignColumns, shape: &GramShape, i: usize, row: &mut [f64], size_row: &mut [f64]) => portable_player_rows;
}

#[inline(always)]
fn portable_player_rows(columns: &SignColumns, shape: &GramShape, i: usize, row: &mut [f64], size_row: &mut [f64]) {
    let &GramShape { part, players, size_terms, triples } = shape;
    let a = columns.column(i);
    // Against every player: the size terms' entries need the players before `i` too.
    let first = if size_terms > 0 { 0 } else { i };
    for j in first..players {
        let [plain, once, twice] = weighted_agreements(columns, part, a, columns.column(j));
        if j >= i {
            row[j] = plain;
        }
        if size_terms > 0 {
            row[players + j] = once;
            if j >= i {
                size_row[players + j] = twice;
            }
        }
    }
    let triples_from = players + size_terms;
    for t in 0..triples {
        let [plain, once, _] = weighted_agreements(columns, part, a, columns.column(players + t));
        row[triples_from + t] = plain;
        if size_terms > 0 {
            size_row[triples_from + t] = once;
        }
    }
}

avx2_dispatch! {
    /// Triple `t`'s row of the Gram matrix (entries from its own column) into `row`.
    fn triple_row(columns: &SignColumns, shape: &GramShape, t: usize, row: &mut [f64]) => portable_triple_row;
}

#[inline(always)]
fn portable_triple_row(columns: &SignColumns, shape: &GramShape, t: usize, row: &mut [f64]) {
    let &GramShape { part, players, size_terms, triples } = shape;
    let a = columns.column(players + t);
    for u in t..triples {
        row[players + size_terms + u] = weighted_agreements(columns, part, a, columns.column(players + u))[0];
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

    /// `weighted` as one part.
    fn whole(weighted: &[(usize, f64)]) -> impl Iterator<Item = (usize, f64, usize)> + '_ {
        weighted.iter().map(|&(p, w)| (p, w, 0))
    }

    #[test]
    fn counted_normal_equations_match_the_dense_sums() {
        let Example { memberships, weighted, triples, players } = example();
        for size_terms in [false, true] {
            let columns = SignColumns::new(players, size_terms, &triples, whole(&weighted), |p| &memberships[p]);
            let n = columns.terms();
            assert_eq!(n, players * (1 + usize::from(size_terms)) + triples.len());
            let y = |p: usize| (p as f64 * 0.37).sin();
            let (gram, rhs) = (columns.gram(None, false), columns.rhs(None, false, y));
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
            // The players' block alone is the same bits as in the whole matrix.
            let block = columns.gram(None, true);
            for j in 0..players {
                assert_eq!(block[j * players..(j + 1) * players], gram[j * n..j * n + players]);
            }
            assert_eq!(columns.rhs(None, true, y), rhs[..players]);
        }
    }

    #[test]
    fn parts_and_added_triples_count_as_columns_of_their_own() {
        let Example { memberships, weighted, triples, players } = example();
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        let y = |p: usize| (p as f64 * 0.61).cos();
        // Pairs dealt to two parts: each part's equations are those of its pairs alone.
        let part_of = |p: usize| usize::from(p % 3 == 1);
        let parted = weighted.iter().map(|&(p, w)| (p, w, part_of(p)));
        let columns = SignColumns::new(players, true, &[], parted, |p| &memberships[p]).with_triples(&triples);
        for part in [0, 1] {
            let own: Vec<(usize, f64)> = weighted.iter().copied().filter(|&(p, _)| part_of(p) == part).collect();
            let alone = SignColumns::new(players, true, &triples, whole(&own), |p| &memberships[p]);
            assert_eq!(bits(columns.gram(Some(part), false)), bits(alone.gram(None, false)));
            assert_eq!(bits(columns.rhs(Some(part), false, y)), bits(alone.rhs(None, false, y)));
        }
        // Both parts together: the whole, to rounding (the classes add in another order).
        let together = SignColumns::new(players, true, &triples, whole(&weighted), |p| &memberships[p]);
        for (got, want) in columns.gram(None, false).iter().zip(together.gram(None, false)) {
            assert!((got - want).abs() <= 1e-12 * (1.0 + want.abs()), "{got} vs {want}");
        }
    }

    #[test]
    fn the_equations_are_the_same_bits_on_any_pool_and_vector_width() {
        let Example { memberships, mut weighted, triples, players } = example();
        // Weights without a short binary expansion, so that the entries round.
        weighted.iter_mut().for_each(|(p, w)| *w *= 1.0 + (*p % 3) as f64 / 7.0);
        let columns = SignColumns::new(players, true, &triples, whole(&weighted), |p| &memberships[p]);
        let bits = |gram: Vec<f64>| gram.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let reference = bits(one.install(|| columns.gram(None, false)));
        assert_eq!(bits(three.install(|| columns.gram(None, false))), reference);
        let n = columns.terms();
        let shape = GramShape { part: None, players, size_terms: players, triples: triples.len() };
        let mut portable = vec![0.0; n * n];
        let (player_rows, rest) = portable.split_at_mut(players * n);
        let (size_rows, triple_rows) = rest.split_at_mut(players * n);
        for (i, (row, size_row)) in player_rows.chunks_exact_mut(n).zip(size_rows.chunks_exact_mut(n)).enumerate() {
            portable_player_rows(&columns, &shape, i, row, size_row);
        }
        for (t, row) in triple_rows.chunks_exact_mut(n).enumerate() {
            portable_triple_row(&columns, &shape, t, row);
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
        let columns = SignColumns::new(3, false, &[[0, 1, 2]], [(0, 0.0, 0)].into_iter(), |_| &MEMBERSHIP[..]);
        assert_eq!(columns.gram(None, false), vec![0.0; 16]);
        assert_eq!(columns.rhs(None, false, |_| 1.0), vec![0.0; 4]);
    }
}
