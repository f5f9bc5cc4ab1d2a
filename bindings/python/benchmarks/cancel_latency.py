"""Ctrl-C latency: how long after SIGINT a long KernelSHAP explanation, running from a
child process's main thread with a native-speed numpy model (a 12 → 2048 → 1 tanh
network, the GIL released inside the matrix products), hands KeyboardInterrupt back to
Python code. The child stamps CLOCK_MONOTONIC (shared by the processes) when it catches the
interrupt; the parent stamps it just before os.kill. Also prints the model's own time per
batch: the engine checks the call's token before every batch, so the latency is about
the rest of the batch running when the signal came.

    LUMEN_LIBRARY=target/release/liblumen.so python3 bindings/python/benchmarks/cancel_latency.py [repeats]
"""

import os
import signal
import statistics
import subprocess
import sys
import time

CHILD = r"""
import sys, time
import numpy as np
import lumen

rows = int(sys.argv[1])
rng = np.random.default_rng(0)
W1 = rng.normal(size=(12, 2048)).astype(np.float32)
w2 = rng.normal(size=2048).astype(np.float32)
times = []

def predict(x):
    started = time.perf_counter()
    y = np.tanh(x @ W1) @ w2
    times.append(time.perf_counter() - started)
    if len(times) == 5:
        print("started", flush=True)
    return y

model = lumen.Model(predict, input_len=12, max_batch_rows=rows)
with lumen.Engine(backend="cpu", threads=2) as engine:
    try:
        engine.kernel_shap(model, rng.normal(size=(20, 12)), rng.normal(size=(100, 12)), budget=4096)
    except KeyboardInterrupt:
        caught = time.monotonic()
        print(f"caught {caught!r} {1e3 * float(np.median(times)):.2f}", flush=True)
"""


def once(batch_rows: int) -> tuple[float, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(batch_rows)], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    if child.stdout.readline() != "started\n":
        raise RuntimeError("the child did not start")
    time.sleep(0.3)
    sent = time.monotonic()
    os.kill(child.pid, signal.SIGINT)
    line = child.stdout.readline().split()
    child.wait(timeout=60)
    if not line or line[0] != "caught":
        raise RuntimeError(f"the child printed {line!r}")
    return float(line[1]) - sent, float(line[2])


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for batch_rows in (512, 2048):
        latencies, batch_ms = [], []
        for _ in range(repeats):
            latency, batch = once(batch_rows)
            latencies.append(1e3 * latency)
            batch_ms.append(batch)
        print(
            f"batches of {batch_rows} rows ({statistics.median(batch_ms):.1f} ms of model time each): "
            f"SIGINT -> KeyboardInterrupt median {statistics.median(latencies):.1f} ms, "
            f"max {max(latencies):.1f} ms over {repeats} runs"
        )


if __name__ == "__main__":
    main()
