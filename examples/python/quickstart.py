"""Lumen quickstart in Python: explain a credit decision with KernelSHAP and reason codes.

A toy scorecard (a logistic model written in numpy) gives an applicant's probability of
repaying; Lumen's KernelSHAP splits the applicant's log-odds against a background of 200
synthetic applicants into one contribution per feature (exact: 5 features are 32
coalitions), and the reason codes name the features that lowered the score most.

Install (from the repository root; needs Rust's cargo, which builds liblumen into the wheel):
    pip install ./bindings/python
Run (no environment variable needed):
    python examples/python/quickstart.py
From a source checkout without installing, instead:
    cargo build --release -p lumen && PYTHONPATH=bindings/python python examples/python/quickstart.py
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import lumen

FEATURES = ["income_k", "debt_ratio", "late_payments", "years_at_address", "utilisation"]
#: Log-odds per unit of each feature, and the intercept.
WEIGHTS = np.array([0.03, -3.0, -0.9, 0.15, -1.5])
INTERCEPT = 0.8
#: Scorecard points at or above which an applicant is approved.
CUTOFF = 600.0


def p_good(x: NDArray[np.float32]) -> NDArray[np.float64]:
    """The bank's model: P(good) of each row of ``x`` (rows × 5 features)."""
    log_odds: NDArray[np.float64] = x.astype(np.float64) @ WEIGHTS + INTERCEPT
    probability: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-log_odds))
    return probability


def background_applicants(rows: int = 200, seed: int = 0) -> NDArray[np.float32]:
    """Synthetic past applicants, the reference the contributions are measured against."""
    rng = np.random.default_rng(seed)
    columns = [
        rng.normal(55.0, 15.0, rows).clip(15.0, 150.0),  # income, thousands
        rng.uniform(0.1, 0.6, rows),  # debt / income
        rng.poisson(0.5, rows).astype(np.float64),  # late payments, last 2 years
        rng.uniform(0.0, 15.0, rows),  # years at current address
        rng.uniform(0.0, 1.0, rows),  # credit utilisation
    ]
    return np.stack(columns, axis=1).astype(np.float32)


def main() -> None:
    """Scores one applicant, explains the score and prints the reasons for the decision."""
    applicant = np.array([38.0, 0.55, 3.0, 1.0, 0.9], dtype=np.float32)
    background = background_applicants()
    probability = float(p_good(applicant[None, :])[0])
    score = lumen.scorecard_score(probability)
    decision = "approved" if score >= CUTOFF else "declined"
    print(f"liblumen {lumen.library_version()}, lumen-explain {lumen.__version__}")
    print(f"applicant: P(good) {probability:.2f}, score {score:.0f}, {decision}")

    model = lumen.Model(p_good, input_len=len(FEATURES), feature_names=FEATURES)
    with model, lumen.Engine(backend="cpu", seed=7) as engine:
        explanation = engine.kernel_shap(model, applicant, background, link="logit")
        base = float(explanation.base_values[0, 0])
        prediction = float(explanation.predictions[0, 0])
        print(
            f"KernelSHAP in log-odds: f(x) {prediction:+.3f} = base {base:+.3f} "
            f"+ sum of contributions ({explanation.model_rows_evaluated} model rows)"
        )
        for name, value in zip(explanation.feature_names, explanation.attributions[0, 0]):
            print(f"  {name:<17} {value:+.3f}")
        gaps = explanation.completeness_gaps
        gap = float(np.abs(gaps).max()) if gaps is not None else float("nan")
        print(f"completeness gap: {gap:.1e}")
        print(f"reasons for the decision ({decision}), strongest first:")
        for rank, reason in enumerate(explanation.reason_codes(k=3, direction="lowered"), start=1):
            print(f"  {rank}. {reason.name} ({reason.contribution:+.3f} log-odds)")
        record = explanation.audit
        print(
            f"audit record: method {record['method']}, link {record['parameters']['link']}, "
            f"seed {record['audit']['seed']}, liblumen {record['audit']['library_version']}"
        )


if __name__ == "__main__":
    main()
