//! The Shapley-value methods: KernelSHAP and Shapley Value Sampling, both over the
//! interventional game of [`game`].

mod background_patterns;
mod batched_cholesky;
mod common;
mod drawn_set;
pub mod estimator;
pub mod game;
mod interactions;
mod jackknife;
pub mod kernel_shap;
mod leverage;
mod sampled_rows;
pub mod sampling;
pub mod schedule;
mod score_gram;
mod sign_gram;
pub mod solve;

pub(crate) use background_patterns::BackgroundPatterns;
pub(crate) use common::RowEstimate;
pub use common::ShapleyGame;
pub use estimator::Estimator;
pub use game::{Background, Link};
pub(crate) use kernel_shap::{estimate_row, SamplingPlan};
pub use kernel_shap::{kernel_shap, KernelShapParams};
pub use sampling::{shapley_value_sampling, ShapleySamplingParams};
