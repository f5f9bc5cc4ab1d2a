"""The PySpark path's checks, run by ``run-tests.sh`` on local[2]: partition independence,
re-explaining one row by its key, the plain Python binding row by row, bad input, and the same
bits as the Java integration for the same model and rows (the Java checks write the model's
coefficients, the rows and their values into the folder given as the argument).

Usage: python3 check_lumen_spark.py <folder written by SparkChecks (label local)>
Prints one line per check and ``N passed, N failed``; exits 1 when a check failed.
"""

from __future__ import annotations

import math
import struct
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import lumen
import lumen_spark

warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
passed = 0
failed = 0


def check(name: str, ok: bool, detail: str = "") -> None:
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))


class CreditModelFactory:
    """The Java demo's CreditModel ported to numpy: the same coefficients and the same order of
    double operations (w·(x − mean)/scale summed left to right, then the logistic), so the same
    float32 outputs."""

    def __init__(self, coefficients: list[float]) -> None:
        self.mean = coefficients[0:20]
        self.scale = coefficients[20:40]
        self.weights = coefficients[40:60]
        self.bias = coefficients[60]

    def probability_bad(self, x: np.ndarray) -> np.ndarray:
        z = np.full(x.shape[0], self.bias, dtype=np.float64)
        for j in range(20):
            z = z + self.weights[j] * (x[:, j].astype(np.float64) - self.mean[j]) / self.scale[j]
        # math.exp (the C library's, correctly rounded in practice, like Java's StrictMath.exp)
        # rather than numpy's vectorised exp, whose last bit may differ by CPU.
        return 1 / (1 + np.array([math.exp(-v) for v in z], dtype=np.float64))

    def __call__(self) -> lumen.Model:
        def predict(x: np.ndarray) -> np.ndarray:
            bad = self.probability_bad(np.asarray(x).reshape(-1, 20))
            return np.stack([(1 - bad).astype(np.float32), bad.astype(np.float32)], axis=1)

        return lumen.Model(predict, input_len=20, output_len=2, concurrent=True)


class BrokenFactory:
    def __call__(self) -> lumen.Model:
        raise OSError("model file credit-v7.bin is corrupt")


def bits(value: float) -> str:
    return format(struct.unpack("<I", struct.pack("<f", value))[0], "x")


def java_bits(value: object) -> str:
    """A value as SparkChecks.bits writes it (float32 bits in hex, a struct in braces)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return bits(value)
    if isinstance(value, tuple):  # a Row
        return "{" + ",".join(java_bits(v) for v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(java_bits(v) for v in value) + "]"
    return str(value)


def java_digest_line(row: tuple, key_at: int) -> str:
    """A result row as a line of SparkChecks.digest: the id, the key, the result columns."""
    return " ".join([str(row[0]), format(row[key_at] % (1 << 64), "016x"), *(java_bits(v) for v in row[key_at + 1:])])


def german_features(lines: list[list[str]]) -> np.ndarray:
    """German credit rows as the model's 20 float32 features (a category code Ann as its
    number n), as the Java checks read them."""
    categorical = [a for a in range(20) if lines[0][a].startswith("A")]
    return np.array(
        [[float(row[a][len(f"A{a + 1}"):]) if a in categorical else float(row[a]) for a in range(20)]
         for row in lines],
        dtype=np.float32,
    )


def digest(rows: list, start: int) -> list[tuple]:
    """Rows sorted by id with floats as bits: equal digests mean equal bits."""
    out = []
    for row in sorted(rows, key=lambda r: r[0]):
        values = []
        for v in row[start:]:
            if isinstance(v, float):
                values.append(struct.pack("<d", v).hex())
            elif isinstance(v, list):
                values.append(tuple(struct.pack("<d", x).hex() if isinstance(x, float) else repr(x) for x in v))
            else:
                values.append(repr(v))
        out.append((row[0], *values))
    return out


class SequenceScorerFactory:
    """A small sequence model: tanh of recency-weighted feature sums (float64 inside)."""

    def __call__(self) -> lumen.SequenceModel:
        def predict(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=np.float64)
            recency = np.linspace(0.2, 1.0, x.shape[1])[None, :, None]
            mix = np.array([0.5, -0.25, 0.125])[None, None, :]
            return np.tanh((x * recency * mix).sum(axis=(1, 2)))[:, None].astype(np.float32)

        return lumen.SequenceModel(predict, features=3, concurrent=True)


class FraudScorerFactory:
    """The Java demo's Transactions.FraudScorer ported to numpy: the same double operations in
    the same order (``h ← tanh(0.6 h + Σ_j w_j (x_j − mean_j) / scale_j)`` per event, then
    ``σ(2h − 1)``), with math.tanh and math.exp per value, so the same float32 outputs."""

    MEAN = (40.0, 14.0, 0.2, 30.0)
    SCALE = (60.0, 6.0, 0.25, 150.0)
    WEIGHT = (0.5, -0.4, 0.8, 0.7)

    def __call__(self) -> lumen.SequenceModel:
        def predict(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=np.float64)
            h = np.zeros(x.shape[0])
            for e in range(x.shape[1]):
                z = np.zeros(x.shape[0])
                for j in range(len(self.WEIGHT)):
                    z = z + self.WEIGHT[j] * (x[:, e, j] - self.MEAN[j]) / self.SCALE[j]
                h = np.array([math.tanh(v) for v in 0.6 * h + z])
            return np.array([1 / (1 + math.exp(-(2 * v - 1))) for v in h]).astype(np.float32)[:, None]

        return lumen.SequenceModel(predict, features=len(self.WEIGHT), concurrent=True)


def java_sequence_check(spark, folder: Path, seed: int) -> None:
    """TimeSHAP through PySpark on the Java checks' transactions with the same scorer and
    settings: the Java integration's bits, sequence for sequence."""
    events = pd.read_csv(folder / "transactions.csv", float_precision="round_trip")
    features = list(events.columns[2:])
    got = lumen_spark.explain_sequences(spark.createDataFrame(events).repartition(3), "customer_id", "seq_no", features,
                                        FraudScorerFactory(), seed=seed, background=[40.0, 14.0, 0.2, 10.0],
                                        budget=40, tolerance=0.01).collect()
    mine = [java_digest_line(r, 1) for r in sorted((tuple(r) for r in got), key=lambda r: r[0])]
    java = (folder / "local-timeshap.txt").read_text().splitlines()
    check(f"pyspark timeshap gives the Java integration's bits for {len(java)} sequences", mine == java,
          next((f"{a} != {b}" for a, b in zip(mine, java) if a != b), f"{len(mine)} vs {len(java)} sequences"))


def sequence_checks(spark, seed: int) -> None:
    """TimeSHAP through PySpark: one row per sequence, partition independence, the binding
    one sequence at a time, bad sequences."""
    from pyspark.sql import functions as F

    rng = np.random.default_rng(11)
    events = []
    for c in range(12):
        length = 3 + c % 7
        for e in rng.permutation(length):
            events.append((f"S-{c:02d}", int(e) * 10, *rng.normal(size=3).round(3).tolist()))
    frame = pd.DataFrame(events, columns=["customer_id", "event_time", "amount", "hour", "risk"])
    df = spark.createDataFrame(frame).cache()
    features = ["amount", "hour", "risk"]
    settings = {"background": [0.0, 0.0, 0.0], "budget": 24, "tolerance": 0.01}

    def run(data, **options):
        return lumen_spark.explain_sequences(data, "customer_id", "event_time", features, SequenceScorerFactory(),
                                             seed=seed, **{**settings, **options})

    reference = None
    for p in (1, 3, 7):
        got = sorted((tuple(r) for r in run(df.repartition(p)).collect()), key=lambda r: r[0])
        if reference is None:
            reference = got
            check("pyspark timeshap: one row per sequence (12)", len(got) == 12, f"{len(got)} rows")
        else:
            check(f"pyspark timeshap: sequences in {p} partitions give the same bits", digest(got, 1) == digest(reference, 1))
    check("pyspark timeshap: some sequence is sampled and some pruned",
          any(not r[4] for r in reference) and any(r[3] < r[2] for r in reference))
    engine = lumen.Engine(threads=1)
    model = SequenceScorerFactory()()

    def binding_mismatches(rows, **options) -> int:
        """How many of the PySpark ``rows`` the Python binding, one sequence at a time with
        the same settings, does not reproduce to the bit."""
        mismatches = 0
        for row in rows:
            sequence = frame[frame.customer_id == row[0]].sort_values("event_time")[features].to_numpy(np.float32)
            with engine.explain_timeshap(model, sequence, seed=seed, row_keys=[lumen_spark.id_key(row[0])],
                                         **{**settings, **options}) as e:
                same = ([float(v) for v in e.values] == row[8] and [p.name for p in e.players] == row[7]
                        and e.pruned_len == row[3] and float(np.float32(e.prediction)) == row[5])
            mismatches += 0 if same else 1
        return mismatches

    mismatches = binding_mismatches(reference)
    check(f"the Python binding one sequence at a time gives the PySpark bits for {len(reference)} sequences",
          mismatches == 0, f"{mismatches} sequences differ")
    linear = sorted((tuple(r) for r in run(df.repartition(3), estimator="leverage_stratified").collect()),
                    key=lambda r: r[0])
    mismatches = binding_mismatches(linear, estimator="leverage_stratified")
    sampled_differ = [a[8] != b[8] for a, b in zip(reference, linear) if not a[4]]
    check("pyspark timeshap estimator: the binding's bits, and other values than the default's where sampled",
          mismatches == 0 and any(sampled_differ),
          f"{mismatches} sequences differ from the binding; sampled ones differing from the default: {sampled_differ}")

    etas = [0.0, 0.01, 0.1]
    table = [tuple(r) for r in lumen_spark.pruning_table(df.repartition(3), "customer_id", "event_time", features,
                                                          SequenceScorerFactory(), etas, background=[0.0, 0.0, 0.0])
             .collect()]
    lengths = {eta: [] for eta in etas}
    for customer in sorted(frame.customer_id.unique()):
        sequence = frame[frame.customer_id == customer].sort_values("event_time")[features].to_numpy(np.float32)
        for eta in etas:
            lengths[eta].append(engine.timeshap_prune(model, sequence, background=[0.0, 0.0, 0.0], tolerance=eta).pruned_len)
    expected = [(eta, 12, float(np.mean(lengths[eta])), float(np.median(lengths[eta])), max(lengths[eta]))
                for eta in etas]
    check("pyspark pruning_table: per tolerance the sequences, mean, median and largest pruned length of the binding's "
          "pruning", table == expected, f"{table} vs {expected}")
    try:
        lumen_spark.pruning_table(df, "customer_id", "event_time", features, SequenceScorerFactory(), [0.1, -1.0])
        check("pyspark pruning_table: a negative tolerance is refused on the driver", False)
    except ValueError as error:
        check("pyspark pruning_table: a negative tolerance is refused on the driver",
              "tolerances: holds [0.1, -1.0]" in str(error), str(error))

    clash = df.withColumn("event_time", F.when((F.col("customer_id") == "S-03") & (F.col("event_time") == 10),
                                               F.lit(0)).otherwise(F.col("event_time")))
    lenient = {r[0]: r for r in run(clash, error_col="lumen_error").collect()}
    check("pyspark timeshap error_col: two events with one order value are named, the others explained",
          "events 0 and 1 of sequence with customer_id = 'S-03' share the order value 0" in (lenient["S-03"][-1] or "")
          and all(r[-1] is None for k, r in lenient.items() if k != "S-03"), str(lenient["S-03"][-1]))
    unordered = df.withColumn("event_time", F.when((F.col("customer_id") == "S-07") & (F.col("event_time") == 20),
                                                   F.lit(None)).otherwise(F.col("event_time")))
    message = {r[0]: r[-1] for r in run(unordered, error_col="lumen_error").collect()}["S-07"]
    check("pyspark timeshap error_col: a null order value is named as the Java integration names it",
          message == "order column 'event_time' is null in event 0 of sequence with customer_id = 'S-07'", str(message))
    with_null = df.withColumn("risk", F.when(F.col("customer_id") == "S-05", F.lit(None)).otherwise(F.col("risk")))
    try:
        run(with_null).collect()
        check("pyspark timeshap: a null feature fails the job naming the sequence", False)
    except Exception as error:  # a Spark PythonException
        check("pyspark timeshap: a null feature fails the job naming the sequence",
              "feature column 'risk' is null in event 0 (event_time = 0) of sequence with customer_id = 'S-05'"
              in str(error), str(error)[-400:])
    for options, message in (({"level": "events"}, "level: is 'events'"), ({"nsample": 5}, "nsample"),
                             ({"estimator": "kernel"}, "estimator: is 'kernel'")):
        try:
            run(df, **options)
            check(f"pyspark timeshap {message.split(':')[0]}: a bad setting is refused on the driver", False)
        except ValueError as error:
            check(f"pyspark timeshap {message.split(':')[0]}: a bad setting is refused on the driver",
                  message in str(error), str(error))


def counterfactual_checks(folder: Path, df, features: list[str], factory, training: np.ndarray, seed: int) -> None:
    """PermuteAttack through PySpark, with the Java checks' search on the same rows."""
    from pyspark.sql import functions as F

    few = df.filter(F.col("application_id") < "A-0000010").cache()
    search = {"population": 12, "parents": 4, "generations": 15, "runs": 2, "counterfactuals": 2}
    frozen = ["age", "foreign_worker"]

    def attack(frame, **options):
        return lumen_spark.explain(frame, features, factory, method="permute_attack", training=training,
                                   immutable=frozen, search=search, key_col="application_id", seed=seed, **options)

    found = sorted((tuple(r) for r in attack(few).collect()), key=lambda r: r[0])
    reference = [java_digest_line(r, 21) for r in found]
    for p in (1, 3, 7):
        split = few.coalesce(1) if p == 1 else few.repartition(p)
        got = [java_digest_line(r, 21) for r in sorted((tuple(r) for r in attack(split).collect()), key=lambda r: r[0])]
        check(f"pyspark permute_attack: {p} partition(s) give the same bits", got == reference)
    java = (folder / "local-permute_attack.txt").read_text().splitlines()
    check(f"pyspark permute_attack gives the Java integration's bits for {len(found)} rows", reference == java,
          next((f"{a} != {b}" for a, b in zip(reference, java) if a != b), f"{len(reference)} vs {len(java)} rows"))
    changed = [name for r in found for c in r[26] for name in c["changed"]]
    check("pyspark permute_attack finds counterfactuals and never changes an immutable column",
          bool(changed) and not set(changed) & set(frozen), str(sorted(set(changed))))

    engine = lumen.Engine(threads=1)
    model = factory()
    mismatches = 0
    for row in found:
        x = np.array([row[1:21]], dtype=np.float32)
        with engine.counterfactuals(model, x, training, immutable=[features.index(c) for c in frozen], seed=seed,
                                    row_keys=[row[0]], **search) as c:
            mine = lumen_spark._counterfactual_columns(c, 0, features)
        # As FloatType columns hold them.
        mine[2] = float(np.float32(mine[2]))
        for cf in mine[4]:
            for name in ("target_probability", "distance"):
                cf[name] = float(np.float32(cf[name]))
        spark_columns = [*row[22:26], [cf.asDict(recursive=True) for cf in row[26]]]
        mismatches += 0 if mine == spark_columns else 1
    check(f"the Python binding one row at a time gives the PySpark counterfactuals for {len(found)} rows",
          mismatches == 0, f"{mismatches} rows differ")

    for options, message in (({"immutable": ["salary"]}, "immutable: column 'salary' is not a feature column"),
                             ({"search": {"populaton": 5}}, "search: unknown setting(s) ['populaton']"),
                             ({"training": training[:, :5]}, "training: has shape (200, 5), expected (rows >= 1, 20)")):
        name = message.split(":")[0]
        try:
            lumen_spark.explain(df, features, factory, method="permute_attack",
                                **{"training": training, "search": search, **options})
            check(f"permute_attack {name}: a bad value is refused on the driver", False)
        except ValueError as error:
            check(f"permute_attack {name}: a bad value is refused on the driver", message in str(error), str(error))
    try:
        lumen_spark.explain(df, features, factory, background=training[:12], training=training)
        check("training is refused for kernel_shap", False)
    except ValueError as error:
        check("training is refused for kernel_shap", "only for method 'permute_attack'" in str(error), str(error))


def main() -> int:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    folder = Path(sys.argv[1])
    coefficients = [struct.unpack(">d", bytes.fromhex(line.zfill(16)))[0]
                    for line in (folder / "credit-model.txt").read_text().split()]
    portfolio = pd.read_csv(folder / "portfolio.csv")
    features = list(portfolio.columns[1:])
    german = [line.split() for line in Path(sys.argv[2]).read_text().splitlines() if line.strip()]
    background = german_features(german[:12])
    factory = CreditModelFactory(coefficients)
    seed = 20261204

    spark = SparkSession.builder.appName("lumen-spark-python-checks").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.createDataFrame(portfolio).cache()

    def run(frame, **options):
        return lumen_spark.explain(frame, features, factory, background=background, budget=300, target=1,
                                   seed=seed, **options)

    keyed = [tuple(r) for r in run(df, key_col="application_id").collect()]
    reference = digest(keyed, 21)
    for p in (1, 3, 7):
        split = df.coalesce(1) if p == 1 else df.repartition(p)
        got = digest([tuple(r) for r in run(split, key_col="application_id").collect()], 21)
        check(f"pyspark kernel_shap keyed by application_id: {p} partition(s) give the same bits", got == reference)
    unkeyed = digest([tuple(r) for r in run(df.coalesce(1)).collect()], 21)
    check("pyspark kernel_shap keyed by feature values: 7 partitions give the same bits",
          digest([tuple(r) for r in run(df.repartition(7)).collect()], 21) == unkeyed)

    medians = np.median(background, axis=0).astype(np.float32)
    ablation = None
    for p in (1, 7):
        split = df.coalesce(1) if p == 1 else df.repartition(p)
        got = digest([tuple(r) for r in lumen_spark.explain(
            split, features, factory, method="feature_ablation", baseline=medians, target=1,
            groups={"loan": ["duration_months", "credit_amount"]}, key_col="application_id").collect()], 21)
        if ablation is None:
            ablation = got
            check("pyspark feature_ablation with a group: one value per player (19)", len(got[0][4]) == 19,
                  str(len(got[0][4])))
        else:
            check("pyspark feature_ablation: 7 partitions give the 1-partition bits", got == ablation)
    grouped = [tuple(r) for r in run(df.repartition(3), key_col="application_id",
                                      groups={"person": ["age", "personal_status", "job"]}).collect()]
    check("pyspark kernel_shap with groups: one value per player (18) and reason codes by player name",
          all(len(r[24]) == 18 for r in grouped)
          and {c["feature"] for r in grouped for c in r[27]} <= set(features) | {"person"})

    check("lumen_key is lumen.row_key of the id (the Java RowKeys.ofId test vector 0f55bc8b4b53e024)",
          lumen_spark.id_key("A-1042") == 0x0F55BC8B4B53E024 and lumen_spark.id_key(1042) == lumen_spark.id_key("1042")
          and all(r[21] % (1 << 64) == lumen.row_key(r[0]) for r in keyed))

    one = keyed[len(keyed) // 2]
    alone = digest([tuple(r) for r in run(df.filter(F.col("application_id") == one[0]),
                                          key_col="application_id").collect()], 21)
    check(f"re-explaining {one[0]} alone reproduces its batch bits", alone == digest([one], 21))

    engine = lumen.Engine(threads=1)
    model = factory()
    mismatches = 0
    for row in keyed:
        x = np.array([row[1:21]], dtype=np.float32)
        with engine.kernel_shap(model, x, background, budget=300, targets=[1], seed=seed, row_keys=[row[0]]) as e:
            same = [float(v) for v in e.attributions[0, 0]] == row[24] and float(e.predictions[0, 0]) == row[22]
        mismatches += 0 if same else 1
    check(f"the Python binding one row at a time (seed, row_keys=[id]) gives the PySpark bits for {len(keyed)} rows",
          mismatches == 0, f"{mismatches} rows differ")

    # The sampling options: an estimator and an accuracy-driven budget, through to the binding.
    # A target half the smallest row's largest error at the fixed budget: every row needs more rounds.
    target_error = 0.5 * min(max(r[25]) for r in keyed)
    sampled = [tuple(r) for r in run(df.repartition(3), key_col="application_id", estimator="leverage_interactions",
                                      target_standard_error=target_error, max_budget=20000).collect()]
    mismatches, rounds = 0, []
    for row in sampled:
        x = np.array([row[1:21]], dtype=np.float32)
        with engine.kernel_shap(model, x, background, budget=300, targets=[1], seed=seed, row_keys=[row[0]],
                                estimator="leverage_interactions", target_standard_error=target_error,
                                max_budget=20000) as e:
            same = ([float(v) for v in e.attributions[0, 0]] == row[24]
                    and [float(v) for v in e.standard_errors[0, 0]] == row[25])
            rounds.append(e.sampling[0].rounds)
        mismatches += 0 if same else 1
    check(f"pyspark estimator and target_standard_error give the binding's bits for {len(sampled)} rows",
          mismatches == 0 and digest(sampled, 21) != reference, f"{mismatches} rows differ")
    check(f"pyspark target_standard_error {target_error:.2e}: every row took more than one round and met it",
          min(rounds) > 1 and all(max(r[25]) <= target_error for r in sampled),
          f"rounds {min(rounds)}-{max(rounds)}, largest error {max(max(r[25]) for r in sampled):.2e}")
    for options, message in (({"estimator": "leverage_squared"}, "estimator: is 'leverage_squared', expected one of"),
                             ({"target_standard_error": 0.0}, "target_standard_error: is 0.0, expected a finite number > 0"),
                             ({"max_budget": 5000}, "max_budget: is 5000, but caps only rounds driven by target_standard_error")):
        try:
            run(df, **options)
            check(f"{message.split(':')[0]}: a bad value is refused on the driver", False)
        except ValueError as error:
            check(f"{message.split(':')[0]}: a bad value is refused on the driver", message in str(error), str(error))
    try:
        lumen_spark.explain(df, features, factory, method="feature_ablation", baseline=medians, estimator="leverage")
        check("estimator is refused for feature_ablation", False)
    except ValueError as error:
        check("estimator is refused for feature_ablation", "only for method 'kernel_shap'" in str(error), str(error))

    java = {}
    for line in (folder / "java-kernel-shap.txt").read_text().splitlines():
        parts = line.split(" ")
        java[parts[0]] = parts[1:]
    differ = 0
    for row in keyed:
        key, prediction, base, attributions, errors = java[row[0]]
        mine = [format(row[21] % (1 << 64), "016x"), bits(row[22]), bits(row[23]),
                "[" + ",".join(bits(v) for v in row[24]) + "]", "[" + ",".join(bits(v) for v in row[25]) + "]"]
        differ += 0 if mine == [key, prediction, base, attributions, errors] else 1
    check(f"the PySpark path gives the Java integration's bits for the same model and {len(keyed)} rows", differ == 0,
          f"{differ} rows differ")
    check("reason codes name the feature columns",
          all(code["feature"] in features for row in keyed for code in row[27]) and any(row[27] for row in keyed))

    counterfactual_checks(folder, df, features, factory, german_features(german[:200]), seed)
    sequence_checks(spark, seed)
    java_sequence_check(spark, folder, seed)

    try:
        run(df.drop("age"))
        check("a missing feature column is named", False)
    except ValueError as error:
        check("a missing feature column is named", "feature column 'age' is missing" in str(error), str(error))
    try:
        run(df.withColumn("age", F.col("age").cast("string")))
        check("a non-numeric feature column is named with its type", False)
    except ValueError as error:
        check("a non-numeric feature column is named with its type", "has type string" in str(error), str(error))

    bad = keyed[5][0]
    with_null = df.withColumn("age", F.when(F.col("application_id") == bad, F.lit(None)).otherwise(F.col("age")))
    try:
        run(with_null.repartition(3), key_col="application_id").collect()
        check("a null feature fails the job naming the column and the row", False)
    except Exception as error:  # a Spark PythonException
        check("a null feature fails the job naming the column and the row",
              f"feature column 'age' is null in row with application_id = '{bad}'" in str(error), str(error)[-400:])
    lenient = [tuple(r) for r in run(with_null.repartition(3), key_col="application_id", error_col="lumen_error")
               .collect()]
    errors = [r for r in lenient if r[-1] is not None]
    others = digest([r[:-1] for r in lenient if r[-1] is None], 21) == [d for d in reference if d[0] != bad]
    check("error_col: the null row gets its reason, the other rows their usual bits",
          len(errors) == 1 and errors[0][0] == bad and others, f"{len(errors)} errors")
    try:
        lumen_spark.explain(df, features, BrokenFactory(), background=background, budget=300).collect()
        check("a model factory that throws fails the job with its cause", False)
    except Exception as error:
        check("a model factory that throws fails the job with its cause",
              "the model factory" in str(error) and "credit-v7.bin is corrupt" in str(error), str(error)[-400:])

    spark.stop()
    print(f"pyspark: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
