//! Double-precision models end to end: an f64 model sees exactly its caller's doubles, and
//! every method's f64 results equal definitions computed here in f64 to 1e-12 (KernelSHAP
//! exact mode, TimeSHAP at every level, Integrated Gradients with Captum's rules), and agree
//! with the same model run in f32 to the f32 floor.

mod common;

use std::sync::Mutex;

use common::brute_force_shapley;
use lumen::backend::Baselines;
use lumen::explain::counterfactual::schema::Schema;
use lumen::explain::counterfactual::{permute_attack, PermuteAttackParams};
use lumen::explain::gradient::{
    grad_cam, gradient_shap, integrated_gradients, noise_tunnel, saliency, GradCamParams, GradientShapParams,
    IntegratedGradientsParams, NoiseTunnelBase, NoiseTunnelParams, Quadrature, SaliencyParams,
};
use lumen::explain::shapley::{
    kernel_shap, shapley_value_sampling, Background, KernelShapParams, Link, ShapleyGame, ShapleySamplingParams,
};
use lumen::explain::timeshap::{
    timeshap_event, timeshap_feature, timeshap_local, CellRelevance, Player, SequenceBackground, TimeShapExplanation,
    TimeShapParams,
};
use lumen::{
    feature_ablation, occlusion, Element, ElementType, ErrorKind, FeatureAblationParams, Model, ModelSignature,
    OcclusionParams, SequenceModel, SequenceSignature,
};

fn engine() -> lumen::Engine {
    lumen::Engine::new(lumen::EngineConfig {
        backend: lumen::BackendChoice::Cpu,
        threads: 2,
        seed: 7,
        ..Default::default()
    })
    .unwrap()
}

/// Deterministic values in about [-1, 1] with full f64 mantissas (not f32 values).
fn doubles(len: usize, seed: u64) -> Vec<f64> {
    (0..len).map(|i| ((i as f64 + 1.0) * 0.618_033_988_749_894_9 * (seed as f64 + 1.3)).sin() * 0.9 + 1e-9).collect()
}

/// A small network computed in f64: y_k = σ(v_k · tanh(W x + b) + c_k), two outputs, with
/// an analytic gradient and a 2 × 2 × 2 "layer" (the hidden units) for Grad-CAM. As a
/// `Model<f32>` it reads floats and writes its f64 outputs rounded to f32.
struct Network {
    signature: ModelSignature,
    w: Vec<f64>,
    b: Vec<f64>,
    v: Vec<f64>,
    c: [f64; 2],
}

const HIDDEN: usize = 8;

impl Network {
    fn new(inputs: usize, element_type: ElementType) -> Self {
        let mut signature = ModelSignature::flat(inputs, 2);
        signature.element_type = element_type;
        signature.layer_shape = Some([2, 2, 2]);
        Self {
            signature,
            w: doubles(HIDDEN * inputs, 1).iter().map(|w| w * 0.8).collect(),
            b: doubles(HIDDEN, 2),
            v: doubles(2 * HIDDEN, 3),
            c: [0.1, -0.2],
        }
    }

    fn hidden(&self, x: &[f64]) -> Vec<f64> {
        let n = x.len();
        (0..HIDDEN).map(|h| (self.b[h] + (0..n).map(|i| self.w[h * n + i] * x[i]).sum::<f64>()).tanh()).collect()
    }

    fn output(&self, x: &[f64], k: usize) -> f64 {
        let h = self.hidden(x);
        let z = self.c[k] + (0..HIDDEN).map(|j| self.v[k * HIDDEN + j] * h[j]).sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }

    fn gradient_of(&self, x: &[f64], k: usize) -> Vec<f64> {
        let n = x.len();
        let h = self.hidden(x);
        let y = self.output(x, k);
        let dz = y * (1.0 - y);
        (0..n)
            .map(|i| (0..HIDDEN).map(|j| dz * self.v[k * HIDDEN + j] * (1.0 - h[j] * h[j]) * self.w[j * n + i]).sum())
            .collect()
    }
}

impl<E: Element> Model<E> for Network {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[E], rows: usize, outputs: &mut [E]) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for (row, out) in inputs.chunks_exact(n).zip(outputs.chunks_exact_mut(2)).take(rows) {
            let x: Vec<f64> = row.iter().map(|v| v.widen()).collect();
            out[0] = E::from_f64(self.output(&x, 0));
            out[1] = E::from_f64(self.output(&x, 1));
        }
        Ok(())
    }

    fn gradient(
        &self,
        inputs: &[E],
        _rows: usize,
        targets: &[u32],
        gradients: &mut [E],
        outputs: Option<&mut [E]>,
    ) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for ((row, &k), g) in inputs.chunks_exact(n).zip(targets).zip(gradients.chunks_exact_mut(n)) {
            let x: Vec<f64> = row.iter().map(|v| v.widen()).collect();
            for (g, d) in g.iter_mut().zip(self.gradient_of(&x, k as usize)) {
                *g = E::from_f64(d);
            }
        }
        if let Some(outputs) = outputs {
            self.predict(inputs, targets.len(), outputs)?;
        }
        Ok(())
    }

    fn layer_gradient(
        &self,
        inputs: &[E],
        _rows: usize,
        targets: &[u32],
        activations: &mut [E],
        gradients: &mut [E],
    ) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for (((row, &k), a), g) in inputs
            .chunks_exact(n)
            .zip(targets)
            .zip(activations.chunks_exact_mut(HIDDEN))
            .zip(gradients.chunks_exact_mut(HIDDEN))
        {
            let x: Vec<f64> = row.iter().map(|v| v.widen()).collect();
            let h = self.hidden(&x);
            let y = self.output(&x, k as usize);
            for j in 0..HIDDEN {
                a[j] = E::from_f64(h[j]);
                g[j] = E::from_f64(y * (1.0 - y) * self.v[k as usize * HIDDEN + j]);
            }
        }
        Ok(())
    }
}

fn assert_close(got: &[f64], want: &[f64], tolerance: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tolerance, "{what} [{i}]: {g} vs {w} (|Δ| = {:e})", (g - w).abs());
    }
}

#[test]
fn exact_kernel_shap_in_f64_equals_brute_force_to_1e_12() {
    // M = 12 players over 14 elements (two groups of two), a weighted background, both
    // links, both outputs (each of order 1).
    let model = Network::new(14, ElementType::F64);
    let x = doubles(14, 11);
    let background = doubles(14 * 3, 12);
    let weights = [0.5, 1.5, 2.0];
    let players: Vec<u32> = vec![0, 1, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11];
    for link in [Link::Identity, Link::Logit] {
        let mut game = ShapleyGame::new(Background::new(background.clone(), 14, Some(weights.to_vec())).unwrap());
        game.players = Some(players.clone());
        game.link = link;
        let mut params = KernelShapParams::new(game);
        params.budget = Some((1 << 12) - 2);
        let e = kernel_shap(&engine(), &model, &x, 1, &params).unwrap();
        assert_eq!(e.audit.element_type, ElementType::F64);
        for k in 0..2 {
            let value = |subset: usize| {
                let mean: f64 = background
                    .chunks(14)
                    .zip(weights)
                    .map(|(b, w)| {
                        let row: Vec<f64> =
                            (0..14).map(|i| if subset >> players[i] & 1 == 1 { x[i] } else { b[i] }).collect();
                        w / 4.0 * model.output(&row, k)
                    })
                    .sum();
                match link {
                    Link::Identity => mean,
                    Link::Logit => (mean / (1.0 - mean)).ln(),
                }
            };
            let v: Vec<f64> = (0..1usize << 12).map(value).collect();
            assert_close(
                e.row_attributions(0, k),
                &brute_force_shapley(&v, 12),
                1e-12,
                &format!("{link:?} output {k}"),
            );
            assert!((e.base_values[k] - v[0]).abs() <= 1e-12);
            assert!((e.predictions[k] - v[(1 << 12) - 1]).abs() <= 1e-12);
        }
    }
}

#[test]
fn integrated_gradients_with_captum_rules_in_f64_equal_the_rule_to_1e_12() {
    let model = Network::new(5, ElementType::F64);
    let x = doubles(5, 21);
    let baseline = doubles(5, 22);
    for (method, steps) in [(Quadrature::GaussLegendreCaptum, 20), (Quadrature::RiemannTrapezoidCaptum, 30)] {
        let params = IntegratedGradientsParams {
            baseline: Baselines::Shared(baseline.clone()),
            n_steps: steps,
            method,
            ..Default::default()
        };
        let e = integrated_gradients(&engine(), &model, &x, 1, &params).unwrap();
        let (alphas, weights) = match method {
            // Captum's trapezoid: α_k = k/(n−1), step 1/n with halved ends.
            Quadrature::RiemannTrapezoidCaptum => {
                let alphas: Vec<f64> = (0..steps).map(|k| k as f64 / (steps - 1) as f64).collect();
                let mut weights = vec![1.0 / steps as f64; steps];
                weights[0] /= 2.0;
                weights[steps - 1] /= 2.0;
                (alphas, weights)
            }
            other => other.rule(steps).unwrap(),
        };
        for k in 0..2 {
            let mut want = vec![0.0; 5];
            for (&a, &w) in alphas.iter().zip(&weights) {
                let point: Vec<f64> = baseline.iter().zip(&x).map(|(b, x)| b + a * (x - b)).collect();
                for (sum, g) in want.iter_mut().zip(model.gradient_of(&point, k)) {
                    *sum += w * g;
                }
            }
            for (sum, (x, b)) in want.iter_mut().zip(x.iter().zip(&baseline)) {
                *sum *= x - b;
            }
            assert_close(e.row_attributions(0, k), &want, 1e-12, &format!("{method:?} output {k}"));
        }
    }
}

/// A GRU-like sequence model in f64: h_t = tanh(A x_t + B h_{t−1}), y = σ(c · h_T).
struct Recurrent {
    signature: SequenceSignature,
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
}

const STATE: usize = 3;

impl Recurrent {
    fn new(features: usize, element_type: ElementType) -> Self {
        let mut signature = SequenceSignature::new(features, 1);
        signature.element_type = element_type;
        Self {
            signature,
            a: doubles(STATE * features, 31),
            b: doubles(STATE * STATE, 32).iter().map(|v| v * 0.5).collect(),
            c: doubles(STATE, 33),
        }
    }

    fn output(&self, sequence: &[f64]) -> f64 {
        let f = self.signature.features;
        let mut h = [0.0; STATE];
        for event in sequence.chunks_exact(f) {
            let previous = h;
            for (s, state) in h.iter_mut().enumerate() {
                let input: f64 = (0..f).map(|i| self.a[s * f + i] * event[i]).sum();
                let recurrent: f64 = (0..STATE).map(|j| self.b[s * STATE + j] * previous[j]).sum();
                *state = (input + recurrent).tanh();
            }
        }
        1.0 / (1.0 + (-h.iter().zip(&self.c).map(|(h, c)| h * c).sum::<f64>()).exp())
    }
}

impl<E: Element> SequenceModel<E> for Recurrent {
    fn signature(&self) -> &SequenceSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[E], rows: usize, seq_len: usize, outputs: &mut [E]) -> lumen::Result<()> {
        let width = seq_len * self.signature.features;
        for (row, out) in inputs.chunks_exact(width).zip(outputs.iter_mut()).take(rows) {
            let sequence: Vec<f64> = row.iter().map(|v| v.widen()).collect();
            *out = E::from_f64(self.output(&sequence));
        }
        Ok(())
    }
}

/// The exact Shapley values of a TimeSHAP explanation's players, from the definition: a
/// player off takes the background event's values in every cell it owns.
fn timeshap_brute_force(model: &Recurrent, x: &[f64], event: &[f64], explanation: &TimeShapExplanation) -> Vec<f64> {
    let f = event.len();
    let seq_len = x.len() / f;
    let players = &explanation.players;
    let owner = |cell: usize| {
        let (e, j) = (cell / f, cell % f);
        players
            .iter()
            .position(|p| match *p {
                Player::Event { event } => event == e,
                Player::Feature { feature } => feature == j,
                Player::Cell { event, feature } => event == e && feature == j,
                _ => false,
            })
            .or_else(|| players.iter().position(|p| *p == Player::OtherFeaturesOfEvent { event: e }))
            .or_else(|| players.iter().position(|p| *p == Player::OtherEventsOfFeature { feature: j }))
            .or_else(|| players.iter().position(|p| *p == Player::OtherCells))
            .unwrap()
    };
    let owners: Vec<usize> = (0..seq_len * f).map(owner).collect();
    let m = players.len();
    let v: Vec<f64> = (0..1usize << m)
        .map(|mask| {
            let row: Vec<f64> =
                (0..seq_len * f).map(|c| if mask >> owners[c] & 1 == 1 { x[c] } else { event[c % f] }).collect();
            model.output(&row)
        })
        .collect();
    brute_force_shapley(&v, m)
}

#[test]
fn timeshap_in_f64_equals_brute_force_at_every_level_to_1e_12() {
    let model = Recurrent::new(3, ElementType::F64);
    let x = doubles(6 * 3, 41);
    let event = doubles(3, 42);
    let params = TimeShapParams::new(SequenceBackground::Event(event.clone()));
    let engine = engine();
    let events = timeshap_event(&engine, &model, &x, 6, &params).unwrap();
    let features = timeshap_feature(&engine, &model, &x, 6, &params).unwrap();
    let cells =
        timeshap_local(&engine, &model, &x, 6, &params, &CellRelevance::TopK { events: 2, features: 2 }).unwrap().cell;
    for explanation in [&events, &features, &cells] {
        assert!(explanation.exact, "{:?} level sampled", explanation.level);
        assert_eq!(explanation.explanation.audit.element_type, ElementType::F64);
        let want = timeshap_brute_force(&model, &x, &event, explanation);
        assert_close(explanation.values(), &want, 1e-12, &format!("{:?} level", explanation.level));
    }
}

/// Every method through the same network in f32 and in f64: the results agree to the f32
/// floor (relative 1e-4 of the largest value, as the f32 model rounds its inputs, outputs
/// and gradients), and the f64 results are not the f32 ones.
#[test]
fn every_method_agrees_between_f32_and_f64_to_the_f32_floor() {
    let engine = engine();
    let (n, rows) = (8, 2);
    let m32 = Network::new(n, ElementType::F32);
    let m64 = Network::new(n, ElementType::F64);
    let x64 = doubles(n * rows, 51);
    let x32: Vec<f32> = x64.iter().map(|&v| v as f32).collect();
    // The f64 run gets the f32 run's inputs, widened: only the arithmetic differs.
    let x64: Vec<f64> = x32.iter().map(|&v| f64::from(v)).collect();
    let bg64 = doubles(n * 4, 52).iter().map(|&v| f64::from(v as f32)).collect::<Vec<f64>>();
    let bg32: Vec<f32> = bg64.iter().map(|&v| v as f32).collect();
    let check = |name: &str, a: &lumen::Explanation, b: &lumen::Explanation| {
        assert_eq!((a.audit.element_type, b.audit.element_type), (ElementType::F32, ElementType::F64), "{name}");
        let scale = b.attributions.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-3);
        for (i, (p, q)) in a.attributions.iter().zip(b.attributions.iter()).enumerate() {
            assert!((p - q).abs() <= 1e-4 * scale, "{name} [{i}]: f32 {p} vs f64 {q}");
        }
        assert!(a.attributions.iter().all(|&v| f64::from(v as f32) == v), "{name}: f32 results are floats");
    };
    check(
        "occlusion",
        &occlusion(&engine, &m32, &x32, rows, &OcclusionParams::new(vec![2])).unwrap(),
        &occlusion(&engine, &m64, &x64, rows, &OcclusionParams::new(vec![2])).unwrap(),
    );
    check(
        "feature ablation",
        &feature_ablation(&engine, &m32, &x32, rows, &FeatureAblationParams::default()).unwrap(),
        &feature_ablation(&engine, &m64, &x64, rows, &FeatureAblationParams::default()).unwrap(),
    );
    let kernel = |bg: Vec<f32>| KernelShapParams::new(ShapleyGame::new(Background::new(bg, n, None).unwrap()));
    let kernel64 = |bg: Vec<f64>| KernelShapParams::new(ShapleyGame::new(Background::new(bg, n, None).unwrap()));
    check(
        "kernel shap",
        &kernel_shap(&engine, &m32, &x32, rows, &kernel(bg32.clone())).unwrap(),
        &kernel_shap(&engine, &m64, &x64, rows, &kernel64(bg64.clone())).unwrap(),
    );
    let sampling = |bg: Vec<f32>| ShapleySamplingParams::new(ShapleyGame::new(Background::new(bg, n, None).unwrap()));
    let sampling64 = |bg: Vec<f64>| ShapleySamplingParams::new(ShapleyGame::new(Background::new(bg, n, None).unwrap()));
    check(
        "shapley sampling",
        &shapley_value_sampling(&engine, &m32, &x32, rows, &sampling(bg32.clone())).unwrap(),
        &shapley_value_sampling(&engine, &m64, &x64, rows, &sampling64(bg64.clone())).unwrap(),
    );
    for method in [Quadrature::GaussLegendre, Quadrature::GaussLegendreCaptum, Quadrature::RiemannMiddle] {
        check(
            "integrated gradients",
            &integrated_gradients(
                &engine,
                &m32,
                &x32,
                rows,
                &IntegratedGradientsParams { method, ..Default::default() },
            )
            .unwrap(),
            &integrated_gradients(
                &engine,
                &m64,
                &x64,
                rows,
                &IntegratedGradientsParams { method, ..Default::default() },
            )
            .unwrap(),
        );
    }
    check(
        "saliency",
        &saliency(&engine, &m32, &x32, rows, &SaliencyParams::default()).unwrap(),
        &saliency(&engine, &m64, &x64, rows, &SaliencyParams::default()).unwrap(),
    );
    let shap32 = GradientShapParams { stdevs: 0.25, ..GradientShapParams::new(bg32.clone()) };
    let shap64 = GradientShapParams { stdevs: 0.25, ..GradientShapParams::new(bg64.clone()) };
    check(
        "gradient shap",
        &gradient_shap(&engine, &m32, &x32, rows, &shap32).unwrap(),
        &gradient_shap(&engine, &m64, &x64, rows, &shap64).unwrap(),
    );
    let tunnel32 = NoiseTunnelParams {
        stdevs: 0.5,
        ..NoiseTunnelParams::new(NoiseTunnelBase::Saliency(SaliencyParams::default()))
    };
    let tunnel64 = NoiseTunnelParams {
        stdevs: 0.5,
        ..NoiseTunnelParams::new(NoiseTunnelBase::Saliency(SaliencyParams::default()))
    };
    check(
        "noise tunnel",
        &noise_tunnel(&engine, &m32, &x32, rows, &tunnel32).unwrap(),
        &noise_tunnel(&engine, &m64, &x64, rows, &tunnel64).unwrap(),
    );
    let cam = GradCamParams { upsample: false, ..Default::default() };
    check(
        "grad-cam",
        &grad_cam(&engine, &m32, &x32, rows, &cam).unwrap(),
        &grad_cam(&engine, &m64, &x64, rows, &cam).unwrap(),
    );
    // The f64 run really is f64: its attributions are not all floats.
    let e = integrated_gradients(&engine, &m64, &x64, rows, &IntegratedGradientsParams::default()).unwrap();
    assert!(e.attributions.iter().any(|&v| f64::from(v as f32) != v));
}

/// Records every row the model is handed.
struct Recorder {
    signature: ModelSignature,
    seen: Mutex<Vec<Vec<f64>>>,
}

impl Model<f64> for Recorder {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[f64], rows: usize, outputs: &mut [f64]) -> lumen::Result<()> {
        let n = self.signature.input_len();
        let mut seen = self.seen.lock().unwrap();
        for (row, out) in inputs.chunks_exact(n).zip(outputs.iter_mut()).take(rows) {
            seen.push(row.to_vec());
            *out = row.iter().enumerate().map(|(i, v)| (i as f64 + 1.0) * v).sum::<f64>().sin();
        }
        Ok(())
    }
}

#[test]
fn an_f64_model_sees_exactly_the_callers_doubles() {
    let mut signature = ModelSignature::flat(4, 1);
    signature.element_type = ElementType::F64;
    let model = Recorder { signature, seen: Mutex::new(Vec::new()) };
    let x = vec![123_456_789.01, 0.1, -1e-300, 1.0 / 3.0];
    let baseline = vec![0.2, 1e300, 2.0 / 3.0, -0.0];
    let params = FeatureAblationParams { baseline: Baselines::Shared(baseline.clone()), ..Default::default() };
    feature_ablation(&engine(), &model, &x, 1, &params).unwrap();
    let background = vec![0.3, 0.7, 1e-5, 5.5];
    let game = ShapleyGame::new(Background::new(background.clone(), 4, None).unwrap());
    kernel_shap(&engine(), &model, &x, 1, &KernelShapParams::new(game)).unwrap();
    let seen = model.seen.lock().unwrap();
    assert!(seen.len() > 10);
    for row in seen.iter() {
        for (i, v) in row.iter().enumerate() {
            let allowed = [x[i], baseline[i], background[i]];
            assert!(
                allowed.iter().any(|a| a.to_bits() == v.to_bits()),
                "element {i}: {v:e} is none of the caller's doubles"
            );
        }
    }
    assert!(seen.iter().any(|row| row[0] == 123_456_789.01), "the f32-unrepresentable double arrived intact");
}

#[test]
fn an_f64_permute_attack_changes_rows_to_the_callers_doubles() {
    let mut signature = ModelSignature::flat(3, 1);
    signature.element_type = ElementType::F64;
    struct Threshold(ModelSignature);
    impl Model<f64> for Threshold {
        fn signature(&self) -> &ModelSignature {
            &self.0
        }
        fn predict(&self, inputs: &[f64], _: usize, outputs: &mut [f64]) -> lumen::Result<()> {
            for (row, out) in inputs.chunks_exact(3).zip(outputs.iter_mut()) {
                *out = 1.0 / (1.0 + (-(row[0] * 10.0 + row[1] - 5.000_000_000_1)).exp());
            }
            Ok(())
        }
    }
    let model = Threshold(signature);
    let training: Vec<f64> = (0..40).flat_map(|i| [0.1 * i as f64 + 1e-12, (i % 7) as f64 / 3.0, 0.25]).collect();
    let params = PermuteAttackParams::new(Schema::numeric(3), training.clone());
    let result = permute_attack(&engine(), &model, &[0.05, 0.1, 0.25], 1, &params).unwrap();
    let instance = &result.instances[0];
    assert!(!instance.counterfactuals.is_empty());
    for cf in &instance.counterfactuals {
        for (f, v) in cf.row.iter().enumerate() {
            let column: Vec<f64> = training.chunks(3).map(|r| r[f]).collect();
            assert!(column.contains(v) || *v == [0.05, 0.1, 0.25][f], "feature {f}: {v} is not a training value");
        }
    }
}

#[test]
fn a_model_declaring_another_element_type_is_refused() {
    // Declares f64 but is explained through its f32 interface.
    let model = Network::new(4, ElementType::F64);
    let error = occlusion::<f32>(&engine(), &model, &[0.0; 4], 1, &OcclusionParams::new(vec![1])).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ElementTypeMismatch);
    assert!(error.message().contains("float") && error.message().contains("double"), "{error}");
    // And NaN in f64 buffers is caught as in f32 ones.
    let model = Network::new(4, ElementType::F64);
    let error =
        occlusion(&engine(), &model, &[0.0, f64::NAN, 0.0, 0.0], 1, &OcclusionParams::new(vec![1])).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NonFiniteInput);
    let mut bad = ModelSignature::flat(4, 1);
    bad.element_type = ElementType::F64;
    bad.memory_space = lumen::model::MemorySpace::Device;
    assert_eq!(bad.validate().unwrap_err().kind(), ErrorKind::ElementTypeUnsupported);
}

/// `Σ a_i x_i` in f64, one output: a game KernelSHAP's fits reproduce exactly.
struct AdditiveF64 {
    signature: ModelSignature,
}

impl Model<f64> for AdditiveF64 {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f64], rows: usize, outputs: &mut [f64]) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for (x, out) in inputs.chunks(n).zip(outputs.iter_mut()).take(rows) {
            *out = x.iter().enumerate().map(|(i, v)| (i as f64 * 0.37 - 1.1) * v).sum();
        }
        Ok(())
    }
}

#[test]
fn sampled_errors_of_a_double_model_cover_values_the_fit_reproduces() {
    // The samples of an additive game agree to the last bits: their spread alone gave
    // errors of about 1.5e-15 for values off by up to 7e-15, the solve's own rounding. The
    // reported errors cover that rounding, so every value lies within 1.96 of them.
    let m = 10;
    let mut signature = ModelSignature::flat(m, 1);
    signature.element_type = ElementType::F64;
    let model = AdditiveF64 { signature };
    let x = doubles(m, 21);
    let background = doubles(3 * m, 22);
    let v: Vec<f64> = (0..1usize << m)
        .map(|subset| {
            let value = |b: &[f64]| {
                let row: Vec<f64> = (0..m).map(|i| if subset >> i & 1 == 1 { x[i] } else { b[i] }).collect();
                let mut out = [0.0];
                model.predict(&row, 1, &mut out).unwrap();
                out[0]
            };
            background.chunks(m).map(value).sum::<f64>() / 3.0
        })
        .collect();
    let exact = brute_force_shapley(&v, m);
    let params = |budget: usize| {
        let mut params = KernelShapParams::new(ShapleyGame::new(Background::new(background.clone(), m, None).unwrap()));
        params.budget = Some(budget);
        params
    };
    for budget in [60, 200] {
        for seed in 0..10 {
            let engine = lumen::Engine::new(lumen::EngineConfig { seed, ..Default::default() }).unwrap();
            let e = kernel_shap(&engine, &model, &x, 1, &params(budget)).unwrap();
            let errors = e.standard_errors.as_ref().expect("errors at budget 6M and up");
            for (i, ((value, want), se)) in e.attributions.iter().zip(&exact).zip(errors.iter()).enumerate() {
                let se = *se;
                let error = (value - want).abs();
                assert!(error <= 1.96 * se, "budget {budget}, seed {seed}, player {i}: error {error:e}, SE {se:e}");
                assert!(se < 1e-10, "budget {budget}, seed {seed}, player {i}: SE {se:e}");
            }
        }
    }
}
