"""The kernels' priority queues, in one place.

- :func:`stream_push` / :func:`stream_pop`: a VoD server's stream end times (with the
  stream's bitrate alongside), an 8-ary min-heap in a region of shared arrays. A pop walks
  down the heap at every stream end: an 8-ary heap is a third of the depth of a binary one,
  and where the heap is placed for it (:class:`sim.iptv.population.BoxPopulation` does) a
  node's 8 children fill one 64-byte cache line, compared by a tree of selects.
- :func:`key_push` / :func:`key_pop`: a binary min-heap of events by (time, key), keys
  unique, with an int64 payload: equal times leave in key order (SimPy's rule), so the order
  is deterministic whatever the heap's shape. VoD requests asked again within an epoch
  (key: the box) and the boot storm's events (key: a sequence number) use it.
"""

from __future__ import annotations

from numba import njit

from sim.kernels.index import ix

_D = 8  # children per node of a stream heap


@njit(cache=True, inline="always")
def _first_min(ca, ta, cb, tb):
    """The first smallest of (index, time) pairs ``a`` then ``b``: a select, no branch."""
    lt = tb < ta
    return (cb if lt else ca), (tb if lt else ta)


@njit(cache=True, inline="always")
def stream_push(ht, hr, base, n, t, r):
    """Add a stream ending at ``t`` of ``r`` Mbit/s to the heap of size ``n`` at ``base``."""
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
def stream_pop(ht, hr, base, n):
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


@njit(cache=True, inline="always")
def _key_less(ht, hk, a, b):
    return ht[a] < ht[b] or (ht[a] == ht[b] and hk[a] < hk[b])


@njit(cache=True, inline="always")
def _key_swap(ht, hk, hv, a, b):
    ht[a], ht[b] = ht[b], ht[a]
    hk[a], hk[b] = hk[b], hk[a]
    hv[a], hv[b] = hv[b], hv[a]


@njit(cache=True, inline="always")
def key_push(ht, hk, hv, n, t, key, val):
    """Push (``t``, ``key``) with payload ``val`` on a heap of size ``n``; returns ``n + 1``."""
    j = n
    ht[j] = t
    hk[j] = key
    hv[j] = val
    while j > 0:
        parent = (j - 1) >> 1
        if not _key_less(ht, hk, j, parent):
            break
        _key_swap(ht, hk, hv, j, parent)
        j = parent
    return n + 1


@njit(cache=True, inline="always")
def key_pop(ht, hk, hv, n):
    """Remove the root of a heap of size ``n`` (read it first); returns ``n - 1``."""
    last = n - 1
    ht[0] = ht[last]
    hk[0] = hk[last]
    hv[0] = hv[last]
    j = 0
    while True:
        a = 2 * j + 1
        if a >= last:
            break
        c = a
        if a + 1 < last and _key_less(ht, hk, a + 1, a):
            c = a + 1
        if not _key_less(ht, hk, c, j):
            break
        _key_swap(ht, hk, hv, j, c)
        j = c
    return last
