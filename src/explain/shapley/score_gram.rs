//! The score terms' rows of the interaction fit's normal equations, summed pair by pair.
//!
//! A score term `u_i(S) = (2 z_i − 1) · (Σ_j b_j (2 z_j − 1))²` is not ±1, so its entries
//! cannot be counted from sign bits as the other terms' are
//! ([`sign_gram`](super::sign_gram)): each pair adds its weighted score terms times all its
//! terms. The sums run over the pairs in a fixed order, each entry on its own, so they are
//! the same bits on any number of threads and with or without AVX2.

use std::ops::Range;

use super::wide::avx2_dispatch;

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
    /// Each score term's weighted value at each pair of the block being added,
    /// `w_p u_i(p)` (reused from block to block).
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

/// Entries of one row summed at once over a block of pairs (four AVX2 vectors, held in
/// registers while the block's pairs are added); ragged ends go [`QUAD`] at a time.
const PANEL: usize = 16;

/// The narrower panel of a row's ragged ends.
const QUAD: usize = 4;

avx2_dispatch! {
    /// [`ScoreRows::add`].
    fn add_pairs(sums: &mut ScoreRows, features: &[f64], weights: &[f64], responses: &[f64]) => portable_add_pairs;
}

#[inline(always)]
fn portable_add_pairs(sums: &mut ScoreRows, features: &[f64], weights: &[f64], responses: &[f64]) {
    let (n, players) = (sums.n, sums.players);
    let (pairs, scores) = (weights.len().max(1), 2 * players);
    let ScoreRows { rows, rhs, weighted, .. } = sums;
    weighted.resize(players * pairs, 0.0);
    for (i, row) in weighted.chunks_exact_mut(pairs).enumerate() {
        row.iter_mut().zip(features.chunks_exact(n)).zip(weights).for_each(|((u, x), w)| *u = w * x[scores + i]);
    }
    let rows = rows.chunks_exact_mut(n).zip(rhs).zip(weighted.chunks_exact(pairs));
    for (i, ((row, rhs), weighted)) in rows.enumerate() {
        // From the whole quad that holds player `i`: no ragged start.
        let from = i - i % QUAD;
        add_columns(row, features, n, from..players, weighted);
        add_columns(row, features, n, players + from..scores, weighted);
        add_columns(row, features, n, scores + from..n, weighted);
        *rhs = weighted.iter().zip(responses).fold(*rhs, |sum, (u, y)| sum + u * y);
    }
}

/// Adds `Σ_p weighted[p] · x_p[c]` to `row[c]` for the columns `columns`, `x_p` pair `p`'s
/// terms in `features` (`n` per pair), the pairs in order: [`PANEL`] columns at a time,
/// then [`QUAD`], then one.
#[inline(always)]
fn add_columns(row: &mut [f64], features: &[f64], n: usize, columns: Range<usize>, weighted: &[f64]) {
    let mut start = columns.start;
    while start + PANEL <= columns.end {
        add_panel::<PANEL>(row, features, n, start, weighted);
        start += PANEL;
    }
    while start + QUAD <= columns.end {
        add_panel::<QUAD>(row, features, n, start, weighted);
        start += QUAD;
    }
    for c in start..columns.end {
        row[c] = features.chunks_exact(n).zip(weighted).fold(row[c], |sum, (x, u)| sum + u * x[c]);
    }
}

/// [`add_columns`] for the `WIDTH` columns from `start`, their sums held in registers.
#[inline(always)]
fn add_panel<const WIDTH: usize>(row: &mut [f64], features: &[f64], n: usize, start: usize, weighted: &[f64]) {
    let panel = start..start + WIDTH;
    let mut sums: [f64; WIDTH] = std::array::from_fn(|l| row[start + l]);
    for (x, &u) in features.chunks_exact(n).zip(weighted) {
        sums.iter_mut().zip(&x[panel.clone()]).for_each(|(sum, x)| *sum += u * x);
    }
    row[panel].copy_from_slice(&sums);
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
}
