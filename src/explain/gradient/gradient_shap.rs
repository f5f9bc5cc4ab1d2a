//! GradientSHAP (expected gradients) with Captum's semantics: for each of `n_samples`
//! samples, a baseline b drawn uniformly from a distribution of rows, the input with
//! Gaussian noise x' = x + ε, and α ~ U(0, 1); the attribution is the mean of
//! ∇f(b + α(x' − b)) ⊙ (x' − b). The convergence delta is Σ attr − (f(x) − mean_b f(b)).

use rand::RngExt;
use serde::Serialize;

use super::{accumulator_row, add_noise, gaussian, point, point_count, predict, run_paths, PathChunks, PathOutcome};
use crate::alloc::{try_filled, try_with_capacity};
use crate::backend::{PathJob, PathPoint};
use crate::element::Element;
use crate::engine::row_keys::{Purpose, RowStreams};
use crate::engine::Engine;
use crate::error::{ensure_finite, Error, Result};
use crate::explain::row_targets::{by_row_target, TargetGroup, Targeted};
use crate::explain::{check_batch_request, check_device_inputs, resolve_targets};
use crate::explanation::{Explanation, Method};
use crate::model::{Evaluator, Model};

/// GradientSHAP's parameters (Captum's names and defaults).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradientShapParams<E: Element = f32> {
    /// The baseline distribution: `m × input_len` rows, at least one.
    pub baselines: Vec<E>,
    /// Samples per input row (5).
    pub n_samples: usize,
    /// Standard deviation of the Gaussian noise added to the input (0).
    pub stdevs: E,
    /// Most path points per gradient call; `None` lets the memory budget decide.
    pub internal_batch_size: Option<usize>,
    /// Outputs to explain; `None` explains every output.
    pub targets: Option<Vec<u32>>,
}

impl<E: Element> GradientShapParams<E> {
    /// Captum's defaults over the baseline distribution `baselines`.
    pub fn new(baselines: Vec<E>) -> Self {
        Self { baselines, n_samples: 5, stdevs: E::zero(), internal_batch_size: None, targets: None }
    }
}

impl<E: Element> Targeted for GradientShapParams<E> {
    fn targets(&self) -> Option<&[u32]> {
        self.targets.as_deref()
    }
    fn for_group(&self, group: &TargetGroup<'_>, _row_len: usize) -> Self {
        Self { targets: Some(vec![group.target]), ..self.clone() }
    }
}

/// Explains `rows` rows of `inputs` by GradientSHAP. Deterministic given the call's seed:
/// a row's draws depend only on it and the row's key.
pub fn gradient_shap<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &GradientShapParams<E>,
) -> Result<Explanation> {
    engine.on_workers(|| gradient_shap_in_task(engine, model, inputs, rows, params))
}

/// [`gradient_shap`]'s work, as one task on the engine's workers.
fn gradient_shap_in_task<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &GradientShapParams<E>,
) -> Result<Explanation> {
    if let Some(explanation) = by_row_target(engine, model, inputs, rows, params, gradient_shap)? {
        return Ok(explanation);
    }
    let streams = RowStreams::for_inputs(engine, inputs, model.signature().input_len())?;
    gradient_shap_streams(engine, model, inputs, rows, params, streams)
}

/// [`gradient_shap`], row `r` drawing from `streams`' row `r` (NoiseTunnel explains its
/// noisy copies a chunk at a time, each copy keyed by its row's key and its number).
pub(super) fn gradient_shap_streams<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &GradientShapParams<E>,
    streams: RowStreams,
) -> Result<Explanation> {
    let signature = model.signature();
    check_device_inputs(engine, signature, inputs, rows)?;
    check_batch_request("internal_batch_size", params.internal_batch_size)?;
    let targets = resolve_targets(signature, params.targets.as_deref())?;
    let n = signature.input_len();
    if params.baselines.is_empty() {
        return Err(Error::invalid("baselines", "is empty, expected at least one baseline row"));
    }
    if params.baselines.len() % n != 0 {
        return Err(Error::length("baselines", params.baselines.len(), format!("a multiple of input_len = {n}")));
    }
    ensure_finite("baselines", &params.baselines)?;
    if params.n_samples == 0 {
        return Err(Error::invalid("n_samples", "is 0, expected at least 1"));
    }
    crate::limits::at_most("n_samples", params.n_samples, crate::limits::MAX_SAMPLES)?;
    let noise = gaussian(params.stdevs, "stdevs")?;
    let distribution = params.baselines.len() / n;
    let samples = params.n_samples;

    let t = targets.len();
    point_count(rows, t, samples, "n_samples")?;
    let working = engine.working_set().hold("the attribution sums", rows.saturating_mul(t).saturating_mul(n), 8);
    // A sample holds its noisy input, its draw, and a point and a target per output.
    let element_size = std::mem::size_of::<E>();
    let per_sample = n * element_size + 16 + t.saturating_mul(std::mem::size_of::<PathPoint<E>>() + 4);
    let chunks = PathChunks::plan(&working, per_sample, n, element_size, samples)?;
    let evaluator = Evaluator::with_backend(model, engine.backend());
    let mut accumulator = try_filled("attribution sums", rows * t * n, 0.0f64)?;
    let mut noisy = try_with_capacity("noisy inputs", chunks.units * n)?;
    let mut draws = try_with_capacity("baseline draws", chunks.units)?;
    let mut points = try_with_capacity("path points", chunks.units * t)?;
    let mut point_targets = try_with_capacity("path targets", chunks.units * t)?;
    // Each row draws its samples in order from its own stream, a chunk at a time.
    for (r, x) in inputs.chunks_exact(n).enumerate() {
        let mut rng = streams.rng(r, Purpose::GradientShap, 0);
        for start in (0..samples).step_by(chunks.units) {
            let count = chunks.units.min(samples - start);
            noisy.clear();
            draws.clear();
            for _ in 0..count {
                let baseline = rng.random_range(0..distribution);
                add_noise(x, &noise, &mut rng, &mut noisy);
                draws.push((baseline, f64::from(rng.random::<f32>())));
            }
            points.clear();
            point_targets.clear();
            for (k, &target) in targets.iter().enumerate() {
                for (s, &(baseline, alpha)) in draws.iter().enumerate() {
                    points.push(point(s, baseline, alpha, 1.0 / samples as f64, accumulator_row(r, k, t)));
                    point_targets.push(target);
                }
            }
            let job = PathJob {
                inputs: &noisy,
                baselines: &params.baselines,
                row_len: n,
                points: &points,
                times_difference: true,
            };
            let budget = chunks.batch_budget;
            run_paths(engine, &evaluator, &job, &point_targets, params.internal_batch_size, budget, &mut accumulator)?;
        }
    }

    let at_inputs = predict(&evaluator, inputs, rows)?;
    let at_baselines = predict(&evaluator, &params.baselines, distribution)?;
    let output_len = signature.output_len;
    let outcome = PathOutcome {
        engine,
        signature,
        method: Method::GradientShap,
        parameters: super::super::parameters_json(params)?,
        targets,
        accumulator,
        at_inputs,
        rows_per_input: (t * samples + 1) as u64,
        rows_evaluated: evaluator.rows_evaluated(),
        with_gaps: true,
        streams: Some(streams),
    };
    // The base value is the model's mean output over the baseline distribution.
    Ok(outcome.explanation(|_, target| {
        (0..distribution).map(|b| at_baselines[b * output_len + target as usize].widen()).sum::<f64>()
            / distribution as f64
    }))
}
