"""The offline reference: the static instance (everything known at time zero) solved by PyVRP.

PyVRP works on integers, so coordinates-derived distances and all times are scaled by
``scale`` (default 1000) and rounded; the reported distance is recomputed from the routes in
full precision. A fixed cost per vehicle (``vehicle_cost``, in distance units) steers the
distance-minimising solver toward the benchmark's hierarchical ranking (fewest vehicles
first) without forbidding an extra vehicle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from validation.dynamic_vrp.instances import Instance


@dataclass(frozen=True)
class OfflineResult:
    instance: str
    vehicles: int
    distance: float
    feasible: bool
    runtime_s: float
    routes: list[list[int]]  # node sequences without the depot
    best_vehicles: int
    best_distance: float

    @property
    def distance_gap(self) -> float:
        """Relative to the best-known distance (negative: shorter, usually with more vehicles)."""
        return self.distance / self.best_distance - 1.0


def solve_offline(inst: Instance, runtime_s: float = 5.0, seed: int = 1,
                  scale: int = 1000, vehicle_cost: float = 400.0,
                  iterations: int | None = None) -> OfflineResult:
    """Solve the static VRPTW or PDPTW instance with PyVRP within ``runtime_s`` seconds.

    Parameters
    ----------
    inst
        The benchmark instance (VRPTW customers become clients, PDPTW pairs shipments).
    runtime_s
        Wall-clock budget of the search (when ``iterations`` is not given).
    iterations
        Iteration budget instead: the same solution on any machine, however loaded.
    seed
        PyVRP's seed.
    scale
        Integer scaling of distances and times.
    vehicle_cost
        Fixed cost per vehicle used, in instance distance units.

    Returns
    -------
    OfflineResult
        Vehicles used, full-precision distance, feasibility, routes (node ids).
    """
    import time

    from pyvrp import Model
    from pyvrp.stop import MaxIterations, MaxRuntime

    def i(x: float) -> int:
        return int(round(float(x) * scale))

    m = Model()
    locs = [m.add_location(x=float(x), y=float(y)) for x, y in inst.xy]
    m.add_depot(locs[0], tw_early=i(inst.ready[0]), tw_late=i(inst.due[0]))
    m.add_vehicle_type(num_available=inst.vehicles, capacity=inst.capacity,
                       fixed_cost=i(vehicle_cost), tw_early=i(inst.ready[0]),
                       tw_late=i(inst.due[0]))
    origin, dest = inst.task_nodes()
    if inst.kind == "vrptw":
        for o in origin:
            m.add_client(locs[o], delivery=int(inst.demand[o]),
                         service_duration=i(inst.service[o]), tw_early=i(inst.ready[o]),
                         tw_late=i(inst.due[o]))
    else:
        for o, d in zip(origin, dest, strict=True):
            m.add_shipment(locs[o], locs[d], pickup_tw_early=i(inst.ready[o]),
                           pickup_tw_late=i(inst.due[o]),
                           pickup_service_duration=i(inst.service[o]),
                           delivery_tw_early=i(inst.ready[d]), delivery_tw_late=i(inst.due[d]),
                           delivery_service_duration=i(inst.service[d]),
                           amount=int(inst.demand[o]))
    dist = np.rint(inst.dist * scale).astype(np.int64)
    n = len(locs)
    for a in range(n):
        for b in range(n):
            if a != b:
                m.add_edge(locs[a], locs[b], distance=int(dist[a, b]),
                           duration=int(dist[a, b]))
    t0 = time.perf_counter()
    stop = MaxIterations(iterations) if iterations is not None else MaxRuntime(runtime_s)
    res = m.solve(stop=stop, seed=seed, display=False, collect_stats=False)
    wall = time.perf_counter() - t0
    best = res.best
    routes: list[list[int]] = []
    for route in best.routes():
        seq: list[int] = []
        for act in route:
            if act.is_client() or act.is_pickup():
                seq.append(int(origin[act.idx]))
            elif act.is_delivery():
                seq.append(int(dest[act.idx]))
        routes.append(seq)
    total = 0.0
    for seq in routes:
        path = [0, *seq, 0]
        total += float(inst.dist[path[:-1], path[1:]].sum())
    return OfflineResult(inst.name, len(routes), total, bool(best.is_feasible()), wall, routes,
                         inst.best_vehicles, inst.best_distance)
