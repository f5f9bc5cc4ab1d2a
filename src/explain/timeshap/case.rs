//! One checked TimeSHAP case: the explained sequence, its background sequence, the output
//! and link, and the model calls shared by pruning and the explanations.

use crate::element::Element;
use crate::engine::Engine;
use crate::error::{ensure_finite, Error, Result};
use crate::explain::shapley::Link;
use crate::model::{SequenceEvaluator, SequenceModel};

use super::TimeShapParams;

/// A sequence to explain, checked against the model and the parameters.
pub(crate) struct Case<'a, E: Element = f32> {
    pub engine: &'a Engine,
    pub model: &'a dyn SequenceModel<E>,
    /// Counts every model row of the case (pruning, prefix states, coalitions).
    pub evaluator: SequenceEvaluator<'a, E>,
    /// `seq_len × features` explained values.
    pub x: &'a [E],
    /// `seq_len × features` background values.
    pub background: Vec<E>,
    pub seq_len: usize,
    pub features: usize,
    pub target: usize,
    pub link: Link,
    /// Whether the state-carrying path is used (the model has it and the caller allows it).
    pub use_state: bool,
    /// A fixed `pruning_index` and the pruned length it gives (checked against `seq_len`).
    pub fixed: Option<(i64, usize)>,
}

impl<'a, E: Element> Case<'a, E> {
    /// Checks `x` (`seq_len × F` values, `seq_len >= 2`) and `params` against `model`.
    pub fn new(
        engine: &'a Engine,
        model: &'a dyn SequenceModel<E>,
        x: &'a [E],
        seq_len: usize,
        params: &TimeShapParams<E>,
    ) -> Result<Self> {
        crate::explain::row_targets::refuse_row_targets("TimeSHAP", "set its target output in the options")?;
        let signature = model.signature();
        signature.validate()?;
        signature.element_type.expect("sequence", E::TYPE)?;
        params.validate(signature)?;
        let features = signature.features;
        if seq_len == 0 {
            return Err(Error::invalid("seq_len", "is 0, expected a sequence of at least 2 events"));
        }
        if seq_len < 2 {
            return Err(Error::invalid(
                "seq_len",
                "is 1, expected at least 2 events (one event has no temporal structure to explain)",
            ));
        }
        let expected =
            seq_len.checked_mul(features).ok_or_else(|| Error::invalid("seq_len", "× features overflows"))?;
        if x.len() != expected {
            return Err(Error::length("sequence", x.len(), format!("seq_len × features = {seq_len} × {features}")));
        }
        ensure_finite("sequence", x)?;
        let fixed = params.pruning_index.zip(params.fixed_pruned_len(seq_len)?);
        let background = params.background.expand(seq_len, features)?;
        Ok(Self {
            engine,
            model,
            evaluator: SequenceEvaluator::new(model),
            x,
            background,
            seq_len,
            features,
            target: params.target as usize,
            link: params.link,
            use_state: params.use_state && signature.state_len.is_some(),
            fixed,
        })
    }

    /// link(f) of the explained output for `rows` whole sequences.
    pub fn values_of(&self, inputs: &[E], rows: usize) -> Result<Vec<f64>> {
        let output_len = self.model.signature().output_len;
        let mut outputs = vec![E::zero(); rows * output_len];
        self.evaluator.predict(inputs, rows, self.seq_len, &mut outputs)?;
        outputs.chunks_exact(output_len).map(|o| self.link.apply(o[self.target].widen())).collect()
    }

    /// link(f(x)) and link(f(background)): the values of the full and the empty coalition.
    pub fn prediction_and_base(&self) -> Result<(f64, f64)> {
        let values = self.values_of(&[self.x, &self.background].concat(), 2)?;
        Ok((values[0], values[1]))
    }

    /// Hidden states after the first `split >= 1` events of x and of the background
    /// (`2 × state_len`: x's state, then the background's).
    pub fn prefix_states(&self, split: usize) -> Result<Vec<E>> {
        let f = self.features;
        let state_len = self.evaluator.state_len()?;
        let inputs = [&self.x[..split * f], &self.background[..split * f]].concat();
        let mut states = vec![E::zero(); 2 * state_len];
        self.evaluator.run_prefix(None, &inputs, 2, split, &mut states)?;
        Ok(states)
    }
}
