//! TimeSHAP (Bento et al., KDD 2021, "TimeSHAP: Explaining Recurrent Models through
//! Sequence Perturbations"): KernelSHAP over the events, features and cells of a
//! sequence, after temporal coalition pruning lumps the older events into one player.
//!
//! The game is the KernelSHAP engine's own ([`Game`](crate::explain::shapley::game::Game),
//! KernelSHAP's default [`Estimator`],
//! [`constrained_wls`](crate::explain::shapley::solve::constrained_wls)): a player is a set
//! of (event, feature) cells that take the background's values when the player is off,
//! and the pruned events are one more player (a flag element of the game row, turned back into those events by the game's model). Where the paper is silent
//! the `timeshap` package (1.0.4) is followed, each choice documented where it is made:
//! player order and names ([`Player`]), pruning comparison (`≤ η`, [`Pruning`]), cell
//! relevance ([`CellRelevance`]), the default budget of 32000 coalitions.
//!
//! Departures from the package: every player is kept (the package, like shap, drops
//! features equal to the background in every event, whose value is 0 anyway), and sampled
//! values are never L1-selected (the package inherits shap's `l1_reg="auto"`, which may
//! zero weak players when under 20 % of the coalitions are evaluated); η = 0 is a real
//! tolerance ([`Pruning`]). `benches/compare/timeshap_conventions.py` checks pruning and all
//! three levels against the package on the same model (equal to 1e-6 where exact).
//!
//! Randomness: a sequence's draws come from the call's seed and the sequence's row key
//! (the caller's, else a hash of its values; [`crate::engine::row_keys`]): stream 0 for
//! its explanation, alone or in [`timeshap_global`], and stream r for repeat r of the
//! global seed study. Neither the other sequences of a call nor thread counts change a
//! value.

mod background;
mod case;
mod global;
mod local;
mod lumped;
mod players;
mod pruning;

pub use background::SequenceBackground;
pub use global::{
    timeshap_global, DistanceImportance, FeatureImportance, GlobalParams, GlobalReport, PruningRow, Summary,
};
pub use local::{
    timeshap_cell, timeshap_event, timeshap_feature, timeshap_local, timeshap_prune, CellRelevance, Level, LocalReport,
    TimeShapExplanation,
};
pub use players::Player;
pub use pruning::{Pruning, PruningPoint, TimeShapCurvePoint};

use serde::Serialize;

use super::shapley::{Estimator, Link};
use crate::element::Element;
use crate::error::{Error, Result};
use crate::model::SequenceSignature;

/// The paper's coalition budget per explanation: exact enumeration when 2^M − 2 ≤ 32000.
pub const DEFAULT_BUDGET: usize = 32_000;

/// Parameters shared by every TimeSHAP explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeShapParams<E: Element = f32> {
    /// What a switched-off cell becomes.
    pub background: SequenceBackground<E>,
    /// η of temporal coalition pruning; `None` prunes nothing (unless `pruning_index`).
    pub tolerance: Option<f64>,
    /// The `timeshap` package's `pruning_idx`: a fixed negative index `-k` that keeps the
    /// last `k` events as players and lumps the older ones into one (`-L` keeps every
    /// event), with no pruning search. `None` (the default) searches with `tolerance`.
    /// Setting both is an error.
    pub pruning_index: Option<i64>,
    /// Coalitions per explanation (exact when `2^M − 2` fit); at least 2.
    pub budget: usize,
    /// The most jackknife groups for the standard errors of sampled values (at least 2).
    pub error_batches: u32,
    /// The model output explained.
    pub target: u32,
    /// The space values are computed in.
    pub link: Link,
    /// Use the model's state callbacks when it has them (same values, fewer events run).
    pub use_state: bool,
    /// How each level's KernelSHAP samples and fits its coalitions when it cannot
    /// enumerate them (KernelSHAP's default unless set; C `lumen_timeshap_options.estimator`).
    pub estimator: Estimator,
}

impl<E: Element> TimeShapParams<E> {
    /// Defaults over `background`: no pruning, budget 32000, 64 jackknife groups, output 0,
    /// identity link, state path when available, KernelSHAP's default estimator.
    pub fn new(background: SequenceBackground<E>) -> Self {
        Self {
            background,
            tolerance: None,
            pruning_index: None,
            budget: DEFAULT_BUDGET,
            error_batches: crate::explain::shapley::kernel_shap::DEFAULT_ERROR_BATCHES,
            target: 0,
            link: Link::Identity,
            use_state: true,
            estimator: Estimator::default(),
        }
    }

    /// The pruned length a fixed `pruning_index` gives a sequence of `seq_len` events, or
    /// an error when the index is out of `-seq_len ..= -1`; `None` without a fixed index.
    pub(crate) fn fixed_pruned_len(&self, seq_len: usize) -> Result<Option<usize>> {
        let Some(index) = self.pruning_index else { return Ok(None) };
        match usize::try_from(index.unsigned_abs()) {
            Ok(kept) if index < 0 && kept <= seq_len => Ok(Some(kept)),
            _ => Err(Error::invalid(
                "pruning_index",
                format!("is {index}, expected -{seq_len} <= index <= -1 for a sequence of {seq_len} events"),
            )),
        }
    }

    /// Checks the parameters against the model's signature.
    pub fn validate(&self, signature: &SequenceSignature) -> Result<()> {
        if let Some(eta) = self.tolerance {
            if !eta.is_finite() || eta < 0.0 {
                return Err(Error::invalid("tolerance", format!("is {eta}, expected a finite η >= 0")));
            }
        }
        if let Some(index) = self.pruning_index {
            if let Some(eta) = self.tolerance {
                return Err(Error::invalid(
                    "pruning_index",
                    format!(
                        "is {index} and tolerance is {eta}: set one of them (a fixed index replaces the tolerance search)"
                    ),
                ));
            }
            if index >= 0 {
                return Err(Error::invalid(
                    "pruning_index",
                    format!(
                        "is {index}, expected a negative index (timeshap's pruning_idx: -k keeps the last k events)"
                    ),
                ));
            }
        }
        if self.budget < 2 {
            return Err(Error::invalid("budget", format!("is {}, expected at least 2 coalitions", self.budget)));
        }
        if self.error_batches < 2 {
            return Err(Error::invalid("error_batches", format!("is {}, expected at least 2", self.error_batches)));
        }
        if self.target as usize >= signature.output_len {
            return Err(Error::invalid(
                "target",
                format!("is {}, expected an output index < {}", self.target, signature.output_len),
            ));
        }
        Ok(())
    }
}
