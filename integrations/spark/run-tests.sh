#!/usr/bin/env bash
# The Spark integration's tests, offline, on one machine (about 2 minutes on 2 cores):
#   1. build.sh: the Lumen JAR if needed, javac + jar of the integration, its demo and checks;
#   2. the checks (tests/java/.../SparkChecks.java) through spark-submit on local[2];
#   3. a standalone cluster on 127.0.0.1 (spark-class: one master, two workers of one core each,
#      web UIs off), the same checks there, then the cluster is stopped (by pid, also on failure);
#   4. the two runs' result digests compared byte for byte (the same bits on local[2] and on the
#      cluster, in 1, 3 and 7 partitions);
#   5. the PySpark path (python/check_lumen_spark.py) on local[2], against the Java run's bits.
# Prints `N passed, N failed` lines; exits non-zero when anything fails.
#
# Needs: pip install pyspark==4.3.0 pandas pyarrow (mapInPandas), a JDK 17, cargo (liblumen for the
# Python binding) and what bindings/java/build-jar.sh needs. Set LUMEN_SPARK_TIMEOUT (seconds, default 240) to bound
# each spark-submit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
limit="${LUMEN_SPARK_TIMEOUT:-240}"
# build.sh prints its settings last; a failed build stops here, not at an unset setting.
settings="$(bash "$here/build.sh")" || { echo "integrations/spark/build.sh failed" >&2; exit 1; }
eval "$(tail -3 <<<"$settings")"
# shellcheck source=cluster.sh
source "$here/cluster.sh"
export SPARK_LOCAL_IP=127.0.0.1 SPARK_HOME="$spark_home"
work="$(mktemp -d "${TMPDIR:-/tmp}/lumen-spark-tests.XXXXXX")"
pids=()
cleanup() {
    cluster_stop
    if [ -n "${LUMEN_SPARK_KEEP:-}" ]; then echo "run-tests.sh: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

data="$root/data/german_credit/german.data"
submit() {
    local master="$1" label="$2"
    echo "== SparkChecks on $master"
    timeout "$limit" "$spark_home/bin/spark-submit" --master "$master" --conf spark.ui.enabled=false \
        --conf spark.driver.host=127.0.0.1 --conf spark.executor.memory=1g \
        --jars "$jars,$here/target/lumen-spark-demo.jar" --class dev.lumen.spark.checks.SparkChecks \
        "$here/target/lumen-spark-tests.jar" "$label" "$data" "$work/digests" 2>"$work/$label.stderr" \
        | tee "$work/$label.stdout" || {
        echo "run-tests.sh: the checks on $master failed; the end of their stderr:" >&2
        grep -v '^\s*at ' "$work/$label.stderr" | tail -30 >&2
        return 1
    }
}

submit 'local[2]' local

cluster_start 2 "$work/cluster"
submit "$master" cluster
cluster_stop

echo "== the same bits on local[2] and on the cluster"
compared=0
differ=0
for local in "$work"/digests/local-*.txt; do
    name="$(basename "$local")"
    cluster="$work/digests/cluster-${name#local-}"
    if cmp -s "$local" "$cluster"; then
        echo "PASS ${name#local-}: $(wc -l <"$local") rows, identical on local[2] and the cluster"
    else
        echo "FAIL ${name#local-}: local[2] and the cluster differ"
        differ=$((differ + 1))
    fi
    compared=$((compared + 1))
done
echo "local vs cluster: $((compared - differ)) passed, $differ failed"
[ "$compared" -ge 7 ] && [ "$differ" -eq 0 ]

echo "== the PySpark path (python/lumen_spark.py, mapInPandas) on local[2]"
if python3 -m mypy --version >/dev/null 2>&1; then
    MYPYPATH="$root/bindings/python" python3 -m mypy --ignore-missing-imports "$here/python/lumen_spark.py"
fi
cargo build --release -p lumen --manifest-path "$root/Cargo.toml" 2>&1 | tail -1
PYTHONPATH="$here/python:$root/bindings/python${PYTHONPATH:+:$PYTHONPATH}" PYSPARK_PYTHON="$(command -v python3)" \
    LUMEN_LIBRARY="${CARGO_TARGET_DIR:-$root/target}/release/liblumen.so" \
    timeout "$limit" "$spark_home/bin/spark-submit" --master 'local[2]' --conf spark.ui.enabled=false \
    --conf spark.driver.host=127.0.0.1 "$here/python/check_lumen_spark.py" "$work/digests" "$data" \
    2>"$work/python.stderr" || {
    echo "run-tests.sh: the PySpark checks failed; the end of their stderr:" >&2
    tail -30 "$work/python.stderr" >&2
    exit 1
}
