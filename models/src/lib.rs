//! Lumen's built-in demo models, each trained deterministically in Rust on a small public
//! data set that ships with the repository, so that examples, tests and the command line
//! have a real model to explain without any download.
//!
//! - [`german_credit`]: a small neural network scoring the UCI Statlog German Credit data.
//! - [`digits`]: a small convolutional network classifying scikit-learn's 8 × 8 handwritten
//!   digits, with the gradients that Saliency, Integrated Gradients and Grad-CAM need.
//! - [`fraud`]: a GRU detecting account takeovers in synthetic banking event histories,
//!   the sequence model TimeSHAP explains.
//! - [`weights_json`]: the weights-file layout and error type these models share.

pub mod digits;
pub mod fraud;
pub mod german_credit;
pub mod weights_json;
