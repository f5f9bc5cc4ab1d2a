#!/usr/bin/env bash
# TimeSHAP side by side: the `timeshap` package (1.0.4, on shap 0.51) against Lumen's TimeSHAP
# on the built-in fraud GRU and the same seeded histories, in one run.
#
#   benches/compare/timeshap/run.sh [--long] [--threads N] [--reps N]
#
# 1. builds the `fraud_sequences` and `timeshap_fraud` examples (release);
# 2. writes the histories (every number an exact f32, with the average training event):
#    - takeovers: the first 4 hold-out takeovers of 50–300 events;
#    - mixed: 7 histories of 50–400 events (generator seed 5), takeovers and legitimate ones;
#    - sampled: 1 history of 48–52 events with η = 1e-9, so that nothing is pruned and the
#      event level has ~50 players (sampled with 32000 coalitions on both sides);
#    - with --long, also 1 takeover of 2000–2200 events (timeshap alone takes 4–6 minutes
#      on it: its pruning evaluates every split over the whole sequence);
# 3. runs compare_timeshap.py (creating target/timeshap-venv with shap==0.51.*, timeshap==1.0.4
#    from PyPI when missing) with l1_reg off, and the Lumen example (state path and full
#    re-evaluation, median of --reps runs, --threads engine threads, default 1);
# 4. prints the table (side_by_side.py) and writes it to $out/table.md; exits 1 when the
#    pruned lengths or the values disagree (a missed speed target is only reported).
#
# Same settings on both sides: background = the average event of the first 1000 training
# histories, η = 0.025 (1e-9 for the sampled set), budget/nsamples 32000, seed 42, no L1
# selection (Lumen never selects; shap's l1_reg is set to False here). Not part of CI.
#
# Environment: LUMEN_TIMESHAP_OUT (default target/timeshap-compare), PYTHON (default python3).
set -euo pipefail

cd "$(dirname "$0")/../../.."
long=0
threads=1
reps=5
while [ $# -gt 0 ]; do
    case "$1" in
        --long) long=1 ;;
        --threads) threads=$2; shift ;;
        --reps) reps=$2; shift ;;
        *) echo "usage: $0 [--long] [--threads N] [--reps N]" >&2; exit 2 ;;
    esac
    shift
done
out=${LUMEN_TIMESHAP_OUT:-target/timeshap-compare}
python=${PYTHON:-python3}
mkdir -p "$out"

cargo build --quiet --release -p lumen-models --example fraud_sequences --example timeshap_fraud
examples=target/release/examples

sets=(takeovers mixed sampled)
"$examples/fraud_sequences" "$out/takeovers.json" --count 4 --fraud-only --min-events 50 --max-events 300
"$examples/fraud_sequences" "$out/mixed.json" --count 7 --seed 5 --min-events 50 --max-events 400
"$examples/fraud_sequences" "$out/sampled.json" --count 1 --min-events 48 --max-events 52
if [ "$long" = 1 ]; then
    sets+=(long)
    "$examples/fraud_sequences" "$out/long.json" --count 1 --fraud-only --min-events 2000 --max-events 2200
fi

table_args=()
for set in "${sets[@]}"; do
    tolerance=0.025
    [ "$set" = sampled ] && tolerance=1e-9
    echo "== $set: timeshap (η = $tolerance)" >&2
    "$python" benches/compare/timeshap/compare_timeshap.py --sequences "$out/$set.json" --tolerance "$tolerance" \
        --nsamples 32000 --seed 42 --l1-reg false --output "$out/$set.timeshap.json" >/dev/null
    echo "== $set: Lumen" >&2
    "$examples/timeshap_fraud" "$out/$set.json" --tolerance "$tolerance" --budget 32000 --seed 42 \
        --threads "$threads" --reps "$reps" >"$out/$set.lumen.jsonl"
    table_args+=(--set "$set" "$out/$set.timeshap.json" "$out/$set.lumen.jsonl")
done

# side_by_side.py exits 1 when pruning or values disagree: keep the table, then fail.
status=0
"$python" benches/compare/timeshap/side_by_side.py "${table_args[@]}" || status=$?
"$python" benches/compare/timeshap/side_by_side.py "${table_args[@]}" --markdown >"$out/table.md" || true
echo "Markdown table: $out/table.md" >&2
exit "$status"
