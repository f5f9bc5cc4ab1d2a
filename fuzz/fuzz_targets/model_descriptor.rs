//! Fuzz target `model_descriptor`: the property of [`lumen_fuzz::c_abi::descriptor`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lumen_fuzz::c_abi::descriptor::check(data));
