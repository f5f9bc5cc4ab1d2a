#!/usr/bin/env bash
# Lumen's C ABI tests: builds liblumen (release), compiles every tests/c/test_*.c against
# the committed include/lumen.h with gcc (and test_errors.c also with g++, to prove the
# header works from C++), runs each program under valgrind memcheck, and ends with one
# line "N passed, N failed": the checks of all programs summed. Exits non-zero when a
# check failed, a program did not report (crashed), or valgrind reported an error.
#
# Run from anywhere: bash tests/c/run.sh
# Environment: VALGRIND (default /usr/bin/valgrind), CARGO_TARGET_DIR (default target/).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$here/build"
started=$SECONDS

die() {
  echo "run.sh: $*" >&2
  exit 1
}

valgrind_bin="${VALGRIND:-/usr/bin/valgrind}"
if [[ ! -x $valgrind_bin ]]; then
  valgrind_bin="$(command -v valgrind || true)"
fi
[[ -n $valgrind_bin ]] || die "valgrind not found (expected /usr/bin/valgrind; on Debian: apt-get install valgrind)"
command -v gcc >/dev/null || die "gcc not found"
command -v g++ >/dev/null || die "g++ not found"
command -v cargo >/dev/null || die "cargo not found"

echo "==> building liblumen (cargo build --release -p lumen)"
(cd "$root" && cargo build --release -p lumen)
target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ $target_dir == /* ]] || target_dir="$root/$target_dir"
libdir="$target_dir/release"
[[ -f $libdir/liblumen.so ]] || die "$libdir/liblumen.so was not built"
bash "$root/scripts/link-soname.sh" "$libdir"

echo "==> compiling the C tests into ${build#"$root"/}"
mkdir -p "$build"
common=(-Wall -Wextra -Werror -pedantic -g -O1 -I "$root/include" -I "$here")
link=(-L "$libdir" -llumen "-Wl,-rpath,$libdir" -lm -pthread)
programs=()
for source in "$here"/test_*.c; do
  name="$(basename "$source" .c)"
  gcc -std=c11 "${common[@]}" "$source" -o "$build/$name" "${link[@]}"
  programs+=("$name")
done
[[ ${#programs[@]} -gt 0 ]] || die "no tests/c/test_*.c found"
# The same error tests as C++17: the header's cpp_compat must hold up.
g++ -std=c++17 "${common[@]}" -x c++ "$here/test_errors.c" -x none -o "$build/test_errors_cpp" "${link[@]}"
programs+=(test_errors_cpp)

passed=0
failed=0
problems=()
summary_re=': ([0-9]+) passed, ([0-9]+) failed$'
for name in "${programs[@]}"; do
  echo "==> $name (under valgrind)"
  rm -f "$build/$name".*.valgrind.log
  # %p: forked children (test_crash_safety) get logs of their own.
  set +e
  "$valgrind_bin" --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --track-origins=yes --log-file="$build/$name.%p.valgrind.log" \
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

  valgrind_errors=0
  for log in "$build/$name".*.valgrind.log; do
    [[ -f $log ]] || continue
    if grep -Eq 'ERROR SUMMARY: [1-9]' "$log"; then
      valgrind_errors=1
      echo "---- valgrind: $log" >&2
      cat "$log" >&2
    fi
  done
  if [[ $status -eq 99 || $valgrind_errors -eq 1 ]]; then
    problems+=("valgrind reported errors in $name (logs: ${build#"$root"/}/$name.*.valgrind.log)")
  elif [[ $status -ne 0 && $status -ne 1 ]]; then
    problems+=("$name exited with status $status")
  fi
done

# The hosting test again without valgrind (which needs address space of its own), with the
# address space capped at 1 GiB: an allocation the cap refuses must come back as
# OUT_OF_MEMORY, not abort the process.
echo "==> test_hosting under prlimit --as=1GiB"
set +e
prlimit --as=1073741824 "$build/test_hosting" >"$build/test_hosting.prlimit.out" 2>&1
status=$?
set -e
summary="$(grep -E "$summary_re" "$build/test_hosting.prlimit.out" | tail -n 1 || true)"
if [[ $status -eq 0 && $summary =~ $summary_re ]]; then
  passed=$((passed + BASH_REMATCH[1]))
  failed=$((failed + BASH_REMATCH[2]))
  echo "$summary"
else
  failed=$((failed + 1))
  problems+=("test_hosting under prlimit --as=1GiB exited with status $status")
  cat "$build/test_hosting.prlimit.out"
fi

echo "==> took $((SECONDS - started)) s"
for problem in "${problems[@]+"${problems[@]}"}"; do
  echo "PROBLEM: $problem"
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && ${#problems[@]} -eq 0 ]]
