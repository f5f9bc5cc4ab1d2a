//! Fallible allocation: vectors sized by a caller's numbers are allocated with
//! `try_reserve`, so memory the system cannot give is `OutOfMemory`, never an abort of
//! the host process.

use crate::error::{Error, ErrorKind, Result};

/// `len` copies of `value` in a new vector, or `OutOfMemory` naming `what` when the
/// system cannot provide the memory.
pub fn try_filled<T: Clone>(what: &str, len: usize, value: T) -> Result<Vec<T>> {
    let mut vector = try_with_capacity(what, len)?;
    vector.resize(len, value);
    Ok(vector)
}

/// A copy of `values`, or `OutOfMemory` naming `what` (a caller's buffer of absurd
/// length is refused instead of aborting the host).
pub fn try_copy<T: Copy>(what: &str, values: &[T]) -> Result<Vec<T>> {
    let mut copy = try_with_capacity(what, values.len())?;
    copy.extend_from_slice(values);
    Ok(copy)
}

/// An empty vector with room for `len` elements, or `OutOfMemory` naming `what`.
pub fn try_with_capacity<T>(what: &str, len: usize) -> Result<Vec<T>> {
    let mut vector = Vec::new();
    vector.try_reserve_exact(len).map_err(|_| out_of_memory::<T>(what, len))?;
    Ok(vector)
}

/// The `OutOfMemory` error for `len` elements of `T` named `what`.
pub(crate) fn out_of_memory<T>(what: &str, len: usize) -> Error {
    Error::new(
        ErrorKind::OutOfMemory,
        format!(
            "{what}: could not allocate {len} elements of {} bytes; lower the work or the memory budget",
            std::mem::size_of::<T>()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_allocations_are_out_of_memory() {
        let error = try_filled::<u64>("the points", usize::MAX / 4, 0).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::OutOfMemory);
        assert!(error.message().starts_with("the points: could not allocate"), "{}", error.message());
        assert_eq!(try_filled("x", 3, 1.5f32).unwrap(), vec![1.5; 3]);
    }
}
