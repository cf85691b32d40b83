"""Travel times for the city model: one back-end (all-pairs tables, or search for large
networks) per speed period of the day."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from sim.city.network import RoadNetwork
from sim.city.paths import travel_table

#: Networks with more nodes than this are answered by search (:mod:`sim.routing`) instead of
#: all-pairs tables when the scenario leaves ``world.routing`` at ``auto`` (tables: 8 bytes
#: per pair, 800 MB here).
TABLE_MAX_NODES = 10_000


class TravelTimesByPeriod:
    """One travel-time back-end (tables or router) per speed period of the day.

    ``at(clock_s)`` is the back-end in force at a time of day; ``kind`` says which back-end
    the network got (``tables`` up to :data:`TABLE_MAX_NODES` nodes unless
    the scenario asks otherwise, ``search`` above).
    """

    def __init__(self, speeds: Any, backends: list[Any], kind: str):
        self.speeds = speeds
        self.backends = backends
        self.kind = kind

    def at(self, clock_s: float) -> Any:
        return self.backends[self.speeds.at(clock_s)]

    def period_of(self, clock_s: np.ndarray) -> np.ndarray:
        return self.speeds.of_hour[(np.asarray(clock_s) // 3600).astype(np.int64) % 24]

    def set_bound(self, bound_s: float) -> None:
        """Longest pickup drive a dispatcher may accept (the router's search radius)."""
        for b in self.backends:
            if hasattr(b, "bound_s"):
                b.bound_s = float(bound_s)

    def memory_bytes(self) -> int:
        total = 0
        for b in self.backends:
            if hasattr(b, "memory_bytes"):
                total += int(b.memory_bytes())
            else:
                total += int(b.time_s.nbytes + b.dist_m.nbytes)
        return total


def build_travel_times(net: RoadNetwork, world: Any, source: str, cache_dir: Path | None,
                       timings: dict[str, float] | None = None) -> TravelTimesByPeriod:
    """Back-ends for every speed period of ``world.speeds``, tables or router by
    ``world.routing`` and the network's size."""
    from sim.city.speeds import SpeedPeriods, scaled_network
    from sim.errors import Problem, ScenarioError
    speeds = SpeedPeriods.build(world.speeds, net, source)
    n = net.n_nodes
    kind = world.routing
    if kind == "auto":
        kind = "tables" if n <= TABLE_MAX_NODES else "search"
    if kind == "tables" and n > TABLE_MAX_NODES:
        gb = 8.0 * n * n * len(speeds.periods) / 1e9
        raise ScenarioError(source, [Problem(
            "world.routing", f"travel-time tables for {n:,} nodes need {gb:,.1f} GB (at most "
            f"{TABLE_MAX_NODES:,} nodes); use search or auto", "tables")])
    t0 = time.perf_counter()
    backends: list[Any] = []
    for p in speeds.periods:
        net_p = net if p.free_flow else scaled_network(net, p.edge_factor)
        if kind == "tables":
            sub: dict[str, float] = {}
            backends.append(travel_table(net_p, cache_dir, sub))
            if timings is not None and "shortest_paths_cached" in sub:
                timings["shortest_paths_cached"] = sub["shortest_paths_cached"]
        else:
            from sim.routing.router import GraphRouter  # compiled searches: only when used

            backends.append(GraphRouter.from_network(net_p))
    if timings is not None:
        timings["shortest_paths_s"] = time.perf_counter() - t0
        timings["speed_periods"] = float(len(speeds.periods))
        timings["nodes"] = float(n)
    return TravelTimesByPeriod(speeds, backends, kind)
