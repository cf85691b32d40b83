"""OpenStreetMap road networks from local files: ``.osm`` XML (osmnx) or ``.osm.pbf``
(pyrosm), no network access.

The drivable ways become a directed graph (one-way streets kept), reduced to its largest
strongly connected component (every node reachable from every other). An edge's speed is its
``maxspeed`` tag where it has one, else the speed of its highway type: ``HIGHWAY_KMH`` below,
overridden per type by the scenario (``world.network.highway_kmh``), else ``default_kmh``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from sim.errors import Problem, ScenarioError

#: Free-flow speeds (km/h) by OSM ``highway`` type where a way has no ``maxspeed`` tag: the
#: middle of the design speeds of China's urban road design code (CJJ 37-2012: expressway
#: 60-100, arterial 40-60, secondary arterial 30-50, branch road 20-40 km/h), and 30 km/h on
#: residential streets (the limit on urban roads without a centre line, PRC Road Traffic
#: Safety Law implementing regulations, art. 45).
HIGHWAY_KMH: dict[str, float] = {
    "motorway": 80.0, "motorway_link": 40.0, "trunk": 60.0, "trunk_link": 40.0,
    "primary": 50.0, "primary_link": 30.0, "secondary": 40.0, "secondary_link": 30.0,
    "tertiary": 30.0, "tertiary_link": 20.0, "unclassified": 30.0, "residential": 30.0,
    "living_street": 10.0, "service": 20.0, "road": 30.0,
}

PBF_SUFFIXES = (".pbf",)


def _problem(source: str, path: str, message: str) -> ScenarioError:
    return ScenarioError(source, [Problem("world.network.path", message, path)])


def _read_multigraph(path: Path, source: str, shown: str) -> nx.MultiDiGraph:
    """The drivable ways of ``path`` as osmnx's unprojected MultiDiGraph."""
    if path.suffix.lower() in PBF_SUFFIXES:
        try:
            from pyrosm import OSM
        except ImportError:
            raise ScenarioError(source, [Problem(
                "world.network.path", "OpenStreetMap .pbf files need the optional extra: "
                "pip install 'fleettwin[osm]'", shown)]) from None
        try:
            osm = OSM(str(path))
            got = osm.get_network(network_type="driving", nodes=True)
        except Exception as exc:  # pyrosm raises many kinds on a bad file
            raise _problem(source, shown, f"cannot read OpenStreetMap PBF: {exc}") from None
        if got is None or got[1] is None or len(got[1]) == 0:
            raise _problem(source, shown, "no drivable roads in the file (no way with a "
                           "highway tag that cars may use)")
        nodes, edges = got
        return osm.to_graph(nodes, edges, graph_type="networkx", retain_all=True)
    import osmnx as ox

    try:
        return ox.graph_from_xml(path, simplify=True, retain_all=True)
    except Exception as exc:  # osmnx raises many kinds on a bad file
        text = str(exc)
        if "no nodes" in text.lower() or "empty" in text.lower() or "no graph" in text.lower():
            raise _problem(source, shown, "no drivable roads in the file (no way with a "
                           f"highway tag that cars may use): {text}") from None
        raise _problem(source, shown, f"cannot read OpenStreetMap XML: {text}") from None


def read_osm(path_text: str, source: str, default_kmh: float,
             highway_kmh: dict[str, float] | None = None) -> nx.DiGraph:
    """A drivable road graph (node ``x, y`` in metres from the south-west corner, ``lon,
    lat``; edge ``length_m, speed_kmh, travel_time_s, road_class``), unreduced."""
    try:
        import osmnx as ox
    except ImportError:
        raise ScenarioError(source, [Problem(
            "world.network.source", "OpenStreetMap networks need the optional extra: "
            "pip install 'fleettwin[osm]'", "osm")]) from None
    path = Path(path_text)
    if not path.is_absolute():
        path = Path(source).parent / path
    if not path.is_file():
        raise _problem(source, path_text, "file not found")
    mg = _read_multigraph(path, source, path_text)
    if mg.number_of_edges() == 0:
        raise _problem(source, path_text, "no drivable roads in the file (no way with a "
                       "highway tag that cars may use)")
    speeds = {**HIGHWAY_KMH, **(highway_kmh or {})}
    try:
        mg = ox.add_edge_speeds(mg, hwy_speeds=speeds, fallback=default_kmh)
        lonlat = {n: (float(d["x"]), float(d["y"])) for n, d in mg.nodes(data=True)}
        mg = ox.project_graph(mg)
    except Exception as exc:  # noqa: BLE001 - a malformed tag or geometry
        raise _problem(source, path_text, f"cannot use the roads of the file: {exc}") from None
    return _simple_digraph(mg, lonlat, default_kmh)


def _highway(d: dict[str, Any]) -> str:
    hw = d.get("highway", "road")
    return str(hw[0] if isinstance(hw, list) else hw)


def _simple_digraph(mg: nx.MultiDiGraph, lonlat: dict[Any, tuple[float, float]],
                    default_kmh: float) -> nx.DiGraph:
    """The fastest of parallel ways, coordinates shifted to start at (0, 0)."""
    g = nx.DiGraph()
    for n, d in mg.nodes(data=True):
        g.add_node(n, x=float(d["x"]), y=float(d["y"]), lon=lonlat[n][0], lat=lonlat[n][1])
    for u, v, d in mg.edges(data=True):
        if u == v:
            continue
        kmh = float(d.get("speed_kph", default_kmh))
        if not kmh > 0:
            kmh = default_kmh
        length = float(d.get("length", 0.0)) or 1.0
        tt = length / (kmh / 3.6)
        if g.has_edge(u, v) and g.edges[u, v]["travel_time_s"] <= tt:
            continue
        g.add_edge(u, v, length_m=length, speed_kmh=kmh, travel_time_s=tt,
                   road_class=_highway(d))
    xs = [d["x"] for _, d in g.nodes(data=True)]
    ys = [d["y"] for _, d in g.nodes(data=True)]
    x0, y0 = min(xs), min(ys)
    for _, d in g.nodes(data=True):
        d["x"] -= x0
        d["y"] -= y0
    return g
