"""Every engine method against closed forms on linear models, and every accessor."""

import math

import numpy as np
import pytest
from conftest import BASELINE, W, X, linear_attributions, linear_predict

import lumen


def test_version_and_backend(engine):
    assert lumen.library_version().count(".") == 2
    assert engine.backend == "cpu"


def test_occlusion_closed_form(engine, linear):
    ex = engine.occlusion(linear, X, window_shape=[1], baseline=BASELINE)
    assert ex.shape == (2, 2, 4) and ex.feature_axis == "elements"
    np.testing.assert_allclose(ex.attributions, linear_attributions(X, BASELINE), atol=1e-5)
    np.testing.assert_allclose(ex.predictions, linear_predict(X), atol=1e-5)
    np.testing.assert_allclose(ex.base_values, np.tile(linear_predict(BASELINE[None]), (2, 1)), atol=1e-5)
    assert ex.outputs.tolist() == [0, 1]
    assert ex.standard_errors is None and ex.completeness_gaps is None
    assert ex.attributions.dtype == np.float32
    # Windows of two with stride two: each window's delta lands on both of its elements.
    pairs = engine.occlusion(linear, X[0], window_shape=[2], strides=[2], baseline=BASELINE, targets=0)
    delta = W[0] * (X[0] - BASELINE)
    np.testing.assert_allclose(pairs.attributions[0, 0], np.repeat([delta[:2].sum(), delta[2:].sum()], 2), atol=1e-5)
    # A scalar baseline.
    np.testing.assert_allclose(
        engine.occlusion(linear, X, window_shape=[1], baseline=0.5).attributions, linear_attributions(X, 0.5), atol=1e-5
    )


def test_feature_ablation_groups(engine, linear):
    ex = engine.feature_ablation(
        linear,
        X,
        feature_mask=[0, 0, 1, 1],
        group_names=["first", "second"],
        baseline=BASELINE,
        group_attributions=True,
    )
    assert ex.shape == (2, 2, 2) and ex.feature_axis == "groups"
    assert ex.feature_names == ["first", "second"]
    full = linear_attributions(X, BASELINE)
    np.testing.assert_allclose(ex.attributions, np.stack([full[..., :2].sum(-1), full[..., 2:].sum(-1)], -1), atol=1e-5)
    np.testing.assert_allclose(ex.completeness_gaps, 0.0, atol=1e-5)
    diagnostics = ex.diagnostics
    assert len(diagnostics) == 2 and all(d["has_completeness_gap"] for d in diagnostics)
    assert ex.model_rows_evaluated >= sum(d["model_rows_evaluated"] for d in diagnostics) >= 6
    # Defaults: one group per element, baseline 0, Captum's per-element layout.
    np.testing.assert_allclose(engine.feature_ablation(linear, X).attributions, linear_attributions(X, 0), atol=1e-5)


BACKGROUND = np.array([[0, 1, -1, 2], [1, -1, 0.5, 0], [2, 0, 1.5, -2]], dtype=np.float32)
WEIGHTS = np.array([1.0, 2.0, 1.0])


def test_kernel_shap_linear_exact(engine):
    names = ["income", "debt", "age", "tenure"]
    with lumen.Model(linear_predict, input_len=4, output_len=2, feature_names=names) as model:
        ex = engine.kernel_shap(model, X, BACKGROUND, background_weights=WEIGHTS)
    mean = WEIGHTS @ BACKGROUND / WEIGHTS.sum()
    np.testing.assert_allclose(ex.attributions, linear_attributions(X, mean), atol=1e-4)
    assert np.all(ex.standard_errors == 0)  # four players: every coalition enumerated
    np.testing.assert_allclose(ex.completeness_gaps, 0.0, atol=1e-4)
    np.testing.assert_allclose(ex.base_values, np.tile(linear_predict(mean[None]), (2, 1)), atol=1e-5)
    assert ex.feature_names == names
    # Reason codes: the negative contributions of row 0, output 0, most negative first.
    contributions = W[0] * (X[0] - mean)
    order = [i for i in np.argsort(contributions, kind="stable") if contributions[i] < 0]
    codes = ex.reason_codes(0, 0, k=4, direction="lowered")
    assert [c.feature for c in codes] == order
    assert [c.name for c in codes] == [names[i] for i in order]
    np.testing.assert_allclose([c.contribution for c in codes], contributions[order], atol=1e-4)
    raised = ex.reason_codes(0, 0, k=1, direction="raised")
    assert len(raised) == 1 and raised[0].contribution == pytest.approx(contributions.max(), abs=1e-4)
    # Post-hoc group sums, and the same groups as players.
    grouped = ex.sum_groups([0, 1, 1, 0], ["stable", "volatile"])
    np.testing.assert_allclose(
        grouped.attributions[..., 0], ex.attributions[..., 0] + ex.attributions[..., 3], atol=1e-5
    )
    assert grouped.feature_names == ["stable", "volatile"] and grouped.feature_axis == "groups"
    assert grouped.standard_errors is None


def test_kernel_shap_players_and_audit(engine, linear):
    ex = engine.kernel_shap(linear, X, BACKGROUND, players=[0, 1, 1, 0], player_names=["a", "b"], targets=[1])
    full = linear_attributions(X, BACKGROUND.mean(0))[:, 1:2]
    np.testing.assert_allclose(ex.attributions[..., 0], full[..., 0] + full[..., 3], atol=1e-4)
    np.testing.assert_allclose(ex.attributions[..., 1], full[..., 1] + full[..., 2], atol=1e-4)
    audit = ex.audit
    assert audit["method"] == "kernel_shap"
    assert audit["audit"]["seed"] == 7 and audit["audit"]["library_version"] == lumen.library_version()
    assert audit["parameters"]["targets"] == [1]
    np.testing.assert_allclose(audit["attributions"], ex.attributions.reshape(-1), atol=1e-6)


def test_shapley_sampling_linear(engine, linear):
    ex = engine.shapley_sampling(linear, X, BACKGROUND, permutation_pairs=3)
    np.testing.assert_allclose(ex.attributions, linear_attributions(X, BACKGROUND.mean(0)), atol=1e-4)
    np.testing.assert_allclose(ex.standard_errors, 0.0, atol=1e-5)


def test_shapley_sampling_with_one_pair_has_no_standard_errors(engine, linear):
    ex = engine.shapley_sampling(linear, X, BACKGROUND, permutation_pairs=1)
    np.testing.assert_allclose(ex.attributions, linear_attributions(X, BACKGROUND.mean(0)), atol=1e-4)
    assert ex.standard_errors is None
    assert ex.sampling is not None and len(ex.sampling) == len(X)
    assert all(not row.standard_errors_available and row.largest_standard_error is None for row in ex.sampling)
    paired = engine.shapley_sampling(linear, X, BACKGROUND, permutation_pairs=3)
    assert paired.sampling is not None
    assert all(row.standard_errors_available and row.rounds == 1 for row in paired.sampling)


def cubed_tanh(x):
    return (np.tanh(x @ np.array([1.0, -2.0, 0.5, 1.5])) ** 3)[:, None]


def test_shapley_sampling_with_a_target_walks_pairs_in_rounds(engine):
    with lumen.Model(cubed_tanh, input_len=4, output_len=1) as model:
        sampling_rounds(engine, model)


def sampling_rounds(engine, model):
    first = engine.shapley_sampling(model, X, BACKGROUND, permutation_pairs=4)
    assert first.standard_errors is not None
    target = float(first.standard_errors.max()) / 2
    ex = engine.shapley_sampling(
        model, X, BACKGROUND, permutation_pairs=4, target_standard_error=target, max_permutation_pairs=400
    )
    assert ex.standard_errors is not None and float(ex.standard_errors.max()) <= target * (1 + 1e-6)
    assert ex.sampling is not None and any(row.rounds > 1 for row in ex.sampling)
    assert all(row.target_met and row.target_standard_error == target for row in ex.sampling)
    for bad in [0, -1.0, float("nan")]:
        with pytest.raises(lumen.InvalidInputError, match="target_standard_error"):
            engine.shapley_sampling(model, X, BACKGROUND, target_standard_error=bad)
    with pytest.raises(lumen.InvalidInputError, match="max_permutation_pairs"):
        engine.shapley_sampling(model, X, BACKGROUND, max_permutation_pairs=50)


def test_integrated_gradients(engine, linear):
    ex = engine.integrated_gradients(linear, X, baseline=BASELINE, n_steps=8)
    np.testing.assert_allclose(ex.attributions, linear_attributions(X, BASELINE), atol=1e-5)
    np.testing.assert_allclose(ex.completeness_gaps, 0.0, atol=1e-4)
    for method in ["riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid"]:
        other = engine.integrated_gradients(linear, X, baseline=BASELINE, n_steps=4, method=method)
        np.testing.assert_allclose(other.attributions, linear_attributions(X, BASELINE), atol=1e-5)
    # Captum's trapezoid weights sum to (n − 1)/n: a linear model's attributions scale by it.
    captum = engine.integrated_gradients(linear, X, baseline=BASELINE, n_steps=4, method="riemann_trapezoid_captum")
    np.testing.assert_allclose(captum.attributions, 0.75 * linear_attributions(X, BASELINE), atol=1e-5)
    # Captum's Gauss-Legendre: the rule's nodes and weights rounded to float32, exact to that rounding.
    rounded = engine.integrated_gradients(linear, X, baseline=BASELINE, n_steps=50, method="gausslegendre_captum")
    np.testing.assert_allclose(rounded.attributions, linear_attributions(X, BASELINE), atol=1e-5)
    assert rounded.audit["parameters"]["method"] == "gauss_legendre_captum"
    plain = engine.integrated_gradients(linear, X, multiply_by_inputs=False, targets=1)
    np.testing.assert_allclose(plain.attributions[:, 0], np.tile(W[1], (2, 1)), atol=1e-6)


def test_integrated_gradients_quadratic():
    """∫ of a linear gradient: Gauss–Legendre is exact; IG of x² from 0 is x²."""
    model = lumen.Model(lambda x: (x.astype(np.float64) ** 2).sum(1), input_len=3, gradient=lambda x, t: 2.0 * x)
    with lumen.Engine(backend="cpu", seed=1) as engine:
        x = np.array([1.0, -2.0, 0.5], dtype=np.float32)
        ex = engine.integrated_gradients(model, x, n_steps=2)
        np.testing.assert_allclose(ex.attributions[0, 0], x.astype(np.float64) ** 2, atol=1e-5)
        np.testing.assert_allclose(ex.predictions, [[5.25]], atol=1e-5)


def test_saliency(engine, linear):
    np.testing.assert_allclose(engine.saliency(linear, X).attributions, np.tile(np.abs(W), (2, 1, 1)), atol=1e-6)
    np.testing.assert_allclose(engine.saliency(linear, X, abs=False).attributions, np.tile(W, (2, 1, 1)), atol=1e-6)


def test_gradient_shap(engine, linear):
    ex = engine.gradient_shap(linear, X, BASELINE, n_samples=6)
    np.testing.assert_allclose(ex.attributions, linear_attributions(X, BASELINE), atol=1e-5)
    np.testing.assert_allclose(ex.completeness_gaps, 0.0, atol=1e-4)


def test_noise_tunnel(engine, linear):
    smooth = engine.noise_tunnel(linear, X, nt_samples=4, stdevs=0.5, abs=False)
    np.testing.assert_allclose(smooth.attributions, np.tile(W, (2, 1, 1)), atol=1e-6)
    squares = engine.noise_tunnel(linear, X, nt_type="smoothgrad_sq", nt_samples=4, stdevs=0.5, abs=False)
    np.testing.assert_allclose(squares.attributions, np.tile(W**2, (2, 1, 1)), atol=1e-6)
    variance = engine.noise_tunnel(linear, X, nt_type="vargrad", nt_samples=4, stdevs=0.5)
    np.testing.assert_allclose(variance.attributions, 0.0, atol=1e-6)
    ig = engine.noise_tunnel(linear, X, base="integrated_gradients", stdevs=0.0, baseline=BASELINE, n_steps=4)
    np.testing.assert_allclose(ig.attributions, linear_attributions(X, BASELINE), atol=1e-5)
    gs = engine.noise_tunnel(linear, X, base="gradient_shap", stdevs=0.0, baselines=BASELINE)
    np.testing.assert_allclose(gs.attributions, linear_attributions(X, BASELINE), atol=1e-5)
    with pytest.raises(lumen.InvalidInputError, match="saliency"):
        engine.noise_tunnel(linear, X, baselines=BASELINE)  # not a saliency option


def test_grad_cam(engine):
    """Identity layer over a {2, 2, 3} input with constant gradients G[o][c]: the map is
    Σ_c G[o][c] x_c (upsampling to the same H × W is the identity)."""
    G = np.array([[1.0, -0.5], [0.25, 2.0]])

    def predict(x):
        return np.einsum("oc,rchw->ro", G, x.astype(np.float64))

    def layer(x, targets):
        return x, np.broadcast_to(G[targets][:, :, None, None], x.shape)

    model = lumen.Model(predict, input_shape=(2, 2, 3), output_len=2, layer_gradient=layer, layer_shape=(2, 2, 3))
    x = (np.arange(24, dtype=np.float32).reshape(2, 2, 2, 3) % 7 - 3) * 0.5
    want = np.einsum("oc,rchw->rohw", G, x).reshape(2, 2, 6)
    for upsample in (False, True):
        ex = engine.grad_cam(model, x, upsample=upsample)
        np.testing.assert_allclose(ex.attributions, want, atol=1e-5)
    assert (engine.grad_cam(model, x, relu_attributions=True).attributions >= 0).all()


def logistic(x):
    x = np.atleast_2d(x).astype(np.float64)
    return 1.0 / (1.0 + np.exp(-(2 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] - 1)))


def test_counterfactuals():
    model = lumen.Model(logistic, input_len=3, concurrent=True)
    i = np.arange(40)
    training = np.stack([(i % 8) * 0.5 - 1, (i % 5) * 0.5, (i % 3) - 1.0], axis=1)
    features = [{"name": n, "columns": [c]} for c, n in enumerate(["income", "debt", "age"])]
    declined = np.array([-0.5, 1.0, 0.0], dtype=np.float32)
    with lumen.Engine(backend="cpu", seed=42) as engine:
        found = engine.counterfactuals(
            model, declined, training, features=features, immutable=[2], sampling="column", generations=30, runs=3
        )
        assert len(found) == 1
        outcome = found.instance(0)
        assert (outcome.original_class, outcome.target_class, outcome.already_at_target) == (0, 1, False)
        assert outcome.original_probability == pytest.approx(logistic(declined)[0], abs=1e-6)
        cfs = found[0]
        assert len(cfs) == outcome.count >= 1
        for cf in cfs:
            assert cf.success and cf.predicted_class == 1
            assert cf.target_probability == pytest.approx(logistic(cf.row)[0], abs=1e-6)
            assert cf.row[2] == declined[2]
            assert cf.distance == pytest.approx(np.linalg.norm(cf.row - declined), abs=1e-5)
            assert cf.changed == [j for j in range(3) if cf.row[j] != declined[j]]
        assert found.audit["feature_names"] == ["income", "debt", "age"] or "income" in found.to_json()
        approved = engine.counterfactuals(model, [2.0, 0.0, 0.0], training, target_class=1)
        assert approved.instance(0).already_at_target and approved[0] == []
        ranged = engine.counterfactuals(model, declined, training, ranges={1: (0.5, 2.0)}, success_probability=0.6)
        for cf in ranged[0]:
            assert 0.5 <= cf.row[1] <= 2.0 or cf.row[1] == declined[1]
        with pytest.raises(lumen.InvalidInputError, match="unknown setting"):
            engine.counterfactuals(model, declined, training, populaton=5)


COLOUR_CODES = [10.0, 20.0, 5.0]


def _forest(x0: np.ndarray, x1: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Two trees over (x0, x1, colour index): P(class 1) as float32."""
    t1 = np.where(colour == 2, np.where(x0 > 4.5, 0.9, 0.6), np.where(x1 > 7.5, 0.7, 0.1))
    t2 = np.where(x0 > 8.5, 0.9, np.where(colour == 1, 0.45, 0.1))
    return ((t1 + t2) / 2).astype(np.float32)


def test_counterfactuals_with_coded_categoricals_equal_the_one_hot_run():
    """A colour given as integer codes in one column is searched exactly as its one-hot group."""

    def one_hot_model(x):
        return _forest(x[:, 0], x[:, 1], np.argmax(x[:, 2:5], axis=1))

    def coded_model(x):
        colour = np.select([x[:, 2] == c for c in COLOUR_CODES], [0, 1, 2], default=-1)
        assert (colour >= 0).all()
        return _forest(x[:, 0], x[:, 1], colour)

    i = np.arange(36)
    logical = np.stack([i % 10 + 1, (i * 3) % 10 + 1, i % 3], axis=1).astype(np.float32)
    instances = np.array([[2, 4, 0], [3, 2, 1], [1, 9, 0]], dtype=np.float32)

    def one_hot(rows):
        return np.concatenate([rows[:, :2], np.eye(3, dtype=np.float32)[rows[:, 2].astype(int)]], axis=1)

    def coded(rows):
        return np.concatenate(
            [rows[:, :2], np.array(COLOUR_CODES, dtype=np.float32)[rows[:, 2].astype(int)][:, None]], axis=1
        )

    numeric = [{"name": "x0", "columns": [0]}, {"name": "x1", "columns": [1]}]
    runs = {}
    for name, model, encode, colour in [
        (
            "one_hot",
            lumen.Model(one_hot_model, input_len=5),
            one_hot,
            {"name": "colour", "columns": [2, 3, 4], "categorical": True},
        ),
        (
            "coded",
            lumen.Model(coded_model, input_len=3),
            coded,
            {"name": "colour", "columns": [2], "codes": COLOUR_CODES},
        ),
    ]:
        with lumen.Engine(backend="cpu", seed=7) as engine:
            runs[name] = engine.counterfactuals(
                model, encode(instances), encode(logical), features=[*numeric, colour], generations=25, runs=3
            )
    colour_changes = 0
    for row in range(len(instances)):
        assert runs["coded"].instance(row) == runs["one_hot"].instance(row)
        for a, b in zip(runs["coded"][row], runs["one_hot"][row], strict=True):
            assert (a.success, a.predicted_class, a.changed) == (b.success, b.predicted_class, b.changed)
            assert (a.target_probability, a.distance) == (b.target_probability, b.distance)
            assert a.row[2] in COLOUR_CODES
            decoded = np.array([a.row[0], a.row[1], COLOUR_CODES.index(a.row[2])], dtype=np.float32)
            np.testing.assert_array_equal(one_hot(decoded[None])[0], b.row)
            colour_changes += a.success and 2 in a.changed
    assert colour_changes > 0


def test_counterfactuals_refuse_bad_codes():
    model = lumen.Model(lambda x: (x[:, 0] > 5).astype(np.float32), input_len=2)
    training = np.array([[1, 10], [7, 20], [3, 10]], dtype=np.float32)

    def search(codes, x=(2.0, 10.0)):
        features = [{"name": "x0", "columns": [0]}, {"name": "colour", "columns": [1], "codes": codes}]
        with lumen.Engine(backend="cpu", seed=1) as engine:
            return engine.counterfactuals(model, np.array(x, dtype=np.float32), training, features=features, runs=1)

    assert search([10, 20])[0][0].row[1] in (10.0, 20.0)
    for codes, message in [
        ([10, 20, 10], "lists code 10 twice"),
        ([10, float("nan")], "expected a finite integer"),
        ([10, 20.5], "expected a finite integer"),
        ([], "has no codes"),
    ]:
        with pytest.raises(lumen.InvalidInputError, match=message):
            search(codes)
    with pytest.raises(lumen.InvalidInputError, match="code 30 in column 1, expected one of its codes"):
        search([10, 20], x=(2.0, 30.0))


def test_scorecard():
    assert lumen.scorecard_score(0.8) == pytest.approx(600 + 15 / math.log(2) * math.log(4 / 20), abs=1e-9)
    assert lumen.scorecard_score(0.5, 500, 1, 20) == pytest.approx(500)
    with pytest.raises(lumen.InvalidInputError, match="p_good"):
        lumen.scorecard_score(1.5)


def test_model_shapes_and_batches(engine):
    """A 2-D input shape reaches the callable as (rows, 2, 3); max_batch_rows holds."""
    seen = []

    def predict(x):
        seen.append(x.shape)
        assert not x.flags.writeable
        return x.reshape(len(x), -1).sum(1)

    model = lumen.Model(predict, input_shape=(2, 3), max_batch_rows=2)
    x = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    ex = engine.occlusion(model, x, window_shape=[1, 3])
    np.testing.assert_allclose(ex.attributions[0, 0], np.repeat([0 + 1 + 2, 3 + 4 + 5], 3) / 1.0, atol=1e-5)
    assert all(s[1:] == (2, 3) and 1 <= s[0] <= 2 for s in seen)
