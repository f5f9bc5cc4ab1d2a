//! The method registry of `lumen explain`: each method's name, what it needs from the
//! model, what input it reads, and how its options map onto the engine's parameters.
//! The sequence method TimeSHAP registers here with [`InputKind::Sequences`]; it runs in
//! [`crate::timeshap`].

use clap::{Args, ValueEnum};
use lumen::backend::Baselines;
use lumen::explain::counterfactual::schema::{Feature, FeatureKind, Schema};
use lumen::explain::counterfactual::{permute_attack, PermuteAttackParams, TargetClass};
use lumen::explain::gradient::{
    grad_cam, gradient_shap, integrated_gradients, noise_tunnel, saliency, GradCamParams, GradientShapParams,
    IntegratedGradientsParams, NoiseTunnelBase, NoiseTunnelParams, NoiseType, SaliencyParams,
};
use lumen::explain::shapley::{
    kernel_shap, shapley_value_sampling, Background, Estimator, KernelShapParams, ShapleyGame, ShapleySamplingParams,
};
use lumen::explanation::Counterfactuals;
use lumen::{feature_ablation, occlusion, Element, Engine, Explanation, FeatureAblationParams, OcclusionParams};

use crate::error::{Category, CliError, CliResult};
use crate::model::LoadedModel;

/// The methods `lumen explain` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodName {
    /// Sliding windows set to the baseline (Captum's Occlusion).
    Occlusion,
    /// Each feature (or group) set to the baseline in turn.
    FeatureAblation,
    /// Shapley values by weighted regression over coalitions, with a background set.
    KernelShap,
    /// Shapley values by antithetic permutation sampling, with a background set.
    ShapleySampling,
    /// Integrated Gradients from the baseline.
    IntegratedGradients,
    /// The gradient at the input (|∇f| unless --signed).
    Saliency,
    /// Expected gradients over the background rows.
    GradientShap,
    /// A gradient method averaged over noisy copies of the input.
    NoiseTunnel,
    /// Gradient-weighted activations of the model's layer.
    GradCam,
    /// Counterfactuals by genetic search over training values.
    PermuteAttack,
    /// KernelSHAP over a sequence's events, features and cells after temporal pruning
    /// (sequences only: --sequences FILE).
    #[value(name = "timeshap")]
    TimeShap,
}

/// What a method needs the model to provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Predictions only.
    Predict,
    /// The gradient callback.
    Gradient,
    /// The layer callback.
    Layer,
}

/// What a method explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Rows of a CSV file.
    Rows,
    /// Sequences of events (TimeSHAP), from a sequence file.
    Sequences,
}

/// One registered method.
#[derive(Debug, Clone, Copy)]
pub struct MethodSpec {
    /// The method.
    pub method: MethodName,
    /// What it needs from the model.
    pub needs: Needs,
    /// What it reads.
    pub input: InputKind,
}

/// Every method `lumen explain` knows.
pub const REGISTRY: [MethodSpec; 11] = [
    MethodSpec { method: MethodName::Occlusion, needs: Needs::Predict, input: InputKind::Rows },
    MethodSpec { method: MethodName::FeatureAblation, needs: Needs::Predict, input: InputKind::Rows },
    MethodSpec { method: MethodName::KernelShap, needs: Needs::Predict, input: InputKind::Rows },
    MethodSpec { method: MethodName::ShapleySampling, needs: Needs::Predict, input: InputKind::Rows },
    MethodSpec { method: MethodName::IntegratedGradients, needs: Needs::Gradient, input: InputKind::Rows },
    MethodSpec { method: MethodName::Saliency, needs: Needs::Gradient, input: InputKind::Rows },
    MethodSpec { method: MethodName::GradientShap, needs: Needs::Gradient, input: InputKind::Rows },
    MethodSpec { method: MethodName::NoiseTunnel, needs: Needs::Gradient, input: InputKind::Rows },
    MethodSpec { method: MethodName::GradCam, needs: Needs::Layer, input: InputKind::Rows },
    MethodSpec { method: MethodName::PermuteAttack, needs: Needs::Predict, input: InputKind::Rows },
    MethodSpec { method: MethodName::TimeShap, needs: Needs::Predict, input: InputKind::Sequences },
];

impl MethodName {
    /// The method's registry entry.
    pub fn spec(self) -> MethodSpec {
        REGISTRY.iter().copied().find(|s| s.method == self).unwrap_or(MethodSpec {
            method: self,
            needs: Needs::Predict,
            input: InputKind::Rows,
        })
    }

    /// The command-line name.
    pub fn cli_name(self) -> String {
        self.to_possible_value().map_or_else(|| format!("{self:?}"), |v| v.get_name().to_owned())
    }
}

/// KernelSHAP's estimator (`--estimator`), as on the C ABI; the Python names are accepted
/// too (`leverage_interactions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EstimatorName {
    /// shap's KernelExplainer schedule.
    Shap,
    /// Leverage SHAP: coalitions sampled by leverage score, in complementary pairs.
    Leverage,
    /// Leverage SHAP with stratified sizes.
    #[value(alias = "leverage_stratified")]
    LeverageStratified,
    /// The stratified draws fitted with third-order interactions: fewer model evaluations
    /// for the same error, a few milliseconds of fitting per row.
    #[value(alias = "leverage_interactions")]
    LeverageInteractions,
    /// The stratified draws fitted with the triples among the five leading players only
    /// and each player's size and score terms: most of the interaction fit's accuracy for
    /// a fraction of its fitting time (Lumen's default).
    #[value(alias = "leverage_top_triples")]
    LeverageTopTriples,
}

impl From<EstimatorName> for Estimator {
    fn from(name: EstimatorName) -> Self {
        match name {
            EstimatorName::Shap => Self::Shap,
            EstimatorName::Leverage => Self::Leverage,
            EstimatorName::LeverageStratified => Self::LeverageStratified,
            EstimatorName::LeverageInteractions => Self::LeverageInteractions,
            EstimatorName::LeverageTopTriples => Self::LeverageTopTriples,
        }
    }
}

/// The method under NoiseTunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TunnelBase {
    /// Saliency.
    Saliency,
    /// Integrated Gradients.
    IntegratedGradients,
    /// GradientSHAP.
    GradientShap,
}

/// NoiseTunnel's aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TunnelType {
    /// Mean.
    Smoothgrad,
    /// Mean of squares.
    SmoothgradSq,
    /// Variance.
    Vargrad,
}

/// Method options of `lumen explain`.
#[derive(Debug, Clone, Args)]
pub struct MethodOptions {
    /// The model output to explain (default: the model's main output; required for
    /// multi-output models without one).
    #[arg(long)]
    pub target: Option<u32>,
    /// Baseline of Occlusion, Feature Ablation and Integrated Gradients: zero, mean (the
    /// model's reference row, else the mean background row) or a number.
    #[arg(long, default_value = "zero")]
    pub baseline: String,
    /// Occlusion window, one extent per input dimension, e.g. 1,2,2 (default: 1 everywhere).
    #[arg(long, value_delimiter = ',')]
    pub window: Option<Vec<usize>>,
    /// Occlusion strides, e.g. 1,1,1 (default 1).
    #[arg(long, value_delimiter = ',')]
    pub strides: Option<Vec<usize>>,
    /// Background rows (CSV with the same columns) for KernelSHAP, Shapley sampling,
    /// GradientSHAP and PermuteAttack's training values (default: the built-in model's
    /// training rows, else the explained rows).
    #[arg(long, value_name = "CSV")]
    pub background: Option<std::path::PathBuf>,
    /// Explain every input column alone instead of the model's groups (e.g. one-hot columns).
    #[arg(long)]
    pub ungrouped: bool,
    /// Saliency: report the signed gradient instead of its absolute value.
    #[arg(long)]
    pub signed: bool,
    /// Noise standard deviation of NoiseTunnel (default 1.0) and GradientSHAP (default 0).
    #[arg(long)]
    pub stdevs: Option<f64>,
    /// The method under NoiseTunnel.
    #[arg(long, value_enum, default_value_t = TunnelBase::Saliency)]
    pub nt_base: TunnelBase,
    /// NoiseTunnel's aggregation.
    #[arg(long, value_enum, default_value_t = TunnelType::Smoothgrad)]
    pub nt_type: TunnelType,
    /// PermuteAttack: counterfactuals per instance.
    #[arg(long, default_value_t = 3)]
    pub counterfactuals: usize,
    /// PermuteAttack: the class to reach (default: the model's, else the opposite class).
    #[arg(long)]
    pub target_class: Option<u32>,
    /// PermuteAttack: the target class's probability that counts as success.
    #[arg(long)]
    pub success_probability: Option<f64>,
    /// KernelSHAP and TimeSHAP's sampled levels: how coalitions are sampled and fitted
    /// (default: Lumen's default, leverage-top-triples).
    #[arg(long, value_enum)]
    pub estimator: Option<EstimatorName>,
    /// KernelSHAP and Shapley sampling: sample in rounds until every value's standard error
    /// is at or below this (in the explained output's units); --budget is then the first
    /// round's (coalitions, or permutation pairs).
    #[arg(long, value_name = "SE")]
    pub target_standard_error: Option<f64>,
    /// With --target-standard-error: the most coalitions per row for KernelSHAP (default
    /// 16 × (2M + 2048)), the most permutation pairs for Shapley sampling (default 16 × the
    /// first round's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_budget: Option<u64>,
}

impl MethodOptions {
    /// `Err` naming the sampling flags given to a method they do not apply to:
    /// `--estimator` belongs to KernelSHAP and TimeSHAP (whose sampled levels are
    /// KernelSHAP fits), the accuracy-driven budget to KernelSHAP and Shapley sampling.
    pub fn check_sampling_flags(&self, method: MethodName) -> CliResult<()> {
        const SHAPLEY_FITS: &[MethodName] = &[MethodName::KernelShap, MethodName::TimeShap];
        const ACCURACY_DRIVEN: &[MethodName] = &[MethodName::KernelShap, MethodName::ShapleySampling];
        let misplaced: Vec<(&str, &[MethodName])> = [
            ("--estimator", self.estimator.is_some(), SHAPLEY_FITS),
            ("--target-standard-error", self.target_standard_error.is_some(), ACCURACY_DRIVEN),
            ("--max-budget", self.max_budget.is_some(), ACCURACY_DRIVEN),
        ]
        .into_iter()
        .filter(|(_, set, methods)| *set && !methods.contains(&method))
        .map(|(flag, _, methods)| (flag, methods))
        .collect();
        if misplaced.is_empty() {
            return Ok(());
        }
        let mut clauses = Vec::new();
        for owners in [SHAPLEY_FITS, ACCURACY_DRIVEN] {
            let flags: Vec<&str> = misplaced.iter().filter(|(_, m)| *m == owners).map(|(flag, _)| *flag).collect();
            if !flags.is_empty() {
                let verb = if flags.len() == 1 { "applies" } else { "apply" };
                let names: Vec<String> = owners.iter().map(|m| m.cli_name()).collect();
                clauses.push(format!("{} {verb} only to {}", flags.join(", "), names.join(" and ")));
            }
        }
        let message = format!("{}, not {}", clauses.join("; "), method.cli_name());
        Err(CliError::new(Category::Explanation, message))
    }
}

/// What a method produced.
#[derive(Debug)]
pub enum Outcome {
    /// Attributions.
    Attributions(Box<Explanation>),
    /// Counterfactuals.
    Counterfactuals(Box<Counterfactuals>),
}

/// What every method reads, for a model of element type `E`.
pub struct Request<'a, E: Element = f32> {
    /// The engine.
    pub engine: &'a Engine,
    /// The model and what is known about it.
    pub model: &'a LoadedModel,
    /// The model the method calls: `model`'s own, or a wrapper of it (e.g. one that
    /// counts rows for a progress bar).
    pub evaluator: &'a dyn lumen::Model<E>,
    /// `rows × input_len` inputs.
    pub inputs: &'a [E],
    /// Rows.
    pub rows: usize,
    /// Background rows (`k × input_len`).
    pub background: &'a [E],
    /// The evaluation budget (`--budget`), when given.
    pub budget: Option<usize>,
    /// The method's options.
    pub options: &'a MethodOptions,
}

impl<E: Element> Request<'_, E> {
    fn targets(&self) -> CliResult<Option<Vec<u32>>> {
        let signature = self.model.signature();
        match self.options.target.or(self.model.default_target) {
            Some(t) if t as usize >= signature.output_len => Err(CliError::input(format!(
                "--target {t}: the model has {} outputs (0..{})",
                signature.output_len,
                signature.output_len - 1
            ))),
            Some(t) => Ok(Some(vec![t])),
            None if signature.output_len == 1 => Ok(Some(vec![0])),
            None => Err(CliError::input(format!(
                "{} has {} outputs; choose the one to explain with --target N",
                self.model.name, signature.output_len
            ))),
        }
    }

    fn baseline(&self) -> CliResult<Baselines<E>> {
        match self.options.baseline.as_str() {
            "zero" => Ok(Baselines::Scalar(E::zero())),
            "mean" => Ok(Baselines::Shared(match &self.model.reference {
                Some(reference) => reference.iter().map(|&v| E::from_f64(f64::from(v))).collect(),
                None => mean_row(self.background, self.input_len()),
            })),
            number => match E::from_str_radix(number, 10) {
                Ok(v) if v.is_finite() => Ok(Baselines::Scalar(v)),
                _ => Err(CliError::input(format!("--baseline {number}: expected zero, mean or a finite number"))),
            },
        }
    }

    fn input_len(&self) -> usize {
        self.model.signature().input_len()
    }

    fn groups(&self) -> (Option<Vec<u32>>, Option<Vec<String>>) {
        match (&self.model.groups, self.options.ungrouped) {
            (Some(groups), false) => (Some(groups.mask.clone()), Some(groups.names.clone())),
            _ => (None, self.model.named_columns.then(|| self.model.columns.clone())),
        }
    }

    fn game(&self) -> CliResult<ShapleyGame<E>> {
        let mut game = ShapleyGame::new(Background::new(self.background.to_vec(), self.input_len(), None)?);
        (game.players, game.player_names) = self.groups();
        game.targets = self.targets()?;
        Ok(game)
    }

    fn permute_attack_params(&self) -> CliResult<PermuteAttackParams<E>> {
        let n = self.input_len();
        let setup = self.model.counterfactual.clone();
        let schema = match &setup {
            Some(setup) => setup.schema.clone(),
            None => Schema::new(
                (0..n)
                    .map(|c| Feature { name: self.model.columns[c].clone(), kind: FeatureKind::Numeric { column: c } })
                    .collect(),
                n,
            )?,
        };
        let mut params = PermuteAttackParams::new(schema, self.background.to_vec());
        let class = self.options.target_class.or(setup.as_ref().and_then(|s| s.target_class));
        params.target = class.map_or(TargetClass::Opposite, TargetClass::Class);
        params.success_probability =
            self.options.success_probability.or(setup.as_ref().and_then(|s| s.success_probability));
        params.immutable = setup.map(|s| s.immutable).unwrap_or_default();
        params.counterfactuals = self.options.counterfactuals;
        if let Some(generations) = self.budget {
            params.generations = generations;
        }
        Ok(params)
    }
}

/// The mean of `k × n` rows (summed in f64, rounded to the element type).
fn mean_row<E: Element>(rows: &[E], n: usize) -> Vec<E> {
    let count = (rows.len() / n.max(1)).max(1) as f64;
    (0..n).map(|c| E::from_f64(rows.iter().skip(c).step_by(n.max(1)).map(|v| v.widen()).sum::<f64>() / count)).collect()
}

/// Runs `method` on `request`.
pub fn run<E: Element>(method: MethodName, request: &Request<'_, E>) -> CliResult<Outcome> {
    let name = method.cli_name();
    let needs = match method.spec().needs {
        Needs::Predict => "predict",
        Needs::Gradient => "gradient",
        Needs::Layer => "layer_gradient",
    };
    let failed = |e: lumen::Error| {
        let category = CliError::from(e.clone()).category();
        if e.kind() == lumen::ErrorKind::ModelCapabilityMissing {
            CliError::new(category, format!("{name} needs the model's {needs} callback: {}", e.message()))
        } else {
            CliError::new(category, format!("{name}: {}", e.message()))
        }
    };
    let (engine, model, inputs, rows) = (request.engine, request.evaluator, request.inputs, request.rows);
    let budget = request.budget;
    let explanation = match method {
        MethodName::Occlusion => {
            let shape = &model.signature().input_shape;
            let window = request.options.window.clone().unwrap_or_else(|| vec![1; shape.len()]);
            let params = OcclusionParams {
                strides: request.options.strides.clone(),
                baseline: request.baseline()?,
                targets: request.targets()?,
                ..OcclusionParams::new(window)
            };
            occlusion(engine, model, inputs, rows, &params)
        }
        MethodName::FeatureAblation => {
            let (feature_mask, group_names) = request.groups();
            let params = FeatureAblationParams {
                group_attributions: feature_mask.is_some(),
                feature_mask,
                group_names: group_names.filter(|_| request.model.groups.is_some() && !request.options.ungrouped),
                baseline: request.baseline()?,
                targets: request.targets()?,
                ..Default::default()
            };
            feature_ablation(engine, model, inputs, rows, &params)
        }
        MethodName::KernelShap => {
            let options = request.options;
            let mut params = KernelShapParams::new(request.game()?);
            params.budget = budget;
            params.estimator = options.estimator.map_or(params.estimator, Estimator::from);
            params.target_standard_error = options.target_standard_error;
            params.max_budget = options.max_budget.map(|cap| usize::try_from(cap).unwrap_or(usize::MAX));
            kernel_shap(engine, model, inputs, rows, &params)
        }
        MethodName::ShapleySampling => {
            let options = request.options;
            let mut params = ShapleySamplingParams::new(request.game()?);
            if let Some(pairs) = budget {
                params.permutation_pairs = pairs;
            }
            params.target_standard_error = options.target_standard_error;
            params.max_permutation_pairs = options.max_budget.map(|cap| usize::try_from(cap).unwrap_or(usize::MAX));
            shapley_value_sampling(engine, model, inputs, rows, &params)
        }
        MethodName::IntegratedGradients => {
            let params = IntegratedGradientsParams {
                baseline: request.baseline()?,
                n_steps: budget.unwrap_or(50),
                targets: request.targets()?,
                ..Default::default()
            };
            integrated_gradients(engine, model, inputs, rows, &params)
        }
        MethodName::Saliency => saliency(
            engine,
            model,
            inputs,
            rows,
            &SaliencyParams { abs: !request.options.signed, targets: request.targets()? },
        ),
        MethodName::GradientShap => {
            let mut params = GradientShapParams::new(request.background.to_vec());
            params.n_samples = budget.unwrap_or(params.n_samples);
            params.stdevs = request.options.stdevs.map_or(E::zero(), E::from_f64);
            params.targets = request.targets()?;
            gradient_shap(engine, model, inputs, rows, &params)
        }
        MethodName::NoiseTunnel => {
            let targets = request.targets()?;
            let base = match request.options.nt_base {
                TunnelBase::Saliency => {
                    NoiseTunnelBase::Saliency(SaliencyParams { abs: !request.options.signed, targets })
                }
                TunnelBase::IntegratedGradients => NoiseTunnelBase::IntegratedGradients(IntegratedGradientsParams {
                    baseline: request.baseline()?,
                    targets,
                    ..Default::default()
                }),
                TunnelBase::GradientShap => {
                    let mut p = GradientShapParams::new(request.background.to_vec());
                    p.targets = targets;
                    NoiseTunnelBase::GradientShap(p)
                }
            };
            let mut params = NoiseTunnelParams::new(base);
            params.nt_type = match request.options.nt_type {
                TunnelType::Smoothgrad => NoiseType::Smoothgrad,
                TunnelType::SmoothgradSq => NoiseType::SmoothgradSq,
                TunnelType::Vargrad => NoiseType::Vargrad,
            };
            params.nt_samples = budget.unwrap_or(params.nt_samples);
            params.stdevs = request.options.stdevs.map_or(params.stdevs, E::from_f64);
            noise_tunnel(engine, model, inputs, rows, &params)
        }
        MethodName::GradCam => {
            let params = GradCamParams { targets: request.targets()?, relu_attributions: true, ..Default::default() };
            grad_cam(engine, model, inputs, rows, &params)
        }
        MethodName::TimeShap => {
            return Err(CliError::input("timeshap explains sequences: give them with --sequences FILE"));
        }
        MethodName::PermuteAttack => {
            let params = request.permute_attack_params()?;
            return permute_attack(engine, model, inputs, rows, &params)
                .map(|c| Outcome::Counterfactuals(Box::new(c)))
                .map_err(failed);
        }
    };
    explanation.map(|e| Outcome::Attributions(Box::new(e))).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_registered_once() {
        for method in MethodName::value_variants() {
            assert_eq!(REGISTRY.iter().filter(|s| s.method == *method).count(), 1, "{method:?}");
            let sequences = *method == MethodName::TimeShap;
            assert_eq!(method.spec().input == InputKind::Sequences, sequences, "{method:?}");
        }
        assert_eq!(MethodName::TimeShap.cli_name(), "timeshap");
        assert_eq!(MethodName::KernelShap.cli_name(), "kernel-shap");
        assert_eq!(mean_row(&[1.0, 2.0, 3.0, 6.0], 2), [2.0, 4.0]);
    }
}
