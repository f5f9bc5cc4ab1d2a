"""Results in the input's shape (Captum's convention) and as a ``shap.Explanation``."""

import sys
import types

import numpy as np
import pytest
from conftest import BASELINE, X, linear_attributions

import lumen

IMAGE = (1, 8, 8)
PIXEL_WEIGHTS = np.linspace(-1.0, 1.0, 64).reshape(IMAGE)


def image_predict(x):
    """Two outputs of a 1×8×8 image: a weighted sum of pixels and its negative."""
    score = (x.astype(np.float64) * PIXEL_WEIGHTS).sum(axis=(1, 2, 3))
    return np.stack([score, -score], axis=1)


def image_gradient(x, targets):
    sign = np.where(np.asarray(targets) == 0, 1.0, -1.0)
    return sign[:, None, None, None] * np.broadcast_to(PIXEL_WEIGHTS, (len(x), *IMAGE))


@pytest.fixture
def image_model():
    with lumen.Model(image_predict, input_shape=IMAGE, output_len=2, gradient=image_gradient, concurrent=True) as m:
        yield m


def images(rows):
    return np.arange(rows * 64, dtype=np.float32).reshape(rows, *IMAGE) / 64.0


def test_a_model_declared_1x8x8_gets_attributions_shaped_rows_1_8_8(engine, image_model):
    x = images(3)
    for ex in (
        engine.saliency(image_model, x, abs=False),
        engine.occlusion(image_model, x, window_shape=[1, 2, 2], strides=[1, 2, 2]),
        engine.integrated_gradients(image_model, x),
    ):
        assert ex.feature_shape == IMAGE
        for k in range(2):
            shaped = ex.attributions_for(k)
            assert shaped.shape == (3, *IMAGE)
            # The same values as the flat (rows, outputs, features) array, row-major.
            np.testing.assert_array_equal(shaped.reshape(3, 64), ex.attributions[:, k, :])
    # Saliency of a linear model is its weights, in the image's layout.
    saliency = engine.saliency(image_model, x, abs=False)
    np.testing.assert_allclose(saliency.attributions_for(0), np.broadcast_to(PIXEL_WEIGHTS, (3, *IMAGE)), atol=1e-6)
    np.testing.assert_allclose(saliency.attributions_for(1), -np.broadcast_to(PIXEL_WEIGHTS, (3, *IMAGE)), atol=1e-6)


def test_feature_shape_of_flat_models_and_groups(engine, linear):
    assert engine.occlusion(linear, X, window_shape=[1]).feature_shape == (4,)
    grouped = engine.feature_ablation(linear, X, feature_mask=[0, 0, 1, 1], group_attributions=True)
    assert grouped.feature_shape == (2,)
    assert grouped.attributions_for(1).shape == (2, 2)


def test_attributions_for_refuses_an_output_not_explained(engine, linear):
    ex = engine.occlusion(linear, X, window_shape=[1], targets=[1])
    assert ex.attributions_for(0).shape == (2, 4)
    with pytest.raises(ValueError, match="output: is 1"):
        ex.attributions_for(1)


class _RecordingExplanation:
    """Stands in for shap.Explanation where shap is not installed: records its arguments."""

    def __init__(self, values, base_values=None, data=None, feature_names=None):
        self.values, self.base_values, self.data, self.feature_names = values, base_values, data, feature_names


@pytest.fixture
def recording_shap(monkeypatch):
    module = types.ModuleType("shap")
    module.Explanation = _RecordingExplanation
    monkeypatch.setitem(sys.modules, "shap", module)
    return module


def test_to_shap_arguments_follow_shaps_explainers(engine, linear, recording_shap):
    ex = engine.occlusion(linear, X, window_shape=[1], baseline=BASELINE)
    full = linear_attributions(X, BASELINE)
    both = ex.to_shap()
    # Several outputs: (rows, features, outputs) and (rows, outputs), as shap returns them.
    assert both.values.shape == (2, 4, 2) and both.base_values.shape == (2, 2)
    np.testing.assert_allclose(both.values, np.transpose(full, (0, 2, 1)), atol=1e-5)
    np.testing.assert_array_equal(both.data, X.astype(np.float64))
    assert both.feature_names == ex.feature_names
    one = ex.to_shap(output=1)
    assert one.values.shape == (2, 4) and one.base_values.shape == (2,)
    np.testing.assert_allclose(one.values, full[:, 1, :], atol=1e-5)
    np.testing.assert_allclose(one.base_values, ex.base_values[:, 1])
    # One explained output needs no index; groups carry no per-element data.
    assert engine.occlusion(linear, X, window_shape=[1], targets=[0]).to_shap().values.shape == (2, 4)
    grouped = engine.feature_ablation(linear, X, feature_mask=[0, 0, 1, 1], group_attributions=True).to_shap(0)
    assert grouped.data is None and grouped.values.shape == (2, 2)
    with pytest.raises(ValueError, match="output: is 2"):
        ex.to_shap(output=2)


def test_to_shap_without_shap_says_how_to_install_it(engine, linear, monkeypatch):
    monkeypatch.setitem(sys.modules, "shap", None)
    with pytest.raises(ImportError, match="pip install shap"):
        engine.occlusion(linear, X, window_shape=[1]).to_shap()


def test_to_shap_gives_a_real_shap_explanation(engine, linear):
    shap = pytest.importorskip("shap", reason="shap is not installed; the argument layout is tested without it")
    ex = engine.occlusion(linear, X, window_shape=[1], baseline=BASELINE)
    converted = ex.to_shap(output=0)
    assert isinstance(converted, shap.Explanation)
    np.testing.assert_allclose(converted.values, ex.attributions[:, 0, :])
    np.testing.assert_allclose(converted[0].values, ex.attributions[0, 0, :])
    assert list(converted.feature_names) == ex.feature_names
