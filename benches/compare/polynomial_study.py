#!/usr/bin/env python3
"""Sample-efficiency study: KernelSHAP against a third-order polynomial fit (PolySHAP).

A numpy study, not part of Lumen or of CI. It answers one question before any Rust is
written: on the comparison setting, how much lower is the error of a polynomial
least-squares fit of the coalition game (Fumagalli et al., "PolySHAP", 2025: fit
``v(S) ~ sum over T within S, |T| <= k, of a_T``, then ``phi_i = sum over T containing i
of a_T / |T|``) than that of KernelSHAP (``k = 1``), at the same coalitions?

Reads the setting written by ``kernel_shap_compare setup`` (``run.sh`` writes it to
``target/compare/setting.json``), evaluates the interventional game
``v(S) = mean_b f(x_S, b_notS)`` on all ``2^M`` coalitions of every explained row once
(about 10 s for ``M = 16``; the fits then take
about 20 s per budget), and takes the exact Shapley values from that table. Every
estimate then reads the same table at the coalitions it samples, so each estimator sees
identical values and only the estimator differs.

Sampling is Lumen's default scheme (``leverage_stratified``): every coalition size gets an
equal share of the budget (``--size-exponent`` tilts the shares towards shap's), sizes are
drawn with their complements as pairs, without replacement, and a size is enumerated
whenever its share covers it; a sampled coalition's weight is its Shapley-kernel weight
over its inclusion probability. Both fits use those weights and the constraint
``v(N) = f(x)``.

Prints the mean absolute error against the exact values, over every row and seed, and,
when ``table.json`` from ``run.sh`` is beside the setting, the ratio to shap 0.51's error
at the same budget.

    target/shap-venv/bin/python benches/compare/polynomial_study.py target/compare --budgets 1000,1600,2080

``--ridge-players 12`` adds ``leverage_interactions``'s fit (at 16 players, the triples among
the 12 leading ones), ``--ridge-players 16`` the same fit over every triple.

The column ``top+size`` is ``leverage_top_triples``'s fit: the top-k triples plus every
player's size term ``(2 z_i - 1) * ((2|S| - M) / M)^2``, whose Shapley values have a closed
form (``size_term_shapley``). ``--model trees|logit|product`` replaces the setting's MLP by
a seeded synthetic model on the same inputs (40 depth-3 trees; a steep logistic score; a
three-way product plus an exponential of five inputs), to see that a fit helps beyond it.

(any Python with numpy; ``run.sh``'s shap environment has it).
"""

import argparse
import itertools
import json
import math
import pathlib
import sys


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=pathlib.Path, help="folder with setting.json (and table.json)")
    parser.add_argument("--budgets", default="500,1000,1600,2080", help="coalition budgets")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per row and budget")
    parser.add_argument("--order", type=int, default=3, help="highest interaction order of the polynomial")
    parser.add_argument("--top-pairs", type=float, default=4.0,
                        help="pairs per coefficient for the top-k triples fit (its k is the largest that keeps them)")
    parser.add_argument("--ridge-players", type=int, default=0,
                        help="also fit the triples among this many leading players (0: skip), those beyond "
                             "the top-k rule's under a ridge penalty of --ridge times the pairs' weight")
    parser.add_argument("--ridge", type=float, default=0.3, help="the penalty of --ridge-players, per pairs' weight")
    parser.add_argument("--model", choices=["mlp", "trees", "logit", "product"], default="mlp",
                        help="the setting's MLP, or a seeded synthetic model on its inputs")
    parser.add_argument("--size-exponent", type=float, default=0.0,
                        help="size shares proportional to kernel mass to this power (0: Lumen's default, 1: shap's)")
    return parser.parse_args()


class Game:
    """The interventional game of every explained row on all coalitions, and its exact values."""

    def __init__(self, setting, np, model="mlp"):
        self.np = np
        m = setting["inputs"]
        self.m = m
        self.full = (1 << m) - 1
        background, rows = np.array(setting["background"]), np.array(setting["rows"])
        predict = synthetic_model(model, setting, np)
        self.members = ((np.arange(1 << m)[:, None] >> np.arange(m)) & 1).astype(bool)
        self.sizes = self.members.sum(axis=1)
        self.values = np.empty((len(rows), 1 << m))
        chunk = 2048
        for r, x in enumerate(rows):
            for start in range(0, 1 << m, chunk):
                present = self.members[start:start + chunk]
                inputs = np.where(present[:, None, :], x[None, None, :], background[None]).reshape(-1, m)
                out = predict(inputs)
                self.values[r, start:start + chunk] = out.reshape(present.shape[0], -1).mean(axis=1)
        weight_of_size = np.array([math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) for s in range(m)])
        self.exact = np.empty((len(rows), m))
        for i in range(m):
            without = np.flatnonzero(~self.members[:, i])
            gain = self.values[:, without | (1 << i)] - self.values[:, without]
            self.exact[:, i] = (weight_of_size[self.sizes[without]] * gain).sum(axis=1)
        self.kernel = np.array([0.0] + [(m - 1) / (math.comb(m, s) * s * (m - s)) for s in range(1, m)] + [0.0])

    def sample(self, budget, rng, exponent):
        """Coalitions and weights of one paired, size-stratified draw without replacement.

        Each coalition size gets a share of the budget proportional to its Shapley-kernel
        mass raised to ``exponent`` (0: equal shares, Lumen's ``leverage_stratified``; 1:
        shap's proportions); a size and its complement are drawn as pairs, and a size whose
        share covers it is enumerated, its share going to the others.
        """
        np, m = self.np, self.m
        classes = [s for s in range(1, m) if s <= m - s]
        count = {s: math.comb(m, s) * (2 if s != m - s else 1) for s in classes}
        # A class's share: its sizes' (one or two) kernel mass to the power `exponent`.
        share = {s: (count[s] // math.comb(m, s)) * (self.kernel[s] * math.comb(m, s)) ** exponent for s in classes}
        enumerated, remaining = [], budget
        while True:
            open_classes = [s for s in classes if s not in enumerated]
            mass = sum(share[s] for s in open_classes)
            covered = [s for s in open_classes if count[s] <= remaining * share[s] / mass]
            if not covered:
                break
            enumerated += covered
            remaining -= sum(count[s] for s in covered)
        coalitions, weights = [], []
        for s in enumerated:
            for size in {s, m - s}:
                found = np.flatnonzero(self.sizes == size)
                coalitions.append(found)
                weights.append(np.full(len(found), self.kernel[size]))
        open_classes = [s for s in classes if s not in enumerated]
        mass = sum(share[s] for s in open_classes)
        for s in open_classes:
            pool = np.flatnonzero(self.sizes == s)
            if s == m - s:
                pool = pool[pool < (self.full ^ pool)]
            pairs = max(1, min(len(pool), round(remaining * share[s] / mass / 2)))
            drawn = pool[rng.choice(len(pool), pairs, replace=False)]
            both = np.concatenate([drawn, self.full ^ drawn])
            coalitions.append(both)
            weights.append(self.kernel[self.sizes[both]] * len(pool) / pairs)
        return np.concatenate(coalitions), np.concatenate(weights)

    def fit(self, row, coalitions, weights, order):
        """Shapley values of the order-``order`` polynomial least-squares fit (1: KernelSHAP)."""
        np = self.np
        terms = [t for k in range(1, order + 1) for t in itertools.combinations(range(self.m), k)]
        present = self.members[coalitions]
        design = np.stack([present[:, list(t)].all(axis=1) for t in terms], axis=1).astype(float)
        base, total = self.values[row, 0], self.values[row, self.full]
        # The full coalition as a row of overwhelming weight: v(N) = f(x) holds to rounding.
        design = np.vstack([design, np.ones((1, len(terms)))])
        target = np.append(self.values[row, coalitions] - base, total - base)
        scale = np.sqrt(np.append(weights, 1e6 * weights.max()))
        coefficients, *_ = np.linalg.lstsq(design * scale[:, None], target * scale, rcond=None)
        phi = np.zeros(self.m)
        for a, t in zip(coefficients, terms):
            phi[list(t)] += a / len(t)
        return phi

    def odd_terms(self, order):
        """Every odd-order set of players up to ``order``."""
        return [t for k in range(1, order + 1, 2) for t in itertools.combinations(range(self.m), k)]

    def top_triples(self, row, coalitions, weights, pairs_per_coefficient):
        """The players alone, plus the triples among the ``k`` players with the largest
        linear (KernelSHAP) values on this sample, ``k`` the largest with at least
        ``pairs_per_coefficient`` pairs per coefficient (0 when even single triples do not
        fit); returns ``(terms, k)``."""
        singles = self.odd_terms(1)
        pairs = len(coalitions) // 2
        k = 0
        while k < self.m and pairs >= pairs_per_coefficient * (self.m + math.comb(k + 1, 3)):
            k += 1
        if k < 3:
            return singles, 0
        linear = self.fit_odd_walsh(row, coalitions, weights, singles)
        top = sorted(int(i) for i in self.np.argsort(-self.np.abs(linear))[:k])
        return singles + list(itertools.combinations(top, 3)), k

    def ridge_triples(self, row, coalitions, weights, players, ridge, pairs_per_coefficient):
        """The players alone plus every triple among the ``players`` with the largest linear
        values, as Lumen's ``leverage_interactions`` fits them: the triples of the top-k rule
        free, the others under a ridge penalty of ``ridge`` times the pairs' total weight."""
        free_terms, _ = self.top_triples(row, coalitions, weights, pairs_per_coefficient)
        linear = self.fit_odd_walsh(row, coalitions, weights, self.odd_terms(1))
        top = sorted(int(i) for i in self.np.argsort(-self.np.abs(linear))[:players])
        free = set(free_terms)
        terms = free_terms + [t for t in itertools.combinations(top, 3) if t not in free]
        first = coalitions < (self.full ^ coalitions)
        penalty = [0.0 if t in free else ridge * weights[first].sum() for t in terms]
        return self.fit_odd_walsh(row, coalitions, weights, terms, penalty)

    def size_term_shapley(self):
        """Shapley values ``(own, other)`` of the size term ``(2 z_i - 1) h(|S|)``: ``own`` to
        player ``i``, ``other`` to each other player (by symmetry, over the sizes of the
        coalitions without the player)."""
        m, h = self.m, self.size_scale(self.np.arange(self.m + 1))
        s = self.np.arange(m)
        own = float(self.np.mean(h[s + 1] + h[s]))
        other = float(self.np.mean((2 * s / (m - 1) - 1) * (h[s + 1] - h[s])))
        return own, other

    def size_scale(self, sizes):
        """``h(s) = ((2 s - M) / M)^2``: even about ``M / 2``, 1 at the full coalition."""
        return ((2 * sizes - self.m) / self.m) ** 2

    def fit_odd_walsh(self, row, coalitions, weights, terms, penalty=None, size_terms=False):
        """Shapley values of a fit of the game's antisymmetric part ``(v(S) - v(N \\ S)) / 2``
        on the ±1 (Walsh) products over the odd-order sets ``terms``, from complementary
        pairs.

        Only that part carries Shapley values, and ``prod_{i in T} (2 z_i - 1)`` is
        antisymmetric exactly when ``|T|`` is odd, with ``phi_i = 2 a_T / |T|`` for ``i`` in
        ``T``: a pair costs two evaluations and the even orders need no coefficients.
        """
        np = self.np
        first = coalitions < (self.full ^ coalitions)
        pairs, pair_weights = coalitions[first], weights[first]
        signs = np.where(self.members[pairs], 1.0, -1.0)
        columns = [signs[:, list(t)].prod(axis=1) for t in terms]
        if size_terms:
            scale = self.size_scale(self.sizes[pairs])
            columns += [signs[:, i] * scale for i in range(self.m)]
        design = np.stack(columns, axis=1)
        values = self.values[row]
        base, total = values[0], values[self.full]
        # Every term is 1 at the full coalition (h(M) = 1).
        design = np.vstack([design, np.ones((1, design.shape[1]))])
        target = np.append((values[pairs] - values[self.full ^ pairs]) / 2, (total - base) / 2)
        scale = np.sqrt(np.append(pair_weights, 1e6 * pair_weights.max()))
        design, target = design * scale[:, None], target * scale
        if penalty is not None:
            # A ridge penalty as rows sqrt(penalty) e_T with target 0.
            penalty = list(penalty) + [0.0] * (design.shape[1] - len(terms))
            design = np.vstack([design, np.diag(np.sqrt(penalty))])
            target = np.append(target, np.zeros(len(penalty)))
        coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
        phi = np.zeros(self.m)
        for a, t in zip(coefficients, terms):
            phi[list(t)] += 2 * a / len(t)
        if size_terms:
            own, other = self.size_term_shapley()
            b = coefficients[len(terms):]
            phi += own * b + other * (b.sum() - b)
        return phi


def synthetic_model(name, setting, np):
    """The model ``f(inputs)`` (rows of ``M`` inputs to one output each): the setting's MLP, or
    a synthetic one drawn from a fixed seed."""
    m = setting["inputs"]
    if name == "mlp":
        w1, b1 = np.array(setting["w1"]), np.array(setting["b1"])
        w2, b2 = np.array(setting["w2"]), float(setting["b2"])
        return lambda x: 1.0 / (1.0 + np.exp(-(np.tanh(x @ w1.T + b1) @ w2 + b2)))
    rng = np.random.default_rng(7)
    if name == "trees":
        features, thresholds = rng.integers(0, m, size=(40, 3)), rng.normal(size=(40, 3)) * 0.5
        leaves = rng.normal(size=(40, 8))

        def trees(x):
            out = np.zeros(x.shape[0])
            for t in range(40):
                leaf = ((x[:, features[t]] > thresholds[t]).astype(int) * [1, 2, 4]).sum(axis=1)
                out += leaves[t, leaf]
            return out
        return trees
    if name == "logit":
        w = np.linspace(-1, 1, m)
        return lambda x: 1 / (1 + np.exp(-3 * (x @ w)))
    return lambda x: np.tanh(x[:, 0] * x[:, 1] * x[:, 2]) + np.exp(0.3 * x[:, 3:8].sum(axis=1))


def load_setting(folder, model):
    """The setting in ``folder`` and shap 0.51's MAE per budget from ``table.json`` beside it
    (the MLP's only; empty when absent)."""
    setting = json.loads((folder / "setting.json").read_text())
    table = folder / "table.json"
    shap_mae = {}
    if table.exists() and model == "mlp":
        shap_mae = {r["budget"]: r["shap_mae"] for r in json.loads(table.read_text())["budgets"]}
    return setting, shap_mae


def main():
    args = parse_args()
    import numpy as np

    setting, shap_mae = load_setting(args.folder, args.model)
    game = Game(setting, np, args.model)
    rows = game.values.shape[0]
    polynomial = sum(math.comb(game.m, k) for k in range(1, args.order + 1))
    walsh = sum(math.comb(game.m, k) for k in range(1, args.order + 1, 2))
    print(f"M = {game.m}, {rows} rows x {args.seeds} seeds per budget; order {args.order}: "
          f"{polynomial} polynomial coefficients, {walsh} odd Walsh coefficients")
    print("MAE against the exact values (a fit is skipped, '-', while the budget does not exceed its "
          "coefficients: coalitions for the polynomial, pairs for the Walsh fit)")
    print(f"top-k triples: the players' Walsh terms and the triples among the k players with the largest "
          f"linear values, k the largest leaving {args.top_pairs:g} pairs per coefficient")
    print(f"{'budget':>6} | {'KernelSHAP':>10} | {'polynomial':>10} | {'odd Walsh':>10} | {'top-k':>10} "
          f"| {'top+size':>10} | {'ridge':>10} | {'shap 0.51':>10} | ratios to shap's MAE | k")
    if args.ridge_players >= 3:
        print(f"ridge: the triples among the {args.ridge_players} leading players, those beyond top-k under a "
              f"penalty of {args.ridge:g} x the pairs' weight")
    for budget in (int(b) for b in args.budgets.split(",")):
        errors = {"kernel": [], "polynomial": [], "walsh": [], "top": [], "top+size": [], "ridge": []}
        chosen = set()
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            for row in range(rows):
                coalitions, weights = game.sample(budget, rng, args.size_exponent)
                phis = {"kernel": game.fit(row, coalitions, weights, 1)}
                if len(coalitions) > polynomial:
                    phis["polynomial"] = game.fit(row, coalitions, weights, args.order)
                if len(coalitions) // 2 > walsh:
                    phis["walsh"] = game.fit_odd_walsh(row, coalitions, weights, game.odd_terms(args.order))
                terms, k = game.top_triples(row, coalitions, weights, args.top_pairs)
                if k:
                    chosen.add(k)
                    phis["top"] = game.fit_odd_walsh(row, coalitions, weights, terms)
                    phis["top+size"] = game.fit_odd_walsh(row, coalitions, weights, terms, size_terms=True)
                if args.ridge_players >= 3:
                    phis["ridge"] = game.ridge_triples(row, coalitions, weights, args.ridge_players, args.ridge,
                                                       args.top_pairs)
                for name, phi in phis.items():
                    errors[name].append(float(np.abs(phi - game.exact[row]).mean()))
        mae = {name: float(np.mean(e)) if e else math.nan for name, e in errors.items()}
        reference = shap_mae.get(budget, math.nan)
        cells = " | ".join(f"{mae[name]:>10.3e}" if errors[name] else f"{'-':>10}" for name in errors)
        ratios = " ".join(f"{mae[name] / reference:.2f}" if errors[name] else "-" for name in errors)
        top = ",".join(str(k) for k in sorted(chosen)) or "-"
        print(f"{budget:>6} | {cells} | {reference:>10.3e} | {ratios} | {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
