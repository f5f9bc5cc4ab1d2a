//! The account-takeover GRU end to end: the generator (determinism, label and event
//! shares, the takeover pattern), the forward pass against a naive reference, the
//! state-carrying path against the whole-sequence path, the backpropagated gradient
//! against central finite differences, training determinism, the committed weights and
//! their documented hold-out metrics, and bad input.

use lumen::ErrorKind;
use lumen_models::fraud::training::{cross_entropy, initial_parameters, loss_and_gradient};
use lumen_models::fraud::{
    generate_histories, generate_history, measure, score_histories, train, AccountHistory, Ending, EventKind, FraudGru,
    GeneratorConfig, GruShape, LabelledSequence, TrainingConfig, WeightsFile, FEATURES, FEATURE_NAMES,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Hold-out AUC the committed weights must reach (they record 0.998; see data/fraud/README.md).
const MIN_HOLDOUT_AUC: f64 = 0.99;
/// Hold-out accuracy the committed weights must reach (they record 0.989).
const MIN_HOLDOUT_ACCURACY: f64 = 0.97;

fn random_model(hidden: usize, scale: f32, seed: u64) -> FraudGru {
    let shape = GruShape { features: FEATURES, hidden };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let parameters = (0..shape.parameter_count()).map(|_| (rng.random::<f32>() * 2.0 - 1.0) * scale).collect();
    FraudGru::from_parameters(hidden, parameters).expect("a valid parameter vector")
}

fn random_inputs(values: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..values).map(|_| rng.random::<f32>() * 2.0 - 0.5).collect()
}

/// The GRU of `torch.nn.GRU` written out from its definition, in f64, indexing the flat
/// parameter vector by hand: weight_ih (3H × F), weight_hh (3H × H), bias_ih, bias_hh (3H),
/// weight_out (H), bias_out.
fn reference_score(model: &FraudGru, events: &[f32]) -> f64 {
    let (f, h) = (FEATURES, model.hidden_size());
    let p: Vec<f64> = model.parameters().iter().map(|&v| f64::from(v)).collect();
    let w_ih = |gate: usize, unit: usize, k: usize| p[(gate * h + unit) * f + k];
    let w_hh_at = 3 * h * f;
    let w_hh = |gate: usize, unit: usize, k: usize| p[w_hh_at + (gate * h + unit) * h + k];
    let b_ih_at = w_hh_at + 3 * h * h;
    let b_hh_at = b_ih_at + 3 * h;
    let out_at = b_hh_at + 3 * h;
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    let mut state = vec![0.0f64; h];
    for x in events.chunks(f) {
        let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let input = |gate: usize, unit: usize| {
            p[b_ih_at + gate * h + unit] + (0..f).map(|k| w_ih(gate, unit, k) * x[k]).sum::<f64>()
        };
        let hidden = |gate: usize, unit: usize| {
            p[b_hh_at + gate * h + unit] + (0..h).map(|k| w_hh(gate, unit, k) * state[k]).sum::<f64>()
        };
        let next: Vec<f64> = (0..h)
            .map(|j| {
                let r = sigmoid(input(0, j) + hidden(0, j));
                let z = sigmoid(input(1, j) + hidden(1, j));
                let n = (input(2, j) + r * hidden(2, j)).tanh();
                (1.0 - z) * n + z * state[j]
            })
            .collect();
        state = next;
    }
    sigmoid(p[out_at + h] + (0..h).map(|j| p[out_at + j] * state[j]).sum::<f64>())
}

#[test]
fn the_generator_is_deterministic_per_history() {
    let config = GeneratorConfig::TRAINING;
    let batch = generate_histories(&config, 40);
    for (index, history) in batch.iter().enumerate() {
        assert_eq!(history, &generate_history(&config, index as u64));
        assert_eq!(history.index, index as u64);
    }
    let other_seed = generate_histories(&GeneratorConfig { seed: config.seed + 1, ..config }, 40);
    assert!(batch.iter().zip(&other_seed).all(|(a, b)| a != b), "another seed draws other histories");
    assert_ne!(batch[0], batch[1], "histories of one seed differ");
}

#[test]
fn generated_histories_have_the_documented_shares_and_shape() {
    let config = GeneratorConfig::TRAINING;
    let histories = generate_histories(&config, 4000);
    let frauds = histories.iter().filter(|h| h.is_fraud()).count() as f64 / histories.len() as f64;
    assert!((frauds - config.fraud_share).abs() < 0.025, "fraud share {frauds}, configured {}", config.fraud_share);
    let decoys = histories.iter().filter(|h| !matches!(h.ending, Ending::Everyday | Ending::Takeover)).count() as f64;
    let legit = histories.iter().filter(|h| !h.is_fraud()).count() as f64;
    assert!((decoys / legit - 0.35).abs() < 0.03, "decoy share among legitimate histories {}", decoys / legit);

    let mut kinds = [0usize; 3];
    for history in &histories {
        assert!((config.min_events..=config.max_events).contains(&history.len()));
        assert_eq!(history.events[0].minutes_since_previous, 0.0);
        for event in &history.events {
            kinds[event.kind as usize] += 1;
            assert!(event.distance_km >= 0.0 && event.minutes_since_previous >= 0.0);
            assert_eq!(event.kind == EventKind::Transaction, event.amount_eur > 0.0);
        }
        let encoded = history.encoded();
        assert_eq!(encoded.len(), history.len() * FEATURES);
        assert!(encoded.iter().all(|v| v.is_finite() && (0.0..1.5).contains(v)), "features stay in [0, 1.5)");
    }
    let total = kinds.iter().sum::<usize>() as f64;
    let [transactions, logins, enrollments] = kinds.map(|count| count as f64 / total);
    assert!((0.68..0.78).contains(&transactions), "transaction share {transactions}");
    assert!((0.20..0.28).contains(&logins), "login share {logins}");
    assert!((0.02..0.04).contains(&enrollments), "enrollment share {enrollments}");
}

/// Every takeover ends with enrollment → unusual login (far away or new IP) → large
/// transaction, starting at `ending_start`, within the last 9 events.
#[test]
fn takeovers_end_with_the_documented_pattern() {
    for history in generate_histories(&GeneratorConfig::TRAINING, 1000).iter().filter(|h| h.is_fraud()) {
        let start = history.ending_start.expect("a takeover has a start");
        assert!(history.len() - start <= 9, "the pattern is near the end");
        let tail = &history.events[start..];
        assert_eq!(tail[0].kind, EventKind::Enrollment);
        let login = tail.iter().position(|e| e.kind == EventKind::Login && (e.new_ip || e.distance_km > 5.0));
        let login = login.expect("an unusual login follows the enrollment");
        let typical: f64 = median_amount(&history.events[..start]);
        let transfer = &tail[login + 1..];
        assert!(
            transfer.iter().any(|e| e.kind == EventKind::Transaction && e.amount_eur >= 300.0f64.min(8.0 * typical)),
            "a large transaction follows the login"
        );
    }
}

fn median_amount(events: &[lumen_models::fraud::Event]) -> f64 {
    let mut amounts: Vec<f64> =
        events.iter().filter(|e| e.kind == EventKind::Transaction).map(|e| e.amount_eur).collect();
    amounts.sort_by(f64::total_cmp);
    amounts.get(amounts.len() / 2).copied().unwrap_or(40.0)
}

#[test]
fn the_forward_pass_matches_the_naive_reference() {
    let (rows, seq_len) = (6, 37);
    let inputs = random_inputs(rows * seq_len * FEATURES, 7);
    for model in [FraudGru::shared().clone(), random_model(5, 0.8, 1), random_model(24, 0.4, 2)] {
        let mut outputs = vec![0.0; rows];
        model.predict(&inputs, rows, seq_len, &mut outputs).unwrap();
        for (row, &output) in outputs.iter().enumerate() {
            let reference = reference_score(&model, &inputs[row * seq_len * FEATURES..][..seq_len * FEATURES]);
            assert!((f64::from(output) - reference).abs() <= 1e-6, "row {row}: {output} vs reference {reference}");
        }
    }
    let histories = generate_histories(&GeneratorConfig::HOLDOUT, 12);
    let scores = score_histories(FraudGru::shared(), &histories).unwrap();
    for (history, &score) in histories.iter().zip(&scores) {
        let reference = reference_score(FraudGru::shared(), &history.encoded());
        assert!((f64::from(score) - reference).abs() <= 1e-6, "history {}: {score} vs {reference}", history.index);
    }
}

#[test]
fn scoring_a_tail_from_its_prefix_state_equals_scoring_the_whole_sequence() {
    let model = FraudGru::shared();
    let hidden = model.hidden_size();
    let (rows, seq_len) = (9, 50);
    let inputs = random_inputs(rows * seq_len * FEATURES, 11);
    let mut whole = vec![0.0; rows];
    model.predict(&inputs, rows, seq_len, &mut whole).unwrap();
    let row_inputs = |row: usize, range: std::ops::Range<usize>| -> Vec<f32> {
        inputs[(row * seq_len + range.start) * FEATURES..(row * seq_len + range.end) * FEATURES].to_vec()
    };
    for split in [0, 1, 17, seq_len - 1, seq_len] {
        let prefix: Vec<f32> = (0..rows).flat_map(|row| row_inputs(row, 0..split)).collect();
        let tail: Vec<f32> = (0..rows).flat_map(|row| row_inputs(row, split..seq_len)).collect();
        let mut state = vec![f32::NAN; rows * hidden];
        model.run_prefix(&prefix, rows, split, None, &mut state).unwrap();
        let mut from_state = vec![0.0; rows];
        model.predict_from_state(&tail, rows, seq_len - split, &state, &mut from_state).unwrap();
        assert_eq!(from_state, whole, "split at {split}: bit for bit");

        // Two prefixes chained through initial_state give the state of their concatenation.
        let first: Vec<f32> = (0..rows).flat_map(|row| row_inputs(row, 0..split / 2)).collect();
        let second: Vec<f32> = (0..rows).flat_map(|row| row_inputs(row, split / 2..split)).collect();
        let mut middle = vec![0.0; rows * hidden];
        model.run_prefix(&first, rows, split / 2, None, &mut middle).unwrap();
        let mut chained = vec![0.0; rows * hidden];
        model.run_prefix(&second, rows, split - split / 2, Some(&middle), &mut chained).unwrap();
        assert_eq!(chained, state, "split at {split}: chained prefixes");
    }
}

#[test]
fn scores_do_not_depend_on_the_thread_count() {
    let model = FraudGru::shared();
    let (rows, seq_len) = (37, 64);
    let inputs = random_inputs(rows * seq_len * FEATURES, 5);
    let score_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut outputs = vec![0.0; rows];
        pool.install(|| model.predict(&inputs, rows, seq_len, &mut outputs)).unwrap();
        outputs
    };
    assert_eq!(score_with(1), score_with(3));
}

/// The backpropagated gradient of the mean cross-entropy equals central finite
/// differences (f64, step 1e-6) on a small random GRU.
#[test]
fn the_backpropagated_gradient_matches_finite_differences() {
    let shape = GruShape { features: FEATURES, hidden: 5 };
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut parameters = initial_parameters(shape, &mut rng);
    parameters.iter_mut().for_each(|p| *p *= 2.5);
    let sequences: Vec<LabelledSequence> = (0..4)
        .map(|i| LabelledSequence { events: random_inputs((6 + i) * FEATURES, 20 + i as u64), label: (i % 2) as f64 })
        .collect();
    let refs: Vec<&LabelledSequence> = sequences.iter().collect();
    let mut analytic = vec![0.0; parameters.len()];
    let loss = loss_and_gradient(shape, &parameters, &refs, &mut analytic);
    assert!(loss.is_finite() && loss > 0.0);

    let mut scratch = vec![0.0; parameters.len()];
    let step = 1e-6;
    let mut perturbed = parameters.clone();
    let mut worst = 0.0f64;
    let scale = analytic.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    for index in 0..parameters.len() {
        perturbed[index] = parameters[index] + step;
        let up = loss_and_gradient(shape, &perturbed, &refs, &mut scratch);
        perturbed[index] = parameters[index] - step;
        let down = loss_and_gradient(shape, &perturbed, &refs, &mut scratch);
        perturbed[index] = parameters[index];
        let numeric = (up - down) / (2.0 * step);
        worst = worst.max((numeric - analytic[index]).abs() / scale);
    }
    assert!(scale > 1e-3, "the gradient is not trivially small");
    assert!(worst < 1e-6, "largest error relative to the largest gradient element: {worst:e}");
}

#[test]
fn cross_entropy_is_stable_for_large_logits() {
    assert!((cross_entropy(0.0, 1.0) - std::f64::consts::LN_2).abs() < 1e-15);
    assert!((cross_entropy(800.0, 1.0)).abs() < 1e-12);
    assert!((cross_entropy(-800.0, 1.0) - 800.0).abs() < 1e-9);
    assert!((cross_entropy(-800.0, 0.0)).abs() < 1e-12);
}

#[test]
fn training_is_deterministic_and_learns() {
    let histories = generate_histories(&GeneratorConfig { max_events: 40, ..GeneratorConfig::TRAINING }, 300);
    let sequences: Vec<LabelledSequence> = histories.iter().map(LabelledSequence::from_history).collect();
    let config = TrainingConfig { epochs: 3, hidden: 8, ..TrainingConfig::FRAUD_GRU };
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| train(&sequences, &config))
    };
    let (one, two) = (on(1), on(2));
    assert_eq!(one, two, "same weights on 1 and 2 threads");
    assert_eq!(one.epoch_losses.len(), 3);
    assert!(one.epoch_losses[2] < one.epoch_losses[0], "the loss falls: {:?}", one.epoch_losses);
}

#[test]
fn the_committed_weights_reach_their_documented_holdout_metrics() {
    let file = WeightsFile::embedded().expect("the committed weights parse");
    assert_eq!(file.feature_names, FEATURE_NAMES);
    let model = FraudGru::load_default().unwrap();
    assert_eq!(&model, FraudGru::shared());
    assert_eq!((model.features(), model.hidden_size()), (FEATURES, file.hidden));
    assert_eq!(model.feature_names(), &FEATURE_NAMES);
    assert_eq!(WeightsFile::parse(&file.to_json().unwrap()), Ok(file.clone()), "the file round-trips");

    let holdout = generate_histories(&file.data.holdout, file.data.holdout_histories);
    let metrics = measure(&model, &holdout).unwrap();
    assert_eq!(holdout.iter().filter(|h| h.is_fraud()).count(), file.metrics.holdout_frauds);
    assert!(metrics.auc >= MIN_HOLDOUT_AUC, "hold-out AUC {}", metrics.auc);
    assert!(metrics.accuracy >= MIN_HOLDOUT_ACCURACY, "hold-out accuracy {}", metrics.accuracy);
    assert!((metrics.auc - file.metrics.holdout_auc).abs() < 1e-4, "recorded AUC {}", file.metrics.holdout_auc);
    assert!((metrics.accuracy - file.metrics.holdout_accuracy).abs() < 1e-3);
}

/// Takeovers score high, legitimate histories low, and each decoy (two of the three steps
/// of a takeover) stays low on average: the model needs the whole pattern.
#[test]
fn takeovers_score_higher_than_legitimate_histories_and_decoys() {
    let histories = generate_histories(&GeneratorConfig::HOLDOUT, 2000);
    let scores = score_histories(FraudGru::shared(), &histories).unwrap();
    let mean_of = |keep: &dyn Fn(&AccountHistory) -> bool| {
        let picked: Vec<f64> =
            histories.iter().zip(&scores).filter(|(h, _)| keep(h)).map(|(_, &s)| f64::from(s)).collect();
        assert!(picked.len() >= 30, "enough histories of the kind");
        picked.iter().sum::<f64>() / picked.len() as f64
    };
    let fraud = mean_of(&|h| h.is_fraud());
    let legit = mean_of(&|h| !h.is_fraud());
    assert!(fraud > 0.9 && legit < 0.05, "mean scores: takeovers {fraud}, legitimate {legit}");
    for decoy in [Ending::NewPhone, Ending::TripPurchase, Ending::EnrollmentThenPurchase, Ending::EnrolledAbroad] {
        let mean = mean_of(&|h| h.ending == decoy);
        assert!(mean < 0.2, "decoy {decoy:?} scores {mean} on average");
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let model = FraudGru::shared();
    let hidden = model.hidden_size();
    let inputs = random_inputs(2 * 3 * FEATURES, 1);
    let mut outputs = [0.0; 2];
    let kind = |result: lumen::Result<()>| result.unwrap_err().kind();
    assert_eq!(kind(model.predict(&[], 2, 0, &mut outputs)), ErrorKind::InvalidArgument);
    assert_eq!(kind(model.predict(&inputs[1..], 2, 3, &mut outputs)), ErrorKind::LengthMismatch);
    assert_eq!(kind(model.predict(&inputs, 2, 3, &mut outputs[..1])), ErrorKind::LengthMismatch);
    assert_eq!(kind(model.predict(&inputs, usize::MAX, 3, &mut outputs)), ErrorKind::InvalidArgument);
    let mut with_nan = inputs.clone();
    with_nan[5] = f32::NAN;
    assert_eq!(kind(model.predict(&with_nan, 2, 3, &mut outputs)), ErrorKind::NonFiniteInput);

    let mut state = vec![0.0; 2 * hidden];
    assert_eq!(kind(model.run_prefix(&inputs, 2, 3, None, &mut state[1..])), ErrorKind::LengthMismatch);
    assert_eq!(
        kind(model.run_prefix(&inputs, 2, 3, Some(&state[1..]), &mut vec![0.0; 2 * hidden])),
        ErrorKind::LengthMismatch
    );
    let bad_state = vec![f32::INFINITY; 2 * hidden];
    assert_eq!(kind(model.predict_from_state(&inputs, 2, 3, &bad_state, &mut outputs)), ErrorKind::NonFiniteInput);
    assert_eq!(
        kind(model.predict_from_state(&inputs, 2, 3, &state[..hidden], &mut outputs)),
        ErrorKind::LengthMismatch
    );
    assert_eq!(outputs, [0.0; 2], "nothing is written on failure");

    // Zero rows and empty tails are fine.
    model.predict(&[], 0, 5, &mut []).unwrap();
    model.run_prefix(&[], 2, 0, None, &mut state).unwrap();
    assert!(state.iter().all(|&v| v == 0.0));
    model.predict_from_state(&[], 2, 0, &state, &mut outputs).unwrap();
    assert_eq!(outputs[0], outputs[1]);

    assert!(FraudGru::from_parameters(0, vec![]).is_err());
    assert!(FraudGru::from_parameters(usize::MAX, vec![]).is_err());
    let huge = lumen_models::fraud::weights::WEIGHTS_JSON.replace("\"hidden\": 16", "\"hidden\": 18446744073709551615");
    assert!(WeightsFile::parse(&huge).unwrap_err().message().contains("hidden units"));
    assert!(FraudGru::from_parameters(4, vec![0.0; 3]).is_err());
    let shape = GruShape { features: FEATURES, hidden: 4 };
    assert!(FraudGru::from_parameters(4, vec![f32::NAN; shape.parameter_count()]).is_err());
    assert!(WeightsFile::parse("{}").is_err());
    let wrong_format = lumen_models::fraud::weights::WEIGHTS_JSON.replace("lumen-fraud-gru/1", "other/1");
    assert!(WeightsFile::parse(&wrong_format).unwrap_err().message().contains("format"));
    assert!(GeneratorConfig { min_events: 5, ..GeneratorConfig::TRAINING }.validate().is_err());
    assert!(GeneratorConfig { max_events: 15, min_events: 20, ..GeneratorConfig::TRAINING }.validate().is_err());
    assert!(GeneratorConfig { fraud_share: 1.5, ..GeneratorConfig::TRAINING }.validate().is_err());
}
