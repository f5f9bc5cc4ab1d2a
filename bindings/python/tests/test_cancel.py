"""Stopping and watching calls: timeouts, progress callbacks, cancel tokens from other
threads, Ctrl-C (SIGINT) in a child process and in this one, per-call model parallelism,
re-entry from a model callback, and the engine reused after every kind of stop.

No assertion here is about speed: the bounds only tell "stopped early" from "ran to the
end" (a stopped call would otherwise run for minutes). The measured latency is in
benchmarks/cancel_latency.py."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import BASELINE, X, linear_predict

import lumen

PACKAGE_DIR = Path(__file__).resolve().parent.parent
rng = np.random.default_rng(5)
WEIGHTS = rng.normal(size=12)
BACKGROUND = rng.normal(size=(20, 12)).astype(np.float32)
ROWS = rng.normal(size=(6, 12)).astype(np.float32)


def smooth(x):
    return np.tanh(x.astype(np.float64) @ WEIGHTS) + 0.3 * x[:, 0] * x[:, 1]


class Slow:
    """A model that sleeps ``pause`` seconds per batch (releasing the GIL, as a native
    model would) and counts its batches."""

    def __init__(self, pause=0.005):
        self.pause = pause
        self.batches = 0
        self.lock = threading.Lock()

    def __call__(self, x):
        with self.lock:
            self.batches += 1
        time.sleep(self.pause)
        return smooth(x)


def slow_model(pause=0.005, concurrent=False):
    slow = Slow(pause)
    return slow, lumen.Model(slow, input_len=12, max_batch_rows=64, concurrent=concurrent)


def long_kernel_shap(engine, model, **control):
    """About 6 × 4094 × 20 / 64 ≈ 7700 batches: minutes with a 5 ms model."""
    return engine.kernel_shap(model, ROWS, BACKGROUND, budget=4096, **control)


def reference(engine_seed=3):
    with lumen.Engine(backend="cpu", threads=2, seed=engine_seed) as engine, lumen.Model(smooth, input_len=12) as model:
        return engine.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300).attributions


def assert_engine_still_works(engine, model):
    np.testing.assert_array_equal(engine.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300).attributions, reference())


@pytest.fixture
def engine3():
    with lumen.Engine(backend="cpu", threads=2, seed=3) as e:
        yield e


def busy_helpers(wait=0.0):
    """The helper threads (of main-thread calls) that are not parked for the next call,
    after waiting up to ``wait`` seconds for them to park."""
    from lumen import cancel

    deadline = time.monotonic() + wait
    while True:
        idle = {helper._thread for helper in cancel._IDLE}
        busy = [t for t in threading.enumerate() if t.name == "lumen-call" and t not in idle]
        if not busy or time.monotonic() >= deadline:
            return busy
        time.sleep(0.01)


# -- errors and validation ---------------------------------------------------------------


def test_exception_classes():
    assert issubclass(lumen.DeadlineExceededError, TimeoutError)
    assert issubclass(lumen.InvalidStateError, RuntimeError)
    assert issubclass(lumen.NonFiniteResultError, ArithmeticError)
    for cls in (lumen.CancelledError, lumen.DeadlineExceededError, lumen.InvalidStateError, lumen.NonFiniteResultError):
        assert issubclass(cls, lumen.LumenError)
    from lumen.errors import error_for

    expected = {
        lumen.Status.INVALID_STATE: lumen.InvalidStateError,
        lumen.Status.OUT_OF_MEMORY: lumen.OutOfMemoryError,
        lumen.Status.NON_FINITE_RESULT: lumen.NonFiniteResultError,
        lumen.Status.CANCELLED: lumen.CancelledError,
        lumen.Status.DEADLINE_EXCEEDED: lumen.DeadlineExceededError,
    }
    for status, cls in expected.items():
        error = error_for(status, "m")
        assert type(error) is cls and error.status == status


@pytest.mark.parametrize(
    ("control", "match"),
    [
        ({"timeout": 0}, "timeout: is 0"),
        ({"timeout": -1.0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": "soon"}, "timeout"),
        ({"max_model_threads": 0}, "max_model_threads: is 0"),
        ({"max_model_threads": 1.5}, "max_model_threads"),
        ({"progress": 3}, "progress: is 3"),
        ({"cancel": threading.Event()}, "cancel: .* expected a lumen.CancelToken"),
    ],
)
def test_bad_control_arguments(engine, linear, control, match):
    with pytest.raises(lumen.InvalidInputError, match=match) as caught:
        engine.feature_ablation(linear, X, **control)
    assert caught.value.status == lumen.Status.INVALID_ARGUMENT


def test_cancel_token_state_and_lifetime():
    token = lumen.CancelToken()
    assert not token.cancelled and "not cancelled" in repr(token)
    token.cancel()
    token.cancel()
    assert token.cancelled
    token.reset()
    assert not token.cancelled
    with token as same:
        assert same is token
    assert token.closed and "closed" in repr(token)
    token.close()
    for use in (token.cancel, token.reset, lambda: token.cancelled):
        with pytest.raises(lumen.InvalidStateError, match="closed"):
            use()


def test_closed_token_cannot_be_watched(engine, linear):
    token = lumen.CancelToken()
    token.close()
    with pytest.raises(lumen.InvalidStateError, match="closed"):
        engine.feature_ablation(linear, X, cancel=token)
    assert engine.feature_ablation(linear, X).attributions.shape == (2, 2, 4)


# -- every method watches its control --------------------------------------------------


def sequence_predict(x):
    return x.astype(np.float64).sum(axis=(1, 2))[:, None] * 0.1


def every_method(engine, linear):
    seq = lumen.SequenceModel(sequence_predict, features=2)
    sequence = rng.normal(size=(6, 2)).astype(np.float32)
    binary = lumen.Model(lambda x: 1 / (1 + np.exp(-(x @ np.array([1.0, -1.0, 0.5, 0.2])))), input_len=4)
    return {
        "occlusion": lambda **c: engine.occlusion(linear, X, [1], **c),
        "feature_ablation": lambda **c: engine.feature_ablation(linear, X, **c),
        "kernel_shap": lambda **c: engine.kernel_shap(linear, X, BASELINE, **c),
        "shapley_sampling": lambda **c: engine.shapley_sampling(linear, X, BASELINE, **c),
        "integrated_gradients": lambda **c: engine.integrated_gradients(linear, X, **c),
        "saliency": lambda **c: engine.saliency(linear, X, **c),
        "gradient_shap": lambda **c: engine.gradient_shap(linear, X, BASELINE, **c),
        "noise_tunnel": lambda **c: engine.noise_tunnel(linear, X, nt_samples=3, **c),
        "counterfactuals": lambda **c: engine.counterfactuals(binary, X[:1], rng.normal(size=(30, 4)), **c),
        "timeshap_prune": lambda **c: engine.timeshap_prune(seq, sequence, tolerance=0.1, background=[0, 0], **c),
        "explain_timeshap": lambda **c: engine.explain_timeshap(seq, sequence, background=[0, 0], **c),
        "timeshap_global": lambda **c: engine.timeshap_global(
            seq, [sequence, sequence[:4]], background=[0, 0], tolerances=[0.1], seeds=2, **c
        ),
    }


METHODS = [
    "occlusion",
    "feature_ablation",
    "kernel_shap",
    "shapley_sampling",
    "integrated_gradients",
    "saliency",
    "gradient_shap",
    "noise_tunnel",
    "counterfactuals",
    "timeshap_prune",
    "explain_timeshap",
    "timeshap_global",
]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_stops_on_a_cancelled_token_and_reports_progress(engine, linear, method):
    run = every_method(engine, linear)[method]
    with lumen.CancelToken() as token:
        token.cancel()
        with pytest.raises(lumen.CancelledError, match="cancel token"):
            run(cancel=token)
        assert token.cancelled
        token.reset()
        seen = []
        result = run(cancel=token, progress=seen.append, timeout=600, max_model_threads=1)
    assert result is not None
    assert all(0 <= a <= b <= 1 for a, b in zip(seen, seen[1:]))
    assert seen and seen[-1] == 1.0 and seen.count(1.0) == 1


# -- timeout, progress, tokens ------------------------------------------------------------


def test_timeout_raises_deadline_exceeded_and_the_engine_goes_on(engine3):
    slow, model = slow_model()
    started = time.monotonic()
    with pytest.raises(lumen.DeadlineExceededError, match="timeout of 200 ms") as caught:
        long_kernel_shap(engine3, model, timeout=0.2)
    elapsed = time.monotonic() - started
    assert isinstance(caught.value, TimeoutError) and caught.value.status == lumen.Status.DEADLINE_EXCEEDED
    assert elapsed < 20, f"a 0.2 s deadline took {elapsed:.1f} s"
    assert slow.batches < 7000
    assert_engine_still_works(engine3, model)


def test_progress_is_monotonic_and_ends_at_one(engine3):
    with lumen.Model(smooth, input_len=12, max_batch_rows=64) as model:
        seen = []
        ex = engine3.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300, progress=seen.append)
        np.testing.assert_array_equal(ex.attributions, reference())
    assert len(seen) > 10
    assert all(0 < f <= 1 for f in seen)
    assert all(a < b for a, b in zip(seen, seen[1:])), "progress went backwards or repeated"
    assert seen[-1] == 1.0 and seen.count(1.0) == 1


def test_progress_returning_false_cancels(engine3):
    _, model = slow_model(pause=0.001)
    seen = []

    def progress(fraction):
        seen.append(fraction)
        return fraction < 0.01

    with pytest.raises(lumen.CancelledError, match="progress callback") as caught:
        long_kernel_shap(engine3, model, progress=progress)
    assert caught.value.status == lumen.Status.CANCELLED
    assert seen[-1] >= 0.01 and seen[-1] < 0.5
    assert_engine_still_works(engine3, model)


def test_progress_returning_none_or_true_goes_on(engine3):
    with lumen.Model(smooth, input_len=12) as model:
        for answer in (None, True):
            ex = engine3.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300, progress=lambda f, a=answer: a)
            np.testing.assert_array_equal(ex.attributions, reference())


class ProgressBroke(Exception):
    pass


def test_progress_exception_stops_the_call_and_is_reraised(engine3):
    _, model = slow_model(pause=0.001)
    calls = []

    def progress(fraction):
        calls.append(fraction)
        if fraction > 0.005:
            raise ProgressBroke(f"at {fraction}")

    with pytest.raises(ProgressBroke, match="at 0.0"):
        long_kernel_shap(engine3, model, progress=progress)
    assert calls[-1] < 0.5, "the call went on after its progress callback raised"
    assert_engine_still_works(engine3, model)


def test_progress_exception_at_the_end_is_reraised_and_the_result_dropped(engine3):
    with lumen.Model(smooth, input_len=12) as model:

        def progress(fraction):
            if fraction == 1.0:
                raise KeyError("last report")

        with pytest.raises(KeyError, match="last report"):
            engine3.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300, progress=progress)
        assert model._callbacks.raised == {}
        assert_engine_still_works(engine3, model)


def test_token_cancelled_from_another_thread_then_reused(engine3):
    _, model = slow_model()
    with lumen.CancelToken() as token:
        timer = threading.Timer(0.3, token.cancel)
        timer.start()
        started = time.monotonic()
        with pytest.raises(lumen.CancelledError, match="cancel token"):
            long_kernel_shap(engine3, model, cancel=token)
        timer.join()
        assert time.monotonic() - started < 20
        assert token.cancelled
        with pytest.raises(lumen.CancelledError):
            engine3.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300, cancel=token)
        token.reset()
        ex = engine3.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300, cancel=token)
        np.testing.assert_array_equal(ex.attributions, reference())
    assert busy_helpers() == []


def test_one_token_stops_calls_on_several_threads(engine3):
    models = [slow_model(concurrent=True) for _ in range(3)]
    errors = []

    def explain(model):
        try:
            long_kernel_shap(engine3, model, cancel=token)
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    with lumen.CancelToken() as token:
        threads = [threading.Thread(target=explain, args=(m,)) for _, m in models]
        for t in threads:
            t.start()
        while sum(slow.batches for slow, _ in models) < 6:
            time.sleep(0.01)
        token.cancel()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
    assert len(errors) == 3 and all(isinstance(e, lumen.CancelledError) for e in errors), errors
    assert_engine_still_works(engine3, models[0][1])


def test_token_cancelled_from_inside_the_model(engine3):
    token = lumen.CancelToken()
    batches = []

    def predict(x):
        batches.append(len(x))
        if len(batches) == 3:
            token.cancel()
        return smooth(x)

    with lumen.Model(predict, input_len=12, max_batch_rows=64) as model, pytest.raises(lumen.CancelledError):
        engine3.kernel_shap(model, ROWS, BACKGROUND, budget=4096, cancel=token)
    assert len(batches) < 100
    token.close()


def test_max_model_threads_bounds_overlapping_model_calls():
    active, peak = [0], [0]
    lock = threading.Lock()

    def predict(x):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.002)
        with lock:
            active[0] -= 1
        return smooth(x)

    model = lumen.Model(predict, input_len=12, max_batch_rows=16, concurrent=True)
    with lumen.Engine(backend="cpu", threads=4, seed=3) as engine, model:
        unlimited = engine.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300)
        assert peak[0] > 1, "the model's calls never overlapped: this test shows nothing"
        peak[0] = 0
        limited = engine.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300, max_model_threads=1)
        assert peak[0] == 1
        np.testing.assert_array_equal(limited.attributions, unlimited.attributions)
        np.testing.assert_array_equal(limited.attributions, reference())


# -- re-entry -----------------------------------------------------------------------------


@pytest.mark.parametrize("concurrent", [False, True])
def test_model_calling_back_into_lumen_gets_invalid_state(engine3, concurrent):
    inner_errors = []
    inner_model = lumen.Model(smooth, input_len=12)

    def predict(x):
        if not inner_errors:
            try:
                engine3.kernel_shap(inner_model, ROWS[:1], BACKGROUND, budget=50)
            except lumen.LumenError as error:
                inner_errors.append(error)
            else:
                inner_errors.append(None)
        return smooth(x)

    with lumen.Model(predict, input_len=12, concurrent=concurrent) as model:
        ex = engine3.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300)
        np.testing.assert_array_equal(ex.attributions, reference())
    assert len(inner_errors) == 1
    error = inner_errors[0]
    assert isinstance(error, lumen.InvalidStateError), error
    assert error.status == lumen.Status.INVALID_STATE
    assert "inside a model callback" in str(error)
    assert_engine_still_works(engine3, inner_model)


def test_reentry_error_raised_by_the_model_reaches_the_caller(engine3):
    def predict(x):
        engine3.feature_ablation(lumen.Model(linear_predict, input_len=4, output_len=2), X)
        return smooth(x)

    with lumen.Model(predict, input_len=12) as model, pytest.raises(lumen.ModelCallbackError) as caught:
        engine3.kernel_shap(model, ROWS[:1], BACKGROUND, budget=50)
    assert isinstance(caught.value.__cause__, lumen.InvalidStateError)


def test_progress_calling_back_into_lumen_gets_invalid_state(engine3):
    errors = []
    with lumen.Model(smooth, input_len=12) as model:

        def progress(fraction):
            if not errors:
                try:
                    engine3.kernel_shap(model, ROWS[:1], BACKGROUND, budget=50)
                except lumen.InvalidStateError as error:
                    errors.append(error)

        ex = engine3.kernel_shap(model, ROWS[:2], BACKGROUND, budget=300, progress=progress)
        np.testing.assert_array_equal(ex.attributions, reference())
    assert len(errors) == 1


# -- Ctrl-C -------------------------------------------------------------------------------

CHILD = r"""
import sys
import numpy as np
import lumen

rng = np.random.default_rng(0)
W1 = rng.normal(size=(12, 2048)).astype(np.float32)
w2 = rng.normal(size=2048).astype(np.float32)
batches = [0]

def predict(x):
    # native-speed numpy: the GIL is released inside the matrix product
    batches[0] += 1
    if batches[0] == 3:
        print("started", flush=True)
    return np.tanh(x @ W1) @ w2

model = lumen.Model(predict, input_len=12, max_batch_rows=512)
with lumen.Engine(backend="cpu", threads=2) as engine:
    # 20 rows x 4094 coalitions x 100 background rows: minutes of model time
    # float32 data: a float32 model given float64 would warn on stderr (lumen.PrecisionWarning)
    x, background = (rng.normal(size=(n, 12)).astype(np.float32) for n in (20, 100))
    engine.kernel_shap(model, x, background, budget=4096)
print("finished", flush=True)
"""


def child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PACKAGE_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONWARNINGS", None)
    return env


def test_sigint_stops_a_long_explanation_in_a_child_process():
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first == "started\n", first + child.stderr.read()
        time.sleep(0.2)
        os.kill(child.pid, signal.SIGINT)
        signalled = time.monotonic()
        stdout, stderr = child.communicate(timeout=60)
        elapsed = time.monotonic() - signalled
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert stdout == "", "the explanation went on after SIGINT"
    lines = stderr.strip().splitlines()
    assert lines and lines[0] == "Traceback (most recent call last):", stderr
    assert lines[-1] == "KeyboardInterrupt", stderr
    assert "Exception ignored" not in stderr and "Exception in thread" not in stderr, stderr
    assert stderr.count("Traceback") == 1, stderr
    # Python ends a process that dies of an uncaught KeyboardInterrupt with SIGINT.
    assert child.returncode == -signal.SIGINT, (child.returncode, stderr)
    assert elapsed < 30, f"exit took {elapsed:.1f} s after SIGINT"


def send_sigint_after(seconds):
    timer = threading.Timer(seconds, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="needs the main thread")
def test_keyboard_interrupt_cancels_the_call_and_leaves_nothing_behind(engine3):
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's default handler here")
    slow, model = slow_model()
    with lumen.CancelToken() as token:
        timer = send_sigint_after(0.3)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            long_kernel_shap(engine3, model, cancel=token)
        timer.join()
        assert time.monotonic() - started < 20
        assert not token.cancelled, "Ctrl-C cancels the call's own token, not the caller's"
        batches = slow.batches
        time.sleep(0.1)
        assert slow.batches == batches, "the model is still being called"
        assert busy_helpers() == []
        assert model._callbacks.raised == {}
        assert token._calls == set()
        assert_engine_still_works(engine3, model)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="needs the main thread")
def test_second_keyboard_interrupt_stops_waiting_for_a_stuck_batch(engine3):
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's default handler here")
    in_batch = threading.Event()
    batch_done = threading.Event()

    def predict(x):
        if not in_batch.is_set():
            in_batch.set()
            time.sleep(5)
            batch_done.set()
        return smooth(x)

    def interrupt_twice():
        if in_batch.wait(30):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGINT)

    with lumen.Model(predict, input_len=12, max_batch_rows=64) as model:
        interrupter = threading.Thread(target=interrupt_twice)
        try:
            with pytest.raises(KeyboardInterrupt):
                interrupter.start()
                long_kernel_shap(engine3, model)
            assert not batch_done.is_set(), "waited for the stuck batch despite the second Ctrl-C"
        finally:
            interrupter.join()
            batch_done.wait(30)
        assert busy_helpers(wait=30) == []
        assert model._callbacks.raised == {}
        assert_engine_still_works(engine3, model)


def test_main_thread_calls_reuse_their_helper_threads(engine, linear):
    from lumen import cancel

    for _ in range(50):
        engine.feature_ablation(linear, X)
    helpers = [t for t in threading.enumerate() if t.name == "lumen-call"]
    assert 1 <= len(helpers) <= cancel._IDLE_KEPT


FORK_CHILD = r"""
import os
import numpy as np
import lumen

model = lumen.Model(lambda x: x.sum(1), input_len=3)
with lumen.Engine(backend="cpu", threads=1) as engine:
    engine.feature_ablation(model, np.ones(3))  # leaves a parked helper thread
pid = os.fork()
if pid == 0:
    # The parked helper thread does not exist in the child: a new one must serve this
    # call. (An engine's own threads do not survive a fork either: a new engine.)
    with lumen.Engine(backend="cpu", threads=1) as engine:
        ok = engine.feature_ablation(model, np.ones(3)).attributions.sum() == 3
    os._exit(0 if ok else 1)
_, status = os.waitpid(pid, 0)
print("child exit", os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_wait_for_its_parents_helpers():
    run = subprocess.run(
        [sys.executable, "-c", FORK_CHILD], capture_output=True, text=True, env=child_env(), timeout=60, check=False
    )
    assert run.returncode == 0 and run.stdout == "child exit 0\n", run.stdout + run.stderr
