#!/usr/bin/env bash
# KernelSHAP's engine against its floor, as ratios: runs the `kernel_shap_floor` group of
# benches/kernel_shap.rs (criterion, process CPU time) RUNS times and prints, per run, each
# estimator's (engine − model alone) / (floor_write_rows + floor_solve), then per bench and
# estimator the least, median and largest ratio over the runs, and the ratio of the least
# times. The floor moves with this machine's memory bandwidth from one run to the next, and
# other load on a shared machine only adds time, so compare builds by alternating their runs
# (build each, copy its bench binary, pass the copies as BENCHES) and read the ratios of the
# least times first.
#
#   bash benches/floor_ratio.sh                      # this checkout, 3 runs
#   RUNS=5 bash benches/floor_ratio.sh
#   BENCHES="/tmp/before /tmp/after" bash benches/floor_ratio.sh   # alternate prebuilt binaries
#
# Environment: RUNS (default 3), BENCHES (prebuilt bench binaries; default: build this one).
set -euo pipefail

cd "$(dirname "$0")/.."
runs=${RUNS:-3}
benches=${BENCHES:-}
if [[ -z $benches ]]; then
  benches=$(cargo bench --bench kernel_shap --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
  [[ -n $benches ]] || { echo "floor_ratio.sh: the kernel_shap bench did not build" >&2; exit 1; }
fi

ratios=$(mktemp)
times=$(mktemp)
trap 'rm -f "$ratios" "$times"' EXIT
for run in $(seq "$runs"); do
  for bench in $benches; do
    "$bench" --bench 'kernel_shap_floor/' --warm-up-time 1 --measurement-time 3 --output-format bencher 2>/dev/null |
      awk -v run="$run" -v bench="$(basename "$bench")" -v ratios="$ratios" -v times="$times" '
        /^test / {
          gsub(",", "", $5); name = $2; sub("kernel_shap_floor/", "", name)
          if (name ~ /^engine\//) engines[++count] = name
          ms[name] = $5 / 1e6
          printf "%s %s %.6f\n", bench, name, ms[name] >> times
        }
        END {
          floor = ms["floor_write_rows"] + ms["floor_solve"]
          printf "run %s %s: floor %.3f ms (rows %.3f, solve %.3f), model alone %.3f ms\n",
            run, bench, floor, ms["floor_write_rows"], ms["floor_solve"], ms["model_alone"]
          for (i = 1; i <= count; i++) {
            ratio = (ms[engines[i]] - ms["model_alone"]) / floor
            printf "  %-32s %.3f ms  %.2fx its floor\n", engines[i], ms[engines[i]], ratio
            printf "%s %s %.4f\n", bench, engines[i], ratio >> ratios
          }
        }'
  done
done

# Per bench and estimator, over the runs: the least, the median and the largest ratio.
echo "over $runs runs (least, median, largest ratio to the floor):"
sort -k1,1 -k2,2 -k3,3n "$ratios" | awk '
  function flush() {
    if (n) printf "  %s %-32s %.2f %.2f %.2f\n", key1, key2, v[1], (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), v[n]
  }
  $1 != key1 || $2 != key2 { flush(); key1 = $1; key2 = $2; n = 0 }
  { v[++n] = $3 }
  END { flush() }'

# Per bench, each estimator's ratio from the least time of every bench over the runs: on a
# shared machine other load only ever adds time, so the least is the steadiest estimate.
echo "from the least times over $runs runs ((least engine − least model alone) / (least rows + least solve)):"
awk '
  !(($1, $2) in least) || $3 < least[$1, $2] { least[$1, $2] = $3 }
  !($1 in seen) { seen[$1] = 1; benches[++nbenches] = $1 }
  $2 ~ /^engine\// && !($2 in known) { known[$2] = 1; engines[++nengines] = $2 }
  END {
    for (b = 1; b <= nbenches; b++) {
      bench = benches[b]
      floor = least[bench, "floor_write_rows"] + least[bench, "floor_solve"]
      printf "  %s: floor %.3f ms, model alone %.3f ms\n", bench, floor, least[bench, "model_alone"]
      for (e = 1; e <= nengines; e++) {
        engine = engines[e]
        printf "    %-32s %.3f ms  %.2fx its floor\n", engine, least[bench, engine], (least[bench, engine] - least[bench, "model_alone"]) / floor
      }
    }
  }' "$times"
