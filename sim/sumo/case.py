"""A SUMO case as fleettwin inputs: the road graph, the rides as requests, the taxis' starts.

``load_case(net.xml, [routes...])`` reads the network and the route files, puts a node at
every position a rider or taxi uses (edge lengths kept), keeps the largest strongly connected
part and returns what the city model needs. Every ride or taxi whose position lies outside
that part is an input error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from sim.city.network import RoadNetwork, keep_part, strong_parts
from sim.errors import Problem, ScenarioError
from sim.sumo.net import SumoGraph, SumoNet, read_net, to_arrays
from sim.sumo.routes import Ride, Taxi, read_routes


@dataclass
class SumoCase:
    graph: SumoGraph  # the kept part, nodes 0..n-1
    net: SumoNet
    rides: list[Ride]
    taxis: list[Taxi]
    ride_origin: np.ndarray  # node of each ride's pickup
    ride_destination: np.ndarray
    taxi_node: np.ndarray

    @cached_property
    def node_position(self) -> dict[int, tuple[str, float]]:
        """Node -> (edge, position) of every rider's or taxi's position (for written routes)."""
        return {k: pos for pos, k in self.graph.at.items()}

    def road_network(self, origin_lonlat: tuple[float, float]) -> RoadNetwork:
        """The kept graph as the city model's network (longitudes and latitudes from the
        file when it is geo-referenced, else from ``origin_lonlat``)."""
        g = self.graph
        return RoadNetwork.from_arrays(g.xy, g.u, g.v, g.length_m, g.speed_kmh, g.time_s,
                                       np.full(g.u.size, "sumo", dtype=object), origin_lonlat,
                                       g.lonlat)


def _resolve(path_text: str, source: str) -> Path:
    p = Path(path_text)
    return p if p.is_absolute() else Path(source).parent / p


def largest_part(g: SumoGraph) -> np.ndarray:
    """The nodes (ascending) of the largest strongly connected part; among equally large
    parts, the one holding the lowest node."""
    n = g.n_nodes
    label, size = strong_parts(n, g.u, g.v)
    first = np.full(size.size, n, dtype=np.int64)
    np.minimum.at(first, label, np.arange(n))
    best = min(range(size.size), key=lambda c: (-size[c], first[c]))
    return np.flatnonzero(label == best)


def load_case(net_path: str, route_paths: list[str], source: str) -> SumoCase:
    sn = read_net(_resolve(net_path, source), source, net_path)
    rides, taxis = read_routes([_resolve(r, source) for r in route_paths], sn, source)
    g = to_arrays(sn)
    at = g.at
    kept = np.zeros(g.n_nodes, dtype=bool)
    kept[largest_part(g)] = True
    problems: list[Problem] = []
    for i, r in enumerate(rides):
        for key, end in ((r.origin, "from"), (r.destination, "to")):
            if not kept[at[key]]:
                problems.append(Problem(f"rides[{i}] (id {r.id}).{end}", "the edge is not "
                                        "reachable both ways from the rest of the network",
                                        key[0]))
    for i, t in enumerate(taxis):
        if not kept[at[t.start]]:
            problems.append(Problem(f"taxis[{i}] (id {t.id}).from", "the edge is not "
                                    "reachable both ways from the rest of the network",
                                    t.start[0]))
    if problems:
        raise ScenarioError(source, problems)
    new, e = keep_part(kept, g.u, g.v)  # the kept part, relabelled 0..n-1 in order
    h = SumoGraph(g.xy[kept], g.lonlat[kept] if g.lonlat is not None else None,
                  new[g.u[e]], new[g.v[e]], g.length_m[e], g.speed_kmh[e], g.time_s[e],
                  [g.sumo_edge[k] for k in e.tolist()],
                  {pos: int(new[k]) for pos, k in at.items() if kept[k]})
    return SumoCase(
        h, sn, rides, taxis,
        np.array([new[at[r.origin]] for r in rides], dtype=np.int64),
        np.array([new[at[r.destination]] for r in rides], dtype=np.int64),
        np.array([new[at[t.start]] for t in taxis], dtype=np.int64))


def edge_position(case: SumoCase, node: int, leaving: bool) -> tuple[str, float]:
    """A SUMO (edge, position) for a node: its own position, or for a junction the start of
    the first road leaving it (``leaving``) or the end of the first one entering it."""
    if node in case.node_position:
        return case.node_position[node]
    g = case.graph
    ends = g.u if leaving else g.v
    k = np.flatnonzero(ends == node)
    if k.size == 0:
        raise ValueError(f"node {node} has no edge")
    name = g.sumo_edge[int(k[0])]
    return (name, 0.0) if leaving else (name, case.net.edges[name].length_m)


def apply_case(sc: Any, case: SumoCase) -> Any:
    """The scenario with the case's rides as explicit requests (when the route files have
    any) and its taxis as the first fleet's count and start nodes (when they have any)."""
    from sim.city.schema import ExplicitRequest

    update: dict[str, Any] = {}
    if case.rides:
        reqs = [ExplicitRequest(t_s=r.depart_s, origin=int(o), destination=int(d))
                for r, o, d in zip(case.rides, case.ride_origin.tolist(),
                                   case.ride_destination.tolist(), strict=True)]
        update["demand"] = sc.demand.model_copy(update={"requests": reqs})
    if case.taxis:
        name = next(iter(sc.fleets))
        fleet = sc.fleets[name].model_copy(update={
            "count": len(case.taxis), "start_nodes": case.taxi_node.tolist()})
        update["fleets"] = {**sc.fleets, name: fleet}
    return sc.model_copy(update=update)
