//! Gradient methods against closed forms: linear and quadratic models have exact path
//! integrals and expectations.
#![allow(clippy::needless_range_loop)] // index loops mirror the formulas element by element

mod common;

use common::values;
use lumen::backend::Baselines;
use lumen::explain::gradient::*;
use lumen::{Model, ModelSignature};

/// f_k(x) = Σ_i a_k,i x_i + c_k Σ_i a_k,i x_i² (c = 0: linear; c = 1: quadratic).
struct Polynomial {
    signature: ModelSignature,
    a: Vec<Vec<f32>>,
    c: f32,
    broken_gradient: bool,
}

impl Polynomial {
    fn new(a: Vec<Vec<f32>>, c: f32) -> Self {
        let signature = ModelSignature::flat(a[0].len(), a.len());
        Self { signature, a, c, broken_gradient: false }
    }
}

impl Model for Polynomial {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for r in 0..rows {
            let x = &inputs[r * n..(r + 1) * n];
            for (k, a) in self.a.iter().enumerate() {
                outputs[r * self.a.len() + k] = a.iter().zip(x).map(|(a, x)| a * x + self.c * a * x * x).sum();
            }
        }
        Ok(())
    }
    fn gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        targets: &[u32],
        gradients: &mut [f32],
        _outputs: Option<&mut [f32]>,
    ) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for r in 0..rows {
            let a = &self.a[targets[r] as usize];
            for i in 0..n {
                let x = inputs[r * n + i];
                gradients[r * n + i] = if self.broken_gradient { f32::NAN } else { a[i] + 2.0 * self.c * a[i] * x };
            }
        }
        Ok(())
    }
}

fn engine(threads: usize, seed: u64) -> lumen::Engine {
    lumen::Engine::new(lumen::EngineConfig { backend: lumen::BackendChoice::Cpu, threads, seed, ..Default::default() })
        .unwrap()
}

const METHODS: [Quadrature; 5] = [
    Quadrature::RiemannLeft,
    Quadrature::RiemannRight,
    Quadrature::RiemannMiddle,
    Quadrature::RiemannTrapezoid,
    Quadrature::GaussLegendre,
];

#[test]
fn integrated_gradients_of_a_linear_model_is_exact_for_every_rule() {
    let a = values(6, 1);
    let model = Polynomial::new(vec![a.clone()], 0.0);
    let x = values(12, 2);
    let b = values(6, 3);
    for method in METHODS {
        let params = IntegratedGradientsParams {
            baseline: Baselines::Shared(b.clone()),
            n_steps: 7,
            method,
            internal_batch_size: Some(3),
            ..Default::default()
        };
        let e = integrated_gradients(&engine(2, 0), &model, &x, 2, &params).unwrap();
        for r in 0..2 {
            for i in 0..6 {
                let want = a[i] * (x[r * 6 + i] - b[i]);
                assert!((e.row_attributions(r, 0)[i] - f64::from(want)).abs() < 1e-5, "{method:?} row {r} element {i}");
            }
            assert!(e.diagnostics[r].completeness_gap.as_ref().unwrap()[0].abs() < 1e-5);
            assert_eq!(e.diagnostics[r].model_rows_evaluated, 7 + 2);
        }
    }
}

#[test]
fn captums_trapezoid_scales_a_linear_models_attributions_by_n_minus_1_over_n() {
    // Captum's weights sum to (n − 1)/n: on f = a·x every attribution is (n − 1)/n of the
    // exact a(x − b), and the convergence delta is −Σ a(x − b)/n.
    let a = values(6, 1);
    let model = Polynomial::new(vec![a.clone()], 0.0);
    let x = values(6, 2);
    let b = values(6, 3);
    for n_steps in [2usize, 7, 50] {
        let params = IntegratedGradientsParams {
            baseline: Baselines::Shared(b.clone()),
            n_steps,
            method: Quadrature::RiemannTrapezoidCaptum,
            ..Default::default()
        };
        let e = integrated_gradients(&engine(2, 0), &model, &x, 1, &params).unwrap();
        let scale = (n_steps - 1) as f64 / n_steps as f64;
        let exact: Vec<f64> = (0..6).map(|i| f64::from(a[i]) * f64::from(x[i] - b[i])).collect();
        for i in 0..6 {
            let got = e.row_attributions(0, 0)[i];
            assert!((got - scale * exact[i]).abs() < 1e-5, "n = {n_steps}, element {i}: {got}");
        }
        let delta = e.diagnostics[0].completeness_gap.as_ref().unwrap()[0];
        let want = -exact.iter().sum::<f64>() / n_steps as f64;
        assert!((delta - want).abs() < 1e-5, "n = {n_steps}: delta {delta}, expected {want}");
    }
}

#[test]
fn integrated_gradients_of_a_quadratic_model_converges_and_gauss_legendre_is_exact() {
    // f = Σ a x + a x²: the path integral gives a(x − b) + a(x² − b²) exactly.
    let a = values(5, 4);
    let model = Polynomial::new(vec![a.clone()], 1.0);
    let x = values(5, 5);
    let b = values(5, 6);
    let run = |method, n_steps| {
        let params =
            IntegratedGradientsParams { baseline: Baselines::Shared(b.clone()), n_steps, method, ..Default::default() };
        integrated_gradients(&engine(1, 0), &model, &x, 1, &params).unwrap()
    };
    let e = run(Quadrature::GaussLegendre, 2);
    for i in 0..5 {
        let want = a[i] * (x[i] - b[i]) + a[i] * (x[i] * x[i] - b[i] * b[i]);
        assert!((e.attributions[i] - f64::from(want)).abs() < 1e-5, "element {i}");
    }
    for method in
        [Quadrature::RiemannLeft, Quadrature::RiemannRight, Quadrature::RiemannMiddle, Quadrature::RiemannTrapezoid]
    {
        let gaps: Vec<f64> = [4, 16, 64]
            .iter()
            .map(|&n| run(method, n).diagnostics[0].completeness_gap.as_ref().unwrap()[0].abs())
            .collect();
        assert!(gaps[2] < gaps[1] && gaps[1] < gaps[0] || gaps[0] < 1e-6, "{method:?}: gaps {gaps:?}");
    }
}

#[test]
fn saliency_is_the_gradient() {
    let a = vec![vec![1.0, -2.0, 3.0], vec![0.5, 0.5, -0.5]];
    let model = Polynomial::new(a.clone(), 0.0);
    let e = saliency(&engine(1, 0), &model, &[1.0, 2.0, 3.0], 1, &SaliencyParams::default()).unwrap();
    assert_eq!(e.attributions, vec![1.0, 2.0, 3.0, 0.5, 0.5, 0.5]);
    let e =
        saliency(&engine(1, 0), &model, &[1.0, 2.0, 3.0], 1, &SaliencyParams { abs: false, targets: Some(vec![1]) })
            .unwrap();
    assert_eq!(e.attributions, vec![0.5, 0.5, -0.5]);
}

#[test]
fn gradient_shap_is_exact_for_a_linear_model_and_converges_for_a_quadratic_one() {
    let a = values(4, 7);
    let linear = Polynomial::new(vec![a.clone()], 0.0);
    let x = values(4, 8);
    let baselines = values(4 * 3, 9);
    let mean_b: Vec<f32> = (0..4).map(|i| (0..3).map(|r| baselines[r * 4 + i]).sum::<f32>() / 3.0).collect();
    let mut params = GradientShapParams::new(baselines.clone());
    params.n_samples = 3000;
    let e = gradient_shap(&engine(2, 1), &linear, &x, 1, &params).unwrap();
    for i in 0..4 {
        // E over uniformly drawn baselines of a (x − b) = a (x − mean b).
        let want = f64::from(a[i] * (x[i] - mean_b[i]));
        let tolerance = f64::from(0.05 * a[i].abs().max(0.1));
        assert!((e.attributions[i] - want).abs() < tolerance, "linear element {i}");
    }
    // Quadratic: E_α,b[∇f(b + α(x − b)) ⊙ (x − b)] = mean_b a((x − b) + (x² − b²)).
    let quadratic = Polynomial::new(vec![a.clone()], 1.0);
    let expectation: Vec<f32> = (0..4)
        .map(|i| {
            (0..3)
                .map(|r| {
                    let b = baselines[r * 4 + i];
                    a[i] * ((x[i] - b) + (x[i] * x[i] - b * b))
                })
                .sum::<f32>()
                / 3.0
        })
        .collect();
    let error = |samples| {
        let mut p = GradientShapParams::new(baselines.clone());
        p.n_samples = samples;
        let e = gradient_shap(&engine(1, 2), &quadratic, &x, 1, &p).unwrap();
        e.attributions.iter().zip(&expectation).map(|(g, &w)| (g - f64::from(w)).abs()).sum::<f64>()
    };
    assert!(error(4000) < error(10), "more samples converge to the expectation");
    // Same seed, same bits; threads do not matter; another seed differs.
    let run = |threads, seed| {
        gradient_shap(&engine(threads, seed), &quadratic, &x, 1, &GradientShapParams::new(baselines.clone()))
            .unwrap()
            .attributions
    };
    assert_eq!(run(1, 5), run(8, 5));
    assert_ne!(run(1, 5), run(1, 6));
}

#[test]
fn noise_tunnel_smooths_and_converges() {
    let a = values(3, 10);
    let linear = Polynomial::new(vec![a.clone()], 0.0);
    let base = NoiseTunnelBase::Saliency(SaliencyParams { abs: false, targets: None });
    let x = [0.3, -0.2, 0.9];
    let e = noise_tunnel(&engine(1, 0), &linear, &x, 1, &NoiseTunnelParams::new(base.clone())).unwrap();
    for i in 0..3 {
        assert!((e.attributions[i] - f64::from(a[i])).abs() < 1e-6, "the gradient of a linear model ignores noise");
    }
    let mut vargrad = NoiseTunnelParams::new(base.clone());
    vargrad.nt_type = NoiseType::Vargrad;
    let e = noise_tunnel(&engine(1, 0), &linear, &x, 1, &vargrad).unwrap();
    assert!(e.attributions.iter().all(|v| v.abs() < 1e-6));
    // Quadratic: smoothgrad of the gradient 2a(x + ε) + a converges to 2ax + a.
    let quadratic = Polynomial::new(vec![a.clone()], 1.0);
    let error = |samples| {
        let mut p = NoiseTunnelParams::new(base.clone());
        p.nt_samples = samples;
        let e = noise_tunnel(&engine(1, 3), &quadratic, &x, 1, &p).unwrap();
        (0..3).map(|i| (e.attributions[i] - f64::from(2.0 * a[i] * x[i] + a[i])).abs()).sum::<f64>()
    };
    assert!(error(5000) < error(5));
    let mut squared = NoiseTunnelParams::new(base);
    squared.nt_type = NoiseType::SmoothgradSq;
    let e = noise_tunnel(&engine(1, 0), &linear, &x, 1, &squared).unwrap();
    for i in 0..3 {
        assert!((e.attributions[i] - f64::from(a[i] * a[i])).abs() < 1e-6);
    }
    let ig = NoiseTunnelBase::IntegratedGradients(IntegratedGradientsParams {
        baseline: Baselines::PerRow(vec![0.0; 6]),
        ..Default::default()
    });
    let e = noise_tunnel(&engine(2, 0), &linear, &values(6, 11), 2, &NoiseTunnelParams::new(ig)).unwrap();
    assert_eq!(e.rows, 2);
}

#[test]
fn bad_input_is_rejected() {
    let model = Polynomial::new(vec![vec![1.0; 3]], 0.0);
    let x = [1.0, 2.0, 3.0];
    let ig = |params: IntegratedGradientsParams| integrated_gradients(&engine(1, 0), &model, &x, 1, &params);
    assert!(ig(IntegratedGradientsParams { n_steps: 0, ..Default::default() })
        .unwrap_err()
        .message()
        .starts_with("n_steps"));
    assert!(ig(IntegratedGradientsParams { targets: Some(vec![1]), ..Default::default() })
        .unwrap_err()
        .message()
        .starts_with("targets"));
    let e = gradient_shap(&engine(1, 0), &model, &x, 1, &GradientShapParams::new(vec![])).unwrap_err();
    assert!(e.message().starts_with("baselines: is empty"), "{e}");
    let mut broken = Polynomial::new(vec![vec![1.0; 3]], 0.0);
    broken.broken_gradient = true;
    let e = saliency(&engine(1, 0), &broken, &x, 1, &SaliencyParams::default()).unwrap_err();
    assert_eq!(e.kind(), lumen::ErrorKind::ModelNonFiniteOutput);
    // A model without a gradient callback.
    let e = saliency(
        &engine(1, 0),
        &common::Linear::new(&[3], vec![vec![1.0; 3]], vec![0.0]),
        &x,
        1,
        &SaliencyParams::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), lumen::ErrorKind::ModelCapabilityMissing);
    let mut p = NoiseTunnelParams::new(NoiseTunnelBase::Saliency(SaliencyParams::default()));
    p.stdevs = -1.0;
    assert!(noise_tunnel(&engine(1, 0), &model, &x, 1, &p).unwrap_err().message().starts_with("stdevs"));
}
