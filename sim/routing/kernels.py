"""Compiled shortest-path searches on CSR arrays (numba), for networks without tables.

Times are summed in float64 from the source outward, edge by edge, in the same order as
:func:`scipy.sparse.csgraph.dijkstra` sums them, so that a search and the all-pairs tables
give the same time for a pair. Each search resets only the nodes it touched: its cost grows
with the part of the network it explores, not with the network's size.
"""

from __future__ import annotations

import numba as nb
import numpy as np

# An indexed binary min-heap on arrays (node ids in ``hn``, keys in ``hk``, each node's slot
# in ``pos``, -1 when not in the heap): a node is in it once and its key only decreases,
# which is cheaper than pushing duplicates.


@nb.njit(cache=True, inline="always")
def _up(hn, hk, pos, i):  # pragma: no cover
    node, key = hn[i], hk[i]
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= key:
            break
        hn[i], hk[i] = hn[p], hk[p]
        pos[hn[i]] = i
        i = p
    hn[i], hk[i] = node, key
    pos[node] = i


@nb.njit(cache=True, inline="always")
def _push(hn, hk, pos, size, node, key):  # pragma: no cover
    """Insert ``node`` or lower its key; returns the new size."""
    i = pos[node]
    if i < 0:
        i = size
        size += 1
    hn[i], hk[i] = node, key
    _up(hn, hk, pos, i)
    return size


@nb.njit(cache=True, inline="always")
def _pop(hn, hk, pos, size):  # pragma: no cover
    """Remove the smallest; returns (node, key, new size)."""
    top, key = hn[0], hk[0]
    pos[top] = -1
    size -= 1
    if size > 0:
        node, k = hn[size], hk[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and hk[c + 1] < hk[c]:
                c += 1
            if hk[c] >= k:
                break
            hn[i], hk[i] = hn[c], hk[c]
            pos[hn[i]] = i
            i = c
        hn[i], hk[i] = node, k
        pos[node] = i
    return top, key, size


@nb.njit(cache=True)
def _reset(dist, length, touched, k):  # pragma: no cover - compiled
    for i in range(k):
        dist[touched[i]] = np.inf
        length[touched[i]] = np.inf


@nb.njit(cache=True)
def _nearest(indptr, indices, w, src, limit, k_nearest, count, dist, done, touched, hn, hk,
             pos):  # pragma: no cover
    """Dijkstra from ``src`` over the nodes within ``limit``, stopped once the nodes settled
    hold ``k_nearest`` targets (``count[node]`` of them at each node; those as far as the
    last one are settled too). Settled nodes (``done``) have exact times in ``dist``; returns
    how many nodes it touched (their ids in ``touched``)."""
    k = 0
    found = 0
    dist[src] = 0.0
    touched[k] = src
    k += 1
    size = _push(hn, hk, pos, 0, src, 0.0)
    while size > 0:
        u, d, size = _pop(hn, hk, pos, size)
        if d > limit:
            break
        done[u] = True
        found += count[u]
        if found >= k_nearest and d < limit:
            limit = d  # the rest only as far as this one (ties)
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + w[e]
            if nd < dist[v] and nd <= limit:
                if dist[v] == np.inf:
                    touched[k] = v
                    k += 1
                dist[v] = nd
                size = _push(hn, hk, pos, size, v, nd)
    while size > 0:  # what the stop left in the heap
        size -= 1
        pos[hn[size]] = -1
    return k


@nb.njit(cache=True)
def _target_counts(n, targets):  # pragma: no cover
    count = np.zeros(n, dtype=np.int64)
    for j in range(targets.size):
        count[targets[j]] += 1
    return count


@nb.njit(cache=True)
def _searches(indptr, indices, w, sources, targets, limit, k_nearest, count, out, first,
              step):  # pragma: no cover
    """Rows ``first, first + step, ...`` of :func:`many_to_many` (scratch arrays of its own)."""
    n = indptr.size - 1
    dist = np.full(n, np.inf)
    done = np.zeros(n, dtype=np.bool_)
    touched = np.empty(n, dtype=np.int64)
    hn = np.empty(n, dtype=np.int64)
    hk = np.empty(n)
    pos = np.full(n, -1, dtype=np.int64)
    for i in range(first, sources.size, step):
        k = _nearest(indptr, indices, w, sources[i], limit, k_nearest, count, dist, done,
                     touched, hn, hk, pos)
        for j in range(targets.size):
            if done[targets[j]]:
                out[i, j] = dist[targets[j]]
        for j in range(k):
            dist[touched[j]] = np.inf
            done[touched[j]] = False


@nb.njit(cache=True, parallel=True)
def many_to_many(indptr, indices, w, sources, targets, limit, k_nearest,
                 n_threads):  # pragma: no cover
    """Times from each of ``sources`` to its ``k_nearest`` nearest ``targets`` within
    ``limit`` (``len(sources) x len(targets)``; inf for the others), exact. Run on the
    reversed graph with ``sources`` = destinations to get times *to* them (columns)."""
    out = np.full((sources.size, targets.size), np.inf)
    count = _target_counts(indptr.size - 1, targets)
    n_chunks = max(1, min(sources.size, n_threads))  # scratch arrays are per chunk: few, large
    for c in nb.prange(n_chunks):
        _searches(indptr, indices, w, sources, targets, limit, k_nearest, count, out, c,
                  n_chunks)
    return out


@nb.njit(cache=True)
def many_to_many_serial(indptr, indices, w, sources, targets, limit,
                        k_nearest):  # pragma: no cover
    """:func:`many_to_many` on one thread: for the small matrices of dispatch rounds, where
    waking the thread pool costs more than it saves."""
    out = np.full((sources.size, targets.size), np.inf)
    count = _target_counts(indptr.size - 1, targets)
    _searches(indptr, indices, w, sources, targets, limit, k_nearest, count, out, 0, 1)
    return out


#: The bound is raised by this share: among paths of equal time A* then goes on with the
#: node nearest the target instead of widening the front (on grid streets many paths tie),
#: about twice fewer nodes searched. The answer is within this share of the fastest time:
#: the fastest time itself (an equally fast path), as float32 keeps it.
ASTAR_TIE_BREAK = 1e-10


@nb.njit(cache=True, inline="always")
def _lower_bound(v, b, xy, inv_speed, lm_from, lm_to, from_b, to_b):  # pragma: no cover
    """A time ``v -> b`` never exceeds (but for the tie break): the straight line at the
    fastest road speed, and the landmarks' triangle inequalities (ALT)."""
    h = np.hypot(xy[v, 0] - xy[b, 0], xy[v, 1] - xy[b, 1]) * inv_speed
    for k in range(lm_from.shape[1]):
        a1 = from_b[k] - lm_from[v, k]
        a2 = lm_to[v, k] - to_b[k]
        if a1 > h:
            h = a1
        if a2 > h:
            h = a2
    return h * (1.0 + ASTAR_TIE_BREAK)


@nb.njit(cache=True)
def _astar(indptr, indices, w, lens, xy, inv_speed, lm_from, lm_to, a, b, g, length, touched,
           hn, hk, pos, hc):  # pragma: no cover
    """Fastest ``a -> b`` (time, driven length) by A* with landmark lower bounds; a node
    reached faster after it was settled is opened again, so the answer is the fastest time
    for a bound that never overestimates, and within that share of it for the bound raised by
    :data:`ASTAR_TIE_BREAK`. Returns (time, length, nodes touched)."""
    k = 0
    g[a] = 0.0
    length[a] = 0.0
    touched[k] = a
    k += 1
    from_b = lm_from[b].copy()
    to_b = lm_to[b].copy()
    size = _push(hn, hk, pos, 0, a, 0.0)
    while size > 0:
        u, _f, size = _pop(hn, hk, pos, size)
        d = g[u]
        if u == b:
            return d, length[u], k
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + w[e]
            if nd < g[v]:
                if g[v] == np.inf:
                    touched[k] = v
                    k += 1
                    hc[v] = _lower_bound(v, b, xy, inv_speed, lm_from, lm_to, from_b, to_b)
                g[v] = nd
                length[v] = length[u] + lens[e]
                size = _push(hn, hk, pos, size, v, nd + hc[v])
    return np.inf, np.inf, k


@nb.njit(cache=True)
def one_pair(indptr, indices, w, lens, xy, inv_speed, lm_from, lm_to, a, b, g, length, touched,
             hn, hk, pos, hc):  # pragma: no cover
    """One pair with the caller's scratch arrays (left clean for the next call)."""
    if a == b:
        return 0.0, 0.0
    t, ln, k = _astar(indptr, indices, w, lens, xy, inv_speed, lm_from, lm_to, a, b, g, length,
                      touched, hn, hk, pos, hc)
    for j in range(k):
        g[touched[j]] = np.inf
        length[touched[j]] = np.inf
        pos[touched[j]] = -1
    return t, ln


@nb.njit(cache=True, parallel=True)
def point_to_point(indptr, indices, w, lens, xy, inv_speed, lm_from, lm_to, a, b,
                   n_threads):  # pragma: no cover
    """Fastest time and its driven length for each pair ``a[i] -> b[i]``."""
    n = indptr.size - 1
    m = a.size
    t_out = np.empty(m)
    l_out = np.empty(m)
    n_chunks = max(1, min(m, n_threads))  # scratch arrays are per chunk: few, large
    for c in nb.prange(n_chunks):
        g = np.full(n, np.inf)
        length = np.full(n, np.inf)
        touched = np.empty(n, dtype=np.int64)
        hn = np.empty(n, dtype=np.int64)
        hk = np.empty(n)
        pos = np.full(n, -1, dtype=np.int64)
        hc = np.empty(n)
        for i in range(c, m, n_chunks):
            if a[i] == b[i]:
                t_out[i] = 0.0
                l_out[i] = 0.0
                continue
            t, ln, k = _astar(indptr, indices, w, lens, xy, inv_speed, lm_from, lm_to, a[i],
                              b[i], g, length, touched, hn, hk, pos, hc)
            t_out[i] = t
            l_out[i] = ln
            for j in range(k):
                g[touched[j]] = np.inf
                length[touched[j]] = np.inf
                pos[touched[j]] = -1
    return t_out, l_out
