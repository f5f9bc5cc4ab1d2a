//! The C ABI fuzz targets' properties on stable: every committed seed of
//! `fuzz/corpus/{c_options,model_descriptor}/` and every reproducer of a bug fuzzing found
//! (`fuzz/regressions/<target>/`) replayed through the same checks the fuzz targets run
//! (`fuzz/checks/c_abi/`). `bash fuzz/run.sh SECONDS` fuzzes them for real (nightly).

#[path = "../fuzz/checks/c_abi/mod.rs"]
mod c_abi;

use std::path::Path;

/// Runs `check` on every file of `fuzz/<folder>/<target>/`, which must hold some.
fn replay(folder: &str, target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(folder).join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    for file in files {
        let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        eprintln!("replaying {}", file.display());
        check(&data);
    }
}

#[test]
fn c_options_seeds_keep_their_properties() {
    replay("corpus", "c_options", c_abi::options::check);
}

#[test]
fn model_descriptor_seeds_keep_their_properties() {
    replay("corpus", "model_descriptor", c_abi::descriptor::check);
}

#[test]
fn c_options_reproducers_keep_their_properties() {
    replay("regressions", "c_options", c_abi::options::check);
}

/// `lumen_engine_timeshap_prune` with `seq_len = usize::MAX` and a background longer than
/// one event: `seq_len × features` overflowed while matching the background's length, a
/// panic contained as `LUMEN_STATUS_PANIC`; now a length mismatch.
#[test]
fn timeshap_seq_len_times_features_overflow_is_a_length_mismatch() {
    c_abi::options::check(include_bytes!("../fuzz/regressions/c_options/timeshap-prune-seq-len-overflow"));
}

/// `lumen_engine_explain_shapley_sampling` with `permutation_pairs = 2³²` under an
/// unbounded memory budget: the permutations (192 GiB) were allocated infallibly, and
/// `2 × permutation_pairs` overflowed for the largest counts (a contained panic); now
/// refused above `LUMEN_MAX_SAMPLES` before anything is allocated.
#[test]
fn shapley_sampling_huge_permutation_pairs_are_refused() {
    c_abi::options::check(include_bytes!("../fuzz/regressions/c_options/shapley-sampling-huge-permutation-pairs"));
}

/// `lumen_engine_explain_kernel_shap` with per-row targets and an empty `row_keys` array:
/// splitting the rows by target indexed the keys before their length was checked, a panic
/// contained as `LUMEN_STATUS_PANIC`; now a length mismatch on `control.row_keys`.
#[test]
fn row_targets_with_too_few_row_keys_are_a_length_mismatch() {
    c_abi::options::check(include_bytes!("../fuzz/regressions/c_options/kernel-shap-row-targets-empty-row-keys"));
}
