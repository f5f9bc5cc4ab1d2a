//! NoiseTunnel (Smilkov et al., 2017; Adebayo et al., 2018) with Captum's semantics: a
//! gradient method run on `nt_samples` copies of each input with Gaussian noise
//! N(0, stdevs²), the attributions aggregated per input as their mean (smoothgrad), the
//! mean of their squares (smoothgrad_sq) or their variance (vargrad).

use serde::Serialize;

use super::{add_noise, gaussian, predict, row_rng, Stream};
use super::{gradient_shap, integrated_gradients, saliency};
use super::{GradientShapParams, IntegratedGradientsParams, SaliencyParams};
use crate::backend::Baselines;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::explain::check_inputs;
use crate::explanation::{Explanation, Method, RowDiagnostics};
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
pub enum NoiseTunnelBase {
    /// Saliency.
    Saliency(SaliencyParams),
    /// Integrated Gradients.
    IntegratedGradients(IntegratedGradientsParams),
    /// GradientSHAP.
    GradientShap(GradientShapParams),
}

/// NoiseTunnel's parameters (Captum's defaults: smoothgrad, 5 samples, σ = 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoiseTunnelParams {
    /// The method whose attributions are smoothed.
    pub base: NoiseTunnelBase,
    /// The aggregation.
    pub nt_type: NoiseType,
    /// Noisy copies per input (5).
    pub nt_samples: usize,
    /// Standard deviation of the noise (1.0).
    pub stdevs: f32,
}

impl NoiseTunnelParams {
    /// Captum's defaults over `base`.
    pub fn new(base: NoiseTunnelBase) -> Self {
        Self { base, nt_type: NoiseType::Smoothgrad, nt_samples: 5, stdevs: 1.0 }
    }
}

/// Runs the base method on every noisy copy (rows × samples rows, copy-major per row).
fn run_base(
    engine: &Engine,
    model: &dyn Model,
    noisy: &[f32],
    rows: usize,
    samples: usize,
    base: &NoiseTunnelBase,
) -> Result<Explanation> {
    let copies = rows * samples;
    match base {
        NoiseTunnelBase::Saliency(p) => saliency(engine, model, noisy, copies, p),
        NoiseTunnelBase::GradientShap(p) => gradient_shap(engine, model, noisy, copies, p),
        NoiseTunnelBase::IntegratedGradients(p) => {
            let mut p = p.clone();
            if let Baselines::PerRow(values) = &p.baseline {
                let n = model.signature().input_len();
                p.baseline = Baselines::PerRow(
                    values
                        .chunks_exact(n)
                        .flat_map(|row| std::iter::repeat_n(row, samples))
                        .flatten()
                        .copied()
                        .collect(),
                );
            }
            integrated_gradients(engine, model, noisy, copies, &p)
        }
    }
}

/// Explains `rows` rows of `inputs` by NoiseTunnel over `params.base`. Deterministic
/// given the engine's seed.
pub fn noise_tunnel(
    engine: &Engine,
    model: &dyn Model,
    inputs: &[f32],
    rows: usize,
    params: &NoiseTunnelParams,
) -> Result<Explanation> {
    let signature = model.signature();
    check_inputs(signature, inputs, rows)?;
    if params.nt_samples == 0 {
        return Err(Error::invalid("nt_samples", "is 0, expected at least 1"));
    }
    crate::limits::at_most("nt_samples", params.nt_samples, crate::limits::MAX_SAMPLES)?;
    let noise = gaussian(params.stdevs, "stdevs")?;
    let n = signature.input_len();
    let samples = params.nt_samples;
    let mut noisy = Vec::with_capacity(rows * samples * n);
    for (r, x) in inputs.chunks_exact(n).enumerate() {
        let mut rng = row_rng(engine, Stream::NoiseTunnel, r);
        for _ in 0..samples {
            add_noise(x, &noise, &mut rng, &mut noisy);
        }
    }
    let inner = run_base(engine, model, &noisy, rows, samples, &params.base)?;
    let t = inner.outputs.len();
    let block = t * n;
    let mut attributions = Vec::with_capacity(rows * block);
    let mut base_values = Vec::with_capacity(rows * t);
    let mut diagnostics = Vec::with_capacity(rows);
    for r in 0..rows {
        let copies = &inner.attributions[r * samples * block..(r + 1) * samples * block];
        for j in 0..block {
            let (mut sum, mut squares) = (0.0f64, 0.0f64);
            for s in 0..samples {
                let a = f64::from(copies[s * block + j]);
                sum += a;
                squares += a * a;
            }
            let (mean, mean_sq) = (sum / samples as f64, squares / samples as f64);
            attributions.push(match params.nt_type {
                NoiseType::Smoothgrad => mean as f32,
                NoiseType::SmoothgradSq => mean_sq as f32,
                NoiseType::Vargrad => (mean_sq - mean * mean).max(0.0) as f32,
            });
        }
        for k in 0..t {
            let mean: f64 = (0..samples).map(|s| f64::from(inner.base_values[(r * samples + s) * t + k])).sum::<f64>()
                / samples as f64;
            base_values.push(mean as f32);
        }
        let evaluated: u64 =
            inner.diagnostics[r * samples..(r + 1) * samples].iter().map(|d| d.model_rows_evaluated).sum();
        diagnostics.push(RowDiagnostics { model_rows_evaluated: evaluated + 1, completeness_gap: None });
    }
    let evaluator = Evaluator::new(model);
    let outputs = predict(&evaluator, inputs, rows)?;
    let predictions = (0..rows)
        .flat_map(|r| inner.outputs.iter().map(move |&target| (r, target)))
        .map(|(r, target)| outputs[r * signature.output_len + target as usize])
        .collect();
    let mut audit = inner.audit.clone();
    audit.model_rows_evaluated += evaluator.rows_evaluated();
    Ok(Explanation {
        method: Method::NoiseTunnel,
        parameters: super::super::parameters_json(params)?,
        audit,
        rows,
        attributions,
        predictions,
        base_values,
        standard_errors: None,
        diagnostics,
        ..inner
    })
}
