"""Bad input from Python gives Python exceptions with Lumen's messages, never a crash."""

import numpy as np
import pytest
from conftest import BASELINE, X, linear_predict

import lumen


class ScoringBackendDown(Exception):
    pass


def test_exception_hierarchy():
    assert issubclass(lumen.InvalidInputError, ValueError)
    assert issubclass(lumen.ModelCallbackError, lumen.ModelError)
    assert issubclass(lumen.ModelError, RuntimeError)
    assert issubclass(lumen.NotAvailableError, LookupError)
    assert all(
        issubclass(c, lumen.LumenError) for c in (lumen.InvalidInputError, lumen.ModelError, lumen.InternalError)
    )


def test_none_inputs(engine, linear):
    with pytest.raises(lumen.InvalidInputError, match="inputs: is None") as caught:
        engine.feature_ablation(linear, None)
    assert caught.value.status == lumen.Status.NULL_POINTER
    with pytest.raises(lumen.InvalidInputError, match="background: is None"):
        engine.kernel_shap(linear, X, None)
    with pytest.raises(lumen.InvalidInputError, match="baselines: is None"):
        engine.gradient_shap(linear, X, None)
    with pytest.raises(lumen.InvalidInputError, match="model"):
        engine.feature_ablation(None, X)
    with pytest.raises(lumen.InvalidInputError, match="predict"):
        lumen.Model(None, input_len=3)
    with pytest.raises(lumen.InvalidInputError, match="inputs"):
        engine.feature_ablation(linear, [["a", "b", "c", "d"]])


def test_wrong_lengths(engine, linear):
    with pytest.raises(lumen.InvalidInputError, match="inputs: length 7") as caught:
        engine.feature_ablation(linear, np.ones(7))
    assert caught.value.status == lumen.Status.LENGTH_MISMATCH
    assert caught.value.status_name == "LUMEN_STATUS_LENGTH_MISMATCH"
    with pytest.raises(lumen.InvalidInputError, match="inputs"):
        engine.feature_ablation(linear, np.ones((2, 3)))
    with pytest.raises(lumen.InvalidInputError, match="baseline"):
        engine.feature_ablation(linear, X, baseline=[1.0, 2.0])
    with pytest.raises(lumen.InvalidInputError, match="background"):
        engine.kernel_shap(linear, X, np.ones(5))
    with pytest.raises(lumen.InvalidInputError, match="feature_mask"):
        engine.feature_ablation(linear, X, feature_mask=[0, 1])
    with pytest.raises(lumen.InvalidInputError):
        engine.feature_ablation(linear, np.empty((0, 4)))
    with pytest.raises(lumen.InvalidInputError, match="input_shape"):
        lumen.Model(linear_predict, input_len=4, input_shape=(3, 2))


def test_non_finite_inputs(engine, linear):
    bad = X.copy()
    bad[1, 2] = np.nan
    with pytest.raises(lumen.InvalidInputError, match="inputs") as caught:
        engine.kernel_shap(linear, bad, BASELINE)
    assert caught.value.status == lumen.Status.NON_FINITE_INPUT
    with pytest.raises(lumen.InvalidInputError, match="baseline"):
        engine.occlusion(linear, X, window_shape=[1], baseline=[np.inf, 0, 0, 0])


def test_bad_options(engine, linear):
    with pytest.raises(lumen.InvalidInputError, match="link"):
        engine.kernel_shap(linear, X, BASELINE, link="probit")
    with pytest.raises(lumen.InvalidInputError, match="negative"):
        engine.kernel_shap(linear, X, BASELINE, targets=[-1])
    with pytest.raises(lumen.InvalidInputError, match="targets"):
        engine.kernel_shap(linear, X, BASELINE, targets=[5])
    with pytest.raises(lumen.InvalidInputError, match="backend"):
        lumen.Engine(backend="tpu")
    with pytest.raises(lumen.InvalidInputError, match="memory_budget_bytes"):
        lumen.Engine(memory_budget_bytes=0)
    with pytest.raises(lumen.InvalidInputError, match="window"):
        engine.occlusion(linear, X, window_shape=[])
    with pytest.raises(ValueError, match="direction"):
        engine.feature_ablation(linear, X).reason_codes(direction="up")
    with pytest.raises(lumen.InvalidInputError, match="row"):
        engine.feature_ablation(linear, X).reason_codes(row=9)
    try:
        lumen.Engine(backend="cuda")
    except lumen.NotAvailableError as error:
        assert error.status == lumen.Status.BACKEND_UNAVAILABLE


def test_raising_model_keeps_its_exception_as_cause(engine):
    calls = []

    def predict(x):
        calls.append(len(x))
        if len(calls) >= 2:
            raise ScoringBackendDown("scoring backend down")
        return x.sum(1)

    model = lumen.Model(predict, input_len=4)
    with pytest.raises(lumen.ModelCallbackError, match="scoring backend down") as caught:
        engine.feature_ablation(model, X, perturbations_per_eval=1)
    error = caught.value
    assert error.status == lumen.Status.MODEL_FAILED
    assert isinstance(error.__cause__, ScoringBackendDown)
    assert error.__cause__.__traceback__ is not None  # the model's own frames
    frames = []
    tb = error.__cause__.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert "predict" in frames
    assert len(calls) == 2  # the engine stopped at the failing call
    # The model still works after a failure.
    calls.clear()
    with pytest.raises(lumen.ModelCallbackError):
        engine.feature_ablation(model, X)


def test_raising_gradient_and_layer(engine):
    def gradient(x, targets):
        raise ArithmeticError("no gradient today")

    model = lumen.Model(linear_predict, input_len=4, output_len=2, gradient=gradient)
    with pytest.raises(lumen.ModelCallbackError) as caught:
        engine.integrated_gradients(model, X)
    assert isinstance(caught.value.__cause__, ArithmeticError)
    layer = lumen.Model(
        lambda x: x.reshape(len(x), -1).sum(1),
        input_shape=(1, 2, 2),
        layer_gradient=lambda x, t: (_ for _ in ()).throw(KeyError("layer")),
        layer_shape=(1, 2, 2),
    )
    with pytest.raises(lumen.ModelCallbackError) as caught:
        engine.grad_cam(layer, np.ones((1, 1, 2, 2)))
    assert isinstance(caught.value.__cause__, KeyError)


def test_keyboard_interrupt_passes_through(engine):
    def predict(x):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.feature_ablation(lumen.Model(predict, input_len=4), X)


def test_wrong_output_shape_is_a_callback_error(engine):
    model = lumen.Model(lambda x: np.zeros((len(x), 3)), input_len=4, output_len=2)
    with pytest.raises(lumen.ModelCallbackError) as caught:
        engine.feature_ablation(model, X)
    assert isinstance(caught.value.__cause__, ValueError)
    assert "expected" in str(caught.value.__cause__)


def test_nan_model(engine):
    model = lumen.Model(lambda x: np.full(len(x), np.nan), input_len=4)
    with pytest.raises(lumen.ModelError) as caught:
        engine.kernel_shap(model, X, BASELINE)
    assert caught.value.status == lumen.Status.MODEL_NON_FINITE_OUTPUT
    assert not isinstance(caught.value, lumen.ModelCallbackError)
    nan_gradient = lumen.Model(
        linear_predict, input_len=4, output_len=2, gradient=lambda x, t: np.full(x.shape, np.inf)
    )
    with pytest.raises(lumen.ModelError) as caught:
        engine.saliency(nan_gradient, X)
    assert caught.value.status == lumen.Status.MODEL_NON_FINITE_OUTPUT


def test_missing_gradient(engine):
    model = lumen.Model(linear_predict, input_len=4, output_len=2)
    with pytest.raises(lumen.ModelError, match="gradient") as caught:
        engine.saliency(model, X)
    assert caught.value.status == lumen.Status.MODEL_CAPABILITY_MISSING
    with pytest.raises(lumen.ModelError):
        engine.grad_cam(model, X)


def test_closed_handles_fail_cleanly(linear):
    engine = lumen.Engine(backend="cpu")
    ex = engine.feature_ablation(linear, X)
    engine.close()
    engine.close()  # twice is fine
    with pytest.raises(lumen.InvalidInputError, match="engine"):
        engine.feature_ablation(linear, X)
    attributions = ex.attributions
    ex.close()
    ex.close()
    with pytest.raises(lumen.InvalidInputError, match="explanation"):
        _ = ex.attributions
    assert attributions.shape == (2, 2, 4)  # copies stay valid
    model = lumen.Model(linear_predict, input_len=4, output_len=2)
    model.close()
    with lumen.Engine(backend="cpu") as other, pytest.raises(lumen.InvalidInputError, match="model"):
        other.feature_ablation(model, X)


def test_missing_library_is_a_clear_error(tmp_path):
    """A LUMEN_LIBRARY naming no file fails on first use with LibraryNotFoundError (an OSError)."""
    import os
    import subprocess
    import sys

    code = (
        "import lumen\n"
        "try:\n"
        "    lumen.Engine()\n"
        "except lumen.LibraryNotFoundError as error:\n"
        "    assert isinstance(error, OSError)\n"
        "    print('not found:', error)\n"
    )
    env = dict(os.environ, LUMEN_LIBRARY=str(tmp_path / "liblumen.so"))
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(lumen.__file__)))
    env["PYTHONPATH"] = package_root
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "not found: LUMEN_LIBRARY=" in result.stdout and "does not name a file" in result.stdout
