"""Road networks: a synthetic city generator, an OpenStreetMap loader, and the array form.

The graph is a :class:`networkx.DiGraph` with node attributes ``x``, ``y`` (metres) and edge
attributes ``length_m``, ``speed_kmh``, ``travel_time_s``, ``road_class``. It is converted
once to CSR arrays (:class:`RoadNetwork`); nothing downstream walks the graph in Python.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix

from sim.city.schema import OsmNetwork, SyntheticCity

_M_PER_DEG_LAT = 111_320.0


def _add_road(g: nx.DiGraph, u: int, v: int, kmh: float, cls: str) -> None:
    du = g.nodes[u]
    dv = g.nodes[v]
    length = math.hypot(du["x"] - dv["x"], du["y"] - dv["y"])
    for a, b in ((u, v), (v, u)):
        g.add_edge(a, b, length_m=length, speed_kmh=kmh, travel_time_s=length / (kmh / 3.6),
                   road_class=cls)


def synthetic_city(cfg: SyntheticCity, rng: np.random.Generator) -> nx.DiGraph:
    """Grid streets, arterials every ``arterial_every`` lines, and a ring road."""
    g = nx.DiGraph()
    rows, cols, b = cfg.rows, cfg.cols, cfg.block_m
    for r in range(rows):
        for c in range(cols):
            g.add_node(r * cols + c, x=c * b, y=r * b)
    segments: list[tuple[int, int, bool]] = []
    for r in range(rows):
        for c in range(cols):
            n = r * cols + c
            if c + 1 < cols:
                segments.append((n, n + 1, r % cfg.arterial_every == 0))
            if r + 1 < rows:
                segments.append((n, n + cols, c % cfg.arterial_every == 0))
    local = [i for i, s in enumerate(segments) if not s[2]]
    n_drop = int(round(cfg.removed_share * len(local)))
    dropped = set(rng.choice(local, size=n_drop, replace=False).tolist()) if n_drop else set()
    for i, (u, v, arterial) in enumerate(segments):
        if i in dropped:
            continue
        if arterial:
            _add_road(g, u, v, cfg.arterial_kmh, "arterial")
        else:
            _add_road(g, u, v, cfg.local_kmh, "local")
    if cfg.ring and rows >= 4 and cols >= 4:
        cx, cy = (cols - 1) * b / 2, (rows - 1) * b / 2
        radius = 0.42 * min(cols - 1, rows - 1) * b
        n_ring = max(8, int(round(2 * math.pi * radius / (2 * b))))
        first = rows * cols
        xy = np.array([[g.nodes[i]["x"], g.nodes[i]["y"]] for i in range(first)])
        for k in range(n_ring):
            a = 2 * math.pi * k / n_ring
            g.add_node(first + k, x=cx + radius * math.cos(a), y=cy + radius * math.sin(a))
        for k in range(n_ring):
            _add_road(g, first + k, first + (k + 1) % n_ring, cfg.ring_kmh, "ring")
            if k % 2 == 0:  # a ramp to the nearest street corner every other ring node
                p = np.array([g.nodes[first + k]["x"], g.nodes[first + k]["y"]])
                near = int(np.argmin(((xy - p) ** 2).sum(axis=1)))
                _add_road(g, first + k, near, cfg.arterial_kmh, "ramp")
    return largest_component(g)


def largest_component(g: nx.DiGraph) -> nx.DiGraph:
    """Keep the largest strongly connected component, relabelled 0..n-1 in node order."""
    comp = max(nx.strongly_connected_components(g), key=len)
    h = g.subgraph(sorted(comp)).copy()
    return nx.convert_node_labels_to_integers(h, ordering="sorted")


def osm_network(cfg: OsmNetwork, source: str) -> nx.DiGraph:
    """Read an OpenStreetMap file (``.osm`` XML or ``.osm.pbf``; no network access)."""
    from sim.city.osm import read_osm

    g = read_osm(cfg.path, source, cfg.default_kmh, cfg.highway_kmh)
    return largest_component(g)


@dataclass
class RoadNetwork:
    """A road graph as arrays: node coordinates and CSR adjacency (time and length)."""

    xy_m: np.ndarray  # (n, 2) float64
    lonlat: np.ndarray  # (n, 2) float64
    time_csr: csr_matrix
    length_csr: csr_matrix
    edges: dict[str, np.ndarray]

    @property
    def n_nodes(self) -> int:
        return int(self.xy_m.shape[0])

    @classmethod
    def from_graph(cls, g: nx.DiGraph, origin_lonlat: tuple[float, float]) -> RoadNetwork:
        n = g.number_of_nodes()
        xy = np.array([[g.nodes[i]["x"], g.nodes[i]["y"]] for i in range(n)], dtype=float)
        if all("lon" in g.nodes[i] for i in range(n)) and n:
            lonlat = np.array([[g.nodes[i]["lon"], g.nodes[i]["lat"]] for i in range(n)])
        else:
            lon0, lat0 = origin_lonlat
            lat = lat0 + xy[:, 1] / _M_PER_DEG_LAT
            lon = lon0 + xy[:, 0] / (_M_PER_DEG_LAT * math.cos(math.radians(lat0)))
            lonlat = np.column_stack([lon, lat])
        u, v, t, ln, sp, rc = [], [], [], [], [], []
        for a, b, d in g.edges(data=True):
            u.append(a)
            v.append(b)
            t.append(d["travel_time_s"])
            ln.append(d["length_m"])
            sp.append(d["speed_kmh"])
            rc.append(d["road_class"])
        ua, va = np.array(u, dtype=np.int32), np.array(v, dtype=np.int32)
        tcsr = csr_matrix((np.array(t, dtype=float), (ua, va)), shape=(n, n))
        lcsr = csr_matrix((np.array(ln, dtype=float), (ua, va)), shape=(n, n))
        tcsr.sort_indices()
        lcsr.sort_indices()
        edges = {"u": ua, "v": va, "length_m": np.array(ln), "speed_kmh": np.array(sp),
                 "road_class": np.array(rc, dtype=object)}
        return cls(xy, lonlat, tcsr, lcsr, edges)

    def digest(self) -> str:
        """Content hash: travel-time tables cached on disk are keyed by it."""
        h = hashlib.sha256()
        for arr in (self.xy_m, self.time_csr.indptr, self.time_csr.indices, self.time_csr.data,
                    self.length_csr.data):
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()[:20]

    def nearest_node(self, x_m: float, y_m: float) -> int:
        return int(np.argmin((self.xy_m[:, 0] - x_m) ** 2 + (self.xy_m[:, 1] - y_m) ** 2))

    def nodes_within(self, x_m: float, y_m: float, radius_m: float) -> np.ndarray:
        d2 = (self.xy_m[:, 0] - x_m) ** 2 + (self.xy_m[:, 1] - y_m) ** 2
        return np.flatnonzero(d2 <= radius_m**2)
