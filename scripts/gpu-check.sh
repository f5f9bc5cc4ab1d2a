#!/usr/bin/env bash
# The CUDA backend on a GPU machine, in one command: every kernel compiled by NVRTC, every
# primitive against the CPU reference on fresh random inputs (outputs poisoned with NaN,
# relative error <= 1e-5, NaN never passes), the per-backend tests on the CUDA backend,
# every method end to end with a device-resident model (an MLP in CUDA), and the GPU
# benches. Prints a short table last and exits non-zero when any check failed.
#
# With cargo on PATH it builds first (scripts/gpu-bundle.sh); without (the lent GPU
# machines have no Rust toolchain) it runs the binaries in carry/gpu-bundle/ built here
# with scripts/gpu-bundle.sh. Needs the NVIDIA driver and NVRTC: carry/nvrtc/*.xz when
# present (libnvrtc.so.12 and libnvrtc-builtins.so.12.9 from pip's
# nvidia-cuda-nvrtc-cu12==12.9.86, each `xz`-compressed: 31 MB instead of 113 MB), else the
# CUDA toolkit's lib64 or pip's nvidia-cuda-nvrtc-cu12 on LD_LIBRARY_PATH.
#
# Run from the repository root or anywhere: bash scripts/gpu-check.sh
# Environment: LUMEN_GPU_CHECK_SEED replays a run's random data (each run prints its seed);
# LUMEN_GPU_CHECK_LOG names the log folder; LUMEN_GPU_CHECK_TIMEOUT caps each binary (s).
set -uo pipefail
cd "$(dirname "$0")/.."

bundle=carry/gpu-bundle
log=${LUMEN_GPU_CHECK_LOG:-$(mktemp -d)/gpu-check}
mkdir -p "$log"
limit=${LUMEN_GPU_CHECK_TIMEOUT:-240} # seconds per binary: a hung kernel fails one step, not the run

if command -v cargo >/dev/null && [[ -z ${LUMEN_USE_BUNDLE:-} ]]; then
  bash scripts/gpu-bundle.sh || exit 1
fi
[[ -d $bundle ]] || { echo "gpu-check.sh: no $bundle; build it with scripts/gpu-bundle.sh where cargo exists" >&2; exit 1; }

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
system_path=${LD_LIBRARY_PATH:-}
nvrtc_note="NVRTC: the loader's default"
# NVRTC 12.9, the version cudarc's bindings are built for, when carried xz-compressed in
# carry/nvrtc/ (from pip's nvidia-cuda-nvrtc-cu12==12.9.86; the unpacked library exceeds
# what the device tool carries). The libnvrtc.so link makes cudarc's first candidate name
# resolve to it rather than to a newer toolkit's unversioned library.
if [[ -e carry/nvrtc/libnvrtc.so.12.xz ]]; then
  nvrtc=$(mktemp -d)
  for f in carry/nvrtc/*.xz; do xz -dc "$f" >"$nvrtc/$(basename "$f" .xz)"; done
  ln -s libnvrtc.so.12 "$nvrtc/libnvrtc.so"
  export LD_LIBRARY_PATH="$nvrtc${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  nvrtc_note="NVRTC: carried 12.9 (carry/nvrtc)"
else
  # NVRTC from the CUDA toolkit when it is not already on the loader's path.
  for dir in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
    if [[ -e $dir/libnvrtc.so.12 || -e $dir/libnvrtc.so ]]; then
      export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      nvrtc_note="NVRTC: $dir"
      break
    fi
  done
  if python3 -c "import nvidia.cuda_nvrtc" 2>/dev/null; then
    wheel=$(python3 -c "import nvidia.cuda_nvrtc as m; print(m.__path__[0])")/lib
    export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$wheel"
  fi
fi
echo "$nvrtc_note"
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
  timeout "$limit" "$@" >"$log/$name.out" 2>&1
  local rc=$?
  [[ $rc -eq 124 ]] && echo "    timed out after $limit s"
  grep -oE '(test result|GPU-CHECK|random data seed|skipped).*' "$log/$name.out" | sed 's/^/    /'
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
timeout "$limit" "$bundle/gpu_bench" >"$log/bench.out" 2>&1 || { status=1; tail -5 "$log/bench.out"; }
# Whether the kernels also compile with the machine's own NVRTC (a newer toolkit's
# unversioned libnvrtc.so), reported but not counted: users may have only that one.
if [[ $nvrtc_note == *carried* ]]; then
  for dir in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
    if [[ -e $dir/libnvrtc.so ]]; then
      echo "==> cuda_compile with $dir/libnvrtc.so (not counted)"
      LD_LIBRARY_PATH="$dir${system_path:+:$system_path}" timeout "$limit" "$bundle/cuda_compile" \
        --skip every_kernel_file_is_embedded >"$log/system-nvrtc.out" 2>&1
      echo "    rc $?: $(grep -E '^test result' "$log/system-nvrtc.out" | head -1)"
      break
    fi
  done
fi

echo
echo "== primitives and methods: GPU against the CPU reference (max relative error, bit-identical) =="
grep -ho 'GPU-CHECK|.*' "$log"/*.out | awk -F'|' '{ printf "%-62s %-22s %s\n", $2, $3, $4 }'
echo
echo "== benches =="
sed -n '/^measurement/,$p' "$log/bench.out"
grep -h '^device:' "$log/bench.out"
echo
echo "$nvrtc_note; logs in $log"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]] || status=1
exit $status
