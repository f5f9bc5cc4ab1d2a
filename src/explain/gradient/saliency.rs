//! Saliency (Simonyan et al., 2013): the gradient of the output at the input, by default
//! its absolute value (Captum's `abs=True`).

use serde::Serialize;

use super::{accumulator_row, point, point_count, predict, run_point_chunks};
use crate::alloc::try_filled;
use crate::backend::PathJob;
use crate::element::Element;
use crate::engine::Engine;
use crate::error::Result;
use crate::explain::row_targets::{by_row_target, TargetGroup, Targeted};
use crate::explain::{check_device_inputs, resolve_targets};
use crate::explanation::{Explanation, FeatureAxis, Method, RowDiagnostics, Values};
use crate::model::{Evaluator, Model};

/// Saliency's parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SaliencyParams {
    /// Report |∇f| (true, Captum's default) or ∇f.
    pub abs: bool,
    /// Outputs to explain; `None` explains every output.
    pub targets: Option<Vec<u32>>,
}

impl Default for SaliencyParams {
    fn default() -> Self {
        Self { abs: true, targets: None }
    }
}

impl Targeted for SaliencyParams {
    fn targets(&self) -> Option<&[u32]> {
        self.targets.as_deref()
    }
    fn for_group(&self, group: &TargetGroup<'_>, _row_len: usize) -> Self {
        Self { targets: Some(vec![group.target]), ..self.clone() }
    }
}

/// Explains `rows` rows of `inputs` by their gradients.
pub fn saliency<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &SaliencyParams,
) -> Result<Explanation> {
    engine.on_workers(|| saliency_in_task(engine, model, inputs, rows, params))
}

/// [`saliency`]'s work, as one task on the engine's workers.
fn saliency_in_task<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &SaliencyParams,
) -> Result<Explanation> {
    if let Some(explanation) = by_row_target(engine, model, inputs, rows, params, saliency)? {
        return Ok(explanation);
    }
    let signature = model.signature();
    check_device_inputs(engine, signature, inputs, rows)?;
    let targets = resolve_targets(signature, params.targets.as_deref())?;
    let n = signature.input_len();
    let t = targets.len();
    let evaluator = Evaluator::with_backend(model, engine.backend());
    let working = engine.working_set().hold("the gradient sums", rows.saturating_mul(t).saturating_mul(n), 8);
    working.batch_budget(0)?;
    // A path from the input to itself: the point is the input, bit for bit.
    let paths = PathJob { inputs, baselines: inputs, row_len: n, points: &[], times_difference: false };
    let mut accumulator = try_filled("gradient sums", rows * t * n, 0.0f64)?;
    let point_of = |i: usize| {
        let (r, k) = (i / t, i % t);
        (point(r, r, 1.0, 1.0, accumulator_row(r, k, t)), targets[k])
    };
    let total = point_count(rows, t, 1, "targets")?;
    run_point_chunks(engine, &evaluator, paths, total, &working, None, &mut accumulator, point_of)?;
    let attributions =
        Values::rounded::<E>(accumulator.iter().map(|&g| if params.abs { g.abs() } else { g }).collect());
    let outputs = predict(&evaluator, inputs, rows)?;
    let predictions: Vec<E> = (0..rows)
        .flat_map(|r| targets.iter().map(move |&target| (r, target)))
        .map(|(r, target)| outputs[r * signature.output_len + target as usize])
        .collect();
    Ok(Explanation {
        method: Method::Saliency,
        parameters: super::super::parameters_json(params)?,
        audit: super::super::audit::<E>(engine, None, evaluator.rows_evaluated()),
        input_shape: signature.input_shape.clone(),
        feature_shape: signature.input_shape.clone(),
        rows,
        outputs: targets,
        row_targets: None,
        feature_axis: FeatureAxis::Elements,
        features: n,
        feature_names: signature.feature_names.clone(),
        attributions,
        base_values: Values::rounded::<E>(vec![0.0; predictions.len()]),
        predictions: Values::from_elements(&predictions),
        standard_errors: None,
        diagnostics: vec![RowDiagnostics { model_rows_evaluated: t as u64 + 1, completeness_gap: None }; rows],
    })
}
