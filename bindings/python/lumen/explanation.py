"""Results: :class:`Explanation` (attributions and their audit record),
:class:`Counterfactuals` and the scorecard conversion."""

from __future__ import annotations

import ctypes
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from . import _arrays, _native
from .errors import InternalError, NotAvailableError, Status, check

#: ``direction`` values of :meth:`Explanation.reason_codes`.
DIRECTIONS = {"lowered": 0, "raised": 1}


def _row_keys(audit: dict[str, Any]) -> list[int] | None:
    """The row keys an audit record lists (hex strings in ``audit["audit"]["row_keys"]``)."""
    keys = audit.get("audit", {}).get("row_keys")
    return None if keys is None else [int(k, 16) for k in keys["keys"]]


def _take_string(pointer: ctypes.c_void_p) -> str:
    try:
        if not pointer.value:
            raise InternalError(Status.INTERNAL, "liblumen returned OK and a NULL string")
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        _native.lib.lumen_string_free(pointer)


class ReasonCode(NamedTuple):
    """A feature that moved the output, and by how much."""

    feature: int
    name: str
    contribution: float


@dataclass(frozen=True)
class SamplingDiagnostics:
    """How one row's sampled Shapley values were reached (KernelSHAP, TimeSHAP, Shapley
    Value Sampling): the sampling ``rounds`` (1 unless ``target_standard_error`` asked for
    more), the ``coalitions`` evaluated (each over every background row, the empty and full
    ones aside), whether they were ``exact`` (every coalition enumerated), whether the
    standard errors could be estimated (``standard_errors_available``; when not, the values
    stand and :attr:`Explanation.standard_errors` is None), the ``largest_standard_error``
    of the row's values (None when unavailable), and with an accuracy-driven budget the
    ``target_standard_error`` and whether it was ``target_met`` (both None without)."""

    rounds: int
    coalitions: int
    exact: bool
    standard_errors_available: bool
    largest_standard_error: float | None
    target_standard_error: float | None
    target_met: bool | None


def _sampling(parameters: dict[str, Any]) -> list[SamplingDiagnostics] | None:
    rows = parameters.get("sampling")
    if rows is None:
        return None
    try:
        return [
            SamplingDiagnostics(
                rounds=int(row["rounds"]),
                coalitions=int(row["coalitions"]),
                exact=bool(row["exact"]),
                standard_errors_available=bool(row["standard_errors_available"]),
                largest_standard_error=_optional_float(row.get("largest_standard_error")),
                target_standard_error=_optional_float(row.get("target_standard_error")),
                target_met=None if row.get("target_met") is None else bool(row["target_met"]),
            )
            for row in rows
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise InternalError(Status.INTERNAL, f"explanation: unreadable parameters.sampling ({error!r})") from error


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


class Explanation:
    """Attributions of ``rows × outputs × features`` (numpy), predictions f(x), base
    values, diagnostics and the audit record. Attributions, predictions, base values and
    standard errors have the explained model's :attr:`dtype` (float32, or float64 for a
    model declared float64). Immutable; safe to read from several threads. Close it with
    :meth:`close` or a ``with`` block (garbage collection closes it too)."""

    def __init__(self, handle: ctypes.c_void_p, inputs: NDArray[Any] | None = None) -> None:
        self._handle = handle
        # The explained rows as the caller passed them, for :meth:`to_shap`'s ``data``.
        self._inputs = inputs

    def close(self) -> None:
        """Frees the explanation (idempotent)."""
        handle, self._handle = getattr(self, "_handle", None), ctypes.c_void_p()
        if handle:
            _native.lib.lumen_explanation_free(handle)

    def __enter__(self) -> Explanation:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        rows, outputs, features = self.shape
        return f"<lumen.Explanation {rows} rows × {outputs} outputs × {features} features>"

    def _floats(self, function: Any, count: int, dtype: Any = np.float32) -> NDArray[Any]:
        out = np.empty(count, dtype=dtype)
        ctype = ctypes.c_double if dtype == np.float64 else ctypes.c_float
        check(function(self._handle, _arrays.pointer(out, ctype), count))
        return out

    @property
    def dtype(self) -> np.dtype[Any]:
        """The element type of the explained model, which the results have:
        ``numpy.float32`` or ``numpy.float64``."""
        return np.dtype(self._element().numpy)

    def _element(self) -> _arrays.Element:
        code = ctypes.c_uint32()
        check(_native.lib.lumen_explanation_element_type(self._handle, ctypes.byref(code)))
        return _arrays.F64 if code.value == _native.ELEMENT_F64 else _arrays.F32

    def _values(self, name: str, count: int) -> NDArray[np.floating[Any]]:
        """``lumen_explanation_{name}`` in the model's element type (its ``_f64`` twin for
        a float64 model)."""
        element = self._element()
        function = getattr(_native.lib, f"lumen_explanation_{name}{element.suffix}")
        return self._floats(function, count, element.numpy)

    def _raw_shape(self) -> _native.AttributionShape:
        shape = _native.AttributionShape()
        check(_native.lib.lumen_explanation_shape(self._handle, ctypes.byref(shape)))
        return shape

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(rows, outputs, features)``."""
        s = self._raw_shape()
        return (s.rows, s.outputs, s.features)

    @property
    def feature_axis(self) -> str:
        """``"elements"`` (one value per input element) or ``"groups"``."""
        return "groups" if self._raw_shape().feature_axis == 1 else "elements"

    @property
    def feature_shape(self) -> tuple[int, ...]:
        """The feature axis's own shape (its product is ``features``): the model's
        ``input_shape`` for per-element methods, a Grad-CAM map's ``(H, W)``,
        ``(features,)`` for groups and TimeSHAP players."""
        rank = ctypes.c_size_t()
        check(_native.lib.lumen_explanation_feature_rank(self._handle, ctypes.byref(rank)))
        dims = np.zeros(rank.value, dtype=np.uintp)
        check(
            _native.lib.lumen_explanation_feature_shape(
                self._handle, _arrays.pointer(dims, ctypes.c_size_t), rank.value
            )
        )
        return tuple(int(d) for d in dims)

    @property
    def attributions(self) -> NDArray[np.floating[Any]]:
        """Array ``(rows, outputs, features)`` of the model's :attr:`dtype`."""
        shape = self.shape
        return self._values("attributions", int(np.prod(shape))).reshape(shape)

    def attributions_for(self, output: int = 0) -> NDArray[np.floating[Any]]:
        """The attributions of explained output ``output`` (an index into :attr:`outputs`)
        in the shape Captum returns them: ``(rows, *feature_shape)``, so a model declared
        with ``input_shape=(1, 8, 8)`` gives ``(rows, 1, 8, 8)``."""
        rows, outputs, _ = self.shape
        if not 0 <= output < outputs:
            raise ValueError(f"output: is {output}, expected an index into the {outputs} explained outputs")
        return self.attributions[:, output].reshape((rows, *self.feature_shape))

    def to_shap(self, output: int | None = None) -> Any:
        """A ``shap.Explanation`` of these values, so shap's plots draw them: ``values``
        ``(rows, features)`` for one output (``output``, an index into :attr:`outputs`, or
        the only one explained) or ``(rows, features, outputs)`` for all of them, as
        shap's explainers return; ``base_values``, ``data`` (the explained rows, when the
        feature axis is the input's elements) and ``feature_names``. Needs the ``shap``
        package (``pip install shap``)."""
        try:
            import shap  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError as error:
            raise ImportError("Explanation.to_shap needs the shap package: pip install shap") from error
        rows, outputs, features = self.shape
        values, base_values = self.attributions, self.base_values
        if output is None and outputs == 1:
            output = 0
        if output is not None:
            if not 0 <= output < outputs:
                raise ValueError(f"output: is {output}, expected an index into the {outputs} explained outputs")
            shap_values, shap_base = values[:, output, :], base_values[:, output]
        else:
            shap_values, shap_base = np.transpose(values, (0, 2, 1)), base_values
        data = None
        if self._inputs is not None and self.feature_axis == "elements" and self._inputs.size == rows * features:
            data = np.asarray(self._inputs, dtype=np.float64).reshape(rows, features)
        return shap.Explanation(
            values=shap_values.astype(np.float64),
            base_values=shap_base.astype(np.float64),
            data=data,
            feature_names=self.feature_names,
        )

    @property
    def predictions(self) -> NDArray[np.floating[Any]]:
        """f(x): array ``(rows, outputs)`` of the model's :attr:`dtype`."""
        rows, outputs, _ = self.shape
        return self._values("predictions", rows * outputs).reshape(rows, outputs)

    @property
    def base_values(self) -> NDArray[np.floating[Any]]:
        """f(baseline) (the Shapley methods: link of the background's mean): ``(rows,
        outputs)`` of the model's :attr:`dtype`."""
        rows, outputs, _ = self.shape
        return self._values("base_values", rows * outputs).reshape(rows, outputs)

    @property
    def outputs(self) -> NDArray[np.uint32]:
        """The model output indices explained for every row (uint32); with per-row targets
        (``row_targets=``) each row explains its own: see :attr:`row_targets` (this then
        raises :class:`lumen.NotAvailableError`)."""
        count = self.shape[1]
        out = np.empty(count, dtype=np.uint32)
        check(_native.lib.lumen_explanation_outputs(self._handle, _arrays.pointer(out, ctypes.c_uint32), count))
        return out

    @property
    def row_targets(self) -> NDArray[np.uint32] | None:
        """Each row's explained output when the call gave per-row targets (``row_targets=``,
        Captum's per-row ``target``): attributions are then ``(rows, 1, features)``. None
        when every row explains :attr:`outputs`."""
        rows = self.shape[0]
        out = np.empty(rows, dtype=np.uint32)
        status = _native.lib.lumen_explanation_row_targets(self._handle, _arrays.pointer(out, ctypes.c_uint32), rows)
        if status == Status.NOT_AVAILABLE:
            return None
        check(status)
        return out

    @property
    def completeness_gaps(self) -> NDArray[np.float64] | None:
        """Σ attributions − (f(x) − base value), float64 ``(rows, outputs)``; None when the
        method does not define it."""
        rows, outputs, _ = self.shape
        try:
            gaps = self._floats(_native.lib.lumen_explanation_completeness_gaps, rows * outputs, np.float64)
        except NotAvailableError:
            return None
        return gaps.reshape(rows, outputs)

    @property
    def standard_errors(self) -> NDArray[np.floating[Any]] | None:
        """Standard errors of sampled values ``(rows, outputs, features)`` (0 where exact;
        the model's :attr:`dtype`); None for methods that do not sample."""
        shape = self.shape
        try:
            values = self._values("standard_errors", int(np.prod(shape)))
        except NotAvailableError:
            return None
        return values.reshape(shape)

    @property
    def sampling(self) -> list[SamplingDiagnostics] | None:
        """Per row, how sampled Shapley values were reached (rounds, coalitions, the
        standard error reached and the target's): the audit record's
        ``parameters.sampling``. None for methods that do not record it."""
        return _sampling(self.audit.get("parameters") or {})

    @property
    def diagnostics(self) -> list[dict[str, Any]]:
        """Per row: ``model_rows_evaluated`` and ``has_completeness_gap``."""
        out = []
        for row in range(self.shape[0]):
            d = _native.RowDiagnostics()
            check(_native.lib.lumen_explanation_row_diagnostics(self._handle, row, ctypes.byref(d)))
            out.append(
                {"model_rows_evaluated": d.model_rows_evaluated, "has_completeness_gap": bool(d.has_completeness_gap)}
            )
        return out

    @property
    def model_rows_evaluated(self) -> int:
        """Model rows evaluated for the whole explanation."""
        n = ctypes.c_uint64()
        check(_native.lib.lumen_explanation_model_rows_evaluated(self._handle, ctypes.byref(n)))
        return n.value

    def feature_name(self, feature: int) -> str:
        """The name of feature ``feature`` along the feature axis."""
        name = ctypes.c_char_p()
        check(_native.lib.lumen_explanation_feature_name(self._handle, feature, ctypes.byref(name)))
        if name.value is None:
            raise InternalError(Status.INTERNAL, f"liblumen returned OK and no name for feature {feature}")
        return name.value.decode("utf-8")

    @property
    def feature_names(self) -> list[str]:
        """The names along the feature axis."""
        return [self.feature_name(f) for f in range(self.shape[2])]

    def reason_codes(self, row: int = 0, output: int = 0, k: int = 4, direction: str = "lowered") -> list[ReasonCode]:
        """Up to ``k`` features that moved output ``output`` (an index into ``outputs``) of
        row ``row`` in ``direction`` (``"lowered"`` or ``"raised"``), strongest first; each
        contribution is the attribution's exact value (a double explanation's double)."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction: is {direction!r}, expected 'lowered' or 'raised'")
        codes = (_native.ReasonCodeF64 * max(k, 1))()
        written = ctypes.c_size_t()
        check(
            _native.lib.lumen_explanation_reason_codes_f64(
                self._handle, row, output, k, DIRECTIONS[direction], codes, k, ctypes.byref(written)
            )
        )
        return [
            ReasonCode(codes[i].feature, self.feature_name(codes[i].feature), codes[i].contribution)
            for i in range(written.value)
        ]

    def to_json(self) -> str:
        """The audit record as JSON text (deterministic)."""
        text = ctypes.c_void_p()
        check(_native.lib.lumen_explanation_to_json(self._handle, ctypes.byref(text)))
        return _take_string(text)

    @property
    def audit(self) -> dict[str, Any]:
        """The audit record as a dict: method, parameters, seed, version, backend, values."""
        record: dict[str, Any] = json.loads(self.to_json())
        return record

    @property
    def row_keys(self) -> list[int] | None:
        """The key of each explained row, for a method that draws at random (None for the
        deterministic ones): with the call's seed (``audit["audit"]["seed"]``) it fixes
        every draw of that row, whatever else was in the call."""
        return _row_keys(self.audit)

    def sum_groups(self, groups: Sequence[int], names: Sequence[str] | None = None) -> Explanation:
        """A new explanation whose features are the sums over ``groups`` (``groups[f]`` the
        group of feature f, ids ``0..G`` all used), with optional group names."""
        keep = _arrays.Keep()
        groups_p, groups_len = keep.uint32s(groups, "groups")
        names_p, names_len = keep.strings(names, "names")
        out = ctypes.c_void_p()
        check(
            _native.lib.lumen_explanation_sum_groups(
                self._handle, groups_p, groups_len, names_p, names_len, ctypes.byref(out)
            )
        )
        return Explanation(out)


@dataclass(frozen=True)
class InstanceOutcome:
    """The outcome of one instance's counterfactual search."""

    original_class: int
    target_class: int
    original_probability: float
    already_at_target: bool
    count: int
    model_rows_evaluated: int


@dataclass(frozen=True)
class Counterfactual:
    """One counterfactual: its model input row (of the model's dtype) and the logical
    features it changes; ``target_probability`` and ``distance`` at the model's precision."""

    success: bool
    predicted_class: int
    target_probability: float
    distance: float
    row: NDArray[np.floating[Any]]
    changed: list[int]


class Counterfactuals:
    """The result of a PermuteAttack search. ``len()`` is the number of instances;
    ``result[i]`` lists instance i's counterfactuals, best first. Immutable."""

    def __init__(self, handle: ctypes.c_void_p, input_len: int, element: _arrays.Element = _arrays.F32) -> None:
        self._handle = handle
        self._input_len = input_len
        self._element = element

    def close(self) -> None:
        """Frees the result (idempotent)."""
        handle, self._handle = getattr(self, "_handle", None), ctypes.c_void_p()
        if handle:
            _native.lib.lumen_counterfactuals_free(handle)

    def __enter__(self) -> Counterfactuals:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __len__(self) -> int:
        n = ctypes.c_size_t()
        check(_native.lib.lumen_counterfactuals_count(self._handle, ctypes.byref(n)))
        return n.value

    def instance(self, instance: int) -> InstanceOutcome:
        """The outcome of instance ``instance``."""
        raw = _native.InstanceCounterfactuals()
        check(_native.lib.lumen_counterfactuals_instance(self._handle, instance, ctypes.byref(raw)))
        return InstanceOutcome(
            raw.original_class,
            raw.target_class,
            raw.original_probability,
            bool(raw.already_at_target),
            raw.count,
            raw.model_rows_evaluated,
        )

    def get(self, instance: int, index: int) -> Counterfactual:
        """Counterfactual ``index`` of instance ``instance``."""
        raw = _native.Counterfactual()
        check(_native.lib.lumen_counterfactuals_get(self._handle, instance, index, ctypes.byref(raw)))
        element = self._element
        row = np.empty(self._input_len, dtype=element.numpy)
        row_of = getattr(_native.lib, f"lumen_counterfactuals_row{element.suffix}")
        check(row_of(self._handle, instance, index, _arrays.pointer(row, element.ctype), row.size))
        # The probabilities and distance as doubles: a float64 model's to their last bit.
        original, target, distance = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        check(
            _native.lib.lumen_counterfactuals_probabilities_f64(
                self._handle, instance, index, ctypes.byref(original), ctypes.byref(target), ctypes.byref(distance)
            )
        )
        changed = np.empty(raw.changed_len, dtype=np.uint32)
        check(
            _native.lib.lumen_counterfactuals_changed(
                self._handle, instance, index, _arrays.pointer(changed, ctypes.c_uint32), changed.size
            )
        )
        return Counterfactual(
            bool(raw.success), raw.predicted_class, target.value, distance.value, row, changed.tolist()
        )

    def __getitem__(self, instance: int) -> list[Counterfactual]:
        return [self.get(instance, i) for i in range(self.instance(instance).count)]

    def to_json(self) -> str:
        """The audit record as JSON text."""
        text = ctypes.c_void_p()
        check(_native.lib.lumen_counterfactuals_to_json(self._handle, ctypes.byref(text)))
        return _take_string(text)

    @property
    def audit(self) -> dict[str, Any]:
        """The audit record as a dict."""
        record: dict[str, Any] = json.loads(self.to_json())
        return record

    @property
    def row_keys(self) -> list[int]:
        """The key of each instance: with the call's seed (``audit["audit"]["seed"]``) it
        fixes every draw of that instance's search, whatever else was in the call."""
        return _row_keys(self.audit) or []


def scorecard_score(
    p_good: float, base_score: float = 600.0, base_odds: float = 20.0, points_to_double_odds: float = 15.0
) -> float:
    """Credit-scorecard points of a probability of good in (0, 1):
    ``base_score + points_to_double_odds / ln 2 · ln(odds / base_odds)``."""
    out = ctypes.c_double()
    check(
        _native.lib.lumen_scorecard_score(
            float(p_good), float(base_score), float(base_odds), float(points_to_double_odds), ctypes.byref(out)
        )
    )
    return out.value
