"""NumPy arrays and Python lists as Arrow arrays, built from their buffers.

``pyarrow.array`` imports pandas on first use, even for a NumPy array (its pandas shim asks
whether the input is a Series), which costs about 0.2 s: a third of a small run. Arrays of
numbers, booleans and strings, with or without missing values (``None``), are therefore
assembled here from their buffers with ``pyarrow.Array.from_buffers``, giving the types
``pyarrow.array`` gives (int64 for Python ints, double for floats or a mix of ints and floats,
string for text, null for nothing but ``None``; NaN stays a value, not a null). Anything else
(dates, nested values, mixed types) goes to ``pyarrow.array`` itself, errors included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

_INT32_MAX = 2**31 - 1


def to_arrow(values: Any) -> pa.Array:
    """``values`` (a NumPy array or any sequence) as an Arrow array."""
    if isinstance(values, np.ndarray):
        out = _from_numpy(values) if values.ndim == 1 else None
    else:
        values = list(values)
        out = _from_list(values)
    return out if out is not None else pa.array(values)


def _validity(valid: np.ndarray | None) -> tuple[pa.Buffer | None, int]:
    if valid is None or valid.all():
        return None, 0
    return pa.py_buffer(np.packbits(valid, bitorder="little")), int(valid.size - valid.sum())


def _from_numpy(arr: np.ndarray, valid: np.ndarray | None = None) -> pa.Array | None:
    kind = arr.dtype.kind
    if kind == "O" and valid is None:
        return _from_list(arr.tolist())
    if kind == "U" or kind == "O":
        return _strings(arr.tolist(), valid)
    if not arr.dtype.isnative or kind not in "iufb":
        return None
    mask, nulls = _validity(valid)
    if kind == "b":
        data = pa.py_buffer(np.packbits(arr, bitorder="little"))
        return pa.Array.from_buffers(pa.bool_(), arr.size, [mask, data], null_count=nulls)
    data = pa.py_buffer(np.ascontiguousarray(arr))
    return pa.Array.from_buffers(pa.from_numpy_dtype(arr.dtype), arr.size, [mask, data],
                                 null_count=nulls)


def _from_list(items: list[Any]) -> pa.Array | None:
    if not items:
        return pa.nulls(0)
    valid = np.fromiter((v is not None for v in items), dtype=bool, count=len(items))
    present = items if valid.all() else [v for v in items if v is not None]
    if not present:
        return pa.nulls(len(items))
    kinds = {type(v) for v in present}
    if kinds <= {str}:
        return _strings(items, None if valid.all() else valid)
    if len(kinds) > 1 and (str in kinds or bool in kinds or np.bool_ in kinds):
        return None  # mixed text/flags and numbers: pyarrow's conversion decides (an error)
    try:
        arr = np.asarray(present)
    except (ValueError, TypeError, OverflowError):
        return None
    if arr.ndim != 1 or arr.dtype.kind not in "iufb":
        return None
    if valid.all():
        return _from_numpy(arr)
    full = np.zeros(len(items), dtype=arr.dtype)
    full[valid] = arr
    return _from_numpy(full, valid)


def _strings(items: Sequence[Any], valid: np.ndarray | None) -> pa.Array | None:
    if not all(isinstance(v, str) for v in items if v is not None):
        return None
    encoded = [b"" if v is None else v.encode("utf-8") for v in items]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    if offsets[-1] > _INT32_MAX:
        return None
    mask, nulls = _validity(valid)
    return pa.Array.from_buffers(pa.string(), len(encoded),
                                 [mask, pa.py_buffer(offsets.astype(np.int32)),
                                  pa.py_buffer(b"".join(encoded))], null_count=nulls)
