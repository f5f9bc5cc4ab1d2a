"""Per-row targets (Captum's per-row ``target``): each row explains its own output, equal
to one call per row."""

import numpy as np
import pytest

import lumen

W = np.array([[1.0, -2.0, 0.5, 3.0], [0.5, 1.0, -1.0, 2.0], [-1.5, 0.25, 2.0, 1.0]])


def predict(x):
    x = x.astype(np.float64)
    return x @ W.T + (x[:, :1] * x[:, 1:2]) * np.array([0.0, 1.0, 2.0])


def gradient(x, targets):
    x = x.astype(np.float64)
    g = W[targets].copy()
    scale = np.asarray(targets, dtype=np.float64)
    g[:, 0] += scale * x[:, 1]
    g[:, 1] += scale * x[:, 0]
    return g


X = np.random.default_rng(2).normal(size=(5, 4)).astype(np.float32)
TARGETS = [2, 0, 2, 1, 0]
BACKGROUND = np.random.default_rng(3).normal(size=(3, 4)).astype(np.float32)


@pytest.fixture
def model():
    with lumen.Model(predict, input_len=4, output_len=3, gradient=gradient, concurrent=True) as m:
        yield m


def methods(engine, model):
    return {
        "saliency": lambda x, **k: engine.saliency(model, x, **k),
        "integrated_gradients": lambda x, **k: engine.integrated_gradients(model, x, n_steps=8, **k),
        "gradient_shap": lambda x, **k: engine.gradient_shap(model, x, BACKGROUND, **k),
        "noise_tunnel": lambda x, **k: engine.noise_tunnel(model, x, nt_samples=3, **k),
        "occlusion": lambda x, **k: engine.occlusion(model, x, [2], **k),
        "feature_ablation": lambda x, **k: engine.feature_ablation(model, x, **k),
        "kernel_shap": lambda x, **k: engine.kernel_shap(model, x, BACKGROUND, budget=6, **k),
        "shapley_sampling": lambda x, **k: engine.shapley_sampling(model, x, BACKGROUND, permutation_pairs=2, **k),
    }


@pytest.mark.parametrize("method", list(methods(None, None)))
def test_per_row_targets_equal_one_call_per_row(engine, model, method):
    explain = methods(engine, model)[method]
    per_row = explain(X, row_targets=TARGETS)
    assert per_row.attributions.shape == (5, 1, 4)
    assert per_row.row_targets.tolist() == TARGETS
    for r, target in enumerate(TARGETS):
        alone = explain(X[r], targets=[target])
        np.testing.assert_array_equal(per_row.attributions[r], alone.attributions[0])
        np.testing.assert_array_equal(per_row.predictions[r], alone.predictions[0])
    with pytest.raises(lumen.NotAvailableError, match="per-row targets"):
        per_row.outputs
    assert explain(X).row_targets is None


@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({"row_targets": [0, 1]}, lumen.InvalidInputError, "control.row_targets"),
        ({"row_targets": [0, 1, 3, 0, 0]}, lumen.InvalidInputError, "row 2's target is 3"),
        ({"row_targets": [0, -1, 0, 0, 0]}, lumen.InvalidInputError, "row_targets: is"),
        ({"row_targets": [], "seed": 1}, lumen.InvalidInputError, "row_targets: is"),
        ({"row_targets": TARGETS, "targets": [0]}, lumen.InvalidInputError, "targets"),
    ],
)
def test_bad_row_targets_are_refused(engine, model, kwargs, error, needle):
    with pytest.raises(error, match=needle):
        engine.saliency(model, X, **kwargs)
