"""TimeSHAP results (pruning, local explanations, the global report) and the options
shared by the TimeSHAP methods of :class:`lumen.Engine`.

The settings (:class:`TimeShapOptions`, or the same names as keywords of the engine
methods; ``None`` keeps the library's defaults, ``lumen_timeshap_options_default``):
``background`` (one event of ``features`` values, or a whole ``(seq_len, features)``
sequence) or ``training_events`` (``(n, features)``; their mean event) must be given;
``tolerance`` (η >= 0) turns temporal coalition pruning on; ``pruning_index`` (the
``timeshap`` package's ``pruning_idx``, negative) prunes at a fixed index instead;
``budget`` (coalitions, 0: 32000), ``error_batches``, ``target``, ``link``
(``"identity"``/``"logit"``), ``use_state`` (the model's state callables when it has
them), and for cell level ``relevance`` (``"top_k"``/``"threshold"``), ``top_events``,
``top_features``, ``event_threshold``, ``feature_threshold``. The package's names
``nsamples``, ``pruning_idx``, ``top_x_events``, ``top_x_feats`` and ``tol`` are accepted
as aliases; an unknown name raises :class:`lumen.InvalidInputError` listing the valid ones.
"""

from __future__ import annotations

import ctypes
import difflib
import json
from dataclasses import dataclass, fields
from typing import Any, NamedTuple, NoReturn

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


#: The ``timeshap`` package's names of settings and the Lumen settings they stand for.
ALIASES = {
    "nsamples": "budget",
    "pruning_idx": "pruning_index",
    "top_x_events": "top_events",
    "top_x_feats": "top_features",
    "tol": "tolerance",
}


@dataclass(frozen=True, init=False)
class TimeShapOptions:
    """The settings of the TimeSHAP methods of :class:`lumen.Engine`, typed. Every field
    left as ``None`` keeps the library's default. Build it from keywords, Lumen's names or
    the ``timeshap`` package's (``nsamples`` → ``budget``, ``pruning_idx`` →
    ``pruning_index``, ``top_x_events`` → ``top_events``, ``top_x_feats`` →
    ``top_features``, ``tol`` → ``tolerance``); an unknown name raises
    :class:`lumen.InvalidInputError` naming it and listing the valid ones.

    ``pruning_index`` is the package's ``pruning_idx``: a negative ``-k`` keeps the last
    ``k`` events as players and lumps the older ones into one (``-seq_len`` keeps every
    event), with no tolerance search; it cannot be combined with ``tolerance``.

    ``estimator`` (a name of :data:`lumen.ESTIMATORS`, since 0.3) is the KernelSHAP
    estimator of the levels whose coalitions are sampled: the library's default
    (``"leverage_top_triples"``) unless set; ``"leverage_stratified"`` gives Lumen 0.2's
    values."""

    background: Any = None
    training_events: Any = None
    tolerance: float | None = None
    pruning_index: int | None = None
    budget: int | None = None
    error_batches: int | None = None
    target: int | None = None
    link: str | None = None
    use_state: bool | None = None
    relevance: str | None = None
    top_events: int | None = None
    top_features: int | None = None
    event_threshold: float | None = None
    feature_threshold: float | None = None
    estimator: str | None = None

    def __init__(
        self,
        *,
        background: Any = None,
        training_events: Any = None,
        tolerance: float | None = None,
        pruning_index: int | None = None,
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
        estimator: str | None = None,
        nsamples: int | None = None,
        pruning_idx: int | None = None,
        top_x_events: int | None = None,
        top_x_feats: int | None = None,
        tol: float | None = None,
        **unknown: NoReturn,
    ) -> None:
        given: dict[str, Any] = {
            "background": background,
            "training_events": training_events,
            "tolerance": tolerance,
            "pruning_index": pruning_index,
            "budget": budget,
            "error_batches": error_batches,
            "target": target,
            "link": link,
            "use_state": use_state,
            "relevance": relevance,
            "top_events": top_events,
            "top_features": top_features,
            "event_threshold": event_threshold,
            "feature_threshold": feature_threshold,
            "estimator": estimator,
            "nsamples": nsamples,
            "pruning_idx": pruning_idx,
            "top_x_events": top_x_events,
            "top_x_feats": top_x_feats,
            "tol": tol,
        }
        resolved = _resolve({**{name: value for name, value in given.items() if value is not None}, **unknown})
        for f in fields(self):
            object.__setattr__(self, f.name, resolved.get(f.name))
        if self.estimator is not None:
            _arrays.choice(_native.ESTIMATORS, self.estimator, "estimator")
        if self.tolerance is not None and self.pruning_index is not None:
            raise InvalidInputError(
                Status.INVALID_ARGUMENT,
                f"TimeShapOptions: pruning_index ({self.pruning_index}) and tolerance ({self.tolerance}) are both "
                "set: set one of them (a fixed index replaces the tolerance search)",
            )

    def updated(self, **settings: Any) -> TimeShapOptions:
        """A copy with ``settings`` (same names and aliases as the constructor) replacing
        these fields."""
        merged = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        merged.update(_resolve(settings))
        return TimeShapOptions(**merged)


def _resolve(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` under Lumen's names; unknown names and a name given twice (directly
    and through its alias) raise :class:`InvalidInputError`."""
    valid = [f.name for f in fields(TimeShapOptions)]
    resolved: dict[str, Any] = {}
    for name, value in settings.items():
        field = ALIASES.get(name, name)
        if field not in valid:
            close = difflib.get_close_matches(name, valid + sorted(ALIASES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            aliases = ", ".join(f"{a} (= {f})" for a, f in sorted(ALIASES.items()))
            raise InvalidInputError(
                Status.INVALID_ARGUMENT,
                f"TimeShapOptions: unknown setting {name!r}{hint}; valid settings: {', '.join(valid)}; "
                f"timeshap's names: {aliases}",
            )
        if field in resolved:
            raise InvalidInputError(
                Status.INVALID_ARGUMENT,
                f"TimeShapOptions: {field!r} is given twice (as {name!r} and under another name)",
            )
        resolved[field] = value
    return resolved


def settings_of(options: TimeShapOptions | None, settings: dict[str, Any]) -> TimeShapOptions:
    """The options of an engine call: ``options`` (or the defaults) updated by the loose
    keyword ``settings``, checked like the constructor's."""
    if options is not None and not isinstance(options, TimeShapOptions):
        raise InvalidInputError(
            Status.INVALID_ARGUMENT, f"options: is {type(options).__name__}, expected a lumen.TimeShapOptions"
        )
    base = options if options is not None else TimeShapOptions()
    return base.updated(**settings) if settings else base


def options(keep: _arrays.Keep, settings: TimeShapOptions) -> _native.TimeShapOptions:
    """The C options of ``settings`` (arrays kept alive by ``keep``, in its model's element
    type: ``background_f64`` and ``training_events_f64`` for a float64 model)."""
    o: _native.TimeShapOptions = _native.lib.lumen_timeshap_options_default()
    for field in ("background", "training_events"):
        if getattr(settings, field) is not None:
            keep.into(o, field, getattr(settings, field))
    if settings.tolerance is not None:
        o.prune = 1
        o.tolerance = float(settings.tolerance)
    if settings.pruning_index is not None:
        index = int(settings.pruning_index)
        if index >= 0:
            raise InvalidInputError(
                Status.INVALID_ARGUMENT,
                f"pruning_index: is {index}, expected a negative index "
                "(timeshap's pruning_idx: -k keeps the last k events)",
            )
        o.pruning_index = index
    if settings.link is not None:
        o.link = _arrays.choice(_LINKS, settings.link, "link")
    if settings.relevance is not None:
        o.relevance = _arrays.choice(RELEVANCES, settings.relevance, "relevance")
    if settings.use_state is not None:
        o.disable_state = 0 if settings.use_state else 1
    if settings.estimator is not None:
        o.estimator = _arrays.choice(_native.ESTIMATORS, settings.estimator, "estimator")
    for field in ("budget", "error_batches", "target", "top_events", "top_features"):
        value = getattr(settings, field)
        if value is not None:
            if int(value) < 0:
                raise InvalidInputError(Status.INVALID_ARGUMENT, f"{field}: is {value}, expected >= 0")
            setattr(o, field, int(value))
    for field in ("event_threshold", "feature_threshold"):
        threshold = getattr(settings, field)
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
    most recent split back (Lumen's form; for the ``timeshap`` package's, end points
    included, see :meth:`lumen.Engine.timeshap_pruning_curve`)."""

    pruned_len: int
    curve: list[PruningPoint]

    @property
    def pruning_index(self) -> int:
        """The ``timeshap`` package's ``pruning_idx`` of this pruning: ``-pruned_len``
        (``-seq_len`` when nothing was pruned)."""
        return -self.pruned_len


class TimeShapCurvePoint(NamedTuple):
    """One t of the pruning curve in the ``timeshap`` package's form: ``t = split -
    seq_len`` (its "t (event index)", 0 down to ``-seq_len``), the older events' value
    (its row "Sum of contribution of events ≤ t") and the newer events' (the row
    "Sum of contribution of events > t"; the last ``-t`` events)."""

    t: int
    older_value: float
    newer_value: float


#: The columns of the package's pruning DataFrame, in order.
CURVE_COLUMNS = ("Coalition", "t (event index)", "Shapley Value")
_NEWER = "Sum of contribution of events \u003e t"
_OLDER = "Sum of contribution of events \u2264 t"


@dataclass(frozen=True)
class TimeShapPruningCurve:
    """The whole pruning curve in the ``timeshap`` package's form, as its
    ``temp_coalition_pruning(..., ret_plot_data=True)`` returns it: ``pruning_index`` (its
    ``pruning_idx``, ``-pruned_len``) and one point per t = 0, -1, ..., -seq_len, both end
    points included (t = 0: every event older; t = -seq_len: none)."""

    pruning_index: int
    points: list[TimeShapCurvePoint]

    def rows(self) -> list[tuple[str, int, float]]:
        """The package's DataFrame rows (columns :data:`CURVE_COLUMNS`), two per t in its
        order: the newer events' row, then the older events'. ``pandas.DataFrame(curve.rows(),
        columns=lumen.timeshap.CURVE_COLUMNS)`` rebuilds its table."""
        out: list[tuple[str, int, float]] = []
        for p in self.points:
            out.append((_NEWER, p.t, p.newer_value))
            out.append((_OLDER, p.t, p.older_value))
        return out


class TimeShapPlayer(NamedTuple):
    """A player as the ``timeshap`` package names it: ``name`` ("Event -1", "Feature 0" or
    the feature's name, "(Event -1, amount)", "(Other Events, Other Features)", "Pruned
    Events", ...), ``event`` counted from the newest (-1 is the most recent event; ``None``
    where the player has no single event) and ``feature`` (``None`` where it has none)."""

    name: str
    event: int | None
    feature: int | None


@dataclass(frozen=True)
class Player:
    """What one TimeSHAP value stands for. ``kind`` is ``"event"``, ``"feature"``,
    ``"cell"``, ``"other_features_of_event"``, ``"other_events_of_feature"``,
    ``"other_cells"`` or ``"pruned_events"``; ``event`` (0 = oldest) and ``feature`` are
    ``None`` where the kind has none. ``name`` is Lumen's ("Event -1" is the most recent);
    :attr:`TimeShapExplanation.timeshap_players` gives the ``timeshap`` package's view."""

    kind: str
    event: int | None
    feature: int | None
    name: str


class TimeShapExplanation:
    """A TimeSHAP explanation of one sequence: one value per player (summing to
    ``prediction - base_value``), the players (Lumen's :attr:`players`, events counted
    from the oldest, and the package's :attr:`timeshap_players`, events counted from the
    newest), whether the values are exact, and the
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
        self.sequence_len = int(parameters["pruning"]["sequence_len"])
        self.timeshap_players = [self._timeshap_player(i, p) for i, p in enumerate(self.players)]

    def _timeshap_player(self, index: int, player: Player) -> TimeShapPlayer:
        name = ctypes.c_char_p()
        check(_native.lib.lumen_explanation_timeshap_player_name(self.explanation._handle, index, ctypes.byref(name)))
        text = (name.value or b"").decode("utf-8")
        single_event = player.kind in ("event", "cell", "other_features_of_event")
        event = player.event - self.sequence_len if single_event and player.event is not None else None
        return TimeShapPlayer(text, event, player.feature)

    @property
    def pruning_index(self) -> int:
        """The ``timeshap`` package's ``pruning_idx`` the values were computed at:
        ``-pruned_len`` (``-sequence_len`` when nothing was pruned)."""
        return -self.pruned_len

    @property
    def values(self) -> NDArray[np.floating[Any]]:
        """One value per player (of the sequence model's dtype)."""
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
    def standard_errors(self) -> NDArray[np.floating[Any]] | None:
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
