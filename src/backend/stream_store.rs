//! Writing a large output past the caches.
//!
//! An occlusion explanation of a 3×224×224 image with 10 outputs writes 12 MB of
//! attributions once, after the model's last call. Ordinary stores to lines the model's
//! time has left cold first read each line for ownership, so the gather moved twice the
//! bytes it writes; non-temporal (streaming) stores write the lines without reading them.
//! Measured with `examples/occlusion_overhead.rs` (model at 20 µs per row, one thread,
//! f32, builds alternated three times): 2.44–2.52 ms after the last call before,
//! 1.58–1.76 ms with streaming stores; reading the attributions right after the call took
//! the same time either way (1.10–1.16 ms). Below [`STREAMING_BYTES`] the output is
//! written as usual, so that a small one stays in cache for the caller. The values and
//! their bits are the same either way. Feature Ablation's group gather streams its
//! output the same way.

use std::mem::MaybeUninit;

/// Outputs of at least this many bytes are written with streaming stores: a few times a
/// core's L2 cache, so that what the caller reads next from a smaller one is still cached.
pub(crate) const STREAMING_BYTES: usize = 4 << 20;

/// Writes `values` into `out` (the shorter's length), with streaming stores where `stream`
/// is set and the CPU has them (x86-64's SSE2), else with ordinary ones. A thread that
/// streamed must call [`fence`] before another thread reads what it wrote.
pub(crate) fn write(out: &mut [MaybeUninit<f64>], values: &[f64], stream: bool) {
    let len = out.len().min(values.len());
    let (out, values) = (&mut out[..len], &values[..len]);
    #[cfg(target_arch = "x86_64")]
    if stream {
        stream_x86_64(out, values);
        return;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = stream;
    for (out, &value) in out.iter_mut().zip(values) {
        out.write(value);
    }
}

/// [`write()`] by `movntpd`, two values per store from the first 16-byte-aligned element
/// on; the element before it and the last odd one by ordinary stores.
#[cfg(target_arch = "x86_64")]
fn stream_x86_64(out: &mut [MaybeUninit<f64>], values: &[f64]) {
    use std::arch::x86_64::{_mm_loadu_pd, _mm_stream_pd};
    // f64 slots are 8-byte aligned: the first is on a 16-byte boundary or the second is.
    let head = usize::from((out.as_ptr() as usize) % 16 != 0).min(out.len());
    let body = head + (out.len() - head) / 2 * 2;
    for i in (0..head).chain(body..out.len()) {
        out[i].write(values[i]);
    }
    for (out, values) in out[head..body].chunks_exact_mut(2).zip(values[head..body].chunks_exact(2)) {
        // SAFETY: SSE2 is part of the x86-64 baseline. `values` holds two f64 (an
        // unaligned load) and `out` two f64 slots that start on a 16-byte boundary (the
        // body does, and each chunk is 16 bytes), so the aligned streaming store is in
        // bounds and aligned.
        unsafe { _mm_stream_pd(out.as_mut_ptr().cast::<f64>(), _mm_loadu_pd(values.as_ptr())) };
    }
}

/// Orders this thread's streaming stores before its later stores (a no-op without them),
/// so that a thread that synchronises with it afterwards reads what they wrote.
pub(crate) fn fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `sfence` needs SSE, part of the x86-64 baseline; it only orders stores.
    unsafe {
        std::arch::x86_64::_mm_sfence();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_value_at_any_alignment_and_length() {
        let values: Vec<f64> = (0..37).map(|i| f64::from(i) * 1.5 - 7.0).collect();
        for stream in [false, true] {
            for start in 0..3 {
                for len in [0, 1, 2, 3, 4, 33, 34] {
                    let mut out = vec![MaybeUninit::new(f64::NAN); 40];
                    write(&mut out[start..start + len], &values[..len], stream);
                    fence();
                    for (i, slot) in out.iter().enumerate() {
                        // SAFETY: every slot was initialised (NaN) before the write.
                        let got = unsafe { slot.assume_init() };
                        if (start..start + len).contains(&i) {
                            assert_eq!(got.to_bits(), values[i - start].to_bits(), "stream {stream}, slot {i}");
                        } else {
                            assert!(got.is_nan(), "stream {stream}: slot {i} outside the written range");
                        }
                    }
                }
            }
        }
    }
}
