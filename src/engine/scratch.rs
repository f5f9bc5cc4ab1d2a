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

use std::marker::PhantomData;
use std::sync::Mutex;

use crate::alloc::out_of_memory;
use crate::element::Element;
use crate::error::Result;

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

    /// A buffer of `len` elements of `E`, reused when one is kept, with unspecified
    /// contents; `OutOfMemory` when it cannot be had.
    pub fn take<E: Element>(&self, len: usize) -> Result<Scratch<'_, E>> {
        let words = len
            .checked_mul(std::mem::size_of::<E>())
            .map(|bytes| bytes.div_ceil(std::mem::size_of::<u64>()))
            .ok_or_else(|| out_of_memory::<E>("batch buffer", len))?;
        let kept = self.buffers.lock().ok().and_then(|mut buffers| {
            // The smallest buffer that is large enough, else the largest (grown below).
            let fits = buffers.iter().enumerate().filter(|(_, b)| b.len() >= words).min_by_key(|(_, b)| b.len());
            let choice = fits.or_else(|| buffers.iter().enumerate().max_by_key(|(_, b)| b.len()));
            choice.map(|(i, _)| i).map(|i| buffers.swap_remove(i))
        });
        let mut buffer = kept.unwrap_or_default();
        if buffer.len() < words {
            buffer.try_reserve_exact(words - buffer.len()).map_err(|_| out_of_memory::<E>("batch buffer", len))?;
            buffer.resize(words, 0);
        }
        Ok(Scratch { buffer, len, cache: self, element: PhantomData })
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

/// A batch buffer of `E` from a [`ScratchCache`]; it goes back to the cache when dropped.
#[derive(Debug)]
pub struct Scratch<'a, E: Element> {
    buffer: Vec<u64>,
    len: usize,
    cache: &'a ScratchCache,
    element: PhantomData<E>,
}

impl<E: Element> Scratch<'_, E> {
    /// The buffer's elements.
    pub fn as_slice(&self) -> &[E] {
        &bytemuck::cast_slice(&self.buffer)[..self.len]
    }

    /// The buffer's elements, writable.
    pub fn as_mut_slice(&mut self) -> &mut [E] {
        &mut bytemuck::cast_slice_mut(&mut self.buffer)[..self.len]
    }
}

impl<E: Element> Drop for Scratch<'_, E> {
    fn drop(&mut self) {
        self.cache.give_back(std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn buffers_are_reused_up_to_the_capacity_and_sized_per_take() {
        let cache = ScratchCache::new(1);
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
        let cache = ScratchCache::new(2);
        drop(cache.take::<f64>(MAX_KEPT_BYTES / 8 + 1).unwrap());
        assert!(cache.buffers.lock().unwrap().is_empty(), "a buffer over the bound is freed");
        drop(cache.take::<f64>(MAX_KEPT_BYTES / 8).unwrap());
        assert_eq!(cache.buffers.lock().unwrap().len(), 1, "one at the bound is kept");
        for len in [usize::MAX / 2, usize::MAX / 16] {
            let error = cache.take::<f64>(len).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::OutOfMemory, "{}", error.message());
        }
    }
}
