#!/usr/bin/env bash
# Lumen's whole test suite: Rust unit and integration tests (including the check that
# include/lumen.h is what cbindgen generates), lints, benches that must compile, the C
# programs under tests/c/ run under valgrind and under AddressSanitizer, and the fuzz
# targets for 20 seconds each (nightly). Run from anywhere: bash tests/run-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "installing what the tests need (scripts/test-deps.sh)"
bash scripts/test-deps.sh

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

step "C ABI tests under AddressSanitizer"
bash tests/c/run-asan.sh

step "README quickstarts (C and C++) build and run under valgrind"
quick=tests/c/build/quickstart
mkdir -p "$quick"
lib="$PWD/target/release"
bash scripts/link-soname.sh "$lib"
gcc -std=c11 -Wall -Wextra -Werror -pedantic -I include examples/c/quickstart.c -L "$lib" -llumen \
    -Wl,-rpath,"$lib" -o "$quick/c"
g++ -std=c++17 -Wall -Wextra -Werror -I include examples/cpp/quickstart.cpp -L "$lib" -llumen \
    -Wl,-rpath,"$lib" -o "$quick/cpp"
for program in c cpp; do
  valgrind -q --error-exitcode=99 --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite,indirect \
    "$quick/$program" > "$quick/$program.out"
done
grep -q '^debt  *-1.200$' "$quick/c.out"
# KernelSHAP over the background: debt 2.5 against a mean of 1.1667 → −0.8 × 1.3333.
grep -q '^reason 1: debt (-1.067)$' "$quick/c.out"
grep -q '^x1 +6.500$' "$quick/cpp.out"
echo "quickstarts: 2 passed, 0 failed"

step "C++ wrapper, packaging and Python binding"
bash bindings/run-tests.sh

step "CLI report opened in headless Chromium (every image must load)"
bash cli/tests/report-screenshot.sh

step "Java binding (JNI, Maven offline, JUnit 5)"
bash bindings/java/run-tests.sh

step "Spark integration (local[2] and a two-worker standalone cluster on 127.0.0.1, PySpark)"
bash integrations/spark/run-tests.sh

step "CUDA backend without a GPU (NVRTC/ptxas compile, host emulation of the kernels, no-driver paths)"
bash scripts/cuda-ci.sh

step "fraud GRU: the numpy twin used by the timeshap comparison agrees with Rust"
python3 benches/compare/timeshap/check_fraud_gru.py

step "fuzz targets, short run"
bash fuzz/run.sh 20
