#!/usr/bin/env python3
"""Sample-efficiency study: Shapley Value Sampling with a fitted control variate.

A numpy study, not part of Lumen or of CI. It measures one candidate improvement of Shapley
Value Sampling (``src/explain/shapley/sampling.rs``) before any Rust is written: the
regression-adjusted estimator (a control variate whose Shapley values are known in closed
form, fitted on the same model evaluations), on the games of ``examples/coverage_sweep.rs``.

Lumen's sampler walks ``P`` antithetic pairs of permutations (each random order and its
reverse) and averages each player's marginal contributions; the pair means give the
standard error. A pair's mean is exact for every term of order at most two (a pair's
reverse walk puts each other player on the other side), so a surrogate helps only through
odd terms of order three and more. The candidate fits, on the coalitions the walks visit,

    g(S) = c_0 + sum_i c_i z_i + sum_i d_i s_i h(|S|) [+ sum_i e_i s_i (sum_j b_j s_j)^2]

(``z_i`` 0/1, ``s_i = 2 z_i - 1``, ``h(k) = ((2k - M) / M)^2``: the default KernelSHAP
estimator's size terms and, with ``+score``, its score terms along the direction ``b`` of a
linear fit; with ``+triples``, the pairs and triples among the five players with the
largest linear values, as products of their 0/1 memberships or, with ``+walsh``, of their
signs, which ``+ridge`` penalises as PolySHAP does; ``+choose`` keeps plain sampling's
pair means where their summed variance is the smaller), and estimates ``phi_i = phi_i(g) +
mean over pairs of the residual game v - g's pair means``. Cross-fitted over ``K`` folds of pairs (each fold's residuals use a
``g`` fitted on the other folds' walks), so that the estimate stays unbiased and the pair
quantities stay independent for the standard error; every fold's ``phi(g)`` plus residual
pair means sums to ``v(N) - v(empty)`` exactly, so local accuracy holds.

    python3 benches/compare/svs_control_variate_study.py
    python3 benches/compare/svs_control_variate_study.py --games sigmoid,mlp --players 12 --pairs 16,25,32

Prints per game, players and pairs: the mean absolute error against the exact values (by
brute force over all ``2^M`` coalitions) of plain sampling and of each variant, the
variants' ratio to plain, and each one's share of values within 1.96 standard errors.
"""

import argparse
import itertools
import math

import numpy as np


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default="sigmoid,product,max,step,quadratic,sparse,mlp")
    parser.add_argument("--players", default="10", help="comma-separated M (brute force: 2^M coalitions)")
    parser.add_argument("--pairs", default="4,8,16,25,32,64", help="antithetic pairs per row")
    parser.add_argument("--variants", default="size,size+score", help="surrogate terms beside the players'")
    parser.add_argument("--folds", type=int, default=4, help="cross-fitting folds (at most the pairs)")
    parser.add_argument("--rows", type=int, default=3, help="explained rows (each its own game)")
    parser.add_argument("--seeds", type=int, default=20, help="sampling seeds per row")
    return parser.parse_args()


def model(game, players):
    """The model of ``game`` over rows of ``players`` inputs in [-1, 1) (coverage_sweep.rs's)."""
    a = np.array([((7 * i + 3) % 11) / 5 - 1 for i in range(players)])
    if game == "sigmoid":
        return lambda x: 1 / (1 + np.exp(-(1.5 * x @ a + 0.5)))
    if game == "product":
        return lambda x: np.prod(1 + x / 2, axis=1)
    if game == "max":
        return lambda x: np.max(x * a, axis=1)
    if game == "step":
        return lambda x: (x @ a > 0.1).astype(float)
    if game == "quadratic":
        return lambda x: (x @ a) ** 2
    if game == "sparse":
        return lambda x: x[:, 0] * x[:, 1] * x[:, 2] + x[:, 3] * x[:, 4] / 2 + x[:, 5] / 5
    if game == "mlp":
        hidden = np.random.default_rng(99).normal(size=(players, 8)) / math.sqrt(players)
        out = np.random.default_rng(98).normal(size=8)
        return lambda x: np.tanh(2 * x @ hidden) @ out
    raise SystemExit(f"unknown game {game}")


def members(players):
    """``z[S, i]``: whether player ``i`` is in coalition ``S`` (bit ``i`` of ``S``)."""
    masks = np.arange(2**players)
    return ((masks[:, None] >> np.arange(players)) & 1).astype(float)


def game_table(f, z, seed):
    """``v(S)`` for every coalition: the mean of ``f`` over 4 background rows with the
    explained row's values on ``S``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, z.shape[1])
    background = rng.uniform(-1, 1, (4, z.shape[1]))
    return np.mean([f(np.where(z == 1, x, b)) for b in background], axis=0)


def shapley_matrix(z):
    """``A`` with ``phi = A @ v`` for any game table ``v``."""
    players = z.shape[1]
    size = z.sum(1).astype(int)
    weight = np.array([math.factorial(k) * math.factorial(players - k - 1) / math.factorial(players)
                       for k in range(players)] + [0.0])
    a = np.zeros((players, len(z)))
    masks = np.arange(len(z))
    for i in range(players):
        out = z[:, i] == 0
        a[i, masks[out] | (1 << i)] += weight[size[out]]
        a[i, masks[out]] -= weight[size[out]]
    return a


def walks(players, pairs, rng):
    """``2 pairs`` orders: each random one followed by its reverse."""
    orders = np.array([rng.permutation(players) for _ in range(pairs)])
    return np.stack([orders, orders[:, ::-1]], axis=1).reshape(2 * pairs, players)


def prefixes(orders):
    """``[w, t]``: the coalition of walk ``w``'s first ``t`` players, ``t = 0..M``."""
    bits = np.cumsum(1 << orders, axis=1)
    return np.hstack([np.zeros((len(orders), 1), dtype=int), bits])


def pair_means(v, orders):
    """``[p, i]``: player ``i``'s mean marginal contribution over pair ``p``'s two walks."""
    steps = prefixes(orders)
    gains = v[steps[:, 1:]] - v[steps[:, :-1]]
    contributions = np.zeros(orders.shape)
    np.put_along_axis(contributions, orders, gains, axis=1)
    return contributions.reshape(-1, 2, orders.shape[1]).mean(axis=1)


def features(z, v, fitted_on, variant):
    """The surrogate's features over every coalition: 1, the players, their size terms,
    (``+score``) score terms along a linear fit's direction on the coalitions ``fitted_on``
    and (``+triples``) products of the leading players; and the first product's column."""
    players = z.shape[1]
    s = 2 * z - 1
    columns = [np.ones(len(z)), *z.T]
    size = ((2 * z.sum(1) - players) / players) ** 2
    columns += [s[:, i] * size for i in range(players)]
    linear = np.column_stack([np.ones(len(fitted_on)), z[fitted_on]])
    b = np.linalg.lstsq(linear, v[fitted_on], rcond=None)[0][1:]
    if "score" in variant and np.abs(b).sum() > 0:
        score = (s @ (b / np.abs(b).sum())) ** 2
        columns += [s[:, i] * score for i in range(players)]
    if "triples" in variant:
        # The pairs and triples among the five players with the largest linear values: as
        # products of the players' 0/1 memberships, or (``walsh``) of their signs.
        top = np.argsort(-np.abs(b))[:5]
        base = s if "walsh" in variant else z
        first_product = len(columns)
        for order in (2, 3):
            columns += [np.prod(base[:, list(t)], axis=1) for t in itertools.combinations(top, order)]
    return np.column_stack(columns), (first_product if "triples" in variant else len(columns))


def adjusted(v, z, shapley, orders, folds, variant):
    """The cross-fitted regression-adjusted estimate and its standard error."""
    pairs = len(orders) // 2
    fold_of = np.arange(pairs) % folds
    per_pair = np.zeros((pairs, z.shape[1]))
    steps = prefixes(orders).reshape(pairs, -1)
    for k in range(folds):
        fitted_on = steps[fold_of != k].ravel()
        f, first_product = features(z, v, fitted_on, variant)
        x = f[fitted_on]
        # A whisker of ridge keeps a rank-deficient fit (few walks) solvable; ``ridge``
        # puts PolySHAP's penalty (0.3 of the rows' count) on the pairs and triples.
        penalty = np.full(x.shape[1], 1e-9)
        if "ridge" in variant:
            penalty[first_product:] = 0.3
        gram = x.T @ x + len(x) * np.diag(penalty)
        g = f @ np.linalg.solve(gram, x.T @ v[fitted_on])
        held = np.repeat(fold_of == k, 2)
        per_pair[fold_of == k] = shapley @ g + pair_means(v - g, orders[held])
    if "choose" in variant:
        # Plain sampling's pair means where their spread is the smaller one.
        plain = pair_means(v, orders)
        if plain.var(0, ddof=1).sum() <= per_pair.var(0, ddof=1).sum():
            per_pair = plain
    return per_pair.mean(0), per_pair.std(0, ddof=1) / math.sqrt(pairs)


def main():
    args = parse_args()
    variants = args.variants.split(",")
    print(f"{'game':>9} {'M':>3} {'pairs':>5} | {'plain MAE':>9} {'cov':>5} | "
          + " | ".join(f"{v:>10} ratio {'cov':>5}" for v in variants))
    for players in map(int, args.players.split(",")):
        z = members(players)
        shapley = shapley_matrix(z)
        for game in args.games.split(","):
            f = model(game, players)
            tables = [game_table(f, z, row) for row in range(args.rows)]
            exact = [shapley @ v for v in tables]
            for pairs in map(int, args.pairs.split(",")):
                errors = {name: [] for name in ["plain", *variants]}
                covered = {name: [] for name in ["plain", *variants]}
                for row, (v, phi) in enumerate(zip(tables, exact)):
                    for seed in range(args.seeds):
                        orders = walks(players, pairs, np.random.default_rng(1000 * row + seed))
                        means = pair_means(v, orders)
                        results = {"plain": (means.mean(0), means.std(0, ddof=1) / math.sqrt(pairs))}
                        for variant in variants:
                            results[variant] = adjusted(v, z, shapley, orders, min(args.folds, pairs), variant)
                        for name, (estimate, error) in results.items():
                            errors[name].append(np.abs(estimate - phi).mean())
                            covered[name].append(np.mean(np.abs(estimate - phi) <= 1.96 * error + 1e-12))
                plain = np.mean(errors["plain"])
                cells = [f"{np.mean(errors[v]):10.2e} {np.mean(errors[v]) / plain:5.2f} {np.mean(covered[v]):5.3f}"
                         for v in variants]
                print(f"{game:>9} {players:>3} {pairs:>5} | {plain:9.2e} {np.mean(covered['plain']):5.3f} | "
                      + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
