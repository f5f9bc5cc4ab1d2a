//! Occlusion with Captum's semantics: windows of `window_shape` slide over each input
//! row by `strides`; the attribution of an element is the mean, over the windows that
//! cover it, of f(x) − f(x with that window set to the baseline).

use serde::Serialize;

use super::ablation_run::{self, AblationRequest};
use super::row_targets::{by_row_target, TargetGroup, Targeted};
use super::{check_batch_request, check_device_inputs, resolve_targets};
use crate::backend::{Baselines, Masks, WindowGrid};
use crate::element::Element;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::explanation::{Explanation, FeatureAxis, Method, RowDiagnostics, Values};
use crate::model::Model;

/// Occlusion's parameters (Captum's names and defaults).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OcclusionParams<E: Element = f32> {
    /// The window, one extent per dimension of the model's input shape.
    pub window_shape: Vec<usize>,
    /// Steps between windows per dimension; `None` means 1 everywhere (Captum's default).
    pub strides: Option<Vec<usize>>,
    /// What occluded elements become.
    pub baseline: Baselines<E>,
    /// Outputs to explain; `None` explains every output.
    pub targets: Option<Vec<u32>>,
    /// Largest number of perturbed rows per model call; `None` lets the engine choose.
    pub perturbations_per_eval: Option<usize>,
}

impl<E: Element> OcclusionParams<E> {
    /// Windows of `window_shape`, stride 1, baseline 0, every output.
    pub fn new(window_shape: Vec<usize>) -> Self {
        Self {
            window_shape,
            strides: None,
            baseline: Baselines::Scalar(E::zero()),
            targets: None,
            perturbations_per_eval: None,
        }
    }
}

impl<E: Element> Targeted for OcclusionParams<E> {
    fn targets(&self) -> Option<&[u32]> {
        self.targets.as_deref()
    }
    fn for_group(&self, group: &TargetGroup<'_>, row_len: usize) -> Self {
        Self { baseline: self.baseline.of_rows(group.rows, row_len), targets: Some(vec![group.target]), ..self.clone() }
    }
}

/// Explains `rows` rows of `inputs` by occlusion.
pub fn occlusion<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &OcclusionParams<E>,
) -> Result<Explanation> {
    if let Some(explanation) = by_row_target(engine, model, inputs, rows, params, occlusion)? {
        return Ok(explanation);
    }
    let signature = model.signature();
    check_device_inputs(engine, signature, inputs, rows)?;
    check_batch_request("perturbations_per_eval", params.perturbations_per_eval)?;
    let targets = resolve_targets(signature, params.targets.as_deref())?;
    let shape = &signature.input_shape;
    let ones = vec![1; shape.len()];
    let grid = WindowGrid::new(shape, &params.window_shape, params.strides.as_deref().unwrap_or(&ones))?;
    let row_len = signature.input_len();
    params.baseline.validate(rows, row_len)?;
    let masks = Masks::Windows(grid);

    let request = AblationRequest {
        inputs,
        rows,
        baselines: &params.baseline,
        masks: &masks,
        targets: &targets,
        perturbations_per_eval: params.perturbations_per_eval,
    };
    let (run, attributions) = engine.on_workers(|| {
        let run = ablation_run::run(engine, model, &request)?;
        let attributions = engine.backend_for::<E>().gather_ablation(&masks, &run.deltas)?;
        Ok::<_, Error>((run, attributions))
    })?;
    let diagnostics = run
        .rows_per_input_row
        .iter()
        .map(|&model_rows_evaluated| RowDiagnostics { model_rows_evaluated, completeness_gap: None })
        .collect();
    Ok(Explanation {
        method: Method::Occlusion,
        parameters: super::parameters_json(params)?,
        audit: super::audit::<E>(engine, None, run.rows_evaluated),
        input_shape: shape.clone(),
        feature_shape: shape.clone(),
        rows,
        outputs: targets,
        row_targets: None,
        feature_axis: FeatureAxis::Elements,
        features: row_len,
        feature_names: signature.feature_names.clone(),
        attributions: Values::from_rounded::<E>(attributions),
        predictions: Values::from_elements(&run.predictions),
        base_values: Values::from_elements(&run.base_values),
        standard_errors: None,
        diagnostics,
    })
}
