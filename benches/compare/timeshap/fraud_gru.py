"""The built-in account-takeover GRU of Lumen (``lumen-models``, module ``fraud``) in numpy.

Loads ``data/fraud/gru_weights.json`` (PyTorch ``torch.nn.GRU`` layout and gate order
r, z, n; the state starts at 0) and scores batches of sequences the way TimeSHAP calls a
model::

    from fraud_gru import FraudGru
    model = FraudGru()                  # or FraudGru("path/to/gru_weights.json")
    scores = model(batch)               # batch: (rows, L, F) -> (rows, 1)

The arithmetic runs in float64 on the file's float32 weights, so it agrees with Lumen's
float32 forward pass to about 1e-7 (``check_fraud_gru.py`` asserts 1e-5).
"""

import json
import pathlib

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
DEFAULT_WEIGHTS = REPO_ROOT / "data" / "fraud" / "gru_weights.json"
FORMAT = "lumen-fraud-gru/1"


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class FraudGru:
    """The GRU plus logistic head; calling it scores a (rows, L, F) batch as (rows, 1)."""

    def __init__(self, path=DEFAULT_WEIGHTS):
        with open(path, encoding="utf-8") as file:
            weights = json.load(file)
        if weights.get("format") != FORMAT:
            raise ValueError(f"{path}: format {weights.get('format')!r}, expected {FORMAT!r}")
        self.feature_names = list(weights["feature_names"])
        self.features = len(self.feature_names)
        self.hidden = int(weights["hidden"])
        h, f = self.hidden, self.features

        def array(name, shape):
            values = np.asarray(weights[name], dtype=np.float32).astype(np.float64)
            if values.size != int(np.prod(shape)):
                raise ValueError(f"{path}: {name} has {values.size} values, expected {shape}")
            return values.reshape(shape)

        self.weight_ih = array("weight_ih", (3 * h, f))
        self.weight_hh = array("weight_hh", (3 * h, h))
        self.bias_ih = array("bias_ih", (3 * h,))
        self.bias_hh = array("bias_hh", (3 * h,))
        self.weight_out = array("weight_out", (h,))
        self.bias_out = float(array("bias_out", (1,))[0])
        self.evaluated_rows = 0

    def final_state(self, batch, initial_state=None):
        """The hidden state after the last event of every sequence, (rows, H), starting
        from ``initial_state`` (rows, H) or from zeros."""
        batch = np.asarray(batch, dtype=np.float64)
        if batch.ndim != 3 or batch.shape[2] != self.features:
            raise ValueError(f"expected a (rows, L, {self.features}) batch, got shape {batch.shape}")
        h = self.hidden
        if initial_state is None:
            state = np.zeros((batch.shape[0], h))
        else:
            state = np.asarray(initial_state, dtype=np.float64).reshape(batch.shape[0], h)
        # The input side of every event at once: (rows, L, 3H).
        from_input = batch @ self.weight_ih.T + self.bias_ih
        for t in range(batch.shape[1]):
            from_state = state @ self.weight_hh.T + self.bias_hh
            gates_input = from_input[:, t, :]
            reset = _sigmoid(gates_input[:, :h] + from_state[:, :h])
            update = _sigmoid(gates_input[:, h:2 * h] + from_state[:, h:2 * h])
            candidate = np.tanh(gates_input[:, 2 * h:] + reset * from_state[:, 2 * h:])
            state = (1.0 - update) * candidate + update * state
        return state

    def __call__(self, batch):
        """Probabilities of an account takeover, (rows, 1)."""
        state = self.final_state(batch)
        self.evaluated_rows += state.shape[0]
        return _sigmoid(state @ self.weight_out + self.bias_out)[:, None]


    def with_state(self, batch, hidden_state=None):
        """TimeSHAP's state-carrying model convention (as for a PyTorch GRU): scores the
        batch continuing from ``hidden_state`` (1, rows, H), or from zeros, and returns
        ``(scores (rows, 1), final hidden state (1, rows, H))``."""
        batch = np.asarray(batch, dtype=np.float64)
        initial = None if hidden_state is None else np.asarray(hidden_state)[0]
        state = self.final_state(batch, initial)
        self.evaluated_rows += state.shape[0]
        return _sigmoid(state @ self.weight_out + self.bias_out)[:, None], state[None, :, :]


_DEFAULT = None


def f(batch):
    """TimeSHAP's model entry point with the committed weights: (rows, L, F) -> (rows, 1)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = FraudGru()
    return _DEFAULT(batch)
