"""Screening raw telemetry lines before any native parser sees them.

Arrow's JSON reader crashes the process on some inputs (``null`` as a record, nesting a
million levels deep) and lets invalid UTF-8 through into string columns, where it fails later.
So every JSON line is first checked here by a compiled scanner, one pass over the bytes: the
line must be one flat JSON object whose keys are known columns (spelled without escapes),
each at most once, with a value of the column's type (string, number, integer, boolean or
null), valid UTF-8 in every string, and no integer beyond 2^53 (a float cannot hold it
exactly). Only lines that pass reach Arrow, in one bulk parse; the others are quarantined
(:data:`OK` and the other codes below), or, for the few legal but unusual spellings
(:data:`SLOW`: escaped keys, unknown keys without a value), decoded in Python.

The same UTF-8 check serves CSV lines and the string columns of Parquet files.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

from twins.records import COLUMNS

OK, BAD_UTF8, NOT_OBJECT, SYNTAX, NESTED, BIG_INT, WRONG_TYPE, DUPLICATE, UNKNOWN, SLOW, \
    OVERFLOW = range(11)
#: Column type codes of the scanner.
T_STRING, T_FLOAT, T_INT, T_BOOL = range(4)

_NAMES = list(COLUMNS)
_KEY_BYTES = np.frombuffer("".join(_NAMES).encode(), np.uint8).copy()
_KEY_OFF = np.r_[0, np.cumsum([len(n) for n in _NAMES])].astype(np.int64)


def type_code(name: str) -> int:
    """The scanner's type code (:data:`T_STRING`, ...) of column ``name``."""
    t = COLUMNS[name]
    if pa.types.is_string(t):
        return T_STRING
    if pa.types.is_floating(t):
        return T_FLOAT
    if pa.types.is_integer(t):
        return T_INT
    return T_BOOL


_KEY_TYPE = np.array([type_code(n) for n in _NAMES], np.int64)


@njit(cache=True, inline="always")
def _ws(b: int) -> bool:
    return b == 32 or b == 9 or b == 13 or b == 10


@njit(cache=True)
def _utf8_at(u: np.ndarray, i: int, end: int) -> int:
    """Length of the valid UTF-8 sequence starting at ``u[i]`` (a byte >= 0x80), 0 if bad."""
    b = u[i]
    if 0xC2 <= b <= 0xDF:
        n, lo, hi = 2, 0x80, 0xBF
    elif b == 0xE0:
        n, lo, hi = 3, 0xA0, 0xBF
    elif 0xE1 <= b <= 0xEC or 0xEE <= b <= 0xEF:
        n, lo, hi = 3, 0x80, 0xBF
    elif b == 0xED:
        n, lo, hi = 3, 0x80, 0x9F
    elif b == 0xF0:
        n, lo, hi = 4, 0x90, 0xBF
    elif 0xF1 <= b <= 0xF3:
        n, lo, hi = 4, 0x80, 0xBF
    elif b == 0xF4:
        n, lo, hi = 4, 0x80, 0x8F
    else:
        return 0
    if i + n > end:
        return 0
    if not lo <= u[i + 1] <= hi:
        return 0
    for k in range(2, n):
        if not 0x80 <= u[i + k] <= 0xBF:
            return 0
    return n


@njit(cache=True)
def _hex4(u: np.ndarray, i: int, end: int) -> int:
    """Value of 4 hex digits at ``i``, -1 if not."""
    if i + 4 > end:
        return -1
    v = 0
    for k in range(4):
        c = u[i + k]
        if 48 <= c <= 57:
            d = c - 48
        elif 65 <= c <= 70:
            d = c - 55
        elif 97 <= c <= 102:
            d = c - 87
        else:
            return -1
        v = v * 16 + d
    return v


@njit(cache=True)
def _string(u: np.ndarray, i: int, end: int) -> tuple[int, int, bool]:
    """Scan a JSON string whose opening quote is at ``i - 1``.

    Returns (index after the closing quote or -1, error code, has_escape); error code is
    OK, SYNTAX or BAD_UTF8.
    """
    esc = False
    while i < end:
        b = u[i]
        if b == 34:
            return i + 1, OK, esc
        if b == 92:
            esc = True
            if i + 1 >= end:
                return -1, SYNTAX, esc
            c = u[i + 1]
            if c == 117:  # \uXXXX, surrogates only in pairs
                v = _hex4(u, i + 2, end)
                if v < 0:
                    return -1, SYNTAX, esc
                i += 6
                if 0xD800 <= v <= 0xDBFF:
                    if i + 1 < end and u[i] == 92 and u[i + 1] == 117:
                        w = _hex4(u, i + 2, end)
                        if 0xDC00 <= w <= 0xDFFF:
                            i += 6
                            continue
                    return -1, BAD_UTF8, esc
                if 0xDC00 <= v <= 0xDFFF:
                    return -1, BAD_UTF8, esc
                continue
            if c in (34, 92, 47, 98, 102, 110, 114, 116):
                i += 2
                continue
            return -1, SYNTAX, esc
        if b < 0x20:
            return -1, SYNTAX, esc
        if b >= 0x80:
            n = _utf8_at(u, i, end)
            if n == 0:
                return -1, BAD_UTF8, esc
            i += n
            continue
        i += 1
    return -1, SYNTAX, esc


@njit(cache=True)
def _number(u: np.ndarray, i: int, end: int) -> tuple[int, int, bool]:
    """Scan a JSON number at ``i``: (index after it or -1, OK/BIG_INT/OVERFLOW, is_integer)."""
    if u[i] == 45:
        i += 1
    if i >= end or not 48 <= u[i] <= 57:
        return -1, SYNTAX, False
    lead = i
    if u[i] == 48:
        i += 1
    else:
        while i < end and 48 <= u[i] <= 57:
            i += 1
    int_digits = i - lead
    integer = True
    if i < end and u[i] == 46:
        integer = False
        i += 1
        if i >= end or not 48 <= u[i] <= 57:
            return -1, SYNTAX, False
        while i < end and 48 <= u[i] <= 57:
            i += 1
    exp = 0
    if i < end and (u[i] == 101 or u[i] == 69):
        integer = False
        i += 1
        sign = 1
        if i < end and (u[i] == 43 or u[i] == 45):
            sign = -1 if u[i] == 45 else 1
            i += 1
        if i >= end or not 48 <= u[i] <= 57:
            return -1, SYNTAX, False
        while i < end and 48 <= u[i] <= 57:
            if exp < 100000:
                exp = exp * 10 + (u[i] - 48)
            i += 1
        exp *= sign
    if integer:
        if int_digits > 16:
            return i, BIG_INT, True
        if int_digits == 16:
            v = 0
            for k in range(lead, lead + 16):
                v = v * 10 + (u[k] - 48)
            if v > 9007199254740992:
                return i, BIG_INT, True
        return i, OK, True
    if u[lead] != 48 and int_digits - 1 + exp > 307:
        return i, OVERFLOW, False
    return i, OK, False


@njit(cache=True)
def _key_index(u: np.ndarray, a: int, b: int, key_bytes: np.ndarray,
               key_off: np.ndarray) -> int:
    n = b - a
    for k in range(len(key_off) - 1):
        s, e = key_off[k], key_off[k + 1]
        if e - s != n:
            continue
        same = True
        for j in range(n):
            if u[a + j] != key_bytes[s + j]:
                same = False
                break
        if same:
            return k
    return -1


@njit(cache=True)
def _screen_line(u: np.ndarray, i: int, end: int, key_bytes: np.ndarray, key_off: np.ndarray,
                 key_type: np.ndarray) -> tuple[int, int]:
    """(code, column index or -1) of one line ``u[i:end]``."""
    while i < end and _ws(u[i]):
        i += 1
    if i >= end or u[i] != 123:
        return NOT_OBJECT, -1
    i += 1
    seen = np.int64(0)
    slow = False
    first = True
    while True:
        while i < end and _ws(u[i]):
            i += 1
        if i >= end:
            return SYNTAX, -1
        if u[i] == 125 and first:
            i += 1
            break
        if u[i] != 34:
            return SYNTAX, -1
        ka = i + 1
        i, err, kesc = _string(u, ka, end)
        if err != OK:
            return err, -1
        col = -1 if kesc else _key_index(u, ka, i - 1, key_bytes, key_off)
        while i < end and _ws(u[i]):
            i += 1
        if i >= end or u[i] != 58:
            return SYNTAX, col
        i += 1
        while i < end and _ws(u[i]):
            i += 1
        if i >= end:
            return SYNTAX, col
        c = u[i]
        vtype = -1  # -1 null, else a T_ code; T_INT for integer numbers
        empty = False
        if c == 34:
            va = i + 1
            i, err, _ = _string(u, va, end)
            if err != OK:
                return err, col
            vtype = T_STRING
            empty = i - 1 == va
        elif c == 45 or 48 <= c <= 57:
            i, err, integer = _number(u, i, end)
            if i < 0:
                return SYNTAX, col
            if err != OK:
                return err, col
            vtype = T_INT if integer else T_FLOAT
        elif c == 116 and i + 4 <= end and u[i + 1] == 114 and u[i + 2] == 117 \
                and u[i + 3] == 101:
            i += 4
            vtype = T_BOOL
        elif c == 102 and i + 5 <= end and u[i + 1] == 97 and u[i + 2] == 108 \
                and u[i + 3] == 115 and u[i + 4] == 101:
            i += 5
            vtype = T_BOOL
        elif c == 110 and i + 4 <= end and u[i + 1] == 117 and u[i + 2] == 108 \
                and u[i + 3] == 108:
            i += 4
        elif c == 123 or c == 91:
            return NESTED, col
        else:
            return SYNTAX, col
        if col >= 0:
            bit = np.int64(1) << col
            if seen & bit:
                return DUPLICATE, col
            seen |= bit
            want = key_type[col]
            if vtype >= 0 and vtype != want and not (want == T_FLOAT and vtype == T_INT):
                return WRONG_TYPE, col
        elif kesc or vtype == -1 or (vtype == T_STRING and empty):
            slow = True  # an escaped key, or an unknown key without a value: decoded in Python
        else:
            return UNKNOWN, -1
        first = False
        while i < end and _ws(u[i]):
            i += 1
        if i >= end:
            return SYNTAX, -1
        if u[i] == 44:
            i += 1
            continue
        if u[i] == 125:
            i += 1
            break
        return SYNTAX, -1
    while i < end and _ws(u[i]):
        i += 1
    if i < end:
        return SYNTAX, -1
    return (SLOW if slow else OK), -1


@njit(cache=True)
def _screen_lines(u: np.ndarray, starts: np.ndarray, ends: np.ndarray, key_bytes: np.ndarray,
                  key_off: np.ndarray, key_type: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(starts)
    code = np.zeros(n, np.int8)
    col = np.full(n, -1, np.int16)
    for k in range(n):
        c, f = _screen_line(u, starts[k], ends[k], key_bytes, key_off, key_type)
        code[k] = c
        col[k] = f
    return code, col


def screen_json(buf: bytes, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Screen JSON lines ``buf[starts[k]:ends[k]]``: a code per line and the column it names.

    Returns
    -------
    code, column
        ``int8`` screening code (:data:`OK`, ...) and ``int16`` index into
        :data:`twins.records.COLUMNS` of the offending field (-1 when none or unknown).
    """
    u = np.frombuffer(buf, np.uint8)
    return _screen_lines(u, starts.astype(np.int64), ends.astype(np.int64), _KEY_BYTES,
                         _KEY_OFF, _KEY_TYPE)


@njit(cache=True)
def _utf8_lines(u: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    n = len(starts)
    bad = np.full(n, -1, np.int64)
    for k in range(n):
        i, end = starts[k], ends[k]
        while i < end:
            if u[i] < 0x80:
                i += 1
                continue
            m = _utf8_at(u, i, end)
            if m == 0:
                bad[k] = i - starts[k]
                break
            i += m
    return bad


def utf8_errors(buf: bytes | np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Offset of the first invalid UTF-8 byte in each span ``[starts, ends)``, -1 if valid."""
    u = buf if isinstance(buf, np.ndarray) else np.frombuffer(buf, np.uint8)
    return _utf8_lines(u, np.asarray(starts, np.int64), np.asarray(ends, np.int64))


def column_name(index: int) -> str | None:
    return _NAMES[index] if 0 <= index < len(_NAMES) else None
