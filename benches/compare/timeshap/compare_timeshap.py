#!/usr/bin/env python3
"""The ``timeshap`` package (PyPI 1.0.4) on Lumen's account-takeover GRU.

Reads histories written by ``cargo run --release -p lumen-models --example fraud_sequences``
(encoded events, Lumen's score of each and the average training event) and explains each
with timeshap, as the TimeSHAP paper does, with the average event as background:

1. temporal coalition pruning (``timeshap.explainer.local_pruning``) with tolerance η:
   the pruning curve (Shapley value of the older events at every split) and the pruned
   length (events kept as individual players);
2. event level (``TimeShapKernel(f, baseline, seed, "event")`` on the pruned sequence,
   what ``timeshap.explainer.event_level`` runs);
3. feature level (``TimeShapKernel(..., "feature")``, what ``feature_level`` runs).

It prints one JSON object per sequence (one per line) with the pruned length, every value,
the top events and features, the model rows evaluated and the wall and CPU time
(``time.process_time``, all threads of the process) of each step, so
that Lumen's numbers can be printed beside them. The model is ``fraud_gru.FraudGru`` (numpy,
float64 on the committed float32 weights); its scores are checked against Lumen's first.

timeshap's conventions kept here: event labels count back from the most recent event
("Event -1" is the last event); ``pruned_length`` is -timeshap's pruning index, the number of
most recent events explained individually (all when nothing can be pruned); the older events
form the "Pruned Events" player; ``nsamples`` caps the sampled coalitions (exact enumeration
when 2^players - 2 fits); the regression uses ``l1_reg="auto"`` unless ``--l1-reg`` says
otherwise. With ``--hidden-state`` the model returns and accepts its hidden state
(timeshap's faster path for recurrent models): the pruned prefix is run once.

timeshap 1.0.4 needs ``shap.explainers._kernel.Kernel`` (gone from shap 0.51), so the
script sets ``Kernel = KernelExplainer`` before importing it. The script always runs in a
virtual environment (``--venv``, default ``target/timeshap-venv``): it creates it and
installs ``shap==0.51.*`` and ``timeshap==1.0.4`` there from PyPI when they are missing,
then re-runs itself there (a system-wide timeshap is ignored).

Usage::

    cargo run --release -p lumen-models --example fraud_sequences -- target/fraud-seq.json --count 5 --fraud-only
    python3 benches/compare/timeshap/compare_timeshap.py --sequences target/fraud-seq.json \\
        [--tolerance 0.025] [--nsamples 32000] [--seed 42] [--top 5] [--hidden-state] [--output FILE]
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time
import warnings

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
REQUIREMENTS = ["shap==0.51.*", "timeshap==1.0.4"]
IN_VENV_FLAG = "LUMEN_TIMESHAP_IN_VENV"
SCORE_TOLERANCE = 1e-5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", required=True, help="JSON written by the fraud_sequences example")
    parser.add_argument("--count", type=int, help="explain only the first COUNT sequences")
    parser.add_argument("--tolerance", type=float, default=0.025, help="pruning tolerance η (default 0.025)")
    parser.add_argument("--nsamples", type=int, default=32000, help="coalition budget per explanation (default 32000)")
    parser.add_argument("--seed", type=int, default=42, help="timeshap's random seed (default 42)")
    parser.add_argument("--top", type=int, default=5, help="how many top events and features to list (default 5)")
    parser.add_argument("--l1-reg", default="auto", help="shap's l1_reg: auto (timeshap's default), false, aic, ...")
    parser.add_argument("--hidden-state", action="store_true", help="let timeshap carry the GRU's hidden state")
    parser.add_argument("--weights", default=str(REPO_ROOT / "data" / "fraud" / "gru_weights.json"))
    parser.add_argument("--venv", default=str(REPO_ROOT / "target" / "timeshap-venv"),
                        help="virtual environment to create and use when timeshap is missing")
    parser.add_argument("--output", help="also write all results as one JSON array here")
    return parser.parse_args()


def import_timeshap(venv):
    """Imports timeshap (after the shap 0.51 shim) inside the virtual environment `venv`,
    first creating it, installing the pinned versions and re-running the script there.
    The system Python's packages are never used, so the versions compared are known."""
    if os.environ.get(IN_VENV_FLAG):
        import shap.explainers._kernel as kernel
        kernel.Kernel = kernel.KernelExplainer
        import timeshap.explainer as explainer
        from timeshap.explainer.kernel import TimeShapKernel
        return explainer, TimeShapKernel
    venv = pathlib.Path(venv)
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating a virtual environment in {venv}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
    probe = ("import shap, timeshap.version as v, shap.explainers._kernel as k; k.Kernel = k.KernelExplainer; "
             "import timeshap.explainer; assert shap.__version__.startswith('0.51') and v.__version__ == '1.0.4'")
    if subprocess.run([str(python), "-c", probe], capture_output=True).returncode != 0:
        print(f"installing {' '.join(REQUIREMENTS)} from PyPI into {venv}", file=sys.stderr)
        subprocess.check_call([str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS])
    env = dict(os.environ, **{IN_VENV_FLAG: "1"})
    os.execve(str(python), [str(python), str(pathlib.Path(__file__).resolve()), *sys.argv[1:]], env)
    raise AssertionError("unreachable")


class CountingModel:
    """Wraps the GRU as timeshap calls it and counts the sequences it scores."""

    def __init__(self, gru, hidden_state):
        self.gru = gru
        self.hidden_state = hidden_state
        self.rows = 0

    def __call__(self, batch, state=None):
        self.rows += batch.shape[0]
        if self.hidden_state:
            return self.gru.with_state(batch, state)
        return self.gru(batch)


def parse_l1_reg(text):
    lowered = text.lower()
    if lowered in ("false", "0", "off", "none"):
        return False
    try:
        return float(text)
    except ValueError:
        return text


def explain(sequence, baseline, names, args, explainer, kernel_class, model, np):
    data = np.asarray(sequence["events"], dtype=np.float64)[None, :, :]
    length = data.shape[1]
    l1_reg = parse_l1_reg(args.l1_reg)
    timings, cpu, rows = {}, {}, {}

    model.rows = 0
    start, start_cpu = time.perf_counter(), time.process_time()
    curve, pruning_index = explainer.local_pruning(model, data, {"tol": args.tolerance}, baseline)
    timings["pruning"] = time.perf_counter() - start
    cpu["pruning"] = time.process_time() - start_cpu
    rows["pruning"] = model.rows
    pruned_length = -int(pruning_index)
    split = length + int(pruning_index)  # events before `split` are grouped

    def kernel_values(mode, pruned_idx):
        model.rows = 0
        start, start_cpu = time.perf_counter(), time.process_time()
        kernel = kernel_class(model, baseline, args.seed, mode)
        values = kernel.shap_values(data, pruning_idx=pruned_idx, nsamples=args.nsamples, l1_reg=l1_reg)
        timings[mode] = time.perf_counter() - start
        cpu[mode] = time.process_time() - start_cpu
        rows[mode] = model.rows
        return np.asarray(values, dtype=np.float64).ravel(), kernel

    event_values, event_kernel = kernel_values("event", split)
    event_labels = [f"Event {-i}" for i in range(1, length - split + 1)] + (["Pruned Events"] if split > 0 else [])
    feature_values, _ = kernel_values("feature", 0 if split == -1 else split)
    feature_labels = list(names) + (["Pruned Events"] if split > 0 else [])
    timings["total"] = timings["pruning"] + timings["event"] + timings["feature"]
    cpu["total"] = cpu["pruning"] + cpu["event"] + cpu["feature"]

    score = float(event_kernel.fx[0])
    base_score = float(event_kernel.fnull[0])

    def ranked(labels, values, position_of):
        order = np.argsort(-np.abs(values), kind="stable")[: args.top]
        return [dict(label=labels[i], value=float(values[i]), **position_of(labels[i])) for i in order]

    def event_position(label):
        if label == "Pruned Events":
            return {"events": [0, split]}
        back = -int(label.split()[1])
        return {"index": length - back}

    older = curve[curve["Coalition"].str.contains("\u2264")]
    return {
        "index": sequence["index"],
        "length": length,
        "fraud": sequence["fraud"],
        "ending_start": sequence["ending_start"],
        "score_lumen": sequence["score"],
        "score": score,
        "base_score": base_score,
        "tolerance": args.tolerance,
        "pruned_length": pruned_length,
        "pruning_index": int(pruning_index),
        "pruning_curve": [[int(t), float(v)] for t, v in zip(older["t (event index)"], older["Shapley Value"])],
        "events": dict(zip(event_labels, map(float, event_values))),
        "top_events": ranked(event_labels, event_values, event_position),
        "features": dict(zip(feature_labels, map(float, feature_values))),
        "top_features": ranked(feature_labels, feature_values, lambda label: {}),
        "event_sum_minus_score": float(event_values.sum() + base_score - score),
        "feature_sum_minus_score": float(feature_values.sum() + base_score - score),
        "nsamples": args.nsamples,
        "seed": args.seed,
        "l1_reg": args.l1_reg,
        "hidden_state": args.hidden_state,
        "model_rows": rows,
        "wall_s": timings,
        "cpu_s": cpu,
    }


def main():
    args = parse_args()
    explainer, kernel_class = import_timeshap(args.venv)
    import numpy as np

    sys.path.insert(0, str(HERE))
    from fraud_gru import FraudGru

    warnings.filterwarnings("ignore")
    with open(args.sequences, encoding="utf-8") as file:
        document = json.load(file)
    gru = FraudGru(args.weights)
    if document["feature_names"] != gru.feature_names:
        sys.exit(f"{args.sequences}: feature names differ from the weights file's")
    sequences = document["sequences"][: args.count]
    for sequence in sequences:
        score = float(gru(np.asarray(sequence["events"], dtype=np.float32)[None, :, :])[0, 0])
        if abs(score - sequence["score"]) > SCORE_TOLERANCE:
            sys.exit(f"sequence {sequence['index']}: numpy score {score} differs from Lumen's {sequence['score']}")
    baseline = np.asarray(document["average_event"], dtype=np.float64)[None, :]
    model = CountingModel(gru, args.hidden_state)

    results = []
    for sequence in sequences:
        result = explain(sequence, baseline, document["feature_names"], args, explainer, kernel_class, model, np)
        print(json.dumps(result), flush=True)
        results.append(result)
    if results:
        for clock in ("wall_s", "cpu_s"):
            totals = sorted(r[clock]["total"] for r in results)
            print(f"timeshap: {len(results)} sequences, {clock[:-2]} time per sequence: median "
                  f"{totals[len(totals) // 2]:.2f} s, min {totals[0]:.2f} s, max {totals[-1]:.2f} s", file=sys.stderr)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as file:
            json.dump(results, file, indent=1)


if __name__ == "__main__":
    main()
