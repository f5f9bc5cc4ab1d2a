#!/usr/bin/env python3
"""Prints timeshap's and Lumen's TimeSHAP on the same fraud histories side by side.

Reads, per set of histories, the JSON array written by ``compare_timeshap.py --output``
and the JSON lines printed by the ``timeshap_fraud`` example (two lines per history: with
and without the GRU's state path), matches them by history index and prints one table:
L, pruned length on each side, the largest pruning-curve difference over the splits both
evaluated, the top 3 events and features on each side, the largest value difference at
event and feature level, whether the values are exact (2^players − 2 ≤ budget) or sampled
(then the largest |Δ| is also given in units of √2 · the standard error of Lumen's linear
fit at the same budget, ``linear_*_standard_errors``: the spread of the difference of two
independent estimates of that error, timeshap's being a linear KernelSHAP fit too; Lumen's
default fits interactions and reports tighter errors), the wall time of each side
and the speed-up. The summary line gives the median and minimum speed-up and whether
pruning and values agree. Needs only the standard library. Usage::

    side_by_side.py --set NAME TIMESHAP.json LUMEN.jsonl [--set ...] [--markdown] [--target 20]

Exit status 1 when the pruned lengths or the values disagree (a missed speed target is
reported, not an error).
"""

import argparse
import json
import math
import statistics
import sys

EXACT_TOLERANCE = 1e-5  # float32 GRU (Lumen) against float64 numpy twin: scores agree to 2e-7
SAMPLED_Z = 4.0  # sampled values agree when every |Δ| ≤ 4 · √2 · the linear fit's standard error


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", nargs=3, action="append", metavar=("NAME", "TIMESHAP", "LUMEN"), required=True)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--target", type=float, default=20.0, help="speed-up target (default 20)")
    return parser.parse_args()


def load(timeshap_path, lumen_path):
    with open(timeshap_path, encoding="utf-8") as file:
        theirs = {r["index"]: r for r in json.load(file)}
    ours = {}
    with open(lumen_path, encoding="utf-8") as file:
        for line in file:
            if line.strip():
                r = json.loads(line)
                ours.setdefault(r["index"], {})["state" if r["use_state"] else "full"] = r
    missing = sorted(set(theirs) ^ set(ours))
    if missing:
        raise SystemExit(f"{timeshap_path} and {lumen_path} differ in histories {missing}")
    return [(theirs[i], ours[i]) for i in theirs]


def top(values, k=3):
    """The k labels of largest |value|, events shortened to their offset ("-5")."""
    order = sorted(values, key=lambda name: -abs(values[name]))[:k]
    return ", ".join(name.replace("Event ", "").replace("Pruned Events", "pruned") for name in order)


def value_gap(theirs, ours, errors, exact):
    """Largest |Δ| over the players, and for sampled values the largest |Δ| / (√2 · SE)."""
    if set(theirs) != set(ours):
        raise SystemExit(f"players differ: {sorted(theirs)} vs {sorted(ours)}")
    gaps = {name: abs(theirs[name] - ours[name]) for name in theirs}
    largest = max(gaps.values())
    if exact:
        return largest, None
    z = max(gaps[name] / (math.sqrt(2) * errors[name]) if errors[name] > 0 else math.inf for name in gaps)
    return largest, z


def compare(name, ts, lumen):
    state, full = lumen["state"], lumen["full"]
    curve_ts = dict(map(tuple, ts["pruning_curve"]))
    curve_gaps = [abs(curve_ts[t] - v) for t, v in state["pruning_curve"] if t in curve_ts]
    # Sampled values: the difference in units of the linear fit's standard error at the same
    # budget (the timeshap package's own error scale); Lumen's default fits interactions and
    # reports far tighter errors than timeshap's estimate has.
    event_gap, event_z = value_gap(ts["events"], state["events"],
                                   state.get("linear_event_standard_errors") or state["event_standard_errors"],
                                   state["event_exact"])
    feature_gap, feature_z = value_gap(ts["features"], state["features"],
                                       state.get("linear_feature_standard_errors") or state["feature_standard_errors"],
                                       state["feature_exact"])
    state_gap = max(abs(state[level][p] - full[level][p]) for level in ("events", "features") for p in state[level])
    players = len(state["events"])
    return {
        "set": name,
        "index": ts["index"],
        "length": ts["length"],
        "fraud": ts["fraud"],
        "pruned_ts": ts["pruned_length"],
        "pruned_lumen": state["pruned_length"],
        "pruned_lumen_full": full["pruned_length"],
        "curve_gap": max(curve_gaps),
        "curve_points": len(curve_gaps),
        "top_events_ts": top(ts["events"]),
        "top_events_lumen": top(state["events"]),
        "top_features_ts": top(ts["features"]),
        "top_features_lumen": top(state["features"]),
        "event_gap": event_gap,
        "event_z": event_z,
        "feature_gap": feature_gap,
        "feature_z": feature_z,
        "regime": "exact" if state["event_exact"] and state["feature_exact"] else f"sampled ({players} events)",
        "state_gap": state_gap,
        "ts_s": ts["wall_s"]["total"],
        "lumen_s": state["wall_s"]["total"],
        "lumen_full_s": full["wall_s"]["total"],
        "lumen_curve_s": state["wall_s"]["pruning_full_curve"],
        "ts_pruning_s": ts["wall_s"]["pruning"],
    }


def gap_text(gap, z):
    return f"{gap:.1e}" if z is None else f"{gap:.1e} ({z:.1f}σ)"


def agrees(row):
    values_ok = all(
        (z is None and gap <= EXACT_TOLERANCE) or (z is not None and z <= SAMPLED_Z)
        for gap, z in ((row["event_gap"], row["event_z"]), (row["feature_gap"], row["feature_z"])))
    return row["pruned_ts"] == row["pruned_lumen"] == row["pruned_lumen_full"], values_ok


def main():
    args = parse_args()
    rows = [compare(name, ts, lumen) for name, ts_path, lumen_path in args.set for ts, lumen in load(ts_path, lumen_path)]
    header = ["set", "idx", "L", "fraud", "pruned ts/lumen", "curve max Δ", "top events ts", "top events lumen",
              "top features ts", "top features lumen", "regime", "event max Δ", "feature max Δ",
              "timeshap s", "lumen s", "speed-up", "lumen s (no state)", "speed-up (no state)"]
    table = []
    for r in rows:
        table.append([r["set"], str(r["index"]), str(r["length"]), "yes" if r["fraud"] else "no",
                      f"{r['pruned_ts']}/{r['pruned_lumen']}", f"{r['curve_gap']:.1e}", r["top_events_ts"],
                      r["top_events_lumen"], r["top_features_ts"], r["top_features_lumen"], r["regime"],
                      gap_text(r["event_gap"], r["event_z"]), gap_text(r["feature_gap"], r["feature_z"]),
                      f"{r['ts_s']:.3f}", f"{r['lumen_s']:.5f}", f"{r['ts_s'] / r['lumen_s']:.0f}x",
                      f"{r['lumen_full_s']:.5f}", f"{r['ts_s'] / r['lumen_full_s']:.0f}x"])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in table:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(h), *(len(line[i]) for line in table)) for i, h in enumerate(header)]
        print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
        print("-+-".join("-" * w for w in widths))
        for line in table:
            print(" | ".join(cell.ljust(w) for cell, w in zip(line, widths)))

    speedups = [r["ts_s"] / r["lumen_s"] for r in rows]
    speedups_full = [r["ts_s"] / r["lumen_full_s"] for r in rows]
    pruning_ok = all(agrees(r)[0] for r in rows)
    values_ok = all(agrees(r)[1] for r in rows)
    state_gap = max(r["state_gap"] for r in rows)
    curve_gap = max(r["curve_gap"] for r in rows)
    met = "met" if min(speedups) >= args.target else "NOT met"
    print()
    print(f"speed-up (timeshap wall / Lumen wall, state path): median {statistics.median(speedups):.0f}x, "
          f"min {min(speedups):.0f}x (target >= {args.target:g}x: {met}); without the state path: median "
          f"{statistics.median(speedups_full):.0f}x, min {min(speedups_full):.0f}x")
    print(f"pruning: {'same pruned length on every history' if pruning_ok else 'pruned lengths DIFFER'}, "
          f"curves within {curve_gap:.1e}; values: "
          f"{'agree' if values_ok else 'DISAGREE'} (exact: |Δ| <= {EXACT_TOLERANCE:g}; sampled: "
          f"|Δ| <= {SAMPLED_Z:g}·√2·SE); Lumen with and without the state path within {state_gap:.1e}")
    return 0 if pruning_ok and values_ok else 1


if __name__ == "__main__":
    sys.exit(main())
