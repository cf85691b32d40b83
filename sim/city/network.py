"""Road networks: a synthetic city generator, an OpenStreetMap loader, and the array form.

A graph is a :class:`networkx.DiGraph` with node attributes ``x``, ``y`` (metres) and edge
attributes ``length_m``, ``speed_kmh``, ``travel_time_s``, ``road_class``. It is converted
once to CSR arrays (:class:`RoadNetwork`); nothing downstream walks the graph in Python.
networkx is imported only where a graph is built (OpenStreetMap files, or on request).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from sim.city.schema import OsmNetwork, SyntheticCity

if TYPE_CHECKING:
    import networkx as nx

_M_PER_DEG_LAT = 111_320.0


def synthetic_city(cfg: SyntheticCity, rng: np.random.Generator) -> nx.DiGraph:
    """Grid streets, arterials every ``arterial_every`` lines, and a ring road."""
    import networkx as nx

    xy, (u, v, ln, kmh, cls) = _synthetic_edges(cfg, rng)
    g = nx.DiGraph()
    for i, (x, y) in enumerate(xy.tolist()):
        g.add_node(i, x=x, y=y)
    for a, b, length, speed, name in zip(u.tolist(), v.tolist(), ln.tolist(), kmh.tolist(),
                                         cls.tolist(), strict=True):
        g.add_edge(a, b, length_m=length, speed_kmh=speed,
                   travel_time_s=length / (speed / 3.6), road_class=name)
    return largest_component(g)


_Edges = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _synthetic_edges(cfg: SyntheticCity, rng: np.random.Generator
                     ) -> tuple[np.ndarray, _Edges]:
    """Node coordinates and the directed roads (from, to, length, speed, class) in the order
    they are laid, both ways of a segment in turn: grid streets from each node east then north
    (a random share of local segments dropped), then the ring and its ramps. No road is laid
    twice."""
    rows, cols, b = cfg.rows, cfg.cols, cfg.block_m
    n_grid = rows * cols
    node = np.arange(n_grid)
    r_of, c_of = np.divmod(node, cols)
    xy = np.column_stack([c_of * b, r_of * b]).astype(float)
    seg = np.stack([np.column_stack([node, node + 1, r_of % cfg.arterial_every == 0]),
                    np.column_stack([node, node + cols, c_of % cfg.arterial_every == 0])],
                   axis=1)
    seg = seg[np.column_stack([c_of + 1 < cols, r_of + 1 < rows])]
    local = np.flatnonzero(seg[:, 2] == 0)
    n_drop = int(round(cfg.removed_share * local.size))
    if n_drop:
        keep = np.ones(len(seg), dtype=bool)
        keep[rng.choice(local, size=n_drop, replace=False)] = False
        seg = seg[keep]
    u_s, v_s, art = seg[:, 0], seg[:, 1], seg[:, 2].astype(bool)
    ln_s = np.hypot(xy[u_s, 0] - xy[v_s, 0], xy[u_s, 1] - xy[v_s, 1])  # exact: one is 0
    kmh_s = np.where(art, cfg.arterial_kmh, cfg.local_kmh)
    cls_s = np.array(["local", "arterial"], dtype=object)[art.astype(np.int64)]
    parts = [(np.column_stack([u_s, v_s]).ravel(), np.column_stack([v_s, u_s]).ravel(),
              np.repeat(ln_s, 2), np.repeat(kmh_s, 2), np.repeat(cls_s, 2))]
    if cfg.ring and rows >= 4 and cols >= 4:
        cx, cy = (cols - 1) * b / 2, (rows - 1) * b / 2
        radius = 0.42 * min(cols - 1, rows - 1) * b
        n_ring = max(8, int(round(2 * math.pi * radius / (2 * b))))
        ring = [(cx + radius * math.cos(2 * math.pi * k / n_ring),
                 cy + radius * math.sin(2 * math.pi * k / n_ring)) for k in range(n_ring)]
        ru: list[int] = []
        rv: list[int] = []
        rl: list[float] = []
        rk: list[float] = []
        rc: list[str] = []

        def road(a: int, c: int, p: tuple[float, float], q: tuple[float, float],
                 speed: float, name: str) -> None:
            length = math.hypot(p[0] - q[0], p[1] - q[1])
            ru.extend((a, c))
            rv.extend((c, a))
            rl.extend((length, length))
            rk.extend((speed, speed))
            rc.extend((name, name))

        for k in range(n_ring):
            nxt = (k + 1) % n_ring
            road(n_grid + k, n_grid + nxt, ring[k], ring[nxt], cfg.ring_kmh, "ring")
            if k % 2 == 0:  # a ramp to the nearest street corner every other ring node
                near = _nearest_corner(xy, cols, rows, b, ring[k])
                road(n_grid + k, near, ring[k], (xy[near, 0], xy[near, 1]),
                     cfg.arterial_kmh, "ramp")
        parts.append((np.array(ru), np.array(rv), np.array(rl), np.array(rk),
                      np.array(rc, dtype=object)))
        xy = np.vstack([xy, np.array(ring)])
    u, v, ln, kmh, cls = (np.concatenate(x) for x in zip(*parts, strict=True))
    return xy, (u.astype(np.int64), v.astype(np.int64), ln.astype(float), kmh.astype(float),
                cls)


def _nearest_corner(xy: np.ndarray, cols: int, rows: int, b: float,
                    p: tuple[float, float]) -> int:
    """The grid node nearest ``p`` (inside the grid), the lowest id among equals: searched
    among the corners of the blocks around ``p`` (the nearest is a corner of its block)."""
    c0, r0 = int(p[0] // b), int(p[1] // b)
    cs = np.arange(max(0, c0 - 1), min(cols, c0 + 3))
    rs = np.arange(max(0, r0 - 1), min(rows, r0 + 3))
    idx = (rs[:, None] * cols + cs[None, :]).ravel()  # ascending
    d2 = ((xy[idx] - np.array(p)) ** 2).sum(axis=1)
    return int(idx[np.argmin(d2)])


def graph_from_arrays(xy: np.ndarray, u: np.ndarray, v: np.ndarray,
                      edges: dict[str, list[Any]],
                      nodes: dict[str, np.ndarray] | None = None) -> nx.DiGraph:
    """A :class:`networkx.DiGraph` from arrays: node ``i`` at ``xy[i]`` (attributes ``x``,
    ``y`` and one per ``nodes`` column), edge ``u[k] -> v[k]`` with one attribute per
    ``edges`` column (nodes and edges in the arrays' order)."""
    import networkx as nx

    g = nx.DiGraph()
    extra = {name: np.asarray(col, dtype=float).tolist() for name, col in (nodes or {}).items()}
    for i, (x, y) in enumerate(np.asarray(xy).tolist()):
        g.add_node(i, x=x, y=y, **{name: col[i] for name, col in extra.items()})
    names = list(edges)
    for a, b, *vals in zip(np.asarray(u).tolist(), np.asarray(v).tolist(),
                           *(edges[k] for k in names), strict=True):
        g.add_edge(a, b, **dict(zip(names, vals, strict=True)))
    return g


def strong_parts(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The strongly connected part of each of ``n`` nodes joined by edges ``u -> v``, and
    the size of each part."""
    adj = csr_matrix((np.ones(u.size), (u, v)), shape=(n, n))
    _, label = connected_components(adj, directed=True, connection="strong")
    return label, np.bincount(label)


def keep_part(kept: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The kept nodes (a mask) numbered ``0..k-1`` in order (the new number of every node)
    and the edges between kept nodes (indices), each node's edges in the order they were
    laid."""
    new_id = np.cumsum(kept) - 1
    e = np.flatnonzero(kept[u] & kept[v])
    return new_id, e[np.argsort(u[e], kind="stable")]


def synthetic_network(cfg: SyntheticCity, rng: np.random.Generator,
                      origin_lonlat: tuple[float, float]) -> RoadNetwork:
    """``RoadNetwork.from_graph(synthetic_city(cfg, rng), origin_lonlat)``, built from arrays
    (a 50,000-node city in a fraction of a second instead of seconds)."""
    xy, (u, v, ln, kmh, cls) = _synthetic_edges(cfg, rng)
    label, size = strong_parts(xy.shape[0], u, v)
    if np.sum(size == size.max()) > 1:  # equal largest components: networkx's pick
        return RoadNetwork.from_graph(synthetic_city(cfg, rng), origin_lonlat)
    kept = label == np.argmax(size)
    new_id, e = keep_part(kept, u, v)
    return RoadNetwork.from_arrays(xy[kept], new_id[u[e]], new_id[v[e]], ln[e], kmh[e],
                                   ln[e] / (kmh[e] / 3.6), cls[e], origin_lonlat)


def largest_component(g: nx.DiGraph) -> nx.DiGraph:
    """Keep the largest strongly connected component, relabelled 0..n-1 in node order."""
    import networkx as nx

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
        lonlat = None
        if all("lon" in g.nodes[i] for i in range(n)) and n:
            lonlat = np.array([[g.nodes[i]["lon"], g.nodes[i]["lat"]] for i in range(n)])
        u, v, t, ln, sp, rc = [], [], [], [], [], []
        for a, b, d in g.edges(data=True):
            u.append(a)
            v.append(b)
            t.append(d["travel_time_s"])
            ln.append(d["length_m"])
            sp.append(d["speed_kmh"])
            rc.append(d["road_class"])
        return cls.from_arrays(xy, np.array(u), np.array(v), np.array(ln), np.array(sp),
                               np.array(t, dtype=float), np.array(rc, dtype=object),
                               origin_lonlat, lonlat)

    @classmethod
    def from_arrays(cls, xy: np.ndarray, u: np.ndarray, v: np.ndarray, length_m: np.ndarray,
                    speed_kmh: np.ndarray, time_s: np.ndarray, road_class: np.ndarray,
                    origin_lonlat: tuple[float, float],
                    lonlat: np.ndarray | None = None) -> RoadNetwork:
        """Nodes at ``xy`` (m) and directed edges ``u -> v`` with their attributes."""
        n = xy.shape[0]
        if lonlat is None:
            lon0, lat0 = origin_lonlat
            lat = lat0 + xy[:, 1] / _M_PER_DEG_LAT
            lon = lon0 + xy[:, 0] / (_M_PER_DEG_LAT * math.cos(math.radians(lat0)))
            lonlat = np.column_stack([lon, lat])
        ua, va = np.asarray(u, dtype=np.int32), np.asarray(v, dtype=np.int32)
        tcsr = csr_matrix((np.asarray(time_s, dtype=float), (ua, va)), shape=(n, n))
        lcsr = csr_matrix((np.asarray(length_m, dtype=float), (ua, va)), shape=(n, n))
        tcsr.sort_indices()
        lcsr.sort_indices()
        edges = {"u": ua, "v": va, "length_m": np.asarray(length_m),
                 "speed_kmh": np.asarray(speed_kmh), "road_class": road_class}
        return cls(xy, lonlat, tcsr, lcsr, edges)

    def to_graph(self) -> nx.DiGraph:
        """The graph :meth:`from_graph` reads (node ``x``, ``y``; edge length, speed, travel
        time and road class), nodes and edges in the arrays' order."""
        e = self.edges
        u, v = e["u"].astype(np.int64), e["v"].astype(np.int64)
        t = np.asarray(self.time_csr[u, v]).ravel()
        return graph_from_arrays(self.xy_m, u, v, {
            "length_m": e["length_m"].tolist(), "speed_kmh": e["speed_kmh"].tolist(),
            "travel_time_s": t.tolist(), "road_class": e["road_class"].tolist()})

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
