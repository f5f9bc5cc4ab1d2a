#!/usr/bin/env bash
# The Java binding's overhead benchmark: Feature Ablation with a model of the same cost
# through JNI (Java model) and through the C ABI (C model), measured side by side in one run.
#
#   bash bindings/java/run-bench.sh            # model costs 0 and 20 µs per row
#   bash bindings/java/run-bench.sh 5 20 100   # other costs (µs per row)
#
# BENCH_FEATURES, BENCH_ROWS, BENCH_PER_EVAL, BENCH_THREADS, BENCH_REPS and BENCH_WARMUP
# change the setting (see bench/OverheadBench.java). Needs what run-tests.sh needs, plus gcc.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
release="${CARGO_TARGET_DIR:-$root/target}/release"
out="$here/target/bench"

cargo build --release -p lumen -p lumen-jni --manifest-path "$root/Cargo.toml"
bash "$root/scripts/link-soname.sh" "$release"
repo="$("$here/local-repo.sh")"
mvn -o -B -q -Dmaven.repo.local="$repo" -f "$here/pom.xml" compile
mkdir -p "$out"
gcc -O2 -std=c11 -Wall -Wextra -Werror -I "$root/include" "$here/bench/c_overhead.c" \
    -L "$release" -llumen -Wl,-rpath,"$release" -o "$out/c_overhead"
javac -Xlint:all -Werror -d "$out" -cp "$here/target/classes" "$here/bench/OverheadBench.java"
java -Dlumen.library.path="$release" -cp "$here/target/classes:$out" OverheadBench "$out/c_overhead" "$@"
