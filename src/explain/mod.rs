//! The explanation methods: each plans its perturbations, calls the model through the
//! [`Evaluator`](crate::model::Evaluator) and reduces with the engine's backend.

mod ablation_run;
pub mod counterfactual;
pub mod feature_ablation;
pub mod gradient;
pub mod occlusion;
mod row_targets;
pub mod shapley;
pub mod timeshap;

pub use feature_ablation::{feature_ablation, FeatureAblationParams};
pub use occlusion::{occlusion, OcclusionParams};

use crate::element::Element;
use crate::engine::row_keys::{call_seed, RowStreams};
use crate::error::{ensure_finite, Error, ErrorKind, Result};
use crate::model::{MemorySpace, ModelSignature};

/// Checks the rows to explain against the model's signature, for a method that evaluates
/// host-memory models only.
fn check_inputs<E: Element>(signature: &ModelSignature, inputs: &[E], rows: usize) -> Result<()> {
    if signature.memory_space != MemorySpace::Host {
        return Err(Error::new(
            ErrorKind::BackendUnavailable,
            "model: this method has no device-memory path; device-memory models are explained by Occlusion, Feature Ablation, KernelSHAP, Shapley Value Sampling, Integrated Gradients, Saliency and GradientSHAP on the CUDA backend",
        ));
    }
    check_rows(signature, inputs, rows)
}

/// Checks the rows to explain for a method that also runs device-memory models (on an
/// engine whose backend is CUDA; the rows to explain are host memory either way).
fn check_device_inputs<E: Element>(
    engine: &crate::engine::Engine,
    signature: &ModelSignature,
    inputs: &[E],
    rows: usize,
) -> Result<()> {
    if signature.memory_space == MemorySpace::Device && engine.backend_kind() != crate::backend::BackendKind::Cuda {
        let why = engine.backend_note().map(|note| format!(" ({note})")).unwrap_or_default();
        return Err(Error::new(
            ErrorKind::BackendUnavailable,
            format!(
                "model: device-memory models need an engine on the CUDA backend; this engine runs {}{why}",
                engine.backend_kind()
            ),
        ));
    }
    check_rows(signature, inputs, rows)
}

/// Element type, row count, length and finiteness of the rows to explain.
fn check_rows<E: Element>(signature: &ModelSignature, inputs: &[E], rows: usize) -> Result<()> {
    signature.expect_element::<E>()?;
    if rows == 0 {
        return Err(Error::invalid("rows", "is 0, expected at least one row to explain"));
    }
    let input_len = signature.input_len();
    let expected = rows.checked_mul(input_len).ok_or_else(|| Error::invalid("rows", "rows × input_len overflows"))?;
    if inputs.len() != expected {
        return Err(Error::length(
            "inputs",
            inputs.len(),
            format!("rows × input_len = {rows} × {input_len} = {expected}"),
        ));
    }
    ensure_finite("inputs", inputs)
}

/// The outputs to explain: all of them by default, else the caller's distinct indices.
fn resolve_targets(signature: &ModelSignature, targets: Option<&[u32]>) -> Result<Vec<u32>> {
    let output_len = signature.output_len;
    let Some(targets) = targets else {
        return Ok((0..output_len as u32).collect());
    };
    if targets.is_empty() {
        return Err(Error::invalid("targets", "is an empty list; pass none to explain every output"));
    }
    for (i, &t) in targets.iter().enumerate() {
        if t as usize >= output_len {
            return Err(Error::invalid(
                "targets",
                format!("element {i} is {t}, expected an output index < {output_len}"),
            ));
        }
        if targets[..i].contains(&t) {
            return Err(Error::invalid("targets", format!("output {t} is listed twice")));
        }
    }
    Ok(targets.to_vec())
}

/// A requested batch size (`perturbations_per_eval`, `internal_batch_size`): `None` lets
/// the engine choose; `Some(0)` is invalid. Errors name `argument`.
fn check_batch_request(argument: &str, requested: Option<usize>) -> Result<()> {
    if requested == Some(0) {
        return Err(Error::invalid(argument, "is 0 inside Some; use None to let the engine choose"));
    }
    Ok(())
}

/// The audit block of an explanation run on `engine`, drawing from `streams` when the
/// method is randomised.
fn audit<E: Element>(
    engine: &crate::engine::Engine,
    streams: Option<&RowStreams>,
    model_rows_evaluated: u64,
) -> crate::explanation::Audit {
    let backend = engine.backend_for::<E>().kind();
    let backend_note = if backend == engine.backend_kind() {
        engine.backend_note().map(str::to_owned)
    } else {
        Some(format!(
            "{} rows are built by the {backend} backend (the {} kernels build f32 rows)",
            E::TYPE,
            engine.backend_kind()
        ))
    };
    crate::explanation::Audit {
        library_version: crate::explanation::LIBRARY_VERSION,
        element_type: E::TYPE,
        seed: streams.map_or_else(|| call_seed(engine), RowStreams::seed),
        row_keys: streams.map(|s| s.keys().clone()),
        backend,
        backend_note,
        model_rows_evaluated,
    }
}

/// A method's parameters as JSON for the audit record.
fn parameters_json(params: &impl serde::Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(params)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("parameters: JSON serialisation failed: {e}")))
}
