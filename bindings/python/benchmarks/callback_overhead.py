"""The Python binding's cost per model callback: Feature Ablation of 200 rows × 16
features with a trivial numpy model, once with one perturbed row per call and once with
the engine batching 64 rows per call. Prints microseconds per callback and per model row.

    LUMEN_LIBRARY=target/release/liblumen.so python3 bindings/python/benchmarks/callback_overhead.py
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lumen


def main() -> None:
    calls = [0]

    def predict(x):
        calls[0] += 1
        return x.sum(1)

    model = lumen.Model(predict, input_len=16)
    x = np.random.default_rng(0).normal(size=(200, 16)).astype(np.float32)
    with lumen.Engine(backend="cpu", threads=2) as engine:
        engine.feature_ablation(model, x[:4])  # warm-up
        for per_call in (1, 64):
            best = float("inf")
            for _ in range(5):
                calls[0] = 0
                started = time.perf_counter()
                ex = engine.feature_ablation(model, x, perturbations_per_eval=per_call)
                best = min(best, time.perf_counter() - started)
            rows = ex.model_rows_evaluated
            print(
                f"perturbations_per_eval={per_call:>2}: {calls[0]} callbacks for {rows} model rows, "
                f"{best * 1e6 / calls[0]:.1f} us per callback, {best * 1e6 / rows:.2f} us per row"
            )


if __name__ == "__main__":
    main()
