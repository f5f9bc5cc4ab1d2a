//! The rows of the coalitions shap's sampler has drawn, so that a coalition drawn again adds
//! to its row's count instead of taking a new one. Complementary pairs are keyed once, by
//! the coalition of the pair without the last player. Where the players are few and the
//! first round draws enough pairs, the rows sit in a table with an entry per such key, read
//! without hashing; elsewhere in a hash map. Both answer the same questions, so the choice
//! never changes a schedule. At M = 16, budget 2080 (`kernel_shap_floor/engine/shap`), the
//! hash map's keys, lookups, inserts and freeing took 2.8 % of the samples, the table's
//! (128 KiB) lookups and inserts 0.7 %.

use rustc_hash::FxHashMap;

use super::schedule::{complement, drawn_set_bytes, CoalitionKey, WORD_BITS};
use crate::alloc::try_filled;

/// The most players the table serves: 2^16 entries over the pairs of 17 players (256 KiB).
const MAX_TABLE_PLAYERS: usize = 17;

/// The most table entries per pair reserved in the first round: zeroing 64 entries (256
/// bytes) costs about what one draw's hash lookup and insert do.
const TABLE_ENTRIES_PER_PAIR: usize = 64;

/// Each drawn coalition's row, or for paired draws each drawn pair's first row.
pub(super) struct SampledRows {
    /// The players.
    players: usize,
    /// Whether coalitions come in complementary pairs, keyed once.
    paired: bool,
    rows: Rows,
}

/// Where [`SampledRows`] keeps the rows.
enum Rows {
    /// Entry `k` holds one more than the first row of the pair keyed by coalition `k` (its
    /// bits read as one number), 0 where no pair is; only for paired draws.
    Table(Vec<u32>),
    /// The row of each key.
    Hashed(FxHashMap<CoalitionKey, usize>),
}

impl SampledRows {
    /// An empty set for `players` players, sized for a first round of `coalitions`
    /// coalitions, drawn in complementary pairs when `paired`.
    pub(super) fn new(players: usize, coalitions: usize, paired: bool) -> Self {
        let table = table_entries(players, coalitions, paired)
            .and_then(|entries| try_filled("the sampler's rows of drawn coalitions", entries, 0u32).ok());
        let rows = match table {
            Some(table) => Rows::Table(table),
            None => Rows::Hashed(FxHashMap::with_capacity_and_hasher(keys(coalitions, paired), Default::default())),
        };
        Self { players, paired, rows }
    }

    /// The row of coalition `bits` if it was drawn; for paired draws, the first row of its
    /// pair, whichever of the two was drawn.
    pub(super) fn get(&self, bits: &[u64]) -> Option<usize> {
        match (&self.rows, bits) {
            (Rows::Table(table), &[word]) => {
                let entry = *table.get(table_index(self.players, word))?;
                entry.checked_sub(1).map(|row| row as usize)
            }
            (Rows::Table(_), _) => None,
            (Rows::Hashed(rows), bits) => rows.get(&key(self.players, self.paired, bits)).copied(),
        }
    }

    /// Records that coalition `bits` (for paired draws, its pair) starts at `row`.
    pub(super) fn insert(&mut self, bits: &[u64], row: usize) {
        let Self { players, paired, rows } = self;
        match (rows, bits) {
            (Rows::Table(table), &[word]) => {
                if let (Some(entry), Ok(row)) = (table.get_mut(table_index(*players, word)), u32::try_from(row + 1)) {
                    *entry = row;
                }
            }
            (Rows::Table(_), _) => {}
            (Rows::Hashed(rows), bits) => {
                rows.insert(key(*players, *paired, bits), row);
            }
        }
    }

    /// The bytes the set holds at most once `coalitions` coalitions of `players` players are
    /// drawn, the first round's `first_round` of them, in pairs when `paired`.
    pub(super) fn bytes(players: usize, first_round: usize, coalitions: usize, paired: bool) -> usize {
        table_entries(players, first_round, paired).map_or_else(
            || drawn_set_bytes(players, keys(coalitions, paired), std::mem::size_of::<usize>()),
            |entries| entries * std::mem::size_of::<u32>(),
        )
    }

    /// The bytes the set holds now.
    #[cfg(test)]
    pub(super) fn held_bytes(&self) -> usize {
        match &self.rows {
            Rows::Table(table) => table.len() * std::mem::size_of::<u32>(),
            Rows::Hashed(rows) => drawn_set_bytes(self.players, rows.capacity(), std::mem::size_of::<usize>()),
        }
    }

    /// Whether the rows sit in the table.
    #[cfg(test)]
    fn in_table(&self) -> bool {
        matches!(self.rows, Rows::Table(_))
    }
}

/// The table entry of the pair holding coalition `word` of `players` players: the word of
/// the pair's coalition without the last player.
fn table_index(players: usize, word: u64) -> usize {
    let last = 1u64 << (players - 1);
    let key = if word & last == 0 { word } else { !word & (last - 1) };
    key as usize
}

/// The hash key of coalition `bits` of `players` players: when `paired`, that of its
/// pair's coalition without the last player (its complement, where it holds that player).
fn key(players: usize, paired: bool, bits: &[u64]) -> CoalitionKey {
    let last = players - 1;
    if !paired || bits[last / WORD_BITS] >> (last % WORD_BITS) & 1 == 0 {
        return CoalitionKey::of(bits);
    }
    let mut other = bits.to_vec();
    complement(players, &mut other);
    CoalitionKey::of(&other)
}

/// The keys of `coalitions` coalitions: one per pair when `paired`.
fn keys(coalitions: usize, paired: bool) -> usize {
    if paired {
        coalitions.div_ceil(2)
    } else {
        coalitions
    }
}

/// The entries of the table for `players` players and a first round of `coalitions`
/// coalitions, `None` where the hash map serves: lone draws, more than
/// [`MAX_TABLE_PLAYERS`] players, or more than [`TABLE_ENTRIES_PER_PAIR`] entries per pair.
fn table_entries(players: usize, coalitions: usize, paired: bool) -> Option<usize> {
    let entries = (paired && (2..=MAX_TABLE_PLAYERS).contains(&players)).then(|| 1usize << (players - 1))?;
    (entries <= keys(coalitions, paired).saturating_mul(TABLE_ENTRIES_PER_PAIR)).then_some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Coalition `word` of `players` players with its complement, as one-word bits.
    fn pair(players: usize, word: u64) -> [u64; 2] {
        [word, !word & ((1u64 << players) - 1)]
    }

    /// The table and the hash map give the same rows, for either coalition of a pair.
    #[test]
    fn the_table_and_the_hash_map_hold_the_same_rows() {
        let players = 10;
        let mut table = SampledRows::new(players, 1000, true);
        let mut hashed = SampledRows { players, paired: true, rows: Rows::Hashed(FxHashMap::default()) };
        assert!(table.in_table() && !hashed.in_table());
        let drawn: Vec<u64> = (0..200u64).map(|k| (k * 37 + 5) % 1022 + 1).collect();
        let mut first_row = std::collections::HashMap::new();
        for (pair_index, &word) in drawn.iter().enumerate() {
            let [drawn_word, other] = pair(players, word);
            if first_row.contains_key(&drawn_word) {
                continue;
            }
            let row = 30 + 2 * pair_index;
            first_row.insert(drawn_word, row);
            first_row.insert(other, row);
            table.insert(&[drawn_word], row);
            hashed.insert(&[drawn_word], row);
        }
        for word in 1..1023u64 {
            let expected = first_row.get(&word).copied();
            assert_eq!(table.get(&[word]), expected, "coalition {word:b}");
            assert_eq!(hashed.get(&[word]), expected, "coalition {word:b}");
        }
    }

    /// Lone draws key each coalition apart from its complement.
    #[test]
    fn lone_draws_key_every_coalition() {
        let mut rows = SampledRows::new(6, 10, false);
        assert!(!rows.in_table());
        rows.insert(&[0b000111], 4);
        assert_eq!(rows.get(&[0b000111]), Some(4));
        assert_eq!(rows.get(&[0b111000]), None);
    }

    /// Pairs over more than one word are keyed by the coalition without the last player.
    #[test]
    fn pairs_of_many_words_are_keyed_once() {
        let players = 70;
        let mut rows = SampledRows::new(players, 100, true);
        let with_last = [0b1011, 1 << 5];
        let without_last = [!0b1011, !(1u64 << 5) & ((1 << 6) - 1)];
        rows.insert(&with_last, 8);
        assert_eq!(rows.get(&with_last), Some(8));
        assert_eq!(rows.get(&without_last), Some(8));
        assert_eq!(rows.get(&[0b1011, 0]), None);
    }

    /// The table is chosen by the players and the first round alone, and the bytes counted
    /// are those held, whichever holds the rows.
    #[test]
    fn the_bytes_counted_are_those_held() {
        for (players, first_round, paired, in_table) in [
            (16, 2080, true, true),
            (16, 100, true, false),
            (16, 2080, false, false),
            (17, 4096, true, true),
            (18, 100_000, true, false),
            (10, 30, true, true),
        ] {
            let rows = SampledRows::new(players, first_round, paired);
            assert_eq!(rows.in_table(), in_table, "{players} players, {first_round} coalitions");
            assert_eq!(rows.held_bytes(), SampledRows::bytes(players, first_round, first_round, paired));
        }
        assert_eq!(SampledRows::bytes(16, 2080, 9000, true), 32768 * 4);
    }
}
