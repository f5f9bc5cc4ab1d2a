"""KernelSHAP against Shapley values computed from the definition on small nonlinear
models, and (when shap is installed) against shap's exact explainer."""

import itertools
import math

import numpy as np
import pytest

import lumen


def nonlinear(x):
    """Interactions, a product and a nonlinearity: no additive shortcut."""
    x = x.astype(np.float64)
    return np.stack(
        [
            np.tanh(x[:, 0] * x[:, 1]) + 0.5 * x[:, 2] ** 2 - x[:, 3] * x[:, 4] + x[:, 0],
            np.exp(0.3 * x[:, 1]) * x[:, 2] - 0.2 * x[:, 4],
        ],
        axis=1,
    )


def brute_force_shapley(f, x, background, weights, players, link=lambda v: v):
    """φ_i = Σ_{S ⊆ N∖i} |S|!(M−|S|−1)!/M! (v(S ∪ i) − v(S)), with
    v(S) = link(Σ_b w_b f(x_S, b_notS)) over players (groups of input elements)."""
    players = np.asarray(players)
    m = players.max() + 1
    weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)

    def value(coalition):
        on = np.isin(players, list(coalition))
        rows = np.where(on[None, :], x[None, :], background)
        return link(weights @ f(rows.astype(np.float32)))

    phi = np.zeros((f(x[None].astype(np.float32)).shape[1], m))
    for i in range(m):
        others = [j for j in range(m) if j != i]
        for size in range(m):
            weight = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
            for subset in itertools.combinations(others, size):
                phi[:, i] += weight * (value(subset + (i,)) - value(subset))
    return phi


@pytest.fixture
def setup():
    rng = np.random.default_rng(3)
    background = rng.normal(size=(6, 5)).astype(np.float32)
    weights = rng.uniform(0.5, 2.0, size=6)
    x = rng.normal(size=(3, 5)).astype(np.float32)
    return background, weights, x


def test_kernel_shap_matches_the_definition(setup):
    background, weights, x = setup
    model = lumen.Model(nonlinear, input_len=5, output_len=2, concurrent=True)
    with lumen.Engine(backend="cpu", seed=5) as engine:
        ex = engine.kernel_shap(model, x, background, background_weights=weights)
    for r in range(3):
        want = brute_force_shapley(nonlinear, x[r], background, weights, np.arange(5))
        np.testing.assert_allclose(ex.attributions[r], want, atol=2e-5)
    assert np.all(ex.standard_errors == 0)
    np.testing.assert_allclose(ex.completeness_gaps, 0.0, atol=1e-4)


def test_kernel_shap_groups_and_logit_match_the_definition(setup):
    background, weights, x = setup

    def probability(rows):
        return 1.0 / (1.0 + np.exp(-nonlinear(rows)[:, :1]))

    players = [0, 0, 1, 2, 2]
    model = lumen.Model(probability, input_len=5)
    with lumen.Engine(backend="cpu", seed=5) as engine:
        ex = engine.kernel_shap(model, x, background, background_weights=weights, players=players, link="logit")
    logit = lambda p: np.log(p / (1 - p))
    for r in range(3):
        want = brute_force_shapley(probability, x[r], background, weights, players, link=logit)
        np.testing.assert_allclose(ex.attributions[r], want, atol=5e-5)
    assert ex.feature_axis == "groups"


def test_sampled_kernel_shap_is_close_and_reports_errors():
    """Ten players with a budget far below 2^10: close to the definition, with the
    reported standard errors covering the gap."""
    rng = np.random.default_rng(11)
    coefficients = rng.normal(size=10)

    def f(x):
        x = x.astype(np.float64)
        return x @ coefficients + 0.3 * x[:, 0] * x[:, 1] - 0.2 * np.sin(x[:, 2] * x[:, 3])

    background = rng.normal(size=(4, 10)).astype(np.float32)
    x = rng.normal(size=10).astype(np.float32)
    model = lumen.Model(f, input_len=10)
    with lumen.Engine(backend="cpu", seed=9) as engine:
        ex = engine.kernel_shap(model, x, background, budget=300)
    want = brute_force_shapley(lambda rows: f(rows)[:, None], x, background, np.ones(4), np.arange(10))[0]
    got, errors = ex.attributions[0, 0], ex.standard_errors[0, 0]
    assert np.all(errors >= 0) and errors.max() > 0
    assert np.all(np.abs(got - want) <= 5 * errors + 1e-3)
    assert abs(got.sum() - want.sum()) < 1e-4  # local accuracy is exact


def test_against_shap_exact_explainer(setup):
    shap = pytest.importorskip("shap", reason="shap is not installed (pip install shap to compare)")
    background, _, x = setup
    f = lambda rows: nonlinear(rows.astype(np.float32))[:, 0]
    explainer = shap.explainers.Exact(f, shap.maskers.Independent(background, max_samples=len(background)))
    reference = explainer(x).values
    model = lumen.Model(lambda rows: nonlinear(rows)[:, 0], input_len=5)
    with lumen.Engine(backend="cpu", seed=5) as engine:
        ex = engine.kernel_shap(model, x, background)
    np.testing.assert_allclose(ex.attributions[:, 0, :], reference, atol=1e-4)
    np.testing.assert_allclose(ex.base_values[:, 0], explainer(x).base_values, atol=1e-5)
