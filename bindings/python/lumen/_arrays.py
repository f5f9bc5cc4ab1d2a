"""Conversions between Python values and the C ABI's pointer + length pairs. Every
converted array is returned with the object that keeps its memory alive."""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _native
from .errors import InvalidInputError, Status


def required(value: Any, name: str) -> Any:
    """``value``, or InvalidInputError (status NULL_POINTER) when it is None."""
    if value is None:
        raise InvalidInputError(Status.NULL_POINTER, f"{name}: is None, expected an array")
    return value


def as_array(value: Any, dtype: Any, name: str) -> np.ndarray:
    """A C-contiguous array of ``dtype`` (one-dimensional view), or InvalidInputError when
    ``value`` holds something that is not a number."""
    try:
        array = np.ascontiguousarray(value, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: {error}") from error
    return array.reshape(-1)


def pointer(array: np.ndarray | None, ctype: Any) -> Any:
    """A typed pointer to ``array``'s data, NULL for None or an empty array."""
    if array is None or array.size == 0:
        return ctypes.POINTER(ctype)()
    return array.ctypes.data_as(ctypes.POINTER(ctype))


def floats(value: Any, name: str) -> np.ndarray:
    """float32 values."""
    return as_array(required(value, name), np.float32, name)


def indices(value: Any, name: str, dtype: Any = np.uint32) -> np.ndarray:
    """Non-negative integer values (uint32 unless told), InvalidInputError otherwise."""
    raw = np.asarray(required(value, name))
    if raw.size and not np.issubdtype(raw.dtype, np.integer):
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: expected integers, got {raw.dtype}")
    if raw.size and raw.min() < 0:
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: holds a negative index {raw.min()}")
    return as_array(raw, dtype, name)


class Strings:
    """NUL-terminated UTF-8 copies of ``names`` and an array of pointers to them."""

    def __init__(self, names: Sequence[str] | None, name: str) -> None:
        self.encoded = []
        if names is not None:
            if isinstance(names, str):
                raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: expected a list of strings, got a string")
            for item in names:
                if not isinstance(item, str):
                    raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: holds {item!r}, expected strings")
                self.encoded.append(item.encode("utf-8"))
        self.array = (ctypes.c_char_p * max(len(self.encoded), 1))(*self.encoded)

    def __len__(self) -> int:
        return len(self.encoded)

    def pointer(self) -> Any:
        """The ``const char *const *`` of the list (NULL when empty)."""
        if not self.encoded:
            return _native.c_char_pp()
        return ctypes.cast(self.array, _native.c_char_pp)


class Keep:
    """Keeps converted arrays alive for the duration of one C call."""

    def __init__(self) -> None:
        self.objects: list[Any] = []

    def floats(self, value: Any, name: str) -> tuple[Any, int]:
        array = floats(value, name)
        self.objects.append(array)
        return pointer(array, ctypes.c_float), array.size

    def doubles(self, value: Any, name: str) -> tuple[Any, int]:
        array = as_array(required(value, name), np.float64, name)
        self.objects.append(array)
        return pointer(array, ctypes.c_double), array.size

    def uint32s(self, value: Any, name: str) -> tuple[Any, int]:
        array = indices(value, name)
        self.objects.append(array)
        return pointer(array, ctypes.c_uint32), array.size

    def sizes(self, value: Any, name: str) -> tuple[Any, int]:
        array = indices(value, name, np.uintp)
        self.objects.append(array)
        return pointer(array, ctypes.c_size_t), array.size

    def strings(self, names: Sequence[str] | None, name: str) -> tuple[Any, int]:
        strings = Strings(names, name)
        self.objects.append(strings)
        return strings.pointer(), len(strings)
