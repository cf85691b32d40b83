"""Travel times by time of day: speed factors per road class and hour, or per edge.

A factor multiplies an edge's free-flow speed (its time is divided by it). The 24 hourly
factor vectors over all edges are grouped into *periods* (hours with identical factors on
every edge), and each period gets its own travel-time tables or router; the model switches
between them at hour boundaries (:class:`SpeedPeriods`).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from sim.city.network import RoadNetwork
from sim.city.schema import Speeds
from sim.errors import Problem, ScenarioError

#: Congestion delay index by hour of day (travel time over free-flow travel time) of a large
#: Chinese city on a working day, as read from the hourly curves of AutoNavi's (Amap) China
#: major-city traffic reports (Chengdu, Beijing, Shanghai: about 1.05 at night, 1.6 at the
#: morning peak 07-09, 1.35-1.45 through the day, 1.8 at the evening peak 17-19), rounded to
#: a few levels so that hours with the same index share tables. Speed factor = 1 / index.
CN_CONGESTION_INDEX: tuple[float, ...] = (
    1.05, 1.05, 1.05, 1.05, 1.05, 1.05, 1.2, 1.6, 1.6, 1.4, 1.4, 1.4,
    1.4, 1.4, 1.4, 1.4, 1.5, 1.8, 1.8, 1.5, 1.4, 1.2, 1.2, 1.05,
)


@dataclass
class Period:
    """Hours of the day that share the same factor on every edge."""

    hours: tuple[int, ...]
    edge_factor: np.ndarray  # one per edge, in ``net.edges`` order

    @property
    def free_flow(self) -> bool:
        return bool(np.all(self.edge_factor == 1.0))


def _profile(cfg: Speeds) -> np.ndarray:
    if cfg.profile == "cn_congestion":
        return 1.0 / np.asarray(CN_CONGESTION_INDEX)
    return np.ones(24)


def hourly_factors(cfg: Speeds, net: RoadNetwork, source: str) -> np.ndarray:
    """``(24, n_edges)`` speed factors: profile, then road class, then the edge file."""
    classes = np.asarray(net.edges["road_class"], dtype=object)
    out = np.repeat(_profile(cfg)[:, None], classes.size, axis=1)
    for cls, hours in cfg.factors.items():
        out[:, classes == cls] = np.asarray(hours, dtype=float)[:, None]
    if cfg.edges_file:
        _apply_edge_file(out, cfg.edges_file, net, source)
    return out


def _apply_edge_file(out: np.ndarray, name: str, net: RoadNetwork, source: str) -> None:
    """CSV ``u,v,hour,factor``; a row with an hour wins over one without, whatever their
    order; every bad row is reported at once (file, row, value)."""
    path = Path(name)
    if not path.is_absolute():
        path = Path(source).parent / path
    if not path.is_file():
        raise ScenarioError(source, [Problem("world.speeds.edges_file", "file not found", name)])
    index = {(int(u), int(v)): i for i, (u, v) in
             enumerate(zip(net.edges["u"].tolist(), net.edges["v"].tolist(), strict=True))}
    problems: list[Problem] = []
    hourly: list[tuple[int, int, float]] = []  # applied after the every-hour rows
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"u", "v", "hour", "factor"} - set(reader.fieldnames or [])
        if missing:
            raise ScenarioError(str(path), [Problem("header", "needs columns u,v,hour,factor "
                                                    f"(missing: {', '.join(sorted(missing))})",
                                                    reader.fieldnames)])
        for row_no, row in enumerate(reader, start=2):
            where = f"row {row_no}"
            try:
                key = (int(row["u"]), int(row["v"]))
            except (TypeError, ValueError):
                problems.append(Problem(f"{where}.u,v", "not road node numbers",
                                        f"{row.get('u')},{row.get('v')}"))
                continue
            edge = index.get(key)
            if edge is None:
                problems.append(Problem(f"{where}.u,v", "no such road edge in the network",
                                        f"{key[0]},{key[1]}"))
                continue
            try:
                factor = float(row["factor"])
            except (TypeError, ValueError):
                factor = math.nan
            if not (math.isfinite(factor) and 0 < factor <= 10):
                problems.append(Problem(f"{where}.factor", "a speed factor must be a number "
                                        "in (0, 10]", row.get("factor")))
                continue
            hour_text = (row.get("hour") or "").strip()
            if hour_text == "":
                out[:, edge] = factor
                continue
            try:
                hour = int(hour_text)
            except ValueError:
                hour = -1
            if not 0 <= hour <= 23:
                problems.append(Problem(f"{where}.hour", "an hour 0..23, or empty for every "
                                        "hour", hour_text))
                continue
            hourly.append((hour, edge, factor))
    for hour, edge, factor in hourly:
        out[hour, edge] = factor
    if problems:
        raise ScenarioError(str(path), problems)


def periods(factors: np.ndarray) -> tuple[list[Period], np.ndarray]:
    """Distinct hourly factor vectors, in order of first hour, and each hour's period."""
    out: list[Period] = []
    of_hour = np.zeros(24, dtype=np.int64)
    seen: dict[bytes, int] = {}
    for h in range(24):
        key = np.ascontiguousarray(factors[h]).tobytes()
        if key not in seen:
            seen[key] = len(out)
            out.append(Period((h,), factors[h].copy()))
        else:
            p = out[seen[key]]
            p.hours = (*p.hours, h)
        of_hour[h] = seen[key]
    return out, of_hour


def scaled_network(net: RoadNetwork, edge_factor: np.ndarray) -> RoadNetwork:
    """``net`` with every edge's travel time divided by its factor (same lengths)."""
    e = net.edges
    n = net.n_nodes
    free_s = e["length_m"] / (e["speed_kmh"] / 3.6)
    tcsr = csr_matrix((free_s / edge_factor, (e["u"], e["v"])), shape=(n, n))
    tcsr.sort_indices()
    return RoadNetwork(net.xy_m, net.lonlat, tcsr, net.length_csr, net.edges)


@dataclass
class SpeedPeriods:
    """The periods of a day and which one each clock hour uses."""

    periods: list[Period]
    of_hour: np.ndarray

    @classmethod
    def build(cls, cfg: Speeds, net: RoadNetwork, source: str) -> SpeedPeriods:
        p, of_hour = periods(hourly_factors(cfg, net, source))
        return cls(p, of_hour)

    def at(self, clock_s: float) -> int:
        """The period in force at a time of day (s since midnight, any day)."""
        return int(self.of_hour[int(clock_s // 3600) % 24])

    def next_change_s(self, clock_s: float) -> float:
        """Seconds from ``clock_s`` to the next hour boundary where the period changes
        (inf if it never does)."""
        now = self.at(clock_s)
        if len(self.periods) == 1:
            return math.inf
        hour0 = int(clock_s // 3600)
        for k in range(1, 25):
            if int(self.of_hour[(hour0 + k) % 24]) != now:
                return (hour0 + k) * 3600.0 - clock_s
        return math.inf
