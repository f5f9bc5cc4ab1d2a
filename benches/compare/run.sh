#!/usr/bin/env bash
# KernelSHAP side by side: shap's KernelExplainer against Lumen on the same MLP and data.
#
# Builds examples/kernel_shap_compare.rs in release, writes the shared setting (MLP weights,
# background and explained rows), runs Lumen (exact reference, then every budget), then
# benches/compare/compare_shap.py, which installs shap from PyPI into a virtual environment
# when it is missing, runs shap on the same numbers and prints the table. Not part of CI:
# the first run installs shap (about a minute); the rest takes about 5 minutes.
#
# Environment (all optional):
#   LUMEN_BUDGETS   comma-separated coalition budgets      (default 100,200,300,500,700,1000,1500,2080
#                   for 16 inputs: a grid for the time to reach shap's accuracy at its default 2M + 2048)
#   LUMEN_ESTIMATORS Lumen's estimators                     (default shap,leverage,leverage_stratified,
#                   leverage_interactions,leverage_top_triples)
#   LUMEN_INPUTS    players M of the MLP setting            (default 16; 12 gives a second setting)
#   LUMEN_REPS      repetitions of every row per budget     (default 3)
#   LUMEN_THREADS   Lumen engine thread counts              (default 1,2)
#   LUMEN_VENV      virtual environment for shap            (default target/shap-venv)
#   LUMEN_COMPARE   folder for the setting and the results  (default target/compare)
#   PYTHON          the Python that runs the script         (default python3)
#   LUMEN_ROW_COST_US microseconds the model busy-waits per row in the timed runs, on
#                   both sides (default 0: the MLP alone)
set -euo pipefail

cd "$(dirname "$0")/../.."
inputs=${LUMEN_INPUTS:-16}
budgets=${LUMEN_BUDGETS:-100,200,300,500,700,1000,1500,$((2 * inputs + 2048))}
estimators=${LUMEN_ESTIMATORS:-shap,leverage,leverage_stratified,leverage_interactions,leverage_top_triples}
reps=${LUMEN_REPS:-3}
threads=${LUMEN_THREADS:-1,2}
venv=${LUMEN_VENV:-target/shap-venv}
out=${LUMEN_COMPARE:-target/compare}
python=${PYTHON:-python3}
row_cost=${LUMEN_ROW_COST_US:-0}

# One thread on both sides: numpy's BLAS too.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$out"
cargo build --quiet --release --example kernel_shap_compare
run_example() { cargo run --quiet --release --example kernel_shap_compare -- "$@"; }
run_example setup "$out/setting.json" --inputs "$inputs"
run_example run "$out/setting.json" --budgets "$budgets" --reps "$reps" --threads "$threads" \
    --estimators "$estimators" --row-cost-us "$row_cost" >"$out/lumen.json"
"$python" benches/compare/compare_shap.py --setting "$out/setting.json" --lumen "$out/lumen.json" \
    --reps "$reps" --venv "$venv" --output "$out/table.json" --row-cost-us "$row_cost"
