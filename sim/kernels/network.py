"""Network kernels: VoD stream heaps, distinct groups per port, histogram quantiles."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.kernels.bits import popcount
from sim.kernels.index import ix

# Stream end times per server are kept in a 4-ary min-heap: half the depth of a binary heap,
# and a node's children share a cache line.
_D = 4


@njit(cache=True, inline="always")
def heap_push(ht, hr, base, n, t, r):
    j = n
    while j > 0:
        parent = (j - 1) >> 2  # // _D, on a non-negative index
        if ht[ix(base + parent)] <= t:
            break
        ht[ix(base + j)] = ht[ix(base + parent)]
        hr[ix(base + j)] = hr[ix(base + parent)]
        j = parent
    ht[ix(base + j)] = t
    hr[ix(base + j)] = r


@njit(cache=True, inline="always")
def heap_pop(ht, hr, base, n):
    """Remove the root of a heap of size ``n`` (returns nothing; caller reads the root first)."""
    last = n - 1
    t = ht[ix(base + last)]
    r = hr[ix(base + last)]
    j = 0
    while True:
        a = _D * j + 1
        if a >= last:
            break
        if a + _D <= last:  # all four children (_D = 4): the first smallest by selects
            t0, t1 = ht[ix(base + a)], ht[ix(base + a + 1)]
            t2, t3 = ht[ix(base + a + 2)], ht[ix(base + a + 3)]
            c01 = a + 1 if t1 < t0 else a
            m01 = t1 if t1 < t0 else t0
            c23 = a + 3 if t3 < t2 else a + 2
            m23 = t3 if t3 < t2 else t2
            c = c23 if m23 < m01 else c01
        else:
            c = a
            for b in range(a + 1, last):
                if ht[ix(base + b)] < ht[ix(base + c)]:
                    c = b
        if t <= ht[ix(base + c)]:
            break
        ht[ix(base + j)] = ht[ix(base + c)]
        hr[ix(base + j)] = hr[ix(base + c)]
        j = c
    ht[ix(base + j)] = t
    hr[ix(base + j)] = r


@njit(cache=True, parallel=True)
def distinct_groups(bits, step):
    """Sum of distinct watched groups over every ``step``-th port (``bits``: the groups
    watched per port as bits), and how many of those ports had any."""
    total = 0
    busy = 0
    for k in prange((bits.shape[0] + step - 1) // step):
        p = k * step
        d = 0
        for w in range(bits.shape[1]):
            d += popcount(bits[p, w])
        total += d
        if d > 0:
            busy += 1
    return total, busy


@njit(cache=True, parallel=True)
def hist_quantile_rows(hist, q, bin_width):
    """Per row of a histogram: upper edge of the first bin where the cumulative count reaches
    ``max(1, ceil(q * n))`` (``n`` the row total); NaN for an empty row."""
    n_rows, n_bins = hist.shape
    res = np.empty(n_rows)
    for r in prange(n_rows):
        n = 0
        for b in range(n_bins):
            n += int(hist[r, b])
        if n == 0:
            res[r] = np.nan
            continue
        need = max(1.0, np.ceil(q * n))
        c = 0
        k = n_bins - 1
        for b in range(n_bins):
            c += int(hist[r, b])
            if c >= need:
                k = b
                break
        res[r] = (k + 1) * bin_width
    return res
