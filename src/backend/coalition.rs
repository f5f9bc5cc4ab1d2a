//! The coalition-masking primitive family (KernelSHAP, Shapley Value Sampling): for a
//! coalition z of players and a background row b, the row z⊙x + (1−z)⊙b, where a player
//! is a group of input elements; and the weighted mean of model outputs over the
//! background rows of each coalition.

use super::GroupMap;
use crate::element::Element;

/// A batched coalition run for one explained row: item `i` is coalition
/// `i / background_rows` over background row `i % background_rows`.
#[derive(Debug, Clone, Copy)]
pub struct CoalitionJob<'a, E: Element = f32> {
    /// The explained row.
    pub x: &'a [E],
    /// `background_rows × row_len` background rows, row-major.
    pub background: &'a [E],
    /// The player of each input element.
    pub players: &'a GroupMap,
    /// Coalitions packed as bits: `words` `u64` per coalition, bit `j % 64` of word
    /// `j / 64` set when player `j` takes its value from `x`.
    pub coalitions: &'a [u64],
    /// `u64` words per coalition.
    pub words: usize,
}

impl<E: Element> CoalitionJob<'_, E> {
    /// Elements per row.
    pub fn row_len(&self) -> usize {
        self.x.len()
    }

    /// Number of background rows.
    pub fn background_rows(&self) -> usize {
        self.background.len() / self.row_len().max(1)
    }

    /// Number of coalitions.
    pub fn coalitions(&self) -> usize {
        self.coalitions.len() / self.words.max(1)
    }

    /// Number of items (coalitions × background rows).
    pub fn items(&self) -> usize {
        self.coalitions() * self.background_rows()
    }

    /// Coalition `c`'s packed bits (`words` words; bit `j % 64` of word `j / 64` is player `j`).
    pub fn bits(&self, c: usize) -> &[u64] {
        &self.coalitions[c * self.words..(c + 1) * self.words]
    }
}
