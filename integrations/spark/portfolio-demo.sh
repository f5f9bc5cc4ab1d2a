#!/usr/bin/env bash
# The portfolio demo: builds the integration, starts a standalone Spark cluster on 127.0.0.1
# (two workers of one core by default), explains a synthetic German-Credit-like portfolio with
# KernelSHAP there, writes Parquet and prints rows per second and the global importance; then
# stops the cluster (by pid, also on failure).
#
#   integrations/spark/portfolio-demo.sh [rows (20000)] [output folder (target/portfolio.parquet)]
#   integrations/spark/portfolio-demo.sh --bench [rows (4000)]
#       rows/s on 1 worker, on 2 workers, on local[1] and local[2] (one JVM), and through Lumen's
#       Java API in one JVM without Spark (PlainBaseline), the same rows each time.
# Environment: LUMEN_DEMO_WORKERS (default 2), LUMEN_DEMO_BUDGET (coalitions per row, 512),
# LUMEN_DEMO_THREADS (engine threads per executor; default 0, one per core; --bench uses 1 so
# that a worker's one core is what it computes with), LUMEN_DEMO_TIMEOUT (seconds per run, 1800).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
eval "$(bash "$here/build.sh" | tail -3)"
# shellcheck source=cluster.sh
source "$here/cluster.sh"
export SPARK_LOCAL_IP=127.0.0.1 SPARK_HOME="$spark_home"
budget="${LUMEN_DEMO_BUDGET:-512}"
threads="${LUMEN_DEMO_THREADS:-0}"
limit="${LUMEN_DEMO_TIMEOUT:-1800}"
work="$(mktemp -d "${TMPDIR:-/tmp}/lumen-spark-demo.XXXXXX")"
pids=()
trap 'cluster_stop; rm -rf "$work"' EXIT

demo() {
    local master="$1" rows="$2" out="$3"
    timeout "$limit" "$spark_home/bin/spark-submit" --master "$master" --conf spark.ui.enabled=false \
        --conf spark.driver.host=127.0.0.1 --conf spark.executor.memory=1500m \
        --jars "$jars,$here/target/lumen-spark-demo.jar" --class dev.lumen.spark.demo.PortfolioDemo \
        "$here/target/lumen-spark-demo.jar" "$root/data/german_credit/german.data" "$out" "$rows" 8 "$budget" 25 "$threads" \
        2>"$work/stderr" || { tail -30 "$work/stderr" >&2; return 1; }
}

if [ "${1:-}" = "--bench" ]; then
    rows="${2:-4000}"
    threads="${LUMEN_DEMO_THREADS:-1}"
    for workers in 1 2; do
        cluster_start "$workers" "$work/cluster$workers"
        echo "== $rows rows on $workers worker(s)"
        demo "$master" "$rows" "$work/out$workers.parquet" | head -1
        cluster_stop
    done
    echo "== $rows rows on local[1] and local[2] (one JVM, 1 and 2 task slots)"
    demo 'local[1]' "$rows" "$work/local1.parquet" | head -1
    demo 'local[2]' "$rows" "$work/local2.parquet" | head -1
    echo "== $rows rows through Lumen's Java API in one JVM, no Spark (engine threads $threads, then one per core)"
    for t in "$threads" 0; do
        timeout "$limit" "$spark_home/bin/spark-submit" --master 'local[1]' --conf spark.ui.enabled=false \
            --conf spark.driver.host=127.0.0.1 --jars "$jars" --class dev.lumen.spark.demo.PlainBaseline \
            "$here/target/lumen-spark-demo.jar" "$root/data/german_credit/german.data" "$rows" "$budget" 25 "$t" \
            2>"$work/stderr" | head -2 || { tail -30 "$work/stderr" >&2; exit 1; }
    done
    exit 0
fi

rows="${1:-20000}"
out="${2:-$here/target/portfolio.parquet}"
cluster_start "${LUMEN_DEMO_WORKERS:-2}" "$work/cluster"
demo "$master" "$rows" "$out"
