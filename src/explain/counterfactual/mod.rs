//! PermuteAttack counterfactuals (Hashemi & Fathi, 2020): a gradient-free genetic search
//! for the smallest realistic change of a tabular instance that flips a classifier.

pub mod audit;
pub mod gibbs;
pub mod permute_attack;
pub mod schema;
pub mod scorecard;
mod search;

pub use permute_attack::{permute_attack, FeatureRange, PermuteAttackParams, Sampling, TargetClass};
