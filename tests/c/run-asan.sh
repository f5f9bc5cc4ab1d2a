#!/usr/bin/env bash
# Lumen's C ABI tests under AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer: builds liblumen (release, as tests/c/run.sh does), compiles every
# tests/c/test_*.c with clang -fsanitize=address,undefined against the committed
# include/lumen.h, runs each program, and ends with one line "N passed, N failed": the
# checks of all programs summed. Exits non-zero when a check failed, a program did not
# report, or a sanitizer reported anything (its report names the program).
#
# The library itself is not instrumented (it is Rust, checked by its own tests and by
# fuzz/); what this catches is misuse across the boundary: a header that disagrees with
# the library's layouts, reads or writes past the caller's buffers, double frees and
# leaks of handles, undefined behaviour in how the header's types are used.
#
# Run from anywhere: bash tests/c/run-asan.sh
# Environment: CC (default clang), CARGO_TARGET_DIR (default target/).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$here/build/asan"
started=$SECONDS

die() {
  echo "run-asan.sh: $*" >&2
  exit 1
}

cc="${CC:-clang}"
command -v "$cc" >/dev/null || die "$cc not found (on Debian: apt-get install clang libclang-rt-dev)"
command -v cargo >/dev/null || die "cargo not found"

echo "==> building liblumen (cargo build --release -p lumen)"
(cd "$root" && cargo build --release -p lumen)
target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ $target_dir == /* ]] || target_dir="$root/$target_dir"
libdir="$target_dir/release"
[[ -f $libdir/liblumen.so ]] || die "$libdir/liblumen.so was not built"
bash "$root/scripts/link-soname.sh" "$libdir"

echo "==> compiling the C tests with $cc -fsanitize=address,undefined into ${build#"$root"/}"
mkdir -p "$build"
# -fno-sanitize-recover: undefined behaviour stops the program, so it cannot go unnoticed.
sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)
common=(-std=c11 -Wall -Wextra -Werror -pedantic "${sanitize[@]}" -I "$root/include" -I "$here")
link=(-L "$libdir" -llumen "-Wl,-rpath,$libdir" -lm -pthread)
programs=()
for source in "$here"/test_*.c; do
  name="$(basename "$source" .c)"
  "$cc" "${common[@]}" "$source" -o "$build/$name" "${link[@]}"
  programs+=("$name")
done
[[ ${#programs[@]} -gt 0 ]] || die "no tests/c/test_*.c found"

# allocator_may_return_null: the hosting tests ask for allocations too large to exist
# and expect LUMEN_STATUS_OUT_OF_MEMORY; by default ASan would abort on them instead.
# The leak suppressions are documented in the file itself.
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:abort_on_error=0:exitcode=98:log_path=$build/asan"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98:log_path=$build/ubsan"

passed=0
failed=0
problems=()
summary_re=': ([0-9]+) passed, ([0-9]+) failed$'
for name in "${programs[@]}"; do
  echo "==> $name (AddressSanitizer, UndefinedBehaviorSanitizer, LeakSanitizer)"
  rm -f "$build"/asan.* "$build"/ubsan.*
  set +e
  "$build/$name" >"$build/$name.out" 2>&1
  status=$?
  set -e
  cat "$build/$name.out"

  summary="$(grep -E "$summary_re" "$build/$name.out" | tail -n 1 || true)"
  if [[ $summary =~ $summary_re ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
  else
    failed=$((failed + 1)) # a program that never reported counts as one failed check
    problems+=("$name did not report its checks (exit status $status)")
  fi

  # One log per process (forked children of test_crash_safety get their own).
  reports=("$build"/asan.* "$build"/ubsan.*)
  sanitizer_report=0
  for log in "${reports[@]}"; do
    [[ -f $log ]] || continue
    sanitizer_report=1
    echo "---- sanitizer report: $log" >&2
    cat "$log" >&2
    cp "$log" "$build/$name.${log##*/}.log"
  done
  if [[ $sanitizer_report -eq 1 || $status -eq 98 ]]; then
    problems+=("a sanitizer reported errors in $name (logs: ${build#"$root"/}/$name.*.log)")
  elif [[ $status -ne 0 && $status -ne 1 ]]; then
    problems+=("$name exited with status $status")
  fi
done

echo "==> took $((SECONDS - started)) s"
for problem in "${problems[@]+"${problems[@]}"}"; do
  echo "PROBLEM: $problem"
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && ${#problems[@]} -eq 0 ]]
