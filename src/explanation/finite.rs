//! Every number an explanation hands out is finite. Finite inputs and finite model outputs
//! can still overflow f32 in a method's arithmetic (a model whose outputs are ±3.4e38, or
//! GradientSHAP noise of 3e38); such a result becomes an error that names the value,
//! never an `OK` with ±Inf or NaN inside.

use super::{Counterfactuals, Explanation};
use crate::error::{Error, ErrorKind, Result};

/// Fails on the first non-finite value of `values`, named `what` at the position that
/// `locate(index)` describes.
fn ensure_all_finite<T: Copy + Into<f64>>(what: &str, values: &[T], locate: impl Fn(usize) -> String) -> Result<()> {
    match values.iter().position(|&v| !v.into().is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::new(
            ErrorKind::NonFiniteResult,
            format!(
                "{what}: {} is {}, although the inputs and the model's outputs were finite: the values are too \
                 close to the float range's ends for this method (rescale the model's inputs or outputs)",
                locate(index),
                values[index].into()
            ),
        )),
    }
}

impl Explanation {
    /// Fails with [`ErrorKind::NonFiniteResult`] unless every attribution, prediction,
    /// base value, standard error and completeness gap is finite.
    pub fn ensure_finite(&self) -> Result<()> {
        let outputs = self.outputs_per_row().max(1);
        let features = self.features.max(1);
        let cell = |index: usize| {
            format!(
                "row {}, output {}, feature {}",
                index / (outputs * features),
                index / features % outputs,
                index % features
            )
        };
        let pair = |index: usize| format!("row {}, output {}", index / outputs, index % outputs);
        ensure_all_finite("attributions", &self.attributions, cell)?;
        ensure_all_finite("predictions", &self.predictions, pair)?;
        ensure_all_finite("base values", &self.base_values, pair)?;
        if let Some(errors) = &self.standard_errors {
            ensure_all_finite("standard errors", errors, cell)?;
        }
        for (row, diagnostics) in self.diagnostics.iter().enumerate() {
            if let Some(gaps) = &diagnostics.completeness_gap {
                ensure_all_finite("completeness gaps", gaps, |k| format!("row {row}, output {k}"))?;
            }
        }
        Ok(())
    }
}

impl Counterfactuals {
    /// Fails with [`ErrorKind::NonFiniteResult`] unless every counterfactual row,
    /// probability and distance is finite.
    pub fn ensure_finite(&self) -> Result<()> {
        for (i, instance) in self.instances.iter().enumerate() {
            let at = |what: &str| format!("row {i}, {what}");
            ensure_all_finite("original probability", &[instance.original_probability], |_| at("original"))?;
            for (c, found) in instance.counterfactuals.iter().enumerate() {
                let name = format!("counterfactual {c}");
                ensure_all_finite("counterfactual values", &found.row, |e| at(&format!("{name}, element {e}")))?;
                ensure_all_finite("target probability", &[found.target_probability], |_| at(&name))?;
                ensure_all_finite("distance", &[found.distance], |_| at(&name))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_non_finite_value_is_named_by_position() {
        let located = |i: usize| format!("index {i}");
        assert!(ensure_all_finite("values", &[1.0f32, -2.5, 0.0], located).is_ok());
        let error = ensure_all_finite("values", &[1.0f32, f32::NEG_INFINITY, f32::NAN], located).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NonFiniteResult);
        assert!(error.message().starts_with("values: index 1 is -inf"), "{}", error.message());
        let error = ensure_all_finite("gaps", &[f64::NAN], located).unwrap_err();
        assert!(error.message().starts_with("gaps: index 0 is NaN"), "{}", error.message());
    }
}
