"""A fast reader of what the city model needs from a SUMO network file (``.net.xml``).

sumolib's reader builds every lane shape, connection and traffic-light program through a
pure-Python SAX handler (half a second for a 10 x 10 grid, plus a third of a second to import
it); this one walks the file once with ``xml.etree.ElementTree.iterparse`` (C) and keeps only
edges with their lanes' lengths, speeds and permissions, junction coordinates and the
projection. It reads the file as ``sumolib.net.readNet(path, withInternal=True)`` does, on
purpose down to sumolib's own rules, so both give the same :class:`~sim.sumo.net.SumoNet`
(``tests/sim/sumo/test_netxml.py`` compares them):

- nodes in order of first mention (an edge's ``from``/``to``, an internal edge's junction,
  then ``<junction>`` elements); internal junctions (ids starting with ``:``) are not nodes;
- an edge's length is its first lane's, its speed its last lane's;
- a lane allows a vehicle class by ``allow``/``disallow`` as ``sumolib.net.lane.get_allowed``
  reads them (no attribute: every class; ``allow`` alone: those listed; ``disallow``: all but
  those listed, ``all`` for none);
- internal, crossing and walking-area edges belong to the junction named by their id
  (``:J_0`` to ``J``); macroscopic connectors are left out;
- gzip-compressed files are read too.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

#: Edge functions sumolib keeps when reading with internal edges.
_KEPT = ("", "internal", "crossing", "walkingarea")
_SPECIAL = ("internal", "crossing", "walkingarea")


@dataclass
class Lane:
    speed_mps: float
    length_m: float
    allow: str | None
    disallow: str | None

    def allows(self, vclass: str) -> bool:
        """``sumolib.net.lane.Lane.allows``: the same reading of ``allow``/``disallow``."""
        if self.allow is None and self.disallow is None:
            return True
        if self.disallow is None:
            return vclass in (self.allow or "").split()
        if self.disallow == "all":
            return False
        return vclass not in self.disallow.split()


@dataclass
class Edge:
    id: str
    function: str
    from_node: str | None
    to_node: str | None
    lanes: list[Lane] = field(default_factory=list)


@dataclass
class NetFile:
    """The parts of a network file the city model uses, in the file's order."""

    edges: list[Edge]
    nodes: list[str]  # node ids in order of first mention
    coords: dict[str, tuple[float, float]]  # junction id -> (x, y)
    net_offset: tuple[float, float] = (0.0, 0.0)
    proj: str = "!"  # the location's projParameter ("!" for none)

    def lonlat(self) -> dict[str, tuple[float, float]] | None:
        """Node longitude/latitude by the file's projection (pyproj, as sumolib converts:
        offset removed, projection inverted); None when the network has none."""
        if self.proj == "!":
            return None
        import pyproj

        p = pyproj.Proj(projparams=self.proj)
        dx, dy = self.net_offset
        out: dict[str, tuple[float, float]] = {}
        for k in self.nodes:
            x, y = self.coords[k]
            lon, lat = p(x - dx, y - dy, inverse=True)
            out[k] = (float(lon), float(lat))
        return out


def _open(path: Path) -> IO[bytes]:
    """The file, decompressed when it is gzip (as ``sumolib.net.readNet`` tries first)."""
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def read_net_file(path: Path) -> NetFile:
    """Read ``path``; raises ``ET.ParseError``, ``ValueError`` (a number that is not one) or
    ``KeyError`` (a required attribute missing) on a malformed file."""
    edges: dict[str, Edge] = {}
    nodes: dict[str, None] = {}
    coords: dict[str, tuple[float, float]] = {}
    offset, proj = (0.0, 0.0), "!"
    with _open(path) as f:
        for _, el in ET.iterparse(f, events=("end",)):
            tag = el.tag
            if tag == "edge":
                _edge(el, edges, nodes)
                el.clear()
            elif tag == "junction":
                jid = el.attrib["id"]
                if jid[:1] != ":":
                    nodes.setdefault(jid)
                    if jid not in coords:
                        coords[jid] = (float(el.attrib["x"]), float(el.attrib["y"]))
                el.clear()
            elif tag == "location":
                a = el.attrib
                proj = a.get("projParameter", "!")
                ox, oy = a.get("netOffset", "0,0").split(",")
                offset = (float(ox), float(oy))
            elif tag in ("connection", "request", "tlLogic", "roundabout"):
                el.clear()
    return NetFile(list(edges.values()), list(nodes), coords, offset, proj)


def _edge(el: ET.Element, edges: dict[str, Edge], nodes: dict[str, None]) -> None:
    a = el.attrib
    function = a.get("function", "")
    if function not in _KEPT:
        return
    eid = a["id"]
    edge = edges.get(eid)
    if edge is None:
        u, v = a.get("from"), a.get("to")
        if function in _SPECIAL:
            u = v = eid[1:eid.rfind("_")]
        for n in (u, v):
            if n is not None:
                nodes.setdefault(n)
        edge = edges[eid] = Edge(eid, function, u, v)
    for lane in el.iter("lane"):
        la = lane.attrib
        edge.lanes.append(Lane(float(la["speed"]), float(la["length"]), la.get("allow"),
                               la.get("disallow")))
