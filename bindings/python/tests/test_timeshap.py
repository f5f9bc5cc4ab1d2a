"""TimeSHAP from Python against a decaying linear model with a closed form:
f(seq) = Σ_t γ^(L−1−t) Σ_j w_j x_{t,j}, whose value for any set of cells is the sum of
their γ^(L−1−t) w_j (x_{t,j} − b_j)."""

import json

import numpy as np
import pytest

import lumen

GAMMA = 0.7
W = np.array([0.8, -0.5])
B = np.array([0.1, 0.2], dtype=np.float32)
F = 2


def decaying(x, h0=None):
    """The recurrence h_t = γ h_{t−1} + w·x_t over a batch (rows, seq_len, F)."""
    x = np.asarray(x, dtype=np.float64)
    h = np.zeros(x.shape[0]) if h0 is None else np.asarray(h0, dtype=np.float64).reshape(-1)
    for t in range(x.shape[1]):
        h = GAMMA * h + x[:, t, :] @ W
    return h


def cells(x):
    """γ^(L−1−t) w_j (x_{t,j} − b_j) for every cell, shape (L, F)."""
    length = x.shape[0]
    decay = GAMMA ** np.arange(length - 1, -1, -1)
    return decay[:, None] * W[None, :] * (x.astype(np.float64) - B)


def sequence(length, salt):
    return np.sin(0.37 * np.arange(1, length * F + 1) + salt).astype(np.float32).reshape(length, F)


@pytest.fixture
def model():
    with lumen.SequenceModel(decaying, features=F, feature_names=["amount", "hour"]) as m:
        yield m


def test_event_level_closed_form(engine, model):
    x = sequence(6, 1)
    ex = engine.explain_timeshap(model, x, "event", background=B)
    want = cells(x).sum(axis=1)[::-1]  # most recent first
    np.testing.assert_allclose(ex.values, want, atol=1e-5)
    assert ex.exact and ex.level == "event" and ex.pruned_len == 6
    assert [p.kind for p in ex.players] == ["event"] * 6
    assert [p.event for p in ex.players] == [5, 4, 3, 2, 1, 0]
    assert all(p.feature is None for p in ex.players)
    assert ex.players[0].name == "Event -1"
    assert ex.prediction == pytest.approx(decaying(x[None])[0], abs=1e-5)
    assert ex.base_value == pytest.approx(decaying(np.tile(B, (1, 6, 1)))[0], abs=1e-5)
    assert ex.values.sum() == pytest.approx(ex.prediction - ex.base_value, abs=1e-5)
    assert np.all(ex.standard_errors == 0)
    record = json.loads(ex.to_json())
    assert record["method"] == "time_shap" and record["parameters"]["level"] == "event"


def test_feature_and_cell_level(engine, model):
    x = sequence(6, 2)
    features = engine.explain_timeshap(model, x, "feature", background=B)
    np.testing.assert_allclose(features.values, cells(x).sum(axis=0), atol=1e-5)
    assert [(p.kind, p.feature, p.name) for p in features.players] == [
        ("feature", 0, "amount"),
        ("feature", 1, "hour"),
    ]
    ex = engine.explain_timeshap(model, x, "cell", background=B, top_events=2, top_features=1)
    kinds = [p.kind for p in ex.players]
    assert kinds.count("cell") == 2 and "other_cells" in kinds
    for value, player in zip(ex.values, ex.players):
        if player.kind == "cell":
            assert value == pytest.approx(cells(x)[player.event, player.feature], abs=1e-5)
    assert ex.values.sum() == pytest.approx(ex.prediction - ex.base_value, abs=1e-5)
    threshold = engine.explain_timeshap(
        model, x, "cell", background=B, relevance="threshold", event_threshold=1e9, feature_threshold=1e9
    )
    assert [p.kind for p in threshold.players] == ["other_cells"]


def test_pruning_keeps_exactly_the_events_read(engine):
    k = 3

    def last_k(x):
        return decaying(x[:, -k:, :])

    x = sequence(12, 3)
    with lumen.SequenceModel(last_k, features=F) as m:
        pruning = engine.timeshap_prune(m, x, background=B, tolerance=0.0)
        assert pruning.pruned_len == k and len(pruning.curve) == k
        assert pruning.curve[0].split == 11 and pruning.curve[0].newer_len == 1
        assert pruning.curve[-1].older_value == 0.0 and pruning.curve[-1].newer_len == k
        full = engine.timeshap_prune(m, x, background=B, tolerance=0.0, full_curve=True)
        assert full.pruned_len == k and len(full.curve) == 11 and full.curve[-1].split == 1
        total = full.curve[0].older_value + full.curve[0].newer_value
        assert all(p.older_value + p.newer_value == pytest.approx(total, abs=1e-5) for p in full.curve)
        ex = engine.explain_timeshap(m, x, background=B, tolerance=0.0)
        assert len(ex.players) == k + 1 and ex.players[-1].kind == "pruned_events"
        assert ex.players[-1].name == "Pruned Events" and ex.values[-1] == pytest.approx(0.0, abs=1e-6)
        assert ex.pruned_len == k
    # Without a tolerance nothing is pruned; a looser η prunes more.
    with lumen.SequenceModel(decaying, features=F) as m:
        assert engine.timeshap_prune(m, x, background=B).pruned_len == 12
        loose = engine.timeshap_prune(m, x, background=B, tolerance=0.05).pruned_len
        tight = engine.timeshap_prune(m, x, background=B, tolerance=1e-4).pruned_len
        assert loose < tight <= 12


def test_state_path_gives_the_same_values(engine, model):
    calls = {"from_state": 0}

    def run_prefix(initial, x):
        return decaying(x, initial)[:, None]

    def predict_from_state(states, x):
        calls["from_state"] += 1
        return decaying(x, states[:, 0])

    x = sequence(10, 4)
    with lumen.SequenceModel(
        decaying, features=F, run_prefix=run_prefix, predict_from_state=predict_from_state, state_len=1
    ) as stateful:
        with_state = engine.explain_timeshap(stateful, x, background=B, tolerance=0.01)
        assert calls["from_state"] > 0
        without = engine.explain_timeshap(model, x, background=B, tolerance=0.01)
        np.testing.assert_allclose(with_state.values, without.values, atol=1e-5)
        calls["from_state"] = 0
        engine.explain_timeshap(stateful, x, background=B, tolerance=0.01, use_state=False)
        assert calls["from_state"] == 0


def test_training_events_background(engine, model):
    training = np.array([[0.0, 0.1], [0.2, 0.3]], dtype=np.float32)  # mean = B
    x = sequence(5, 5)
    a = engine.explain_timeshap(model, x, training_events=training).values
    b = engine.explain_timeshap(model, x, background=B).values
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_global_report(engine, model):
    lengths = [5, 6, 7]
    sequences = [sequence(n, 10 + i) for i, n in enumerate(lengths)]
    with engine.timeshap_global(model, sequences, background=B, tolerances=[0.0, 0.05], seeds=2) as report:
        assert report.sequences == 3
        by_distance = report.event_importance
        assert len(by_distance) == 7 and by_distance[0].count == 3 and by_distance[6].count == 1
        assert by_distance[0].mean == pytest.approx(np.mean([cells(s)[-1].sum() for s in sequences]), abs=1e-5)
        features = report.feature_importance
        assert len(features) == F
        assert features[0].mean == pytest.approx(np.mean([cells(s)[:, 0].sum() for s in sequences]), abs=1e-5)
        share = np.mean([cells(s)[-1].sum() / cells(s).sum() for s in sequences])
        assert report.most_recent_share.mean == pytest.approx(share, abs=1e-4)
        table = report.pruning_table
        assert [row.tolerance for row in table] == [0.0, 0.05]
        assert table[1].mean_len <= table[0].mean_len and table[0].max_len <= 7
        assert "pruning_table" in json.loads(report.to_json())


class FeedDown(Exception):
    pass


def test_bad_input(engine, model):
    x = sequence(4, 6)
    with pytest.raises(lumen.InvalidInputError, match="background"):
        engine.explain_timeshap(model, x)
    with pytest.raises(lumen.InvalidInputError, match="seq_len"):
        engine.explain_timeshap(model, x[:1], background=B)
    with pytest.raises(lumen.InvalidInputError, match="sequence") as caught:
        engine.explain_timeshap(model, np.ones((4, 3)), background=B)
    assert caught.value.status == lumen.Status.LENGTH_MISMATCH
    bad = x.copy()
    bad[2, 1] = np.nan
    with pytest.raises(lumen.InvalidInputError, match="sequence") as caught:
        engine.explain_timeshap(model, bad, background=B)
    assert caught.value.status == lumen.Status.NON_FINITE_INPUT
    with pytest.raises(lumen.InvalidInputError, match="tolerance"):
        engine.timeshap_prune(model, x, background=B, tolerance=-0.5)
    with pytest.raises(lumen.InvalidInputError, match="background"):
        engine.explain_timeshap(model, x, background=[0.1, 0.2, 0.3])
    with pytest.raises(lumen.InvalidInputError, match="level"):
        engine.explain_timeshap(model, x, "events", background=B)
    with pytest.raises(lumen.InvalidInputError, match="relevance"):
        engine.explain_timeshap(model, x, "cell", background=B, relevance="top")
    with pytest.raises(lumen.InvalidInputError, match="sequence 1: seq_len"):
        engine.timeshap_global(model, [x, x[:1]], background=B, tolerances=[0.0], seeds=2)
    with pytest.raises(lumen.InvalidInputError, match="model"):
        engine.explain_timeshap(None, x, background=B)
    with pytest.raises(lumen.InvalidInputError, match="predict"):
        lumen.SequenceModel(None, features=F)
    with pytest.raises(lumen.InvalidInputError, match="both"):
        lumen.SequenceModel(decaying, features=F, run_prefix=lambda s, x: s, state_len=1)
    with pytest.raises(lumen.InvalidInputError, match="features"):
        lumen.SequenceModel(decaying, features=0)


def test_failing_models(engine):
    x = sequence(4, 7)

    def broken(batch):
        raise FeedDown(f"feature store down for {batch.shape[1]} events")

    with lumen.SequenceModel(broken, features=F) as m:
        with pytest.raises(lumen.ModelCallbackError, match="feature store down") as caught:
            engine.explain_timeshap(m, x, background=B)
        assert isinstance(caught.value.__cause__, FeedDown)
    with lumen.SequenceModel(lambda batch: np.full(batch.shape[0], np.nan), features=F) as m:
        with pytest.raises(lumen.ModelError) as caught:
            engine.explain_timeshap(m, x, background=B)
        assert caught.value.status == lumen.Status.MODEL_NON_FINITE_OUTPUT
    with lumen.SequenceModel(lambda batch: np.zeros((batch.shape[0], 3)), features=F) as m:
        with pytest.raises(lumen.ModelCallbackError, match="expected"):
            engine.explain_timeshap(m, x, background=B)


def test_thin_samples_report_no_standard_errors_but_keep_the_values():
    """14 events at budget 14 with seed 1: too few coalitions to estimate the errors, the
    values still sum to f(x) − base."""
    rng = np.random.default_rng(0)
    sequence = rng.normal(size=(14, 2)).astype(np.float32)

    def predict(x):
        x = x.astype(np.float64)
        return np.tanh(x.sum(axis=(1, 2)))[:, None] + x[:, -1, 0:1] * x[:, 0, 1:2]

    with lumen.Engine(backend="cpu", seed=1) as engine, lumen.SequenceModel(predict, features=2) as model:
        thin = engine.explain_timeshap(model, sequence, background=[0, 0], budget=14)
        sampling = thin.sampling
        assert sampling is not None and not sampling.standard_errors_available and not sampling.exact
        assert sampling.coalitions == 14 and sampling.largest_standard_error is None
        assert thin.standard_errors is None
        assert abs(thin.values.sum() - (thin.prediction - thin.base_value)) < 1e-4
        ample = engine.explain_timeshap(model, sequence, background=[0, 0], budget=2000)
        assert ample.sampling is not None and ample.sampling.standard_errors_available
        assert ample.standard_errors is not None and ample.standard_errors.shape == ample.values.shape
