#!/usr/bin/env bash
# Packaging test: installs Lumen into a temporary prefix with scripts/install.sh, then
# builds and runs consumers outside the tree
#   1. with CMake: find_package(lumen CONFIG REQUIRED), lumen::lumen (C++ wrapper, shared)
#      and lumen::lumen_static (C, static);
#   2. with pkg-config: g++ $(pkg-config --cflags --libs lumen);
#   3. with the installed tree moved elsewhere (the package is relocatable);
# and checks the shared library's SONAME, links and split debug info, and the version
# file (the installed version and an older minor are accepted, 99.0 and 0.1 refused).
# Ends with "test_packaging: N passed, N failed". Usage: test_packaging.sh [--no-build]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() { # description command...
  local what="$1"
  shift
  if "$@" >"$work/last.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok: $what"
  else
    failed=$((failed + 1))
    echo "FAIL: $what"
    sed 's/^/    /' "$work/last.log" | tail -n 30
  fi
}

for tool in cmake pkg-config g++ gcc; do
  command -v "$tool" >/dev/null || { echo "test_packaging: $tool not found" >&2; exit 1; }
done

prefix="$work/prefix"
bash "$root/scripts/install.sh" --prefix "$prefix" "$@"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\([0-9.]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)"

major="${version%%.*}"
for file in lib/liblumen.so lib/liblumen.so.$major lib/liblumen.so.$version lib/liblumen.so.$version.debug \
  lib/liblumen.a include/lumen.h include/lumen/lumen.hpp \
  lib/cmake/lumen/lumenConfig.cmake lib/cmake/lumen/lumenConfigVersion.cmake lib/pkgconfig/lumen.pc; do
  check "installed $file" test -s "$prefix/$file"
done
check "liblumen.so -> liblumen.so.$major -> liblumen.so.$version" bash -c \
  "[ \"\$(readlink '$prefix/lib/liblumen.so')\" = liblumen.so.$major ] && [ \"\$(readlink '$prefix/lib/liblumen.so.$major')\" = liblumen.so.$version ]"
check "readelf -d shows the SONAME liblumen.so.$major" bash -c \
  "readelf -d '$prefix/lib/liblumen.so.$version' | grep -q 'Library soname: \[liblumen.so.$major\]'"
check "the installed library carries no debug info, only a .gnu_debuglink to its .debug file" bash -c \
  "! readelf -S '$prefix/lib/liblumen.so.$version' | grep -q '\.debug_info' &&
   readelf -p .gnu_debuglink '$prefix/lib/liblumen.so.$version' | grep -q 'liblumen.so.$version.debug' &&
   readelf -S '$prefix/lib/liblumen.so.$version.debug' | grep -q '\.debug_info'"
check "the installed liblumen.a carries no debug info" bash -c \
  "! readelf -S '$prefix/lib/liblumen.a' 2>/dev/null | grep -q '\.debug_info'"
check "the stripped library is under 4 MB" bash -c "[ \$(stat -c %s '$prefix/lib/liblumen.so.$version') -lt 4000000 ]"

cmake_consumer() { # prefix build-dir [cmake args...]
  local at="$1" build="$2"
  shift 2
  cmake -S "$here/consumer" -B "$build" -DCMAKE_PREFIX_PATH="$at" -DCMAKE_BUILD_TYPE=Release "$@" &&
    cmake --build "$build" -j 2
}
check "find_package(lumen CONFIG REQUIRED) configures and builds" cmake_consumer "$prefix" "$work/cmake"
check "the CMake C++ consumer (lumen::lumen) runs" \
  bash -c "'$work/cmake/consumer_shared' | grep -q 'lumen $version, attributions OK'"
check "the CMake C consumer (lumen::lumen_static) runs" \
  bash -c "'$work/cmake/consumer_static' | grep -q 'lumen $version, score OK'"
check "the static consumer does not need liblumen.so" \
  bash -c "! readelf -d '$work/cmake/consumer_static' | grep -q liblumen"
check "find_package(lumen $version) accepts the installed version" \
  cmake_consumer "$prefix" "$work/cmake-exact" -DLUMEN_REQUEST="$version"
check "find_package(lumen 0.2) accepts it (a minor version only adds to the ABI)" \
  cmake_consumer "$prefix" "$work/cmake-02" -DLUMEN_REQUEST=0.2
check "find_package(lumen 99.0) refuses it" bash -c "! cmake -S '$here/consumer' -B '$work/cmake-99' \
  -DCMAKE_PREFIX_PATH='$prefix' -DLUMEN_REQUEST=99.0"
check "find_package(lumen 0.1) refuses it (0.1 predates the ABI policy)" bash -c "! cmake -S '$here/consumer' \
  -B '$work/cmake-01' -DCMAKE_PREFIX_PATH='$prefix' -DLUMEN_REQUEST=0.1"
check "the shared consumer records the SONAME, not the file name" bash -c \
  "readelf -d '$work/cmake/consumer_shared' | grep -q 'Shared library: \[liblumen.so.$major\]'"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
check "pkg-config --modversion lumen is $version" bash -c "[ \"\$(pkg-config --modversion lumen)\" = '$version' ]"
pkg_build() {
  # shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
  g++ -std=c++17 -Wall -Wextra -Werror "$here/consumer/consumer.cpp" -o "$work/pkg_consumer" \
    $(pkg-config --cflags --libs lumen) -Wl,-rpath,"$(pkg-config --variable=libdir lumen)"
}
check "g++ \$(pkg-config --cflags --libs lumen) builds the C++ consumer" pkg_build
check "the pkg-config consumer runs" bash -c "'$work/pkg_consumer' | grep -q 'attributions OK'"

moved="$work/moved/elsewhere"
mkdir -p "$(dirname "$moved")"
mv "$prefix" "$moved"
check "a moved installation still configures with CMake" cmake_consumer "$moved" "$work/cmake-moved"
check "and its consumer runs" bash -c "LD_LIBRARY_PATH='$moved/lib' '$work/cmake-moved/consumer_shared' | grep -q OK"
export PKG_CONFIG_PATH="$moved/lib/pkgconfig"
check "pkg-config follows the moved installation" bash -c "pkg-config --cflags lumen | grep -q -- '-I$moved'"

echo "test_packaging: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
