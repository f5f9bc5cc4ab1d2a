//! Feature Ablation with Captum's semantics: a feature mask assigns each input element to
//! a group; each group in turn is set to the baseline, and every element of the group is
//! attributed f(x) − f(x with the group ablated).

use serde::Serialize;

use super::ablation_run::{self, AblationRequest};
use super::row_targets::{by_row_target, TargetGroup, Targeted};
use super::{check_batch_request, check_device_inputs, resolve_targets};
use crate::backend::{Baselines, GroupMap, Masks};
use crate::element::Element;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::explanation::{Explanation, FeatureAxis, Method, RowDiagnostics, Values};
use crate::model::Model;

/// Feature Ablation's parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureAblationParams<E: Element = f32> {
    /// Group of each input element (`0..G`, every id used); `None` ablates each element alone.
    pub feature_mask: Option<Vec<u32>>,
    /// Optional names of the groups (`G` of them).
    pub group_names: Option<Vec<String>>,
    /// What ablated elements become.
    pub baseline: Baselines<E>,
    /// Outputs to explain; `None` explains every output.
    pub targets: Option<Vec<u32>>,
    /// Largest number of perturbed rows per model call; `None` lets the engine choose.
    pub perturbations_per_eval: Option<usize>,
    /// Report one value per group instead of one per element (Captum reports per element).
    pub group_attributions: bool,
}

impl<E: Element> Default for FeatureAblationParams<E> {
    fn default() -> Self {
        Self {
            feature_mask: None,
            group_names: None,
            baseline: Baselines::Scalar(E::zero()),
            targets: None,
            perturbations_per_eval: None,
            group_attributions: false,
        }
    }
}

impl<E: Element> Targeted for FeatureAblationParams<E> {
    fn targets(&self) -> Option<&[u32]> {
        self.targets.as_deref()
    }
    fn for_group(&self, group: &TargetGroup<'_>, row_len: usize) -> Self {
        Self { baseline: self.baseline.of_rows(group.rows, row_len), targets: Some(vec![group.target]), ..self.clone() }
    }
}

/// Explains `rows` rows of `inputs` by ablating feature groups.
pub fn feature_ablation<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &FeatureAblationParams<E>,
) -> Result<Explanation> {
    if let Some(explanation) = by_row_target(engine, model, inputs, rows, params, feature_ablation)? {
        return Ok(explanation);
    }
    let signature = model.signature();
    check_device_inputs(engine, signature, inputs, rows)?;
    check_batch_request("perturbations_per_eval", params.perturbations_per_eval)?;
    let targets = resolve_targets(signature, params.targets.as_deref())?;
    let row_len = signature.input_len();
    params.baseline.validate(rows, row_len)?;
    let groups = match &params.feature_mask {
        Some(mask) if mask.len() != row_len => return Err(Error::length("feature_mask", mask.len(), row_len)),
        Some(mask) => GroupMap::new(mask, "feature_mask")?,
        None => GroupMap::new(&(0..row_len as u32).collect::<Vec<_>>(), "feature_mask")?,
    };
    let group_count = groups.len();
    if let Some(names) = &params.group_names {
        if names.len() != group_count {
            return Err(Error::length("group_names", names.len(), format!("{group_count} (one per group)")));
        }
    }
    let masks = Masks::Groups(groups);

    let request = AblationRequest {
        inputs,
        rows,
        baselines: &params.baseline,
        masks: &masks,
        targets: &targets,
        perturbations_per_eval: params.perturbations_per_eval,
    };
    // The gather (unless the groups are the features) in the same task as the run.
    let (run, gathered) = engine.on_workers(|| {
        let run = ablation_run::run(engine, model, &request)?;
        let gathered = match params.group_attributions {
            true => None,
            false => Some(engine.backend_for::<E>().gather_ablation(&masks, &run.deltas)?),
        };
        Ok::<_, Error>((run, gathered))
    })?;
    let t = targets.len();
    let diagnostics = (0..rows)
        .map(|r| {
            let gaps = (0..t)
                .map(|k| {
                    let i = r * t + k;
                    let total: f64 = run.deltas[i * group_count..(i + 1) * group_count].iter().sum();
                    total - (run.predictions[i].widen() - run.base_values[i].widen())
                })
                .collect();
            RowDiagnostics { model_rows_evaluated: run.rows_per_input_row[r], completeness_gap: Some(gaps) }
        })
        .collect();

    let (feature_axis, features, attributions, feature_names) = match gathered {
        None => {
            let values = Values::rounded::<E>(run.deltas.clone());
            let names = params.group_names.clone().or_else(|| match params.feature_mask {
                None => signature.feature_names.clone(),
                Some(_) => None,
            });
            (FeatureAxis::Groups, group_count, values, names)
        }
        Some(values) => {
            (FeatureAxis::Elements, row_len, Values::from_rounded::<E>(values), signature.feature_names.clone())
        }
    };
    Ok(Explanation {
        method: Method::FeatureAblation,
        parameters: super::parameters_json(params)?,
        audit: super::audit::<E>(engine, None, run.rows_evaluated),
        input_shape: signature.input_shape.clone(),
        feature_shape: match feature_axis {
            FeatureAxis::Groups => vec![features],
            FeatureAxis::Elements => signature.input_shape.clone(),
        },
        rows,
        outputs: targets,
        row_targets: None,
        feature_axis,
        features,
        feature_names,
        attributions,
        predictions: Values::from_elements(&run.predictions),
        base_values: Values::from_elements(&run.base_values),
        standard_errors: None,
        diagnostics,
    })
}
