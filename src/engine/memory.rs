//! What one call may hold under the engine's memory budget. A method first counts the
//! working set it keeps for the whole call (regression rows, path points, a population);
//! what remains of the budget bounds its batches. When the working set and one batch row
//! do not fit, the call is refused with `BudgetTooSmall` naming the minimum, before
//! anything is allocated.

use std::cell::RefCell;

use crate::error::{Error, ErrorKind, Result};
use crate::thread_scope::ThreadScope;

thread_local! {
    /// The budget of the calls made on this thread inside [`with_budget_cap`].
    static BUDGET_CAP: RefCell<Option<usize>> = const { RefCell::new(None) };
}

/// Runs `call` with the memory budget of every Lumen call it makes on this thread capped
/// at `bytes`: for a method that runs another one inside its own working set (NoiseTunnel
/// around its base method). Caps nest (the smaller wins) and end with `call`, even when
/// it unwinds.
pub(crate) fn with_budget_cap<T>(bytes: usize, call: impl FnOnce() -> T) -> T {
    let capped = budget_cap().map_or(bytes, |outer| outer.min(bytes));
    let _scope = ThreadScope::set(&BUDGET_CAP, Some(capped));
    call()
}

/// The cap [`with_budget_cap`] put on this thread's calls, if any.
pub(crate) fn budget_cap() -> Option<usize> {
    BUDGET_CAP.with(|cap| *cap.borrow())
}

/// The working set of one call, counted against its budget.
#[derive(Debug, Clone)]
pub struct WorkingSet {
    budget: usize,
    /// Bytes counted; `None` once a size overflowed.
    held: Option<usize>,
    parts: Vec<(&'static str, usize)>,
}

impl WorkingSet {
    /// An empty working set under `budget` bytes.
    pub fn new(budget: usize) -> Self {
        Self { budget, held: Some(0), parts: Vec::new() }
    }

    /// Counts `count` items of `each` bytes that the call keeps, as `what` (a phrase such
    /// as "the regression design"). A size that overflows is too large for any budget.
    pub fn hold(mut self, what: &'static str, count: usize, each: usize) -> Self {
        let bytes = count.checked_mul(each);
        self.held = self.held.zip(bytes).and_then(|(held, bytes)| held.checked_add(bytes));
        self.parts.push((what, bytes.unwrap_or(usize::MAX)));
        self
    }

    /// Bytes counted so far (`usize::MAX` once a size overflowed).
    pub fn held(&self) -> usize {
        self.held.unwrap_or(usize::MAX)
    }

    /// The bytes left for batches once the working set is held: at least
    /// `min_batch_bytes` (one batch row and what it produces), or `BudgetTooSmall` with
    /// the minimum budget that would do.
    pub fn batch_budget(&self, min_batch_bytes: usize) -> Result<usize> {
        let needed = self.held.and_then(|held| held.checked_add(min_batch_bytes));
        if let Some(needed) = needed.filter(|&needed| needed <= self.budget) {
            return Ok(self.budget - (needed - min_batch_bytes));
        }
        // Parts of no bytes (a list the call does not need) are left out of the message.
        let parts: Vec<String> = self
            .parts
            .iter()
            .filter(|&&(_, bytes)| bytes > 0)
            .map(|(what, bytes)| format!("{what} ({bytes} bytes)"))
            .collect();
        let held = if parts.is_empty() { String::new() } else { format!("{} and ", parts.join(", ")) };
        Err(Error::new(
            ErrorKind::BudgetTooSmall,
            format!(
                "memory_budget_bytes: {} cannot hold {held}one batch ({min_batch_bytes} bytes); expected at least {}",
                self.budget,
                describe(needed)
            ),
        ))
    }
}

/// A byte count, or why there is none.
fn describe(bytes: Option<usize>) -> String {
    match bytes {
        Some(bytes) => format!("{bytes} bytes"),
        None => "more bytes than a usize can count (the work is too large)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_batches_get_what_the_working_set_leaves() {
        let set = WorkingSet::new(1000).hold("the design", 10, 8).hold("the values", 5, 4);
        assert_eq!(set.held(), 100);
        assert_eq!(set.batch_budget(900).unwrap(), 900);
        let error = set.batch_budget(901).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::BudgetTooSmall);
        assert_eq!(
            error.message(),
            "memory_budget_bytes: 1000 cannot hold the design (80 bytes), the values (20 bytes) and one batch (901 bytes); expected at least 1001 bytes"
        );
    }

    #[test]
    fn overflowing_sizes_are_too_large_for_any_budget() {
        let set = WorkingSet::new(usize::MAX).hold("the points", usize::MAX, 2);
        let error = set.batch_budget(1).unwrap_err();
        assert!(error.message().contains("more bytes than a usize can count"), "{}", error.message());
    }

    #[test]
    fn caps_nest_and_end_with_their_call() {
        assert_eq!(budget_cap(), None);
        with_budget_cap(100, || {
            assert_eq!(budget_cap(), Some(100));
            with_budget_cap(500, || assert_eq!(budget_cap(), Some(100)));
            with_budget_cap(40, || assert_eq!(budget_cap(), Some(40)));
            assert_eq!(budget_cap(), Some(100));
        });
        assert_eq!(budget_cap(), None);
    }
}
