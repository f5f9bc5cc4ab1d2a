"""TimeSHAP results (pruning, local explanations, the global report) and the options
shared by the TimeSHAP methods of :class:`lumen.Engine`.

Keywords left as ``None`` keep the library's defaults (``lumen_timeshap_options_default``):
``background`` (one event of ``features`` values, or a whole ``(seq_len, features)``
sequence) or ``training_events`` (``(n, features)``; their mean event) must be given;
``tolerance`` (η >= 0) turns temporal coalition pruning on; ``budget`` (coalitions, 0:
32000), ``error_batches``, ``target``, ``link`` (``"identity"``/``"logit"``),
``use_state`` (the model's state callables when it has them), and for cell level
``relevance`` (``"top_k"``/``"threshold"``), ``top_events``, ``top_features``,
``event_threshold``, ``feature_threshold``.
"""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from . import _arrays, _native
from .errors import InternalError, InvalidInputError, Status, check
from .explanation import Explanation, SamplingDiagnostics, _take_string

#: ``level`` values of :meth:`lumen.Engine.explain_timeshap`.
LEVELS = {"event": 0, "feature": 1, "cell": 2}
#: ``relevance`` values (cell level).
RELEVANCES = {"top_k": 0, "threshold": 1}
_LINKS = {"identity": 0, "logit": 1}


def _choice(table: dict[str, int], value: str, name: str) -> int:
    if value not in table:
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: is {value!r}, expected one of {sorted(table)}")
    return table[value]


def options(
    keep: _arrays.Keep,
    *,
    background: Any = None,
    training_events: Any = None,
    tolerance: float | None = None,
    budget: int | None = None,
    error_batches: int | None = None,
    target: int | None = None,
    link: str | None = None,
    use_state: bool | None = None,
    relevance: str | None = None,
    top_events: int | None = None,
    top_features: int | None = None,
    event_threshold: float | None = None,
    feature_threshold: float | None = None,
) -> _native.TimeShapOptions:
    """The C options of the keywords (arrays kept alive by ``keep``)."""
    o: _native.TimeShapOptions = _native.lib.lumen_timeshap_options_default()
    if background is not None:
        o.background, o.background_len = keep.floats(background, "background")
    if training_events is not None:
        o.training_events, o.training_events_len = keep.floats(training_events, "training_events")
    if tolerance is not None:
        o.prune = 1
        o.tolerance = float(tolerance)
    if link is not None:
        o.link = _choice(_LINKS, link, "link")
    if relevance is not None:
        o.relevance = _choice(RELEVANCES, relevance, "relevance")
    if use_state is not None:
        o.disable_state = 0 if use_state else 1
    for field, value in (
        ("budget", budget),
        ("error_batches", error_batches),
        ("target", target),
        ("top_events", top_events),
        ("top_features", top_features),
    ):
        if value is not None:
            if int(value) < 0:
                raise InvalidInputError(Status.INVALID_ARGUMENT, f"{field}: is {value}, expected >= 0")
            setattr(o, field, int(value))
    for field, threshold in (("event_threshold", event_threshold), ("feature_threshold", feature_threshold)):
        if threshold is not None:
            setattr(o, field, float(threshold))
    return o


def sequence_length(sequence: NDArray[Any], features: int) -> int:
    """Events in ``sequence``: its first dimension when 2-D, else its size over ``features``."""
    if sequence.ndim == 2:
        return int(sequence.shape[0])
    return sequence.size // features if features else 0


class PruningPoint(NamedTuple):
    """One point of the pruning curve: events ``[0, split)`` are the older part."""

    split: int
    newer_len: int
    older_value: float
    newer_value: float


@dataclass(frozen=True)
class Pruning:
    """Temporal coalition pruning of one sequence: the events kept and the curve from the
    most recent split back."""

    pruned_len: int
    curve: list[PruningPoint]


@dataclass(frozen=True)
class Player:
    """What one TimeSHAP value stands for. ``kind`` is ``"event"``, ``"feature"``,
    ``"cell"``, ``"other_features_of_event"``, ``"other_events_of_feature"``,
    ``"other_cells"`` or ``"pruned_events"``; ``event`` (0 = oldest) and ``feature`` are
    ``None`` where the kind has none. ``name`` is Lumen's ("Event -1" is the most recent)."""

    kind: str
    event: int | None
    feature: int | None
    name: str


class TimeShapExplanation:
    """A TimeSHAP explanation of one sequence: one value per player (summing to
    ``prediction - base_value``), the players, whether the values are exact, and the
    underlying :class:`lumen.Explanation` (standard errors, audit JSON with the pruning
    curve). Immutable; close it with :meth:`close` or a ``with`` block."""

    def __init__(self, explanation: Explanation, level: str) -> None:
        self.explanation = explanation
        self.level = level
        parameters = json.loads(explanation.to_json())["parameters"]
        names = explanation.feature_names
        if len(names) != len(parameters["players"]):
            raise InternalError(Status.INTERNAL, "explanation: its players and names differ in number")
        self.players = [
            Player(p["kind"], p.get("event"), p.get("feature"), name) for p, name in zip(parameters["players"], names)
        ]
        self.exact = bool(parameters["exact"])
        self.pruned_len = int(parameters["pruning"]["pruned_len"])

    @property
    def values(self) -> NDArray[np.float32]:
        """One value per player (float32)."""
        return self.explanation.attributions.reshape(-1)

    @property
    def base_value(self) -> float:
        """link(f(background sequence))."""
        return float(self.explanation.base_values.reshape(-1)[0])

    @property
    def prediction(self) -> float:
        """link(f(x))."""
        return float(self.explanation.predictions.reshape(-1)[0])

    @property
    def standard_errors(self) -> NDArray[np.float32] | None:
        """Standard errors of the values (0 when exact); None when the sample was too thin
        to estimate them (the values stand; see :attr:`sampling`)."""
        errors = self.explanation.standard_errors
        return None if errors is None else errors.reshape(-1)

    @property
    def sampling(self) -> SamplingDiagnostics | None:
        """How the values were reached (rounds, coalitions, standard errors available);
        None when the explanation does not record it."""
        rows = self.explanation.sampling
        return rows[0] if rows else None

    def to_json(self) -> str:
        """The audit record (parameters, players, pruning curve and length) as JSON text."""
        return self.explanation.to_json()

    def close(self) -> None:
        """Frees the explanation (idempotent)."""
        self.explanation.close()

    def __enter__(self) -> TimeShapExplanation:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<lumen.TimeShapExplanation {self.level} level, {len(self.players)} players>"


class Summary(NamedTuple):
    """Summary statistics of a set of values (all zero when it is empty)."""

    count: int  # type: ignore[assignment]  # the field shadows tuple.count, as it always has
    mean: float
    std: float
    median: float
    min: float
    max: float


class PruningRow(NamedTuple):
    """One row of the global pruning table."""

    tolerance: float
    mean_len: float
    median_len: float
    max_len: int
    exact_share: float
    relative_std: float


def _summary(raw: _native.Summary) -> Summary:
    return Summary(raw.count, raw.mean, raw.std, raw.median, raw.min, raw.max)


class TimeShapGlobal:
    """A global TimeSHAP report: event importance by distance from the most recent event,
    feature importance, the most recent event's share of ``f(x) - base`` and the pruning
    table. Immutable; close it with :meth:`close` or a ``with`` block."""

    def __init__(self, handle: ctypes.c_void_p) -> None:
        self._handle = handle

    def close(self) -> None:
        """Frees the report (idempotent)."""
        handle, self._handle = getattr(self, "_handle", None), ctypes.c_void_p()
        if handle:
            _native.lib.lumen_timeshap_global_free(handle)

    def __enter__(self) -> TimeShapGlobal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def _sizes(self) -> _native.TimeShapGlobalSizes:
        sizes = _native.TimeShapGlobalSizes()
        check(_native.lib.lumen_timeshap_global_shape(self._handle, ctypes.byref(sizes)))
        return sizes

    def _summaries(self, function: Any, count: int) -> list[Summary]:
        raw = (_native.Summary * max(count, 1))()
        check(function(self._handle, raw, count))
        return [_summary(raw[i]) for i in range(count)]

    @property
    def sequences(self) -> int:
        """Sequences explained."""
        return int(self._sizes().sequences)

    @property
    def event_importance(self) -> list[Summary]:
        """Entry d: the event-level values at distance d from the most recent event."""
        return self._summaries(_native.lib.lumen_timeshap_global_event_importance, self._sizes().distances)

    @property
    def feature_importance(self) -> list[Summary]:
        """One summary per feature of its feature-level values over the sequences."""
        return self._summaries(_native.lib.lumen_timeshap_global_feature_importance, self._sizes().features)

    @property
    def most_recent_share(self) -> Summary:
        """φ(most recent event) / (f(x) − base) over the sequences."""
        raw = _native.Summary()
        check(_native.lib.lumen_timeshap_global_most_recent_share(self._handle, ctypes.byref(raw)))
        return _summary(raw)

    @property
    def pruning_table(self) -> list[PruningRow]:
        """One row per η, in the order given."""
        count = self._sizes().tolerances
        raw = (_native.PruningRow * max(count, 1))()
        check(_native.lib.lumen_timeshap_global_pruning_table(self._handle, raw, count))
        return [
            PruningRow(r.tolerance, r.mean_len, r.median_len, r.max_len, r.exact_share, r.relative_std)
            for r in raw[:count]
        ]

    def to_json(self) -> str:
        """The report as JSON text."""
        out = ctypes.c_void_p()
        check(_native.lib.lumen_timeshap_global_to_json(self._handle, ctypes.byref(out)))
        return _take_string(out)
