#!/usr/bin/env python3
"""Checks that the numpy GRU (``fraud_gru.py``) scores like Lumen's Rust GRU.

Runs ``cargo run --release -p lumen-models --example fraud_sequences`` to write seeded
histories of several lengths with the Rust scores (or reads ``--sequences`` if given),
scores them with ``fraud_gru.FraudGru`` and fails unless every score agrees to 1e-5.
Needs only numpy. Usage, from anywhere::

    python3 benches/compare/timeshap/check_fraud_gru.py [--count 40] [--sequences FILE]

Prints one line per length class and ``OK: N sequences, largest difference D``.
"""

import argparse
import json
import pathlib
import subprocess
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fraud_gru import REPO_ROOT, FraudGru  # noqa: E402

TOLERANCE = 1e-5


def write_sequences(path, count, min_events, max_events, fraud_only):
    command = ["cargo", "run", "--quiet", "--release", "-p", "lumen-models", "--example", "fraud_sequences", "--",
               str(path), "--count", str(count), "--min-events", str(min_events), "--max-events", str(max_events),
               "--background", "10"]
    if fraud_only:
        command.append("--fraud-only")
    subprocess.run(command, cwd=REPO_ROOT, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=40, help="histories per length class")
    parser.add_argument("--sequences", help="check this file of `fraud_sequences` instead of writing new ones")
    args = parser.parse_args()

    if args.sequences:
        files = [("given", pathlib.Path(args.sequences))]
    else:
        out = REPO_ROOT / "target" / "fraud-check"
        out.mkdir(parents=True, exist_ok=True)
        files = []
        for name, low, high, fraud_only in [("20-300 events", 20, 300, False), ("takeovers", 20, 300, True),
                                            ("2000-2200 events", 2000, 2200, False)]:
            path = out / f"{name.split()[0]}.json"
            write_sequences(path, args.count if high <= 300 else max(4, args.count // 10), low, high, fraud_only)
            files.append((name, path))

    model = FraudGru()
    worst, checked = 0.0, 0
    for name, path in files:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
        if document["feature_names"] != model.feature_names:
            sys.exit(f"{path}: feature names differ from the weights file's")
        differences = []
        for sequence in document["sequences"]:
            events = np.asarray(sequence["events"], dtype=np.float32)[None, :, :]
            score = float(model(events)[0, 0])
            differences.append(abs(score - sequence["score"]))
        largest = max(differences)
        print(f"{name}: {len(differences)} sequences, largest |numpy - rust| = {largest:.3e}")
        worst, checked = max(worst, largest), checked + len(differences)
    if not worst <= TOLERANCE:
        sys.exit(f"FAILED: largest difference {worst:.3e} exceeds {TOLERANCE:g}")
    print(f"OK: {checked} sequences, largest difference {worst:.3e} (tolerance {TOLERANCE:g})")


if __name__ == "__main__":
    main()
