//! Lumen: an embeddable explainability engine. A caller hands over its model as
//! callbacks; Lumen builds perturbed inputs, calls the model in batches and returns
//! attributions with their own correctness figures and audit metadata.
//!
//! Layers, top to bottom: [`ffi`] (the C ABI) → [`explain`] (one module per method) →
//! [`model`] (the caller's model, batching and concurrency) → [`backend`] (the compute
//! primitives) ; [`explanation`] is the result every method returns.

pub mod alloc;
pub mod backend;
pub mod element;
pub mod engine;
pub mod error;
pub mod explain;
pub mod explanation;
pub mod ffi;
pub mod limits;
pub mod model;
mod parallel;
mod thread_scope;
mod wide;

pub use element::{Element, ElementType};
pub use engine::{BackendChoice, Engine, EngineConfig};
pub use error::{Error, ErrorKind, Result};
pub use explain::{feature_ablation, occlusion, FeatureAblationParams, OcclusionParams};
pub use explanation::Explanation;
pub use model::{Model, ModelSignature, SequenceModel, SequenceSignature};
