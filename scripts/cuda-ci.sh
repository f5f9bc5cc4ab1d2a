#!/usr/bin/env bash
# What CI runs for the CUDA backend on a machine without a GPU: builds with the `cuda`
# feature, lints with it, compiles every kernel with NVRTC for sm_80 and sm_90
# (LUMEN_REQUIRE_NVRTC=1: a missing NVRTC fails) and assembles the PTX with ptxas, and runs the lumen tests with the
# feature on: the no-driver path (LUMEN_STATUS_BACKEND_UNAVAILABLE with the reason, auto's
# recorded CPU fallback), the Philox CPU twin, every kernel's source compiled as host C++
# and checked bit for bit against the CPU reference (tests/kernel_emulation.rs, needs g++),
# and every `_cuda` test skipping cleanly.
# Installs NVRTC and ptxas from PyPI (nvidia-cuda-nvrtc-cu12 and nvidia-cuda-nvcc-cu12,
# both 12.9.86) when missing. Ends with one
# line "N passed, N failed".
#
# Run from anywhere: bash scripts/cuda-ci.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if ! python3 -c "import nvidia.cuda_nvrtc" 2>/dev/null; then
  step "installing NVRTC from PyPI"
  python3 -m pip install --quiet "nvidia-cuda-nvrtc-cu12==12.9.86"
fi
nvrtc_lib="$(python3 -c "import nvidia.cuda_nvrtc as m; print(m.__path__[0])")/lib"
if ! python3 -c "import nvidia.cuda_nvcc" 2>/dev/null; then
  step "installing ptxas from PyPI (to assemble the PTX as well)"
  python3 -m pip install --quiet "nvidia-cuda-nvcc-cu12==12.9.86"
fi
ptxas="$(python3 -c "import nvidia.cuda_nvcc as m; print(m.__path__[0])")/bin/ptxas"
[[ -x $ptxas ]] || { echo "cuda-ci.sh: no ptxas at $ptxas" >&2; exit 1; }
[[ -e $nvrtc_lib/libnvrtc.so.12 ]] || { echo "cuda-ci.sh: no libnvrtc.so.12 in $nvrtc_lib" >&2; exit 1; }

step "build with --features cuda"
cargo build --features cuda --all-targets --quiet

step "clippy with --features cuda"
cargo clippy --all-targets --features cuda --quiet -- -D warnings

log=$(mktemp)
# A failing cargo (a build error, a failed test) makes the pipeline fail under pipefail.
status=0
step "kernels compile with NVRTC and assemble with ptxas (sm_80, sm_90)"
LD_LIBRARY_PATH="$nvrtc_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" LUMEN_REQUIRE_NVRTC=1 LUMEN_PTXAS="$ptxas" \
  cargo test --features cuda --test cuda_compile 2>&1 | tee -a "$log" | grep -E '^test |test result' || status=$?

step "lumen tests with --features cuda (no driver here: the CUDA paths must refuse or skip cleanly)"
LUMEN_REQUIRE_EMULATION=1 cargo test --features cuda -p lumen --quiet 2>&1 | tee -a "$log" | grep -E 'test result|FAILED|panicked' ||
  status=$?

passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo "$passed passed, $failed failed"
[[ $status -eq 0 && $failed -eq 0 && $passed -gt 0 ]] && ! grep -q 'test result: FAILED' "$log"
