//! PermuteAttack on models whose decision boundary is known.

mod common;

use lumen::explain::counterfactual::schema::{Feature, FeatureKind, Schema};
use lumen::explain::counterfactual::{permute_attack, PermuteAttackParams, Sampling, TargetClass};
use lumen::{Model, ModelSignature};

/// Class 1 (P = 0.9) when x[column] > threshold, else class 0 (P(class 1) = 0.1), as two
/// class probabilities.
struct Threshold {
    signature: ModelSignature,
    column: usize,
    threshold: f32,
}

impl Threshold {
    fn new(row_len: usize, column: usize, threshold: f32) -> Self {
        Self { signature: ModelSignature::flat(row_len, 2), column, threshold }
    }
}

impl Model for Threshold {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for r in 0..rows {
            let p1 = if inputs[r * n + self.column] > self.threshold { 0.9 } else { 0.1 };
            outputs[r * 2] = 1.0 - p1;
            outputs[r * 2 + 1] = p1;
        }
        Ok(())
    }
}

/// Three numeric columns, each taking 1..=10 in the training rows, and a 3-way one-hot.
fn training() -> (Schema, Vec<f32>) {
    let mut features: Vec<Feature> =
        (0..3).map(|c| Feature { name: format!("x{c}"), kind: FeatureKind::Numeric { column: c } }).collect();
    features.push(Feature { name: "colour".into(), kind: FeatureKind::Categorical { columns: vec![3, 4, 5] } });
    let schema = Schema::new(features, 6).unwrap();
    let mut rows = Vec::new();
    for i in 0..30 {
        rows.extend([(i % 10 + 1) as f32, ((i * 3) % 10 + 1) as f32, ((i * 7) % 10 + 1) as f32]);
        let mut one_hot = [0.0; 3];
        one_hot[i % 3] = 1.0;
        rows.extend(one_hot);
    }
    (schema, rows)
}

fn engine(threads: usize, seed: u64) -> lumen::Engine {
    lumen::Engine::new(lumen::EngineConfig { backend: lumen::BackendChoice::Cpu, threads, seed, ..Default::default() })
        .unwrap()
}

fn small(schema: Schema, rows: Vec<f32>) -> PermuteAttackParams {
    let mut params = PermuteAttackParams::new(schema, rows);
    params.generations = 30;
    params.runs = 4;
    params
}

#[test]
fn finds_the_minimal_counterfactual_across_a_known_threshold() {
    let (schema, rows) = training();
    let model = Threshold::new(6, 0, 5.5);
    let instance = [2.0, 4.0, 7.0, 0.0, 1.0, 0.0];
    for sampling in [Sampling::Column, Sampling::Gibbs { bins: 5, iterations: 5 }] {
        let mut params = small(schema.clone(), rows.clone());
        params.sampling = sampling;
        let result = permute_attack(&engine(2, 1), &model, &instance, 1, &params).unwrap();
        let found = &result.instances[0];
        assert_eq!((found.original_class, found.target_class), (0, 1));
        let best = &found.counterfactuals[0];
        assert!(best.success, "{sampling:?}");
        assert_eq!(best.changed, vec![0], "{sampling:?}: only x0 decides");
        // The closest training value above the threshold.
        assert_eq!(best.row[0], 6.0, "{sampling:?}");
        assert_eq!(&best.row[1..], &instance[1..]);
        assert!((best.target_probability - 0.9).abs() < 1e-6);
        assert_eq!(found.counterfactuals.len(), 3);
    }
}

#[test]
fn respects_immutable_features_training_values_and_one_hot_groups() {
    let (schema, rows) = training();
    // Class 1 needs x1 > 7.5; x1 is immutable in the second search.
    let model = Threshold::new(6, 1, 7.5);
    let instance = [2.0, 4.0, 7.0, 1.0, 0.0, 0.0];
    let result = permute_attack(&engine(2, 2), &model, &instance, 1, &small(schema.clone(), rows.clone())).unwrap();
    for cf in &result.instances[0].counterfactuals {
        for c in 0..3 {
            let column: Vec<f32> = rows.chunks(6).map(|r| r[c]).collect();
            assert!(column.contains(&cf.row[c]) || cf.row[c] == instance[c], "column {c}: {}", cf.row[c]);
        }
        schema.decode(&cf.row, "counterfactual").expect("one-hot groups stay valid");
    }
    let mut params = small(schema, rows);
    params.immutable = vec![1];
    let result = permute_attack(&engine(2, 2), &model, &instance, 1, &params).unwrap();
    for cf in &result.instances[0].counterfactuals {
        assert_eq!(cf.row[1], 4.0, "immutable x1 never changes");
        assert!(!cf.success, "without x1 nothing flips the model");
    }
}

#[test]
fn allow_list_limits_the_search() {
    let (schema, rows) = training();
    let model = Threshold::new(6, 0, 5.5);
    let mut params = small(schema, rows);
    params.allow_list = Some(vec![2, 3]);
    let result = permute_attack(&engine(1, 3), &model, &[2.0, 4.0, 7.0, 0.0, 1.0, 0.0], 1, &params).unwrap();
    for cf in &result.instances[0].counterfactuals {
        assert!(cf.changed.iter().all(|f| [2, 3].contains(f)), "{:?}", cf.changed);
        assert!(!cf.success);
    }
}

#[test]
fn reproducible_across_threads_and_seed_dependent() {
    let (schema, rows) = training();
    let model = Threshold::new(6, 2, 8.5);
    let instances = [2.0, 4.0, 7.0, 0.0, 1.0, 0.0, 9.0, 1.0, 1.0, 1.0, 0.0, 0.0];
    let params = small(schema, rows);
    let run = |threads, seed| {
        permute_attack(&engine(threads, seed), &model, &instances, 2, &params).unwrap().to_json().unwrap()
    };
    let reference = run(1, 4);
    assert_eq!(run(2, 4), reference);
    assert_eq!(run(8, 4), reference);
    assert_ne!(run(1, 5), reference);
}

#[test]
fn bad_input_is_rejected() {
    let (schema, rows) = training();
    let model = Threshold::new(6, 0, 5.5);
    let x = [2.0, 4.0, 7.0, 0.0, 1.0, 0.0];
    let run = |params: &PermuteAttackParams| permute_attack(&engine(1, 0), &model, &x, 1, params).unwrap_err();
    let e = run(&small(schema.clone(), vec![]));
    assert!(e.message().starts_with("training: has no rows"), "{e}");
    let e = run(&small(schema.clone(), rows[..10].to_vec()));
    assert!(e.message().contains("multiple of input_len"), "{e}");
    let mut params = small(schema.clone(), rows.clone());
    params.target = TargetClass::Class(2);
    assert!(run(&params).message().starts_with("target"));
    let mut params = small(schema.clone(), rows.clone());
    params.immutable = vec![0, 1, 2, 3];
    assert!(run(&params).message().contains("leaves no feature"));
    let mut params = small(schema.clone(), rows.clone());
    params.population = 1;
    assert!(run(&params).message().starts_with("population"));
    let e =
        permute_attack(&engine(1, 0), &model, &[2.0, 4.0, 7.0, 0.5, 0.5, 0.0], 1, &small(schema.clone(), rows.clone()))
            .unwrap_err();
    assert!(e.message().contains("not one-hot"), "{e}");

    struct Nan(ModelSignature);
    impl Model for Nan {
        fn signature(&self) -> &ModelSignature {
            &self.0
        }
        fn predict(&self, _: &[f32], _: usize, outputs: &mut [f32]) -> lumen::Result<()> {
            outputs.fill(f32::NAN);
            Ok(())
        }
    }
    let e = permute_attack(&engine(1, 0), &Nan(ModelSignature::flat(6, 2)), &x, 1, &small(schema, rows)).unwrap_err();
    assert_eq!(e.kind(), lumen::ErrorKind::ModelNonFiniteOutput);
}

#[test]
fn a_probability_cutoff_defines_success() {
    // One output = P(class 1) = x0 / 10: class 1 is predicted from x0 = 6, but the
    // cutoff 0.85 needs x0 >= 9 (8.5 is not a training value).
    struct Ramp(ModelSignature);
    impl Model for Ramp {
        fn signature(&self) -> &ModelSignature {
            &self.0
        }
        fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
            for r in 0..rows {
                outputs[r] = inputs[r * 6] / 10.0;
            }
            Ok(())
        }
    }
    let (schema, rows) = training();
    let mut params = small(schema, rows);
    params.target = TargetClass::Class(1);
    params.success_probability = Some(0.85);
    let result =
        permute_attack(&engine(2, 6), &Ramp(ModelSignature::flat(6, 1)), &[2.0, 4.0, 7.0, 0.0, 1.0, 0.0], 1, &params)
            .unwrap();
    let best = &result.instances[0].counterfactuals[0];
    assert!(best.success);
    assert_eq!((best.changed.clone(), best.row[0]), (vec![0], 9.0));
    params.success_probability = Some(1.5);
    let e = permute_attack(&engine(1, 6), &Ramp(ModelSignature::flat(6, 1)), &[2.0; 6], 1, &params).unwrap_err();
    assert!(e.message().starts_with("success_probability"), "{e}");
}

#[test]
fn fallbacks_are_distinct_changes_and_reached_targets_are_not_searched() {
    let (schema, rows) = training();
    let model = Threshold::new(6, 0, 5.5);
    let instance = [2.0, 4.0, 7.0, 0.0, 1.0, 0.0];
    let mut params = small(schema.clone(), rows.clone());
    params.immutable = vec![0];
    let found = permute_attack(&engine(1, 1), &model, &instance, 1, &params).unwrap().instances.remove(0);
    assert!(!found.counterfactuals.is_empty());
    for (i, cf) in found.counterfactuals.iter().enumerate() {
        assert!(!cf.success && !cf.changed.is_empty(), "fallback {i} changes something");
        assert!(found.counterfactuals[..i].iter().all(|other| other.row != cf.row), "fallback {i} is distinct");
    }
    let mut params = small(schema.clone(), rows.clone());
    params.target = TargetClass::Class(0);
    let found = permute_attack(&engine(1, 1), &model, &instance, 1, &params).unwrap().instances.remove(0);
    assert!(found.already_at_target && found.counterfactuals.is_empty());
    assert_eq!(found.model_rows_evaluated, 1);
    let mut params = small(schema.clone(), rows.clone());
    params.max_changed = Some(0);
    assert!(permute_attack(&engine(1, 1), &model, &instance, 1, &params)
        .unwrap_err()
        .message()
        .starts_with("max_changed"));
    params.max_changed = None;
    params.max_distance = Some(f64::NAN);
    assert!(permute_attack(&engine(1, 1), &model, &instance, 1, &params)
        .unwrap_err()
        .message()
        .starts_with("max_distance"));
}
