//! A credit-scoring model on the UCI Statlog German Credit data (1000 applicants, 20
//! attributes, label good / bad), embedded from `data/german_credit/`.
//!
//! The pieces, in the order data flows through them: [`schema`] (the attributes) →
//! [`data`] (parsing the files) → [`encoding`] (standardised numbers, one-hot codes) →
//! [`prepared`] (the encoded matrix, labels, split, feature mask and baseline) →
//! [`mlp`] and [`training`] (the network and how it is fitted) → [`model`] (the Lumen
//! [`lumen::Model`]); [`metrics`] measures it and [`describe`] puts an applicant in words.
//!
//! ```
//! use lumen::Model;
//! use lumen_models::german_credit::{GermanCredit, GermanCreditModel};
//!
//! let data = GermanCredit::shared();
//! let model = GermanCreditModel::shared();
//! let mut probability_of_good_credit = [0.0];
//! model.predict(&data.encoded_rows()[..data.encoded_len()], 1, &mut probability_of_good_credit)?;
//! assert!(probability_of_good_credit[0] > 0.0 && probability_of_good_credit[0] < 1.0);
//! # Ok::<(), lumen::Error>(())
//! ```

pub mod data;
pub mod describe;
pub mod encoding;
pub mod forest;
pub mod layout;
pub mod metrics;
pub mod mlp;
pub mod model;
pub mod prepared;
pub mod schema;
pub mod training;

pub use data::{Applicant, AttributeValue, CodeDescriptions, CreditRisk, DataError, Dataset};
pub use describe::describe_applicant;
pub use encoding::{Column, ColumnKind, Encoding};
pub use forest::{
    ForestConfig, GermanCreditForest, BAD_CREDIT_CLASS, FOREST_SEED, FOREST_SPLIT_SEED, FOREST_TRAINING_ROWS,
    FOREST_TREES, GOOD_CREDIT_CLASS,
};
pub use layout::{
    AttributeLayout, AGE_ATTRIBUTE, FOREIGN_WORKER_ATTRIBUTE, PERSONAL_STATUS_AND_SEX_ATTRIBUTE, SENSITIVE_ATTRIBUTES,
};
pub use metrics::HoldoutMetrics;
pub use mlp::{Mlp, HIDDEN_UNITS};
pub use model::GermanCreditModel;
pub use prepared::{GermanCredit, HOLDOUT_ROWS, TRAINING_ROWS};
pub use schema::{attribute_names, Attribute, AttributeKind, ATTRIBUTES, ATTRIBUTE_COUNT};
pub use training::TrainingConfig;
