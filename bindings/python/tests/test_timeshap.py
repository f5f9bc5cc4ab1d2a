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


def test_estimator_chooses_how_sampled_levels_are_fitted():
    """14 events at budget 400 are sampled: the default fits the leading events' triples,
    ``leverage_stratified`` (0.2's fit) gives other values; both sum to f(x) − base."""
    rng = np.random.default_rng(0)
    sequence = rng.normal(size=(14, 2)).astype(np.float32)

    def predict(x):
        x = x.astype(np.float64)
        return np.tanh(x.sum(axis=(1, 2)))[:, None] + x[:, -1, 0:1] * x[:, -2, 1:2] * x[:, -3, 0:1]

    with lumen.Engine(backend="cpu", seed=1) as engine, lumen.SequenceModel(predict, features=2) as model:
        runs = {
            name: engine.explain_timeshap(model, sequence, background=[0, 0], budget=400, estimator=name)
            for name in ("default", "leverage_top_triples", "leverage_stratified")
        }
        for name, explained in runs.items():
            assert explained.sampling is not None and not explained.sampling.exact
            recorded = json.loads(explained.to_json())["parameters"]["estimator"]
            assert recorded == ("leverage_top_triples" if name == "default" else name)
            assert abs(explained.values.sum() - (explained.prediction - explained.base_value)) < 1e-4
        np.testing.assert_array_equal(runs["default"].values, runs["leverage_top_triples"].values)
        assert not np.array_equal(runs["default"].values, runs["leverage_stratified"].values)
        with pytest.raises(lumen.InvalidInputError, match="estimator: is 'kernel'"):
            engine.explain_timeshap(model, sequence, background=[0, 0], estimator="kernel")
    # Options are checked when made, before any engine call (a Spark driver relies on it).
    with pytest.raises(lumen.InvalidInputError, match="estimator: is 'kernel', expected one of"):
        lumen.TimeShapOptions(estimator="kernel")


def last_k_model(k):
    return lumen.SequenceModel(lambda x: decaying(x[:, -k:, :]), features=F, feature_names=["amount", "hour"])


def test_pruning_index_equals_the_tolerance_run_that_lands_on_it(engine):
    k, x = 3, sequence(12, 3)
    with last_k_model(k) as m:
        for level in ("event", "feature", "cell"):
            by_tolerance = engine.explain_timeshap(m, x, level, background=B, tolerance=0.0, top_events=2)
            assert by_tolerance.pruned_len == k and by_tolerance.pruning_index == -k
            options = lumen.TimeShapOptions(background=B, pruning_index=-k, top_events=2)
            by_index = engine.explain_timeshap(m, x, level, options=options)
            assert by_index.pruned_len == k
            assert by_index.values.tobytes() == by_tolerance.values.tobytes()
            assert by_index.players == by_tolerance.players
            # The package's spelling as a loose keyword gives the same.
            by_alias = engine.explain_timeshap(m, x, level, background=B, pruning_idx=-k, top_x_events=2)
            assert by_alias.values.tobytes() == by_tolerance.values.tobytes()
        pruning = engine.timeshap_prune(m, x, background=B, pruning_index=-k)
        assert pruning.pruned_len == k and pruning.curve == [] and pruning.pruning_index == -k
        # -seq_len keeps every event.
        everything = engine.explain_timeshap(m, x, background=B, pruning_index=-12)
        assert everything.pruned_len == 12 and "pruned_events" not in [p.kind for p in everything.players]
        with pytest.raises(lumen.InvalidInputError, match="-12 <= index <= -1"):
            engine.explain_timeshap(m, x, background=B, pruning_index=-13)
        with pytest.raises(lumen.InvalidInputError, match="expected a negative index"):
            engine.explain_timeshap(m, x, background=B, pruning_index=0)
        with pytest.raises(lumen.InvalidInputError, match="set one of them"):
            engine.explain_timeshap(m, x, background=B, pruning_index=-2, tolerance=0.1)


def test_timeshap_pruning_curve_includes_both_end_points(engine):
    k, length, x = 3, 12, sequence(12, 3)
    with last_k_model(k) as m:
        curve = engine.timeshap_pruning_curve(m, x, background=B, tolerance=0.0)
        lumen_form = engine.timeshap_prune(m, x, background=B, tolerance=0.0, full_curve=True)
    assert curve.pruning_index == -k == lumen_form.pruning_index
    assert [p.t for p in curve.points] == list(range(0, -length - 1, -1))
    total = curve.points[0].older_value
    assert curve.points[0].newer_value == 0.0
    assert curve.points[-1] == (-length, 0.0, total)
    for point, ours in zip(curve.points[1:-1], lumen_form.curve):
        assert point.t == ours.split - length
        assert (point.older_value, point.newer_value) == (ours.older_value, ours.newer_value)
    rows = curve.rows()
    assert len(rows) == 2 * (length + 1)
    assert rows[0] == ("Sum of contribution of events > t", 0, 0.0)
    assert rows[1] == ("Sum of contribution of events \u2264 t", 0, total)
    assert lumen.timeshap.CURVE_COLUMNS == ("Coalition", "t (event index)", "Shapley Value")
    # The package's prune_given_data: the first t (from -1 back) whose older value is within η.
    first = next(p.t for p in curve.points[1:] if abs(p.older_value) <= 0.0)
    assert first == curve.pruning_index


def test_timeshap_players_name_and_count_like_the_package(engine):
    k, x = 3, sequence(8, 4)
    with last_k_model(k) as m:
        events = engine.explain_timeshap(m, x, "event", background=B, pruning_index=-k)
        assert events.timeshap_players == [
            ("Event -1", -1, None),
            ("Event -2", -2, None),
            ("Event -3", -3, None),
            ("Pruned Events", None, None),
        ]
        # Lumen's own view counts from the oldest.
        assert [p.event for p in events.players[:3]] == [7, 6, 5]
        features = engine.explain_timeshap(m, x, "feature", background=B, pruning_index=-k)
        assert [p.name for p in features.timeshap_players] == ["amount", "hour", "Pruned Events"]
        cells = engine.explain_timeshap(m, x, "cell", background=B, pruning_index=-k, top_events=1, top_features=1)
        names = [p.name for p in cells.timeshap_players]
        first = cells.timeshap_players[0]
        feature = ["amount", "hour"][first.feature]
        assert names == [
            f"(Event {first.event}, {feature})",
            f"(Event {first.event}, Other Features)",
            f"(Other Events, {feature})",
            "(Other Events, Other Features)",
            "(Pruned Events, Pruned Events)",
        ]
        assert cells.players[3].name == "Other Cells"


def test_options_dataclass_rejects_unknown_settings_clearly(engine, model):
    options = lumen.TimeShapOptions(background=B, nsamples=100, top_x_events=2, top_x_feats=1, tol=0.1)
    assert (options.budget, options.top_events, options.top_features, options.tolerance) == (100, 2, 1, 0.1)
    assert lumen.TimeShapOptions(pruning_idx=-3).pruning_index == -3
    assert options.updated(budget=50).budget == 50 and options.budget == 100
    with pytest.raises(lumen.InvalidInputError) as caught:
        lumen.TimeShapOptions(tolerence=0.1)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "unknown setting 'tolerence'" in message and "did you mean 'tolerance'" in message
    assert "valid settings: background, training_events, tolerance, pruning_index, budget" in message
    assert "nsamples (= budget)" in message
    with pytest.raises(lumen.InvalidInputError, match="given twice"):
        lumen.TimeShapOptions(budget=10, nsamples=20)
    with pytest.raises(lumen.InvalidInputError, match="set one of them"):
        lumen.TimeShapOptions(tolerance=0.1, pruning_index=-2)
    x = sequence(5, 9)
    # Loose keywords of the engine methods get the same error, never a raw TypeError.
    for call in (
        lambda: engine.explain_timeshap(model, x, background=B, n_samples=10),
        lambda: engine.timeshap_prune(model, x, background=B, n_samples=10),
        lambda: engine.timeshap_pruning_curve(model, x, background=B, n_samples=10),
        lambda: engine.timeshap_global(model, [x], background=B, n_samples=10),
    ):
        unknown = "unknown setting 'n_samples' \\(did you mean 'nsamples'\\?\\)"
        with pytest.raises(lumen.InvalidInputError, match=unknown):
            call()
    with pytest.raises(lumen.InvalidInputError, match="expected a lumen.TimeShapOptions"):
        engine.explain_timeshap(model, x, options={"background": B})
    # Options and keywords together: the keywords win.
    a = engine.explain_timeshap(model, x, options=lumen.TimeShapOptions(background=B, budget=6), budget=30)
    b = engine.explain_timeshap(model, x, background=B, nsamples=30)
    assert a.values.tobytes() == b.values.tobytes()
