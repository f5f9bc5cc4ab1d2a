"""KernelSHAP against Shapley values computed from the definition on small nonlinear
models, and (when shap is installed) against shap's exact explainer."""

import itertools
import math
import re
from pathlib import Path

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


def ten_player_setup():
    rng = np.random.default_rng(11)
    coefficients = rng.normal(size=10)

    def f(x):
        x = x.astype(np.float64)
        return np.tanh(x @ coefficients) + 0.5 * x[:, 0] * x[:, 1] - 0.3 * x[:, 2] * x[:, 7]

    background = rng.normal(size=(4, 10)).astype(np.float32)
    x = rng.normal(size=10).astype(np.float32)
    exact = brute_force_shapley(lambda rows: f(rows)[:, None], x, background, np.ones(4), np.arange(10))[0]
    return lumen.Model(f, input_len=10), x, background, exact


def test_estimator_names_mirror_the_header():
    header = (Path(__file__).resolve().parents[3] / "include" / "lumen.h").read_text()
    codes = {m[0].lower(): int(m[1]) for m in re.findall(r"#define LUMEN_ESTIMATOR_(\w+) (\d+)", header)}
    assert lumen.ESTIMATORS == codes and lumen.ESTIMATORS is lumen.engine.ESTIMATORS


@pytest.mark.parametrize("estimator", sorted(lumen.ESTIMATORS))
def test_every_estimator_approximates_the_definition(estimator):
    model, x, background, exact = ten_player_setup()
    with lumen.Engine(backend="cpu", seed=2) as engine:
        ex = engine.kernel_shap(model, x, background, budget=400, estimator=estimator)
        values, errors = ex.attributions[0, 0], ex.standard_errors
        recorded = ex.audit["parameters"]["estimator"]
    assert recorded == ("leverage_top_triples" if estimator == "default" else estimator)
    assert errors is not None and np.all(errors > 0)
    np.testing.assert_allclose(values, exact, atol=max(0.05, 8 * float(errors.max())))
    assert abs(values.sum() - exact.sum()) < 1e-4  # efficiency holds exactly


def test_estimators_differ_at_small_budgets():
    model, x, background, _ = ten_player_setup()
    with lumen.Engine(backend="cpu", seed=2) as engine:
        runs = {
            e: engine.kernel_shap(model, x, background, budget=60, estimator=e).attributions
            for e in ("shap", "leverage")
        }
    assert not np.array_equal(runs["shap"], runs["leverage"])


def test_unknown_estimator_lists_the_valid_names(engine, linear):
    with pytest.raises(lumen.InvalidInputError, match="estimator: is 'kernel'") as caught:
        engine.kernel_shap(linear, np.ones(4), np.zeros(4), estimator="kernel")
    for name in ("default", "shap", "leverage", "leverage_stratified", "leverage_interactions", "leverage_top_triples"):
        assert repr(name) in str(caught.value)
    assert caught.value.status == lumen.Status.INVALID_ARGUMENT


def test_target_standard_error_samples_until_it_is_met():
    model, x, background, exact = ten_player_setup()
    rows = np.stack([x, x[::-1]])
    with lumen.Engine(backend="cpu", seed=4) as engine:
        one_round = engine.kernel_shap(model, rows, background, budget=40)
        targeted = engine.kernel_shap(model, rows, background, budget=40, target_standard_error=0.01)
        assert one_round.sampling is not None and targeted.sampling is not None
        assert [s.rounds for s in one_round.sampling] == [1, 1]
        assert all(s.target_standard_error is None and s.target_met is None for s in one_round.sampling)
        for row in targeted.sampling:
            assert row.target_standard_error == 0.01 and row.target_met is True
            assert row.rounds > 1 and row.coalitions > 40 and not row.exact
            assert row.standard_errors_available and row.largest_standard_error is not None
            assert row.largest_standard_error <= 0.01
        errors = targeted.standard_errors
        assert errors is not None and float(errors.max()) <= 0.01 + 1e-6
        np.testing.assert_allclose(targeted.attributions[0, 0], exact, atol=0.06)
        assert targeted.model_rows_evaluated > one_round.model_rows_evaluated

        capped = engine.kernel_shap(model, rows, background, budget=40, target_standard_error=1e-6, max_budget=200)
        assert capped.sampling is not None
        for row in capped.sampling:
            assert row.target_met is False and row.coalitions <= 200


def test_exact_rows_report_exact_sampling():
    model, x, background, exact = ten_player_setup()
    with lumen.Engine(backend="cpu") as engine:
        ex = engine.kernel_shap(model, x, background, budget=2000)
        assert ex.sampling is not None
        (row,) = ex.sampling
        assert row.exact and row.coalitions == 2**10 - 2 and row.largest_standard_error == 0.0
        np.testing.assert_allclose(ex.attributions[0, 0], exact, atol=1e-4)
        assert engine.feature_ablation(model, x).sampling is None


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"target_standard_error": 0}, "target_standard_error: is 0"),
        ({"target_standard_error": -0.1}, "target_standard_error"),
        ({"target_standard_error": float("nan")}, "target_standard_error"),
        ({"max_budget": 0, "target_standard_error": 0.1}, "max_budget: is 0"),
        ({"max_budget": 500}, "max_budget"),
    ],
)
def test_bad_accuracy_settings(engine, linear, settings, match):
    with pytest.raises(lumen.InvalidInputError, match=match):
        engine.kernel_shap(linear, np.ones(4), np.zeros(4), **settings)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"estimator": "kernel"}, "estimator: is 'kernel', expected one of"),
        ({"target_standard_error": 0}, "target_standard_error: is 0, expected a finite number > 0"),
        ({"target_standard_error": "x"}, "target_standard_error: is 'x', expected a number > 0"),
        ({"max_budget": 0, "target_standard_error": 0.1}, "max_budget: is 0, expected an int >= 1"),
        ({"max_budget": 500}, "max_budget: is 500, but caps only rounds driven by target_standard_error"),
    ],
)
def test_sampling_options_are_checked_without_a_model_as_kernel_shap_checks_them(engine, linear, settings, match):
    with pytest.raises(lumen.InvalidInputError, match=match):
        lumen.check_kernel_shap_sampling(**settings)
    with pytest.raises(lumen.InvalidInputError, match=match):
        engine.kernel_shap(linear, np.ones(4), np.zeros(4), **settings)


def test_good_sampling_options_pass_the_check():
    lumen.check_kernel_shap_sampling()
    lumen.check_kernel_shap_sampling("leverage_interactions", 0.01, 5000)
    lumen.check_kernel_shap_sampling(estimator="default", target_standard_error=1)
