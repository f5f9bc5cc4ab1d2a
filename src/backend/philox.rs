//! Philox4x32-10, the counter-based random generator the device kernels draw from
//! (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11).
//! This is the CPU twin of `kernels/path.cu`: the same words for the same (seed, stream,
//! index), bit for bit, whatever device or thread computes them.

/// Philox's multipliers and Weyl key increments.
const MULTIPLIERS: [u32; 2] = [0xD251_1F53, 0xCD9E_8D57];
const KEY_STEPS: [u32; 2] = [0x9E37_79B9, 0xBB67_AE85];

/// Philox4x32 with 10 rounds on `counter` under `key`.
pub fn philox4x32_10(mut counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut key = key;
    for round in 0..10 {
        if round > 0 {
            key = [key[0].wrapping_add(KEY_STEPS[0]), key[1].wrapping_add(KEY_STEPS[1])];
        }
        let p0 = u64::from(MULTIPLIERS[0]) * u64::from(counter[0]);
        let p1 = u64::from(MULTIPLIERS[1]) * u64::from(counter[2]);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        counter = [hi1 ^ counter[1] ^ key[0], lo1, hi0 ^ counter[3] ^ key[1], lo0];
    }
    counter
}

/// The four words at `index` of `stream` under `seed`: counter (index, stream), key seed,
/// each split into little-endian 32-bit halves.
pub fn random_words(seed: u64, stream: u64, index: u64) -> [u32; 4] {
    philox4x32_10(
        [index as u32, (index >> 32) as u32, stream as u32, (stream >> 32) as u32],
        [seed as u32, (seed >> 32) as u32],
    )
}

/// A uniform f32 in `[0, 1)` from the top 24 bits of `word` (exact in f32).
pub fn uniform(word: u32) -> f32 {
    (word >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// An index in `0..count` from `word`: `⌊word · count / 2³²⌋`.
pub fn below(word: u32, count: u32) -> u32 {
    ((u64::from(word) * u64::from(count)) >> 32) as u32
}

/// The Box–Muller pair (cosine, sine) of two words, in f64: `u1 = (w0 + 1) / 2³²` in
/// `(0, 1]`, `u2 = w1 / 2³²`.
pub fn normal_pair(w0: u32, w1: u32) -> (f64, f64) {
    let u1 = (f64::from(w0) + 1.0) * (1.0 / 4_294_967_296.0);
    let u2 = f64::from(w1) * (1.0 / 4_294_967_296.0);
    let radius = (-2.0 * u1.ln()).sqrt();
    let angle = std::f64::consts::TAU * u2;
    (radius * angle.cos(), radius * angle.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_of_the_random123_paper() {
        // Random123's kat_vectors for philox4x32_10.
        assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]);
        assert_eq!(philox4x32_10([u32::MAX; 4], [u32::MAX; 2]), [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]);
        assert_eq!(
            philox4x32_10([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0]),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn words_are_keyed_by_seed_stream_and_index() {
        let base = random_words(7, 3, 11);
        assert_eq!(base, random_words(7, 3, 11));
        assert_ne!(base, random_words(8, 3, 11));
        assert_ne!(base, random_words(7, 4, 11));
        assert_ne!(base, random_words(7, 3, 12));
        // The high halves of index, stream and seed matter too.
        assert_ne!(base, random_words(7 | 1 << 40, 3, 11));
        assert_ne!(base, random_words(7, 3 | 1 << 40, 11));
        assert_ne!(base, random_words(7, 3, 11 | 1 << 40));
    }

    #[test]
    fn conversions_stay_in_range_and_are_roughly_uniform() {
        assert_eq!(uniform(0), 0.0);
        assert!(uniform(u32::MAX) < 1.0);
        assert_eq!(below(u32::MAX, 5), 4);
        assert_eq!(below(0, 5), 0);
        let n = 40_000u64;
        let (mut sum, mut sum_sq, mut buckets) = (0.0f64, 0.0f64, [0u32; 5]);
        for i in 0..n {
            let w = random_words(1, 2, i);
            buckets[below(w[0], 5) as usize] += 1;
            let (z0, z1) = normal_pair(w[2], w[3]);
            sum += z0 + z1;
            sum_sq += z0 * z0 + z1 * z1;
        }
        let mean = sum / (2 * n) as f64;
        let variance = sum_sq / (2 * n) as f64 - mean * mean;
        // 4σ bounds: the mean's standard error is 1/√80000 ≈ 0.0035.
        assert!(mean.abs() < 0.015, "mean {mean}");
        assert!((variance - 1.0).abs() < 0.03, "variance {variance}");
        for count in buckets {
            // Expected 8000 per bucket, σ ≈ 80.
            assert!((7600..8400).contains(&count), "{buckets:?}");
        }
    }
}
