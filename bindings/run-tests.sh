#!/usr/bin/env bash
# The C++ and Python bindings' tests, from a clean clone:
#   1. builds liblumen (cargo build --release -p lumen);
#   2. builds the C++ wrapper's test program and the scoring-service example with
#      g++ -std=c++17 -Wall -Wextra -Werror -pedantic and runs both under valgrind;
#   3. the packaging test (scripts/install.sh into a temporary prefix, CMake and
#      pkg-config consumers);
#   4. the Python tests with pytest (installs numpy and pytest with pip if missing).
# Ends with "bindings: N passed, N failed" (the checks of every suite summed) and exits
# non-zero when anything failed. Needs cargo, g++, gcc, valgrind, cmake, pkg-config and
# python3 (with pip when numpy or pytest are missing). Run from anywhere:
#   bash bindings/run-tests.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/bindings/build"
started=$SECONDS
passed=0
failed=0
problems=()

step() { printf '\n==> %s\n' "$*"; }
die() {
  echo "run-tests.sh: $*" >&2
  exit 1
}
# Adds the "N passed, N failed" line of a suite's output file to the totals.
tally() { # name output-file exit-status
  local re='([0-9]+) passed, ([0-9]+) failed'
  local line
  line="$(grep -E "$re" "$2" | tail -n 1 || true)"
  if [[ $line =~ $re ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
  else
    failed=$((failed + 1))
    problems+=("$1 did not report its checks")
  fi
  [[ $3 -eq 0 ]] || problems+=("$1 exited with status $3")
}

for tool in cargo g++ gcc valgrind cmake pkg-config python3; do
  command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install g++ valgrind cmake pkg-config python3)"
done

step "building liblumen (cargo build --release -p lumen)"
(cd "$root" && cargo build --release -p lumen)
target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ $target_dir == /* ]] || target_dir="$root/$target_dir"
libdir="$target_dir/release"
[[ -f $libdir/liblumen.so ]] || die "$libdir/liblumen.so was not built"
bash "$root/scripts/link-soname.sh" "$libdir"

step "C++: compiling the wrapper's test and the scoring-service example (g++ -std=c++17 -Werror)"
mkdir -p "$build"
cxx=(g++ -std=c++17 -Wall -Wextra -Werror -pedantic -g -O1 -I "$root/include" -I "$root/bindings/cpp/include")
link=(-L "$libdir" -llumen "-Wl,-rpath,$libdir" -pthread)
"${cxx[@]}" "$root/bindings/cpp/tests/test_wrapper.cpp" -o "$build/test_wrapper" "${link[@]}"
"${cxx[@]}" "$root/bindings/cpp/examples/scoring_service.cpp" -o "$build/scoring_service" "${link[@]}"
"${cxx[@]}" "$root/bindings/cpp/examples/double_precision.cpp" -o "$build/double_precision" "${link[@]}"

valgrind_run() { # name program output
  local status=0
  valgrind --error-exitcode=99 --leak-check=full --show-possibly-lost=no \
    --errors-for-leak-kinds=definite,indirect --log-file="$build/$1.valgrind.log" "$2" >"$3" 2>&1 || status=$?
  if [[ $status -eq 99 ]] || grep -Eq 'ERROR SUMMARY: [1-9]' "$build/$1.valgrind.log"; then
    problems+=("valgrind reported errors in $1 (log: bindings/build/$1.valgrind.log)")
    cat "$build/$1.valgrind.log" >&2
  fi
  return "$status"
}

step "C++: test_wrapper under valgrind"
status=0
valgrind_run test_wrapper "$build/test_wrapper" "$build/test_wrapper.out" || status=$?
grep -v '^-- ' "$build/test_wrapper.out" || true
tally test_wrapper "$build/test_wrapper.out" "$status"

step "C++: scoring_service example under valgrind"
status=0
valgrind_run scoring_service "$build/scoring_service" "$build/scoring_service.out" || status=$?
cat "$build/scoring_service.out"
example_checks=0
example_failed=0
for pattern in '^applicant 0: P\(good\) [0-9.]+, score [0-9]+, approved$' '^  reason: ' \
  '^counterfactuals for applicant [0-9]+:$' '^  approved, P\(good\) 0\.[89]'; do
  example_checks=$((example_checks + 1))
  if ! grep -Eq "$pattern" "$build/scoring_service.out"; then
    example_failed=$((example_failed + 1))
    echo "FAIL: scoring_service output lacks /$pattern/"
  fi
done
echo "scoring_service: $((example_checks - example_failed)) passed, $example_failed failed" >"$build/scoring_service.summary"
cat "$build/scoring_service.summary"
tally scoring_service "$build/scoring_service.summary" "$status"

step "C++: double_precision example under valgrind"
status=0
valgrind_run double_precision "$build/double_precision" "$build/double_precision.out" || status=$?
cat "$build/double_precision.out"
example_checks=0
example_failed=0
for pattern in '^element type: double$' '^  fee_cents +\+500\.0100$' '^float inputs refused: LUMEN_STATUS_ELEMENT_TYPE_MISMATCH$'; do
  example_checks=$((example_checks + 1))
  if ! grep -Eq "$pattern" "$build/double_precision.out"; then
    example_failed=$((example_failed + 1))
    echo "FAIL: double_precision output lacks /$pattern/"
  fi
done
echo "double_precision: $((example_checks - example_failed)) passed, $example_failed failed" >"$build/double_precision.summary"
cat "$build/double_precision.summary"
tally double_precision "$build/double_precision.summary" "$status"

step "packaging: scripts/install.sh, find_package(lumen) and pkg-config consumers"
status=0
bash "$root/bindings/cpp/tests/test_packaging.sh" --no-build >"$build/test_packaging.out" 2>&1 || status=$?
grep -E '^(ok|FAIL|    )|test_packaging:' "$build/test_packaging.out" || true
tally test_packaging "$build/test_packaging.out" "$status"

# The suite includes tests/test_wheel.py (pip wheel ./bindings/python, installed into a
# fresh venv outside the repository, examples/python/quickstart.py run against it; needs
# PyPI) and tests/test_typing.py (mypy --strict on the package and the example).
step "Python: pytest bindings/python/tests (unit tests, the wheel in a fresh venv, the example, mypy --strict)"
if ! python3 -c 'import numpy, pytest, mypy' 2>/dev/null; then
  echo "installing numpy, pytest and mypy with pip"
  python3 -m pip install --quiet numpy pytest mypy 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages numpy pytest mypy
fi
status=0
(cd "$root/bindings/python" && LUMEN_LIBRARY="$libdir/liblumen.so" PYTHONDONTWRITEBYTECODE=1 \
  python3 -m pytest -p no:cacheprovider -rs tests) >"$build/pytest.out" 2>&1 || status=$?
tail -n 25 "$build/pytest.out"
# pytest's last line: "== 2 failed, 34 passed, 1 skipped in 1.2s ==".
summary="$(grep -E '^=+ .* in [0-9.]+s' "$build/pytest.out" | tail -n 1 || true)"
py_passed="$( (grep -Eo '[0-9]+ passed' <<<"$summary" || true) | awk '{s += $1} END {print s + 0}')"
py_failed="$( (grep -Eo '[0-9]+ (failed|errors?)' <<<"$summary" || true) | awk '{s += $1} END {print s + 0}')"
if [[ -z $summary ]]; then
  problems+=("pytest did not report")
  failed=$((failed + 1))
else
  passed=$((passed + py_passed))
  failed=$((failed + py_failed))
fi
[[ $status -eq 0 ]] || problems+=("pytest exited with status $status")

echo
echo "==> took $((SECONDS - started)) s"
for problem in "${problems[@]+"${problems[@]}"}"; do
  echo "PROBLEM: $problem"
done
echo "bindings: $passed passed, $failed failed"
[[ $failed -eq 0 && ${#problems[@]} -eq 0 ]]
