//! Integrated Gradients (Sundararajan et al., 2017) with Captum's semantics:
//! attr = (x − b) ⊙ Σ_k w_k ∇f(b + α_k (x − b)) along the straight path, with the
//! convergence delta Σ attr − (f(x) − f(b)) per row and output.

use serde::Serialize;

use super::{accumulator_row, point, point_count, predict, run_point_chunks, PathOutcome, Quadrature};
use crate::alloc::try_filled;
use crate::backend::{Baselines, PathJob};
use crate::element::Element;
use crate::engine::Engine;
use crate::error::Result;
use crate::explain::row_targets::{by_row_target, TargetGroup, Targeted};
use crate::explain::{check_batch_request, check_device_inputs, resolve_targets};
use crate::explanation::{Explanation, Method};
use crate::model::{Evaluator, Model};

/// Integrated Gradients' parameters (Captum's names and defaults).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntegratedGradientsParams<E: Element = f32> {
    /// Where paths start: a scalar (default 0), one row, or one row per input row.
    pub baseline: Baselines<E>,
    /// Points on each path (50).
    pub n_steps: usize,
    /// The integration rule (Gauss–Legendre).
    pub method: Quadrature,
    /// Most path points per gradient call; `None` lets the memory budget decide.
    pub internal_batch_size: Option<usize>,
    /// Multiply the integrated gradient by (x − baseline) (Captum's default, true).
    pub multiply_by_inputs: bool,
    /// Outputs to explain; `None` explains every output.
    pub targets: Option<Vec<u32>>,
}

impl<E: Element> Default for IntegratedGradientsParams<E> {
    fn default() -> Self {
        Self {
            baseline: Baselines::Scalar(E::zero()),
            n_steps: 50,
            method: Quadrature::GaussLegendre,
            internal_batch_size: None,
            multiply_by_inputs: true,
            targets: None,
        }
    }
}

impl<E: Element> Targeted for IntegratedGradientsParams<E> {
    fn targets(&self) -> Option<&[u32]> {
        self.targets.as_deref()
    }
    fn for_group(&self, group: &TargetGroup<'_>, row_len: usize) -> Self {
        Self { baseline: self.baseline.of_rows(group.rows, row_len), targets: Some(vec![group.target]), ..self.clone() }
    }
}

/// Explains `rows` rows of `inputs` by Integrated Gradients.
pub fn integrated_gradients<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &IntegratedGradientsParams<E>,
) -> Result<Explanation> {
    engine.on_workers(|| integrated_gradients_in_task(engine, model, inputs, rows, params))
}

/// [`integrated_gradients`]'s work, as one task on the engine's workers.
fn integrated_gradients_in_task<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &IntegratedGradientsParams<E>,
) -> Result<Explanation> {
    if let Some(explanation) = by_row_target(engine, model, inputs, rows, params, integrated_gradients)? {
        return Ok(explanation);
    }
    let signature = model.signature();
    check_device_inputs(engine, signature, inputs, rows)?;
    check_batch_request("internal_batch_size", params.internal_batch_size)?;
    let targets = resolve_targets(signature, params.targets.as_deref())?;
    let n = signature.input_len();
    params.baseline.validate(rows, n)?;
    let (alphas, weights) = params.method.rule(params.n_steps)?;
    let (t, steps) = (targets.len(), alphas.len());
    let total = point_count(rows, t, steps, "n_steps")?;
    let working = engine
        .working_set()
        .hold("the quadrature rule", steps, 16)
        .hold("the baselines", rows * n, std::mem::size_of::<E>())
        .hold("the attribution sums", rows.saturating_mul(t).saturating_mul(n), 8);
    working.batch_budget(0)?;
    let baselines = params.baseline.expand("baselines", rows, n)?;

    let evaluator = Evaluator::with_backend(model, engine.backend());
    // (x − b) is the same for every point of a path: sum the weighted gradients, then
    // multiply once.
    let paths = PathJob { inputs, baselines: &baselines, row_len: n, points: &[], times_difference: false };
    let mut accumulator = try_filled("attribution sums", rows * t * n, 0.0f64)?;
    let point_of = |i: usize| {
        let (path, step) = (i / steps, i % steps);
        let (r, k) = (path / t, path % t);
        (point(r, r, alphas[step], weights[step], accumulator_row(r, k, t)), targets[k])
    };
    run_point_chunks(
        engine,
        &evaluator,
        paths,
        total,
        &working,
        params.internal_batch_size,
        &mut accumulator,
        point_of,
    )?;
    if params.multiply_by_inputs {
        let backend = engine.backend_for::<E>();
        backend.scale_by_difference(inputs, &baselines, n, t, &mut accumulator)?;
    }

    let at_inputs = predict(&evaluator, inputs, rows)?;
    let at_baselines = predict(&evaluator, &baselines, rows)?;
    let output_len = signature.output_len;
    let outcome = PathOutcome {
        engine,
        signature,
        method: Method::IntegratedGradients,
        parameters: super::super::parameters_json(params)?,
        targets,
        accumulator,
        at_inputs,
        rows_per_input: (t * alphas.len() + 2) as u64,
        rows_evaluated: evaluator.rows_evaluated(),
        with_gaps: params.multiply_by_inputs,
        streams: None,
    };
    Ok(outcome.explanation(|r, target| at_baselines[r * output_len + target as usize].widen()))
}
