//! The documented maxima of sizes a caller chooses. Each is far above any sensible use and
//! far below what would exhaust a host's memory or time before Lumen could check it: a
//! value above its maximum is refused with `InvalidArgument` naming the field and the
//! limit, before anything is allocated. The C header exports each as `LUMEN_MAX_*`.

use crate::error::{Error, Result};

/// Elements in one model input row (2²⁸: 1 GiB of f32 per row).
pub const MAX_INPUT_LEN: usize = 1 << 28;
/// Outputs of a model per row (2²⁰).
pub const MAX_OUTPUT_LEN: usize = 1 << 20;
/// Integrated Gradients steps with a Riemann rule, GradientSHAP samples, NoiseTunnel
/// copies and Shapley Value Sampling's permutation pairs per row (2²⁰).
pub const MAX_SAMPLES: usize = 1 << 20;
/// Integrated Gradients steps with the Gauss–Legendre rule, whose nodes cost O(n²) to
/// compute (4096: about 0.1 s).
pub const MAX_GAUSS_LEGENDRE_STEPS: usize = 4096;
/// PermuteAttack's population, parents, generations, runs and counterfactuals (2²⁰).
pub const MAX_SEARCH_SIZE: usize = 1 << 20;

/// Refuses `value` of `field` above `limit`.
pub fn at_most(field: &str, value: usize, limit: usize) -> Result<()> {
    if value > limit {
        return Err(Error::invalid(field, format!("is {value}, expected at most {limit}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn values_up_to_the_limit_pass() {
        assert!(at_most("n", 7, 7).is_ok());
        let error = at_most("options.n_steps", usize::MAX, 7).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert_eq!(error.message(), format!("options.n_steps: is {}, expected at most 7", usize::MAX));
    }
}
