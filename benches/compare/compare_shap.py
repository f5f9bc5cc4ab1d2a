#!/usr/bin/env python3
"""KernelSHAP side by side: shap's KernelExplainer against Lumen, same MLP, same data.

Reads the setting written by ``kernel_shap_compare setup`` (an MLP ``M -> H tanh -> 1
sigmoid``, background rows and rows to explain, every number an f32 value) and Lumen's
results from ``kernel_shap_compare run`` (attributions and timings per budget), then:

1. computes the exact Shapley values of the interventional game
   ``v(S) = mean_b f(x_S, b_notS)`` by brute force from the definition
   (``phi_i = sum_S |S|! (M - |S| - 1)! / M! (v(S + i) - v(S))`` over all ``2^M``
   coalitions, in float64 numpy) and checks that Lumen's exact mode agrees with them;
2. runs ``shap.KernelExplainer(f, background).shap_values(x, nsamples=N, l1_reg=False)``
   on every row, one row per call, ``reps`` times (``np.random.seed(rep)``), at each budget
   ``N`` Lumen used (``nsamples`` counts coalitions, each evaluated over the whole
   background, as Lumen's budget does);
3. prints one table: wall time per explanation (median) and mean absolute error against
   the brute-force values, shap and Lumen side by side at the same budget.

``l1_reg=False`` makes shap solve the same constrained least squares as Lumen; shap's
default (``"num_features(10)"``) would first select 10 of the ``M`` features.

When numpy or shap cannot be imported, the script creates a virtual environment (``--venv``,
default ``target/shap-venv`` at the repository root), installs ``shap==0.51.*`` into it
from PyPI with pip, and re-runs itself there.

Usage (``benches/compare/run.sh`` does all of it)::

    python3 benches/compare/compare_shap.py --setting target/compare/setting.json \\
        --lumen target/compare/lumen.json [--reps 3] [--venv target/shap-venv]
"""

import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import time

SHAP_REQUIREMENT = "shap==0.51.*"
REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
IN_VENV_FLAG = "LUMEN_COMPARE_IN_VENV"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setting", required=True, help="JSON written by `kernel_shap_compare setup`")
    parser.add_argument("--lumen", required=True, help="JSON printed by `kernel_shap_compare run`")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of every row per budget (seeds 0..reps)")
    parser.add_argument("--venv", default=str(REPO_ROOT / "target" / "shap-venv"),
                        help="virtual environment to create and use when shap is missing")
    parser.add_argument("--output", help="also write the table's numbers as JSON here")
    parser.add_argument("--row-cost-us", type=float, default=0.0,
                        help="the model busy-waits this long per row in shap's timed runs (as Lumen's does)")
    return parser.parse_args()


def ensure_shap(venv):
    """Returns when numpy and shap import; otherwise installs them into `venv` and re-runs there."""
    try:
        import numpy  # noqa: F401
        import shap  # noqa: F401
        return
    except ImportError:
        if os.environ.get(IN_VENV_FLAG):
            raise
    venv = pathlib.Path(venv)
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating a virtual environment in {venv}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
    has_shap = subprocess.run([str(python), "-c", "import numpy, shap"], check=False, capture_output=True).returncode == 0
    if not has_shap:
        print(f"installing {SHAP_REQUIREMENT} from PyPI into {venv} (about a minute)", file=sys.stderr)
        subprocess.check_call([str(python), "-m", "pip", "install", "--quiet", SHAP_REQUIREMENT])
    env = dict(os.environ, **{IN_VENV_FLAG: "1"})
    os.execve(str(python), [str(python), str(pathlib.Path(__file__).resolve()), *sys.argv[1:]], env)


class Mlp:
    """``sigmoid(w2 . tanh(W1 x + b1) + b2)`` in float64, counting the rows it evaluates."""

    def __init__(self, setting, np):
        self.np = np
        self.w1 = np.array(setting["w1"], dtype=np.float64)
        self.b1 = np.array(setting["b1"], dtype=np.float64)
        self.w2 = np.array(setting["w2"], dtype=np.float64)
        self.b2 = float(setting["b2"])
        self.rows = 0
        self.seconds = 0.0
        #: Seconds to busy-wait per row after computing it (0: none).
        self.row_cost = 0.0

    def __call__(self, x):
        start = time.perf_counter()
        np = self.np
        x = np.asarray(x, dtype=np.float64)
        out = 1.0 / (1.0 + np.exp(-(np.tanh(x @ self.w1.T + self.b1) @ self.w2 + self.b2)))
        while time.perf_counter() - start < self.row_cost * x.shape[0]:
            pass
        self.rows += x.shape[0]
        self.seconds += time.perf_counter() - start
        return out


def exact_shapley(model, x, background, np):
    """Exact Shapley values of ``v(S) = mean_b f(x_S, b_notS)``, from the definition."""
    m = x.shape[0]
    coalitions = 1 << m
    members = ((np.arange(coalitions)[:, None] >> np.arange(m)) & 1).astype(bool)
    value = np.empty(coalitions)
    chunk = max(1, (1 << 21) // (background.shape[0] * m))
    for start in range(0, coalitions, chunk):
        present = members[start:start + chunk]
        rows = np.where(present[:, None, :], x[None, None, :], background[None, :, :])
        value[start:start + chunk] = model(rows.reshape(-1, m)).reshape(present.shape[0], -1).mean(axis=1)
    sizes = members.sum(axis=1)
    weight_of_size = np.array([math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) for s in range(m)])
    phi = np.empty(m)
    for i in range(m):
        without = np.flatnonzero(~members[:, i])
        phi[i] = np.sum(weight_of_size[sizes[without]] * (value[without | (1 << i)] - value[without]))
    return phi


def median(values):
    """The upper median, as the Rust side reports it."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def shap_runs(shap, np, model, rows, background, budget, reps):
    """shap's attributions per rep and row; wall seconds, CPU seconds, seconds inside the model
    and model rows per explanation."""
    explainer = shap.KernelExplainer(model, background)
    explainer.shap_values(rows[:1], nsamples=budget, l1_reg=False, silent=True)
    values, seconds, cpu_seconds, model_seconds, model_rows = [], [], [], [], []
    for rep in range(reps):
        np.random.seed(rep)
        rep_values = []
        for x in rows:
            rows_before, inside_before = model.rows, model.seconds
            start, cpu_start = time.perf_counter(), time.process_time()
            phi = explainer.shap_values(x[None, :], nsamples=budget, l1_reg=False, silent=True)
            seconds.append(time.perf_counter() - start)
            cpu_seconds.append(time.process_time() - cpu_start)
            model_seconds.append(model.seconds - inside_before)
            model_rows.append(model.rows - rows_before)
            rep_values.append(np.asarray(phi, dtype=np.float64).reshape(-1))
        values.append(rep_values)
    return values, seconds, cpu_seconds, model_seconds, model_rows


def mean_absolute_error(values, exact, np):
    """Mean |phi - exact| over every repetition, row and feature."""
    errors = [np.abs(np.asarray(row, dtype=np.float64) - ref) for rep in values for row, ref in zip(rep, exact)]
    return float(np.mean(errors))


def main():
    args = parse_args()
    ensure_shap(args.venv)
    import numpy as np
    import shap

    setting = json.loads(pathlib.Path(args.setting).read_text())
    lumen = json.loads(pathlib.Path(args.lumen).read_text())
    model = Mlp(setting, np)
    background = np.array(setting["background"], dtype=np.float64)
    rows = np.array(setting["rows"], dtype=np.float64)
    m = rows.shape[1]

    start = time.perf_counter()
    exact = [exact_shapley(model, x, background, np) for x in rows]
    brute_seconds = (time.perf_counter() - start) / len(rows)
    model.row_cost = args.row_cost_us * 1e-6
    if args.row_cost_us != lumen.get("row_cost_us", 0):
        raise SystemExit(f"--row-cost-us {args.row_cost_us:g} differs from Lumen's run ({lumen.get('row_cost_us', 0)})")
    lumen_exact = np.array(lumen["exact"]["values"][0], dtype=np.float64)
    exact_gap = float(np.max(np.abs(lumen_exact - np.array(exact))))
    scale = float(np.mean(np.abs(exact)))

    print(f"shap {shap.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}; "
          f"Lumen's MLP evaluated with {lumen['model_simd']} SIMD")
    print(f"MLP {m} -> {setting['hidden']} tanh -> 1 sigmoid; {background.shape[0]} background rows; "
          f"{rows.shape[0]} rows explained one per call; reps: shap {args.reps}, Lumen {lumen['reps']}; "
          f"Lumen jackknife groups {lumen['error_batches']}, estimators {', '.join(lumen.get('estimators', ['shap']))}"
          + (f"; the model busy-waits {args.row_cost_us:g} us per row in the timed runs" if args.row_cost_us else ""))
    print(f"exact Shapley values: brute force over 2^{m} coalitions in numpy ({brute_seconds:.3f} s/row); "
          f"mean |phi| = {scale:.4g}; Lumen's exact mode (budget {lumen['exact']['budget']}, "
          f"{lumen['exact']['seconds_per_explanation']:.4f} s/row on {lumen['exact']['threads']} thread(s)) "
          f"differs from it by at most {exact_gap:.2e}")
    print()

    header = ["budget", "estimator", "lumen threads", "model rows shap/lumen", "shap s/expl", "lumen s/expl",
              "speed ratio", "shap cpu s", "lumen cpu s", "cpu ratio", "shap MAE", "lumen MAE", "MAE ratio", "lumen 1.96-SE coverage",
              "shap outside model", "lumen outside model", "outside ratio"]
    by_budget = {}
    for entry in lumen["sampled"]:
        by_budget.setdefault(entry["budget"], []).append(entry)
    table, records, shap_by_budget = [], [], {}
    for budget, entries in sorted(by_budget.items()):
        print(f"shap: budget {budget}", file=sys.stderr)
        values, seconds, cpu_seconds, model_seconds, model_rows = shap_runs(
            shap, np, model, rows, background, budget, args.reps)
        shap_seconds = median(seconds)
        shap_cpu = median(cpu_seconds)
        shap_outside = median([total - inside for total, inside in zip(seconds, model_seconds)])
        shap_mae = mean_absolute_error(values, exact, np)
        shap_by_budget[budget] = {"seconds": shap_seconds, "cpu_seconds": shap_cpu, "mae": shap_mae,
                                  "model_rows": median(model_rows)}
        for entry in entries:
            lumen_seconds = entry["seconds_per_explanation"]
            # Inside-model time is summed over concurrent calls, so "outside" is exact on one thread only.
            lumen_outside = lumen_seconds - entry["model_seconds_per_explanation"] if entry["threads"] == 1 else None
            lumen_mae = mean_absolute_error(entry["values"], exact, np)
            coverage = entry.get("coverage_1_96_se")
            record = {
                "budget": budget,
                "estimator": entry.get("estimator", "shap"),
                "lumen_threads": entry["threads"],
                "shap_model_rows": median(model_rows),
                "lumen_model_rows": entry["model_rows_per_explanation"],
                "shap_seconds": shap_seconds,
                "lumen_seconds": lumen_seconds,
                "shap_cpu_seconds": shap_cpu,
                "lumen_cpu_seconds": entry.get("cpu_seconds_per_explanation"),
                "speed_ratio": shap_seconds / lumen_seconds,
                "shap_mae": shap_mae,
                "lumen_mae": lumen_mae,
                "lumen_coverage": coverage,
                "lumen_standard_errors_available": entry.get("standard_errors_available"),
                "shap_seconds_outside_model": shap_outside,
                "lumen_seconds_outside_model": lumen_outside,
            }
            records.append(record)
            table.append([
                str(budget),
                record["estimator"],
                str(entry["threads"]),
                f"{record['shap_model_rows']} / {record['lumen_model_rows']}",
                f"{shap_seconds:.4f}",
                f"{lumen_seconds:.4f}",
                f"{record['speed_ratio']:.1f}x",
                f"{shap_cpu:.4f}",
                f"{record['lumen_cpu_seconds']:.4f}",
                f"{shap_cpu / record['lumen_cpu_seconds']:.1f}x",
                f"{shap_mae:.3e}",
                f"{lumen_mae:.3e}",
                f"{lumen_mae / shap_mae:.2f}",
                "-" if coverage is None else f"{coverage:.3f}",
                f"{shap_outside:.4f}",
                "-" if lumen_outside is None else f"{lumen_outside:.4f}",
                "-" if lumen_outside is None else f"{shap_outside / lumen_outside:.1f}x",
            ])
    print_table(header, table)
    print()
    print("s/expl: median wall seconds per explanation, one row per call. speed ratio: shap / lumen. "
          "cpu s: median process CPU seconds per explanation (robust to other load on a shared machine).")
    print("MAE: mean |phi - exact| over rows, features and reps, against the brute-force values; "
          "MAE ratio: lumen / shap, at the same number of coalitions (model evaluations).")
    print("coverage: share of Lumen's values within 1.96 reported standard errors of the exact ones.")
    print("outside model: median seconds per explanation not spent inside the MLP (the explainer's own work; "
          "Lumen on one thread only).")
    accuracy = time_to_accuracy(records, shap_by_budget, 2 * m + 2048)
    fastest = min(r["speed_ratio"] for r in records)
    worst = max(r["lumen_mae"] / r["shap_mae"] for r in records)
    print(f"targets: speed >= 50x shap: {'met' if fastest >= 50 else 'NOT met'} (lowest ratio {fastest:.1f}x); "
          f"error no larger than shap's: {'met' if worst <= 1.0 else 'NOT met'} (largest MAE ratio {worst:.2f})")
    if args.output:
        summary = {"exact_gap": exact_gap, "brute_force_seconds_per_row": brute_seconds, "budgets": records,
                   "time_to_accuracy": accuracy}
        pathlib.Path(args.output).write_text(json.dumps(summary, indent=2))


def print_table(header, table):
    """Prints `table` under `header`, columns right-aligned."""
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
    print(" | ".join(h.rjust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in table:
        print(" | ".join(cell.rjust(w) for cell, w in zip(row, widths)))


def time_to_accuracy(records, shap_by_budget, default_budget):
    """Per estimator on one thread: the smallest budget run whose MAE is at or below shap's at its
    default budget, and shap's time there over Lumen's time at that budget (and, for a model that
    dominates the time, the ratio of model rows instead)."""
    reference = shap_by_budget.get(default_budget)
    if reference is None:
        print(f"time to accuracy: shap's default budget {default_budget} was not run; add it to the budgets")
        return []
    print()
    print(f"time to reach shap's accuracy at its default budget ({default_budget} coalitions: "
          f"MAE {reference['mae']:.3e}, {reference['seconds']:.4f} s/expl, {reference['cpu_seconds']:.4f} cpu s), "
          f"Lumen on one thread:")
    header = ["estimator", "budget needed", "lumen MAE there", "lumen s/expl", "time ratio", "lumen cpu s",
              "cpu time ratio", "model rows ratio"]
    table, results = [], []
    for estimator in sorted({r["estimator"] for r in records}):
        runs = sorted((r for r in records if r["estimator"] == estimator and r["lumen_threads"] == 1),
                      key=lambda r: r["budget"])
        reached = next((r for r in runs if r["lumen_mae"] <= reference["mae"]), None)
        if reached is None:
            table.append([estimator, "not reached", "-", "-", "-", "-", "-", "-"])
            results.append({"estimator": estimator, "budget": None})
            continue
        time_ratio = reference["seconds"] / reached["lumen_seconds"]
        cpu_ratio = reference["cpu_seconds"] / reached["lumen_cpu_seconds"]
        rows_ratio = reference["model_rows"] / reached["lumen_model_rows"]
        results.append({"estimator": estimator, "budget": reached["budget"], "lumen_mae": reached["lumen_mae"],
                        "lumen_seconds": reached["lumen_seconds"], "time_ratio": time_ratio,
                        "lumen_cpu_seconds": reached["lumen_cpu_seconds"], "cpu_time_ratio": cpu_ratio,
                        "model_rows_ratio": rows_ratio})
        table.append([estimator, str(reached["budget"]), f"{reached['lumen_mae']:.3e}",
                      f"{reached['lumen_seconds']:.4f}", f"{time_ratio:.1f}x", f"{reached['lumen_cpu_seconds']:.4f}",
                      f"{cpu_ratio:.1f}x", f"{rows_ratio:.2f}x"])
    print_table(header, table)
    print("budget needed: the smallest budget run whose MAE is at or below shap's (a grid, so an upper bound). "
          "model rows ratio: the time ratio when the model's own cost dominates (e.g. 20 us per row).")
    return results


if __name__ == "__main__":
    main()
