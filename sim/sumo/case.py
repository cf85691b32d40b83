"""A SUMO case as fleettwin inputs: the road graph, the rides as requests, the taxis' starts.

``load_case(net.xml, [routes...])`` reads the network and the route files, puts a node at
every position a rider or taxi uses (edge lengths kept), keeps the largest strongly connected
part and returns what the city model needs. Every ride or taxi whose position lies outside
that part is an input error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from sim.errors import Problem, ScenarioError
from sim.sumo.net import SumoNet, read_net, to_graph
from sim.sumo.routes import Ride, Taxi, read_routes


@dataclass
class SumoCase:
    graph: nx.DiGraph  # nodes 0..n-1
    net: SumoNet
    rides: list[Ride]
    taxis: list[Taxi]
    ride_origin: np.ndarray  # node of each ride's pickup
    ride_destination: np.ndarray
    taxi_node: np.ndarray
    node_position: dict[int, tuple[str, float]]  # node -> (edge, position) for written routes


def _resolve(path_text: str, source: str) -> Path:
    p = Path(path_text)
    return p if p.is_absolute() else Path(source).parent / p


def load_case(net_path: str, route_paths: list[str], source: str) -> SumoCase:
    sn = read_net(_resolve(net_path, source), source, net_path)
    rides, taxis = read_routes([_resolve(r, source) for r in route_paths], sn, source)
    g, at = to_graph(sn)
    comp = max(nx.strongly_connected_components(g), key=len)
    keep = sorted(comp)
    new = {old: i for i, old in enumerate(keep)}
    problems: list[Problem] = []
    for i, r in enumerate(rides):
        for key, end in ((r.origin, "from"), (r.destination, "to")):
            if at[key] not in new:
                problems.append(Problem(f"rides[{i}] (id {r.id}).{end}", "the edge is not "
                                        "reachable both ways from the rest of the network",
                                        key[0]))
    for i, t in enumerate(taxis):
        if at[t.start] not in new:
            problems.append(Problem(f"taxis[{i}] (id {t.id}).from", "the edge is not "
                                    "reachable both ways from the rest of the network",
                                    t.start[0]))
    if problems:
        raise ScenarioError(source, problems)
    h = nx.DiGraph()  # the kept part, relabelled 0..n-1 in order (edges in g's order)
    h.add_nodes_from((new[k], dict(g.nodes[k])) for k in keep)
    h.add_edges_from((new[u], new[v], dict(d)) for u in keep
                     for v, d in g.adj[u].items() if v in new)
    position = {new[k]: pos for pos, k in at.items() if k in new}
    return SumoCase(
        h, sn, rides, taxis,
        np.array([new[at[r.origin]] for r in rides], dtype=np.int64),
        np.array([new[at[r.destination]] for r in rides], dtype=np.int64),
        np.array([new[at[t.start]] for t in taxis], dtype=np.int64), position)


def edge_position(case: SumoCase, node: int, leaving: bool) -> tuple[str, float]:
    """A SUMO (edge, position) for a node: its own position, or for a junction the start of
    an edge leaving it (``leaving``) or the end of one entering it."""
    if node in case.node_position:
        return case.node_position[node]
    if leaving:
        for _, _, d in case.graph.out_edges(node, data=True):
            return d["sumo_edge"], 0.0
    for _, _, d in case.graph.in_edges(node, data=True):
        e = case.net.edges[d["sumo_edge"]]
        return d["sumo_edge"], e.length_m
    raise ValueError(f"node {node} has no edge")


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
