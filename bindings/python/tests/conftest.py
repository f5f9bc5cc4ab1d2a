"""Shared fixtures: a CPU engine and a two-output linear model with its gradient."""

import numpy as np
import pytest

import lumen

W = np.array([[0.5, -1.0, 2.0, 0.25], [-0.75, 1.5, 0.5, -2.0]])
B = np.array([0.1, -0.3])
X = np.array([[1.0, 2.0, -1.0, 0.5], [-0.5, 1.0, 3.0, 2.0]], dtype=np.float32)
BASELINE = np.array([0.25, -0.5, 1.0, 0.0], dtype=np.float32)


def linear_predict(x):
    return x.astype(np.float64) @ W.T + B


def linear_gradient(x, targets):
    return W[targets]


@pytest.fixture
def engine():
    with lumen.Engine(backend="cpu", threads=2, seed=7) as e:
        yield e


@pytest.fixture
def linear():
    with lumen.Model(linear_predict, input_len=4, output_len=2, gradient=linear_gradient, concurrent=True) as m:
        yield m


def linear_attributions(x, baseline):
    """w[o][i] (x_i − b_i) as (rows, outputs, features)."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    return W[None, :, :] * (x - np.asarray(baseline, dtype=np.float64))[:, None, :]
