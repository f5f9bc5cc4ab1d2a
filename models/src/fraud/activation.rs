//! The GRU's activations in `f32` as plain arithmetic (no library calls), so that the
//! compiler vectorises them over a whole gate vector and every platform computes the same
//! bits: `e^x` by Cody–Waite range reduction and Cephes' degree-6 polynomial (within 2 ulp
//! of the exact value on the range used), then the logistic function and `tanh` from it.
//!
//! `tanh(x)` is computed as `2σ(2x) − 1`: within 2.5e-7 of the exact value everywhere (an
//! absolute, not relative, bound near 0, which is what a GRU's state needs).

const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so that `k · LN2_HIGH` is exact for the `k` used here.
const LN2_HIGH: f32 = 0.693_359_4;
const LN2_LOW: f32 = -2.121_944_4e-4;
/// 1.5 · 2^23: adding and subtracting it rounds an `f32` of magnitude below 2^22 to the
/// nearest integer (ties to even) without a library call.
const ROUNDING: f32 = 12_582_912.0;
/// Inputs are clamped to this range, where `e^x` is a normal `f32`.
const LOWEST: f32 = -87.0;
const HIGHEST: f32 = 88.0;

/// e^x within 2 ulp for x in [−87, 88]; x is clamped to that range (so e^x for x above 88
/// is e^88 ≈ 1.65e38, not infinity). NaN is not expected here: the GRU's inputs are checked.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(LOWEST, HIGHEST);
    // The low bits of `shifted` hold k = round(x · log2 e) as an integer offset from
    // ROUNDING's bits, so 2^k is built from them without a float-to-integer conversion.
    let shifted = x * LOG2_E + ROUNDING;
    let k = shifted - ROUNDING;
    let r = x - k * LN2_HIGH - k * LN2_LOW;
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let polynomial = p * r * r + r + 1.0;
    let scale = f32::from_bits(shifted.to_bits().wrapping_sub(ROUNDING.to_bits()).wrapping_add(127) << 23);
    polynomial * scale
}

/// The logistic function 1 / (1 + e^−x).
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// tanh x as 2σ(2x) − 1.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    2.0 / (1.0 + exp(-2.0 * x)) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> impl Iterator<Item = f32> {
        (-2_000_000..=2_000_000).map(|i| i as f32 * 4.3e-5)
    }

    #[test]
    fn exp_is_within_two_ulp() {
        let mut x = LOWEST;
        while x <= HIGHEST {
            let exact = f64::from(x).exp();
            let ulp = f64::from(f32::EPSILON) * exact;
            let error = (f64::from(exp(x)) - exact).abs();
            assert!(error <= 2.0 * ulp, "exp({x}): {} vs {exact}", exp(x));
            x += 0.000_731;
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1000.0), exp(HIGHEST));
        assert_eq!(exp(-1000.0), exp(LOWEST));
    }

    #[test]
    fn sigmoid_and_tanh_are_accurate() {
        for x in grid() {
            let exact_sigmoid = 1.0 / (1.0 + (-f64::from(x)).exp());
            assert!((f64::from(sigmoid(x)) - exact_sigmoid).abs() <= 1.5e-7, "sigmoid({x})");
            assert!((f64::from(tanh(x)) - f64::from(x).tanh()).abs() <= 2.5e-7, "tanh({x})");
        }
        assert_eq!(sigmoid(-200.0), 1.0 / (1.0 + exp(HIGHEST)));
        assert_eq!(sigmoid(200.0), 1.0);
        assert_eq!(tanh(100.0), 1.0);
        assert_eq!(tanh(-100.0), -1.0);
    }
}
