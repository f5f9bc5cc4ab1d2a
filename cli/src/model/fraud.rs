//! The built-in sequence model `fraud-gru`: the account-takeover GRU of `lumen_models::fraud`
//! as a TimeSHAP [`SequenceModel`](lumen::SequenceModel), its default background (the
//! paper's average training event), events described in words, and sample sequence files.

use std::sync::OnceLock;

use lumen::explain::timeshap::SequenceBackground;
use lumen_models::fraud::features::{
    CLIENT_AGE, IS_ENROLLMENT, IS_LOGIN, IS_TRANSACTION, LOG_AMOUNT, LOG_DISTANCE, LOG_TIME_SINCE_PREVIOUS, NEW_IP,
};
use lumen_models::fraud::{
    average_event, generate_histories, generate_history, AccountHistory, Event, EventKind, FraudSequenceModel,
    GeneratorConfig, FEATURES, FEATURE_NAMES,
};

use crate::error::{CliError, CliResult};
use crate::sequences::SEQUENCE_ID;

/// The model's name on the command line.
pub const NAME: &str = "fraud-gru";

/// One line about the model for `lumen models`.
pub const ABOUT: &str =
    "account-takeover GRU over event sequences (8 features per event); output: P(account takeover); \
                         explain with --sequences FILE --method timeshap";

/// What the model's output is.
pub const OUTPUT_LABEL: &str = "P(account takeover)";

/// Training histories whose mean event is TimeSHAP's background (the paper's choice).
pub const BACKGROUND_HISTORIES: usize = 200;

/// The built-in model, built once.
pub fn model() -> &'static FraudSequenceModel {
    static MODEL: OnceLock<FraudSequenceModel> = OnceLock::new();
    MODEL.get_or_init(FraudSequenceModel::built_in)
}

/// The feature names, in the model's order (the sequence file's feature columns).
pub fn feature_names() -> Vec<String> {
    FEATURE_NAMES.iter().map(|name| name.to_string()).collect()
}

/// The default background: the mean event of the first [`BACKGROUND_HISTORIES`] training
/// histories, repeated at every position of an explained sequence.
pub fn background() -> CliResult<SequenceBackground> {
    static EVENT: OnceLock<[f32; FEATURES]> = OnceLock::new();
    let event =
        EVENT.get_or_init(|| average_event(&generate_histories(&GeneratorConfig::TRAINING, BACKGROUND_HISTORIES)));
    Ok(SequenceBackground::average_event(event, FEATURES)?)
}

/// The inverse of the model's log10(1 + v) / 4 scaling.
fn unscale(value: f32) -> f64 {
    (10f64.powf(4.0 * f64::from(value)) - 1.0).max(0.0)
}

/// The event an encoded row of [`FEATURES`] values stands for (kind by the largest
/// one-hot flag), with the client's age in years.
pub fn decode(encoded: &[f32]) -> Option<(Event, f64)> {
    if encoded.len() != FEATURES {
        return None;
    }
    let flags = [
        (EventKind::Transaction, encoded[IS_TRANSACTION]),
        (EventKind::Login, encoded[IS_LOGIN]),
        (EventKind::Enrollment, encoded[IS_ENROLLMENT]),
    ];
    let kind = flags.iter().max_by(|a, b| a.1.total_cmp(&b.1)).map(|f| f.0)?;
    let event = Event {
        kind,
        amount_eur: if kind == EventKind::Transaction { unscale(encoded[LOG_AMOUNT]) } else { 0.0 },
        distance_km: unscale(encoded[LOG_DISTANCE]),
        new_ip: encoded[NEW_IP] >= 0.5,
        minutes_since_previous: unscale(encoded[LOG_TIME_SINCE_PREVIOUS]),
    };
    Some((event, f64::from(encoded[CLIENT_AGE]) * 100.0))
}

/// A duration in minutes in the largest unit that keeps it readable.
fn duration(minutes: f64) -> String {
    if minutes < 90.0 {
        format!("{minutes:.0} min")
    } else if minutes < 48.0 * 60.0 {
        format!("{:.1} h", minutes / 60.0)
    } else {
        format!("{:.1} days", minutes / 1440.0)
    }
}

/// An event in words, e.g. "transaction of 4 210 €, 2 300 km from home, new IP, 3 min after
/// the previous event".
pub fn describe(event: &Event) -> String {
    let mut text = match event.kind {
        EventKind::Transaction => format!("transaction of {:.0} €", event.amount_eur),
        EventKind::Login => "login".to_owned(),
        EventKind::Enrollment => "enrollment of a new device".to_owned(),
    };
    text.push_str(&if event.distance_km < 20.0 {
        ", at home".to_owned()
    } else {
        format!(", {:.0} km from home", event.distance_km)
    });
    if event.new_ip {
        text.push_str(", new IP");
    }
    text.push_str(&format!(", {} after the previous event", duration(event.minutes_since_previous)));
    text
}

/// An encoded event in words.
pub fn describe_encoded(encoded: &[f32]) -> String {
    decode(encoded).map_or_else(|| "?".to_owned(), |(event, _)| describe(&event))
}

/// The words of every event of `history`, oldest first.
pub fn describe_history(history: &AccountHistory) -> Vec<String> {
    history.events.iter().map(describe).collect()
}

/// The first `count` hold-out histories (never trained on) as a sequence file: a
/// `sequence_id` column (`holdout-N`) and the [`FEATURES`] feature columns, one line per
/// event, oldest first.
pub fn sample_csv(count: usize) -> CliResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CliError::output(format!("sample: {e}"));
    let mut header = vec![SEQUENCE_ID.to_owned()];
    header.extend(feature_names());
    writer.write_record(&header).map_err(io)?;
    for index in 0..count as u64 {
        let history = generate_history(&GeneratorConfig::HOLDOUT, index);
        for event in history.encoded().chunks_exact(FEATURES) {
            let mut line = vec![format!("holdout-{index}")];
            line.extend(event.iter().map(|v| v.to_string()));
            writer.write_record(&line).map_err(io)?;
        }
    }
    let bytes = writer.into_inner().map_err(|e| CliError::output(format!("sample: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CliError::output(format!("sample: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_inverts_the_encoding() {
        let event = Event {
            kind: EventKind::Transaction,
            amount_eur: 4210.0,
            distance_km: 2300.0,
            new_ip: true,
            minutes_since_previous: 3.0,
        };
        let mut row = [0.0f32; FEATURES];
        event.encode(41.0, &mut row);
        let (back, age) = decode(&row).expect("one event");
        assert_eq!(back.kind, EventKind::Transaction);
        assert!((back.amount_eur - 4210.0).abs() < 1.0 && (age - 41.0).abs() < 1e-4, "{back:?} {age}");
        assert_eq!(
            describe_encoded(&row),
            "transaction of 4210 €, 2300 km from home, new IP, 3 min after the previous event"
        );
        assert!(decode(&row[..3]).is_none());
        assert_eq!(duration(3.0 * 1440.0), "3.0 days");
    }
}
