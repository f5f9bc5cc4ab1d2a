//! TimeSHAP on the built-in fraud GRU: the GRU as a `SequenceModel`, its state path, and
//! explanations that point at the takeover's events.

use lumen::explain::timeshap::{
    timeshap_event, timeshap_feature, timeshap_prune, Player, SequenceBackground, TimeShapParams,
};
use lumen::{Engine, EngineConfig, SequenceModel};
use lumen_models::fraud::{
    average_event, generate_histories, generate_history, FraudSequenceModel, GeneratorConfig, FEATURES,
};

fn engine(threads: usize) -> Engine {
    Engine::new(EngineConfig { threads, seed: 11, ..Default::default() }).expect("cpu engine")
}

fn params(use_state: bool) -> TimeShapParams {
    let training = generate_histories(&GeneratorConfig::TRAINING, 200);
    let background = SequenceBackground::average_event(&average_event(&training), FEATURES).expect("background");
    let mut params = TimeShapParams::new(background);
    params.tolerance = Some(0.025);
    params.use_state = use_state;
    params
}

/// The first hold-out takeover.
fn takeover() -> lumen_models::fraud::AccountHistory {
    (0..).map(|index| generate_history(&GeneratorConfig::HOLDOUT, index)).find(|h| h.is_fraud()).expect("a takeover")
}

#[test]
fn the_gru_signature_exposes_names_and_state() {
    let model = FraudSequenceModel::built_in();
    let signature = model.signature();
    assert_eq!(signature.features, FEATURES);
    assert_eq!(signature.output_len, 1);
    assert_eq!(signature.state_len, Some(model.gru().hidden_size()));
    assert_eq!(signature.feature_names.as_ref().map(Vec::len), Some(FEATURES));
    signature.validate().expect("valid signature");
}

#[test]
fn pruning_keeps_the_takeover_and_the_state_path_matches_full_evaluation() {
    let model = FraudSequenceModel::built_in();
    let history = takeover();
    let sequence = history.encoded();
    let start = history.ending_start.expect("a takeover has a start");
    let with_state = timeshap_prune(&engine(2), &model, &sequence, history.len(), &params(true), false).unwrap();
    let without = timeshap_prune(&engine(2), &model, &sequence, history.len(), &params(false), false).unwrap();
    assert_eq!(with_state.pruned_len, without.pruned_len);
    for (a, b) in with_state.curve.iter().zip(&without.curve) {
        assert_eq!(a.split, b.split);
        assert!((a.older_value - b.older_value).abs() <= 1e-6, "{a:?} vs {b:?}");
    }
    assert!(
        with_state.pruned_len >= history.len() - start,
        "pruned to {} events but the takeover starts {} events from the end",
        with_state.pruned_len,
        history.len() - start
    );
    assert!(with_state.pruned_len < history.len(), "nothing was pruned from {} events", history.len());
}

#[test]
fn event_and_feature_values_add_up_and_rank_the_takeover_first() {
    let model = FraudSequenceModel::built_in();
    let history = takeover();
    let sequence = history.encoded();
    let start = history.ending_start.unwrap();
    let params = params(true);
    for explain in [timeshap_event, timeshap_feature] {
        let result = explain(&engine(2), &model, &sequence, history.len(), &params).unwrap();
        let explanation = &result.explanation;
        let total: f64 = result.values().iter().sum();
        let gap = total - (explanation.predictions[0] - explanation.base_values[0]);
        assert!(gap.abs() < 1e-4, "values miss f(x) − base by {gap}");
    }
    let events = timeshap_event(&engine(2), &model, &sequence, history.len(), &params).unwrap();
    let (top, _) =
        events.players.iter().zip(events.values()).max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).expect("players");
    match top {
        Player::Event { event } => assert!(*event >= start, "top event {event} is before the takeover at {start}"),
        other => panic!("the top player is {other:?}, expected one of the takeover's events"),
    }
}

#[test]
fn values_do_not_depend_on_the_thread_count() {
    let model = FraudSequenceModel::built_in();
    let history = takeover();
    let sequence = history.encoded();
    let params = params(true);
    let one = timeshap_event(&engine(1), &model, &sequence, history.len(), &params).unwrap();
    let four = timeshap_event(&engine(4), &model, &sequence, history.len(), &params).unwrap();
    assert_eq!(one.values(), four.values());
}
