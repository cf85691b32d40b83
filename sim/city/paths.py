"""All-pairs travel times by compiled shortest paths, cached on disk by network hash.

Times come from :func:`scipy.sparse.csgraph.dijkstra` (C). The driven distance along each
fastest path comes, on networks of up to ``DENSE_MAX_NODES`` nodes, from SciPy's
:func:`~scipy.sparse.csgraph.construct_dist_matrix` over the whole predecessor matrix at once;
larger networks are done in chunks of sources, the distances accumulated over each
shortest-path tree by a compiled kernel (:mod:`sim.city.tree_lengths`, loaded only then). Both
ways give the same float32 tables (tested). Both tables are float32 ``n x n``; a 5,000-node
city takes 200 MB.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import construct_dist_matrix, dijkstra

from sim._jitcache import user_cache_dir
from sim.city.network import RoadNetwork

log = logging.getLogger(__name__)

_CHUNK = 256
# Up to this size all sources are solved at once (about 100 MB of temporaries at 2,000).
DENSE_MAX_NODES = 2000


class TravelTable:
    """Travel time (s) and driven distance (m) between every pair of nodes."""

    def __init__(self, time_s: np.ndarray, dist_m: np.ndarray):
        self.time_s = time_s
        self.dist_m = dist_m
        self._time_to: np.ndarray | None = None

    @property
    def time_to(self) -> np.ndarray:
        """The transposed times (``time_to[b, a]`` = time from ``a`` to ``b``), made on first
        use: a column of ``time_s`` is a contiguous row here."""
        if self._time_to is None:
            self._time_to = np.ascontiguousarray(self.time_s.T)
        return self._time_to

    def times(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Times from every ``src`` (rows) to every ``dst`` (columns). Gathered from the rows
        of the transposed table: there are few destinations (the open requests) and many
        sources (the vehicles), and a row is read from memory at once (about twice as fast as
        gathering one element per source row of ``time_s``)."""
        return self.time_to[dst][:, src].T.astype(np.float64)

    def time(self, a: int, b: int) -> float:
        return float(self.time_s[a, b])

    def dist_km(self, a: int, b: int) -> float:
        return float(self.dist_m[a, b]) / 1000.0


def default_cache_dir() -> Path:
    return user_cache_dir()


def compute_tables(net: RoadNetwork, dense_max_nodes: int = DENSE_MAX_NODES) -> TravelTable:
    n = net.n_nodes
    tcsr, lcsr = net.time_csr, net.length_csr
    if n <= dense_max_nodes:
        t, p = dijkstra(tcsr, directed=True, return_predecessors=True)
        return TravelTable(t.astype(np.float32),
                           construct_dist_matrix(lcsr, p, directed=True).astype(np.float32))
    from sim.city.tree_lengths import lengths_along_tree

    # Edge lengths aligned with the time matrix's CSR layout (same sparsity, sorted indices).
    lengths = np.asarray(lcsr.data, dtype=np.float64)
    time_s = np.empty((n, n), dtype=np.float32)
    dist_m = np.empty((n, n), dtype=np.float32)
    for s0 in range(0, n, _CHUNK):
        idx = np.arange(s0, min(n, s0 + _CHUNK))
        t, p = dijkstra(tcsr, directed=True, indices=idx, return_predecessors=True)
        time_s[idx] = t
        dist_m[idx] = lengths_along_tree(t, p.astype(np.int32), tcsr.indptr.astype(np.int64),
                                          tcsr.indices.astype(np.int64), lengths, s0)
    return TravelTable(time_s, dist_m)


def travel_table(net: RoadNetwork, cache_dir: Path | None = None,
                 timings: dict[str, float] | None = None) -> TravelTable:
    """Tables for ``net``, read from ``cache_dir`` when a previous run computed them."""
    t0 = time.perf_counter()
    hit = False
    if cache_dir is not None:
        base = Path(cache_dir) / "paths"
        f_time = base / f"{net.digest()}.time.npy"
        f_dist = base / f"{net.digest()}.dist.npy"
        if f_time.is_file() and f_dist.is_file():
            try:
                table = TravelTable(np.load(f_time), np.load(f_dist))
                hit = table.time_s.shape == (net.n_nodes, net.n_nodes)
            except (OSError, ValueError):
                hit = False
        if not hit:
            table = compute_tables(net)
            base.mkdir(parents=True, exist_ok=True)
            for f, arr in ((f_time, table.time_s), (f_dist, table.dist_m)):
                tmp = f.with_suffix(f".{os.getpid()}.tmp.npy")
                np.save(tmp, arr)
                os.replace(tmp, f)
    else:
        table = compute_tables(net)
    if timings is not None:
        timings["shortest_paths_s"] = time.perf_counter() - t0
        timings["shortest_paths_cached"] = float(hit)
    log.info("travel tables for %d nodes in %.2f s (cache %s)", net.n_nodes,
             time.perf_counter() - t0, "hit" if hit else "miss")
    return table
