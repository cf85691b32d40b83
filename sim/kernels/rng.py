"""Per-device random numbers for compiled kernels: one splitmix64 state per device.

Every device owns its own 64-bit state, so the numbers a device draws do not depend on which
thread advances it or in which order devices are visited: results are identical for any
number of threads.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.kernels.index import ix

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
_S3 = np.uint64(3)
_S8 = np.uint64(8)
_LOW8 = np.uint64(0xFF)


def _exp_ziggurat(n: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Tables of the ziggurat for the standard exponential (Marsaglia and Tsang, 2000:
    ``n`` layers of equal area ``v`` above the tail at ``r``), for 53-bit integers."""
    m = 2.0 ** 53
    r = 7.697117470131487
    v = 3.949659822581572e-3
    ke = np.zeros(n, np.uint64)  # accept x = j * we[i] at once when j < ke[i]
    we = np.zeros(n)
    fe = np.zeros(n)  # density at each layer's edge
    q = v / math.exp(-r)
    ke[0] = int(r / q * m)
    we[0] = q / m
    we[n - 1] = r / m
    fe[0] = 1.0
    fe[n - 1] = math.exp(-r)
    de, te = r, r
    for i in range(n - 2, 0, -1):
        de = -math.log(v / de + math.exp(-de))
        ke[i + 1] = int(de / te * m)
        te = de
        fe[i] = math.exp(-de)
        we[i] = de / m
    return ke, we, fe, r


_ZKE, _ZWE, _ZFE, _ZR = _exp_ziggurat()


@njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def next_u64(state: np.ndarray, i: int) -> np.uint64:
    """Advance device ``i``'s state and return 64 random bits."""
    z = state[i] + _GOLDEN
    state[i] = z
    return _mix(z)


@njit(cache=True, inline="always")
def uniform(state: np.ndarray, i: int) -> float:
    """A uniform draw in [0, 1) for device ``i``."""
    return float(next_u64(state, i) >> _S11) * _INV53


@njit(cache=True, inline="always")
def exponential(state: np.ndarray, i: int, mean: float) -> float:
    """An exponential draw with the given mean."""
    z, e = exponential_z(state[i], mean)
    state[i] = z
    return e


@njit(cache=True, inline="always")
def lognormal(state: np.ndarray, i: int, median: float, sigma: float) -> float:
    """A log-normal draw by median and sigma of the log (Box-Muller)."""
    u1 = 1.0 - uniform(state, i)
    u2 = uniform(state, i)
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return median * np.exp(sigma * z)


@njit(cache=True, inline="always")
def uniform_z(z: np.uint64) -> tuple[np.uint64, float]:
    """:func:`uniform` on a state held in a local: returns (next state, draw).

    The same sequence as :func:`uniform`; a kernel keeps a box's state in a register while
    it processes the box's events and stores it once at the end.
    """
    z = z + _GOLDEN
    return z, float(_mix(z) >> _S11) * _INV53


@njit(cache=True)
def _exp_edge(z: np.uint64, i: np.uint64, x: float) -> tuple[np.uint64, float]:
    """The rare part of :func:`exponential_z` (about 1 draw in 100): the tail beyond the
    base layer, or a point near a layer's edge, tested against the density."""
    while True:
        if i == 0:
            z, u = uniform_z(z)
            return z, _ZR - np.log1p(-u)
        z, u = uniform_z(z)
        if (_ZFE[i - 1] - _ZFE[i]) * u + _ZFE[i] < np.exp(-x):
            return z, x
        z = z + _GOLDEN
        j = _mix(z) >> _S3
        i = j & _LOW8
        j = j >> _S8
        x = float(j) * _ZWE[i]
        if j < _ZKE[i]:
            return z, x


@njit(cache=True, inline="always")
def exponential_z(z: np.uint64, mean: float) -> tuple[np.uint64, float]:
    """:func:`exponential` on a state held in a local: returns (next state, draw).

    A ziggurat (Marsaglia and Tsang, 2000): one 64-bit draw, a table look-up and no
    logarithm in 99 draws out of 100, which keeps the event loops free of library calls.
    """
    z = z + _GOLDEN
    j = _mix(z) >> _S3
    i = j & _LOW8
    j = j >> _S8
    x = float(j) * _ZWE[i]
    if j >= _ZKE[i]:
        z, x = _exp_edge(z, i, x)
    return z, mean * x


@njit(cache=True, inline="always")
def lognormal_z(z: np.uint64, median: float, sigma: float) -> tuple[np.uint64, float]:
    """:func:`lognormal` on a state held in a local: returns (next state, draw)."""
    z, u1 = uniform_z(z)
    z, u2 = uniform_z(z)
    g = np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2)
    return z, median * np.exp(sigma * g)


@njit(cache=True, inline="always")
def pick_row(cdf: np.ndarray, row: int, u: float) -> int:
    """Index ``k`` with ``cdf[row, k-1] <= u < cdf[row, k]`` (binary search over row ``row``
    of a 2-D table of CDFs, no array view per call)."""
    lo = 0
    hi = cdf.shape[1] - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if cdf[row, mid] > u:
            hi = mid
        else:
            lo = mid + 1
    return lo


_LOW32 = np.uint64(0xFFFFFFFF)
_LOW16 = np.uint64(0xFFFF)
_S32 = np.uint64(32)
_S48 = np.uint64(48)


@njit(cache=True, inline="always")
def bits_z(z: np.uint64) -> tuple[np.uint64, np.uint64]:
    """64 random bits from a state held in a local: returns (next state, bits)."""
    z = z + _GOLDEN
    return z, _mix(z)


def pack_alias(keep: np.ndarray, val_keep: np.ndarray, val_alias: np.ndarray) -> np.ndarray:
    """Walker alias records for :func:`alias_pick`: per column, the keep probability as a
    32-bit threshold (low bits), the value drawn when the column is kept (bits 32-47) and
    when its alias is taken (bits 48-63); values are 0 .. 65535."""
    keep = np.asarray(keep, float)
    for name, v in (("val_keep", val_keep), ("val_alias", val_alias)):
        if np.any((np.asarray(v) < 0) | (np.asarray(v) > 0xFFFF)):
            raise ValueError(f"{name}: values must lie in 0 .. 65535")
    thr = np.minimum(np.round(keep * 2.0 ** 32), 2.0 ** 32 - 1).astype(np.uint64)
    return (thr | (np.asarray(val_keep).astype(np.uint64) << np.uint64(32))
            | (np.asarray(val_alias).astype(np.uint64) << np.uint64(48)))


@njit(cache=True, inline="always")
def alias_pick(tab: np.ndarray, r: int, c: int, bits: np.uint64) -> np.int64:
    """Walker alias draw from ``tab[r, c, :]`` (records of :func:`pack_alias`) with 64
    random bits: the high 32 pick the column and, as the fraction left over, whether it is
    kept. Integer operations and one look-up, no branch."""
    n = np.uint64(tab.shape[2])
    m = (bits >> _S32) * n
    rec = tab[ix(r), ix(c), m >> _S32]
    keep = (m & _LOW32) < (rec & _LOW32)
    return np.int64((rec >> _S32) & _LOW16 if keep else rec >> _S48)


@njit(cache=True)
def seed_states(seed: int, n: int) -> np.ndarray:
    """Independent initial states for ``n`` devices from one root seed."""
    out = np.empty(n, dtype=np.uint64)
    base = _mix(np.uint64(seed) + _GOLDEN)
    for i in range(n):
        out[i] = _mix(base ^ _mix(np.uint64(i) * _GOLDEN + _M2))
    return out
