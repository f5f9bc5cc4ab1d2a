"""Lumen statuses as Python exceptions.

Every failing call raises a subclass of :class:`LumenError` carrying the status and
``lumen_last_error_message()``:

* :class:`InvalidInputError` (also a ``ValueError``): NULL/None, wrong lengths, NaN/Inf,
  out-of-range options, a buffer too small, invalid UTF-8, an ABI version or memory budget
  that cannot work; its subclasses :class:`ElementTypeMismatchError` (double buffers for
  a float model or float ones for a double model) and :class:`ElementTypeUnsupportedError`
  (an element type declared where it is not supported: a double model in device memory);
* :class:`ModelError` (also a ``RuntimeError``): the model failed, wrote NaN/Inf or lacks
  a callback; :class:`ModelCallbackError` when a Python model raised (the exception it
  raised is the ``__cause__``);
* :class:`NotAvailableError` (also a ``LookupError``): a value or backend that is not
  available;
* :class:`InternalError` (also a ``RuntimeError``): a bug in Lumen;
* :class:`InvalidStateError` (also a ``RuntimeError``): a call Lumen refuses in the
  current state, e.g. an explanation started from inside a model callback;
* :class:`OutOfMemoryError` (also a ``MemoryError``): an allocation failed;
* :class:`NonFiniteResultError` (also an ``ArithmeticError``): a result overflowed to
  ±Inf or NaN although the inputs and the model's outputs were finite;
* :class:`CancelledError`: the call was cancelled (its :class:`lumen.CancelToken`, or
  its progress callback returned False);
* :class:`DeadlineExceededError` (also the builtin ``TimeoutError``): the call ran past
  its ``timeout``.

A cancelled or timed-out call returns nothing, frees what it held and leaves the engine
and the model usable.

One warning: :class:`PrecisionWarning`, once per float32 model given values float32
cannot hold exactly (float64 data, large integers), which are rounded to float32.
"""

from __future__ import annotations

import enum


class Status(enum.IntEnum):
    """The C ABI's ``lumen_status`` numbers."""

    OK = 0
    NULL_POINTER = 1
    INVALID_ARGUMENT = 2
    LENGTH_MISMATCH = 3
    NON_FINITE_INPUT = 4
    MODEL_FAILED = 5
    MODEL_NON_FINITE_OUTPUT = 6
    MODEL_CAPABILITY_MISSING = 7
    BACKEND_UNAVAILABLE = 8
    BUDGET_TOO_SMALL = 9
    ABI_VERSION_MISMATCH = 10
    BUFFER_TOO_SMALL = 11
    INVALID_UTF8 = 12
    NOT_AVAILABLE = 13
    INTERNAL = 14
    PANIC = 15
    INVALID_STATE = 16
    OUT_OF_MEMORY = 17
    NON_FINITE_RESULT = 18
    CANCELLED = 19
    DEADLINE_EXCEEDED = 20
    ELEMENT_TYPE_MISMATCH = 21
    ELEMENT_TYPE_UNSUPPORTED = 22


class LumenError(Exception):
    """A failing Lumen call: ``status`` (a :class:`Status`) and Lumen's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        try:
            self.status: Status | int = Status(status)
        except ValueError:
            self.status = status
        self.message = message

    @property
    def status_name(self) -> str:
        """The C name of the status, e.g. ``LUMEN_STATUS_MODEL_FAILED``."""
        if isinstance(self.status, Status):
            return f"LUMEN_STATUS_{self.status.name}"
        return "LUMEN_STATUS_UNKNOWN"


class InvalidInputError(LumenError, ValueError):
    """Bad input from the caller."""


class ElementTypeMismatchError(InvalidInputError):
    """A buffer's element type does not match the model's: double values (an ``_f64``
    export or options field) for a float32 model, or float ones for a float64 model.
    The binding picks the exports and fields of the model's ``dtype`` itself, so this
    reaches Python only through the raw C ABI (:mod:`lumen._native`)."""


class ElementTypeUnsupportedError(InvalidInputError):
    """The element type is not supported where it was declared: a float64 model whose
    buffers live in device memory (Lumen's CUDA kernels build float32, float16 and
    bfloat16 rows)."""


class ModelError(LumenError, RuntimeError):
    """The model failed, wrote NaN/Inf, or lacks a callback the method needs."""


class ModelCallbackError(ModelError):
    """A Python model callable raised; the exception it raised is ``__cause__``."""


class NotAvailableError(LumenError, LookupError):
    """The value or backend asked for is not available."""


class InternalError(LumenError, RuntimeError):
    """A bug in Lumen (an internal invariant or a contained panic)."""


class OutOfMemoryError(LumenError, MemoryError):
    """Memory for the work could not be allocated; nothing was returned."""


class InvalidStateError(LumenError, RuntimeError):
    """Lumen refused the call in the current state: it came from inside a model callback
    (a callback must not call back into Lumen), or a handle is in use."""


class NonFiniteResultError(LumenError, ArithmeticError):
    """A result overflowed to ±Inf (or became NaN) although the inputs and the model's
    outputs were finite; the message names the value. Nothing was returned."""


class CancelledError(LumenError):
    """The call was cancelled: its :class:`lumen.CancelToken` was cancelled or its
    progress callback returned False. Nothing was returned; the engine and the model stay
    usable. (A Ctrl-C during a call re-raises ``KeyboardInterrupt`` instead.)"""


class DeadlineExceededError(LumenError, TimeoutError):
    """The call ran past its ``timeout``. Nothing was returned; the engine and the model
    stay usable."""


class PrecisionWarning(UserWarning):
    """Values were rounded to float32 for a float32 model (``dtype=numpy.float32``, the
    default): the caller gave numbers float32 cannot hold exactly (float64 data, large
    integers). Issued once per model. Declare the model with ``dtype=numpy.float64`` to
    explain it in double precision, or pass float32 values to round them knowingly."""


_CLASSES: dict[int, type[LumenError]] = {
    Status.MODEL_FAILED: ModelError,
    Status.MODEL_NON_FINITE_OUTPUT: ModelError,
    Status.MODEL_CAPABILITY_MISSING: ModelError,
    Status.BACKEND_UNAVAILABLE: NotAvailableError,
    Status.NOT_AVAILABLE: NotAvailableError,
    Status.INTERNAL: InternalError,
    Status.PANIC: InternalError,
    Status.INVALID_STATE: InvalidStateError,
    Status.OUT_OF_MEMORY: OutOfMemoryError,
    Status.NON_FINITE_RESULT: NonFiniteResultError,
    Status.CANCELLED: CancelledError,
    Status.DEADLINE_EXCEEDED: DeadlineExceededError,
    Status.ELEMENT_TYPE_MISMATCH: ElementTypeMismatchError,
    Status.ELEMENT_TYPE_UNSUPPORTED: ElementTypeUnsupportedError,
}


def error_for(status: int, message: str) -> LumenError:
    """The exception of a failing status."""
    return _CLASSES.get(status, InvalidInputError)(status, message)


def last_error_message() -> str:
    """``lumen_last_error_message()`` of the calling thread."""
    from ._native import lib

    raw = lib.lumen_last_error_message()
    return raw.decode("utf-8", "replace") if raw else ""


def check(status: int) -> None:
    """Raises the exception of ``status`` unless it is ``OK``."""
    if status != Status.OK:
        raise error_for(status, last_error_message())
