//! Fuzz target `report_json`: the property of [`lumen_fuzz::cli::report`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lumen_fuzz::cli::report::check(data));
