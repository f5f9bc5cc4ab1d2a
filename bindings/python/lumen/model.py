"""Python callables as Lumen models.

A model's callables receive numpy views of Lumen's batch buffers, valid only during the
call (copy them to keep them), and return numpy arrays (or anything ``np.asarray``
accepts). Whatever a callable raises is caught in the ctypes trampoline: the engine gets
a failing status and stops, and the Engine method raises :class:`ModelCallbackError`
with the original exception as ``__cause__`` (``KeyboardInterrupt`` and other
non-``Exception`` errors are re-raised as they are).

A callable must not call back into Lumen: an Engine method called from inside it raises
:class:`lumen.InvalidStateError` (the engine refuses re-entry rather than deadlocking on
the model it is already calling).

Threading: the callables run on Lumen's worker threads (with ``threads=1``, on the thread
that runs the explanation), each call holding the GIL. With ``concurrent=False`` (the
default) Lumen never overlaps two calls of one model; with ``concurrent=True`` several
workers may call it at once, which only helps when the callable releases the GIL (large
numpy operations, most ML runtimes).

Precision: a model computes in its ``dtype``, ``numpy.float32`` (the default) or
``numpy.float64``. Its callables receive arrays of that dtype and their results are
converted to it; an explanation passes the caller's inputs, baselines, backgrounds and
training rows to it in that dtype (a float64 model gets float64 data bit for bit, float32
data widened exactly) and returns results of that dtype. A float32 model given numbers
float32 cannot hold exactly (float64 data, large integers) rounds them and issues one
:class:`lumen.PrecisionWarning` per model.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import sys
import threading
import warnings
from collections.abc import Sequence
from typing import Any, Callable, TypeVar, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from . import _arrays, _native
from .errors import (
    InvalidInputError,
    ModelCallbackError,
    PrecisionWarning,
    Status,
    check,
    error_for,
    last_error_message,
)

_CODE = re.compile(r"returned error code (-?\d+)")

#: ``predict(x) -> outputs``: a read-only batch ``(rows, *input_shape)`` of the model's
#: dtype (float32 unless declared float64) in, ``(rows, output_len)`` (or ``(rows,)`` with
#: one output) out.
PredictFn = Callable[[NDArray[Any]], ArrayLike]
#: ``gradient(x, targets) -> gradients`` (``(rows, *input_shape)``, row r holding
#: ∂f_targets[r]/∂x) or ``-> (gradients, outputs)``; ``targets`` is uint32 ``(rows,)``.
GradientFn = Callable[[NDArray[Any], NDArray[np.uint32]], Union[ArrayLike, tuple[ArrayLike, ArrayLike]]]
#: ``layer_gradient(x, targets) -> (activations, gradients)``, each ``(rows, C, h, w)``.
LayerGradientFn = Callable[[NDArray[Any], NDArray[np.uint32]], tuple[ArrayLike, ArrayLike]]

_Handle = TypeVar("_Handle", bound="_ModelHandle")
_PACKAGE = os.path.dirname(__file__) + os.sep


def _view(pointer: Any, count: int) -> NDArray[Any]:
    view: NDArray[Any] = np.ctypeslib.as_array(pointer, shape=(count,))
    return view


def _warn_caller(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` attributed to the first caller outside the lumen package."""
    level, frame = 1, sys._getframe(0)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _result(value: Any, rows: int, per_row: int, what: str, dtype: Any) -> NDArray[Any]:
    array = np.asarray(value, dtype=dtype)
    if array.ndim == 0 or array.shape[0] != rows or array.size != rows * per_row:
        raise ValueError(f"{what} returned shape {array.shape}, expected {rows} rows of {per_row} values")
    return array.reshape(-1)


class _Raised:
    """The exceptions a model's callables raised, each kept under the unique error code
    its trampoline returned to Lumen until the Engine method that ran the call raises it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.raised: dict[int, BaseException] = {}
        self.next_code = 1

    def keep(self, error: BaseException) -> int:
        with self.lock:
            code = self.next_code
            self.next_code = 1 if code == 2**31 - 1 else code + 1
            self.raised[code] = error
            return code

    def take(self, code: int) -> BaseException | None:
        with self.lock:
            return self.raised.pop(code, None)

    def raise_for(self, status: int, message: str | None = None) -> None:
        """Raises the exception of a failing call: ModelCallbackError from the callable's
        own exception when one caused it, else the status's exception. ``message`` is
        the error message of the thread that made the call (default: this thread's)."""
        if status == Status.OK:
            return
        if message is None:
            message = last_error_message()
        if status == Status.MODEL_FAILED:
            found = _CODE.search(message)
            error = self.take(int(found.group(1))) if found else None
            if error is not None:
                if not isinstance(error, Exception):
                    raise error
                raise ModelCallbackError(status, f"{message}: {type(error).__name__}: {error}") from error
        raise error_for(status, message)

    def discard(self, status: int, message: str) -> None:
        """Drops the exception a callable raised in a call whose outcome is not reported."""
        if status == Status.MODEL_FAILED:
            found = _CODE.search(message)
            if found:
                self.take(int(found.group(1)))


class _Callbacks(_Raised):
    """The trampolines of one model."""

    def __init__(
        self,
        predict: PredictFn,
        gradient: GradientFn | None,
        layer_gradient: LayerGradientFn | None,
        input_shape: tuple[int, ...],
        output_len: int,
        layer_len: int,
        dtype: Any,
    ) -> None:
        super().__init__()
        self.dtype = dtype
        self.predict = predict
        self.gradient = gradient
        self.layer_gradient = layer_gradient
        self.input_shape = input_shape
        self.input_len = math.prod(input_shape)
        self.output_len = output_len
        self.layer_len = layer_len

    def inputs(self, pointer: Any, rows: int) -> NDArray[Any]:
        x = _view(pointer, rows * self.input_len).reshape((rows, *self.input_shape))
        x.flags.writeable = False
        return x

    def call_predict(self, _user_data: Any, inputs: Any, rows: int, outputs: Any) -> int:
        try:
            y = _result(self.predict(self.inputs(inputs, rows)), rows, self.output_len, "predict", self.dtype)
            _view(outputs, rows * self.output_len)[:] = y
            return 0
        except BaseException as error:  # noqa: BLE001 - nothing may unwind through the C ABI
            return self.keep(error)

    def call_gradient(self, _user_data: Any, inputs: Any, rows: int, targets: Any, gradients: Any, outputs: Any) -> int:
        try:
            if self.gradient is None:
                raise RuntimeError("gradient called on a model that has no gradient callable")
            x = self.inputs(inputs, rows)
            t = _view(targets, rows).copy()
            result = self.gradient(x, t)
            y: ArrayLike | None = None
            if isinstance(result, tuple):
                result, y = result
            g = _result(result, rows, self.input_len, "gradient", self.dtype)
            if outputs:
                if y is None:
                    y = self.predict(x)
                y = _result(y, rows, self.output_len, "gradient outputs", self.dtype)
                _view(outputs, rows * self.output_len)[:] = y
            _view(gradients, rows * self.input_len)[:] = g
            return 0
        except BaseException as error:  # noqa: BLE001
            return self.keep(error)

    def call_layer_gradient(
        self, _user_data: Any, inputs: Any, rows: int, targets: Any, activations: Any, gradients: Any
    ) -> int:
        try:
            if self.layer_gradient is None:
                raise RuntimeError("layer_gradient called on a model that has no layer_gradient callable")
            x = self.inputs(inputs, rows)
            t = _view(targets, rows).copy()
            a, g = self.layer_gradient(x, t)
            layer_activations = _result(a, rows, self.layer_len, "layer_gradient activations", self.dtype)
            layer_gradients = _result(g, rows, self.layer_len, "layer_gradient gradients", self.dtype)
            _view(activations, rows * self.layer_len)[:] = layer_activations
            _view(gradients, rows * self.layer_len)[:] = layer_gradients
            return 0
        except BaseException as error:  # noqa: BLE001
            return self.keep(error)


class _ModelHandle:
    """What row and sequence models share: the owned C handle (freed by ``close``, the
    ``with`` block's end or garbage collection), the element type and the callbacks'
    error state."""

    _handle: ctypes.c_void_p
    _callbacks: _Raised
    _element: _arrays.Element = _arrays.F32

    def _declare(self, dtype: DTypeLike) -> _arrays.Element:
        """Records the model's element type (``dtype``) and returns it."""
        self._element = _arrays.element(dtype)
        self._precision_lock = threading.Lock()
        self._precision_warned = False
        return self._element

    @property
    def dtype(self) -> np.dtype[Any]:
        """The model's element type: ``numpy.float32`` (the default) or ``numpy.float64``."""
        return np.dtype(self._element.numpy)

    def _keep(self) -> _arrays.Keep:
        """A :class:`lumen._arrays.Keep` converting one call's values to the model's dtype
        (and warning once when it rounds them to float32)."""
        return _arrays.Keep(self._element, self._rounded)

    def _rounded(self, name: str) -> None:
        """Warns, once per model, that ``name``'s values were rounded to float32."""
        with self._precision_lock:
            if self._precision_warned:
                return
            self._precision_warned = True
        _warn_caller(
            f"{name}: values float32 cannot hold exactly (float64 data or large integers) are rounded to "
            f"float32 for this float32 model ({type(self).__name__} declared with dtype float32, the default); "
            "declare the model with dtype=numpy.float64 to explain it in double precision, or pass float32 "
            "arrays. Lumen warns once per model.",
            PrecisionWarning,
        )

    def _free(self, handle: ctypes.c_void_p) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Frees the model (idempotent). No explanation may be running with it."""
        handle, self._handle = getattr(self, "_handle", None), ctypes.c_void_p()
        if handle:
            self._free(handle)

    def __enter__(self: _Handle) -> _Handle:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def raise_for(self, status: int, message: str | None = None) -> None:
        """Raises the exception of a failing call: ModelCallbackError from the callable's
        own exception when one caused it, else the status's exception."""
        self._callbacks.raise_for(status, message)

    def discard(self, status: int, message: str) -> None:
        """Drops what a call whose outcome is not reported left behind."""
        self._callbacks.discard(status, message)


class Model(_ModelHandle):
    """A model for Lumen: ``predict(x) -> y`` over a batch ``x`` of shape
    ``(rows, *input_shape)`` returning ``(rows, output_len)`` (or ``(rows,)`` with one
    output), optionally ``gradient(x, targets) -> grads`` (``(rows, *input_shape)``: per
    row ∂f_targets[r]/∂x, or a tuple ``(grads, outputs)``) and
    ``layer_gradient(x, targets) -> (activations, gradients)`` (each
    ``(rows, C, h, w)``, with ``layer_shape = (C, h, w)``) for Grad-CAM.

    ``dtype`` (``numpy.float32``, the default, or ``numpy.float64``; their names too) is
    the precision the model computes in: its callables receive arrays of it, and
    explanations pass data to it and return results in it (see :mod:`lumen.model`).

    ``concurrent`` allows Lumen to call the callables from several threads at once.
    Close it with :meth:`close` or a ``with`` block (garbage collection closes it too).
    """

    def __init__(
        self,
        predict: PredictFn,
        input_len: int | None = None,
        output_len: int = 1,
        *,
        input_shape: Sequence[int] | None = None,
        gradient: GradientFn | None = None,
        layer_gradient: LayerGradientFn | None = None,
        layer_shape: Sequence[int] | None = None,
        feature_names: Sequence[str] | None = None,
        max_batch_rows: int = 0,
        concurrent: bool = False,
        dtype: DTypeLike = np.float32,
    ) -> None:
        self._handle = ctypes.c_void_p()
        if not callable(predict):
            raise InvalidInputError(Status.NULL_POINTER, f"predict: is {predict!r}, expected a callable")
        element = self._declare(dtype)
        for name, value in (("gradient", gradient), ("layer_gradient", layer_gradient)):
            if value is not None and not callable(value):
                raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: is {value!r}, expected a callable")
        if input_shape is not None:
            shape = tuple(int(d) for d in input_shape)
            if input_len is None:
                input_len = math.prod(shape)
        elif input_len is None:
            raise InvalidInputError(Status.INVALID_ARGUMENT, "input_len: give input_len or input_shape")
        else:
            shape = (int(input_len),)
        keep = _arrays.Keep()
        desc = _native.ModelDesc()
        desc.abi_version = _native.MODEL_ABI_VERSION
        desc.flags = _native.MODEL_CONCURRENT if concurrent else 0
        desc.memory_space = _native.MEMORY_HOST
        desc.element_type = element.code
        desc.input_len = int(input_len)
        if input_shape is not None:
            desc.input_shape, desc.input_rank = keep.sizes(shape, "input_shape")
        desc.output_len = int(output_len)
        desc.max_batch_rows = int(max_batch_rows)
        desc.feature_names, desc.feature_names_len = keep.strings(feature_names, "feature_names")
        layer = tuple(int(d) for d in layer_shape) if layer_shape is not None else (0, 0, 0)
        if len(layer) != 3:
            raise InvalidInputError(Status.INVALID_ARGUMENT, f"layer_shape: is {layer}, expected (C, h, w)")
        desc.layer_shape[:] = layer
        # A shape inconsistent with input_len is reported by Lumen; the trampolines use the
        # flat length until then.
        trampoline_shape = shape if math.prod(shape) == int(input_len) else (int(input_len),)
        self._callbacks = _Callbacks(
            predict, gradient, layer_gradient, trampoline_shape, int(output_len), math.prod(layer), element.numpy
        )
        # The element type's callbacks (``predict`` or ``predict_f64``, ...); the other
        # type's stay NULL, as Lumen requires.
        predict_fn, gradient_fn, layer_gradient_fn = _native.MODEL_CALLBACKS[element.code]
        self._c_predict = predict_fn(self._callbacks.call_predict)
        self._c_gradient = gradient_fn(self._callbacks.call_gradient) if gradient else gradient_fn()
        self._c_layer_gradient = (
            layer_gradient_fn(self._callbacks.call_layer_gradient) if layer_gradient else layer_gradient_fn()
        )
        setattr(desc, element.field("predict"), self._c_predict)
        setattr(desc, element.field("gradient"), self._c_gradient)
        setattr(desc, element.field("layer_gradient"), self._c_layer_gradient)
        check(_native.lib.lumen_model_new(ctypes.byref(desc), ctypes.byref(self._handle)))
        self.input_len = int(input_len)
        self.input_shape = shape
        self.feature_names = tuple(feature_names) if feature_names is not None else None
        self.output_len = int(output_len)
        self.concurrent = bool(concurrent)

    def _free(self, handle: ctypes.c_void_p) -> None:
        _native.lib.lumen_model_free(handle)
