//! The gradient methods (Captum's semantics and defaults): Integrated Gradients,
//! Saliency, GradientSHAP, NoiseTunnel and Grad-CAM. They run on the model's `gradient`
//! (and `layer_gradient`) callbacks, in batches bounded by an internal batch size and the
//! engine's memory budget, so memory never grows with the number of steps or samples.

pub mod grad_cam;
pub mod gradient_shap;
pub mod integrated_gradients;
pub mod noise_tunnel;
pub mod quadrature;
pub mod saliency;

pub use grad_cam::{grad_cam, GradCamParams};
pub use gradient_shap::{gradient_shap, GradientShapParams};
pub use integrated_gradients::{integrated_gradients, IntegratedGradientsParams};
pub use noise_tunnel::{noise_tunnel, NoiseTunnelBase, NoiseTunnelParams, NoiseType};
pub use quadrature::Quadrature;
pub use saliency::{saliency, SaliencyParams};

use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;

use crate::alloc::{try_filled, try_with_capacity};
use crate::backend::{PathJob, PathPoint};
use crate::element::{Element, ElementType};
use crate::engine::memory::WorkingSet;
use crate::engine::row_keys::RowStreams;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{BatchPlan, Evaluator};

/// How a path method's points are cut into chunks under the memory budget.
#[derive(Debug, Clone, Copy)]
struct PathChunks {
    /// Units (a sample or a step, with its points) per chunk.
    units: usize,
    /// Bytes left for the batches of a chunk.
    batch_budget: usize,
}

impl PathChunks {
    /// Plans `total` units of `per_unit` bytes each after the call's `working` set, for
    /// rows of `row_len` elements: a chunk takes at most half of what the working set
    /// leaves, its batches (a point and its gradient per batch row) the rest.
    fn plan(working: &WorkingSet, per_unit: usize, row_len: usize, element_size: usize, total: usize) -> Result<Self> {
        let batch_row = row_len.saturating_mul(2 * element_size);
        let free = working.batch_budget(per_unit.saturating_add(batch_row))?;
        let per_unit = per_unit.max(1);
        let units = ((free - batch_row) / per_unit).min(free / 2 / per_unit).clamp(1, total.max(1));
        Ok(Self { units, batch_budget: free - units * per_unit })
    }
}

/// Evaluates every point of `job` on the model's gradient and accumulates the weighted
/// gradients into `accumulator` (`targets × row_len` per accumulator row). At most
/// `internal_batch_size` points (or what `budget_bytes` allows) go to one call.
fn run_paths<E: Element>(
    engine: &Engine,
    evaluator: &Evaluator<'_, E>,
    job: &PathJob<'_, E>,
    targets: &[u32],
    internal_batch_size: Option<usize>,
    budget_bytes: usize,
    accumulator: &mut [f64],
) -> Result<()> {
    let n = job.row_len;
    // Batch inputs and gradients are both held: each point costs two rows.
    let element_size = std::mem::size_of::<E>();
    let plan = BatchPlan::new(
        evaluator.signature(),
        job.points.len(),
        2 * n,
        element_size,
        budget_bytes,
        internal_batch_size,
        1,
    )?;
    if evaluator.on_device()? {
        return evaluator.device_path_gradients(job, targets, plan.batch_rows, accumulator);
    }
    let mut rows = try_filled("path batch", plan.batch_rows * n, E::zero())?;
    let mut gradients = try_filled("path gradients", plan.batch_rows * n, E::zero())?;
    let backend = engine.backend_for::<E>();
    // The methods run as one task on the engine's workers: the backend's loops run on
    // them and the model is called from one of them, with no handover per batch.
    let mut start = 0;
    while start < job.points.len() {
        let end = (start + plan.batch_rows).min(job.points.len());
        let k = end - start;
        backend.build_path_batch(job, start..end, &mut rows)?;
        evaluator.gradient(&rows[..k * n], k, &targets[start..end], &mut gradients[..k * n], None)?;
        backend.accumulate_path_gradients(job, start..end, &gradients[..k * n], accumulator)?;
        start = end;
    }
    Ok(())
}

/// Evaluates `total` path points in chunks planned under the call's `working` set:
/// `point_of(i)` gives point `i` and its target output, and `paths` the buffers every
/// point refers to (its own `points` are ignored).
#[allow(clippy::too_many_arguments)]
fn run_point_chunks<E: Element>(
    engine: &Engine,
    evaluator: &Evaluator<'_, E>,
    paths: PathJob<'_, E>,
    total: usize,
    working: &WorkingSet,
    internal_batch_size: Option<usize>,
    accumulator: &mut [f64],
    point_of: impl Fn(usize) -> (PathPoint<E>, u32),
) -> Result<()> {
    let per_point = std::mem::size_of::<PathPoint<E>>() + std::mem::size_of::<u32>();
    let chunks = PathChunks::plan(working, per_point, paths.row_len, std::mem::size_of::<E>(), total)?;
    let mut points = try_with_capacity("path points", chunks.units)?;
    let mut targets = try_with_capacity("path targets", chunks.units)?;
    for start in (0..total).step_by(chunks.units) {
        points.clear();
        targets.clear();
        for i in start..(start + chunks.units).min(total) {
            let (point, target) = point_of(i);
            points.push(point);
            targets.push(target);
        }
        let job = PathJob { points: &points, ..paths };
        run_paths(engine, evaluator, &job, &targets, internal_batch_size, chunks.batch_budget, accumulator)?;
    }
    Ok(())
}

/// The number of points of `rows × targets × per_path` paths, or an error naming `field`
/// when it overflows.
fn point_count(rows: usize, targets: usize, per_path: usize, field: &str) -> Result<usize> {
    rows.checked_mul(targets).and_then(|paths| paths.checked_mul(per_path)).ok_or_else(|| {
        Error::invalid(field, format!("rows × targets × {field} = {rows} × {targets} × {per_path} overflows"))
    })
}

/// `rows × outputs` model outputs of `inputs`.
fn predict<E: Element>(evaluator: &Evaluator<'_, E>, inputs: &[E], rows: usize) -> Result<Vec<E>> {
    let mut outputs = vec![E::zero(); rows * evaluator.signature().output_len];
    evaluator.predict(inputs, rows, &mut outputs)?;
    Ok(outputs)
}

/// A checked N(0, σ²) distribution.
fn gaussian<E: Element>(stdev: E, argument: &str) -> Result<Gaussian<E>> {
    if !stdev.is_finite() || stdev < E::zero() {
        return Err(Error::invalid(argument, format!("is {stdev}, expected a finite standard deviation >= 0")));
    }
    let largest = E::max_value() / E::from_f64(64.0);
    if stdev > largest {
        return Err(Error::invalid(
            argument,
            format!(
                "is {stdev}, expected at most {largest:e}: noise that large overflows {} inputs \
                 (a normal draw reaches 64 standard deviations)",
                match E::TYPE {
                    ElementType::F32 => "float32",
                    ElementType::F64 => "float64",
                }
            ),
        ));
    }
    Ok(Gaussian { stdev })
}

/// `row` plus Gaussian noise drawn from `rng`.
fn add_noise<E: Element>(row: &[E], noise: &Gaussian<E>, rng: &mut ChaCha20Rng, out: &mut Vec<E>) {
    out.extend(row.iter().map(|&x| x + noise.sample(rng)));
}

/// Normal noise of mean 0 in the element type: `0 + stdev · z` with `z` a standard normal
/// f64 draw rounded to the element (what `rand_distr::Normal<f32>` computes for f32).
#[derive(Debug, Clone, Copy)]
struct Gaussian<E: Element> {
    stdev: E,
}

impl<E: Element> Gaussian<E> {
    fn sample(&self, rng: &mut ChaCha20Rng) -> E {
        let z: f64 = rng.sample(StandardNormal);
        E::zero() + self.stdev * E::from_f64(z)
    }
}

/// Rows explained × targets points helper: the accumulator row of (row, target k).
fn accumulator_row(row: usize, k: usize, targets: usize) -> usize {
    row * targets + k
}

/// A path point, for the methods' plans.
fn point<E: Element>(input: usize, baseline: usize, alpha: f64, weight: f64, target: usize) -> PathPoint<E> {
    PathPoint { input, baseline, alpha: E::from_f64(alpha), weight, target }
}

/// What a path method (Integrated Gradients, GradientSHAP) hands over to become an
/// explanation.
struct PathOutcome<'a, E: Element> {
    engine: &'a Engine,
    signature: &'a crate::model::ModelSignature,
    method: crate::explanation::Method,
    parameters: serde_json::Value,
    targets: Vec<u32>,
    /// `rows × targets × input_len` attributions, summed in f64.
    accumulator: Vec<f64>,
    /// `rows × output_len` outputs at the inputs.
    at_inputs: Vec<E>,
    /// Model rows evaluated per explained row, and in all.
    rows_per_input: u64,
    rows_evaluated: u64,
    /// Whether Σ attr − (f(x) − base) is a meaningful completeness gap.
    with_gaps: bool,
    /// The random streams of a randomised method, for the audit.
    streams: Option<RowStreams>,
}

impl<E: Element> PathOutcome<'_, E> {
    /// The explanation, with base value `base_of(row, target)` for each row and target.
    fn explanation(self, base_of: impl Fn(usize, u32) -> f64) -> crate::explanation::Explanation {
        use crate::explanation::{Explanation, FeatureAxis, RowDiagnostics, Values};
        let n = self.signature.input_len();
        let (output_len, t) = (self.signature.output_len, self.targets.len());
        let rows = self.accumulator.len() / (t * n).max(1);
        let attributions = Values::rounded::<E>(self.accumulator);
        let mut predictions = Vec::with_capacity(rows * t);
        let mut base_values = Vec::with_capacity(rows * t);
        let mut diagnostics = Vec::with_capacity(rows);
        for r in 0..rows {
            let mut gaps = Vec::with_capacity(t);
            for (k, &target) in self.targets.iter().enumerate() {
                let fx = self.at_inputs[r * output_len + target as usize];
                let base = base_of(r, target);
                predictions.push(fx);
                base_values.push(base);
                let row = accumulator_row(r, k, t);
                let sum: f64 = attributions[row * n..(row + 1) * n].iter().sum();
                gaps.push(sum - (fx.widen() - base));
            }
            diagnostics.push(RowDiagnostics {
                model_rows_evaluated: self.rows_per_input,
                completeness_gap: self.with_gaps.then_some(gaps),
            });
        }
        Explanation {
            method: self.method,
            parameters: self.parameters,
            audit: super::audit::<E>(self.engine, self.streams.as_ref(), self.rows_evaluated),
            input_shape: self.signature.input_shape.clone(),
            feature_shape: self.signature.input_shape.clone(),
            rows,
            outputs: self.targets,
            row_targets: None,
            feature_axis: FeatureAxis::Elements,
            features: n,
            feature_names: self.signature.feature_names.clone(),
            attributions,
            predictions: Values::from_elements(&predictions),
            base_values: Values::rounded::<E>(base_values),
            standard_errors: None,
            diagnostics,
        }
    }
}
