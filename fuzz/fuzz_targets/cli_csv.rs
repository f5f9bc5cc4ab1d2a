//! Fuzz target `cli_csv`: the property of [`lumen_fuzz::cli::csv`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lumen_fuzz::cli::csv::check(data));
