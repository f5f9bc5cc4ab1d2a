//! NoiseTunnel (Smilkov et al., 2017; Adebayo et al., 2018) with Captum's semantics: a
//! gradient method run on `nt_samples` copies of each input with Gaussian noise
//! N(0, stdevs²), the attributions aggregated per input as their mean (smoothgrad), the
//! mean of their squares (smoothgrad_sq) or their variance (vargrad).

use serde::Serialize;

use super::gradient_shap::gradient_shap_streams;
use super::{add_noise, gaussian, predict};
use super::{integrated_gradients, saliency};
use super::{GradientShapParams, IntegratedGradientsParams, SaliencyParams};
use crate::alloc::{try_filled, try_with_capacity};
use crate::backend::Baselines;
use crate::element::Element;
use crate::engine::memory::with_budget_cap;
use crate::engine::row_keys::{Purpose, RowStreams};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::explain::row_targets::{by_row_target, TargetGroup, Targeted};
use crate::explain::{check_inputs, resolve_targets};
use crate::explanation::{Explanation, Method, RowDiagnostics, Values};
use crate::model::{Evaluator, Model};

/// How the noisy attributions are aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseType {
    /// Their mean.
    #[default]
    Smoothgrad,
    /// The mean of their squares.
    SmoothgradSq,
    /// Their variance (mean of squares − square of mean).
    Vargrad,
}

/// The gradient method under the tunnel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseTunnelBase<E: Element = f32> {
    /// Saliency.
    Saliency(SaliencyParams),
    /// Integrated Gradients.
    IntegratedGradients(IntegratedGradientsParams<E>),
    /// GradientSHAP.
    GradientShap(GradientShapParams<E>),
}

/// NoiseTunnel's parameters (Captum's defaults: smoothgrad, 5 samples, σ = 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoiseTunnelParams<E: Element = f32> {
    /// The method whose attributions are smoothed.
    pub base: NoiseTunnelBase<E>,
    /// The aggregation.
    pub nt_type: NoiseType,
    /// Noisy copies per input (5).
    pub nt_samples: usize,
    /// Standard deviation of the noise (1.0).
    pub stdevs: E,
}

impl<E: Element> NoiseTunnelParams<E> {
    /// Captum's defaults over `base`.
    pub fn new(base: NoiseTunnelBase<E>) -> Self {
        Self { base, nt_type: NoiseType::Smoothgrad, nt_samples: 5, stdevs: E::one() }
    }
}

impl<E: Element> NoiseTunnelBase<E> {
    /// The outputs the base method explains, as it asked for them.
    fn targets(&self) -> Option<&[u32]> {
        match self {
            Self::Saliency(p) => p.targets.as_deref(),
            Self::IntegratedGradients(p) => p.targets.as_deref(),
            Self::GradientShap(p) => p.targets.as_deref(),
        }
    }

    /// This base for the rows of `group` alone, explaining `group.target`.
    fn for_group(&self, group: &TargetGroup<'_>, row_len: usize) -> Self {
        match self {
            Self::Saliency(p) => Self::Saliency(p.for_group(group, row_len)),
            Self::IntegratedGradients(p) => Self::IntegratedGradients(p.for_group(group, row_len)),
            Self::GradientShap(p) => Self::GradientShap(p.for_group(group, row_len)),
        }
    }
}

/// Runs the base method on `copies` noisy copies of explained row `row`, the first being
/// copy `first_copy` of the row (each copy draws from a stream keyed by the row's key and
/// the copy's number).
fn run_base<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    noisy: &[E],
    streams: &RowStreams,
    (row, first_copy, copies): (usize, usize, usize),
    base: &NoiseTunnelBase<E>,
) -> Result<Explanation> {
    match base {
        NoiseTunnelBase::Saliency(p) => saliency(engine, model, noisy, copies, p),
        NoiseTunnelBase::GradientShap(p) => {
            gradient_shap_streams(engine, model, noisy, copies, p, streams.derived(row, first_copy, copies))
        }
        NoiseTunnelBase::IntegratedGradients(p) => {
            let mut p = p.clone();
            if let Baselines::PerRow(values) = &p.baseline {
                let n = model.signature().input_len();
                let baseline = &values[row * n..(row + 1) * n];
                p.baseline = Baselines::PerRow(std::iter::repeat_n(baseline, copies).flatten().copied().collect());
            }
            integrated_gradients(engine, model, noisy, copies, &p)
        }
    }
}

/// One explained row's running sums over its noisy copies.
struct CopySums {
    /// Σ a and Σ a² per (target, element).
    sums: Vec<f64>,
    squares: Vec<f64>,
    /// Σ base value per target.
    base_values: Vec<f64>,
    /// Model rows the copies cost.
    model_rows: u64,
}

impl CopySums {
    fn new(block: usize, targets: usize) -> Result<Self> {
        Ok(Self {
            sums: try_filled("noisy attribution sums", block, 0.0)?,
            squares: try_filled("noisy attribution squares", block, 0.0)?,
            base_values: vec![0.0; targets],
            model_rows: 0,
        })
    }

    /// Adds the copies explained by `inner`, in order.
    fn add(&mut self, inner: &Explanation) {
        let block = self.sums.len();
        for copy in inner.attributions.chunks_exact(block.max(1)) {
            for ((sum, square), &a) in self.sums.iter_mut().zip(&mut self.squares).zip(copy) {
                *sum += a;
                *square += a * a;
            }
        }
        let t = self.base_values.len();
        for copy in inner.base_values.chunks_exact(t.max(1)) {
            self.base_values.iter_mut().zip(copy).for_each(|(sum, &v)| *sum += v);
        }
        self.model_rows += inner.diagnostics.iter().map(|d| d.model_rows_evaluated).sum::<u64>();
    }
}

impl<E: Element> Targeted for NoiseTunnelParams<E> {
    fn targets(&self) -> Option<&[u32]> {
        self.base.targets()
    }
    fn for_group(&self, group: &TargetGroup<'_>, row_len: usize) -> Self {
        Self { base: self.base.for_group(group, row_len), ..self.clone() }
    }
}

/// Explains `rows` rows of `inputs` by NoiseTunnel over `params.base`. Deterministic
/// given the engine's seed, whatever the budget: each row's copies are drawn in order from
/// the row's stream and explained a chunk at a time, within the memory budget.
pub fn noise_tunnel<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &NoiseTunnelParams<E>,
) -> Result<Explanation> {
    engine.on_workers(|| noise_tunnel_in_task(engine, model, inputs, rows, params))
}

/// [`noise_tunnel`]'s work, as one task on the engine's workers.
fn noise_tunnel_in_task<E: Element>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &NoiseTunnelParams<E>,
) -> Result<Explanation> {
    if let Some(explanation) = by_row_target(engine, model, inputs, rows, params, noise_tunnel)? {
        return Ok(explanation);
    }
    let signature = model.signature();
    check_inputs(signature, inputs, rows)?;
    if params.nt_samples == 0 {
        return Err(Error::invalid("nt_samples", "is 0, expected at least 1"));
    }
    crate::limits::at_most("nt_samples", params.nt_samples, crate::limits::MAX_SAMPLES)?;
    let noise = gaussian(params.stdevs, "stdevs")?;
    let n = signature.input_len();
    let streams = RowStreams::for_inputs(engine, inputs, n)?;
    let samples = params.nt_samples;
    let t = resolve_targets(signature, params.base.targets())?.len();
    let block = t.saturating_mul(n);
    let working = engine.working_set().hold("the sums of the noisy attributions", block, 16);
    // A copy holds its noisy input, its attributions (f32, and the base method's f64
    // sums), its base values and its diagnostics.
    let per_copy = n.saturating_mul(4).saturating_add(block.saturating_mul(12)).saturating_add(t * 8 + 64);
    let free = working.batch_budget(per_copy.saturating_add(n.saturating_mul(8)))?;
    let chunk = (free / 2 / per_copy).clamp(1, samples);
    let inner_budget = free - chunk * per_copy;

    let mut attributions = try_with_capacity("attributions", rows.saturating_mul(block))?;
    let mut base_values = Vec::with_capacity(rows * t);
    let mut diagnostics = Vec::with_capacity(rows);
    let mut noisy = try_with_capacity("noisy inputs", chunk * n)?;
    let mut inner_rows = 0u64;
    let mut last = None;
    for (r, x) in inputs.chunks_exact(n).enumerate() {
        let mut rng = streams.rng(r, Purpose::NoiseTunnel, 0);
        let mut sums = CopySums::new(block, t)?;
        for start in (0..samples).step_by(chunk) {
            let copies = chunk.min(samples - start);
            noisy.clear();
            for _ in 0..copies {
                add_noise(x, &noise, &mut rng, &mut noisy);
            }
            let copy_range = (r, start, copies);
            let inner =
                with_budget_cap(inner_budget, || run_base(engine, model, &noisy, &streams, copy_range, &params.base))?;
            sums.add(&inner);
            inner_rows += inner.audit.model_rows_evaluated;
            last = Some(inner);
        }
        for (&sum, &squares) in sums.sums.iter().zip(&sums.squares) {
            let (mean, mean_sq) = (sum / samples as f64, squares / samples as f64);
            attributions.push(match params.nt_type {
                NoiseType::Smoothgrad => mean,
                NoiseType::SmoothgradSq => mean_sq,
                NoiseType::Vargrad => (mean_sq - mean * mean).max(0.0),
            });
        }
        base_values.extend(sums.base_values.iter().map(|&sum| sum / samples as f64));
        diagnostics.push(RowDiagnostics { model_rows_evaluated: sums.model_rows + 1, completeness_gap: None });
    }
    let inner = last.ok_or_else(|| Error::new(ErrorKind::Internal, "noise tunnel: no copy was explained"))?;
    let evaluator = Evaluator::new(model);
    let outputs = predict(&evaluator, inputs, rows)?;
    let predictions: Vec<E> = (0..rows)
        .flat_map(|r| inner.outputs.iter().map(move |&target| (r, target)))
        .map(|(r, target)| outputs[r * signature.output_len + target as usize])
        .collect();
    let mut audit = inner.audit.clone();
    audit.model_rows_evaluated = inner_rows + evaluator.rows_evaluated();
    audit.seed = streams.seed();
    audit.row_keys = Some(streams.keys().clone());
    Ok(Explanation {
        method: Method::NoiseTunnel,
        parameters: super::super::parameters_json(params)?,
        audit,
        rows,
        attributions: Values::rounded::<E>(attributions),
        predictions: Values::from_elements(&predictions),
        base_values: Values::rounded::<E>(base_values),
        standard_errors: None,
        diagnostics,
        ..inner
    })
}
