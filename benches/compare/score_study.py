#!/usr/bin/env python3
"""Sample-efficiency study: "score terms" beside the default's size terms.

A numpy study, not part of Lumen or of CI, on the game table of ``polynomial_study.py``
(same setting, same sampling, same exact values). It measures one candidate for
``leverage_top_triples`` before any Rust is written.

The default fits each player's sign ``s_i = 2 z_i - 1``, each player's size term
``s_i * h(S)`` with ``h(S) = ((2|S| - M) / M)^2 = (sum_j s_j / M)^2``, and the triples among
its six leading players. A *score term* replaces the size term's equal weights by a
direction ``b``: ``u_i(S) = s_i * (sum_j b_j s_j)^2``, with ``b`` the linear fit's values on
the same sample, scaled to ``sum_j |b_j| = 1``. A model that saturates along its own score
(a logistic scorecard, an MLP with a dominant direction) has its odd interactions along
``b``, which one coefficient per player then captures. With ``b_j = 1 / M`` it is the size
term. Its Walsh expansion is ``(sum_j b_j^2) s_i + sum_{k != i} 2 b_i b_k s_k +
sum_{j < k; j, k != i} 2 b_j b_k s_i s_j s_k``, so its Shapley values have a closed form
(``score_term_shapley``, checked against the size term's at uniform ``b``).

Every fit here counts its coefficients as Lumen does: the triples among the ``k`` leading
players, ``k`` at most the variant's cap and at most what leaves 4 pairs per coefficient
beside the players' terms (signs, size terms, score terms). Variants: ``size6`` (today's
default), ``sizescore6``, ``sizescore5``, ``sizescore4``, ``sizescore0`` (no triples); a
``topJ`` suffix (``sizescore5top8``) fits score terms for the ``J`` leading players only.

    target/shap-venv/bin/python benches/compare/score_study.py target/cmp16z --budgets 600,1000,1600,2080
    target/shap-venv/bin/python benches/compare/score_study.py target/cmp16z --model logit --seeds 1

Prints each variant's mean absolute error against the exact values over every row and
seed, and its ratio to shap 0.51's at the same budget when ``table.json`` is beside the
setting (the MLP only).
"""

import argparse
import itertools
import math
import pathlib
import re
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from polynomial_study import Game, load_setting  # noqa: E402  (the study's game table and sampler)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=pathlib.Path, help="folder with setting.json (and table.json)")
    parser.add_argument("--budgets", default="600,1000,1600,2080", help="coalition budgets")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per row and budget")
    parser.add_argument("--model", choices=["mlp", "trees", "logit", "product"], default="mlp",
                        help="the setting's MLP or one of polynomial_study.py's synthetic models")
    parser.add_argument("--variants", default="size6,sizescore6,sizescore5,sizescore4,sizescore0",
                        help="fits: 'size' and/or 'score' terms, then the cap on triple players")
    return parser.parse_args()


def score_term_shapley(b):
    """``phi[m, i]``: the Shapley value to player ``m`` of the score term ``u_i`` (``phi_m`` of a
    Walsh term ``s_T`` is ``2 / |T|`` for ``m`` in ``T``)."""
    m = len(b)
    squares, total = float((b ** 2).sum()), float(b.sum())
    phi = np.empty((m, m))
    for i in range(m):
        rest = total - b[i]
        # sum over j < k, both other than i, of b_j b_k
        others = (rest ** 2 - (squares - b[i] ** 2)) / 2
        phi[:, i] = 4 * b[i] * b + 4 / 3 * b * (rest - b)
        phi[i, i] = 2 * squares + 4 / 3 * others
    return phi


def triple_players(players, pairs, base, cap):
    """Lumen's rule: the most players ``k <= cap`` whose triples leave 4 pairs per coefficient
    beside ``base`` others (0 below 3)."""
    k = 0
    while k < min(players, cap) and base + math.comb(k + 1, 3) <= pairs // 4:
        k += 1
    return k if k >= 3 else 0


def fit(game, row, coalitions, weights, triples, size, direction, scored=None):
    """Shapley values of the constrained weighted fit of the antisymmetric part on the players'
    signs, their size terms (``size``), the triples, and the score terms along ``direction``
    (``None``: none) of the players ``scored`` (all when ``None``)."""
    m = game.m
    first = coalitions < (game.full ^ coalitions)
    pairs, pair_weights = coalitions[first], weights[first]
    signs = np.where(game.members[pairs], 1.0, -1.0)
    columns = [signs[:, i] for i in range(m)] + [signs[:, list(t)].prod(axis=1) for t in triples]
    at_full = [1.0] * len(columns)
    if size:
        scale = game.size_scale(game.sizes[pairs])
        columns += [signs[:, i] * scale for i in range(m)]
        at_full += [1.0] * m
    scored = list(range(m)) if scored is None else scored
    if direction is not None:
        score = (signs @ direction) ** 2
        columns += [signs[:, i] * score for i in scored]
        at_full += [float(direction.sum()) ** 2] * len(scored)
    values = game.values[row]
    base, total = values[0], values[game.full]
    # The constraint as a heavy row: the full coalition's terms against (v(N) - v(0)) / 2.
    design = np.vstack([np.stack(columns, axis=1), np.array(at_full)[None, :]])
    target = np.append((values[pairs] - values[game.full ^ pairs]) / 2, (total - base) / 2)
    root = np.sqrt(np.append(pair_weights, 1e6 * pair_weights.max()))
    coefficients, *_ = np.linalg.lstsq(design * root[:, None], target * root, rcond=None)
    phi = 2 * coefficients[:m]
    for a, t in zip(coefficients[m:], triples):
        phi[list(t)] += 2 * a / 3
    used = m + len(triples)
    if size:
        own, other = game.size_term_shapley()
        b = coefficients[used:used + m]
        phi += own * b + other * (b.sum() - b)
        used += m
    if direction is not None:
        phi += score_term_shapley(direction)[:, scored] @ coefficients[used:used + len(scored)]
    return phi


def main():
    args = parse_args()
    setting, shap_mae = load_setting(args.folder, args.model)
    game = Game(setting, np, args.model)
    m = game.m
    own, other = game.size_term_shapley()
    uniform = score_term_shapley(np.full(m, 1.0 / m))
    assert abs(uniform[0, 0] - own) < 1e-12 and abs(uniform[1, 0] - other) < 1e-12, "score term at b = 1/M"
    variants = args.variants.split(",")
    print(f"M = {m}, model {args.model}, {game.values.shape[0]} rows x {args.seeds} seeds per budget")
    print("MAE against the exact values (ratio to shap 0.51's at the same budget, where known)")
    print(f"{'budget':>6} | " + " | ".join(f"{v:>18}" for v in variants))
    for budget in (int(b) for b in args.budgets.split(",")):
        errors = {v: [] for v in variants}
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            for row in range(game.values.shape[0]):
                coalitions, weights = game.sample(budget, rng, 0.0)
                linear = game.fit_odd_walsh(row, coalitions, weights, game.odd_terms(1))
                order = sorted(range(m), key=lambda i: (-abs(linear[i]), i))
                direction = linear / np.abs(linear).sum()
                for variant in variants:
                    size, score = "size" in variant, "score" in variant
                    cap, top = re.search(r"(\d+)(?:top(\d+))?$", variant).groups()
                    scored = sorted(order[:int(top)]) if top else list(range(m))
                    base = m * (1 + size) + (len(scored) if score else 0)
                    k = triple_players(m, len(coalitions) // 2, base, int(cap))
                    triples = list(itertools.combinations(sorted(order[:k]), 3))
                    phi = fit(game, row, coalitions, weights, triples, size, direction if score else None, scored)
                    errors[variant].append(float(np.abs(phi - game.exact[row]).mean()))
        reference = shap_mae.get(budget, math.nan)
        cells = []
        for variant in variants:
            mae = float(np.mean(errors[variant]))
            ratio = f" ({mae / reference:.2f})" if math.isfinite(reference) else ""
            cells.append(f"{mae:.3e}{ratio}".rjust(18))
        print(f"{budget:>6} | " + " | ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
