#!/usr/bin/env bash
# Lumen's whole test suite: Rust unit and integration tests (including the check that
# include/lumen.h is what cbindgen generates), lints, benches that must compile, and the
# C programs under tests/c/ run under valgrind. Run from anywhere: bash tests/run-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "formatting"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "Rust tests (workspace)"
cargo test --workspace --quiet

step "benches and examples compile"
cargo build --benches --examples --workspace --quiet

step "C ABI tests under valgrind"
bash tests/c/run.sh
