#!/usr/bin/env bash
# The CUDA backend on a GPU machine, in one command: every kernel compiled by NVRTC, every
# primitive against the CPU reference on fresh random inputs (outputs poisoned with NaN,
# relative error <= 1e-5, NaN never passes), the per-backend tests on the CUDA backend,
# every method end to end with a device-resident model (an MLP in CUDA), and the GPU
# benches. Prints a short table last and exits non-zero when any check failed.
#
# With cargo on PATH it builds first (scripts/gpu-bundle.sh); without (the lent GPU
# machines have no Rust toolchain) it runs the binaries in carry/gpu-bundle/ built here
# with scripts/gpu-bundle.sh. Needs the NVIDIA driver and libnvrtc.so.12 (the CUDA
# toolkit's lib64, or pip's nvidia-cuda-nvrtc-cu12 on LD_LIBRARY_PATH).
#
# Run from the repository root or anywhere: bash scripts/gpu-check.sh
# Environment: LUMEN_GPU_CHECK_SEED replays a run's random data (each run prints its seed).
set -uo pipefail
cd "$(dirname "$0")/.."

bundle=carry/gpu-bundle
log=$(mktemp -d)/gpu-check
mkdir -p "$log"

if command -v cargo >/dev/null && [[ -z ${LUMEN_USE_BUNDLE:-} ]]; then
  bash scripts/gpu-bundle.sh || exit 1
fi
[[ -d $bundle ]] || { echo "gpu-check.sh: no $bundle; build it with scripts/gpu-bundle.sh where cargo exists" >&2; exit 1; }

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
# NVRTC from the CUDA toolkit when it is not already on the loader's path.
for dir in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  if [[ -e $dir/libnvrtc.so.12 || -e $dir/libnvrtc.so ]]; then
    export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    break
  fi
done
if python3 -c "import nvidia.cuda_nvrtc" 2>/dev/null; then
  wheel=$(python3 -c "import nvidia.cuda_nvrtc as m; print(m.__path__[0])")/lib
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$wheel"
fi
export LUMEN_REQUIRE_GPU=1 LUMEN_REQUIRE_NVRTC=1

status=0
passed=0
failed=0
run() { # name, binary, args...
  local name=$1
  shift
  echo "==> $name"
  if [[ ! -x $1 ]]; then
    echo "    missing $1: rebuild the bundle with scripts/gpu-bundle.sh"
    status=1
    failed=$((failed + 1))
    return
  fi
  "$@" >"$log/$name.out" 2>&1
  local rc=$?
  grep -E '^(test result|GPU-CHECK|random data seed|skipped)' "$log/$name.out" | sed 's/^/    /'
  local p f
  p=$(grep -Eo '[0-9]+ passed' "$log/$name.out" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed' "$log/$name.out" | awk '{s+=$1} END {print s+0}')
  passed=$((passed + p))
  failed=$((failed + f))
  if [[ $rc -ne 0 ]]; then
    status=1
    grep -E -A2 'panicked' "$log/$name.out" | grep -v '^stack backtrace' | head -30 | sed 's/^/    /'
  fi
}

# The embedded-file check reads the build machine's source folder; everything else runs.
run cuda_compile "$bundle/cuda_compile" --skip every_kernel_file_is_embedded
run cuda_differential "$bundle/cuda_differential" --test-threads=1 --nocapture
run cuda_unavailable "$bundle/cuda_unavailable" --nocapture
# backend_tests! bodies run as _cpu and _cuda; the other suites build engines with
# backend=auto, which picks the GPU here, so host models go through the CUDA primitives.
for t in occlusion feature_ablation grad_cam determinism shapley gradient; do
  run "$t" "$bundle/$t"
done
echo "==> gpu_bench"
"$bundle/gpu_bench" >"$log/bench.out" 2>&1 || { status=1; tail -5 "$log/bench.out"; }

echo
echo "== primitives and methods: GPU against the CPU reference (max relative error, bit-identical) =="
grep -h '^GPU-CHECK' "$log"/*.out | awk -F'|' '{ printf "%-62s %-22s %s\n", $2, $3, $4 }'
echo
echo "== benches =="
sed -n '/^measurement/,$p' "$log/bench.out"
grep -h '^device:' "$log/bench.out"
echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]] || status=1
exit $status
