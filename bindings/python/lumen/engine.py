"""The engine: every explanation method of Lumen's C ABI.

Every keyword left as ``None`` keeps the library's default (read from its
``lumen_*_options_default()``), so the defaults are the C ABI's. ``inputs`` is one row
(1-D, ``input_len`` values) or a batch ``(rows, *input_shape)``; inputs, baselines,
backgrounds, training rows and sequences are converted to C-contiguous arrays of the
model's ``dtype`` (float32, or float64 for a model declared so: then the ``_f64`` exports
carry them bit for bit and results come back float64; a float32 model rounds float64 data
with one :class:`lumen.PrecisionWarning`). The engine releases the GIL while it works; a
Python model takes it back for each call (see :mod:`lumen.model`).

Every explaining method also takes the keyword-only ``timeout`` (seconds), ``progress``
(``progress(fraction) -> bool | None``), ``cancel`` (a :class:`lumen.CancelToken`) and
``max_model_threads``, and a Ctrl-C during a call from the main thread cancels it and
raises ``KeyboardInterrupt`` once it has returned: see :mod:`lumen.cancel`. They take
``seed`` (this call's seed instead of the engine's) and ``row_keys`` (one key per row, or
per sequence for TimeSHAP: ints, or ids as str/bytes hashed by :func:`lumen.row_key`):
a row's random draws depend only on the seed and its key (by default a hash of the
row's values), so a row explained alone reproduces its values from any batch. The
gradient and perturbation methods take ``row_targets`` (one output index per row, as
Captum's per-row ``target``; not with ``targets``): each row then explains its own
output, attributions ``(rows, 1, features)``, :attr:`Explanation.row_targets` the
outputs.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _arrays, _native, groups, timeshap
from .cancel import Call, CancelToken, ProgressFn, RowKeys, invoke
from .errors import InvalidInputError, Status, check
from .explanation import Counterfactuals, Explanation
from .model import Model, _ModelHandle
from .sequence_model import SequenceModel

BACKENDS = {"auto": 0, "cpu": 1, "cuda": 2}
LINKS = {"identity": 0, "logit": 1}
IG_METHODS = {
    "riemann_left": 0,
    "riemann_right": 1,
    "riemann_middle": 2,
    "riemann_trapezoid": 3,
    "gausslegendre": 4,
    "riemann_trapezoid_captum": 5,
    "gausslegendre_captum": 6,
}
NOISE_TYPES = {"smoothgrad": 0, "smoothgrad_sq": 1, "vargrad": 2}
NOISE_BASES = {"saliency": 0, "integrated_gradients": 1, "gradient_shap": 2}
SAMPLINGS = {"column": 0, "gibbs": 1}
#: ``estimator`` values of :meth:`Engine.kernel_shap` (``LUMEN_ESTIMATOR_*``).
ESTIMATORS = _native.ESTIMATORS


def _set(options: Any, **values: Any) -> None:
    """Sets the fields whose value is not None."""
    for field, value in values.items():
        if value is not None:
            setattr(options, field, value)


def _positive(value: Any, name: str) -> float:
    """A finite float > 0, or InvalidInputError naming ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: is {value!r}, expected a number > 0") from error
    if not math.isfinite(number) or number <= 0:
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: is {value!r}, expected a finite number > 0")
    return number


def _count(value: Any, name: str) -> int:
    """An int >= 1 that fits a size_t, or InvalidInputError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= int(value) < 2**64:
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: is {value!r}, expected an int >= 1")
    return int(value)


def check_kernel_shap_sampling(
    estimator: str | None = None, target_standard_error: float | None = None, max_budget: int | None = None
) -> None:
    """Checks KernelSHAP's sampling options as :meth:`Engine.kernel_shap` does, without a
    model or an engine (a Spark driver checks them before any task runs): ``estimator`` a
    name of :data:`ESTIMATORS`, ``target_standard_error`` a finite number > 0,
    ``max_budget`` an int >= 1 and only with a target. Raises :class:`InvalidInputError`
    with the message :meth:`Engine.kernel_shap` gives; ``None`` leaves an option unset."""
    _sampling_fields(estimator, target_standard_error, max_budget)


def _sampling_fields(estimator: Any, target_standard_error: Any, max_budget: Any) -> dict[str, Any]:
    """The options-struct fields of KernelSHAP's sampling options that are set, checked."""
    fields: dict[str, Any] = {}
    if estimator is not None:
        fields["estimator"] = _arrays.choice(ESTIMATORS, estimator, "estimator")
    if target_standard_error is not None:
        fields["target_standard_error"] = _positive(target_standard_error, "target_standard_error")
    if max_budget is not None:
        fields["max_budget"] = _count(max_budget, "max_budget")
        if target_standard_error is None:
            raise InvalidInputError(
                Status.INVALID_ARGUMENT,
                f"max_budget: is {max_budget}, but caps only rounds driven by target_standard_error, which is not set",
            )
    return fields


def _real(options: Any, keep: _arrays.Keep, field: str, value: Any) -> None:
    """Sets the number ``field`` and, for a float64 model, its ``_f64`` twin (Lumen reads
    the twin when it is non-zero, the float widened otherwise)."""
    if value is not None:
        for name in {field, keep.element.field(field)}:
            setattr(options, name, float(value))


def _baseline(options: Any, keep: _arrays.Keep, baseline: Any, name: str = "baseline") -> None:
    """A scalar baseline goes to ``baseline_scalar``, an array to ``baseline`` (their
    ``_f64`` twins for a float64 model)."""
    if baseline is None:
        return
    if np.isscalar(baseline):
        _real(options, keep, "baseline_scalar", keep.scalar(baseline, name))
    else:
        keep.into(options, "baseline", baseline, name)


def _keep(model: Any, kind: type[_ModelHandle] = Model) -> _arrays.Keep:
    """The buffers of one call explaining ``model`` (InvalidInputError unless it is a
    ``kind``), converted to its dtype."""
    if not isinstance(model, kind):
        raise InvalidInputError(Status.NULL_POINTER, f"model: is {model!r}, expected a lumen.{kind.__name__}")
    return model._keep()


def _one_sequence(
    model: SequenceModel, sequence: Any, chosen: timeshap.TimeShapOptions, call: Call
) -> tuple[_arrays.Keep, Any, int, Any, int]:
    """What a one-sequence TimeSHAP call passes: the kept buffers, the options struct
    (pointing at ``call``'s control), ``seq_len`` and the sequence's pointer and length."""
    keep = _keep(model, SequenceModel)
    c_options = timeshap.options(keep, chosen)
    array = np.asarray(_arrays.required(sequence, "sequence"))
    seq_len = timeshap.sequence_length(array, model.features)
    pointer, length = keep.values(array, "sequence")
    call.attach(c_options)
    return keep, c_options, seq_len, pointer, length


def _groups(model: Any, given: Any, names: Any, argument: str, names_argument: str) -> tuple[Any, Any]:
    """``given`` groups as one id per element (lists of indices or names, or a dict from
    name to members, as :mod:`lumen.groups` reads them), with their names."""
    if not isinstance(model, Model):
        return given, names
    return groups.element_ids(given, names, model.input_len, model.feature_names, argument, names_argument)


def _targets(options: Any, keep: _arrays.Keep, targets: Any) -> None:
    if targets is not None:
        options.targets, options.targets_len = keep.uint32s(np.atleast_1d(targets), "targets")


class Engine:
    """A Lumen engine: backend (``"auto"``, ``"cpu"``, ``"cuda"``), worker ``threads``
    (0: one per core; results never depend on it), ``seed`` of every random choice, and
    the memory budget. Thread-safe: several Python threads may explain with one engine at
    once; a stopped call (timeout, progress, cancel token, Ctrl-C) leaves it usable. A
    model callback must not call back into an engine (:class:`lumen.InvalidStateError`).
    Close it with :meth:`close` or a ``with`` block."""

    def __init__(
        self, backend: str = "auto", threads: int = 0, seed: int = 0, memory_budget_bytes: int | None = None
    ) -> None:
        self._handle = ctypes.c_void_p()
        options = _native.lib.lumen_engine_options_default()
        options.backend = _arrays.choice(BACKENDS, backend, "backend")
        options.threads = int(threads)
        options.seed = int(seed)
        _set(options, memory_budget_bytes=memory_budget_bytes)
        check(_native.lib.lumen_engine_new(ctypes.byref(options), ctypes.byref(self._handle)))
        self.seed = int(seed)

    def close(self) -> None:
        """Frees the engine (idempotent). No explanation may be running on it."""
        handle, self._handle = getattr(self, "_handle", None), ctypes.c_void_p()
        if handle:
            _native.lib.lumen_engine_free(handle)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    @property
    def backend(self) -> str:
        """The backend the engine runs (``"cpu"`` or ``"cuda"``)."""
        out = ctypes.c_uint32()
        check(_native.lib.lumen_engine_backend(self._handle, ctypes.byref(out)))
        return {v: k for k, v in BACKENDS.items()}[out.value]

    # -- plumbing -------------------------------------------------------------------------

    @staticmethod
    def _run(
        call: Call,
        model: _ModelHandle,
        function: Callable[[], int],
        out: ctypes.c_void_p | None = None,
        free: Callable[[ctypes.c_void_p], None] | None = None,
    ) -> None:
        """Makes the foreign call ``function()`` under ``call``'s control (see
        :mod:`lumen.cancel`) and raises what it failed with; on success ``out`` holds the
        result handle, which ``free`` releases when the result is not returned."""

        def discard(status: int, message: str) -> None:
            if status == Status.OK:
                if out is not None and out.value and free is not None:
                    free(out)
                    out.value = None
            else:
                model.discard(status, message)

        status, message = invoke(call, function, discard)
        if call.progress_error is not None:
            discard(status, message)
            raise call.progress_error
        model.raise_for(status, message)

    def _call(
        self,
        method: str,
        model: Model,
        inputs: Any,
        options: Any,
        keep: _arrays.Keep,
        call: Call,
        free: Callable[[ctypes.c_void_p], None],
    ) -> ctypes.c_void_p:
        array = np.asarray(_arrays.required(inputs, "inputs"))
        rows = 1 if array.ndim <= 1 else array.shape[0]
        pointer, length = keep.values(array, "inputs")
        out = ctypes.c_void_p()
        function = getattr(_native.lib, f"lumen_engine_explain_{method}{keep.element.suffix}")
        engine, handle = self._handle, model._handle
        call.attach(options)

        def explain() -> int:
            status: int = function(engine, handle, pointer, length, rows, ctypes.byref(options), ctypes.byref(out))
            return status

        self._run(call, model, explain, out, free)
        return out

    def _explain(
        self, method: str, model: Model, inputs: Any, options: Any, keep: _arrays.Keep, call: Call
    ) -> Explanation:
        handle = self._call(method, model, inputs, options, keep, call, _native.lib.lumen_explanation_free)
        return Explanation(handle, np.array(inputs, copy=True))

    # -- perturbation methods -------------------------------------------------------------

    def occlusion(
        self,
        model: Model,
        inputs: Any,
        window_shape: Sequence[int],
        *,
        strides: Sequence[int] | None = None,
        baseline: Any = None,
        targets: Any = None,
        perturbations_per_eval: int | None = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        row_targets: Sequence[int] | None = None,
    ) -> Explanation:
        """Occlusion (Captum's): sliding windows of ``window_shape`` over the input shape,
        each replaced by the baseline (a scalar, one row or one per row; default 0)."""
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys, row_targets)
        keep = _keep(model)
        options = _native.lib.lumen_occlusion_options_default()
        options.window_shape, options.window_rank = keep.sizes(
            _arrays.required(window_shape, "window_shape"), "window_shape"
        )
        if strides is not None:
            options.strides, options.strides_rank = keep.sizes(strides, "strides")
        _baseline(options, keep, baseline)
        _targets(options, keep, targets)
        _set(options, perturbations_per_eval=perturbations_per_eval)
        return self._explain("occlusion", model, inputs, options, keep, call)

    def feature_ablation(
        self,
        model: Model,
        inputs: Any,
        *,
        feature_mask: groups.Groups | None = None,
        group_names: Sequence[str] | None = None,
        baseline: Any = None,
        targets: Any = None,
        perturbations_per_eval: int | None = None,
        group_attributions: bool = False,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        row_targets: Sequence[int] | None = None,
    ) -> Explanation:
        """Feature Ablation (Captum's): each group of ``feature_mask`` (one id per element,
        a list of groups of element indices or feature names, or a dict from group name to
        its members; default: every element its own) replaced by the baseline; per element or, with
        ``group_attributions``, per group; completeness gaps per row."""
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys, row_targets)
        keep = _keep(model)
        options = _native.lib.lumen_feature_ablation_options_default()
        feature_mask, group_names = _groups(model, feature_mask, group_names, "feature_mask", "group_names")
        if feature_mask is not None:
            options.feature_mask, options.feature_mask_len = keep.uint32s(feature_mask, "feature_mask")
        options.group_names, options.group_names_len = keep.strings(group_names, "group_names")
        _baseline(options, keep, baseline)
        _targets(options, keep, targets)
        _set(options, perturbations_per_eval=perturbations_per_eval)
        options.group_attributions = 1 if group_attributions else 0
        return self._explain("feature_ablation", model, inputs, options, keep, call)

    # -- Shapley methods --------------------------------------------------------------------

    @staticmethod
    def _game(
        model: Model,
        options: _native.KernelShapOptions | _native.ShapleySamplingOptions,
        keep: _arrays.Keep,
        background: Any,
        background_weights: Any,
        players: Any,
        player_names: Any,
        targets: Any,
        link: str,
    ) -> None:
        players, player_names = _groups(model, players, player_names, "players", "player_names")
        game = options.game
        pointer, game.background_len = keep.values(background, "background")
        if keep.element is _arrays.F64:
            options.background_f64 = pointer  # replaces game.background, same length
        else:
            game.background = pointer
        if background_weights is not None:
            game.background_weights, game.background_weights_len = keep.doubles(
                background_weights, "background_weights"
            )
        if players is not None:
            game.players, game.players_len = keep.uint32s(players, "players")
        game.player_names, game.player_names_len = keep.strings(player_names, "player_names")
        _targets(game, keep, targets)
        game.link = _arrays.choice(LINKS, link, "link")

    def kernel_shap(
        self,
        model: Model,
        inputs: Any,
        background: Any,
        *,
        background_weights: Any = None,
        players: groups.Groups | None = None,
        player_names: Sequence[str] | None = None,
        targets: Any = None,
        link: str = "identity",
        budget: int | None = None,
        error_batches: int | None = None,
        estimator: str | None = None,
        target_standard_error: float | None = None,
        max_budget: int | None = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        row_targets: Sequence[int] | None = None,
    ) -> Explanation:
        """KernelSHAP over a weighted ``background`` (rows of the model's input), with
        optional player groups (``players``: one id per element, a list of groups of
        element indices or feature names, or a dict from player name to its members), an
        ``identity`` or ``logit`` link, a coalition ``budget``
        (default 2M + 2048; exact when it covers every coalition) and standard errors
        (jackknife over ``error_batches`` groups; ``Explanation.standard_errors`` is None
        when the sample is too thin to estimate them, the values still stand).

        ``estimator`` picks how coalitions are sampled: ``"default"`` (the library's
        choice, today ``"leverage_top_triples"``), ``"shap"`` (shap's KernelExplainer
        schedule), ``"leverage"`` (Leverage SHAP), ``"leverage_stratified"``,
        ``"leverage_interactions"`` (since 0.3: the stratified draws fitted with
        third-order interactions among the top players, PolySHAP; fewer model evaluations
        for the same error on models with interactions) or ``"leverage_top_triples"``
        (since 0.3: the same fit with the triples among the five leading players only,
        plus each player's size term and score term).

        ``target_standard_error`` (> 0, in the explained output's units, link space)
        samples in rounds until every value's standard error is at or below it, or until
        ``max_budget`` coalitions per row are spent (default 16 × (2M + 2048); only with a
        target). ``Explanation.sampling`` records, per row, the rounds, coalitions and the
        error reached."""
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys, row_targets)
        keep = _keep(model)
        options = _native.lib.lumen_kernel_shap_options_default()
        self._game(model, options, keep, background, background_weights, players, player_names, targets, link)
        _set(options, budget=budget, error_batches=error_batches)
        _set(options, **_sampling_fields(estimator, target_standard_error, max_budget))
        return self._explain("kernel_shap", model, inputs, options, keep, call)

    def shapley_sampling(
        self,
        model: Model,
        inputs: Any,
        background: Any,
        *,
        background_weights: Any = None,
        players: groups.Groups | None = None,
        player_names: Sequence[str] | None = None,
        targets: Any = None,
        link: str = "identity",
        permutation_pairs: int | None = None,
        target_standard_error: float | None = None,
        max_permutation_pairs: int | None = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        row_targets: Sequence[int] | None = None,
    ) -> Explanation:
        """Shapley Value Sampling over antithetic permutation pairs (default 25; with one pair
        the values stand and ``standard_errors`` is ``None``).

        ``target_standard_error`` (> 0, in the explained output's units, link space) walks
        more pairs in rounds until every value's standard error is at or below it, or until
        ``max_permutation_pairs`` pairs per row are walked (default 16 × the first round's
        ``permutation_pairs``; only with a target). ``Explanation.sampling`` records, per
        row, the rounds, the distinct coalitions and the error reached."""
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys, row_targets)
        keep = _keep(model)
        options = _native.lib.lumen_shapley_sampling_options_default()
        self._game(model, options, keep, background, background_weights, players, player_names, targets, link)
        _set(options, permutation_pairs=permutation_pairs)
        if target_standard_error is not None:
            options.target_standard_error = _positive(target_standard_error, "target_standard_error")
        if max_permutation_pairs is not None:
            options.max_permutation_pairs = _count(max_permutation_pairs, "max_permutation_pairs")
        return self._explain("shapley_sampling", model, inputs, options, keep, call)

    # -- gradient methods -----------------------------------------------------------------

    @staticmethod
    def _ig_options(
        options: _native.IntegratedGradientsOptions,
        keep: _arrays.Keep,
        baseline: Any = None,
        n_steps: int | None = None,
        method: str | None = None,
        internal_batch_size: int | None = None,
        multiply_by_inputs: bool | None = None,
        targets: Any = None,
    ) -> None:
        _baseline(options, keep, baseline)
        _set(options, n_steps=n_steps, internal_batch_size=internal_batch_size)
        if method is not None:
            options.method = _arrays.choice(IG_METHODS, method, "method")
        if multiply_by_inputs is not None:
            options.multiply_by_inputs = 1 if multiply_by_inputs else 0
        _targets(options, keep, targets)

    @staticmethod
    def _saliency_options(
        options: _native.SaliencyOptions, keep: _arrays.Keep, abs: bool | None = None, targets: Any = None
    ) -> None:
        if abs is not None:
            options.abs = 1 if abs else 0
        _targets(options, keep, targets)

    @staticmethod
    def _gradient_shap_options(
        options: _native.GradientShapOptions,
        keep: _arrays.Keep,
        baselines: Any = None,
        n_samples: int | None = None,
        stdevs: float | None = None,
        internal_batch_size: int | None = None,
        targets: Any = None,
    ) -> None:
        if baselines is not None:
            keep.into(options, "baselines", baselines)
        _real(options, keep, "stdevs", stdevs)
        _set(options, n_samples=n_samples, internal_batch_size=internal_batch_size)
        _targets(options, keep, targets)

    def integrated_gradients(
        self,
        model: Model,
        inputs: Any,
        *,
        baseline: Any = None,
        n_steps: int | None = None,
        method: str | None = None,
        internal_batch_size: int | None = None,
        multiply_by_inputs: bool | None = None,
        targets: Any = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        row_targets: Sequence[int] | None = None,
    ) -> Explanation:
        """Integrated Gradients (Captum's): ``method`` one of ``riemann_left``,
        ``riemann_right``, ``riemann_middle``, ``riemann_trapezoid`` (the textbook rule,
        weights summing to 1), ``riemann_trapezoid_captum`` (Captum's, weights summing to
        (n−1)/n), ``gausslegendre`` (default, 50 steps), ``gausslegendre_captum`` (its nodes
        and weights rounded to float32 as Captum's are); convergence deltas as completeness
        gaps. Needs ``gradient``."""
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys, row_targets)
        keep = _keep(model)
        options = _native.lib.lumen_integrated_gradients_options_default()
        self._ig_options(options, keep, baseline, n_steps, method, internal_batch_size, multiply_by_inputs, targets)
        return self._explain("integrated_gradients", model, inputs, options, keep, call)

    def saliency(
        self,
        model: Model,
        inputs: Any,
        *,
        abs: bool | None = None,
        targets: Any = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        row_targets: Sequence[int] | None = None,
    ) -> Explanation:
        """Saliency (Captum's): the gradient at the input, absolute by default."""
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys, row_targets)
        keep = _keep(model)
        options = _native.lib.lumen_saliency_options_default()
        self._saliency_options(options, keep, abs, targets)
        return self._explain("saliency", model, inputs, options, keep, call)

    def gradient_shap(
        self,
        model: Model,
        inputs: Any,
        baselines: Any,
        *,
        n_samples: int | None = None,
        stdevs: float | None = None,
        internal_batch_size: int | None = None,
        targets: Any = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        row_targets: Sequence[int] | None = None,
    ) -> Explanation:
        """GradientSHAP (expected gradients) over the baseline rows ``baselines``."""
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys, row_targets)
        keep = _keep(model)
        options = _native.lib.lumen_gradient_shap_options_default()
        self._gradient_shap_options(
            options, keep, _arrays.required(baselines, "baselines"), n_samples, stdevs, internal_batch_size, targets
        )
        return self._explain("gradient_shap", model, inputs, options, keep, call)

    def noise_tunnel(
        self,
        model: Model,
        inputs: Any,
        *,
        base: str = "saliency",
        nt_type: str = "smoothgrad",
        nt_samples: int | None = None,
        stdevs: float | None = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        row_targets: Sequence[int] | None = None,
        **base_options: Any,
    ) -> Explanation:
        """NoiseTunnel (Captum's): ``base`` (``saliency``, ``integrated_gradients`` or
        ``gradient_shap``) on ``nt_samples`` noisy copies, aggregated by ``nt_type``
        (``smoothgrad``, ``smoothgrad_sq``, ``vargrad``). ``base_options`` are the base
        method's keywords (e.g. ``baseline``, ``baselines``, ``abs``, ``targets``)."""
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys, row_targets)
        keep = _keep(model)
        options = _native.lib.lumen_noise_tunnel_options_default()
        options.nt_type = _arrays.choice(NOISE_TYPES, nt_type, "nt_type")
        options.base = _arrays.choice(NOISE_BASES, base, "base")
        _set(options, nt_samples=nt_samples)
        _real(options, keep, "stdevs", stdevs)
        bases: dict[str, tuple[Callable[..., None], Callable[[], Any]]] = {
            "saliency": (self._saliency_options, _native.lib.lumen_saliency_options_default),
            "integrated_gradients": (self._ig_options, _native.lib.lumen_integrated_gradients_options_default),
            "gradient_shap": (self._gradient_shap_options, _native.lib.lumen_gradient_shap_options_default),
        }
        setter, default = bases[base]
        base_struct = default()
        try:
            setter(base_struct, keep, **base_options)
        except TypeError as error:
            raise InvalidInputError(Status.INVALID_ARGUMENT, f"options of {base}: {error}") from error
        # The struct stays alive until this method returns, past the call that reads it.
        setattr(options, base, ctypes.pointer(base_struct))
        return self._explain("noise_tunnel", model, inputs, options, keep, call)

    def grad_cam(
        self,
        model: Model,
        inputs: Any,
        *,
        targets: Any = None,
        relu_attributions: bool | None = None,
        upsample: bool | None = None,
        internal_batch_size: int | None = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        row_targets: Sequence[int] | None = None,
    ) -> Explanation:
        """Grad-CAM on the model's ``layer_gradient`` layer, upsampled bilinearly to the
        input's last two dimensions unless ``upsample=False``."""
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys, row_targets)
        keep = _keep(model)
        options = _native.lib.lumen_grad_cam_options_default()
        _targets(options, keep, targets)
        if relu_attributions is not None:
            options.relu_attributions = 1 if relu_attributions else 0
        if upsample is not None:
            options.upsample = 1 if upsample else 0
        _set(options, internal_batch_size=internal_batch_size)
        return self._explain("grad_cam", model, inputs, options, keep, call)

    # -- counterfactuals --------------------------------------------------------------------

    def counterfactuals(
        self,
        model: Model,
        inputs: Any,
        training: Any,
        *,
        features: Sequence[dict[str, Any]] | None = None,
        target_class: int | None = None,
        immutable: Sequence[int] | None = None,
        allow_list: Sequence[int] | None = None,
        ranges: dict[int, tuple[float, float]] | None = None,
        sampling: str | None = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        **settings: Any,
    ) -> Counterfactuals:
        """PermuteAttack counterfactuals (Hashemi & Fathi 2020): new values drawn from the
        ``training`` rows. ``features`` lists logical features as dicts
        ``{"name": str, "columns": [..], "categorical": bool}`` (default: one numeric per
        column; ``categorical`` marks a one-hot group), or
        ``{"name": str, "columns": [c], "codes": [..]}`` for a categorical feature held as
        integer codes in column ``c`` (PermuteAttack's reference encoding; category ``k``
        is ``codes[k]``, searched exactly as the one-hot group with column ``k`` for it,
        and counterfactual rows hold codes); ``target_class`` None aims for the other class; ``ranges`` maps a numeric
        feature to its allowed ``(min, max)``; ``sampling`` is ``"gibbs"`` (default) or
        ``"column"``. ``settings`` are the other fields of ``lumen_permute_attack_options``
        (``population``, ``parents``, ``generations``, ``runs``, ``rho0``, ``rho1``,
        ``temperature``, ``decay``, ``max_changed``, ``max_distance``,
        ``success_probability``, ``counterfactuals``, ``gibbs_bins``,
        ``gibbs_iterations``)."""
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys)
        keep = _keep(model)
        options = _native.lib.lumen_permute_attack_options_default()
        keep.into(options, "training", training)
        if features is not None:
            array = (_native.TabularFeature * max(len(features), 1))()
            coded = [i for i, feature in enumerate(features) if feature.get("codes") is not None]
            codes = (_native.FeatureCodes * max(len(coded), 1))()
            for i, feature in enumerate(features):
                name = feature.get("name")
                array[i].name = name.encode("utf-8") if name is not None else None
                array[i].kind = _native.FEATURE_CATEGORICAL if feature.get("categorical") else _native.FEATURE_NUMERIC
                array[i].columns, array[i].columns_len = keep.sizes(feature.get("columns"), f"features[{i}].columns")
            for j, i in enumerate(coded):
                array[i].kind = _native.FEATURE_CODED
                codes[j].feature = i
                codes[j].codes, codes[j].codes_len = keep.floats(features[i]["codes"], f"features[{i}].codes")
            keep.objects.extend([array, codes])
            options.features, options.features_len = array, len(features)
            options.feature_codes, options.feature_codes_len = codes, len(coded)
        options.target_class = _native.TARGET_OPPOSITE if target_class is None else int(target_class)
        if immutable is not None:
            options.immutable, options.immutable_len = keep.uint32s(immutable, "immutable")
        if allow_list is not None:
            options.allow_list, options.allow_list_len = keep.uint32s(allow_list, "allow_list")
        if ranges:
            bounds = (_native.FeatureRange * len(ranges))()
            for i, (index, (low, high)) in enumerate(sorted(ranges.items())):
                bounds[i].feature, bounds[i].min, bounds[i].max = int(index), float(low), float(high)
            keep.objects.append(bounds)
            options.ranges, options.ranges_len = bounds, len(ranges)
        if sampling is not None:
            options.sampling = _arrays.choice(SAMPLINGS, sampling, "sampling")
        fields = {field[0] for field in _native.PermuteAttackOptions._fields_}
        for name, value in settings.items():
            internal = name.endswith(("_len", "_f64")) or name in ("struct_size", "control", "feature_codes")
            if name not in fields or internal:
                raise InvalidInputError(Status.INVALID_ARGUMENT, f"counterfactuals: unknown setting {name!r}")
            setattr(options, name, value)
        out = self._call("counterfactuals", model, inputs, options, keep, call, _native.lib.lumen_counterfactuals_free)
        return Counterfactuals(out, model.input_len, keep.element)

    # -- TimeSHAP -------------------------------------------------------------------------

    def timeshap_prune(
        self,
        model: SequenceModel,
        sequence: Any,
        *,
        full_curve: bool = False,
        options: timeshap.TimeShapOptions | None = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        **settings: Any,
    ) -> timeshap.Pruning:
        """Temporal coalition pruning of one sequence (``(seq_len, features)``, or flat
        event-major; ``seq_len >= 2``) with ``tolerance`` (no pruning without it). With
        ``full_curve`` every split is evaluated; otherwise the walk stops where pruning
        does (with a fixed ``pruning_index`` no split is evaluated unless ``full_curve``).
        Settings: a :class:`lumen.TimeShapOptions` as ``options``, or its fields as
        keywords (see :mod:`lumen.timeshap`)."""
        chosen = timeshap.settings_of(options, settings)
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys)
        keep, c_options, seq_len, pointer, length = _one_sequence(model, sequence, chosen, call)
        capacity = max(seq_len - 1, 1)
        curve = (_native.PruningPoint * capacity)()
        pruned, written = ctypes.c_size_t(), ctypes.c_size_t()
        engine, handle = self._handle, model._handle

        def prune() -> int:
            status: int = getattr(_native.lib, f"lumen_engine_timeshap_prune{keep.element.suffix}")(
                engine,
                handle,
                pointer,
                length,
                seq_len,
                ctypes.byref(c_options),
                1 if full_curve else 0,
                ctypes.byref(pruned),
                curve,
                capacity,
                ctypes.byref(written),
            )
            return status

        self._run(call, model, prune)
        points = [
            timeshap.PruningPoint(p.split, p.newer_len, p.older_value, p.newer_value) for p in curve[: written.value]
        ]
        return timeshap.Pruning(pruned.value, points)

    def timeshap_pruning_curve(
        self,
        model: SequenceModel,
        sequence: Any,
        *,
        options: timeshap.TimeShapOptions | None = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        **settings: Any,
    ) -> timeshap.TimeShapPruningCurve:
        """The whole pruning curve of one sequence in the ``timeshap`` package's form (its
        ``temp_coalition_pruning(..., ret_plot_data=True)``): the package's ``pruning_idx``
        (chosen by ``tolerance`` or a fixed ``pruning_index``; ``-seq_len`` without either)
        and the points t = 0, -1, ..., -seq_len, end points included. Every split is
        evaluated. Settings as :meth:`explain_timeshap`."""
        chosen = timeshap.settings_of(options, settings)
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys)
        keep, c_options, seq_len, pointer, length = _one_sequence(model, sequence, chosen, call)
        capacity = seq_len + 1
        curve = (_native.TimeShapCurvePoint * capacity)()
        index, written = ctypes.c_int64(), ctypes.c_size_t()
        engine, handle = self._handle, model._handle

        def run() -> int:
            status: int = getattr(_native.lib, f"lumen_engine_timeshap_pruning_curve{keep.element.suffix}")(
                engine,
                handle,
                pointer,
                length,
                seq_len,
                ctypes.byref(c_options),
                ctypes.byref(index),
                curve,
                capacity,
                ctypes.byref(written),
            )
            return status

        self._run(call, model, run)
        points = [timeshap.TimeShapCurvePoint(p.t, p.older_value, p.newer_value) for p in curve[: written.value]]
        return timeshap.TimeShapPruningCurve(index.value, points)

    def explain_timeshap(
        self,
        model: SequenceModel,
        sequence: Any,
        level: str = "event",
        *,
        options: timeshap.TimeShapOptions | None = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        **settings: Any,
    ) -> timeshap.TimeShapExplanation:
        """TimeSHAP of one sequence (``(seq_len, features)``, or flat event-major;
        ``seq_len >= 2``) at ``level`` (``"event"``, ``"feature"`` or ``"cell"``), after
        pruning when ``tolerance`` (or a fixed ``pruning_index``) is given. Settings: a
        :class:`lumen.TimeShapOptions` as ``options``, or its fields as keywords (see
        :mod:`lumen.timeshap`)."""
        chosen = timeshap.settings_of(options, settings)
        level_code = _arrays.choice(timeshap.LEVELS, level, "level")
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys)
        keep, c_options, seq_len, pointer, length = _one_sequence(model, sequence, chosen, call)
        out = ctypes.c_void_p()
        engine, handle = self._handle, model._handle

        def explain() -> int:
            status: int = getattr(_native.lib, f"lumen_engine_explain_timeshap{keep.element.suffix}")(
                engine, handle, pointer, length, seq_len, level_code, ctypes.byref(c_options), ctypes.byref(out)
            )
            return status

        self._run(call, model, explain, out, _native.lib.lumen_explanation_free)
        return timeshap.TimeShapExplanation(Explanation(out), level)

    def timeshap_global(
        self,
        model: SequenceModel,
        sequences: Sequence[Any],
        *,
        tolerances: Sequence[float] = (),
        seeds: int = 10,
        options: timeshap.TimeShapOptions | None = None,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        **settings: Any,
    ) -> timeshap.TimeShapGlobal:
        """Global TimeSHAP over ``sequences`` (each ``(seq_len_i, features)``, ``seq_len_i
        >= 2``): event importance by distance, feature importance, the most recent event's
        share and the pruning table at each η of ``tolerances`` over ``seeds`` (>= 2)
        random streams. The background must be one event (or ``training_events``).
        Settings: a :class:`lumen.TimeShapOptions` as ``options``, or its fields as keywords."""
        chosen = timeshap.settings_of(options, settings)
        call = Call(timeout, progress, cancel, max_model_threads, seed, row_keys)
        keep = _keep(model, SequenceModel)
        c_options = timeshap.options(keep, chosen)
        arrays = [np.asarray(s) for s in _arrays.required(sequences, "sequences")]
        lengths = [timeshap.sequence_length(a, model.features) for a in arrays]
        flat = np.concatenate([a.reshape(-1) for a in arrays]) if arrays else np.empty(0, dtype=keep.element.numpy)
        pointer, length = keep.values(flat, "sequences")
        lengths_pointer, count = keep.sizes(np.asarray(lengths, dtype=np.uintp), "lengths")
        tolerances_pointer, tolerances_len = keep.doubles(np.asarray(tolerances, dtype=np.float64), "tolerances")
        out = ctypes.c_void_p()
        engine, handle = self._handle, model._handle
        call.attach(c_options)

        def explain() -> int:
            status: int = getattr(_native.lib, f"lumen_engine_timeshap_global{keep.element.suffix}")(
                engine,
                handle,
                pointer,
                length,
                lengths_pointer,
                count,
                ctypes.byref(c_options),
                tolerances_pointer,
                tolerances_len,
                int(seeds),
                ctypes.byref(out),
            )
            return status

        self._run(call, model, explain, out, _native.lib.lumen_timeshap_global_free)
        return timeshap.TimeShapGlobal(out)
