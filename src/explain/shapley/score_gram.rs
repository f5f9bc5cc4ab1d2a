//! The score terms' rows of the interaction fit's normal equations, summed pair by pair.
//!
//! A score term `u_i(S) = (2 z_i − 1) · (Σ_j b_j (2 z_j − 1))²` is not ±1, so its entries
//! cannot be counted from sign bits as the other terms' are
//! ([`sign_gram`](super::sign_gram)): each pair adds its weighted score terms times all its
//! terms. The sums run over the pairs in a fixed order, each entry on its own, so they are
//! the same bits on any number of threads and with or without AVX2.

use std::ops::Range;

use crate::wide::avx2_dispatch;

/// The score terms' rows `Σ_p w_p u_i(p) x(p)` and right side `Σ_p w_p u_i(p) y(p)`, added
/// to block by block.
///
/// The terms are the players' signs `s_j`, their size terms `s_j h`, their score terms
/// `s_j g` (`players` of each, in that order), then the triples. Against the first three,
/// score term `i`'s entry is `Σ_p w_p g_p s_i s_j` times 1, `h_p` or `g_p`: symmetric in
/// `i` and `j`, and the same bits either way (a product with a sign is exact). So row `i`
/// sums the entries from player `i` on in each of the three blocks (from the [`QUAD`]
/// that holds it), and [`rows`](Self::rows) copies the others from the rows before it.
pub(super) struct ScoreRows {
    /// The number of terms.
    n: usize,
    /// The number of players (and of score terms).
    players: usize,
    /// `players × n`: score term `i`'s entries.
    rows: Vec<f64>,
    /// One per score term.
    rhs: Vec<f64>,
    /// Each pair's weighted score terms `w_p u_i(p)` (`players` per pair, one pair after
    /// the other) for the pairs being added, reused from call to call.
    weighted: Vec<f64>,
}

impl ScoreRows {
    /// No pairs yet, for the score terms of `players` players among `n` terms.
    pub(super) fn new(n: usize, players: usize) -> Self {
        Self { n, players, rows: vec![0.0; players * n], rhs: vec![0.0; players], weighted: Vec::new() }
    }

    /// Adds the pairs whose terms are `features` (`n` per pair, one pair after the other),
    /// weights `weights` and responses `responses`, in order.
    pub(super) fn add(&mut self, features: &[f64], weights: &[f64], responses: &[f64]) {
        add_pairs(self, features, weights, responses);
    }

    /// The score terms' rows (`players × n`, every entry) and right side.
    pub(super) fn rows(mut self) -> (Vec<f64>, Vec<f64>) {
        let (n, players) = (self.n, self.players);
        for i in 0..players {
            for j in 0..i {
                for block in [0, players, 2 * players] {
                    self.rows[i * n + block + j] = self.rows[j * n + block + i];
                }
            }
        }
        (self.rows, self.rhs)
    }
}

/// Entries of each row summed at once (two AVX2 vectors; with a block's [`QUAD`] rows,
/// eight sums held in registers while a block's pairs are added); ragged ends go
/// [`QUAD`], then one at a time.
const PANEL: usize = 8;

/// The narrower panel of a row's ragged ends, and the rows summed together: each pair's
/// terms, loaded once, are added to a block of this many rows, whose sums are independent
/// (one row alone would wait on each addition's latency), and which all start their
/// entries at the block's first player (see [`ScoreRows`]).
const QUAD: usize = 4;

avx2_dispatch! {
    /// [`ScoreRows::add`].
    fn add_pairs(sums: &mut ScoreRows, features: &[f64], weights: &[f64], responses: &[f64]) => portable_add_pairs;
}

#[inline(always)]
fn portable_add_pairs(sums: &mut ScoreRows, features: &[f64], weights: &[f64], responses: &[f64]) {
    let (n, players) = (sums.n, sums.players);
    let scores = 2 * players;
    let ScoreRows { rows, rhs, weighted, .. } = sums;
    weighted.clear();
    for (x, w) in features.chunks_exact(n).zip(weights) {
        weighted.extend(x[scores..scores + players].iter().map(|u| w * u));
    }
    // Blocks of `QUAD` rows: every row of a block starts at the block's first player. A
    // ragged last block goes one row at a time.
    for (block, (rows, rhs)) in rows.chunks_mut(QUAD * n).zip(rhs.chunks_mut(QUAD)).enumerate() {
        let from = block * QUAD;
        let block = Block { features, n, weighted, players, first: from };
        match rhs.len() {
            QUAD => add_rows::<QUAD>(rows, rhs, &block, responses),
            _ => {
                let rows = rows.chunks_exact_mut(n).zip(rhs.chunks_exact_mut(1));
                for (r, (row, rhs)) in rows.enumerate() {
                    add_rows::<1>(row, rhs, &Block { first: from + r, ..block }, responses);
                }
            }
        }
    }
}

/// Adds the pairs to the block's `R` score rows (`rows`, `n` entries each, and `rhs`):
/// their entries in each of the players' three blocks from the first player of the
/// [`QUAD`] that holds the first row, then the triples ([`add_columns`]), and their right
/// sides.
#[inline(always)]
fn add_rows<const R: usize>(rows: &mut [f64], rhs: &mut [f64], block: &Block, responses: &[f64]) {
    let (n, players) = (block.n, block.players);
    let from = block.first - block.first % QUAD;
    for columns in [from..players, players + from..2 * players, 2 * players + from..n] {
        add_columns::<R>(rows, block, columns);
    }
    let mut sums: [f64; R] = std::array::from_fn(|r| rhs[r]);
    for ((_, u), &y) in block.pairs::<R>().zip(responses) {
        sums.iter_mut().zip(u).for_each(|(sum, u)| *sum += u * y);
    }
    rhs.copy_from_slice(&sums);
}

/// The pairs being added, as one block of score rows reads them.
#[derive(Clone, Copy)]
struct Block<'a> {
    /// Each pair's `n` terms, one pair after the other.
    features: &'a [f64],
    /// The number of terms.
    n: usize,
    /// Each pair's weighted score terms `w_p u_i(p)`, `players` per pair.
    weighted: &'a [f64],
    /// The number of score terms.
    players: usize,
    /// The block's first score row.
    first: usize,
}

impl Block<'_> {
    /// Per pair in order: its terms and the block's `R` weighted score terms.
    #[inline(always)]
    fn pairs<const R: usize>(&self) -> impl Iterator<Item = (&[f64], &[f64; R])> {
        let first = self.first;
        let weighted = self.weighted.chunks_exact(self.players).map_while(move |u| u[first..].first_chunk::<R>());
        self.features.chunks_exact(self.n).zip(weighted)
    }
}

/// Adds `Σ_p w_p u_r(p) · x_p[c]` to `rows[r][c]` for each of the block's `R` score rows
/// `r` (`n` entries each, one after the other) and the columns `columns`, the pairs in
/// order: [`PANEL`] columns at a time, then [`QUAD`], then one.
#[inline(always)]
fn add_columns<const R: usize>(rows: &mut [f64], block: &Block, columns: Range<usize>) {
    let mut start = columns.start;
    while start + PANEL <= columns.end {
        add_panel::<R, PANEL>(rows, block, start);
        start += PANEL;
    }
    if start + QUAD <= columns.end {
        add_panel::<R, QUAD>(rows, block, start);
        start += QUAD;
    }
    for c in start..columns.end {
        add_panel::<R, 1>(rows, block, c);
    }
}

/// [`add_columns`] for the `WIDTH` columns from `start`, the `R × WIDTH` sums held in
/// registers.
#[inline(always)]
fn add_panel<const R: usize, const WIDTH: usize>(rows: &mut [f64], block: &Block, start: usize) {
    let n = block.n;
    let mut sums: [[f64; WIDTH]; R] = std::array::from_fn(|r| std::array::from_fn(|l| rows[r * n + start + l]));
    for (x, u) in block.pairs::<R>() {
        let Some(x) = x[start..].first_chunk::<WIDTH>() else { continue };
        for (sums, &u) in sums.iter_mut().zip(u) {
            sums.iter_mut().zip(x).for_each(|(sum, x)| *sum += u * x);
        }
    }
    for (r, sums) in sums.iter().enumerate() {
        rows[r * n + start..r * n + start + WIDTH].copy_from_slice(sums);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_every_score_terms_weighted_products_with_every_term() {
        // Two players: signs, size terms `s h`, score terms `s g`, then one more term; three
        // pairs with their own `h` and `g`.
        let (players, n) = (2, 7);
        let pairs = [([1.0, -1.0], 0.25, 0.5, 1.0), ([-1.0, -1.0], 1.0, 2.0, -1.0), ([1.0, 1.0], 0.5, 0.75, 1.0)];
        let features: Vec<f64> =
            pairs.iter().flat_map(|&(s, h, g, t)| [s[0], s[1], s[0] * h, s[1] * h, s[0] * g, s[1] * g, t]).collect();
        let (weights, responses) = ([2.0, 3.0, 0.5], [1.0, -2.0, 4.0]);
        let mut sums = ScoreRows::new(n, players);
        sums.add(&features[..2 * n], &weights[..2], &responses[..2]);
        sums.add(&features[2 * n..], &weights[2..], &responses[2..]);
        let (rows, rhs) = sums.rows();
        for i in 0..players {
            for c in 0..n {
                let entry = (0..3).fold(0.0, |sum, p| sum + weights[p] * features[p * n + 4 + i] * features[p * n + c]);
                assert_eq!(rows[i * n + c], entry, "score term {i}, term {c}");
            }
            let expected = (0..3).fold(0.0, |sum, p| sum + weights[p] * features[p * n + 4 + i] * responses[p]);
            assert_eq!(rhs[i], expected);
        }
    }

    #[test]
    fn rows_of_many_players_are_the_pairs_sums_in_order() {
        // Six players (one block of four score rows and a ragged one of two) and eleven
        // triples: every panel width and the one-column ends, over five pairs added in
        // two calls. Each entry must be the same bits as the sum over the pairs in order.
        let (players, triples, pairs) = (6, 11, 5);
        let n = 3 * players + triples;
        let value = |p: usize, c: usize| ((p * 31 + c * 7) % 13) as f64 / 4.0 - 1.3 + (p * c) as f64 * 1e-3;
        let features: Vec<f64> = (0..pairs).flat_map(|p| (0..n).map(move |c| value(p, c))).collect();
        let weights: Vec<f64> = (0..pairs).map(|p| 0.3 + p as f64 * 0.7).collect();
        let responses: Vec<f64> = (0..pairs).map(|p| (p as f64 - 2.2).powi(3)).collect();
        let mut sums = ScoreRows::new(n, players);
        sums.add(&features[..2 * n], &weights[..2], &responses[..2]);
        sums.add(&features[2 * n..], &weights[2..], &responses[2..]);
        let (rows, rhs) = sums.rows();
        let weighted = |p: usize, i: usize| weights[p] * features[p * n + 2 * players + i];
        for i in 0..players {
            for c in 0..n {
                // Below the diagonal of the first three blocks, the entry is its mirror's.
                let (row, column) = match c % players {
                    j if c < 3 * players && j < i => (j, c - j + i),
                    _ => (i, c),
                };
                let entry = (0..pairs).fold(0.0, |sum, p| sum + weighted(p, row) * features[p * n + column]);
                assert_eq!(rows[i * n + c].to_bits(), entry.to_bits(), "score term {i}, term {c}");
            }
            let expected = (0..pairs).fold(0.0, |sum, p| sum + weighted(p, i) * responses[p]);
            assert_eq!(rhs[i].to_bits(), expected.to_bits(), "score term {i}");
        }
    }
}
