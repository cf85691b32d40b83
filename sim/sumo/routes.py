"""SUMO route files: taxi rides (persons) and trips read as requests, taxis read as vehicle
starts; fleettwin's requests and vehicle starts written back as a SUMO route file.

Read: ``<person depart>`` with a ``<ride lines="taxi...">`` or ``<personTrip modes="taxi">``
(its first such stage), and ``<trip depart from to>`` of vehicles without ``line="taxi"``
(each a request). Taxis: vehicles or trips with ``line="taxi..."`` or a vType with the taxi
device; their first edge and ``departPos`` are where they start. Every unknown edge is
reported at once, with the element, its id and the edge.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from sim.errors import Problem, ScenarioError
from sim.sumo.net import SumoNet


@dataclass
class Ride:
    id: str
    depart_s: float
    origin: tuple[str, float]  # (edge, position) keys of SumoNet.position
    destination: tuple[str, float]


@dataclass
class Taxi:
    id: str
    depart_s: float
    start: tuple[str, float]


def _num(text: str | None, default: float) -> float:
    if text is None or text in ("", "random", "free", "base", "last", "max", "random_free"):
        return default
    try:
        return float(text)
    except ValueError:
        return math.nan


def _is_taxi_line(text: str | None) -> bool:
    return bool(text) and (text == "taxi" or str(text).startswith("taxi:"))


def read_routes(paths: list[Path], sn: SumoNet, source: str) -> tuple[list[Ride], list[Taxi]]:
    """Rides and taxis of SUMO route files (positions registered on ``sn``)."""
    rides: list[Ride] = []
    taxis: list[Taxi] = []
    problems: dict[str, list[Problem]] = {}
    for path in paths:
        bad: list[Problem] = problems.setdefault(str(path), [])
        if not path.is_file():
            raise ScenarioError(source, [Problem("world.network.routes", "file not found",
                                                 str(path))])
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise ScenarioError(str(path), [Problem("xml", f"not well-formed: {exc}",
                                                    path.name)]) from None
        taxi_types = {t.get("id") for t in root.iter("vType")
                      if t.get("vClass") == "taxi" or any(
                          p.get("key") == "has.taxi.device" and p.get("value") == "true"
                          for p in t.iter("param"))}

        def edge(el: ET.Element, attr: str, what: str, bad: list[Problem] = bad) -> str | None:
            e = el.get(attr)
            if e is None or e not in sn.edges:
                bad.append(Problem(f"{what}.{attr}", "unknown edge (not in the network, or "
                                   "closed to taxis)" if e is not None else "missing", e))
                return None
            return e

        for person in root.iter("person"):
            pid = person.get("id", "?")
            depart = _num(person.get("depart"), 0.0)
            for stage in person:
                is_ride = stage.tag == "ride" and _is_taxi_line(stage.get("lines", "taxi"))
                is_trip = stage.tag == "personTrip" and "taxi" in (stage.get("modes") or "")
                if not (is_ride or is_trip):
                    continue
                what = f"person[id={pid}].{stage.tag}"
                a, b = edge(stage, "from", what), edge(stage, "to", what)
                if a is None or b is None:
                    break
                dep = _num(stage.get("departPos") or person.get("departPos"), 0.0)
                arr = _num(stage.get("arrivalPos"), sn.edges[b].length_m)
                if not (math.isfinite(dep) and math.isfinite(arr)):
                    bad.append(Problem(f"{what}.departPos/arrivalPos", "not a position",
                                       f"{stage.get('departPos')}/{stage.get('arrivalPos')}"))
                    break
                rides.append(Ride(pid, depart, sn.position(a, dep), sn.position(b, arr)))
                break
        for el in (*root.iter("trip"), *root.iter("vehicle")):
            vid = el.get("id", "?")
            what = f"{el.tag}[id={vid}]"
            depart = _num(el.get("depart"), 0.0)
            taxi = _is_taxi_line(el.get("line")) or el.get("type") in taxi_types
            route = el.find("route")
            ends = {"from": el.get("from"), "to": el.get("to")}
            if route is not None and route.get("edges"):
                names = (route.get("edges") or "").split()
                ends = {"from": names[0], "to": names[-1]}
            a = edge(ET.Element("x", {k: v for k, v in ends.items() if v}), "from", what)
            if taxi:
                if a is not None:
                    pos = _num(el.get("departPos"), 0.0)
                    taxis.append(Taxi(vid, depart,
                                      sn.position(a, pos if math.isfinite(pos) else 0.0)))
                continue
            b = edge(ET.Element("x", {k: v for k, v in ends.items() if v}), "to", what)
            if a is None or b is None:
                continue
            dep = _num(el.get("departPos"), 0.0)
            arr = _num(el.get("arrivalPos"), sn.edges[b].length_m)
            rides.append(Ride(vid, depart, sn.position(a, dep if math.isfinite(dep) else 0.0),
                              sn.position(b, arr if math.isfinite(arr) else
                                          sn.edges[b].length_m)))
    for f, found in problems.items():
        if found:
            raise ScenarioError(f, found)
    return rides, taxis


def write_routes(path: Path, rides: list[tuple[str, float, str, float, str, float]],
                 taxis: list[tuple[str, float, str, float]], seats: int = 4) -> Path:
    """A SUMO route file: a taxi vType, each taxi waiting on its start edge, and each ride
    as a person riding a taxi. ``rides``: (id, depart_s, from_edge, from_pos, to_edge,
    to_pos); ``taxis``: (id, depart_s, edge, pos)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           "<!-- written by fleettwin: replay with SUMO's sumo, this file as route file and "
           "a taxi dispatch algorithm (greedy) -->",
           "<routes>",
           f'    <vType id="taxi" vClass="taxi" personCapacity="{int(seats)}">',
           '        <param key="has.taxi.device" value="true"/>',
           "    </vType>"]
    items: list[tuple[float, str]] = []
    for tid, dep, edge, pos in taxis:
        items.append((dep, f'    <trip id={quoteattr(str(tid))} type="taxi" depart="{dep:.2f}" '
                      f'departPos="{pos:.2f}" from={quoteattr(edge)} to={quoteattr(edge)} '
                      f'line="taxi">\n'
                      f'        <stop lane={quoteattr(edge + "_0")} triggered="person"/>\n'
                      f"    </trip>"))
    for rid, dep, fe, fp, te, tp in rides:
        items.append((dep, f'    <person id={quoteattr(str(rid))} depart="{dep:.2f}" '
                      f'departPos="{fp:.2f}">\n'
                      f'        <ride from={quoteattr(fe)} to={quoteattr(te)} '
                      f'arrivalPos="{tp:.2f}" lines="taxi"/>\n'
                      f"    </person>"))
    order = np.argsort([d for d, _ in items], kind="stable")
    out += [items[i][1] for i in order]  # SUMO wants route files sorted by departure
    out.append("</routes>\n")
    path.write_text("\n".join(out), encoding="utf-8")
    return path
