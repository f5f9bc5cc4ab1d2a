"""Determinism with a seed, independence from the thread count, and use from several
Python threads (the GIL and the concurrency flag)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import lumen

rng = np.random.default_rng(21)
COEFFICIENTS = rng.normal(size=8)
BACKGROUND = rng.normal(size=(5, 8)).astype(np.float32)
X = rng.normal(size=(3, 8)).astype(np.float32)


def f(x):
    x = x.astype(np.float64)
    return x @ COEFFICIENTS + 0.4 * x[:, 0] * x[:, 1] - np.tanh(x[:, 2] * x[:, 5])


def gradient(x, targets):
    x = x.astype(np.float64)
    g = np.tile(COEFFICIENTS, (len(x), 1))
    g[:, 0] += 0.4 * x[:, 1]
    g[:, 1] += 0.4 * x[:, 0]
    d = 1 - np.tanh(x[:, 2] * x[:, 5]) ** 2
    g[:, 2] -= d * x[:, 5]
    g[:, 5] -= d * x[:, 2]
    return g


def model(concurrent=True):
    return lumen.Model(f, input_len=8, gradient=gradient, concurrent=concurrent)


def sampled(engine, m):
    return {
        "kernel_shap": engine.kernel_shap(m, X, BACKGROUND, budget=60).attributions,
        "sampling": engine.shapley_sampling(m, X, BACKGROUND, permutation_pairs=3).attributions,
        "gradient_shap": engine.gradient_shap(m, X, BACKGROUND, n_samples=7, stdevs=0.1).attributions,
        "noise_tunnel": engine.noise_tunnel(m, X, nt_samples=6, stdevs=0.3).attributions,
    }


def test_same_seed_same_bits_any_thread_count():
    m = model()
    results = []
    for threads in (1, 2, 4):
        with lumen.Engine(backend="cpu", threads=threads, seed=123) as engine:
            results.append(sampled(engine, m))
    for other in results[1:]:
        for name, values in results[0].items():
            assert np.array_equal(values, other[name]), name


def test_different_seed_different_samples():
    m = model()
    with lumen.Engine(backend="cpu", seed=1) as a, lumen.Engine(backend="cpu", seed=2) as b:
        first, second = sampled(a, m), sampled(b, m)
    for name in first:
        assert not np.array_equal(first[name], second[name]), name
    # The seed is in the audit record.
    with lumen.Engine(backend="cpu", seed=99) as engine:
        assert engine.kernel_shap(m, X, BACKGROUND, budget=60).audit["audit"]["seed"] == 99


def test_one_engine_from_many_python_threads():
    m = model(concurrent=True)
    with lumen.Engine(backend="cpu", threads=4, seed=5) as engine:
        reference = engine.kernel_shap(m, X, BACKGROUND, budget=60).attributions
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(lambda _: engine.kernel_shap(m, X, BACKGROUND, budget=60).attributions, range(12)))
    for values in results:
        assert np.array_equal(values, reference)


def test_serialised_model_never_overlaps():
    in_flight, overlaps, lock = [0], [0], threading.Lock()

    def slow(x):
        with lock:
            in_flight[0] += 1
            overlaps[0] += in_flight[0] > 1
        time.sleep(0.0005)  # releases the GIL: another worker could enter if Lumen let it
        with lock:
            in_flight[0] -= 1
        return f(x)

    m = lumen.Model(slow, input_len=8, concurrent=False)
    with lumen.Engine(backend="cpu", threads=4) as engine, ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: engine.feature_ablation(m, X, perturbations_per_eval=1), range(3)))
    assert overlaps[0] == 0


def test_concurrent_model_overlaps_on_engine_threads():
    """With concurrent=True the callable is entered from Lumen's worker threads (never the
    caller's), each taking the GIL; a callable that releases the GIL (sleep, large numpy
    operations) runs on several of them at once."""
    callers, active, peak, lock = set(), [0], [0], threading.Lock()

    def predict(x):
        with lock:
            callers.add(threading.get_ident())
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.002)
        with lock:
            active[0] -= 1
        return f(x)

    m = lumen.Model(predict, input_len=8, concurrent=True)
    with lumen.Engine(backend="cpu", threads=4) as engine:
        engine.feature_ablation(m, np.tile(X, (4, 1)), perturbations_per_eval=1)
    assert threading.get_ident() not in callers
    assert len(callers) >= 2 and peak[0] >= 2


def test_exceptions_go_to_the_failing_thread():
    def predict(x):
        raise RuntimeError(f"first value {x[0, 0]:.0f}")

    m = lumen.Model(predict, input_len=8, concurrent=True)

    def run(t):
        row = np.zeros(8, dtype=np.float32)
        row[0] = 100 + t
        with pytest.raises(lumen.ModelCallbackError) as caught:
            engine.feature_ablation(m, row, baseline=100 + t)
        return str(caught.value.__cause__)

    with lumen.Engine(backend="cpu", threads=4) as engine, ThreadPoolExecutor(max_workers=4) as pool:
        messages = list(pool.map(run, range(8)))
    assert messages == [f"first value {100 + t}" for t in range(8)]
