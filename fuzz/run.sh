#!/usr/bin/env bash
# Lumen's fuzz targets (cargo-fuzz, libFuzzer): builds them with `cargo +nightly fuzz
# build`, runs each for SECONDS from its committed seeds (fuzz/corpus/<target>/) plus a
# scratch corpus (fuzz/scratch/<target>/, ignored by git) that keeps the new interesting
# inputs between runs, and prints one line per target "TARGET: N execs, K crashes".
# Exits non-zero when a target crashed (its reproducer lands in fuzz/artifacts/<target>/:
# fix the bug, then commit the input under fuzz/regressions/<target>/ with a named
# regression test in tests/fuzz_regressions.rs or cli/tests/fuzz_regressions.rs).
#
# Usage: bash fuzz/run.sh SECONDS [TARGET...]     (default: every target, one at a time)
# Environment: FUZZ_MERGE_SEEDS=1 also merges the new interesting inputs into the
# committed seeds (fuzz/corpus/<target>/); review them before committing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

seconds="${1:-}"
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || {
  echo "usage: bash fuzz/run.sh SECONDS [TARGET...]" >&2
  exit 2
}
shift
if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=(c_options model_descriptor cli_csv cli_sequences report_json)
fi

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz (cargo install cargo-fuzz --locked)"
  cargo install cargo-fuzz --locked
fi

echo "==> building the fuzz targets (cargo +nightly fuzz build)"
cargo +nightly fuzz build

# The inputs libFuzzer left for `$1` that mean a failure: crashes, timeouts (-timeout), out
# of memory and leaks. A `slow-unit-*` file only records an input that took long once (on a
# stalled machine a 185-byte CSV took 27 s); a real hang is a timeout.
failures() {
  find "artifacts/$1" -type f ! -name 'slow-unit-*' | wc -l
}

failed=0
total=0
for target in "${targets[@]}"; do
  scratch="scratch/$target"
  log="scratch/$target.log"
  mkdir -p "$scratch" "artifacts/$target"
  crashes_before=$(failures "$target")
  set +e
  # New interesting inputs go to the first corpus folder: the scratch one.
  cargo +nightly fuzz run "$target" "$scratch" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1
  status=$?
  set -e
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n 1 || true)
  crashes=$(($(failures "$target") - crashes_before))
  if [[ $status -ne 0 && $crashes -eq 0 ]]; then
    crashes=1 # libFuzzer stopped without leaving an input (e.g. it ran out of memory at start)
  fi
  echo "$target: ${execs:-0} execs, $crashes crashes"
  total=$((total + ${execs:-0}))
  if [[ $crashes -ne 0 ]]; then
    failed=1
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -n 8 >&2 || true
    echo "    full log: fuzz/$log" >&2
  elif [[ ${FUZZ_MERGE_SEEDS:-0} == 1 ]]; then
    # Adds to the seeds only the scratch inputs that reach new coverage.
    cargo +nightly fuzz run "$target" "corpus/$target" "$scratch" -- -merge=1 >"scratch/$target.merge.log" 2>&1
  fi
done
echo "total: $total execs"
exit "$failed"
