"""Lumen on PySpark: explain a DataFrame's rows with KernelSHAP or Feature Ablation, or search
PermuteAttack counterfactuals for them, through ``mapInPandas`` (and sequences of events with
TimeSHAP through ``applyInPandas``, :func:`explain_sequences`) over Lumen's Python binding
(``lumen``), with the result columns and the row-key rule of the Java integration
(``dev.lumen.spark``):

* with ``key_col``, a row's key is ``lumen.row_key(id)`` of the id as a string (integers in
  decimal), the key ``RowKeys.ofId`` gives in Java, so one application id gives one key
  everywhere;
* without it, Lumen keys each row by the hash of its feature values (float32).

A row's random draws depend only on the seed and its key, so the values do not depend on how
the rows are partitioned. Each Python worker builds one model (``model_factory()``, a picklable
callable returning a ``lumen.Model``) and one ``lumen.Engine`` per factory (compared by content),
reuses them for every partition it processes, and closes them when the worker exits.

Bad rows (a null or non-finite feature, a null id, a model failure) fail the job with a message
naming the column and the row, or, with ``error_col``, get the message in that column while the
other rows are explained. A missing or non-numeric feature column raises ``ValueError`` at once.

Each executor needs the ``lumen`` package and its library (``pip install ./bindings/python``,
or ``bindings/python`` on ``PYTHONPATH`` with ``LUMEN_LIBRARY`` set) and this module.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "KEY",
    "SEARCH_SETTINGS",
    "explain",
    "explain_sequences",
    "id_key",
    "output_schema",
    "pruning_table",
    "sequence_schema",
]

#: The column holding the row key (the 64 bits of Lumen's unsigned key, as a signed long).
KEY = "lumen_key"
_RESULTS = ("prediction", "base_value", "attributions", "standard_errors", "completeness_gap", "reason_codes")
_COUNTERFACTUAL_RESULTS = ("original_class", "target_class", "original_probability", "already_at_target",
                           "counterfactuals")
_METHODS = ("kernel_shap", "feature_ablation", "permute_attack")
#: PermuteAttack's search settings ``explain(search=...)`` takes (the binding's names).
SEARCH_SETTINGS = ("population", "parents", "generations", "runs", "counterfactuals", "max_changed", "max_distance",
                   "success_probability", "sampling")

_lock = threading.Lock()
_cache: dict[str, tuple[Any, Any]] = {}


def _close_all() -> None:
    with _lock:
        for engine, model in _cache.values():
            model.close()
            engine.close()
        _cache.clear()


atexit.register(_close_all)


def id_key(identifier: Any) -> int:
    """The key of an id value, as the Java integration's ``RowKeys.ofId``: ``lumen.row_key``
    of its string form (integers in decimal, so 1042 and "1042" give one key)."""
    import lumen

    if identifier is None:
        raise ValueError("row id: is None, expected a value to key the row by")
    if isinstance(identifier, (bool, np.bool_)):
        text = "true" if identifier else "false"
    elif isinstance(identifier, (int, np.integer)):
        text = str(int(identifier))
    elif isinstance(identifier, (float, np.floating)) and float(identifier).is_integer():
        text = str(int(identifier))
    else:
        text = str(identifier)
    return int(lumen.row_key(text))


def _signed(key: int) -> int:
    return key - (1 << 64) if key >= 1 << 63 else key


def _resources(explainer_id: str, model_factory: Callable[[], Any], threads: int) -> tuple[Any, Any]:
    import lumen

    with _lock:
        if explainer_id not in _cache:
            try:
                model = model_factory()
            except Exception as error:
                raise RuntimeError(f"the model factory {model_factory!r} failed in a Python worker: {error!r}") from error
            _cache[explainer_id] = (lumen.Engine(threads=threads), model)
        return _cache[explainer_id]


def output_schema(
    schema: Any, *, error_col: str | None = None, reason_codes: int = 3, method: str = "kernel_shap"
) -> Any:
    """The schema :func:`explain` returns for input ``schema``: the input's columns, then
    ``lumen_key``, ``prediction``, ``base_value``, ``attributions``, ``standard_errors``,
    ``completeness_gap``, ``reason_codes`` (when ``reason_codes`` > 0) and ``error_col``; for
    ``"permute_attack"``, ``lumen_key``, ``original_class``, ``target_class``,
    ``original_probability``, ``already_at_target``, ``counterfactuals`` (an array of
    ``{values, changed, target_probability, predicted_class, success, distance}``, best first)
    and ``error_col``."""
    from pyspark.sql import types as T

    fields = list(schema.fields) + [T.StructField(KEY, T.LongType())]
    if method == "permute_attack":
        counterfactual = T.StructType([
            T.StructField("values", T.ArrayType(T.FloatType(), False), False),
            T.StructField("changed", T.ArrayType(T.StringType(), False), False),
            T.StructField("target_probability", T.FloatType(), False),
            T.StructField("predicted_class", T.IntegerType(), False),
            T.StructField("success", T.BooleanType(), False),
            T.StructField("distance", T.FloatType(), False),
        ])
        fields += [
            T.StructField("original_class", T.IntegerType()),
            T.StructField("target_class", T.IntegerType()),
            T.StructField("original_probability", T.FloatType()),
            T.StructField("already_at_target", T.BooleanType()),
            T.StructField("counterfactuals", T.ArrayType(counterfactual, False)),
        ]
        reason_codes = 0
    else:
        fields += [
            T.StructField("prediction", T.FloatType()),
            T.StructField("base_value", T.FloatType()),
            T.StructField("attributions", T.ArrayType(T.FloatType(), False)),
            T.StructField("standard_errors", T.ArrayType(T.FloatType(), False)),
            T.StructField("completeness_gap", T.DoubleType()),
        ]
    if reason_codes > 0:
        reason = T.StructType([T.StructField("feature", T.StringType()), T.StructField("contribution", T.FloatType())])
        fields.append(T.StructField("reason_codes", T.ArrayType(reason, False)))
    if error_col:
        fields.append(T.StructField(error_col, T.StringType()))
    names = [f.name for f in fields]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"column {name!r} is both an input column and a result column; rename or drop it first")
    return T.StructType(fields)


def _check_columns(schema: Any, features: Sequence[str], key_col: str | None) -> None:
    from pyspark.sql import types as T

    names = schema.names
    for column in features:
        if column not in names:
            raise ValueError(f"feature column {column!r} is missing; the DataFrame has columns {names}")
        data_type = schema[column].dataType
        if not isinstance(data_type, T.NumericType):
            raise ValueError(
                f"feature column {column!r} has type {data_type.simpleString()}, expected a numeric type "
                "(byte, short, int, long, float, double or decimal)"
            )
    if key_col is not None and key_col not in names:
        raise ValueError(f"key column {key_col!r} is missing; the DataFrame has columns {names}")


def _check_sampling(
    method: str, estimator: str | None, target_standard_error: float | None, max_budget: int | None
) -> None:
    """Checks KernelSHAP's sampling options on the driver, before any task runs."""
    from lumen import check_kernel_shap_sampling

    given = [name for name, value in (("estimator", estimator), ("target_standard_error", target_standard_error),
                                      ("max_budget", max_budget)) if value is not None]
    if given and method != "kernel_shap":
        raise ValueError(f"{', '.join(given)}: only for method 'kernel_shap', not {method!r}")
    check_kernel_shap_sampling(estimator, target_standard_error, max_budget)


def _check_search(
    method: str,
    features: list[str],
    training: Any,
    target_class: int | None,
    immutable: Sequence[str] | None,
    allow_list: Sequence[str] | None,
    ranges: Mapping[str, tuple[float, float]] | None,
    search: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Checks PermuteAttack's options on the driver, before any task runs, and returns the
    binding's arguments (columns as feature indices)."""
    given = [name for name, value in (("training", training), ("target_class", target_class),
                                      ("immutable", immutable), ("allow_list", allow_list), ("ranges", ranges),
                                      ("search", search)) if value is not None]
    if method != "permute_attack":
        if given:
            raise ValueError(f"{', '.join(given)}: only for method 'permute_attack', not {method!r}")
        return {}
    if training is None:
        raise ValueError("training: permute_attack needs training rows (one value per feature column)")
    rows = np.ascontiguousarray(training, dtype=np.float32)
    if rows.ndim != 2 or rows.shape[0] == 0 or rows.shape[1] != len(features):
        raise ValueError(f"training: has shape {rows.shape}, expected (rows >= 1, {len(features)})")

    def index(option: str, column: str) -> int:
        if column not in features:
            raise ValueError(f"{option}: column {column!r} is not a feature column {features}")
        return features.index(column)

    unknown = sorted(set(search or {}) - set(SEARCH_SETTINGS))
    if unknown:
        raise ValueError(f"search: unknown setting(s) {unknown}, expected some of {list(SEARCH_SETTINGS)}")
    return {
        "training": rows,
        "target_class": target_class,
        "immutable": None if immutable is None else [index("immutable", c) for c in immutable],
        "allow_list": None if allow_list is None else [index("allow_list", c) for c in allow_list],
        "ranges": None if ranges is None else {index("ranges", c): bounds for c, bounds in ranges.items()},
        **dict(search or {}),
    }


def _counterfactual_columns(found: Any, r: int, features: Sequence[str]) -> list[Any]:
    """Instance ``r``'s PermuteAttack columns, as the Java integration writes them."""
    outcome = found.instance(r)
    counterfactuals = [
        {
            "values": c.row.tolist(),
            "changed": [features[j] for j in c.changed],
            "target_probability": float(c.target_probability),
            "predicted_class": int(c.predicted_class),
            "success": bool(c.success),
            "distance": float(c.distance),
        }
        for c in found[r]
    ]
    return [outcome.original_class, outcome.target_class, float(outcome.original_probability),
            outcome.already_at_target, counterfactuals]


def explain(
    df: Any,
    features: Sequence[str],
    model_factory: Callable[[], Any],
    *,
    method: str = "kernel_shap",
    background: Any = None,
    baseline: Any = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    target: int = 0,
    budget: int | None = None,
    estimator: str | None = None,
    target_standard_error: float | None = None,
    max_budget: int | None = None,
    training: Any = None,
    target_class: int | None = None,
    immutable: Sequence[str] | None = None,
    allow_list: Sequence[str] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    search: Mapping[str, Any] | None = None,
    key_col: str | None = None,
    seed: int = 0,
    error_col: str | None = None,
    reason_codes: int = 3,
    batch_rows: int = 256,
    engine_threads: int = 0,
) -> Any:
    """Explains every row of ``df`` (lazy, like any transformation) with ``method``
    (``"kernel_shap"`` over ``background`` rows, or ``"feature_ablation"`` against
    ``baseline``), the model ``model_factory()`` builds in each Python worker, and returns
    the input's columns followed by the result columns (see :func:`output_schema`).
    ``groups`` maps a group name to its feature columns (others alone); ``target`` is the
    explained output; ``budget`` KernelSHAP's coalitions per row, ``estimator`` how it
    samples them (a name of ``lumen.ESTIMATORS``; Lumen's default when ``None``), and
    ``target_standard_error`` (> 0) makes it sample in rounds until every value's standard
    error is at or below it, spending at most ``max_budget`` coalitions per row.

    ``method="permute_attack"`` searches counterfactuals instead, with new values drawn from
    the ``training`` rows (one value per feature column): ``target_class`` (default: the other
    class), ``immutable`` and ``allow_list`` columns, ``ranges`` (column → ``(min, max)``) and
    ``search``, the other settings of ``lumen.Engine.counterfactuals`` (see
    :data:`SEARCH_SETTINGS`); the result columns are those of :func:`output_schema`."""
    from pyspark import cloudpickle

    if method not in _METHODS:
        raise ValueError(f"method: is {method!r}, expected one of {_METHODS}")
    features = list(features)
    if not features or len(set(features)) != len(features):
        raise ValueError(f"features: {features} is empty or repeats a column")
    _check_columns(df.schema, features, key_col)
    if method == "permute_attack" and groups:
        raise ValueError("groups: not for method 'permute_attack', which changes feature columns one by one")
    if method == "kernel_shap":
        if background is None:
            raise ValueError("background: kernel_shap needs background rows (one value per feature column)")
        background = np.ascontiguousarray(background, dtype=np.float32)
        if background.ndim != 2 or background.shape[1] != len(features):
            raise ValueError(f"background: has shape {background.shape}, expected (rows, {len(features)})")
    _check_sampling(method, estimator, target_standard_error, max_budget)
    counterfactual_options = _check_search(
        method, features, training, target_class, immutable, allow_list, ranges, search
    )
    players: dict[str, list[int]] | None = None
    if groups:
        # Players as element indices (the model is built in the workers, without feature names),
        # ordered by their first column as in the Java integration; ungrouped columns alone.
        owner: dict[str, str] = {}
        for name, columns in groups.items():
            for column in columns:
                if column not in features:
                    raise ValueError(f"groups: group {name!r} names column {column!r}, not a feature column {features}")
                if column in owner:
                    raise ValueError(f"groups: column {column!r} is in groups {owner[column]!r} and {name!r}")
                owner[column] = name
        players = {}
        for index, column in enumerate(features):
            players.setdefault(owner.get(column, column), []).append(index)
    schema = output_schema(df.schema, error_col=error_col, reason_codes=reason_codes, method=method)
    # One model and engine per Python worker and factory (by content), shared by every call.
    explainer_id = hashlib.sha256(cloudpickle.dumps((model_factory, engine_threads))).hexdigest()
    input_names = df.schema.names

    result_names = _COUNTERFACTUAL_RESULTS if method == "permute_attack" else _RESULTS[: 5 + (reason_codes > 0)]

    def describe(batch: Any, i: int) -> str:
        if key_col is not None:
            return f"row with {key_col} = '{batch[key_col].iloc[i]}'"
        values = ", ".join(f"{c}={batch[c].iloc[i]}" for c in features)
        return f"row with features {{{values}}}"

    def fail(message: str) -> None:
        if error_col is None:
            raise ValueError(message + " (set error_col to record bad rows and explain the others)")

    def run(engine: Any, model: Any, x: np.ndarray, keys: list[int] | None) -> Any:
        if method == "permute_attack":
            return engine.counterfactuals(model, x, seed=seed, row_keys=keys, **counterfactual_options)
        common = dict(seed=seed, row_keys=keys, targets=[target])
        if method == "kernel_shap":
            return engine.kernel_shap(
                model,
                x,
                background,
                players=players,
                budget=budget,
                estimator=estimator,
                target_standard_error=target_standard_error,
                max_budget=max_budget,
                **common,
            )
        return engine.feature_ablation(
            model,
            x,
            baseline=baseline,
            feature_mask=players,
            group_attributions=players is not None,
            **common,
        )

    def results(e: Any, r: int, key: int) -> list[Any]:
        if method == "permute_attack":
            return [_signed(key), *_counterfactual_columns(e, r, features)]
        errors = e.standard_errors
        gaps = e.completeness_gaps
        out = [
            _signed(key),
            float(e.predictions[r, 0]),
            float(e.base_values[r, 0]),
            e.attributions[r, 0].tolist(),
            None if errors is None else errors[r, 0].tolist(),
            None if gaps is None else float(gaps[r, 0]),
        ]
        if reason_codes > 0:
            out.append(
                [
                    {"feature": features[c.feature] if players is None else c.name, "contribution": float(c.contribution)}
                    for c in e.reason_codes(r, 0, reason_codes)
                ]
            )
        return out

    def explain_batch(batch: Any, engine: Any, model: Any) -> Any:
        import pandas as pd

        n = len(batch)
        x = np.zeros((n, len(features)), dtype=np.float32)
        errors: list[str | None] = [None] * n
        keys: list[int] = [0] * n
        for j, column in enumerate(features):
            values = batch[column]
            for i in (int(i) for i in np.flatnonzero(values.isna().to_numpy())):
                if errors[i] is None:
                    errors[i] = f"feature column '{column}' is null in {describe(batch, i)}"
            x[:, j] = values.fillna(0).to_numpy(dtype=np.float32)
        for i in range(n):
            problem = errors[i]
            if problem is None and not np.all(np.isfinite(x[i])):
                column = features[int(np.flatnonzero(~np.isfinite(x[i]))[0])]
                problem = f"feature column '{column}' is not finite (as float32) in {describe(batch, i)}"
            if problem is None and key_col is not None:
                if batch[key_col].isna().iloc[i]:
                    problem = f"key column '{key_col}' is null in {describe(batch, i)}"
                else:
                    keys[i] = id_key(batch[key_col].iloc[i])
            if problem is not None:
                fail(problem)
            errors[i] = problem
        good = [i for i in range(n) if errors[i] is None]
        rows: list[list[Any] | None] = [None] * n
        if good:
            try:
                with run(engine, model, x[good], [keys[i] for i in good] if key_col else None) as e:
                    found: list[int] = e.row_keys if key_col is None else [keys[i] for i in good]
                    for g, i in enumerate(good):
                        rows[i] = results(e, g, found[g])
            except Exception:
                # Explain the batch again row by row (a row's values do not depend on its batch),
                # so the failure names its row and only that row is lost.
                for i in good:
                    try:
                        with run(engine, model, x[i : i + 1], [keys[i]] if key_col else None) as e:
                            rows[i] = results(e, 0, keys[i] if key_col else e.row_keys[0])
                    except Exception as error:
                        cause = error.__cause__
                        message = f"explaining {describe(batch, i)} with {method} failed: {error}" + (
                            f" (cause: {cause!r})" if cause is not None else ""
                        )
                        fail(message)
                        errors[i] = message
        columns: dict[str, Any] = {name: batch[name].tolist() for name in input_names}
        for k, name in enumerate([KEY, *result_names]):
            columns[name] = [None if row is None else row[k] for row in rows]
        # Nullable 64-bit ints: a None among the keys must not turn them into float64.
        columns[KEY] = pd.array(columns[KEY], dtype="Int64")
        if error_col:
            columns[error_col] = errors
        return pd.DataFrame(columns)

    def partition(batches: Iterator[Any]) -> Iterator[Any]:
        engine, model = _resources(explainer_id, model_factory, engine_threads)
        for frame in batches:
            for start in range(0, len(frame), batch_rows):
                yield explain_batch(frame.iloc[start : start + batch_rows].reset_index(drop=True), engine, model)

    return df.mapInPandas(partition, schema)



def sequence_schema(schema: Any, id_col: str, *, error_col: str | None = None) -> Any:
    """The schema :func:`explain_sequences` returns for events of ``schema``: the id column,
    ``lumen_key``, ``events``, ``pruned_length``, ``exact``, ``prediction``, ``base_value``,
    ``players`` (Lumen's names: ``Event -1`` is the most recent), ``values``,
    ``standard_errors`` and ``error_col``, as the Java ``SequenceExplainer`` writes them."""
    from pyspark.sql import types as T

    if error_col == id_col:
        raise ValueError(f"error_col: {error_col!r} is the id column")
    fields = [
        schema[id_col],
        T.StructField(KEY, T.LongType()),
        T.StructField("events", T.IntegerType()),
        T.StructField("pruned_length", T.IntegerType()),
        T.StructField("exact", T.BooleanType()),
        T.StructField("prediction", T.FloatType()),
        T.StructField("base_value", T.FloatType()),
        T.StructField("players", T.ArrayType(T.StringType(), False)),
        T.StructField("values", T.ArrayType(T.FloatType(), False)),
        T.StructField("standard_errors", T.ArrayType(T.FloatType(), False)),
    ]
    if error_col:
        fields.append(T.StructField(error_col, T.StringType()))
    return T.StructType(fields)


class _BadSequence(ValueError):
    """A sequence that cannot be explained as it stands (its message names it)."""


def _read_sequence(events: Any, id_col: str, order_col: str, features: Sequence[str]) -> tuple[Any, np.ndarray]:
    """One sequence's id and its ``(events, features)`` float32 values, oldest first, or
    ``_BadSequence`` naming what is wrong, as the Java integration words it."""
    identifier = events[id_col].iloc[0]
    if events[id_col].isna().iloc[0]:
        raise _BadSequence(f"id column '{id_col}' is null in {len(events)} events")
    name = f"sequence with {id_col} = '{identifier}'"
    if len(events) < 2:
        raise _BadSequence(f"{name} has 1 event; TimeSHAP needs at least 2")
    # Nulls first, as Spark's ascending sort puts them for the Java integration.
    events = events.sort_values(order_col, kind="stable", na_position="first").reset_index(drop=True)
    for e in (int(e) for e in np.flatnonzero(events[order_col].isna().to_numpy())):
        raise _BadSequence(f"order column '{order_col}' is null in event {e} of {name}")
    order = events[order_col]
    for e in range(1, len(events)):
        if order.iloc[e] == order.iloc[e - 1]:
            raise _BadSequence(f"events {e - 1} and {e} of {name} share the order value {order.iloc[e]} in column "
                               f"'{order_col}', so their order is undefined")
    x = np.zeros((len(events), len(features)), dtype=np.float32)
    for j, column in enumerate(features):
        values = events[column]
        for e in (int(e) for e in np.flatnonzero(values.isna().to_numpy())):
            raise _BadSequence(f"feature column '{column}' is null in event {e} ({order_col} = {order.iloc[e]}) of {name}")
        x[:, j] = values.to_numpy(dtype=np.float32)
        for e in (int(e) for e in np.flatnonzero(~np.isfinite(x[:, j]))):
            raise _BadSequence(f"feature column '{column}' is {x[e, j]} in event {e} ({order_col} = {order.iloc[e]}) of "
                               f"{name}, expected a finite value")
    return identifier, x


def _check_sequences(df: Any, id_col: str, order_col: str, features: Sequence[str]) -> list[str]:
    """The feature columns, after checking the columns a sequence method reads."""
    features = list(features)
    if not features or len(set(features)) != len(features):
        raise ValueError(f"features: {features} is empty or repeats a column")
    _check_columns(df.schema, features, id_col)
    if order_col not in df.schema.names:
        raise ValueError(f"order column {order_col!r} is missing; the DataFrame has columns {df.schema.names}")
    return features


def explain_sequences(
    df: Any,
    id_col: str,
    order_col: str,
    features: Sequence[str],
    model_factory: Callable[[], Any],
    *,
    level: str = "event",
    seed: int = 0,
    error_col: str | None = None,
    engine_threads: int = 0,
    **settings: Any,
) -> Any:
    """TimeSHAP over sequences stored one event per row (lazy, like any transformation): the
    events of a sequence share ``id_col`` and are ordered by ``order_col``; ``features`` are
    one event's columns and ``model_factory()`` builds a ``lumen.SequenceModel`` in each
    Python worker. Returns one row per sequence (see :func:`sequence_schema`). ``level`` is
    ``"event"``, ``"feature"`` or ``"cell"``; ``settings`` are ``lumen.TimeShapOptions``'
    fields (``background`` event, ``tolerance``, ``budget``, ...), checked on the driver.

    A sequence's draws come from the seed and the key of its id (``id_key``), so the values
    do not depend on how the sequences are partitioned. A bad sequence (a null id, order or
    value, a non-finite value, two events with one order value, fewer than two events, a
    model failure) fails the job naming it, or, with ``error_col``, gets the message there."""
    from lumen import timeshap
    from pyspark import cloudpickle

    features = _check_sequences(df, id_col, order_col, features)
    options = timeshap.settings_of(None, dict(settings))
    if level not in timeshap.LEVELS:
        raise ValueError(f"level: is {level!r}, expected one of {sorted(timeshap.LEVELS)}")
    schema = sequence_schema(df.schema, id_col, error_col=error_col)
    explainer_id = hashlib.sha256(cloudpickle.dumps((model_factory, engine_threads))).hexdigest()

    def sequence(events: Any) -> Any:
        import pandas as pd

        engine, model = _resources(explainer_id, model_factory, engine_threads)
        identifier = events[id_col].iloc[0]
        row: dict[str, Any] = {id_col: identifier, "events": len(events)}
        try:
            identifier, x = _read_sequence(events, id_col, order_col, features)
            key = id_key(identifier)
            with engine.explain_timeshap(model, x, level, options=options, seed=seed, row_keys=[key]) as e:
                errors = e.standard_errors
                row.update({
                    KEY: _signed(key),
                    "pruned_length": e.pruned_len,
                    "exact": e.exact,
                    "prediction": e.prediction,
                    "base_value": e.base_value,
                    "players": [p.name for p in e.players],
                    "values": e.values.tolist(),
                    "standard_errors": None if errors is None else errors.tolist(),
                })
        except Exception as error:
            message = str(error) if isinstance(error, _BadSequence) else (
                f"explaining sequence with {id_col} = '{identifier}' with TimeSHAP failed: {error}")
            if error_col is None:
                raise ValueError(message + " (set error_col to record bad sequences and explain the others)") from error
            row[error_col] = message
        frame = pd.DataFrame([{name: row.get(name) for name in schema.names}])
        # Nullable 64-bit ints: a None key must not turn the column into float64.
        frame[KEY] = pd.array(frame[KEY], dtype="Int64")
        return frame

    return df.groupBy(id_col).applyInPandas(sequence, schema)


def pruning_table(
    df: Any,
    id_col: str,
    order_col: str,
    features: Sequence[str],
    model_factory: Callable[[], Any],
    tolerances: Sequence[float],
    *,
    engine_threads: int = 0,
    **settings: Any,
) -> Any:
    """TimeSHAP's pruning table over the sequences of ``df`` (events as in
    :func:`explain_sequences`), by a Spark aggregation as the Java ``pruningTable``: per
    tolerance η, the number of sequences, the mean, exact median and largest pruned length.
    ``settings`` are ``lumen.TimeShapOptions``' fields but ``tolerance`` (the table sets
    it) and ``pruning_index``; sequences that cannot be pruned (bad values, a model failure)
    are left out."""
    from lumen import timeshap
    from pyspark import cloudpickle
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    features = _check_sequences(df, id_col, order_col, features)
    etas = [float(t) for t in tolerances]
    if not etas:
        raise ValueError("tolerances: is empty, expected at least one η")
    if not all(np.isfinite(t) and t >= 0 for t in etas):
        raise ValueError(f"tolerances: holds {etas}, expected finite values >= 0")
    fixed = sorted({"tolerance", "pruning_index"} & set(settings))
    if fixed:
        raise ValueError(f"{', '.join(fixed)}: set by the pruning table, not a setting of it")
    options = timeshap.settings_of(None, dict(settings))
    schema = T.StructType([
        df.schema[id_col],
        T.StructField("tolerance", T.DoubleType()),
        T.StructField("pruned_length", T.IntegerType()),
        T.StructField("error", T.StringType()),
    ])
    explainer_id = hashlib.sha256(cloudpickle.dumps((model_factory, engine_threads))).hexdigest()

    def prune(events: Any) -> Any:
        import pandas as pd

        engine, model = _resources(explainer_id, model_factory, engine_threads)
        identifier = events[id_col].iloc[0]
        rows: list[tuple[Any, float, int | None, str | None]]
        try:
            identifier, x = _read_sequence(events, id_col, order_col, features)
            rows = [(identifier, eta, engine.timeshap_prune(model, x, options=options, tolerance=eta).pruned_len, None)
                    for eta in etas]
        except Exception as error:
            rows = [(identifier, eta, None, str(error)) for eta in etas]
        return pd.DataFrame(rows, columns=schema.names).astype({"pruned_length": "Int32"})

    per_sequence = df.groupBy(id_col).applyInPandas(prune, schema)
    return (
        per_sequence.filter(F.col("error").isNull())
        .groupBy("tolerance")
        .agg(
            F.count(F.lit(1)).alias("sequences"),
            F.avg("pruned_length").alias("mean_pruned_length"),
            F.percentile(F.col("pruned_length"), F.lit(0.5)).alias("median_pruned_length"),
            F.max("pruned_length").alias("max_pruned_length"),
        )
        .orderBy("tolerance")
    )
