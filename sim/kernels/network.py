"""Network kernels: VoD stream heaps, distinct groups per port, histogram quantiles."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.kernels.bits import popcount
from sim.kernels.index import ix

# Stream end times per server are kept in an 8-ary min-heap: a third of the depth of a
# binary heap (a pop walks down a server's heap at every stream end), and a node's children
# are 64 bytes, one or two cache lines.
_D = 8


@njit(cache=True, inline="always")
def _first_min(ca, ta, cb, tb):
    """The first smallest of (index, time) pairs ``a`` then ``b``: a select, no branch."""
    lt = tb < ta
    return (cb if lt else ca), (tb if lt else ta)


@njit(cache=True, inline="always")
def heap_push(ht, hr, base, n, t, r):
    j = n
    while j > 0:
        parent = (j - 1) >> 3  # // _D, on a non-negative index
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
        if a + _D <= last:  # all eight children: the first smallest by a tree of selects
            b = base + a
            c0, m0 = _first_min(a, ht[ix(b)], a + 1, ht[ix(b + 1)])
            c1, m1 = _first_min(a + 2, ht[ix(b + 2)], a + 3, ht[ix(b + 3)])
            c2, m2 = _first_min(a + 4, ht[ix(b + 4)], a + 5, ht[ix(b + 5)])
            c3, m3 = _first_min(a + 6, ht[ix(b + 6)], a + 7, ht[ix(b + 7)])
            c0, m0 = _first_min(c0, m0, c1, m1)
            c2, m2 = _first_min(c2, m2, c3, m3)
            c, _ = _first_min(c0, m0, c2, m2)
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
