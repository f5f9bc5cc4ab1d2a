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
        assert_eq!(&best.row[1..], &instance.map(f64::from)[1..]);
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
            let column: Vec<f64> = rows.chunks(6).map(|r| f64::from(r[c])).collect();
            assert!(column.contains(&cf.row[c]) || cf.row[c] == f64::from(instance[c]), "column {c}: {}", cf.row[c]);
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

/// [`Threshold`], recording the rows of every model call.
struct Recording {
    inner: Threshold,
    calls: std::sync::Mutex<Vec<Vec<Vec<u32>>>>,
}

impl Model for Recording {
    fn signature(&self) -> &ModelSignature {
        self.inner.signature()
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let rows_seen = inputs.chunks_exact(inputs.len() / rows).map(|r| r.iter().map(|v| v.to_bits()).collect());
        self.calls.lock().unwrap().push(rows_seen.collect());
        self.inner.predict(inputs, rows, outputs)
    }
}

#[test]
fn each_candidate_is_evaluated_once_per_run() {
    let (schema, rows) = training();
    // A threshold no training value of x0 crosses alone: the search runs every generation.
    let model = Recording { inner: Threshold::new(6, 0, 10.5), calls: Default::default() };
    let mut params = small(schema, rows);
    params.runs = 1;
    let instance = [2.0, 4.0, 7.0, 0.0, 1.0, 0.0];
    let result = permute_attack(&engine(1, 3), &model, &instance, 1, &params).unwrap();
    let calls = model.calls.into_inner().unwrap();
    let evaluated: usize = calls.iter().map(Vec::len).sum();
    assert_eq!(result.instances[0].model_rows_evaluated, evaluated as u64);
    // The instance alone, then at most one call per generation.
    assert_eq!(calls[0].len(), 1);
    assert!(calls.len() <= 1 + params.generations, "{} calls", calls.len());
    let mut seen = std::collections::HashSet::new();
    for (g, call) in calls.iter().enumerate().skip(1) {
        for row in call {
            assert!(seen.insert(row.clone()), "call {g} evaluates a row again");
        }
    }
    // The elite alone is known in every generation after the first.
    assert!(evaluated < 1 + params.population * params.generations, "{evaluated} rows");
}

#[test]
fn a_tight_memory_budget_remembers_fewer_candidates_and_finds_the_same_counterfactuals() {
    let (schema, rows) = training();
    let model = Threshold::new(6, 0, 5.5);
    let instance = [2.0, 4.0, 7.0, 0.0, 1.0, 0.0];
    let params = small(schema, rows);
    let run = |memory_budget_bytes| {
        let config =
            lumen::EngineConfig { backend: lumen::BackendChoice::Cpu, threads: 2, seed: 4, memory_budget_bytes };
        permute_attack(&lumen::Engine::new(config).unwrap(), &model, &instance, 1, &params).unwrap()
    };
    let (roomy, tight) = (run(1 << 30), run(200_000));
    assert_eq!(roomy.instances[0].counterfactuals, tight.instances[0].counterfactuals);
    let rows_evaluated = |e: &lumen::explanation::Counterfactuals| e.instances[0].model_rows_evaluated;
    assert!(rows_evaluated(&tight) > rows_evaluated(&roomy), "{} rows", rows_evaluated(&tight));
    assert!(rows_evaluated(&tight) <= 1 + (params.population * params.generations * params.runs) as u64);
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

/// A small forest over (x0, x1, colour, x2), colour a category index 0..3: the mean of
/// three trees' P(class 1), as two class probabilities. The two encodings below read the
/// colour differently and call the same trees, so they give the same outputs bit for bit.
fn forest(x0: f32, x1: f32, colour: usize, x2: f32) -> f32 {
    let t1 = match (colour, x0 > 4.5, x1 > 7.5) {
        (2, true, _) => 0.9,
        (2, false, _) => 0.6,
        (_, _, true) => 0.7,
        _ => 0.1,
    };
    let t2 = if x2 > 6.5 {
        0.8
    } else if colour == 1 {
        0.45
    } else {
        0.2
    };
    let t3 = if x0 > 8.5 {
        0.9
    } else if colour == 0 {
        0.1
    } else {
        0.35
    };
    (t1 + t2 + t3) / 3.0
}

/// The colour's codes in the coded encoding (neither sorted nor contiguous).
const COLOUR_CODES: [f32; 3] = [10.0, 20.0, 5.0];

/// The forest on rows `[x0, x1, colour one-hot (3 columns), x2]` (`one_hot`) or
/// `[x0, x1, colour code, x2]`.
struct Forest {
    signature: ModelSignature,
    one_hot: bool,
}

impl Forest {
    fn new(one_hot: bool) -> Self {
        Self { signature: ModelSignature::flat(if one_hot { 6 } else { 4 }, 2), one_hot }
    }
}

impl Model for Forest {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for (row, out) in inputs.chunks_exact(n).zip(outputs.chunks_exact_mut(2)).take(rows) {
            let (colour, x2) = if self.one_hot {
                ((2..5).position(|c| row[c] == 1.0).expect("one-hot colour"), row[5])
            } else {
                (COLOUR_CODES.iter().position(|&code| code == row[2]).expect("a known colour code"), row[3])
            };
            let p1 = forest(row[0], row[1], colour, x2);
            out[0] = 1.0 - p1;
            out[1] = p1;
        }
        Ok(())
    }
}

/// The forest's schema in either encoding (the same logical features, in the same order).
fn forest_schema(one_hot: bool) -> Schema {
    let numeric = |name: &str, column| Feature { name: name.into(), kind: FeatureKind::Numeric { column } };
    let (colour, x2) = if one_hot {
        (FeatureKind::Categorical { columns: vec![2, 3, 4] }, 5)
    } else {
        (FeatureKind::Coded { column: 2, codes: COLOUR_CODES.map(f64::from).to_vec() }, 3)
    };
    let features =
        vec![numeric("x0", 0), numeric("x1", 1), Feature { name: "colour".into(), kind: colour }, numeric("x2", x2)];
    Schema::new(features, if one_hot { 6 } else { 4 }).unwrap()
}

/// Logical rows `(x0, x1, colour index, x2)` encoded with `schema`.
fn encode(schema: &Schema, logical: &[[f32; 4]]) -> Vec<f32> {
    let mut rows = vec![0.0; logical.len() * schema.row_len()];
    for (row, values) in rows.chunks_exact_mut(schema.row_len()).zip(logical) {
        let mut encoded = vec![0.0; row.len()];
        schema.encode_into(&values.map(f64::from), &mut encoded);
        row.iter_mut().zip(encoded).for_each(|(r, v)| *r = v as f32);
    }
    rows
}

fn forest_training() -> Vec<[f32; 4]> {
    (0..40)
        .map(|i| [(i % 10 + 1) as f32, ((i * 3) % 10 + 1) as f32, (i % 3) as f32, ((i * 7) % 10 + 1) as f32])
        .collect()
}

#[test]
fn ordinal_codes_give_the_one_hot_run_on_the_same_forest() {
    let instances = [[2.0, 4.0, 0.0, 3.0], [3.0, 2.0, 1.0, 5.0], [1.0, 9.0, 0.0, 2.0], [9.0, 8.0, 2.0, 9.0]];
    let training = forest_training();
    let mut changed_colour = 0;
    for sampling in [Sampling::Column, Sampling::Gibbs { bins: 5, iterations: 5 }] {
        let run = |one_hot: bool| {
            let schema = forest_schema(one_hot);
            let mut params = small(schema.clone(), encode(&schema, &training));
            params.sampling = sampling;
            params.rho1 = 0.05;
            let inputs = encode(&schema, &instances);
            (schema, permute_attack(&engine(2, 11), &Forest::new(one_hot), &inputs, instances.len(), &params).unwrap())
        };
        let (one_hot_schema, one_hot) = run(true);
        let (coded_schema, coded) = run(false);
        assert_eq!(coded.feature_names, one_hot.feature_names);
        assert_eq!(coded.instances.len(), instances.len());
        for (i, (c, o)) in coded.instances.iter().zip(&one_hot.instances).enumerate() {
            let at = format!("{sampling:?}, instance {i}");
            assert_eq!(
                (c.original_class, c.target_class, c.original_probability.to_bits(), c.already_at_target),
                (o.original_class, o.target_class, o.original_probability.to_bits(), o.already_at_target),
                "{at}"
            );
            assert_eq!(c.model_rows_evaluated, o.model_rows_evaluated, "{at}");
            assert_eq!(c.counterfactuals.len(), o.counterfactuals.len(), "{at}");
            for (cc, oc) in c.counterfactuals.iter().zip(&o.counterfactuals) {
                assert_eq!(
                    (cc.success, cc.predicted_class, &cc.changed),
                    (oc.success, oc.predicted_class, &oc.changed)
                );
                assert_eq!(cc.target_probability.to_bits(), oc.target_probability.to_bits(), "{at}");
                assert_eq!(cc.distance.to_bits(), oc.distance.to_bits(), "{at}");
                let (cl, ol) = (
                    coded_schema.decode(&cc.row, "coded").unwrap(),
                    one_hot_schema.decode(&oc.row, "one-hot").unwrap(),
                );
                assert_eq!(bit_pattern(&cl), bit_pattern(&ol), "{at}: the same logical counterfactual");
                assert_eq!(cc.row[2], f64::from(COLOUR_CODES[cl[2] as usize]), "{at}: returned in the model's codes");
                if cc.success && cc.changed.contains(&2) {
                    changed_colour += 1;
                    // A changed category adds 2 to the squared distance in both encodings.
                    let numeric: f64 =
                        [0, 1, 3].iter().map(|&f| f64::from(cl[f] as f32 - instances[i][f]).powi(2)).sum();
                    assert_eq!(cc.distance, f64::from((numeric + 2.0).sqrt() as f32), "{at}");
                }
            }
        }
    }
    assert!(changed_colour > 0, "some counterfactual changes the coded colour, so the check covers it");
}

fn bit_pattern(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn bad_codes_are_rejected() {
    let coded = |codes: Vec<f64>| {
        Schema::new(
            vec![
                Feature { name: "x".into(), kind: FeatureKind::Numeric { column: 0 } },
                Feature { name: "colour".into(), kind: FeatureKind::Coded { column: 1, codes } },
            ],
            2,
        )
    };
    for (codes, expected) in [
        (vec![], "has no codes"),
        (vec![1.0, f64::NAN], "expected a finite integer"),
        (vec![f64::INFINITY], "expected a finite integer"),
        (vec![0.0, 1.5], "expected a finite integer"),
        (vec![3.0, 1.0, 3.0], "lists code 3 twice (at 0 and 2)"),
    ] {
        let e = coded(codes.clone()).unwrap_err();
        assert_eq!(e.kind(), lumen::ErrorKind::InvalidArgument, "{codes:?}");
        assert!(e.message().contains(expected), "{codes:?}: {e}");
    }
    let e = Schema::new(
        vec![Feature { name: "colour".into(), kind: FeatureKind::Coded { column: 3, codes: vec![0.0, 1.0] } }],
        2,
    )
    .unwrap_err();
    assert!(e.message().contains("uses column 3"), "{e}");

    let schema = forest_schema(false);
    let training = encode(&schema, &forest_training());
    let model = Forest::new(false);
    let run = |inputs: &[f32], params: &PermuteAttackParams| {
        permute_attack(&engine(1, 0), &model, inputs, 1, params).unwrap_err()
    };
    let e = run(&[2.0, 4.0, 7.0, 3.0], &small(schema.clone(), training.clone()));
    assert_eq!(e.kind(), lumen::ErrorKind::InvalidArgument);
    assert!(
        e.message().contains("inputs")
            && e.message().contains("code 7 in column 2, expected one of its codes [10.0, 20.0, 5.0]"),
        "{e}"
    );
    let mut bad_training = training.clone();
    bad_training[4 + 2] = 11.0;
    let e = run(&[2.0, 4.0, 10.0, 3.0], &small(schema.clone(), bad_training));
    assert!(e.message().contains("training row 1") && e.message().contains("code 11"), "{e}");
    let mut params = small(schema, training);
    params.ranges = vec![lumen::explain::counterfactual::FeatureRange { feature: 2, min: 5.0, max: 10.0 }];
    let e = run(&[2.0, 4.0, 10.0, 3.0], &params);
    assert!(e.message().contains("feature 2 is categorical"), "{e}");
}
