# Sourced by run-tests.sh and portfolio-demo.sh: a Spark standalone cluster on 127.0.0.1 started
# with pyspark's spark-class (one master, N workers of one core each, web UIs on free ports), its
# processes recorded in the caller's `pids` array so the caller's EXIT trap kills them by pid.
#
#   cluster_start <workers> <folder for logs and work dirs>   sets $master (spark://127.0.0.1:port)
#   cluster_stop                                              kills and reaps the recorded pids
# Needs $spark_home (pyspark's folder) and an array `pids` declared by the caller.

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cluster_start() {
    local workers="$1" dir="$2" port ui_port i registered=0
    export SPARK_LOCAL_IP=127.0.0.1
    mkdir -p "$dir"
    port="$(free_port)"
    master="spark://127.0.0.1:$port"
    echo "== standalone cluster: master $master, $workers worker(s) of 1 core and 2 GiB"
    ui_port="$(free_port)"
    (trap - EXIT; exec "$spark_home/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 \
        --port "$port" --webui-port "$ui_port" >"$dir/master.log" 2>&1) &
    pids+=($!)
    for i in $(seq 1 "$workers"); do
        ui_port="$(free_port)"
        (trap - EXIT; exec "$spark_home/bin/spark-class" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 \
            --cores 1 --memory 2g --webui-port "$ui_port" --work-dir "$dir/worker$i" "$master" \
            >"$dir/worker$i.log" 2>&1) &
        pids+=($!)
    done
    for _ in $(seq 1 120); do
        registered="$( (grep -l 'Successfully registered with master' "$dir"/worker*.log 2>/dev/null || true) | wc -l)"
        [ "$registered" -eq "$workers" ] && return 0
        sleep 0.5
    done
    echo "cluster.sh: $registered of $workers worker(s) registered with $master within 60 s; logs:" >&2
    tail -20 "$dir"/master.log "$dir"/worker*.log >&2
    return 1
}

cluster_stop() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}
