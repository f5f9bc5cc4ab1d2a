#!/usr/bin/env bash
# Builds liblumen (release) and installs it for linkers, with debug info split off:
#   PREFIX/lib/liblumen.so.X.Y.Z (stripped; SONAME liblumen.so.X) and the links
#   liblumen.so.X -> liblumen.so.X.Y.Z and liblumen.so -> liblumen.so.X,
#   PREFIX/lib/liblumen.so.X.Y.Z.debug (its debug info; gdb finds it by .gnu_debuglink),
#   PREFIX/lib/liblumen.a (debug info stripped, as Debian ships static libraries)
#   PREFIX/include/lumen.h, PREFIX/include/lumen/lumen.hpp (the C++17 wrapper)
#   PREFIX/lib/cmake/lumen/lumenConfig.cmake + lumenConfigVersion.cmake (find_package(lumen))
#   PREFIX/lib/pkgconfig/lumen.pc (pkg-config --cflags --libs lumen)
# The version comes from Cargo.toml. The installed files are relocatable.
#
# Usage: scripts/install.sh --prefix PREFIX [--no-build]
#   --no-build  install what target/release already holds (CARGO_TARGET_DIR respected)
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

prefix=""
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) [[ $# -ge 2 ]] || usage 2; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
[[ -n $prefix ]] || { echo "install.sh: --prefix PREFIX is required" >&2; usage 2; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"

# The workspace version ([workspace.package] version = "X.Y.Z").
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\([0-9][0-9.]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)"
[[ $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || { echo "install.sh: no version in Cargo.toml" >&2; exit 1; }
major="${BASH_REMATCH[1]}"
minor="${BASH_REMATCH[2]}"

if [[ $build -eq 1 ]]; then
  echo "==> cargo build --release -p lumen"
  (cd "$root" && cargo build --release -p lumen)
fi
target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ $target_dir == /* ]] || target_dir="$root/$target_dir"
libdir="$target_dir/release"
for file in liblumen.so liblumen.a; do
  [[ -f $libdir/$file ]] || { echo "install.sh: $libdir/$file is missing (build first)" >&2; exit 1; }
done

# The system libraries a Rust staticlib needs on Linux (rustc --print native-static-libs).
static_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
static_libs_cmake="gcc_s;util;rt;pthread;m;dl;c"

echo "==> installing lumen $version into $prefix"
install -d "$prefix/lib/cmake/lumen" "$prefix/lib/pkgconfig" "$prefix/include/lumen"
soname="$(readelf -d "$libdir/liblumen.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[[ $soname == "liblumen.so.$major" ]] || { echo "install.sh: liblumen.so has SONAME '$soname', expected liblumen.so.$major" >&2; exit 1; }
real="liblumen.so.$version"
# Debug info goes to a file beside the library, linked by .gnu_debuglink (gdb looks there).
objcopy --only-keep-debug "$libdir/liblumen.so" "$prefix/lib/$real.debug"
chmod 644 "$prefix/lib/$real.debug"
objcopy --strip-debug --strip-unneeded --add-gnu-debuglink="$prefix/lib/$real.debug" "$libdir/liblumen.so" "$prefix/lib/$real"
chmod 755 "$prefix/lib/$real"
ln -sfn "$real" "$prefix/lib/$soname"
ln -sfn "$soname" "$prefix/lib/liblumen.so"
objcopy --strip-debug "$libdir/liblumen.a" "$prefix/lib/liblumen.a"
chmod 644 "$prefix/lib/liblumen.a"
install -m 644 "$root/include/lumen.h" "$prefix/include/lumen.h"
install -m 644 "$root/bindings/cpp/include/lumen/lumen.hpp" "$prefix/include/lumen/lumen.hpp"

fill() { # template output
  sed -e "s|@LUMEN_VERSION@|$version|g" \
      -e "s|@LUMEN_VERSION_MAJOR@|$major|g" \
      -e "s|@LUMEN_VERSION_MINOR@|$minor|g" \
      -e "s|@LUMEN_STATIC_LIBS@|$static_libs|g" \
      -e "s|@LUMEN_STATIC_LIBS_CMAKE@|$static_libs_cmake|g" "$1" > "$2"
  chmod 644 "$2"
}
packaging="$root/bindings/cpp/packaging"
fill "$packaging/lumenConfig.cmake.in" "$prefix/lib/cmake/lumen/lumenConfig.cmake"
fill "$packaging/lumenConfigVersion.cmake.in" "$prefix/lib/cmake/lumen/lumenConfigVersion.cmake"
fill "$packaging/lumen.pc.in" "$prefix/lib/pkgconfig/lumen.pc"

echo "installed:"
(cd "$prefix" && find lib/liblumen.so* lib/liblumen.a include/lumen.h include/lumen/lumen.hpp \
  lib/cmake/lumen lib/pkgconfig/lumen.pc \( -type f -o -type l \) | sort | sed 's/^/  /')
