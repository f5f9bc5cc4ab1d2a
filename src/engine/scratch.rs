//! Batch buffers kept by an engine between calls.
//!
//! A batch buffer is a few MiB that the backend overwrites row by row before the model
//! reads it. Allocating it zeroed for every call cost about a tenth of a one-thread
//! KernelSHAP explanation's engine time (glibc serves a freed buffer again from its heap
//! and clears it), so the engine keeps a few buffers (one per worker, and one for the
//! batches' outputs) and hands them out again, the best fitting first.
//! A buffer comes back with whatever its last call wrote: its users write every element
//! they read.
//!
//! What the cache holds between calls is bounded: at most `capacity` buffers of at most
//! `MAX_KEPT_BYTES` (16 MiB) each (a larger buffer, asked for by a call with large batches, is
//! freed when that call ends). Growing a buffer is fallible, like every allocation sized
//! by a caller's numbers: memory the system cannot give is `OutOfMemory`.
//!
//! A call's solves take their large buffers (KernelSHAP's least-squares design, its
//! jackknife's moments: a few hundred KiB) from the same cache through `call_buffer`,
//! which finds the engine of the call running on the calling thread (`CacheScope`).
//! Allocated per call, those buffers cost little with glibc's default dynamic thresholds,
//! but a host that fixes them (`MALLOC_TRIM_THRESHOLD_` or `MALLOC_MMAP_THRESHOLD_` set,
//! as Dask's workers do) has every buffer over 128 KiB mapped and unmapped each time, its
//! pages faulted in again on every call.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use crate::alloc::out_of_memory;
use crate::element::Element;
use crate::error::Result;
use crate::thread_scope::ThreadScope;

/// The largest buffer kept between calls (the default batch is 4 MiB of rows).
pub(crate) const MAX_KEPT_BYTES: usize = 16 << 20;

/// Buffers of `u64` words (aligned for every element type), at most `capacity` kept.
#[derive(Debug)]
pub struct ScratchCache {
    buffers: Mutex<Vec<Vec<u64>>>,
    capacity: usize,
}

impl ScratchCache {
    /// A cache keeping at most `capacity` buffers between calls.
    pub fn new(capacity: usize) -> Self {
        Self { buffers: Mutex::new(Vec::new()), capacity }
    }

    /// A batch buffer of `len` elements of `E`, reused when one is kept, with unspecified
    /// contents; `OutOfMemory` when it cannot be had.
    pub fn take<E: Element>(self: &Arc<Self>, len: usize) -> Result<Scratch<E>> {
        self.take_named("batch buffer", len)
    }

    /// [`take`](Self::take), its `OutOfMemory` naming `what`.
    fn take_named<E: Element>(self: &Arc<Self>, what: &str, len: usize) -> Result<Scratch<E>> {
        let kept = self.buffers.lock().ok().and_then(|mut buffers| {
            let words = words::<E>(len)?;
            // The smallest buffer that is large enough, else the largest (grown below).
            let fits = buffers.iter().enumerate().filter(|(_, b)| b.len() >= words).min_by_key(|(_, b)| b.len());
            let choice = fits.or_else(|| buffers.iter().enumerate().max_by_key(|(_, b)| b.len()));
            choice.map(|(i, _)| i).map(|i| buffers.swap_remove(i))
        });
        Scratch::sized(what, kept.unwrap_or_default(), len, Some(Arc::clone(self)))
    }

    fn give_back(&self, buffer: Vec<u64>) {
        if buffer.len() * std::mem::size_of::<u64>() > MAX_KEPT_BYTES {
            return;
        }
        if let Ok(mut buffers) = self.buffers.lock() {
            if buffers.len() < self.capacity {
                buffers.push(buffer);
            }
        }
    }
}

/// The `u64` words that hold `len` elements of `E`; `None` when that overflows.
fn words<E: Element>(len: usize) -> Option<usize> {
    len.checked_mul(std::mem::size_of::<E>()).map(|bytes| bytes.div_ceil(std::mem::size_of::<u64>()))
}

/// A buffer of `E` from a [`ScratchCache`], which it goes back to when dropped; or, from
/// `call_buffer` outside a call, a buffer of its own, freed when dropped.
#[derive(Debug)]
pub struct Scratch<E: Element> {
    buffer: Vec<u64>,
    len: usize,
    cache: Option<Arc<ScratchCache>>,
    element: PhantomData<E>,
}

impl<E: Element> Scratch<E> {
    /// `buffer` grown to hold `len` elements, going back to `cache` when dropped;
    /// `OutOfMemory` naming `what` when it cannot grow (`buffer` then goes back as it was).
    fn sized(what: &str, buffer: Vec<u64>, len: usize, cache: Option<Arc<ScratchCache>>) -> Result<Self> {
        let mut scratch = Self { buffer, len: 0, cache, element: PhantomData };
        let words = words::<E>(len).ok_or_else(|| out_of_memory::<E>(what, len))?;
        if scratch.buffer.len() < words {
            let more = words - scratch.buffer.len();
            scratch.buffer.try_reserve_exact(more).map_err(|_| out_of_memory::<E>(what, len))?;
            scratch.buffer.resize(words, 0);
        }
        scratch.len = len;
        Ok(scratch)
    }

    /// The buffer's elements.
    pub fn as_slice(&self) -> &[E] {
        &bytemuck::cast_slice(&self.buffer)[..self.len]
    }

    /// The buffer's elements, writable.
    pub fn as_mut_slice(&mut self) -> &mut [E] {
        &mut bytemuck::cast_slice_mut(&mut self.buffer)[..self.len]
    }
}

impl<E: Element> Deref for Scratch<E> {
    type Target = [E];

    fn deref(&self) -> &[E] {
        self.as_slice()
    }
}

impl<E: Element> DerefMut for Scratch<E> {
    fn deref_mut(&mut self) -> &mut [E] {
        self.as_mut_slice()
    }
}

impl<E: Element> Drop for Scratch<E> {
    fn drop(&mut self) {
        if let Some(cache) = &self.cache {
            cache.give_back(std::mem::take(&mut self.buffer));
        }
    }
}

thread_local! {
    /// The cache of the engine whose call runs on this thread, if one does.
    static CALL_CACHE: RefCell<Option<Arc<ScratchCache>>> = const { RefCell::new(None) };
}

/// Makes an engine's cache the one [`call_buffer`] takes from on the calling thread until
/// dropped (then the previous one, if calls nest, is back).
#[derive(Debug)]
pub(crate) struct CacheScope {
    /// Puts the previous value back when dropped.
    _installed: ThreadScope<Option<Arc<ScratchCache>>>,
}

impl CacheScope {
    /// Installs `cache` for the calling thread.
    pub(crate) fn enter(cache: Arc<ScratchCache>) -> Self {
        Self { _installed: ThreadScope::set(&CALL_CACHE, Some(cache)) }
    }
}

/// A buffer of `len` elements of `E` (contents unspecified: write before reading) for work
/// inside a call: from the cache of the engine whose call runs on this thread, else (or
/// when it is larger than the cache keeps) allocated for the caller alone; `OutOfMemory`
/// naming `what` when it cannot be had.
pub(crate) fn call_buffer<E: Element>(what: &str, len: usize) -> Result<Scratch<E>> {
    let kept = words::<E>(len).is_some_and(|words| words <= MAX_KEPT_BYTES / std::mem::size_of::<u64>());
    match CALL_CACHE.with(|current| current.borrow().clone()).filter(|_| kept) {
        Some(cache) => cache.take_named(what, len),
        None => Scratch::sized(what, Vec::new(), len, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn buffers_are_reused_up_to_the_capacity_and_sized_per_take() {
        let cache = Arc::new(ScratchCache::new(1));
        let mut first = cache.take::<f32>(3).unwrap();
        first.as_mut_slice().copy_from_slice(&[1.0, 2.0, 3.0]);
        let pointer = first.as_slice().as_ptr() as usize;
        drop(first);
        let second = cache.take::<f64>(1).unwrap();
        assert_eq!(second.as_slice().len(), 1);
        assert_eq!(second.as_slice().as_ptr() as usize, pointer, "the kept buffer is handed out again");
        let third = cache.take::<f32>(5).unwrap();
        assert_eq!(third.as_slice().len(), 5);
        drop((second, third));
        assert_eq!(cache.buffers.lock().unwrap().len(), 1, "at most one kept");
    }

    #[test]
    fn large_buffers_are_not_kept_and_absurd_ones_are_refused() {
        let cache = Arc::new(ScratchCache::new(2));
        drop(cache.take::<f64>(MAX_KEPT_BYTES / 8 + 1).unwrap());
        assert!(cache.buffers.lock().unwrap().is_empty(), "a buffer over the bound is freed");
        drop(cache.take::<f64>(MAX_KEPT_BYTES / 8).unwrap());
        assert_eq!(cache.buffers.lock().unwrap().len(), 1, "one at the bound is kept");
        for len in [usize::MAX / 2, usize::MAX / 16] {
            let error = cache.take::<f64>(len).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::OutOfMemory, "{}", error.message());
        }
    }

    #[test]
    fn call_buffers_come_from_the_installed_cache_and_else_stand_alone() {
        let cache = Arc::new(ScratchCache::new(2));
        let pointer = cache.take::<f64>(64).unwrap().as_ptr();
        let alone = call_buffer::<f64>("alone", 64).unwrap();
        assert_ne!(alone.as_ptr(), pointer, "outside a call, a buffer of its own");
        drop(alone);
        assert_eq!(cache.buffers.lock().unwrap().len(), 1, "which is not kept");
        {
            let _call = CacheScope::enter(Arc::clone(&cache));
            let inner = Arc::new(ScratchCache::new(1));
            {
                let _nested = CacheScope::enter(Arc::clone(&inner));
                drop(call_buffer::<f64>("nested", 8).unwrap());
                assert_eq!(inner.buffers.lock().unwrap().len(), 1, "a nested call's engine keeps its own");
            }
            let taken = call_buffer::<f64>("design", 32).unwrap();
            assert_eq!(taken.as_ptr(), pointer, "inside the call, the engine's kept buffer");
            assert!(cache.buffers.lock().unwrap().is_empty());
            drop(taken);
            assert_eq!(cache.buffers.lock().unwrap().len(), 1, "the buffer went back when dropped");
            let large = call_buffer::<f64>("design", MAX_KEPT_BYTES / 8 + 1).unwrap();
            assert_eq!(cache.buffers.lock().unwrap().len(), 1, "one larger than the cache keeps is its own");
            drop(large);
            for len in [usize::MAX / 2, usize::MAX / 16] {
                let error = call_buffer::<f64>("the design", len).unwrap_err();
                assert_eq!(error.kind(), ErrorKind::OutOfMemory);
                assert!(error.message().starts_with("the design: could not allocate"), "{}", error.message());
            }
            let again = cache.take::<f64>(usize::MAX / 16).unwrap_err();
            assert_eq!(again.kind(), ErrorKind::OutOfMemory);
            assert_eq!(cache.buffers.lock().unwrap().len(), 1, "a failed request leaves the kept buffer");
            assert_eq!(cache.take::<f64>(64).unwrap().as_ptr(), pointer);
        }
        let error = call_buffer::<f32>("the moments", usize::MAX / 2).unwrap_err();
        assert!(error.message().starts_with("the moments: could not allocate"), "{}", error.message());
    }
}
