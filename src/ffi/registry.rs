//! The live handles: every handle Lumen gives out is registered with its type until it is
//! freed, so that a freed handle, a handle of another type or a pointer that is no handle
//! is refused with a status before Lumen reads through it, and so that an engine or model
//! that a call is using cannot be freed under it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

use super::boundary::FfiError;
use super::status::lumen_status;

/// A type of opaque handle.
pub(crate) trait Handle {
    /// The C name of the type, for messages.
    const NAME: &'static str;
}

/// One live handle: its type and how many calls are using it.
struct Entry {
    kind: &'static str,
    in_use: Arc<AtomicUsize>,
}

static LIVE: LazyLock<RwLock<HashMap<usize, Entry>>> = LazyLock::new(|| RwLock::new(HashMap::new()));

fn live() -> std::sync::RwLockReadGuard<'static, HashMap<usize, Entry>> {
    LIVE.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn live_mut() -> std::sync::RwLockWriteGuard<'static, HashMap<usize, Entry>> {
    LIVE.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Boxes `value` into a new registered handle.
pub(crate) fn into_handle<T: Handle>(value: T) -> *mut T {
    let ptr = Box::into_raw(Box::new(value));
    live_mut().insert(ptr as usize, Entry { kind: T::NAME, in_use: Arc::new(AtomicUsize::new(0)) });
    ptr
}

/// Why `ptr` is no live `T`, or `None` when it is one.
fn not_live<T: Handle>(ptr: *const T, argument: &str) -> Option<FfiError> {
    if ptr.is_null() {
        return Some(FfiError::null(argument));
    }
    match live().get(&(ptr as usize)) {
        Some(entry) if entry.kind == T::NAME => None,
        Some(entry) => Some(FfiError::new(
            lumen_status::InvalidArgument,
            format!("{argument}: is a {}, expected a {}", entry.kind, T::NAME),
        )),
        None => Some(FfiError::new(
            lumen_status::InvalidArgument,
            format!("{argument}: {ptr:p} is not a live {} (already freed, or not made by Lumen)", T::NAME),
        )),
    }
}

/// Borrows the live handle at `ptr`.
///
/// # Safety
/// A registered `ptr` stays valid for `'a` (the caller does not free it meanwhile).
pub(crate) unsafe fn handle<'a, T: Handle>(ptr: *const T, argument: &str) -> Result<&'a T, FfiError> {
    if let Some(error) = not_live(ptr, argument) {
        return Err(error);
    }
    // SAFETY: registered by `into_handle` (a live box of `T`), not freed since.
    Ok(unsafe { &*ptr })
}

/// Marks a handle as used by a call until dropped: it cannot be freed meanwhile.
#[derive(Debug)]
pub(crate) struct InUse(Arc<AtomicUsize>);

impl Drop for InUse {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Borrows the live handle at `ptr` for a call that uses it until the guard drops.
///
/// # Safety
/// As for [`handle`].
pub(crate) unsafe fn use_handle<'a, T: Handle>(ptr: *const T, argument: &str) -> Result<(&'a T, InUse), FfiError> {
    let guard = {
        let live = live();
        match live.get(&(ptr as usize)) {
            Some(entry) if entry.kind == T::NAME => {
                entry.in_use.fetch_add(1, Ordering::SeqCst);
                InUse(Arc::clone(&entry.in_use))
            }
            _ => return Err(not_live(ptr, argument).unwrap_or_else(|| FfiError::null(argument))),
        }
    };
    // SAFETY: registered and now marked in use, so `release` refuses to free it.
    Ok((unsafe { &*ptr }, guard))
}

/// Takes back the handle at `ptr` to free it, or says why not: `Ok(None)` for NULL, an
/// error for a pointer that is no live `T` or a handle that a call is still using.
///
/// # Safety
/// A registered `ptr` came from [`into_handle`] for `T`.
pub(crate) unsafe fn release<T: Handle>(ptr: *mut T, argument: &str) -> Result<Option<Box<T>>, FfiError> {
    if ptr.is_null() {
        return Ok(None);
    }
    let mut live = live_mut();
    match live.get(&(ptr as usize)) {
        Some(entry) if entry.kind == T::NAME => {
            let users = entry.in_use.load(Ordering::SeqCst);
            if users > 0 {
                return Err(FfiError::new(
                    lumen_status::InvalidState,
                    format!("{argument}: the {} is in use by {users} running call(s); nothing was freed", T::NAME),
                ));
            }
        }
        _ => {
            drop(live);
            return Err(not_live(ptr, argument).unwrap_or_else(|| FfiError::null(argument)));
        }
    }
    live.remove(&(ptr as usize));
    // SAFETY: registered by `into_handle` (so a `Box<T>`), unregistered just now under the
    // lock, so no other `release` can take it again.
    Ok(Some(unsafe { Box::from_raw(ptr) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Probe(u32);
    impl Handle for Probe {
        const NAME: &'static str = "probe";
    }
    #[derive(Debug)]
    struct Other;
    impl Handle for Other {
        const NAME: &'static str = "other";
    }

    #[test]
    fn handles_are_checked_used_and_released_once() {
        let ptr = into_handle(Probe(7));
        // SAFETY: a live probe.
        assert_eq!(unsafe { handle(ptr, "p") }.unwrap().0, 7);
        // SAFETY: the same address taken as another type is refused before any read.
        let wrong = unsafe { handle(ptr.cast::<Other>(), "o") }.unwrap_err();
        assert!(wrong.message.contains("is a probe, expected a other"), "{}", wrong.message);
        // SAFETY: a live probe.
        let (_, guard) = unsafe { use_handle(ptr, "p") }.unwrap();
        // SAFETY: registered probe; in use, so refused.
        let busy = unsafe { release(ptr, "p") }.unwrap_err();
        assert_eq!(busy.status, lumen_status::InvalidState);
        drop(guard);
        // SAFETY: registered probe, no longer in use.
        assert!(unsafe { release(ptr, "p") }.unwrap().is_some());
        // SAFETY: freed: refused without reading through it.
        let freed = unsafe { handle(ptr, "p") }.unwrap_err();
        assert!(freed.message.contains("not a live probe"), "{}", freed.message);
        // SAFETY: as above.
        assert!(unsafe { release(ptr, "p") }.is_err());
        // SAFETY: NULL is a no-op for release, an error for handle.
        assert!(unsafe { release::<Probe>(std::ptr::null_mut(), "p") }.unwrap().is_none());
    }
}
