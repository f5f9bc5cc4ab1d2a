#!/usr/bin/env bash
# Makes DIR/liblumen.so loadable by the name programs record when they link against it:
# liblumen.so carries the SONAME liblumen.so.MAJOR (build.rs), so a program linked with
# -L DIR -llumen asks the dynamic loader for DIR/liblumen.so.MAJOR. This adds that link
# (liblumen.so.MAJOR -> liblumen.so) beside cargo's output. Usage: link-soname.sh DIR
set -euo pipefail
dir="${1:?usage: link-soname.sh DIR (the folder holding liblumen.so)}"
[[ -f $dir/liblumen.so ]] || { echo "link-soname.sh: $dir/liblumen.so is missing (build first)" >&2; exit 1; }
soname="$(readelf -d "$dir/liblumen.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[[ -n $soname ]] || { echo "link-soname.sh: $dir/liblumen.so has no SONAME" >&2; exit 1; }
ln -sfn liblumen.so "$dir/$soname"
