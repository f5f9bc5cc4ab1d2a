"""Float64 models (``dtype=numpy.float64``): the caller's float64 data reaches the model
bit for bit through the ``_f64`` exports, results come back float64, every method agrees
with the same model declared float32, KernelSHAP's exact mode equals brute-force Shapley
values to 1e-12, and a float32 model given float64 data warns once."""

import ctypes
import itertools
import math
import warnings

import numpy as np
import pytest

import lumen
from lumen import _native
from lumen.errors import error_for

W = np.array([[0.5, -1.0, 2.0, 0.25], [-0.75, 1.5, 0.5, -2.0]])
B = np.array([0.1, -0.3])
#: Inputs float32 holds exactly, so a float32 and a float64 model see the same numbers.
X = np.array([[1.0, 2.0, -1.0, 0.5], [-0.5, 1.0, 3.0, 2.0]], dtype=np.float32)
BASELINE = np.array([0.25, -0.5, 1.0, 0.0], dtype=np.float32)
#: float32 cannot hold it: float32(123456789.01) == 123456792.0.
UNROUNDABLE = 123456789.01


class Recorder:
    """A linear model (input ``(1, 2, 2)``, two outputs) that records every batch it is
    given; its gradient and a Grad-CAM layer (the input itself) in closed form."""

    def __init__(self) -> None:
        self.batches: list[np.ndarray] = []

    def predict(self, x):
        self.batches.append(np.array(x, copy=True))
        return x.reshape(len(x), -1) @ W.T + B

    def gradient(self, x, targets):
        return W[targets].reshape(x.shape)

    def layer_gradient(self, x, targets):
        return x.reshape(len(x), 1, 2, 2), W[targets].reshape(len(x), 1, 2, 2)

    def model(self, dtype=np.float64) -> lumen.Model:
        return lumen.Model(
            self.predict,
            output_len=2,
            input_shape=(1, 2, 2),
            gradient=self.gradient,
            layer_gradient=self.layer_gradient,
            layer_shape=(1, 2, 2),
            dtype=dtype,
        )

    def rows(self) -> np.ndarray:
        return np.concatenate([b.reshape(len(b), -1) for b in self.batches])


def logistic(x):
    x = np.atleast_2d(x)
    return 1.0 / (1.0 + np.exp(-(2 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] - 1)))


TRAINING = np.stack(
    [(np.arange(40) % 8) * 0.5 - 1, (np.arange(40) % 5) * 0.5, (np.arange(40) % 3) - 1.0], axis=1
).astype(np.float32)


@pytest.fixture
def engine():
    with lumen.Engine(backend="cpu", threads=2, seed=7) as e:
        yield e


def test_dtype_is_declared_and_checked():
    assert Recorder().model().dtype == np.float64
    assert Recorder().model("float64").dtype == np.float64
    assert Recorder().model(np.float32).dtype == np.float32
    assert lumen.Model(lambda x: x.sum(axis=1), input_len=2).dtype == np.float32
    for bad in ("int32", np.float16, None, "no such type"):
        with pytest.raises(lumen.InvalidInputError, match="dtype"):
            lumen.Model(lambda x: x.sum(axis=1), input_len=2, dtype=bad)


def test_float64_inputs_and_baselines_reach_the_model_bit_for_bit(engine):
    recorder = Recorder()
    x = np.array([UNROUNDABLE, 0.1, -1.0 / 3.0, 2.0**-40], dtype=np.float64)
    baseline = np.array([math.pi, 1e-300, -UNROUNDABLE, 0.7], dtype=np.float64)
    with recorder.model() as model:
        ex = engine.feature_ablation(model, x, baseline=baseline)
        rows = recorder.rows()
        assert rows.dtype == np.float64
        # the unperturbed row and the all-baseline columns arrive exactly
        assert any(np.array_equal(row, x) for row in rows)
        for i in range(4):
            assert any(row[i] == baseline[i] and np.array_equal(np.delete(row, i), np.delete(x, i)) for row in rows)
        assert ex.dtype == np.float64
        assert ex.attributions.dtype == ex.predictions.dtype == ex.base_values.dtype == np.float64
        # float32 would be off by units here (float32(123456789.01) == 123456792)
        np.testing.assert_allclose(ex.predictions[0], x @ W.T + B, rtol=1e-15)
        np.testing.assert_allclose(ex.attributions[0], W * (x - baseline), rtol=1e-12, atol=1e-6)

        recorder.batches.clear()
        background = np.array([[1e-9, UNROUNDABLE, 0.3, -0.3], [0.2, 0.4, 0.6, 0.8]])
        engine.kernel_shap(model, x, background)
        rows = recorder.rows()
        assert any(np.array_equal(row, background[0]) for row in rows)
        assert any(np.array_equal(row, x) for row in rows)

        recorder.batches.clear()
        engine.occlusion(model, x, window_shape=(1, 1, 1), baseline=UNROUNDABLE)
        assert any(row[0] == x[0] and row[1] == UNROUNDABLE for row in recorder.rows())


def test_float32_results_stay_float32(engine):
    with Recorder().model(np.float32) as model:
        ex = engine.saliency(model, X)
        assert ex.dtype == np.float32 and ex.attributions.dtype == np.float32
        assert ex.predictions.dtype == ex.base_values.dtype == np.float32


METHODS = {
    "occlusion": lambda e, m: e.occlusion(m, X, window_shape=(1, 1, 2), baseline=BASELINE),
    "feature_ablation": lambda e, m: e.feature_ablation(m, X, baseline=BASELINE),
    "kernel_shap": lambda e, m: e.kernel_shap(m, X, BASELINE[None, :]),
    "kernel_shap_sampled": lambda e, m: e.kernel_shap(m, X, np.stack([BASELINE, -BASELINE]), budget=10),
    "shapley_sampling": lambda e, m: e.shapley_sampling(m, X, np.stack([BASELINE, BASELINE * 2])),
    "integrated_gradients": lambda e, m: e.integrated_gradients(m, X, baseline=BASELINE),
    "integrated_gradients_scalar": lambda e, m: e.integrated_gradients(m, X, baseline=0.5),
    "saliency": lambda e, m: e.saliency(m, X, abs=False),
    "gradient_shap": lambda e, m: e.gradient_shap(m, X, np.stack([BASELINE, -BASELINE]), n_samples=8, stdevs=0.25),
    "noise_tunnel": lambda e, m: e.noise_tunnel(
        m, X, base="integrated_gradients", nt_samples=4, stdevs=0.5, baseline=BASELINE
    ),
    "grad_cam": lambda e, m: e.grad_cam(m, X),
}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_agrees_with_the_float32_model(method):
    results = {}
    for dtype in (np.float32, np.float64):
        with lumen.Engine(backend="cpu", threads=2, seed=11) as engine, Recorder().model(dtype) as model:
            ex = METHODS[method](engine, model)
            assert ex.dtype == dtype
            results[dtype] = (ex.attributions, ex.predictions, ex.base_values, ex.standard_errors)
            assert results[dtype][0].dtype == dtype
    for single, double in zip(results[np.float32], results[np.float64]):
        assert (single is None) == (double is None)
        if single is not None:
            assert double.dtype == np.float64
            np.testing.assert_allclose(double, single, rtol=2e-5, atol=2e-5)


def test_reason_codes_carry_the_exact_attributions(engine):
    x = np.array([UNROUNDABLE, 0.1, -1.0 / 3.0, 2.0**-40], dtype=np.float64)
    baseline = np.array([math.pi, 1e-300, -UNROUNDABLE, 0.7], dtype=np.float64)
    for dtype in (np.float64, np.float32):
        with Recorder().model(dtype) as model:
            ex = engine.feature_ablation(model, x.astype(dtype), baseline=baseline.astype(dtype))
        values = ex.attributions[0]
        if dtype == np.float64:  # values a float would round, so a float contribution could not pass
            assert any(float(np.float32(v)) != v for v in values.ravel())
        for output in (0, 1):
            codes = ex.reason_codes(0, output, k=4, direction="lowered")
            codes += ex.reason_codes(0, output, k=4, direction="raised")
            assert sorted(c.feature for c in codes) == [i for i in range(4) if values[output, i] != 0]
            assert all(c.contribution == float(values[output, c.feature]) for c in codes)


def test_counterfactuals_of_a_float64_model_agree_with_float32(engine):
    found = {}
    declined = np.array([-0.5, 1.0, 0.0], dtype=np.float32)
    for dtype in (np.float32, np.float64):
        with lumen.Engine(backend="cpu", seed=42) as engine, lumen.Model(logistic, input_len=3, dtype=dtype) as model:
            found[dtype] = engine.counterfactuals(
                model, declined, TRAINING, immutable=[2], sampling="column", generations=20, runs=2
            )
    single, double = found[np.float32], found[np.float64]
    assert single.instance(0).count == double.instance(0).count > 0
    for a, b in zip(single[0], double[0]):
        assert a.row.dtype == np.float32 and b.row.dtype == np.float64
        np.testing.assert_allclose(b.row, a.row, atol=1e-6)
        assert b.changed == a.changed and b.success == a.success
        assert b.target_probability == pytest.approx(a.target_probability, abs=1e-6)
        assert b.target_probability == pytest.approx(logistic(b.row.astype(np.float64))[0], abs=1e-15)


def test_counterfactual_rows_of_a_float64_model_keep_the_training_values(engine):
    training = TRAINING.astype(np.float64) + np.array([0.1, 1.0 / 3.0, 0.0])  # float32 cannot hold these
    with lumen.Model(logistic, input_len=3, dtype=np.float64) as model:
        found = engine.counterfactuals(model, np.array([-0.5, 1.0, 0.0]), training, sampling="column", runs=2)
    columns = [set(training[:, c].tolist()) | {[-0.5, 1.0, 0.0][c]} for c in range(3)]
    assert found[0]
    for cf in found[0]:
        assert all(value in columns[c] for c, value in enumerate(cf.row.tolist()))


def brute_force_shapley(f, x, background, weights):
    """Exact interventional Shapley values of ``f`` at ``x`` over a weighted background."""
    m = len(x)
    weights = np.asarray(weights) / np.sum(weights)

    def value(coalition):
        rows = background.copy()
        rows[:, list(coalition)] = x[list(coalition)]
        return float(weights @ f(rows))

    phi = np.zeros(m)
    for i in range(m):
        others = [j for j in range(m) if j != i]
        for size in range(m):
            for s in itertools.combinations(others, size):
                w = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
                phi[i] += w * (value((*s, i)) - value(s))
    return phi


def test_kernel_shap_exact_equals_brute_force_shapley_to_1e_12(engine):
    def f(x):
        x = np.atleast_2d(x)
        return np.sin(x[:, 0]) * x[:, 1] + np.exp(0.3 * x[:, 2]) * x[:, 3] ** 2 - x[:, 0] * x[:, 3] / 7.0

    x = np.array([0.1, 1.0 / 3.0, -0.7, 1.9])
    background = np.array([[0.2, -0.4, 1.1, 0.3], [-1.3, 0.05, 0.6, -0.9], [0.7, 2.0 / 3.0, -0.25, 0.45]])
    weights = np.array([0.5, 1.25, 2.0])
    with lumen.Model(f, input_len=4, dtype="float64") as model:
        ex = engine.kernel_shap(model, x, background, background_weights=weights)
    assert ex.sampling is not None and ex.sampling[0].exact
    want = brute_force_shapley(f, x, background, weights)
    np.testing.assert_allclose(ex.attributions[0, 0], want, rtol=0, atol=1e-12)
    assert ex.predictions[0, 0] == f(x)[0]
    assert abs(ex.attributions.sum() - (ex.predictions[0, 0] - ex.base_values[0, 0])) < 1e-12


def precision_warnings(record):
    return [w for w in record if issubclass(w.category, lumen.PrecisionWarning)]


def test_float64_data_given_to_a_float32_model_warns_once_per_model(engine):
    lossy = np.array([[UNROUNDABLE, 0.1, 0.2, 0.3]])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with Recorder().model(np.float32) as model:
            engine.saliency(model, lossy)
            engine.kernel_shap(model, lossy, lossy * 2)
            engine.occlusion(model, X, window_shape=(1, 1, 1), baseline=0.1)
        found = precision_warnings(record)
        assert len(found) == 1
        message = str(found[0].message)
        assert "inputs" in message and "rounded to float32" in message and "dtype=numpy.float64" in message
        assert found[0].filename == __file__  # attributed to the caller, not to lumen
        # float32 data, float64 data float32 holds exactly and a float64 model: no warning
        with Recorder().model(np.float32) as model:
            engine.saliency(model, X)
            engine.saliency(model, np.zeros((1, 4)))
            engine.feature_ablation(model, X.astype(np.float64), baseline=0.5)
        with Recorder().model(np.float64) as model:
            engine.saliency(model, lossy)
            engine.saliency(model, X)
        assert len(precision_warnings(record)) == 1
        # once per model: a new model warns again, here for a baseline
        with Recorder().model(np.float32) as model:
            engine.occlusion(model, X, window_shape=(1, 1, 1), baseline=0.1)
            engine.occlusion(model, X, window_shape=(1, 1, 1), baseline=0.1)
        found = precision_warnings(record)
        assert len(found) == 2 and "baseline" in str(found[1].message)


def test_float32_model_rounds_as_before_after_the_warning(engine):
    recorder = Recorder()
    with recorder.model(np.float32) as model, pytest.warns(lumen.PrecisionWarning):
        engine.saliency(model, [UNROUNDABLE, 0.0, 0.0, 0.0])
    assert recorder.rows().dtype == np.float32
    assert float(recorder.rows()[0, 0]) == 123456792.0  # float32's nearest


def test_element_type_mismatch_surfaces_as_its_exception(engine):
    """The binding always picks the model's exports; the raw C ABI shows the status."""
    with Recorder().model(np.float32) as model:
        x = np.zeros(4)
        options = _native.lib.lumen_saliency_options_default()
        out = ctypes.c_void_p()
        status = _native.lib.lumen_engine_explain_saliency_f64(
            engine._handle, model._handle, x.ctypes.data_as(_native.c_double_p), 4, 1, ctypes.byref(options), out
        )
        assert status == lumen.Status.ELEMENT_TYPE_MISMATCH
        with pytest.raises(lumen.ElementTypeMismatchError) as raised:
            model.raise_for(status)
        assert isinstance(raised.value, lumen.InvalidInputError) and isinstance(raised.value, ValueError)
        assert raised.value.status_name == "LUMEN_STATUS_ELEMENT_TYPE_MISMATCH"
    with Recorder().model(np.float64) as model:
        options = _native.lib.lumen_integrated_gradients_options_default()
        baseline = np.zeros(4, dtype=np.float32)
        options.baseline, options.baseline_len = baseline.ctypes.data_as(_native.c_float_p), 4
        status = _native.lib.lumen_engine_explain_integrated_gradients_f64(
            engine._handle, model._handle, x.ctypes.data_as(_native.c_double_p), 4, 1, ctypes.byref(options), out
        )
        assert status == lumen.Status.ELEMENT_TYPE_MISMATCH
    unsupported = error_for(lumen.Status.ELEMENT_TYPE_UNSUPPORTED, "double model in device memory")
    assert isinstance(unsupported, lumen.ElementTypeUnsupportedError)
    assert isinstance(unsupported, lumen.InvalidInputError)


# -- TimeSHAP -------------------------------------------------------------------------

FEATURES = 2
EVENT_WEIGHTS = np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]])


class SequenceRecorder:
    """A linear sequence model over the last three events that records its batches."""

    def __init__(self) -> None:
        self.batches: list[np.ndarray] = []

    def predict(self, x):
        self.batches.append(np.array(x, copy=True))
        return np.einsum("rtf,tf->r", x[:, -3:, :], EVENT_WEIGHTS[-x.shape[1] :])

    def model(self, dtype=np.float64) -> lumen.SequenceModel:
        return lumen.SequenceModel(self.predict, features=FEATURES, dtype=dtype)


SEQUENCE = np.array([[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]], dtype=np.float32)
EVENT = np.array([0.5, 0.5], dtype=np.float32)


def test_timeshap_on_a_float64_sequence_model_agrees_with_float32(engine):
    results = {}
    for dtype in (np.float32, np.float64):
        with SequenceRecorder().model(dtype) as model:
            ex = engine.explain_timeshap(model, SEQUENCE, "event", background=EVENT)
            assert ex.values.dtype == dtype and ex.explanation.dtype == dtype
            pruning = engine.timeshap_prune(model, SEQUENCE, background=EVENT, tolerance=0.0)
            curve = engine.timeshap_pruning_curve(model, SEQUENCE, background=EVENT, tolerance=0.0)
            report = engine.timeshap_global(model, [SEQUENCE, SEQUENCE[1:]], background=EVENT, seeds=2)
            results[dtype] = (ex.values, ex.prediction, ex.base_value, pruning, curve, report.most_recent_share)
    (v32, p32, b32, prune32, curve32, share32), (v64, p64, b64, prune64, curve64, share64) = results.values()
    np.testing.assert_allclose(v64, v32, atol=1e-5)
    assert p64 == pytest.approx(p32, abs=1e-5) and b64 == pytest.approx(b32, abs=1e-5)
    assert prune64.pruned_len == prune32.pruned_len
    assert curve64.pruning_index == curve32.pruning_index
    assert [p.t for p in curve64.points] == [p.t for p in curve32.points]
    assert share64.mean == pytest.approx(share32.mean, abs=1e-5)


def test_timeshap_float64_sequences_reach_the_model_bit_for_bit(engine):
    recorder = SequenceRecorder()
    sequence = np.array([[UNROUNDABLE, 0.1], [1.0 / 3.0, -0.2], [0.7, 2.0**-30]])
    background = np.array([0.3, -UNROUNDABLE])
    with recorder.model() as model:
        ex = engine.explain_timeshap(model, sequence, "feature", background=background)
        # training events whose mean event is the background, also passed as float64
        trained = engine.explain_timeshap(model, sequence, "feature", training_events=np.stack([background] * 2))
        np.testing.assert_array_equal(trained.values, ex.values)
    seen = [s for b in recorder.batches for s in b]
    assert all(s.dtype == np.float64 for s in seen)
    assert any(s.shape == sequence.shape and np.array_equal(s, sequence) for s in seen)
    assert any(np.array_equal(s[0], background) for s in seen)
    assert ex.prediction == pytest.approx(float(recorder.predict(sequence[None])[0]), rel=1e-15)
    assert ex.values.sum() == pytest.approx(ex.prediction - ex.base_value, rel=1e-12)
