//! What KernelSHAP and Shapley Value Sampling share: the game's parameters, the players,
//! the per-row random stream, and turning per-row estimates into an [`Explanation`].

use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::background_patterns::BackgroundPatterns;
use super::game::{Background, Game, Link};
use crate::backend::GroupMap;
use crate::element::{Element, ElementType};
use crate::engine::row_keys::{Purpose, RowStreams};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::explanation::{Explanation, FeatureAxis, Method, RowDiagnostics, SamplingDiagnostics, Values, SAMPLING_KEY};
use crate::model::{MemorySpace, Model, ModelSignature};

/// The game every Shapley method plays: background, players, outputs and link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapleyGame<E: Element = f32> {
    /// The background set and its weights (the value of absent players is drawn from it).
    pub background: Background<E>,
    /// The player of each input element (`0..M`, every id used): grouped elements switch
    /// on and off together. `None` makes every element its own player.
    pub players: Option<Vec<u32>>,
    /// Optional names of the `M` players.
    pub player_names: Option<Vec<String>>,
    /// Outputs to explain; `None` explains every output.
    pub targets: Option<Vec<u32>>,
    /// The space values are computed in.
    pub link: Link,
}

impl<E: Element> ShapleyGame<E> {
    /// A game over `background` (uniform weights), every element a player, every output,
    /// identity link.
    pub fn new(background: Background<E>) -> Self {
        Self { background, players: None, player_names: None, targets: None, link: Link::Identity }
    }

    /// The checked player map for rows of `row_len` elements (at least two players).
    pub(super) fn player_map(&self, row_len: usize) -> Result<GroupMap> {
        let map = match &self.players {
            Some(players) if players.len() != row_len => {
                return Err(Error::length("players", players.len(), format!("input_len = {row_len}")))
            }
            Some(players) => GroupMap::new(players, "players")?,
            None => GroupMap::new(&(0..row_len as u32).collect::<Vec<_>>(), "players")?,
        };
        if map.len() < 2 {
            return Err(Error::invalid("players", format!("{} player(s), Shapley values need at least 2", map.len())));
        }
        if let Some(names) = &self.player_names {
            if names.len() != map.len() {
                return Err(Error::length("player_names", names.len(), format!("{} (one per player)", map.len())));
            }
        }
        if self.background.rows.len() != self.background.len() * row_len {
            return Err(Error::length(
                "background",
                self.background.rows.len(),
                format!("background rows × input_len = {} × {row_len}", self.background.len()),
            ));
        }
        Ok(map)
    }

    /// Names along the feature axis: the player names, else (one player per element) the
    /// model's feature names.
    fn feature_names(&self, signature: &ModelSignature) -> Option<Vec<String>> {
        self.player_names.clone().or_else(|| self.players.is_none().then(|| signature.feature_names.clone()).flatten())
    }
}

/// Widens the standard errors of one row's sampled values (`targets × M`, target-major,
/// with their `base` and `prediction` per target) to cover also the rounding the values
/// carry: in quadrature, [`ElementType::rounding_deviation`] of the value in `element`,
/// the type it is reported in, and the f64 solve's own, [`SOLVE_PRECISION`] of `s`, the
/// largest magnitude among the target's base, prediction and values. Where the samples
/// agree to the last bits (a game the fit reproduces), a value is off from the exact one by
/// that rounding alone, and an error from the samples alone would claim it closer than
/// that.
pub(crate) fn cover_rounding(
    errors: &mut [f64],
    values: &[f64],
    base: &[f64],
    prediction: &[f64],
    element: ElementType,
) {
    let players = values.len() / base.len().max(1);
    let per_target = errors.chunks_mut(players.max(1)).zip(values.chunks(players.max(1)));
    for ((errors, values), (base, prediction)) in per_target.zip(base.iter().zip(prediction)) {
        let scale = values.iter().fold(base.abs().max(prediction.abs()), |s, v| s.max(v.abs()));
        let solve = SOLVE_PRECISION * scale;
        for (error, &value) in errors.iter_mut().zip(values).filter(|(error, _)| error.is_finite()) {
            *error = error.hypot(element.rounding_deviation(value)).hypot(solve);
        }
    }
}

/// The share of its scale to which a least-squares solve in f64 holds a value
/// ([`cover_rounding`]): the normal equations of the interaction fits square their
/// condition, and values of a double model that the default fits exactly came out off by up
/// to 5e-14 of it (`examples/coverage_sweep.rs`, M = 10, `LUMEN_ELEMENT=f64`).
const SOLVE_PRECISION: f64 = 1e-12;

/// `target`, a `target_standard_error`, if it is one: finite and `> 0`.
pub(crate) fn checked_target(target: f64) -> Result<f64> {
    if target.is_finite() && target > 0.0 {
        Ok(target)
    } else {
        Err(Error::invalid("target_standard_error", format!("is {target}, expected a finite standard error > 0")))
    }
}

/// The largest of `errors` (0 for none).
pub(crate) fn largest(errors: &[f64]) -> f64 {
    errors.iter().copied().fold(0.0, f64::max)
}

/// Whether an accuracy-driven estimate stops at `target`: every reported standard error
/// (`largest_error`, covering the values' rounding) is at or below it, or every error from
/// the samples alone (`largest_sampling_error`) is, so that what is left above the target
/// is the values' rounding, which no more samples take lower. `None`: unavailable.
pub(crate) fn target_reached(largest_error: Option<f64>, largest_sampling_error: Option<f64>, target: f64) -> bool {
    largest_error.is_some_and(|e| e <= target) || largest_sampling_error.is_some_and(|e| e <= target)
}

/// A later round plans for this much more than the 1/√n law predicts it needs.
const ROUND_MARGIN: f64 = 1.2;

/// The size of the next round of an accuracy-driven estimate after `size` samples
/// (KernelSHAP's coalitions, Shapley Value Sampling's permutation pairs) gave
/// `largest_sampling_error`: what the 1/√n law predicts for `target` (with a margin), at
/// least 1.25× and at most 4× the current size; 2× when the errors are unavailable.
pub(crate) fn next_round_size(size: usize, largest_sampling_error: Option<f64>, target: f64) -> usize {
    let n = size as f64;
    let wanted = match largest_sampling_error {
        Some(error) => ROUND_MARGIN * n * (error / target).powi(2),
        None => 2.0 * n,
    };
    wanted.clamp(1.25 * n, 4.0 * n).ceil() as usize
}

/// One row's estimate, `targets × players` values in f64.
pub(crate) struct RowEstimate {
    /// Shapley values.
    pub values: Vec<f64>,
    /// Their standard errors (0 where exact; NaN when they cannot be estimated, which
    /// `sampling` then records).
    pub standard_errors: Vec<f64>,
    /// link(f(x)) per target.
    pub prediction: Vec<f64>,
    /// The base value per target.
    pub base: Vec<f64>,
    /// Model rows evaluated for this row.
    pub rows_evaluated: u64,
    /// How the estimate was sampled.
    pub sampling: Option<SamplingDiagnostics>,
}

impl RowEstimate {
    /// Whether the standard errors are all finite (available).
    pub fn standard_errors_available(&self) -> bool {
        self.standard_errors.iter().all(|e| e.is_finite())
    }
}

/// A checked Shapley explanation: the rows, the game, the outputs and the players.
pub(super) struct Request<'a, E: Element> {
    engine: &'a Engine,
    model: &'a dyn Model<E>,
    inputs: &'a [E],
    game: &'a ShapleyGame<E>,
    targets: Vec<u32>,
    players: GroupMap,
    patterns: Option<BackgroundPatterns>,
    streams: RowStreams,
}

impl<'a, E: Element> Request<'a, E> {
    /// Checks `rows` rows of `inputs` and `game` against `model`.
    pub fn new(
        engine: &'a Engine,
        model: &'a dyn Model<E>,
        inputs: &'a [E],
        rows: usize,
        game: &'a ShapleyGame<E>,
    ) -> Result<Self> {
        let signature = model.signature();
        super::super::check_device_inputs(engine, signature, inputs, rows)?;
        let targets = super::super::resolve_targets(signature, game.targets.as_deref())?;
        let players = game.player_map(signature.input_len())?;
        let streams = RowStreams::for_inputs(engine, inputs, signature.input_len())?;
        // A device-memory model's rows are all built on the device: no use for the patterns.
        let patterns = match signature.memory_space {
            MemorySpace::Host => BackgroundPatterns::new(&game.background.rows, &players)?,
            MemorySpace::Device => None,
        };
        Ok(Self { engine, model, inputs, game, targets, players, patterns, streams })
    }

    /// Number of players.
    pub fn players(&self) -> usize {
        self.players.len()
    }

    /// Estimates every row with `estimate`, given the row's game and random stream.
    ///
    /// The rows run on one of the engine's workers, under the caller's call control: the
    /// batches, reductions and solves inside then run there directly, instead of handing
    /// each to the pool and waiting for it (a thread switch each, measured at about a tenth
    /// of a one-thread explanation's engine time).
    pub fn estimate_rows(
        &self,
        estimate: impl Fn(&Game<'_, E>, &mut ChaCha20Rng) -> Result<RowEstimate> + Sync,
    ) -> Result<Vec<RowEstimate>> {
        let row_len = self.model.signature().input_len();
        let game = self.game;
        self.engine.on_workers(|| {
            self.inputs
                .chunks_exact(row_len)
                .enumerate()
                .map(|(row, x)| {
                    let row_game = Game::new(
                        self.engine,
                        self.model,
                        x,
                        &game.background,
                        &self.players,
                        &self.targets,
                        game.link,
                    )
                    .with_patterns(self.patterns.as_ref());
                    estimate(&row_game, &mut self.streams.rng(row, Purpose::Shapley, 0))
                })
                .collect()
        })
    }

    /// The explanation of `estimates` (one per row) by `method` with `parameters`. Their
    /// sampling facts go to `parameters["sampling"]` (one per row); when any row's standard
    /// errors are unavailable the explanation reports none (every number it holds is finite).
    pub fn explanation(
        self,
        method: Method,
        mut parameters: serde_json::Value,
        estimates: Vec<RowEstimate>,
    ) -> Explanation {
        let errors_available = estimates.iter().all(RowEstimate::standard_errors_available);
        let sampling: Option<Vec<SamplingDiagnostics>> = estimates.iter().map(|e| e.sampling.clone()).collect();
        if let Some(sampling) = sampling {
            parameters[SAMPLING_KEY] = serde_json::to_value(sampling).unwrap_or_default();
        }
        let signature = self.model.signature();
        let players = self.players.len();
        let rows = estimates.len();
        let t = self.targets.len();
        let mut attributions = Vec::with_capacity(rows * t * players);
        let mut standard_errors = Vec::with_capacity(rows * t * players);
        let mut predictions = Vec::with_capacity(rows * t);
        let mut base_values = Vec::with_capacity(rows * t);
        let mut diagnostics = Vec::with_capacity(rows);
        let mut rows_evaluated = 0;
        for estimate in estimates {
            let round = |values: &[f64]| values.iter().map(|&v| E::TYPE.round(v)).collect::<Vec<_>>();
            attributions.extend(round(&estimate.values));
            standard_errors.extend(round(&estimate.standard_errors));
            predictions.extend(round(&estimate.prediction));
            base_values.extend(round(&estimate.base));
            // The gap of what is reported: the values against the prediction and base, each
            // rounded to the model's element type.
            let first = attributions.len() - t * players;
            let gaps = (0..t)
                .map(|k| {
                    let sum: f64 = attributions[first + k * players..first + (k + 1) * players].iter().sum();
                    let p = predictions.len() - t + k;
                    sum - (predictions[p] - base_values[p])
                })
                .collect();
            diagnostics
                .push(RowDiagnostics { model_rows_evaluated: estimate.rows_evaluated, completeness_gap: Some(gaps) });
            rows_evaluated += estimate.rows_evaluated;
        }
        let per_element = self.game.players.is_none();
        Explanation {
            method,
            parameters,
            audit: super::super::audit::<E>(self.engine, Some(&self.streams), rows_evaluated),
            input_shape: signature.input_shape.clone(),
            feature_shape: if per_element { signature.input_shape.clone() } else { vec![players] },
            rows,
            outputs: self.targets,
            row_targets: None,
            feature_axis: if per_element { FeatureAxis::Elements } else { FeatureAxis::Groups },
            features: players,
            feature_names: self.game.feature_names(signature),
            attributions: Values::rounded::<E>(attributions),
            predictions: Values::rounded::<E>(predictions),
            base_values: Values::rounded::<E>(base_values),
            standard_errors: errors_available.then(|| Values::rounded::<E>(standard_errors)),
            diagnostics,
        }
    }
}
