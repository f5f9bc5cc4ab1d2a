//! KernelSHAP (Lundberg & Lee, 2017): Shapley values as the solution of a weighted
//! linear regression over coalitions, constrained to local accuracy. Coalitions follow
//! shap's `KernelExplainer` schedule ([`schedule`](super::schedule)): exact enumeration
//! when the budget allows, else complete subset sizes from the outside in and paired
//! samples for the rest. Standard errors repeat the solve on disjoint batches of the
//! sampled pairs (each batch with every enumerated coalition) and report the spread of
//! the batch estimates divided by √batches.

use serde::Serialize;

use super::common::{Request, RowEstimate, ShapleyGame};
use super::game::Game;
use super::schedule::{default_budget, kernel_schedule, Schedule};
use super::solve::{constrained_wls, constrained_wls_rows};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::explanation::{Explanation, Method};
use crate::model::Model;

/// Sample batches used for standard errors when the caller does not choose.
pub const DEFAULT_ERROR_BATCHES: u32 = 10;

/// KernelSHAP's parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelShapParams {
    /// The game: background, players, outputs, link.
    #[serde(flatten)]
    pub game: ShapleyGame,
    /// Coalitions evaluated per row (each over every background row); `None` means
    /// 2M + 2048, shap's default.
    pub budget: Option<usize>,
    /// Disjoint batches of sampled pairs for the standard errors (at least 2).
    pub error_batches: u32,
}

impl KernelShapParams {
    /// Default budget and error batches over `game`.
    pub fn new(game: ShapleyGame) -> Self {
        Self { game, budget: None, error_batches: DEFAULT_ERROR_BATCHES }
    }
}

/// Explains `rows` rows of `inputs` by KernelSHAP. Deterministic given the engine's seed,
/// whatever the thread count.
pub fn kernel_shap(
    engine: &Engine,
    model: &dyn Model,
    inputs: &[f32],
    rows: usize,
    params: &KernelShapParams,
) -> Result<Explanation> {
    let request = Request::new(engine, model, inputs, rows, &params.game)?;
    let players = request.players();
    let budget = params.budget.unwrap_or_else(|| default_budget(players));
    if params.error_batches < 2 {
        return Err(Error::invalid(
            "error_batches",
            format!("is {}, expected at least 2 (a standard error needs two batches)", params.error_batches),
        ));
    }
    let estimates = request
        .estimate_rows(|game, rng| estimate_row(game, &kernel_schedule(players, budget, params.error_batches, rng)?))?;
    let mut parameters = super::super::parameters_json(params)?;
    parameters["budget"] = budget.into();
    Ok(request.explanation(Method::KernelShap, parameters, estimates))
}

/// One row's KernelSHAP estimate on `game` over the coalitions of `schedule`: the
/// constrained weighted least-squares values per target and their batch standard errors.
pub(crate) fn estimate_row(game: &Game<'_>, schedule: &Schedule) -> Result<RowEstimate> {
    let m = game.players();
    let prediction = game.prediction()?;
    let base = game.base()?;
    let t = prediction.len();
    let coalitions = &schedule.coalitions;
    let all_values = game.values(coalitions.packed(), coalitions.words())?;
    let mut values = Vec::with_capacity(t * m);
    let mut standard_errors = Vec::with_capacity(t * m);
    for k in 0..t {
        let y: Vec<f64> = (0..coalitions.len()).map(|c| all_values[c * t + k]).collect();
        let phi = constrained_wls(coalitions, &schedule.weights, &y, base[k], prediction[k])?;
        standard_errors.extend(batch_standard_errors(schedule, &y, base[k], prediction[k], &phi)?);
        values.extend(phi);
    }
    Ok(RowEstimate { values, standard_errors, prediction, base, rows_evaluated: game.rows_evaluated() })
}

/// Standard errors from disjoint batches of the sampled pairs: each batch estimate uses
/// every enumerated coalition plus its own samples, rescaled to carry the whole sampled
/// weight. Each batch holds 1/B of the samples, so the variance of the full estimate is
/// about the batch estimates' variance divided by B. When the batches are too small to
/// determine every player (a small budget), neighbouring batches are merged (B halves)
/// until each batch solves; exact schedules give zeros.
fn batch_standard_errors(schedule: &Schedule, y: &[f64], base: f64, total: f64, phi: &[f64]) -> Result<Vec<f64>> {
    if schedule.exact || schedule.batches < 2 {
        return Ok(vec![0.0; phi.len()]);
    }
    let mut batches = schedule.batches;
    loop {
        match batch_spread(schedule, batches, y, base, total, phi) {
            Ok(errors) => return Ok(errors),
            Err(e) if e.kind() == ErrorKind::InvalidArgument && batches > 2 => batches /= 2,
            Err(e) => {
                return Err(Error::invalid(
                    "budget",
                    format!(
                        "the sampled coalitions are too few to estimate standard errors even in 2 batches ({}); raise the budget",
                        e.message()
                    ),
                ))
            }
        }
    }
}

/// The standard errors from `batches` batches (sample batch `b` in batch `b % batches`).
fn batch_spread(schedule: &Schedule, batches: u32, y: &[f64], base: f64, total: f64, phi: &[f64]) -> Result<Vec<f64>> {
    let mut spread = vec![0.0f64; phi.len()];
    for batch in 0..batches {
        // Only the batch's own rows: the other samples have weight 0 and would only cost time.
        let rows = schedule.batch_rows(batch, batches);
        let weights = schedule.batch_weights(batch, batches);
        let estimate = constrained_wls_rows(&schedule.coalitions, &weights, y, &rows, base, total)?;
        spread.iter_mut().zip(estimate.iter().zip(phi)).for_each(|(s, (e, p))| *s += (e - p).powi(2));
    }
    let b = f64::from(batches);
    Ok(spread.into_iter().map(|s| (s / (b - 1.0) / b).sqrt()).collect())
}
