//! Property checks of the C ABI driven by fuzz input, shared by the fuzz targets
//! (`fuzz/fuzz_targets/c_options.rs`, `model_descriptor.rs`) and the stable regression
//! tests that replay the committed corpus (`tests/fuzz_regressions.rs`). Each `check`
//! accepts any byte string and panics when the library breaks a documented property.

pub mod descriptor;
mod expect;
mod input;
mod models;
pub mod options;
