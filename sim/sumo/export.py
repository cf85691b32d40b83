"""fleettwin requests and vehicle starts as SUMO files, to replay a case in SUMO.

For a network read from SUMO the route file refers to its own edges and positions. For any
other network (synthetic, OpenStreetMap) a plain SUMO network is written too
(``net.nod.xml``, ``net.edg.xml``: node ``n<i>``, edge ``e<u>_<v>`` with its length and
speed), to be built with ``netconvert -n net.nod.xml -e net.edg.xml -o net.net.xml``; a pickup
at node ``u`` is the start of an edge leaving ``u``, a drop-off at ``v`` the end of one
entering ``v``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.city.network import RoadNetwork
from sim.sumo.case import SumoCase, edge_position
from sim.sumo.routes import write_routes


def write_plain_network(out_dir: Path, net: RoadNetwork) -> tuple[Path, Path]:
    e = net.edges
    nod = out_dir / "net.nod.xml"
    edg = out_dir / "net.edg.xml"
    nodes = [f'    <node id="n{i}" x="{x:.2f}" y="{y:.2f}"/>'
             for i, (x, y) in enumerate(net.xy_m.tolist())]
    nod.write_text("<nodes>\n" + "\n".join(nodes) + "\n</nodes>\n", encoding="utf-8")
    rows = [f'    <edge id="e{u}_{v}" from="n{u}" to="n{v}" length="{ln:.2f}" '
            f'speed="{kmh / 3.6:.3f}" numLanes="1"/>'
            for u, v, ln, kmh in zip(e["u"].tolist(), e["v"].tolist(), e["length_m"].tolist(),
                                     e["speed_kmh"].tolist(), strict=True)]
    edg.write_text("<edges>\n" + "\n".join(rows) + "\n</edges>\n", encoding="utf-8")
    return nod, edg


def _plain_position(net: RoadNetwork, node: int, leaving: bool) -> tuple[str, float]:
    e = net.edges
    if leaving:
        k = int(np.flatnonzero(e["u"] == node)[0])
        return f"e{node}_{int(e['v'][k])}", 0.0
    k = int(np.flatnonzero(e["v"] == node)[0])
    return f"e{int(e['u'][k])}_{node}", float(e["length_m"][k])


def export_routes(out_dir: Path, net: RoadNetwork, created_s: np.ndarray, origin: np.ndarray,
                  destination: np.ndarray, start_nodes: np.ndarray,
                  case: SumoCase | None = None, seats: int = 4) -> Path:
    """Write ``routes.rou.xml`` (and the plain network when ``case`` is None) into
    ``out_dir``; returns the route file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if case is None:
        write_plain_network(out_dir, net)

    def pos(node: int, leaving: bool) -> tuple[str, float]:
        if case is not None:
            return edge_position(case, node, leaving)
        return _plain_position(net, node, leaving)

    rides = []
    for i, (t, o, d) in enumerate(zip(created_s.tolist(), origin.tolist(),
                                      destination.tolist(), strict=True)):
        if d < 0:
            continue  # a single visit has no SUMO ride
        fe, fp = pos(int(o), True)
        te, tp = pos(int(d), False)
        rides.append((f"r{i}", float(t), fe, fp, te, tp))
    taxis = [(f"taxi{v}", 0.0, *pos(int(n), True)) for v, n in enumerate(start_nodes.tolist())]
    return write_routes(out_dir / "routes.rou.xml", rides, taxis, seats)
