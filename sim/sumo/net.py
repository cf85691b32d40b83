"""A SUMO network (``.net.xml``) as a fleettwin road graph.

The file is read by :mod:`sim.sumo.netxml` (C-speed XML, a twentieth of the time of sumolib's
reader and its import); :func:`read_net_sumolib` reads it with sumolib, the reference the
fast reader is tested against (same edges, lengths, speeds, junctions and order).

Junctions become nodes and normal edges that taxis may use become directed edges with
their lane length and speed limit; each edge also gets the mean length of the internal
lanes of the junction it leads into (SUMO drives them; a node graph has no turns). A rider's
or taxi's position on an edge becomes a node *on* that edge, so the edge keeps its length:
``u -> p -> v`` with ``pos`` and ``length - pos`` metres, entered only from ``u`` and left
only toward ``v``, as in SUMO.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import Problem, ScenarioError

if TYPE_CHECKING:
    import networkx as nx

#: The vehicle class a taxi has in SUMO (``vClass="taxi"``).
TAXI_CLASS = "taxi"
_MIN_M = 0.01  # a sub-edge is never shorter (a zero would drop out of sparse matrices)


def sumolib_or_error(source: str, element: str) -> Any:
    try:
        import sumolib
    except ImportError:
        raise ScenarioError(source, [Problem(element, "SUMO files need the optional extra: "
                                             "pip install 'fleettwin[sumo]'", "sumo")]) from None
    return sumolib


@dataclass
class SumoEdge:
    u: str
    v: str
    length_m: float
    speed_mps: float
    internal_m: float  # mean internal-lane length at the junction it leads into


@dataclass
class SumoNet:
    """Edges by SUMO id, junction coordinates, and the positions asked for on edges."""

    path: str
    edges: dict[str, SumoEdge]
    xy: dict[str, tuple[float, float]]
    lonlat: dict[str, tuple[float, float]] | None
    positions: dict[str, set[float]] = field(default_factory=dict)

    def position(self, edge: str, pos_m: float) -> tuple[str, float]:
        """Register ``pos_m`` on ``edge`` (negative: from its end, as SUMO reads it);
        returns the key of the node it becomes."""
        e = self.edges[edge]
        p = pos_m + e.length_m if pos_m < 0 else pos_m
        p = round(min(max(p, 0.0), e.length_m), 2)
        self.positions.setdefault(edge, set()).add(p)
        return edge, p


def read_net(path: Path, source: str, shown: str) -> SumoNet:
    """The taxi-drivable edges of a SUMO network file."""
    from sim.sumo.netxml import read_net_file

    if not path.is_file():
        raise ScenarioError(source, [Problem("world.network.path", "file not found", shown)])
    try:
        nf = read_net_file(path)
    except (ET.ParseError, ValueError, KeyError, OSError, EOFError) as exc:
        raise ScenarioError(source, [Problem("world.network.path",
                                             f"cannot read SUMO network: {exc}", shown)]) from None
    internal: dict[str, list[float]] = {}
    for e in nf.edges:
        if e.function == "internal" and e.to_node is not None:
            for lane in e.lanes:
                internal.setdefault(e.to_node, []).append(lane.length_m)
    edges: dict[str, SumoEdge] = {}
    for e in nf.edges:
        if e.function != "" or not any(lane.allows(TAXI_CLASS) for lane in e.lanes):
            continue
        if e.from_node is None or e.to_node is None:
            raise ScenarioError(source, [Problem("world.network.path", f"edge {e.id!r} has "
                                                 "no from or to junction", shown)])
        lens = internal.get(e.to_node, [])
        edges[e.id] = SumoEdge(e.from_node, e.to_node, e.lanes[0].length_m,
                               e.lanes[-1].speed_mps, sum(lens) / len(lens) if lens else 0.0)
    if not edges:
        raise ScenarioError(source, [Problem("world.network.path", "no edge in the SUMO "
                                             "network that taxis may use", shown)])
    missing = [k for k in nf.nodes if k not in nf.coords]
    if missing:
        raise ScenarioError(source, [Problem("world.network.path", "junction named by an "
                                             "edge but not in the file", missing[0])])
    xy = {k: nf.coords[k] for k in nf.nodes}
    try:
        lonlat = nf.lonlat()
    except ImportError:
        raise ScenarioError(source, [Problem("world.network.path", "a projected SUMO network "
                                             "needs pyproj for longitudes and latitudes: pip "
                                             "install pyproj", shown)]) from None
    return SumoNet(str(path), edges, xy, lonlat)


def read_net_sumolib(path: Path, source: str, shown: str) -> SumoNet:
    """:func:`read_net` by sumolib's reader (``sumolib.net.readNet``): the reference."""
    sumolib = sumolib_or_error(source, "world.network.path")
    if not path.is_file():
        raise ScenarioError(source, [Problem("world.network.path", "file not found", shown)])
    try:
        net = sumolib.net.readNet(str(path), withInternal=True)
    except Exception as exc:  # noqa: BLE001 - sumolib raises many kinds on a bad file
        raise ScenarioError(source, [Problem("world.network.path",
                                             f"cannot read SUMO network: {exc}", shown)]) from None
    internal: dict[str, list[float]] = {}
    for e in net.getEdges(withInternal=True):
        if e.getFunction() == "internal":
            for lane in e.getLanes():
                internal.setdefault(e.getToNode().getID(), []).append(lane.getLength())
    edges: dict[str, SumoEdge] = {}
    for e in net.getEdges(withInternal=False):
        if e.getFunction() != "" or not e.allows(TAXI_CLASS):
            continue
        to = e.getToNode().getID()
        lens = internal.get(to, [])
        edges[e.getID()] = SumoEdge(e.getFromNode().getID(), to, float(e.getLength()),
                                    float(e.getSpeed()), sum(lens) / len(lens) if lens else 0.0)
    if not edges:
        raise ScenarioError(source, [Problem("world.network.path", "no edge in the SUMO "
                                             "network that taxis may use", shown)])
    xy = {n.getID(): (float(n.getCoord()[0]), float(n.getCoord()[1])) for n in net.getNodes()}
    lonlat: dict[str, tuple[float, float]] | None = None
    if net.hasGeoProj():
        lonlat = {}
        for k, (x, y) in xy.items():
            lon, lat = net.convertXY2LonLat(x, y)
            lonlat[k] = (float(lon), float(lat))
    return SumoNet(str(path), edges, xy, lonlat)


@dataclass
class SumoGraph:
    """The road graph as arrays: node coordinates, directed edges with their attributes (in
    the order the edges were laid), the SUMO edge each lies on, and each position's node."""

    xy: np.ndarray  # (n, 2) metres
    lonlat: np.ndarray | None  # (n, 2), when the network is geo-referenced
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    speed_kmh: np.ndarray
    time_s: np.ndarray
    sumo_edge: list[str]
    at: dict[tuple[str, float], int]

    @property
    def n_nodes(self) -> int:
        return int(self.xy.shape[0])

    def to_networkx(self) -> nx.DiGraph:
        """The same graph as a :class:`networkx.DiGraph` (node ``x``, ``y`` and, when known,
        ``lon``, ``lat``; edge ``length_m``, ``speed_kmh``, ``travel_time_s``,
        ``road_class``, ``sumo_edge``)."""
        from sim.city.network import graph_from_arrays

        nodes = None if self.lonlat is None else \
            {"lon": self.lonlat[:, 0], "lat": self.lonlat[:, 1]}
        return graph_from_arrays(self.xy, self.u, self.v, {
            "length_m": self.length_m.tolist(), "speed_kmh": self.speed_kmh.tolist(),
            "travel_time_s": self.time_s.tolist(), "road_class": ["sumo"] * self.u.size,
            "sumo_edge": list(self.sumo_edge)}, nodes)


def to_arrays(sn: SumoNet) -> SumoGraph:
    """The road graph with a node at every registered position, numbered ``0..n-1``
    (junctions first, in SUMO's order, then positions). Two edges between the same pair of
    nodes are one: the later one's attributes in the earlier one's place."""
    label: dict[Any, int] = {}
    xy: list[tuple[float, float]] = []
    ll: list[tuple[float, float]] = []

    def node(key: Any, x: float, y: float, lonlat: tuple[float, float] | None) -> int:
        if key not in label:
            label[key] = len(label)
            xy.append((x, y))
            if lonlat is not None:
                ll.append(lonlat)
        return label[key]

    for j, (x, y) in sn.xy.items():
        node(("j", j), x, y, sn.lonlat[j] if sn.lonlat else None)
    at: dict[tuple[str, float], int] = {}
    slot: dict[tuple[int, int], int] = {}
    rows: list[tuple[int, int, float, float, float, str]] = []
    for eid, e in sn.edges.items():
        (x0, y0), (x1, y1) = sn.xy[e.u], sn.xy[e.v]
        chain = [label[("j", e.u)]]
        cuts = [0.0]
        for p in sorted(sn.positions.get(eid, ())):
            f = p / e.length_m if e.length_m > 0 else 0.0
            pll = None
            if sn.lonlat:
                (a0, b0), (a1, b1) = sn.lonlat[e.u], sn.lonlat[e.v]
                pll = (a0 + f * (a1 - a0), b0 + f * (b1 - b0))
            k = node(("p", eid, p), x0 + f * (x1 - x0), y0 + f * (y1 - y0), pll)
            at[(eid, p)] = k
            chain.append(k)
            cuts.append(p)
        chain.append(label[("j", e.v)])
        cuts.append(e.length_m + e.internal_m)
        for a, b, c0, c1 in zip(chain[:-1], chain[1:], cuts[:-1], cuts[1:], strict=True):
            length = max(c1 - c0, _MIN_M)
            row = (a, b, length, e.speed_mps * 3.6, length / e.speed_mps, eid)
            if (a, b) in slot:
                rows[slot[(a, b)]] = row
            else:
                slot[(a, b)] = len(rows)
                rows.append(row)
    u, v, ln, kmh, t, names = zip(*rows, strict=True)
    return SumoGraph(np.array(xy, dtype=float).reshape(-1, 2),
                     np.array(ll, dtype=float) if sn.lonlat else None,
                     np.array(u, dtype=np.int64), np.array(v, dtype=np.int64),
                     np.array(ln, dtype=float), np.array(kmh, dtype=float),
                     np.array(t, dtype=float), list(names), at)


def to_graph(sn: SumoNet) -> tuple[nx.DiGraph, dict[tuple[str, float], int]]:
    """:func:`to_arrays` as a :class:`networkx.DiGraph`, and each position's node."""
    arrays = to_arrays(sn)
    return arrays.to_networkx(), arrays.at


def junction_nodes(sn: SumoNet) -> dict[str, int]:
    """Junction id -> node number in :func:`to_graph`'s labelling."""
    return {j: i for i, j in enumerate(sn.xy)}
