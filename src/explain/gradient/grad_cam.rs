//! Grad-CAM (Selvaraju et al., 2017) with Captum's semantics (`LayerGradCam` followed by
//! `LayerAttribution.interpolate`): for each row and target, the channel weights
//! w_c = mean over h × w of ∂f_target/∂A_c, the map Σ_c w_c A_c of the layer's
//! activations A (optionally through a ReLU), and by default its bilinear upsampling
//! (`align_corners=False`) to the input's last two dimensions.

use serde::Serialize;

use super::predict;
use crate::element::{first_non_finite, Element};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::explain::row_targets::{by_row_target, TargetGroup, Targeted};
use crate::explain::{check_inputs, resolve_targets};
use crate::explanation::{Explanation, FeatureAxis, Method, RowDiagnostics, Values};
use crate::model::{BatchPlan, Evaluator, Model, ModelSignature};

/// Grad-CAM's parameters (Captum's names and defaults).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradCamParams {
    /// Outputs to explain; `None` explains every output.
    pub targets: Option<Vec<u32>>,
    /// Pass the map through a ReLU before upsampling (Captum's `relu_attributions`,
    /// default false).
    pub relu_attributions: bool,
    /// Resample the layer's h × w map to the input's last two dimensions H × W (true).
    /// The input shape must then have at least two dimensions (`[C, H, W]` or `[H, W]`);
    /// the map is shared by every channel, as Captum's broadcastable attribution is.
    pub upsample: bool,
    /// Most rows per `layer_gradient` call; `None` lets the memory budget decide.
    pub internal_batch_size: Option<usize>,
}

impl Default for GradCamParams {
    fn default() -> Self {
        Self { targets: None, relu_attributions: false, upsample: true, internal_batch_size: None }
    }
}

impl Targeted for GradCamParams {
    fn targets(&self) -> Option<&[u32]> {
        self.targets.as_deref()
    }
    fn for_group(&self, group: &TargetGroup<'_>, _row_len: usize) -> Self {
        Self { targets: Some(vec![group.target]), ..self.clone() }
    }
}

/// Explains `rows` rows of `inputs` by Grad-CAM on the layer the model's
/// `layer_gradient` callback exposes (`signature().layer_shape` = `[C, h, w]`).
///
/// The explanation's feature axis indexes the elements of the H × W plane when
/// upsampled (`features = H · W`), else of the layer's h × w plane; predictions are
/// f(x), base values 0, and no completeness gap is defined. Fails with
/// [`ErrorKind::ModelCapabilityMissing`] when the model has no layer callback or no
/// layer shape, [`ErrorKind::ModelNonFiniteOutput`] on a NaN or infinite activation or
/// gradient (or a map that overflows f32), and [`ErrorKind::InvalidArgument`] on a
/// wrong target or an upsampling request for an input of fewer than two dimensions.
pub fn grad_cam<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &GradCamParams,
) -> Result<Explanation> {
    engine.on_workers(|| grad_cam_in_task(engine, model, inputs, rows, params))
}

/// [`grad_cam`]'s work, as one task on the engine's workers.
fn grad_cam_in_task<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &GradCamParams,
) -> Result<Explanation> {
    if let Some(explanation) = by_row_target(engine, model, inputs, rows, params, grad_cam)? {
        return Ok(explanation);
    }
    let signature = model.signature();
    check_inputs(signature, inputs, rows)?;
    if params.internal_batch_size == Some(0) {
        return Err(Error::invalid("internal_batch_size", "is 0 inside Some; use None to let the engine choose"));
    }
    let targets = resolve_targets(signature, params.targets.as_deref())?;
    let layer = layer_shape(signature)?;
    let upsample_to = if params.upsample { Some(spatial_dims(&signature.input_shape)?) } else { None };
    let [channels, h, w] = layer;
    let plane = h * w;
    let layer_len = channels
        .checked_mul(plane)
        .ok_or_else(|| Error::invalid("layer_shape", format!("{layer:?}: C × h × w overflows")))?;
    let n = signature.input_len();
    let t = targets.len();
    let points = rows * t;

    // A batch holds its input rows, activations and gradients.
    let plan = BatchPlan::new(
        signature,
        points,
        n + 2 * layer_len,
        std::mem::size_of::<E>(),
        engine.memory_budget_bytes(),
        params.internal_batch_size,
        1,
    )?;
    let batch_rows = plan.batch_rows;
    let mut batch_inputs = if t > 1 { vec![E::zero(); batch_rows * n] } else { Vec::new() };
    let mut batch_targets = Vec::with_capacity(batch_rows);
    let mut activations = vec![E::zero(); batch_rows * layer_len];
    let mut gradients = vec![E::zero(); batch_rows * layer_len];
    let mut maps = vec![E::zero(); points * plane];
    let backend = engine.backend_for::<E>();
    let mut layer_rows = 0u64;
    let mut start = 0;
    while start < points {
        let end = (start + batch_rows).min(points);
        let k = end - start;
        batch_targets.clear();
        batch_targets.extend((start..end).map(|p| targets[p % t]));
        // Point p explains input row p / t: with one target the input rows are the batch.
        let batch: &[E] = if t == 1 {
            &inputs[start * n..end * n]
        } else {
            for (slot, p) in batch_inputs.chunks_exact_mut(n).zip(start..end) {
                slot.copy_from_slice(&inputs[(p / t) * n..(p / t + 1) * n]);
            }
            &batch_inputs[..k * n]
        };
        let (activations, gradients) = (&mut activations[..k * layer_len], &mut gradients[..k * layer_len]);
        model.layer_gradient(batch, k, &batch_targets, activations, gradients)?;
        layer_rows += k as u64;
        check_layer("activation", activations, start, &targets, layer_len)?;
        check_layer("gradient", gradients, start, &targets, layer_len)?;
        let batch_maps = &mut maps[start * plane..end * plane];
        backend.grad_cam_map(layer, activations, gradients, params.relu_attributions, batch_maps)?;
        start = end;
    }
    if let Some(i) = first_non_finite(&maps) {
        let p = i / plane;
        return Err(Error::new(
            ErrorKind::ModelNonFiniteOutput,
            format!(
                "model: the Grad-CAM map of row {} for output {} overflows {} at position {}; the layer's activations and gradients are too large",
                p / t,
                targets[p % t],
                E::TYPE,
                i % plane
            ),
        ));
    }

    let (attributions, feature_shape, feature_names) = match upsample_to {
        Some([out_h, out_w]) => {
            let mut resampled = vec![E::zero(); points * out_h * out_w];
            backend.upsample_bilinear(&maps, [h, w], [out_h, out_w], &mut resampled)?;
            // The signature's names fit only when the plane is the whole input row.
            let names = if out_h * out_w == n { signature.feature_names.clone() } else { None };
            (resampled, vec![out_h, out_w], names)
        }
        None => (maps, vec![h, w], None),
    };

    let evaluator = Evaluator::new(model);
    let outputs = predict(&evaluator, inputs, rows)?;
    let predictions: Vec<E> =
        (0..points).map(|p| outputs[(p / t) * signature.output_len + targets[p % t] as usize]).collect();
    Ok(Explanation {
        method: Method::GradCam,
        parameters: super::super::parameters_json(params)?,
        audit: super::super::audit::<E>(engine, None, evaluator.rows_evaluated() + layer_rows),
        input_shape: signature.input_shape.clone(),
        rows,
        outputs: targets,
        row_targets: None,
        feature_axis: FeatureAxis::Elements,
        features: feature_shape.iter().product(),
        feature_shape,
        feature_names,
        attributions: Values::from_elements(&attributions),
        base_values: Values::rounded::<E>(vec![0.0; predictions.len()]),
        predictions: Values::from_elements(&predictions),
        standard_errors: None,
        diagnostics: vec![RowDiagnostics { model_rows_evaluated: t as u64 + 1, completeness_gap: None }; rows],
    })
}

/// The model's layer shape `[C, h, w]`, or why Grad-CAM cannot run on it.
fn layer_shape(signature: &ModelSignature) -> Result<[usize; 3]> {
    let Some(layer) = signature.layer_shape else {
        return Err(Error::new(
            ErrorKind::ModelCapabilityMissing,
            "model: the signature has no layer_shape; Grad-CAM needs the [C, h, w] shape of the layer its layer_gradient callback exposes",
        ));
    };
    if layer.contains(&0) {
        return Err(Error::invalid("layer_shape", format!("{layer:?} has a zero dimension")));
    }
    Ok(layer)
}

/// The last two dimensions `[H, W]` of the input shape, which upsampling targets.
fn spatial_dims(input_shape: &[usize]) -> Result<[usize; 2]> {
    match *input_shape {
        [.., out_h, out_w] => Ok([out_h, out_w]),
        _ => Err(Error::invalid(
            "upsample",
            format!(
                "the input shape {input_shape:?} has fewer than two dimensions; upsampling needs [C, H, W] or [H, W] (or set upsample to false)"
            ),
        )),
    }
}

/// Fails on the first non-finite value of a batch of `what` (activations or gradients)
/// whose first point is `start`.
fn check_layer<E: Element>(what: &str, values: &[E], start: usize, targets: &[u32], layer_len: usize) -> Result<()> {
    let Some(i) = first_non_finite(values) else {
        return Ok(());
    };
    let (p, t) = (start + i / layer_len, targets.len());
    Err(Error::new(
        ErrorKind::ModelNonFiniteOutput,
        format!(
            "model: the layer_gradient callback wrote {} to {what} {} of row {} for output {}; {what}s must be finite",
            values[i],
            i % layer_len,
            p / t,
            targets[p % t]
        ),
    ))
}
