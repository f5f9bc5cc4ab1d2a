//! The Shapley-value methods: KernelSHAP and Shapley Value Sampling, both over the
//! interventional game of [`game`].

mod common;
pub mod game;
pub mod sampling;

pub use common::ShapleyGame;
pub use game::{Background, Link};
pub use sampling::{shapley_value_sampling, ShapleySamplingParams};
