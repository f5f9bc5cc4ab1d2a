//! The property checks the fuzz targets run. They live in `fuzz/checks/` so that the
//! stable regression tests (`tests/fuzz_regressions.rs`, `cli/tests/fuzz_regressions.rs`)
//! replay the committed corpus through the very same code without depending on this
//! nightly-only crate.

#[path = "../checks/c_abi/mod.rs"]
pub mod c_abi;
#[path = "../checks/cli/mod.rs"]
pub mod cli;
