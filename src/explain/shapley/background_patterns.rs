//! Equal rows within a coalition's background expansion.
//!
//! The row of coalition S over background row b takes the absent players' elements from b,
//! so two background rows that agree bit for bit on every absent player's elements give
//! the same model row. Categorical and binned data (a credit scorecard's attributes) repeat
//! that way a lot: the game evaluates each distinct row once and copies its outputs to the
//! rows equal to it, so the background reduction sees the same outputs and the values are
//! the same bits, for fewer model rows. Continuous data seldom repeats, and costs one look
//! at the coalition's absent players. A coalition is scanned only where repeats are likely
//! enough to pay for a look-up per row ([`BackgroundPatterns::worth_scanning`]); the game
//! evaluates the other coalitions' rows one each, as without patterns. Skipping a scan
//! evaluates some equal rows twice and changes no value.

use std::hash::Hasher;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};

use crate::alloc::{try_filled, try_with_capacity};
use crate::backend::GroupMap;
use crate::element::Element;
use crate::error::Result;
use crate::parallel;

/// A coalition's rows are scanned for repeats only when its absent players' value
/// combinations (the product of their distinct values in the background) number fewer than
/// this many per background row. With more, rows spread evenly over the combinations repeat
/// less than 6 % of the time (1 − 8 (1 − e^(−1/8))), not worth a look-up per row: with a cheap
/// model a scan that finds nothing costs about what evaluating the rows does.
const MAX_COMBINATIONS_PER_ROW: u64 = 8;

/// Which background rows agree on each player's elements.
#[derive(Debug, Clone)]
pub struct BackgroundPatterns {
    players: usize,
    background_rows: usize,
    /// `background_rows × players`: for background row b and player j, which of the player's
    /// distinct element patterns b holds (0, 1, … in order of first appearance; equal bit for
    /// bit, equal index).
    level_of: Vec<u32>,
    /// Per player: how many distinct element patterns the background has. A player with
    /// `background_rows` of them differs on every row, so a coalition without it has as
    /// many distinct rows as background rows.
    levels: Vec<u64>,
}

/// The items of a chunk of coalitions (coalition × background row, coalition-major) that
/// give distinct model rows, and where every item's outputs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinctItems {
    /// The items to evaluate, in increasing order.
    pub evaluated: Vec<u32>,
    /// Per item: the position in `evaluated` of the item with the same row (never past the
    /// item's own position: a row's first item is the one evaluated).
    pub source: Vec<u32>,
}

impl BackgroundPatterns {
    /// The patterns of `background` (whole rows of `players.mask().len()` elements) under
    /// `players`; `None` when no coalition that leaves a player out can repeat a row (one
    /// background row, or background rows that differ on every player).
    pub fn new<E: Element>(background: &[E], players: &GroupMap) -> Result<Option<Self>> {
        let row_len = players.mask().len();
        let background_rows = background.len() / row_len.max(1);
        let player_count = players.len();
        if background_rows < 2 || background_rows > u32::MAX as usize || player_count == 0 {
            return Ok(None);
        }
        let words = row_len * std::mem::size_of::<E>() / std::mem::size_of::<u32>();
        let per_element = std::mem::size_of::<E>() / std::mem::size_of::<u32>();
        let rows: &[u32] = bytemuck::cast_slice(&background[..background_rows * row_len]);
        let row = |b: usize| &rows[b * words..(b + 1) * words];
        let mut level_of = try_filled("background patterns", background_rows.saturating_mul(player_count), 0u32)?;
        let mut levels = try_filled("background patterns", player_count, 0u64)?;
        let mut first_of: FxHashMap<u64, u32> = FxHashMap::default();
        for (j, player_levels) in levels.iter_mut().enumerate() {
            let player_words = |b: usize, visit: &mut dyn FnMut(&[u32])| {
                players.for_each_run(j, |start, len| visit(&row(b)[start * per_element..(start + len) * per_element]));
            };
            let same = |a: usize, b: usize| {
                let mut equal = true;
                players.for_each_run(j, |start, len| {
                    let words = start * per_element..(start + len) * per_element;
                    equal &= row(a)[words.clone()] == row(b)[words];
                });
                equal
            };
            first_of.clear();
            for b in 0..background_rows {
                let mut hasher = FxHasher::default();
                player_words(b, &mut |words| words.iter().for_each(|&w| hasher.write_u32(w)));
                let first = *first_of.entry(hasher.finish()).or_insert(b as u32);
                // A hash shared by unequal values leaves the row with a level of its own.
                level_of[b * player_count + j] = if first as usize != b && same(first as usize, b) {
                    level_of[first as usize * player_count + j]
                } else {
                    *player_levels += 1;
                    (*player_levels - 1) as u32
                };
            }
        }
        if levels.iter().all(|&l| l as usize == background_rows) {
            return Ok(None);
        }
        Ok(Some(Self { players: player_count, background_rows, level_of, levels }))
    }

    /// Bytes the patterns hold.
    pub fn bytes(&self) -> usize {
        self.level_of.len() * std::mem::size_of::<u32>() + self.levels.len() * std::mem::size_of::<u64>()
    }

    /// The distinct items of `coalitions` (packed, `words` `u64` per coalition) over the
    /// background; `None` when every item's row is distinct (or the items do not fit `u32`).
    /// Coalitions are scanned in parallel on the current rayon pool; the result does not
    /// depend on its threads.
    pub fn distinct_items(&self, coalitions: &[u64], words: usize) -> Result<Option<DistinctItems>> {
        let count = coalitions.len() / words.max(1);
        let items = count.saturating_mul(self.background_rows);
        if items > u32::MAX as usize || items == 0 {
            return Ok(None);
        }
        // First each item's first equal background row within its coalition, in `source`...
        let mut source = try_filled("distinct background rows", items, 0u32)?;
        let coalitions = source.par_chunks_mut(self.background_rows).zip(coalitions.par_chunks_exact(words));
        let repeats: Vec<bool> =
            parallel::map_init_collect(coalitions, CoalitionScan::default, |scan, (first, bits)| {
                let repeats = self.first_equal_rows(bits, scan);
                if repeats {
                    first.copy_from_slice(&scan.first);
                }
                repeats
            });
        if !repeats.contains(&true) {
            return Ok(None);
        }
        // ... then, in order, the items to evaluate and each item's source among them.
        let mut evaluated = try_with_capacity("distinct background rows", items)?;
        for (c, &repeats) in repeats.iter().enumerate() {
            let first_item = c * self.background_rows;
            let source = &mut source[first_item..first_item + self.background_rows];
            for b in 0..self.background_rows {
                // An earlier row's source is already set: `first` is never past `b`.
                let first = source[b] as usize;
                source[b] = if !repeats || first == b {
                    evaluated.push((first_item + b) as u32);
                    (evaluated.len() - 1) as u32
                } else {
                    source[first]
                };
            }
        }
        Ok(Some(DistinctItems { evaluated, source }))
    }

    /// Whether coalition `bits` is worth a scan for repeated rows: none of its absent players
    /// differs on every background row, and their value combinations number fewer than
    /// [`MAX_COMBINATIONS_PER_ROW`] per background row. A coalition that is not has its rows
    /// evaluated one each.
    pub fn worth_scanning(&self, bits: &[u64]) -> bool {
        self.absent_combinations(bits, |_| ()).is_some()
    }

    /// The number of value combinations of the absent players of `bits`, each absent player
    /// passed to `absent` in order; `None` (after some of them) when the coalition is not
    /// worth scanning.
    fn absent_combinations(&self, bits: &[u64], mut absent: impl FnMut(usize)) -> Option<u64> {
        let worth_scanning = (self.background_rows as u64).saturating_mul(MAX_COMBINATIONS_PER_ROW);
        let mut combinations = 1u64;
        for j in 0..self.players {
            if (bits[j / 64] >> (j % 64)) & 1 == 0 {
                combinations = combinations.saturating_mul(self.levels[j]);
                if self.levels[j] as usize == self.background_rows || combinations >= worth_scanning {
                    return None;
                }
                absent(j);
            }
        }
        Some(combinations)
    }

    /// Sets `scan.first[b]` to the first background row giving the same row as b under the
    /// coalition `bits`; false (and `scan.first` unset) when every row is distinct, or when
    /// the coalition is not worth scanning ([`Self::worth_scanning`]).
    fn first_equal_rows(&self, bits: &[u64], scan: &mut CoalitionScan) -> bool {
        scan.absent.clear();
        let Some(combinations) = self.absent_combinations(bits, |j| scan.absent.push(j)) else {
            return false;
        };
        // The absent players' levels as one mixed-radix number below `combinations`: equal
        // numbers, equal rows. `scan.first_of` is indexed by it (all unset between scans).
        if scan.first_of.len() < combinations as usize {
            scan.first_of.resize(combinations as usize, u32::MAX);
        }
        scan.first.clear();
        scan.keys.clear();
        let mut repeats = false;
        for b in 0..self.background_rows {
            let row_levels = &self.level_of[b * self.players..(b + 1) * self.players];
            let key = scan.absent.iter().fold(0usize, |key, &j| key * self.levels[j] as usize + row_levels[j] as usize);
            let first = &mut scan.first_of[key];
            if *first == u32::MAX {
                *first = b as u32;
                scan.keys.push(key);
            } else {
                repeats = true;
            }
            scan.first.push(*first);
        }
        for &key in &scan.keys {
            scan.first_of[key] = u32::MAX;
        }
        repeats
    }
}

impl DistinctItems {
    /// Spreads the outputs of the evaluated items (the first `evaluated.len()` rows of
    /// `outputs`, `output_len` each) to every item's place, in place.
    pub fn spread_outputs<E: Copy>(&self, outputs: &mut [E], output_len: usize) {
        // Backwards: an item's source is never past it, so no source is overwritten before
        // it is read.
        for (item, &source) in self.source.iter().enumerate().rev() {
            let source = source as usize;
            if source != item {
                // Element by element: a call to `copy_within` per item costs more than the
                // copy of an output or two.
                for k in 0..output_len {
                    outputs[item * output_len + k] = outputs[source * output_len + k];
                }
            }
        }
    }
}

/// Scratch of one coalition's scan.
#[derive(Default)]
struct CoalitionScan {
    /// The coalition's absent players.
    absent: Vec<usize>,
    /// Per background row: the first row equal to it.
    first: Vec<u32>,
    /// Per combination of the absent players' levels: its first row (`u32::MAX`: none yet).
    first_of: Vec<u32>,
    /// The combinations set in `first_of` by this scan, to unset after it.
    keys: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(background: &[f32], mask: &[u32]) -> Option<BackgroundPatterns> {
        BackgroundPatterns::new(background, &GroupMap::new(mask, "players").unwrap()).unwrap()
    }

    /// Brute force: the items of `coalitions` whose row equals an earlier item's of the
    /// same coalition, as (evaluated, source).
    fn brute_force(background: &[f32], mask: &[u32], coalitions: &[u64]) -> (Vec<u32>, Vec<u32>) {
        let n = mask.len();
        let rows = background.len() / n;
        let (mut evaluated, mut source) = (Vec::new(), Vec::new());
        for (c, &bits) in coalitions.iter().enumerate() {
            let pattern = |b: usize| -> Vec<u32> {
                (0..n).filter(|&e| (bits >> mask[e]) & 1 == 0).map(|e| background[b * n + e].to_bits()).collect()
            };
            for b in 0..rows {
                match (0..b).find(|&a| pattern(a) == pattern(b)) {
                    Some(a) => source.push(source[c * rows + a]),
                    None => {
                        source.push(evaluated.len() as u32);
                        evaluated.push((c * rows + b) as u32);
                    }
                }
            }
        }
        (evaluated, source)
    }

    #[test]
    fn finds_exactly_the_repeated_rows_of_each_coalition() {
        // Four players over six elements (player 1 spans two), five background rows with
        // repeats on some players and not others.
        let mask = [0, 1, 2, 1, 3, 3];
        #[rustfmt::skip]
        let background = [
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0,
            1.0, 2.0, 0.0, 4.0, 5.0, 7.0,
            1.0, 2.0, 3.0, 9.0, 5.0, 6.0,
            8.0, 2.0, 3.0, 4.0, 5.0, 6.0,
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0,
        ];
        let patterns = patterns(&background, &mask).expect("rows repeat");
        let coalitions: Vec<u64> = (0..16).collect();
        let found = patterns.distinct_items(&coalitions, 1).unwrap().expect("some coalition repeats");
        let (evaluated, source) = brute_force(&background, &mask, &coalitions);
        assert_eq!(found.evaluated, evaluated);
        assert_eq!(found.source, source);
        assert!(evaluated.len() < 16 * 5);
    }

    #[test]
    fn negative_zero_is_not_zero_and_distinct_backgrounds_have_no_patterns() {
        let mask = [0, 1];
        let signed = patterns(&[0.0, 1.0, -0.0, 2.0], &mask);
        assert!(signed.is_none(), "-0.0 and 0.0 differ in bits, so no row repeats");
        assert!(patterns(&[1.0, 2.0], &mask).is_none(), "one background row");
        let repeated = patterns(&[0.0, 1.0, 0.0, 2.0], &mask).unwrap();
        // Player 1 absent: its values differ, every row distinct.
        assert_eq!(repeated.distinct_items(&[0b01], 1).unwrap(), None);
        // Only player 0 absent: both rows take its 0.0 and player 1 from x.
        let two = repeated.distinct_items(&[0b01, 0b10], 1).unwrap().unwrap();
        assert_eq!(two.evaluated, vec![0, 1, 2]);
        assert_eq!(two.source, vec![0, 1, 2, 2]);
    }

    #[test]
    fn spreads_outputs_to_every_item() {
        let items = DistinctItems { evaluated: vec![0, 2, 3], source: vec![0, 0, 1, 2, 1] };
        let mut outputs = vec![10.0, 11.0, 20.0, 21.0, 30.0, 31.0, -1.0, -1.0, -1.0, -1.0];
        items.spread_outputs(&mut outputs, 2);
        assert_eq!(outputs, vec![10.0, 11.0, 10.0, 11.0, 20.0, 21.0, 30.0, 31.0, 20.0, 21.0]);
    }
}
