//! TimeSHAP's background: what an event "switched off" becomes. The paper replaces it by
//! the average event of the training set; a caller may instead give one background event
//! or a whole background sequence of the explained length.

use serde::Serialize;

use crate::element::Element;
use crate::error::{ensure_finite, Error, Result};

/// The background of a TimeSHAP explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SequenceBackground<E: Element = f32> {
    /// One event of F values, repeated at every position (the paper's average event).
    Event(Vec<E>),
    /// A whole sequence of `L × F` values, for explained sequences of exactly L events
    /// (the `timeshap` package's "average sequence" baseline).
    Sequence(Vec<E>),
}

impl<E: Element> SequenceBackground<E> {
    /// The paper's default: the mean event of `training_events` (`n × features` values,
    /// one event per row, at least one). The `timeshap` package offers the median or mode
    /// per feature as well (`calc_avg_event`); those are one [`SequenceBackground::Event`]
    /// away for a caller who prefers them.
    pub fn average_event(training_events: &[E], features: usize) -> Result<Self> {
        if features == 0 {
            return Err(Error::invalid("features", "is 0, expected >= 1"));
        }
        if training_events.is_empty() {
            return Err(Error::invalid("training_events", "is empty, expected at least one event"));
        }
        if training_events.len() % features != 0 {
            return Err(Error::length(
                "training_events",
                training_events.len(),
                format!("a multiple of features = {features}"),
            ));
        }
        ensure_finite("training_events", training_events)?;
        let n = training_events.len() / features;
        let mut sums = vec![0.0f64; features];
        for event in training_events.chunks_exact(features) {
            sums.iter_mut().zip(event).for_each(|(s, &v)| *s += v.widen());
        }
        Ok(Self::Event(sums.into_iter().map(|s| E::from_f64(s / n as f64)).collect()))
    }

    /// The background sequence for an explained sequence of `seq_len` events of
    /// `features` values: the event repeated, or the given sequence after a shape check.
    pub fn expand(&self, seq_len: usize, features: usize) -> Result<Vec<E>> {
        match self {
            Self::Event(event) => {
                if event.len() != features {
                    return Err(Error::length("background", event.len(), format!("features = {features} (one event)")));
                }
                ensure_finite("background", event)?;
                Ok(event.repeat(seq_len))
            }
            Self::Sequence(sequence) => {
                if seq_len.checked_mul(features) != Some(sequence.len()) {
                    return Err(Error::length(
                        "background",
                        sequence.len(),
                        format!("seq_len × features = {seq_len} × {features} (one background sequence)"),
                    ));
                }
                ensure_finite("background", sequence)?;
                Ok(sequence.clone())
            }
        }
    }
}
