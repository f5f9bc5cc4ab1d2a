"""Stopping and watching an explanation: :class:`CancelToken`, deadlines, progress
callbacks, and Ctrl-C.

Every explaining method of :class:`lumen.Engine` takes the keyword-only arguments

* ``timeout`` (seconds, > 0): the call stops with :class:`lumen.DeadlineExceededError`
  (a ``TimeoutError``) once it has run that long;
* ``progress``: ``progress(fraction) -> bool | None`` is called with the fraction of the
  call's model rows done so far (in [0, 1], never decreasing; 1.0 once, when the call
  succeeds); returning ``False`` stops the call with :class:`lumen.CancelledError`. It runs
  on an engine thread, one call at a time; whatever it raises stops the call and is
  re-raised by the Engine method after the call has returned;
* ``cancel``: a :class:`CancelToken`; ``token.cancel()`` from any thread (also from a model
  or progress callback) stops every call that watches it with
  :class:`lumen.CancelledError`;
* ``max_model_threads`` (>= 1): the most calls of a ``concurrent`` model that this call
  lets overlap (the rest of the engine's threads stay free for other callers).

A stopped call ends within one model batch of the trigger (the engine checks before every
batch and inside long compute phases), frees what it held and leaves the engine and the
model usable.

Ctrl-C: Python runs signal handlers only on the main thread, and only between bytecodes,
never while the thread is inside a foreign call. So an Engine method called from the main
thread makes its foreign call on a helper thread and waits for it in short slices; a
``KeyboardInterrupt`` (or any exception a signal handler raises) while it waits cancels the
call through its own cancel token, waits for the call to return, frees its result if it
had one, and re-raises. A second Ctrl-C while the cancelled call winds down (a model batch
that is still running) stops waiting at once: the helper thread then frees what the call
returns when it does. Calls from other threads (and from inside model callbacks, where
Lumen refuses them with :class:`lumen.InvalidStateError`) run on the calling thread.
"""

from __future__ import annotations

import ctypes
import math
import os
import queue
import threading
from collections.abc import Sequence
from typing import Any, Callable, Optional, Union

import numpy as np

from . import _native
from .errors import InvalidInputError, InvalidStateError, Status, check, last_error_message

#: ``progress(fraction) -> bool | None``: ``False`` stops the call; ``None`` or ``True`` go on.
ProgressFn = Callable[[float], Optional[bool]]

#: How long the main thread waits for the helper thread between checks for signals (s).
_WAIT_SLICE = 0.05
_MAX_TIMEOUT_MS = 2**64 - 1
_MAX_MODEL_THREADS = 2**32 - 1


class CancelToken:
    """A cancellation flag that explanations watch (``cancel=`` of every Engine method).

    :meth:`cancel` stops every running call that watches the token: each raises
    :class:`lumen.CancelledError` within one model batch, after freeing what it held. The
    token stays cancelled, so calls started later stop at once, until :meth:`reset`.
    Thread-safe: any thread may cancel it, also a model or progress callback. One token may
    be watched by many calls on many threads. It wraps a ``lumen_cancel_token``; free it
    with :meth:`close` or a ``with`` block (garbage collection frees it too). Each call
    watches a token of its own that this one cancels, so closing this token never pulls
    one out from under a running call.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: set[Call] = set()
        self._handle = ctypes.c_void_p()
        check(_native.lib.lumen_cancel_token_new(ctypes.byref(self._handle)))

    def _live(self) -> ctypes.c_void_p:
        if not self._handle:
            raise InvalidStateError(Status.INVALID_STATE, "CancelToken: is closed")
        return self._handle

    def cancel(self) -> None:
        """Cancels every call that watches this token, now and until :meth:`reset`."""
        with self._lock:
            check(_native.lib.lumen_cancel_token_cancel(self._live()))
            calls = list(self._calls)
        for call in calls:
            call.cancel()

    def reset(self) -> None:
        """Makes the token usable for new calls; calls it already stopped stay stopped."""
        with self._lock:
            check(_native.lib.lumen_cancel_token_reset(self._live()))

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called and :meth:`reset` not since."""
        out = ctypes.c_uint32()
        with self._lock:
            check(_native.lib.lumen_cancel_token_is_cancelled(self._live(), ctypes.byref(out)))
        return bool(out.value)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` freed the token."""
        return not getattr(self, "_handle", None)

    def close(self) -> None:
        """Frees the token (idempotent). Calls that watch it go on unaffected; the token
        can no longer be cancelled, reset or watched."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            handle, self._handle = self._handle, ctypes.c_void_p()
        if handle:
            _native.lib.lumen_cancel_token_free(handle)

    def __enter__(self) -> CancelToken:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.closed:
            return "<lumen.CancelToken closed>"
        return f"<lumen.CancelToken {'cancelled' if self.cancelled else 'not cancelled'}>"

    def _watch(self, call: Call) -> None:
        """Lets ``call`` watch this token until :meth:`_unwatch`; a cancelled token stops
        it at once."""
        out = ctypes.c_uint32()
        with self._lock:
            check(_native.lib.lumen_cancel_token_is_cancelled(self._live(), ctypes.byref(out)))
            self._calls.add(call)
        if out.value:
            call.cancel()

    def _unwatch(self, call: Call) -> None:
        with self._lock:
            self._calls.discard(call)


def _timeout_ms(timeout: float | None) -> int:
    if timeout is None:
        return 0
    try:
        seconds = float(timeout)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"timeout: is {timeout!r}, expected seconds > 0") from error
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"timeout: is {timeout!r}, expected seconds > 0 (or None)")
    return min(max(1, math.ceil(seconds * 1000.0)), _MAX_TIMEOUT_MS)


def _max_model_threads(value: int | None) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_MODEL_THREADS:
        raise InvalidInputError(
            Status.INVALID_ARGUMENT, f"max_model_threads: is {value!r}, expected an int >= 1 (or None: the engine's)"
        )
    return value


#: One row key: an int in [0, 2**64), or an identifier (str as UTF-8, or bytes) hashed
#: by :func:`row_key`.
RowKey = Union[int, str, bytes]
#: One key per explained row (per sequence for TimeSHAP).
RowKeys = Sequence[RowKey]

_U64 = 1 << 64


def row_key(identifier: RowKey) -> int:
    """The row key of ``identifier``: an int in [0, 2**64) is its own key; a str (as UTF-8)
    or bytes is hashed by ``lumen_row_key_of_bytes``, so an application id gives the same
    key in Python, Java, C++ and the ``lumen`` command's ``--id-column``."""
    if isinstance(identifier, str):
        identifier = identifier.encode("utf-8")
    if isinstance(identifier, (bytes, bytearray)):
        key = ctypes.c_uint64()
        check(_native.lib.lumen_row_key_of_bytes(bytes(identifier), len(identifier), ctypes.byref(key)))
        return key.value
    if isinstance(identifier, (int, np.integer)) and not isinstance(identifier, bool) and 0 <= identifier < _U64:
        return int(identifier)
    raise InvalidInputError(
        Status.INVALID_ARGUMENT, f"row key: is {identifier!r}, expected an int in [0, 2**64), a str or bytes"
    )


def _seed(seed: int | None) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and 0 <= seed < _U64:
        return int(seed)
    raise InvalidInputError(Status.INVALID_ARGUMENT, f"seed: is {seed!r}, expected an int in [0, 2**64) (or None)")


def _row_keys(row_keys: RowKeys | None) -> np.ndarray | None:
    if row_keys is None:
        return None
    if isinstance(row_keys, (str, bytes)):
        raise InvalidInputError(
            Status.INVALID_ARGUMENT, "row_keys: is one str, expected one key per row (a list of ints or ids)"
        )
    keys = []
    if len(row_keys) == 0:
        raise InvalidInputError(Status.INVALID_ARGUMENT, "row_keys: is empty, expected one key per row (or None)")
    for i, identifier in enumerate(row_keys):
        try:
            keys.append(row_key(identifier))
        except InvalidInputError as error:
            raise InvalidInputError(Status.INVALID_ARGUMENT, f"row_keys[{i}]: {error}") from None
    return np.ascontiguousarray(keys, dtype=np.uint64)


def _row_targets(row_targets: Sequence[int] | None) -> np.ndarray | None:
    if row_targets is None:
        return None
    targets = np.asarray(row_targets)
    if targets.ndim != 1 or len(targets) == 0 or not np.issubdtype(targets.dtype, np.integer) or (targets < 0).any():
        raise InvalidInputError(
            Status.INVALID_ARGUMENT,
            f"row_targets: is {row_targets!r}, expected one output index >= 0 per row (a 1-D list of ints)",
        )
    if (targets >= 1 << 32).any():
        raise InvalidInputError(Status.INVALID_ARGUMENT, "row_targets: an index is too large for an output")
    return np.ascontiguousarray(targets, dtype=np.uint32)


class Call:
    """One explain call's control: the ``lumen_call_control`` its options point to, and
    the cancel token of its own that Ctrl-C, the caller's :class:`CancelToken` and the
    progress callback's exceptions trigger. Internal to the Engine methods."""

    def __init__(
        self,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        max_model_threads: int | None = None,
        seed: int | None = None,
        row_keys: RowKeys | None = None,
        row_targets: Sequence[int] | None = None,
    ) -> None:
        if cancel is not None and not isinstance(cancel, CancelToken):
            raise InvalidInputError(Status.INVALID_ARGUMENT, f"cancel: is {cancel!r}, expected a lumen.CancelToken")
        if progress is not None and not callable(progress):
            raise InvalidInputError(Status.INVALID_ARGUMENT, f"progress: is {progress!r}, expected a callable")
        self.control = _native.lib.lumen_call_control_default()
        self.control.timeout_ms = _timeout_ms(timeout)
        self.control.max_model_threads = _max_model_threads(max_model_threads)
        call_seed = _seed(seed)
        if call_seed is not None:
            self.control.seed = call_seed
            self.control.has_seed = 1
        self._row_keys = _row_keys(row_keys)
        if self._row_keys is not None:
            self.control.row_keys = self._row_keys.ctypes.data
            self.control.n_row_keys = len(self._row_keys)
        self._row_targets = _row_targets(row_targets)
        if self._row_targets is not None:
            self.control.row_targets = self._row_targets.ctypes.data
            self.control.n_row_targets = len(self._row_targets)
        self._progress = progress
        self._c_progress: Any = None
        if progress is not None:
            self._c_progress = _native.PROGRESS_FN(self._on_progress)
            self.control.progress = self._c_progress
        #: What the progress callback raised (the first exception), re-raised by the Engine.
        self.progress_error: BaseException | None = None
        self._user_token = cancel
        self._lock = threading.Lock()
        self._token = ctypes.c_void_p()
        self._opened = False

    def attach(self, options: Any) -> None:
        """Points ``options.control`` at this call's control (kept alive by this object)."""
        options.control = ctypes.addressof(self.control)

    def open(self, own_token: bool) -> None:
        """Creates the call's own token when ``own_token`` or the caller gave one (only a
        token can stop a call from outside), and starts watching the caller's token."""
        if own_token or self._user_token is not None:
            check(_native.lib.lumen_cancel_token_new(ctypes.byref(self._token)))
            self.control.cancel = self._token
        self._opened = True
        if self._user_token is not None:
            try:
                self._user_token._watch(self)
            except BaseException:
                self.close()
                raise

    def cancel(self) -> None:
        """Stops the call (thread-safe; a no-op once it has returned)."""
        with self._lock:
            if self._token:
                check(_native.lib.lumen_cancel_token_cancel(self._token))

    def close(self) -> None:
        """Stops watching the caller's token and frees the call's own (after the call)."""
        if not self._opened:
            return
        self._opened = False
        if self._user_token is not None:
            self._user_token._unwatch(self)
        with self._lock:
            token, self._token = self._token, ctypes.c_void_p()
        if token:
            _native.lib.lumen_cancel_token_free(token)

    def _on_progress(self, _user_data: Any, fraction: float) -> int:
        """The C progress callback: never unwinds into Lumen."""
        try:
            assert self._progress is not None
            go_on = self._progress(fraction)
            return 0 if go_on is None or go_on else 1
        except BaseException as error:  # noqa: BLE001 - nothing may unwind through the C ABI
            if self.progress_error is None:
                self.progress_error = error
            return 1


class _Helper:
    """A helper thread that makes the foreign calls of main-thread Engine methods, one at
    a time. Idle helpers are kept (a few) for the next call: starting a thread costs far
    more than handing it a call."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="lumen-call", daemon=True)
        self._thread.start()

    def submit(self, worker: _Worker) -> None:
        self._jobs.put(worker)

    def _loop(self) -> None:
        while self._jobs.get().run_here(self):
            pass


#: Idle helpers, and how many are kept.
_IDLE: list[_Helper] = []
_IDLE_LOCK = threading.Lock()
_IDLE_KEPT = 2


def _helper() -> _Helper:
    with _IDLE_LOCK:
        if _IDLE:
            return _IDLE.pop()
    return _Helper()


def _park(helper: _Helper) -> bool:
    """Keeps ``helper`` for a later call; False when enough are kept (it then ends)."""
    with _IDLE_LOCK:
        if len(_IDLE) < _IDLE_KEPT:
            _IDLE.append(helper)
            return True
        return False


def _forget_helpers() -> None:
    """In a forked child the helpers' threads do not exist."""
    global _IDLE_LOCK
    _IDLE_LOCK = threading.Lock()
    _IDLE.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers)


class _Worker:
    """One foreign call of a main-thread Engine method, made on a helper thread."""

    def __init__(self, call: Call, function: Callable[[], int], discard: Callable[[int, str], None]) -> None:
        self._call = call
        self._function = function
        self._discard = discard
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._abandoned = False
        self.status = int(Status.INTERNAL)
        self.message = ""
        self.error: BaseException | None = None

    def start(self) -> None:
        _helper().submit(self)

    def run_here(self, helper: _Helper) -> bool:
        """Makes the call on ``helper``'s thread; returns whether the helper stays."""
        try:
            self.status, self.message = _run(self._function)
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
            self.error = error
        with self._lock:
            abandoned = self._abandoned
            if not abandoned:
                # Parked before the waiting thread wakes, so its next call reuses it.
                keep = _park(helper)
                self._done.set()
        if abandoned:
            self.finish_here()
            keep = _park(helper)
        return keep

    def wait(self) -> None:
        """Waits for the call to return, in slices so that signal handlers run."""
        while not self._done.wait(_WAIT_SLICE):
            pass

    def finish_here(self) -> None:
        """After the call returned, unused: discards its result and frees its token."""
        if self.error is None:
            self._discard(self.status, self.message)
        self._call.close()

    def abandon(self) -> bool:
        """Leaves the rest of the call (discarding its result, freeing its token) to the
        helper thread; False when the call has returned already."""
        with self._lock:
            if self._done.is_set():
                return False
            self._abandoned = True
            return True


def _run(function: Callable[[], int]) -> tuple[int, str]:
    """``function()``'s status and, when it failed, the calling thread's error message."""
    status = int(function())
    return status, (last_error_message() if status != Status.OK else "")


def invoke(call: Call, function: Callable[[], int], discard: Callable[[int, str], None]) -> tuple[int, str]:
    """Runs the foreign call ``function()`` (returning a ``lumen_status``) under ``call``'s
    control and returns its status and error message. From the main thread the call runs
    on a helper thread so that Ctrl-C (any exception a signal handler raises) cancels it:
    then ``discard(status, message)`` releases what the call returned, and the exception
    is re-raised once the call has returned (see the module's documentation)."""
    if threading.current_thread() is not threading.main_thread():
        call.open(own_token=False)
        try:
            return _run(function)
        finally:
            call.close()
    call.open(own_token=True)
    worker = _Worker(call, function, discard)
    try:
        worker.start()
    except BaseException:
        # Interrupted (or failed) while handing the call over: it may or may not run.
        # Never wait for it here; if it runs, it stops at once and cleans up after itself.
        call.cancel()
        if not worker.abandon():
            worker.finish_here()
        raise
    try:
        worker.wait()
    except BaseException:
        call.cancel()
        try:
            worker.wait()
        except BaseException:
            if worker.abandon():
                raise
        worker.finish_here()
        raise
    call.close()
    if worker.error is not None:
        raise worker.error
    return worker.status, worker.message
