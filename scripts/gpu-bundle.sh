#!/usr/bin/env bash
# Builds the GPU checks here (release, --features cuda) and copies the binaries, stripped,
# into carry/gpu-bundle/ (ignored by git), with NVRTC 12.9 in carry/nvrtc/, so they can be
# carried to a GPU machine that has no Rust toolchain; scripts/gpu-check.sh runs them there. Binaries built on Debian 12
# (glibc 2.36) run on newer images. Prints the bundle's size (the device tool carries at
# most 64 MiB).
#
# Run from anywhere: bash scripts/gpu-bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bundle=carry/gpu-bundle
tests=(cuda_compile cuda_differential cuda_unavailable occlusion feature_ablation grad_cam determinism shapley gradient)

rm -rf "$bundle"
mkdir -p "$bundle"
echo "==> building test binaries (cargo test --release --features cuda --no-run)"
args=()
for t in "${tests[@]}"; do args+=(--test "$t"); done
cargo test --release --features cuda --no-run --message-format=json "${args[@]}" 2>/dev/null |
  python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "test" in m["target"]["kind"]:
        print(m["target"]["name"], m["executable"])
' | while read -r name path; do
  cp "$path" "$bundle/$name"
done
echo "==> building the GPU bench (cargo build --release --features cuda --example gpu_bench)"
cargo build --release --features cuda --example gpu_bench --quiet
cp target/release/examples/gpu_bench "$bundle/gpu_bench"
for f in "$bundle"/*; do
  strip --strip-debug "$f"
done
for t in "${tests[@]}" gpu_bench; do
  [[ -x $bundle/$t ]] || { echo "gpu-bundle.sh: $bundle/$t was not built" >&2; exit 1; }
done
# NVRTC 12.9 for machines whose toolkit is another version, xz-compressed to fit the
# device tool's 64 MiB (kept between bundles; gpu-check.sh unpacks it).
nvrtc=carry/nvrtc
if [[ ! -e $nvrtc/libnvrtc.so.12.xz ]]; then
  echo "==> packing NVRTC 12.9 into $nvrtc (pip download nvidia-cuda-nvrtc-cu12==12.9.86, xz)"
  wheel=$(mktemp -d)
  if python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
    --python-version 3.12 --implementation cp -d "$wheel" nvidia-cuda-nvrtc-cu12==12.9.86; then
    mkdir -p "$nvrtc"
    for lib in libnvrtc.so.12 libnvrtc-builtins.so.12.9; do
      unzip -p "$wheel"/*.whl "nvidia/cuda_nvrtc/lib/$lib" | xz -6 -T0 >"$nvrtc/$lib.xz"
    done
  else
    echo "gpu-bundle.sh: no NVRTC packed; gpu-check.sh will use the GPU machine's own" >&2
  fi
  rm -rf "$wheel"
fi
du -sh "$bundle" "$nvrtc" 2>/dev/null
echo "bundle ready: carry it with carry=[\"carry\"] and run: bash scripts/gpu-check.sh"
