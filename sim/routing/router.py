"""Travel times by search, for road networks too large for all-pairs tables.

:class:`GraphRouter` answers what :class:`~sim.city.paths.TravelTable` answers, with memory
that grows with the network (its CSR arrays, landmark times and a cache of answered pairs),
not with its square: a 50,000-node city needs tens of MB instead of 20 GB of tables.

- ``times(src, dst)``: the matrix dispatchers ask for (idle vehicles x request pickups).
  With at least as many vehicles as requests: one Dijkstra per destination on the reversed
  graph, stopped at ``bound_s`` or once it has reached the ``max(len(dst), MIN_NEAREST)``
  nearest sources. Those times are exact; the others are ``inf``. That loses nothing a
  dispatcher over idle vehicles uses: with ``m`` requests, greedy matching finds each
  request's nearest free vehicle among its ``m`` nearest, and an optimal assignment exists
  that gives every request one of its ``m`` nearest (swap any other for a nearer free one).
  With fewer vehicles than requests (a busy hour): one Dijkstra per vehicle, every pair
  within ``bound_s`` exact, as the tables give it. The model sets ``bound_s`` to the longest
  pickup a request accepts. A round's few searches run on one thread.
- ``time_s[a, b]`` and ``dist_m[a, b]`` (scalars or arrays of pairs): any pair, by A* with
  lower bounds from the straight line (at the fastest road speed) and from 32 landmarks
  (ALT), cached; arrays of pairs are searched on every thread.
- ``time_s[a]``: one whole row (a full Dijkstra), for the idle policies that look around.

Times are rounded to float32, as the tables store them, so both back-ends give the same
numbers on networks where both fit (``tests/sim/city/test_routing.py``).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.routing import kernels

#: Sources kept per destination in ``times`` at least (batch matching looks at 12).
MIN_NEAREST = 16
#: Searches in one call from which they are shared among threads.
PARALLEL_SEARCHES = 256


_INTS = (int, np.integer)


class _Lazy:
    """``matrix[a, b]`` for pairs, ``matrix[a]`` for a row, answered by the router."""

    def __init__(self, router: GraphRouter, which: int):
        self.router = router
        self.which = which  # 0: time (s), 1: driven length (m)
        self.shape = (router.n_nodes, router.n_nodes)
        self.dtype = np.dtype(np.float32)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple) and len(key) == 2:
            a, b = key
            if isinstance(a, _INTS) and isinstance(b, _INTS):  # the engine's legs: cached
                hit = self.router._pairs.get((a, b))  # type: ignore[arg-type]
                if hit is None:
                    hit = self.router.pair(int(a), int(b))
                return np.float32(hit[self.which])
            if np.ndim(a) == 0 and np.ndim(b) == 0:
                return np.float32(self.router.pair(int(a), int(b))[self.which])
            aa, bb = np.broadcast_arrays(np.asarray(a, dtype=np.int64),
                                         np.asarray(b, dtype=np.int64))
            flat = self.router.pairs(aa.ravel(), bb.ravel())[self.which]
            return flat.reshape(aa.shape).astype(np.float32)
        if np.ndim(key) == 0:
            return self.router.row(int(key))[self.which]
        raise TypeError("index a route matrix by [origin, destination] or [origin]")

    def max(self) -> float:
        """An upper bound on the longest fastest path (the tables give the exact one)."""
        return self.router.diameter_bound(self.which)


class GraphRouter:
    """Exact travel times (s) and driven distances (m) by search on the road network."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, time_w: np.ndarray,
                 length_w: np.ndarray, xy_m: np.ndarray, bound_s: float = np.inf,
                 n_landmarks: int = 32):
        n = indptr.size - 1
        self.n_nodes = n
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.w = np.asarray(time_w, dtype=np.float64)
        self.lens = np.asarray(length_w, dtype=np.float64)
        self.xy = np.ascontiguousarray(xy_m, dtype=np.float64)
        fwd = csr_matrix((self.w, self.indices, self.indptr), shape=(n, n))
        self._fwd = fwd
        rev = csr_matrix((np.arange(self.w.size, dtype=np.float64), self.indices,
                          self.indptr), shape=(n, n)).T.tocsr()
        rev.sort_indices()
        order = rev.data.astype(np.int64)  # which forward edge each reversed edge is
        self.r_indptr = rev.indptr.astype(np.int64)
        self.r_indices = rev.indices.astype(np.int64)
        self.r_w = self.w[order]
        self.r_lens = self.lens[order]
        edge_len = np.hypot(*(self.xy[self.indices] - self.xy[np.repeat(
            np.arange(n), np.diff(self.indptr))]).T)
        # The straight-line bound: no edge is driven faster than this (length over time),
        # and a road is never shorter than the straight line between its ends.
        speed = np.max(np.maximum(self.lens, edge_len) / np.maximum(self.w, 1e-9)) \
            if self.w.size else 1.0
        self.inv_speed = 1.0 / (speed * (1.0 + 1e-9))
        self.bound_s = float(bound_s)
        self.lm_from, self.lm_to = self._landmarks(n_landmarks)
        self._pairs: dict[tuple[int, int], tuple[float, float]] = {}
        self._scratch: tuple[np.ndarray, ...] | None = None
        self._bound: dict[int, float] = {}
        self.time_s = _Lazy(self, 0)
        self.dist_m = _Lazy(self, 1)

    def _landmarks(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Times from and to ``k`` landmarks spread by the farthest-first rule (A*'s lower
        bounds, ALT); ``n x k`` float64 each (a node's bounds side by side)."""
        n = self.n_nodes
        k = min(k, n)
        if k == 0:
            return np.zeros((n, 0)), np.zeros((n, 0))
        rev = csr_matrix((self.r_w, self.r_indices, self.r_indptr), shape=(n, n))
        chosen = [int(np.argmin(self.xy[:, 0] + self.xy[:, 1]))]
        lm_from = [dijkstra(self._fwd, directed=True, indices=chosen[0])]
        lm_to = [dijkstra(rev, directed=True, indices=chosen[0])]
        reach = lm_from[0] + lm_to[0]
        while len(chosen) < k:
            far = np.where(np.isfinite(reach), reach, -1.0)
            far[chosen] = -1.0
            nxt = int(np.argmax(far))
            chosen.append(nxt)
            lm_from.append(dijkstra(self._fwd, directed=True, indices=nxt))
            lm_to.append(dijkstra(rev, directed=True, indices=nxt))
            reach = np.minimum(reach, lm_from[-1] + lm_to[-1])
        big = np.ascontiguousarray(np.vstack(lm_from).T), np.ascontiguousarray(np.vstack(lm_to).T)
        # Unreachable entries bound nothing.
        return tuple(np.where(np.isfinite(x), x, 0.0) for x in big)  # type: ignore[return-value]

    @classmethod
    def from_network(cls, net: Any, bound_s: float = np.inf) -> GraphRouter:
        t, ln = net.time_csr, net.length_csr
        return cls(t.indptr, t.indices, t.data, ln.data, net.xy_m, bound_s)

    # ------------------------------------------------------------------ the dispatch matrix
    def times(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Time (s) from each of ``src`` (rows) to each of ``dst`` (columns): exact from the
        nearest sources of each destination within ``bound_s`` (see the module), else inf."""
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        if src.size == 0 or dst.size == 0:
            return np.full((src.size, dst.size), np.inf)
        # A time just over the bound may round (float32) to the bound itself: keep those too.
        limit = self.bound_s * (1.0 + 1e-6)
        if src.size < dst.size:  # fewer vehicles than requests: search from the vehicles
            rows = self._many_to_many(self.indptr, self.indices, self.w, src, dst, limit,
                                      dst.size)
            return rows.astype(np.float32).astype(np.float64)
        cols = self._many_to_many(self.r_indptr, self.r_indices, self.r_w, dst, src, limit,
                                  max(dst.size, MIN_NEAREST))
        return cols.T.astype(np.float32).astype(np.float64)

    @staticmethod
    def _many_to_many(indptr: np.ndarray, indices: np.ndarray, w: np.ndarray,
                      sources: np.ndarray, targets: np.ndarray, limit: float,
                      k_nearest: int) -> np.ndarray:
        """Searches from ``sources``; on every thread only when there are many (a dispatch
        round's few searches run faster on one than the thread pool takes to wake)."""
        if sources.size >= PARALLEL_SEARCHES:
            return kernels.many_to_many(indptr, indices, w, sources, targets, limit,
                                        k_nearest, numba.get_num_threads())
        return kernels.many_to_many_serial(indptr, indices, w, sources, targets, limit,
                                           k_nearest)

    # ------------------------------------------------------------------ single pairs
    def pair(self, a: int, b: int) -> tuple[float, float]:
        hit = self._pairs.get((a, b))
        if hit is None:
            if self._scratch is None:
                n = self.n_nodes
                self._scratch = (np.full(n, np.inf), np.full(n, np.inf),
                                 np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
                                 np.empty(n), np.full(n, -1, dtype=np.int64), np.empty(n))
            t, ln = kernels.one_pair(self.indptr, self.indices, self.w, self.lens, self.xy,
                                     self.inv_speed, self.lm_from, self.lm_to, a, b,
                                     *self._scratch)
            hit = (float(np.float32(t)), float(np.float32(ln)))
            self._pairs[(a, b)] = hit
        return hit

    def pairs(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Times and lengths of pairs ``a[i] -> b[i]`` (each pair searched once, cached)."""
        keys = np.unique(np.column_stack([a, b]), axis=0) if a.size else np.empty((0, 2),
                                                                                   np.int64)
        new = np.array([k for k in map(tuple, keys.tolist()) if k not in self._pairs],
                       dtype=np.int64).reshape(-1, 2)
        if len(new):
            t, ln = kernels.point_to_point(self.indptr, self.indices, self.w, self.lens,
                                           self.xy, self.inv_speed, self.lm_from, self.lm_to,
                                           np.ascontiguousarray(new[:, 0]),
                                           np.ascontiguousarray(new[:, 1]),
                                           numba.get_num_threads())
            t32, l32 = t.astype(np.float32), ln.astype(np.float32)
            for (x, y), tv, lv in zip(new.tolist(), t32.tolist(), l32.tolist(), strict=True):
                self._pairs[(x, y)] = (tv, lv)
        got = [self._pairs[(x, y)] for x, y in zip(a.tolist(), b.tolist(), strict=True)]
        arr = np.array(got, dtype=np.float64).reshape(-1, 2)
        return arr[:, 0], arr[:, 1]

    def row(self, a: int) -> tuple[np.ndarray, np.ndarray]:
        """Times and lengths from ``a`` to every node (one full search)."""
        t, pred = dijkstra(self._fwd, directed=True, indices=a, return_predecessors=True)
        from sim.city.tree_lengths import lengths_along_tree

        ln = lengths_along_tree(t[None, :], pred[None, :].astype(np.int32), self.indptr,
                                self.indices, self.lens, a)[0]
        return t.astype(np.float32), ln

    def diameter_bound(self, which: int) -> float:
        """``max over pairs <= ecc_out(x) + ecc_in(x)`` for any node ``x``: node 0 here."""
        if which not in self._bound:
            t_out, l_out = self.row(0)
            rev = csr_matrix((self.r_w, self.r_indices, self.r_indptr),
                             shape=(self.n_nodes, self.n_nodes))
            t_in = dijkstra(rev, directed=True, indices=0)
            if which == 0:
                self._bound[0] = float(np.max(t_out)) + float(np.max(t_in))
            else:
                self._bound[1] = 2.0 * float(np.max(l_out)) + float(np.max(t_in)) * \
                    1.0 / self.inv_speed
        return self._bound[which]

    # ------------------------------------------------------------------ TravelTable's API
    def time(self, a: int, b: int) -> float:
        return self.pair(a, b)[0]

    def dist_km(self, a: int, b: int) -> float:
        return self.pair(a, b)[1] / 1000.0

    def memory_bytes(self) -> int:
        """What the router keeps: the graph both ways and the cache of answered pairs."""
        arrays = (self.indptr, self.indices, self.w, self.lens, self.xy, self.r_indptr,
                  self.r_indices, self.r_w, self.r_lens, self._fwd.data, self._fwd.indices,
                  self._fwd.indptr, self.lm_from, self.lm_to)
        return int(sum(a.nbytes for a in arrays) + 120 * len(self._pairs))
