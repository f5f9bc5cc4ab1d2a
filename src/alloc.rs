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

/// [`try_with_capacity`] for a large buffer that is written once from start to end (an
/// explanation's attributions): on Linux, the whole 2 MiB pages inside it are offered
/// transparent huge pages (`madvise(MADV_HUGEPAGE)`), so that writing it takes one page
/// fault per 2 MiB instead of one per 4 KiB where the allocator maps it fresh (glibc does
/// so for every large buffer once a host fixes its thresholds, as Dask's workers do).
/// Smaller buffers, and kernels that give no huge pages, are left as they are.
pub fn try_with_capacity_large<T>(what: &str, len: usize) -> Result<Vec<T>> {
    let vector: Vec<T> = try_with_capacity(what, len)?;
    huge_pages::advise(vector.as_ptr().cast(), vector.capacity().saturating_mul(std::mem::size_of::<T>()));
    Ok(vector)
}

#[cfg(target_os = "linux")]
mod huge_pages {
    /// A transparent huge page on x86-64 and aarch64 with 4 KiB pages.
    const HUGE_PAGE: usize = 2 << 20;

    /// Advises huge pages for the whole huge pages inside `bytes` bytes from `start` (none
    /// in a buffer that holds no whole one); the advice is a hint, and a kernel that
    /// refuses it changes nothing.
    pub(super) fn advise(start: *const u8, bytes: usize) {
        let Some(first) = (start as usize).checked_next_multiple_of(HUGE_PAGE) else { return };
        let end = (start as usize).saturating_add(bytes) / HUGE_PAGE * HUGE_PAGE;
        if end > first {
            // SAFETY: `first..end` lies inside the caller's live allocation of `bytes` bytes
            // from `start` and is page-aligned; MADV_HUGEPAGE changes how its pages are
            // backed, never their contents or the mapping's validity.
            unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod huge_pages {
    /// No advice outside Linux.
    pub(super) fn advise(_start: *const u8, _bytes: usize) {}
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

    #[test]
    fn large_buffers_are_ordinary_vectors_with_their_capacity() {
        for len in [0, 3, 5 << 18, (9 << 20) / 8 + 5] {
            let mut vector = try_with_capacity_large::<f64>("the attributions", len).unwrap();
            assert!(vector.capacity() >= len);
            vector.extend((0..len).map(|i| i as f64));
            assert!(vector.iter().enumerate().all(|(i, &v)| v == i as f64), "{len} values written and read back");
        }
        let error = try_with_capacity_large::<f64>("the attributions", usize::MAX / 4).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::OutOfMemory);
        assert!(error.message().starts_with("the attributions: could not allocate"), "{}", error.message());
    }
}
