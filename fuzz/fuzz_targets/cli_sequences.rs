//! Fuzz target `cli_sequences`: the property of [`lumen_fuzz::cli::sequences`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lumen_fuzz::cli::sequences::check(data));
