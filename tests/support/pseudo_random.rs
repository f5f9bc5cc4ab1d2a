//! Deterministic pseudo-random data for the tests, benches and examples: a xorshift64
//! stream from a seed, 24 bits per value, so that every value is exact in f32 and the same
//! number in f64.

/// `len` values uniform in `[lo, hi)` from the xorshift64 stream of `seed`.
pub fn uniform(len: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            lo + (hi - lo) * ((state >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

/// `len` values in [-1, 1) from the stream of `seed`.
pub fn values(len: usize, seed: u64) -> Vec<f32> {
    uniform(len, seed, -1.0, 1.0)
}
