//! Fuzz target `c_options`: the property of [`lumen_fuzz::c_abi::options`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lumen_fuzz::c_abi::options::check(data));
