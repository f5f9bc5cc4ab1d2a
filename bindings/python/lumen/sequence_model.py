"""Python callables as Lumen sequence models (for TimeSHAP).

A sequence is ``seq_len`` events of ``features`` values, and ``seq_len`` may change from
call to call. ``predict(x)`` receives a read-only batch of shape ``(rows, seq_len,
features)``, valid only during the call, and returns ``(rows, output_len)`` (or
``(rows,)`` with one output). A recurrent model may also expose its hidden state
(``state_len`` values per sequence) with ``run_prefix(initial_states, x) -> states``
(``initial_states`` is ``None`` for the model's own initial state, else ``(rows,
state_len)``) and ``predict_from_state(states, x) -> outputs``: TimeSHAP then runs shared
prefixes once. Exceptions, threading and precision (``dtype``: float32, the default, or
float64, for the callables' arrays, the sequences, backgrounds and results) follow
:mod:`lumen.model`.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any, Callable, Optional

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from . import _arrays, _native
from .errors import InvalidInputError, Status, check
from .model import _ModelHandle, _Raised, _result, _view

#: ``predict(x) -> outputs``: a read-only batch ``(rows, seq_len, features)`` of the
#: model's dtype in, ``(rows, output_len)`` (or ``(rows,)`` with one output) out.
SequencePredictFn = Callable[[NDArray[Any]], ArrayLike]
#: ``run_prefix(initial_states, x) -> states``: ``initial_states`` is None (the model's own
#: initial state) or ``(rows, state_len)`` of the model's dtype; returns ``(rows, state_len)``.
RunPrefixFn = Callable[[Optional[NDArray[Any]], NDArray[Any]], ArrayLike]
#: ``predict_from_state(states, x) -> outputs``: the model run from ``states`` over ``x``.
PredictFromStateFn = Callable[[NDArray[Any], NDArray[Any]], ArrayLike]


class _SequenceCallbacks(_Raised):
    """The trampolines of one sequence model."""

    def __init__(
        self,
        predict: SequencePredictFn,
        run_prefix: RunPrefixFn | None,
        predict_from_state: PredictFromStateFn | None,
        features: int,
        output_len: int,
        state_len: int,
        dtype: Any,
    ) -> None:
        super().__init__()
        self.dtype = dtype
        self.predict = predict
        self.run_prefix = run_prefix
        self.predict_from_state = predict_from_state
        self.features = features
        self.output_len = output_len
        self.state_len = state_len

    def inputs(self, pointer: Any, rows: int, seq_len: int) -> NDArray[Any]:
        x = _view(pointer, rows * seq_len * self.features).reshape((rows, seq_len, self.features))
        x.flags.writeable = False
        return x

    def states(self, pointer: Any, rows: int) -> NDArray[Any]:
        s = _view(pointer, rows * self.state_len).reshape((rows, self.state_len))
        s.flags.writeable = False
        return s

    def call_predict(self, _user_data: Any, inputs: Any, rows: int, seq_len: int, outputs: Any) -> int:
        try:
            y = _result(self.predict(self.inputs(inputs, rows, seq_len)), rows, self.output_len, "predict", self.dtype)
            _view(outputs, rows * self.output_len)[:] = y
            return 0
        except BaseException as error:  # noqa: BLE001 - nothing may unwind through the C ABI
            return self.keep(error)

    def call_run_prefix(self, _user_data: Any, initial: Any, inputs: Any, rows: int, seq_len: int, states: Any) -> int:
        try:
            if self.run_prefix is None:
                raise RuntimeError("run_prefix called on a model that has no state callables")
            start = self.states(initial, rows) if initial else None
            x = self.inputs(inputs, rows, seq_len)
            s = _result(self.run_prefix(start, x), rows, self.state_len, "run_prefix", self.dtype)
            _view(states, rows * self.state_len)[:] = s
            return 0
        except BaseException as error:  # noqa: BLE001
            return self.keep(error)

    def call_predict_from_state(
        self, _user_data: Any, states: Any, inputs: Any, rows: int, seq_len: int, outputs: Any
    ) -> int:
        try:
            if self.predict_from_state is None:
                raise RuntimeError("predict_from_state called on a model that has no state callables")
            y = self.predict_from_state(self.states(states, rows), self.inputs(inputs, rows, seq_len))
            y = _result(y, rows, self.output_len, "predict_from_state", self.dtype)
            _view(outputs, rows * self.output_len)[:] = y
            return 0
        except BaseException as error:  # noqa: BLE001
            return self.keep(error)


class SequenceModel(_ModelHandle):
    """A sequence model for TimeSHAP: ``predict(x) -> y`` over ``x`` of shape ``(rows,
    seq_len, features)``, optionally with ``run_prefix`` and ``predict_from_state`` (both
    or neither, with ``state_len``; see :mod:`lumen.sequence_model`). ``dtype``
    (``numpy.float32``, the default, or ``numpy.float64``) is the precision it computes in.

    ``concurrent`` allows Lumen to call the callables from several threads at once.
    Close it with :meth:`close` or a ``with`` block (garbage collection closes it too).
    """

    def __init__(
        self,
        predict: SequencePredictFn,
        features: int,
        output_len: int = 1,
        *,
        run_prefix: RunPrefixFn | None = None,
        predict_from_state: PredictFromStateFn | None = None,
        state_len: int = 0,
        feature_names: Sequence[str] | None = None,
        max_batch_rows: int = 0,
        concurrent: bool = False,
        dtype: DTypeLike = np.float32,
    ) -> None:
        self._handle = ctypes.c_void_p()
        if not callable(predict):
            raise InvalidInputError(Status.NULL_POINTER, f"predict: is {predict!r}, expected a callable")
        element = self._declare(dtype)
        for name, value in (("run_prefix", run_prefix), ("predict_from_state", predict_from_state)):
            if value is not None and not callable(value):
                raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: is {value!r}, expected a callable")
        if (run_prefix is None) != (predict_from_state is None):
            raise InvalidInputError(
                Status.INVALID_ARGUMENT, "run_prefix, predict_from_state: give both state callables or neither"
            )
        keep = _arrays.Keep()
        desc = _native.SequenceModelDesc()
        desc.abi_version = _native.SEQUENCE_MODEL_ABI_VERSION
        desc.flags = _native.MODEL_CONCURRENT if concurrent else 0
        desc.element_type = element.code
        desc.features = int(features)
        desc.output_len = int(output_len)
        desc.max_batch_rows = int(max_batch_rows)
        desc.state_len = int(state_len)
        desc.feature_names, desc.feature_names_len = keep.strings(feature_names, "feature_names")
        self._callbacks = _SequenceCallbacks(
            predict, run_prefix, predict_from_state, int(features), int(output_len), int(state_len), element.numpy
        )
        # The element type's callbacks; the other type's stay NULL, as Lumen requires.
        predict_fn, run_prefix_fn, from_state_fn = _native.SEQUENCE_CALLBACKS[element.code]
        self._c_predict = predict_fn(self._callbacks.call_predict)
        if run_prefix is not None:
            self._c_run_prefix = run_prefix_fn(self._callbacks.call_run_prefix)
            self._c_from_state = from_state_fn(self._callbacks.call_predict_from_state)
        else:
            self._c_run_prefix = run_prefix_fn()
            self._c_from_state = from_state_fn()
        setattr(desc, element.field("predict"), self._c_predict)
        setattr(desc, element.field("run_prefix"), self._c_run_prefix)
        setattr(desc, element.field("predict_from_state"), self._c_from_state)
        check(_native.lib.lumen_sequence_model_new(ctypes.byref(desc), ctypes.byref(self._handle)))
        self.features = int(features)
        self.output_len = int(output_len)
        self.state_len = int(state_len)
        self.concurrent = bool(concurrent)

    def _free(self, handle: ctypes.c_void_p) -> None:
        _native.lib.lumen_sequence_model_free(handle)
