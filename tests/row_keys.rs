//! Row-keyed determinism: a row's explanation depends on the seed and its key, never on
//! the other rows of the call, their order, or the thread count. The key is a hash of the
//! row's values unless the caller gives one; the call's seed overrides the engine's.

mod common;

use std::sync::Arc;

use common::{values, Nonlinear};
use lumen::engine::call_control::{CallControl, ControlScope};
use lumen::engine::row_keys::row_key_of_bytes;
use lumen::explain::counterfactual::schema::{Feature, FeatureKind, Schema};
use lumen::explain::counterfactual::{permute_attack, PermuteAttackParams};
use lumen::explain::gradient::{
    gradient_shap, noise_tunnel, GradientShapParams, NoiseTunnelBase, NoiseTunnelParams, SaliencyParams,
};
use lumen::explain::shapley::{
    kernel_shap, shapley_value_sampling, Background, KernelShapParams, ShapleyGame, ShapleySamplingParams,
};
use lumen::explain::timeshap::{timeshap_event, timeshap_global, GlobalParams, SequenceBackground, TimeShapParams};
use lumen::model::{SequenceModel, SequenceSignature};
use lumen::{Engine, EngineConfig, ErrorKind, Explanation, Model, ModelSignature};

const FEATURES: usize = 6;

fn engine(threads: usize, seed: u64) -> Engine {
    Engine::new(EngineConfig { backend: lumen::BackendChoice::Cpu, threads, seed, ..Default::default() }).unwrap()
}

/// f(x) = Σ a_i x_i + x_0 x_1 x_2 + 0.3 Σ x_i², with its gradient: smooth, with interactions.
struct Smooth {
    signature: ModelSignature,
}

impl Smooth {
    fn new() -> Self {
        Self { signature: ModelSignature::flat(FEATURES, 1) }
    }
}

impl Model for Smooth {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        for (x, out) in inputs.chunks_exact(FEATURES).zip(outputs.iter_mut()).take(rows) {
            let linear: f32 = x.iter().enumerate().map(|(i, v)| v * (i as f32 - 2.5)).sum();
            *out = linear + x[0] * x[1] * x[2] + 0.3 * x.iter().map(|v| v * v).sum::<f32>();
        }
        Ok(())
    }
    fn gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        _targets: &[u32],
        gradients: &mut [f32],
        _outputs: Option<&mut [f32]>,
    ) -> lumen::Result<()> {
        for (x, g) in inputs.chunks_exact(FEATURES).zip(gradients.chunks_exact_mut(FEATURES)).take(rows) {
            for i in 0..FEATURES {
                g[i] = (i as f32 - 2.5) + 0.6 * x[i];
            }
            g[0] += x[1] * x[2];
            g[1] += x[0] * x[2];
            g[2] += x[0] * x[1];
        }
        Ok(())
    }
}

/// Row `r` of a `rows`-row call against the same row explained alone (and in reverse
/// order with the others): every number of that row, bit for bit.
fn assert_row_independent(explain: impl Fn(&Engine, &[f32], usize) -> Explanation) {
    let rows = 4;
    let x = values(rows * FEATURES, 3);
    let together = explain(&engine(2, 5), &x, rows);
    let reversed: Vec<f32> = x.chunks_exact(FEATURES).rev().flatten().copied().collect();
    let backwards = explain(&engine(1, 5), &reversed, rows);
    for r in 0..rows {
        let alone = explain(&engine(3, 5), &x[r * FEATURES..(r + 1) * FEATURES], 1);
        let bits = |e: &Explanation, row: usize| {
            let mut bits: Vec<u64> = e.row_attributions(row, 0).iter().map(|v| v.to_bits()).collect();
            bits.push(e.predictions[row].to_bits());
            bits.push(e.base_values[row].to_bits());
            if let Some(errors) = &e.standard_errors {
                bits.extend(errors[row * e.features..(row + 1) * e.features].iter().map(|v| v.to_bits()));
            }
            bits
        };
        assert_eq!(bits(&together, r), bits(&alone, 0), "row {r} in a call of {rows} vs alone");
        assert_eq!(bits(&backwards, rows - 1 - r), bits(&alone, 0), "row {r} in reverse order");
        let keys = alone.audit.row_keys.as_ref().expect("a randomised method records its row keys");
        assert_eq!(keys.keys, [together.audit.row_keys.as_ref().unwrap().keys[r]]);
    }
}

fn background() -> Background {
    Background::new(values(5 * FEATURES, 9), FEATURES, None).unwrap()
}

#[test]
fn kernel_shap_rows_do_not_depend_on_the_call() {
    assert_row_independent(|engine, x, rows| {
        let mut params = KernelShapParams::new(ShapleyGame::new(background()));
        params.budget = Some(20);
        kernel_shap(engine, &Smooth::new(), x, rows, &params).unwrap()
    });
}

#[test]
fn shapley_sampling_rows_do_not_depend_on_the_call() {
    assert_row_independent(|engine, x, rows| {
        let params = ShapleySamplingParams {
            permutation_pairs: 3,
            ..ShapleySamplingParams::new(ShapleyGame::new(background()))
        };
        shapley_value_sampling(engine, &Smooth::new(), x, rows, &params).unwrap()
    });
}

#[test]
fn gradient_shap_rows_do_not_depend_on_the_call() {
    assert_row_independent(|engine, x, rows| {
        let mut params = GradientShapParams::new(values(3 * FEATURES, 4));
        params.stdevs = 0.2;
        params.n_samples = 7;
        gradient_shap(engine, &Smooth::new(), x, rows, &params).unwrap()
    });
}

#[test]
fn noise_tunnel_rows_do_not_depend_on_the_call() {
    let mut inner = GradientShapParams::new(values(3 * FEATURES, 4));
    inner.stdevs = 0.1;
    for base in [NoiseTunnelBase::Saliency(SaliencyParams::default()), NoiseTunnelBase::GradientShap(inner)] {
        assert_row_independent(|engine, x, rows| {
            let mut params = NoiseTunnelParams::new(base.clone());
            params.nt_samples = 6;
            params.stdevs = 0.3;
            noise_tunnel(engine, &Smooth::new(), x, rows, &params).unwrap()
        });
    }
}

/// Runs `f` with a call control of `seed` and `row_keys` installed on this thread.
fn with_control<T>(seed: Option<u64>, row_keys: Option<Vec<u64>>, f: impl FnOnce() -> T) -> T {
    let mut control = CallControl::new(None, None, None, None);
    if let Some(seed) = seed {
        control = control.with_seed(seed);
    }
    if let Some(keys) = row_keys {
        control = control.with_row_keys(keys);
    }
    let _scope = ControlScope::enter(Some(Arc::new(control)));
    f()
}

fn sampled(engine: &Engine, x: &[f32], rows: usize) -> Explanation {
    let params =
        ShapleySamplingParams { permutation_pairs: 2, ..ShapleySamplingParams::new(ShapleyGame::new(background())) };
    shapley_value_sampling(engine, &Smooth::new(), x, rows, &params).unwrap()
}

#[test]
fn caller_keys_replace_the_hash_and_reproduce_one_row_of_a_batch() {
    let x = values(3 * FEATURES, 3);
    let ids: Vec<u64> = ["A-1", "A-2", "A-3"].iter().map(|id| row_key_of_bytes(id.as_bytes())).collect();
    let batch = with_control(None, Some(ids.clone()), || sampled(&engine(2, 5), &x, 3));
    let again = with_control(None, Some(vec![ids[1]]), || sampled(&engine(1, 5), &x[FEATURES..2 * FEATURES], 1));
    assert_eq!(batch.row_attributions(1, 0), again.row_attributions(0, 0));
    let hashed = sampled(&engine(1, 5), &x[FEATURES..2 * FEATURES], 1);
    assert_ne!(hashed.row_attributions(0, 0), again.row_attributions(0, 0), "the key drives the draws");
    let json = batch.to_json().unwrap();
    assert!(json.contains("\"source\":\"caller\""), "{json}");
    assert!(json.contains(&format!("\"{:016x}\"", ids[2])), "keys as 16 hex digits: {json}");
    assert!(hashed.to_json().unwrap().contains("\"source\":\"input_hash\""));

    let error = with_control(None, Some(ids[..2].to_vec()), || {
        let params = ShapleySamplingParams {
            permutation_pairs: 2,
            ..ShapleySamplingParams::new(ShapleyGame::new(background()))
        };
        shapley_value_sampling(&engine(1, 5), &Smooth::new(), &x, 3, &params).unwrap_err()
    });
    assert_eq!(error.kind(), ErrorKind::LengthMismatch);
    assert!(error.message().contains("control.row_keys"), "{}", error.message());
}

#[test]
fn the_call_seed_overrides_the_engine_seed() {
    let x = values(2 * FEATURES, 8);
    let by_engine = sampled(&engine(2, 11), &x, 2);
    let by_call = with_control(Some(11), None, || sampled(&engine(2, 5), &x, 2));
    assert_eq!(by_engine.attributions, by_call.attributions);
    assert_eq!(by_call.audit.seed, 11);
    assert_ne!(sampled(&engine(2, 5), &x, 2).attributions, by_call.attributions);
}

/// Class 1 when x0 + x1 > 1.
struct Sum {
    signature: ModelSignature,
}

impl Model for Sum {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        for (x, out) in inputs.chunks_exact(3).zip(outputs.chunks_exact_mut(2)).take(rows) {
            let p = if x[0] + x[1] > 1.0 { 0.8 } else { 0.2 };
            out.copy_from_slice(&[1.0 - p, p]);
        }
        Ok(())
    }
}

#[test]
fn permute_attack_rows_do_not_depend_on_the_call() {
    let features = (0..3).map(|c| Feature { name: format!("x{c}"), kind: FeatureKind::Numeric { column: c } });
    let schema = Schema::new(features.collect(), 3).unwrap();
    let training: Vec<f32> = values(3 * 200, 17).iter().map(|v| v + 0.5).collect();
    let mut params = PermuteAttackParams::new(schema, training);
    params.generations = 2;
    params.runs = 2;
    let model = Sum { signature: ModelSignature::flat(3, 2) };
    let x = [0.1f32, 0.2, 1.0, 0.3, 0.1, 2.0, 0.0, 0.4, 0.0];
    let together = permute_attack(&engine(2, 4), &model, &x, 3, &params).unwrap();
    for r in 0..3 {
        let alone = permute_attack(&engine(1, 4), &model, &x[r * 3..r * 3 + 3], 1, &params).unwrap();
        assert_eq!(format!("{:?}", together.instances[r]), format!("{:?}", alone.instances[0]), "row {r}");
        assert!(!alone.instances[0].counterfactuals.is_empty(), "row {r} found none: the check would be empty");
    }
    let reseeded = permute_attack(&engine(1, 5), &model, &x, 3, &params).unwrap();
    assert_ne!(format!("{:?}", together.instances), format!("{:?}", reseeded.instances), "the search must draw");
}

/// An exponentially weighted sum of the events (newest weighs most), squashed.
struct Decay {
    signature: SequenceSignature,
}

impl SequenceModel for Decay {
    fn signature(&self) -> &SequenceSignature {
        &self.signature
    }
    fn predict(&self, sequences: &[f32], rows: usize, seq_len: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let f = self.signature.features;
        for (s, out) in sequences.chunks_exact(seq_len * f).zip(outputs.iter_mut()).take(rows) {
            let mut h = 0.0f32;
            for event in s.chunks_exact(f) {
                h = 0.7 * h + event.iter().enumerate().map(|(j, v)| v * (j as f32 + 1.0)).sum::<f32>();
                h += event[0] * event[1] * 0.5;
            }
            *out = (h * 0.3).tanh();
        }
        Ok(())
    }
}

#[test]
fn timeshap_sequences_do_not_depend_on_the_call() {
    let model = Decay { signature: SequenceSignature::new(2, 1) };
    let mut params = TimeShapParams::new(SequenceBackground::Event(vec![0.0; 2]));
    params.budget = 40;
    params.tolerance = None;
    let (a, b) = (values(12 * 2, 1), values(9 * 2, 2));
    let global = |data: &[f32], lengths: &[usize]| {
        let report =
            timeshap_global(&engine(2, 6), &model, data, lengths, &GlobalParams::new(params.clone(), vec![0.01]))
                .unwrap();
        report.feature_importance.iter().map(|f| f.values.clone()).collect::<Vec<_>>()
    };
    let forwards = global(&[a.clone(), b.clone()].concat(), &[12, 9]);
    let backwards = global(&[b.clone(), a.clone()].concat(), &[9, 12]);
    for (f, b) in forwards.iter().zip(&backwards) {
        assert_eq!(f[0].to_bits(), b[1].to_bits());
        assert_eq!(f[1].to_bits(), b[0].to_bits());
    }
    // One sequence explained alone draws as it does inside a global run.
    let alone = timeshap_event(&engine(1, 6), &model, &a, 12, &params).unwrap();
    let again = timeshap_event(&engine(3, 6), &model, &a, 12, &params).unwrap();
    assert_eq!(alone.values(), again.values());
    assert!(!alone.exact, "the budget must force sampling for this check to mean anything");
    let keyed = with_control(None, Some(vec![42]), || timeshap_event(&engine(1, 6), &model, &a, 12, &params).unwrap());
    assert_ne!(alone.values(), keyed.values(), "the caller's key drives the draws");
}

#[test]
fn nonlinear_model_rows_are_keyed_by_their_values() {
    // Equal rows draw alike, whatever their position.
    let model = Nonlinear::new(&[FEATURES], true);
    let row = values(FEATURES, 12);
    let x = [row.clone(), values(FEATURES, 13), row].concat();
    let params =
        ShapleySamplingParams { permutation_pairs: 2, ..ShapleySamplingParams::new(ShapleyGame::new(background())) };
    let e = shapley_value_sampling(&engine(2, 1), &model, &x, 3, &params).unwrap();
    assert_eq!(e.row_attributions(0, 0), e.row_attributions(2, 0));
}
