//! An account-takeover fraud detector over clients' event histories, the demo model of
//! TimeSHAP (the seed paper explains a bank's account-takeover GRU).
//!
//! **The scenario.** Each client's history is a sequence of events, oldest first:
//! payments (most of them), logins to online banking (common) and enrollments of a new
//! device or phone number (rare). In an account takeover, a fraudster who has phished the
//! client's credentials enrols their own device, logs in from an unusual place or a new IP
//! address, and quickly makes an unusually large payment; the history ends soon after.
//! Each of those steps also happens legitimately (a new phone, a trip, a big purchase):
//! only their succession near the end of the history marks a takeover. The data is
//! synthetic, drawn by [`generator`] from a seed; no real client data exists here.
//!
//! **The model.** A GRU with 16 hidden units reads the events one by one (8 features
//! each, see [`features`]), and a logistic head on its last state gives the probability
//! that the history ends in a takeover. [`gru::FraudGru`] runs it in `f32` over batches
//! of sequences, from the zero state or from a carried state (so that a pruned prefix is
//! run once). It was trained in Rust ([`backward`], [`training`]) by
//! `examples/train_fraud_gru.rs`; the weights are committed in `data/fraud/` and embedded.
//!
//! The pieces, in the order data flows through them: [`features`] (events and their
//! encoding) → [`generator`] (seeded histories) → [`layout`] (the parameters) →
//! [`gru`] (the fast forward pass) → [`sequence_model`] (the GRU as Lumen's `SequenceModel`) → [`backward`] and [`training`] (how the weights were
//! fitted) → [`weights`] (the committed file); [`evaluation`] measures the model.
//!
//! ```
//! use lumen_models::fraud::{generate_history, FraudGru, GeneratorConfig, FEATURES};
//!
//! let model = FraudGru::shared();
//! let history = generate_history(&GeneratorConfig::HOLDOUT, 0);
//! let mut score = [0.0];
//! model.predict(&history.encoded(), 1, history.len(), &mut score)?;
//! assert!((0.0..=1.0).contains(&score[0]));
//!
//! // The same score from the state after all but the last 5 events.
//! let events = history.encoded();
//! let split = (history.len() - 5) * FEATURES;
//! let mut state = vec![0.0; model.hidden_size()];
//! model.run_prefix(&events[..split], 1, history.len() - 5, None, &mut state)?;
//! let mut tail_score = [0.0];
//! model.predict_from_state(&events[split..], 1, 5, &state, &mut tail_score)?;
//! assert_eq!(tail_score, score);
//! # Ok::<(), lumen::Error>(())
//! ```

pub mod activation;
pub mod backward;
pub mod evaluation;
pub mod features;
pub mod generator;
pub mod gru;
pub mod layout;
pub mod sequence_model;
pub mod training;
pub mod weights;

pub use evaluation::{batch_of, measure, score_histories};
pub use features::{Event, EventKind, FEATURES, FEATURE_NAMES};
pub use generator::{average_event, generate_histories, generate_history, AccountHistory, Ending, GeneratorConfig};
pub use gru::FraudGru;
pub use layout::{GruLayers, GruShape};
pub use sequence_model::FraudSequenceModel;
pub use training::{train, LabelledSequence, TrainingConfig, TrainingRun};
pub use weights::{DataDescription, RecordedMetrics, WeightsError, WeightsFile};
