"""Driven distance along every fastest path of a chunk of sources (a numba kernel).

Used by :func:`sim.city.paths.compute_tables` on networks too large for one predecessor
matrix; imported only there, so that small runs do not load numba.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, parallel=True)
def lengths_along_tree(times, preds, indptr, indices, lengths, src0):  # pragma: no cover
    n_src, n = times.shape
    out = np.empty((n_src, n), dtype=np.float32)
    for k in nb.prange(n_src):
        s = src0 + k
        order = np.argsort(times[k])
        dist = np.empty(n, dtype=np.float64)
        for v in order:
            if v == s:
                dist[v] = 0.0
                continue
            p = preds[k, v]
            if p < 0:
                dist[v] = np.inf
                continue
            best = np.inf
            for e in range(indptr[p], indptr[p + 1]):
                if indices[e] == v and lengths[e] < best:
                    best = lengths[e]
            dist[v] = dist[p] + best
        for v in range(n):
            out[k, v] = dist[v]
    return out
