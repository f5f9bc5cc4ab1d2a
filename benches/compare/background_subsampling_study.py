#!/usr/bin/env python3
"""Sample-efficiency study: fewer background rows per coalition, more coalitions.

A numpy study, not part of Lumen or of CI. It answers one question: at a fixed number of
model evaluations, is KernelSHAP more accurate when each coalition is evaluated over a
random subset of ``m`` background rows (and so ``50 / m`` times as many coalitions are
sampled) than over the whole background, as Lumen and shap do? The subset estimate of
``v(S) = mean_b f(x_S, b_notS)`` is unbiased, so the trade is the coalitions' sampling
variance against the background's.

Reads the setting written by ``kernel_shap_compare setup`` (``run.sh`` writes it to
``target/compare/setting.json``). For each explained row it computes the exact Shapley
values by brute force over all ``2^M`` coalitions, then estimates them by paired
KernelSHAP (coalition sizes drawn from the Shapley kernel, each coalition with its
complement, the pair's two evaluations over the same background subset, the antisymmetric
part fitted by least squares under ``sum(phi) = f(x) - E[f]``) with ``evaluations``
model rows in all (50 000 by default: budget 1000 over 50 background rows) and ``m`` of
all, 25, 10, 5, 2 and 1 background rows per coalition. Prints the mean absolute error for
each ``m`` and its ratio to the whole background's.

    target/shap-venv/bin/python benches/compare/background_subsampling_study.py \\
        target/compare/setting.json --rows 6 --seeds 10

Measured on the 16-player setting (6 rows × 10 seeds, 2026-12-06): every subset was worse,
1.81× the error with 25 rows, 2.13× with 10, 2.31× with 1. The background's variance
dominates, so Lumen keeps whole-background coalitions.
"""

import argparse
import json
from math import factorial

import numpy as np


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("setting", help="JSON written by `kernel_shap_compare setup`")
    parser.add_argument("--rows", type=int, default=6, help="explained rows to use")
    parser.add_argument("--seeds", type=int, default=10, help="seeds per row and subset size")
    parser.add_argument("--evaluations", type=int, default=50_000, help="model rows per explanation")
    return parser.parse_args()


class Setting:
    """The comparison MLP ``M -> H tanh -> 1 sigmoid``, its background and rows, in float64."""

    def __init__(self, path):
        with open(path) as f:
            d = json.load(f)
        self.players, hidden = d["inputs"], d["hidden"]
        self.w1 = np.asarray(d["w1"], dtype=np.float64).reshape(hidden, self.players)
        self.b1 = np.asarray(d["b1"], dtype=np.float64)
        self.w2 = np.asarray(d["w2"], dtype=np.float64)
        self.b2 = float(d["b2"])
        self.background = np.asarray(d["background"], dtype=np.float64)
        self.rows = np.asarray(d["rows"], dtype=np.float64)

    def predict(self, inputs):
        return 1.0 / (1.0 + np.exp(-(np.tanh(inputs @ self.w1.T + self.b1) @ self.w2 + self.b2)))

    def game(self, x):
        """``v(S)`` for every coalition ``S`` (bit ``i`` of the index: player ``i`` present)."""
        m, n = self.players, len(self.background)
        values = np.empty(2**m)
        for first in range(0, 2**m, 4096):
            masks = (np.arange(first, min(first + 4096, 2**m))[:, None] >> np.arange(m)) & 1
            rows = np.where(masks[:, None, :].astype(bool), x[None, None, :], self.background[None, :, :])
            values[first:first + len(masks)] = self.predict(rows.reshape(-1, m)).reshape(len(masks), n).mean(1)
        return values


def exact_shapley(values, players):
    """Shapley values from the whole game table, by the definition."""
    index = np.arange(2**players)
    sizes = np.array([bin(i).count("1") for i in range(2**players)])
    weight = np.array([factorial(s) * factorial(players - s - 1) / factorial(players) for s in range(players)])
    phi = np.zeros(players)
    for i in range(players):
        without = index[(index >> i) & 1 == 0]
        phi[i] = np.sum(weight[sizes[without]] * (values[without | (1 << i)] - values[without]))
    return phi


def paired_kernel_shap(setting, x, values, pairs, subset, rng):
    """Paired KernelSHAP with ``pairs`` pairs, each evaluated over ``subset`` background rows."""
    m, n = setting.players, len(setting.background)
    sizes = np.arange(1, m)
    kernel = (m - 1) / (sizes * (m - sizes))
    drawn = rng.choice(sizes, size=pairs, p=kernel / kernel.sum())
    masks = np.zeros((pairs, m), dtype=bool)
    for k, size in enumerate(drawn):
        masks[k, rng.choice(m, size, replace=False)] = True
    if subset == n:
        index = masks @ (1 << np.arange(m))
        present, absent = values[index], values[(2**m - 1) ^ index]
    else:
        chosen = setting.background[np.array([rng.choice(n, subset, replace=False) for _ in range(pairs)])]
        with_x = np.where(masks[:, None, :], x[None, None, :], chosen)
        complement = np.where(~masks[:, None, :], x[None, None, :], chosen)
        present = setting.predict(with_x.reshape(-1, m)).reshape(pairs, subset).mean(1)
        absent = setting.predict(complement.reshape(-1, m)).reshape(pairs, subset).mean(1)
    signs = 2.0 * masks - 1.0
    gram_inverse = np.linalg.inv(signs.T @ signs)
    moments = signs.T @ ((present - absent) / 2)
    ones = np.ones(m)
    half_total = (values[-1] - values[0]) / 2
    unconstrained = gram_inverse @ moments
    a = unconstrained + gram_inverse @ ones * ((half_total - ones @ unconstrained) / (ones @ gram_inverse @ ones))
    return 2 * a


def main():
    args = parse_args()
    setting = Setting(args.setting)
    whole_background = len(setting.background)
    subsets = [whole_background] + [m for m in (25, 10, 5, 2, 1) if m < whole_background]
    errors = {m: [] for m in subsets}
    for r in range(args.rows):
        x = setting.rows[r]
        values = setting.game(x)
        phi = exact_shapley(values, setting.players)
        for m in subsets:
            pairs = args.evaluations // (2 * m)
            estimates = [paired_kernel_shap(setting, x, values, pairs, m, np.random.default_rng(1000 * r + s))
                         for s in range(args.seeds)]
            errors[m].append(np.mean([np.abs(e - phi).mean() for e in estimates]))
        print(f"row {r}: " + ", ".join(f"m={m} {np.mean(e):.2e}" for m, e in errors.items()), flush=True)
    whole = np.mean(errors[subsets[0]])
    for m in subsets:
        print(f"{m:>2} background rows per coalition: MAE {np.mean(errors[m]):.3e}, "
              f"{np.mean(errors[m]) / whole:.2f}x the whole background's")


if __name__ == "__main__":
    main()
