"""Conversions between Python values and the C ABI's pointer + length pairs. Every
converted array is returned with the object that keeps its memory alive. A model's
values travel in its element type (:class:`Element`: float32 or float64)."""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from . import _native
from .errors import InvalidInputError, Status


def required(value: Any, name: str) -> Any:
    """``value``, or InvalidInputError (status NULL_POINTER) when it is None."""
    if value is None:
        raise InvalidInputError(Status.NULL_POINTER, f"{name}: is None, expected an array")
    return value


def choice(table: dict[str, int], value: str, name: str) -> int:
    """The C enum number ``table`` gives the name ``value``, or InvalidInputError listing
    the names."""
    if value not in table:
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: is {value!r}, expected one of {sorted(table)}")
    return table[value]


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


@dataclass(frozen=True)
class Element:
    """An element type of a model's buffers: its numpy type, C type, ``LUMEN_ELEMENT_*``
    code, and the suffix of its exports, callbacks and options fields (``""`` for float,
    ``"_f64"`` for double)."""

    name: str
    numpy: type[np.floating[Any]]
    ctype: Any
    code: int
    suffix: str

    def field(self, name: str) -> str:
        """The name of ``name``'s twin for this element type (``baseline`` → ``baseline_f64``)."""
        return name + self.suffix


F32 = Element("float32", np.float32, ctypes.c_float, _native.ELEMENT_F32, "")
F64 = Element("float64", np.float64, ctypes.c_double, _native.ELEMENT_F64, "_f64")


def element(dtype: DTypeLike) -> Element:
    """The element type of a model's ``dtype`` (``numpy.float32``, ``numpy.float64`` or a
    name numpy reads as one of them), InvalidInputError for anything else."""
    if dtype is None:
        raise InvalidInputError(Status.INVALID_ARGUMENT, "dtype: is None, expected numpy.float32 or numpy.float64")
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise InvalidInputError(Status.INVALID_ARGUMENT, f"dtype: {error}") from error
    for candidate in (F32, F64):
        if resolved == candidate.numpy:
            return candidate
    raise InvalidInputError(Status.INVALID_ARGUMENT, f"dtype: is {dtype!r}, expected numpy.float32 or numpy.float64")


def rounds(array: np.ndarray, value: Any) -> bool:
    """Whether converting ``value`` to ``array`` (its flat copy in another type) changed a
    number: float64 data float32 cannot hold, integers beyond its 24-bit mantissa."""
    source = np.asarray(value)
    if source.dtype == array.dtype or source.dtype.kind not in "fiu":
        return False
    return bool(np.any((array != source.reshape(-1)) & ~np.isnan(array)))


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
    """Keeps converted arrays alive for the duration of one C call. ``element`` is the
    explained model's element type (what :meth:`values` converts to); ``rounded(name)`` is
    told when :meth:`values` or :meth:`scalar` rounds the caller's numbers to float32."""

    def __init__(self, element: Element = F32, rounded: Callable[[str], None] | None = None) -> None:
        self.objects: list[Any] = []
        self.element = element
        self.rounded = rounded

    def _model_values(self, value: Any, name: str) -> np.ndarray:
        array = as_array(required(value, name), self.element.numpy, name)
        if self.rounded is not None and self.element is F32 and rounds(array, value):
            self.rounded(name)
        return array

    def values(self, value: Any, name: str) -> tuple[Any, int]:
        """``value`` in the model's element type, exactly for a float64 model (float32
        values widen exactly): its pointer and length."""
        array = self._model_values(value, name)
        self.objects.append(array)
        return pointer(array, self.element.ctype), array.size

    def into(self, struct: Any, field: str, value: Any, name: str | None = None) -> None:
        """Points ``struct``'s ``field`` (its ``_f64`` twin for a float64 model) at
        ``value`` converted by :meth:`values`, and sets ``{field}_len``."""
        pointer, length = self.values(value, name or field)
        setattr(struct, self.element.field(field), pointer)
        setattr(struct, f"{field}_len", length)

    def scalar(self, value: Any, name: str) -> float:
        """One number in the model's element type (as a Python float)."""
        array = self._model_values(value, name)
        if array.size != 1:
            raise InvalidInputError(Status.INVALID_ARGUMENT, f"{name}: expected one number, got {array.size}")
        return float(array[0])

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
