//! The documented maxima of caller-chosen sizes (see [`crate::limits`]), for C callers.

use crate::limits;

/// Largest model input row (`lumen_model_desc.input_len`, or the product of its shape).
pub const LUMEN_MAX_INPUT_LEN: usize = 268_435_456;
/// Largest `lumen_model_desc.output_len`.
pub const LUMEN_MAX_OUTPUT_LEN: usize = 1_048_576;
/// Largest Integrated Gradients `n_steps` with a Riemann rule, GradientSHAP `n_samples`
/// and NoiseTunnel `nt_samples`.
pub const LUMEN_MAX_SAMPLES: usize = 1_048_576;
/// Largest Integrated Gradients `n_steps` with `LUMEN_IG_GAUSS_LEGENDRE`.
pub const LUMEN_MAX_GAUSS_LEGENDRE_STEPS: usize = 4096;
/// Largest PermuteAttack `population`, `parents`, `generations`, `runs` and
/// `counterfactuals`.
pub const LUMEN_MAX_SEARCH_SIZE: usize = 1_048_576;

const _: () = assert!(
    LUMEN_MAX_INPUT_LEN == limits::MAX_INPUT_LEN
        && LUMEN_MAX_OUTPUT_LEN == limits::MAX_OUTPUT_LEN
        && LUMEN_MAX_SAMPLES == limits::MAX_SAMPLES
        && LUMEN_MAX_GAUSS_LEGENDRE_STEPS == limits::MAX_GAUSS_LEGENDRE_STEPS
        && LUMEN_MAX_SEARCH_SIZE == limits::MAX_SEARCH_SIZE
);
