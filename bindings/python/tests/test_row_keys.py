"""Row-keyed determinism: a row's explanation depends on the seed and its key, never on the
other rows of the call; keys default to a hash of the row, ids hash the same everywhere;
a per-call seed replaces the engine's."""

import numpy as np
import pytest

import lumen

W = np.array([1.0, -2.0, 0.5, 3.0, -1.0])


def interacting(x):
    x = x.astype(np.float64)
    return x @ W + x[:, 0] * x[:, 1] * x[:, 2] + 0.3 * (x**2).sum(1)


def interacting_gradient(x, targets):
    x = x.astype(np.float64)
    g = W + 0.6 * x
    g[:, 0] += x[:, 1] * x[:, 2]
    g[:, 1] += x[:, 0] * x[:, 2]
    g[:, 2] += x[:, 0] * x[:, 1]
    return g


@pytest.fixture
def model():
    with lumen.Model(interacting, input_len=5, gradient=interacting_gradient, concurrent=True) as m:
        yield m


ROWS = np.random.default_rng(3).normal(size=(4, 5)).astype(np.float32)
BACKGROUND = np.random.default_rng(4).normal(size=(3, 5)).astype(np.float32)


def sampled_methods(engine, model):
    return {
        "kernel_shap": lambda x, **c: engine.kernel_shap(model, x, BACKGROUND, budget=12, **c),
        "shapley_sampling": lambda x, **c: engine.shapley_sampling(model, x, BACKGROUND, permutation_pairs=2, **c),
        "gradient_shap": lambda x, **c: engine.gradient_shap(model, x, BACKGROUND, stdevs=0.2, n_samples=6, **c),
        "noise_tunnel": lambda x, **c: engine.noise_tunnel(model, x, nt_samples=4, stdevs=0.3, **c),
    }


@pytest.mark.parametrize("method", ["kernel_shap", "shapley_sampling", "gradient_shap", "noise_tunnel"])
def test_a_row_alone_reproduces_its_values_from_any_batch(method):
    with lumen.Engine(backend="cpu", threads=2, seed=5) as engine, lumen.Model(
        interacting, input_len=5, gradient=interacting_gradient, concurrent=True
    ) as model:
        explain = sampled_methods(engine, model)[method]
        batch = explain(ROWS)
        backwards = explain(ROWS[::-1].copy())
        for r in range(len(ROWS)):
            alone = explain(ROWS[r])
            np.testing.assert_array_equal(batch.attributions[r], alone.attributions[0])
            np.testing.assert_array_equal(backwards.attributions[len(ROWS) - 1 - r], alone.attributions[0])
            assert alone.row_keys == [batch.row_keys[r]]


def test_ids_key_rows_as_in_every_binding(engine, model):
    # Pinned: the same id gives the same key in C, C++, Java and the CLI.
    assert lumen.row_key("A-1042") == 0x0F55BC8B4B53E024
    assert lumen.row_key(b"A-1042") == lumen.row_key("A-1042")
    assert lumen.row_key(12) == 12
    ids = ["A-1", "A-2", "A-3", "A-4"]
    batch = engine.kernel_shap(model, ROWS, BACKGROUND, budget=12, row_keys=ids)
    again = engine.kernel_shap(model, ROWS[2], BACKGROUND, budget=12, row_keys=["A-3"])
    np.testing.assert_array_equal(batch.attributions[2], again.attributions[0])
    assert batch.row_keys == [lumen.row_key(i) for i in ids]
    assert batch.audit["audit"]["row_keys"]["source"] == "caller"
    hashed = engine.kernel_shap(model, ROWS[2], BACKGROUND, budget=12)
    assert not np.array_equal(hashed.attributions, again.attributions), "the caller's key drives the draws"
    assert hashed.audit["audit"]["row_keys"]["source"] == "input_hash"


def test_the_call_seed_replaces_the_engine_seed(model):
    with lumen.Engine(backend="cpu", seed=11) as by_engine, lumen.Engine(backend="cpu", seed=5) as other:
        want = by_engine.shapley_sampling(model, ROWS, BACKGROUND, permutation_pairs=2)
        got = other.shapley_sampling(model, ROWS, BACKGROUND, permutation_pairs=2, seed=11)
        np.testing.assert_array_equal(want.attributions, got.attributions)
        assert got.audit["audit"]["seed"] == 11
        default = other.shapley_sampling(model, ROWS, BACKGROUND, permutation_pairs=2)
        assert not np.array_equal(default.attributions, got.attributions)


def test_timeshap_and_counterfactuals_take_keys_and_seeds(engine):
    rng = np.random.default_rng(9)
    seq = lumen.SequenceModel(lambda x: np.tanh(x.astype(np.float64).sum(axis=(1, 2)))[:, None], features=2)
    sequence = rng.normal(size=(9, 2)).astype(np.float32)
    first = engine.explain_timeshap(seq, sequence, background=[0, 0], budget=30, tolerance=None, row_keys=["S-1"])
    again = engine.explain_timeshap(seq, sequence, background=[0, 0], budget=30, tolerance=None, row_keys=["S-1"])
    other = engine.explain_timeshap(seq, sequence, background=[0, 0], budget=30, tolerance=None, row_keys=["S-2"])
    assert first.values.tolist() == again.values.tolist()
    assert first.values.tolist() != other.values.tolist()
    binary = lumen.Model(lambda x: 1 / (1 + np.exp(-(x.astype(np.float64) @ W))), input_len=5)
    training = rng.normal(size=(40, 5))
    batch = engine.counterfactuals(binary, ROWS[:2], training, seed=3)
    alone = engine.counterfactuals(binary, ROWS[1], training, seed=3)
    assert batch.audit["audit"]["seed"] == 3
    assert batch.instance(1).count > 0
    assert [(c.row.tolist(), c.distance) for c in batch[1]] == [(c.row.tolist(), c.distance) for c in alone[0]]
    # Keyed by the values: the key the engine reports for the instance alone is its batch key.
    assert alone.row_keys == batch.row_keys[1:] and len(set(batch.row_keys)) == 2
    keyed = engine.counterfactuals(binary, ROWS[:2], training, seed=3, row_keys=["A-1", 7])
    assert keyed.row_keys == [lumen.row_key("A-1"), lumen.row_key(7)]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"row_keys": [1, 2]}, "control.row_keys"),
        ({"row_keys": []}, "row_keys: is empty"),
        ({"row_keys": "A-1"}, "row_keys: is one str"),
        ({"row_keys": [1, -1, 2, 3]}, "row_keys[1]"),
        ({"row_keys": [1, 2.5, 2, 3]}, "row_keys[1]"),
        ({"seed": -1}, "seed: is -1"),
        ({"seed": 2**64}, "seed: is"),
        ({"seed": True}, "seed: is True"),
    ],
)
def test_bad_keys_and_seeds_are_refused(engine, model, kwargs, needle):
    with pytest.raises(lumen.InvalidInputError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        engine.kernel_shap(model, ROWS, BACKGROUND, budget=12, **kwargs)
