"""Periodic re-optimisation of the stops not yet started, with PyVRP.

Insertion places each task for good at the moment it is known; over a long day with wide
windows the early choices age badly. Every so often the visits that no vehicle has started
are handed to PyVRP as one static problem: each vehicle in use starts where and when it can
next change course, with the room it has left, and must be back at its end depot by its
closing time; vehicles not used yet start at the depot and cost ``vehicle_cost_s``. The new
plan replaces the old one only if it is feasible in the model's own terms (every window and
capacity checked again on the model's travel times) and cheaper (less driving, vehicle costs
included). Tasks with a pickup and a drop-off, and vehicles carrying them, keep their plan.
The search runs for a fixed number of iterations with a fixed seed, so the result is the
same on any machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.dispatch import insertion as ins
from sim.dispatch.schedule import GOODS

if TYPE_CHECKING:
    from sim.dispatch.engine import DispatchEngine

_SCALE = 100  # PyVRP works on integers: hundredths of a second
_SNAPSHOT = ("n", "node", "kind", "req", "early", "late", "svc", "dload")


def _route_cost(T: np.ndarray, start: int, nodes: list[int], end: int) -> float:
    path = [start, *nodes] + ([end] if end >= 0 else [])
    return float(sum(T[a, b] for a, b in zip(path[:-1], path[1:], strict=False)))


def reoptimise(e: DispatchEngine, iterations: int, vehicle_cost_s: float, seed: int = 1
               ) -> bool:
    """Re-plan the movable visits of engine ``e``; True if a better plan was put in place."""
    from pyvrp import Model
    from pyvrp.stop import MaxIterations

    s, T = e.schedules, e.T
    avail = np.flatnonzero(e.available)
    if avail.size == 0:
        return False
    e.prepare(avail)
    used, fresh, moving = [], [], []
    for v in avail.tolist():
        k0 = int(s.fixed[v])
        kinds = s.kind[v, k0:s.n[v]]
        if s.end_node[v] < 0 or np.any(kinds != ins.VISIT):
            continue  # pickups and drop-offs keep their plan
        if not e.used[v] and s.n[v] == 0 and e.mode[v] == ins.STOPPED:
            fresh.append(v)
        else:
            used.append(v)
            moving += [(v, k) for k in range(k0, int(s.n[v]))]
    if not moving:
        return False
    depot = int(s.end_node[used[0]])

    def start_of(v: int) -> tuple[int, float, float]:
        k0 = int(s.fixed[v])
        if k0:
            return int(s.node[v, 0]), float(s.dep[v, 0]), float(s.load[v, 0, GOODS])
        return int(s.p_node[v]), float(s.p_time[v]), float(s.p_load[v, GOODS])

    def i(x: float) -> int:
        return int(round(min(x, 1e12) * _SCALE))

    m = Model()
    nodes: dict[int, Any] = {}

    def loc(node: int) -> Any:
        if node not in nodes:
            nodes[node] = m.add_location(x=0, y=0)
        return nodes[node]

    depots: dict[int, Any] = {}

    def depot_at(node: int) -> Any:
        if node not in depots:
            depots[node] = m.add_depot(loc(node))
        return depots[node]

    end_depot = depot_at(depot)
    cap_goods = float(s.cap[used[0], GOODS])
    types = []
    for v in used:
        node, t, load = start_of(v)
        room = max(0, int(np.floor(float(s.cap[v, GOODS]) - load)))
        types.append(m.add_vehicle_type(num_available=1, capacity=[room],
                                        start_depot=depot_at(node), end_depot=end_depot,
                                        tw_early=i(t), tw_late=i(s.end_late[v])))
    if fresh:
        fresh_type = m.add_vehicle_type(num_available=len(fresh), capacity=[int(cap_goods)],
                                        start_depot=end_depot, end_depot=end_depot,
                                        fixed_cost=i(vehicle_cost_s), tw_early=i(e.env.now),
                                        tw_late=i(s.end_late[fresh[0]]))
        types.append(fresh_type)
    clients = []
    for v, k in moving:
        clients.append(m.add_client(loc(int(s.node[v, k])),
                                    delivery=[int(round(float(s.dload[v, k, GOODS])))],
                                    service_duration=i(s.svc[v, k]), tw_early=i(s.early[v, k]),
                                    tw_late=i(s.late[v, k])))
    keys = list(nodes)
    for a in keys:
        for b in keys:
            if a != b:
                d = i(float(T[a, b]))
                m.add_edge(nodes[a], nodes[b], distance=d, duration=d)
    res = m.solve(stop=MaxIterations(int(iterations)), seed=seed, display=False,
                  collect_stats=False, initial_solution=_current_plan(m, used, moving))
    best = res.best
    if not best.is_feasible():
        return False
    # The new routes, by vehicle: vehicle types are in order (used ..., fresh).
    stop_data = {c: moving[c] for c in range(len(moving))}
    new: dict[int, list[int]] = {v: [] for v in used}
    fresh_routes: list[list[int]] = []
    for route in best.routes():
        seq = [int(act.idx) for act in route if act.is_client()]
        vt = int(route.vehicle_type())
        if vt < len(used):
            new[used[vt]] = seq
        else:
            fresh_routes.append(seq)
    # Cost in the model's own terms, old against new.
    old_cost = 0.0
    new_cost = 0.0
    for v in used:
        node, _, _ = start_of(v)
        k0 = int(s.fixed[v])
        old_cost += _route_cost(T, node, s.node[v, k0:s.n[v]].tolist(), int(s.end_node[v]))
        new_cost += _route_cost(T, node, [int(s.node[stop_data[c]]) for c in new[v]],
                                int(s.end_node[v]))
    for seq in fresh_routes:
        new_cost += vehicle_cost_s + _route_cost(T, depot,
                                                 [int(s.node[stop_data[c]]) for c in seq], depot)
    if new_cost >= old_cost - 1e-6:
        return False
    return _apply(e, used, fresh, moving, new, fresh_routes)


def _current_plan(m: Any, used: list[int], moving: list[tuple[int, int]]) -> Any:
    """The plan in place, as PyVRP's starting solution: the search goes on from it (so the
    iterations of successive re-optimisations add up) instead of starting afresh; ``None``
    when PyVRP does not take it (the search then starts from scratch)."""
    from pyvrp import Activity, ActivityType, Route, Solution

    data = m.data()
    by_vehicle: dict[int, list[int]] = {}
    for c, (v, _k) in enumerate(moving):  # in schedule order per vehicle
        by_vehicle.setdefault(v, []).append(c)
    routes = [Route(data, [Activity(ActivityType.CLIENT, c) for c in by_vehicle[v]], vt)
              for vt, v in enumerate(used) if by_vehicle.get(v)]
    try:
        return Solution(data, routes)
    except (RuntimeError, ValueError):
        return None


def _apply(e: DispatchEngine, used: list[int], fresh: list[int],
           moving: list[tuple[int, int]], new: dict[int, list[int]],
           fresh_routes: list[list[int]]) -> bool:
    """Put the new routes in place if every window and capacity holds; else change nothing."""
    s = e.schedules
    need = max([int(s.fixed[v]) + len(seq) for v, seq in new.items()]
               + [len(seq) for seq in fresh_routes] + [1])
    while s.width < need + 1:
        s._grow()
    snap = {a: getattr(s, a).copy() for a in _SNAPSHOT}
    rows = [(int(s.node[v, k]), int(s.kind[v, k]), int(s.req[v, k]), float(s.early[v, k]),
             float(s.late[v, k]), float(s.svc[v, k]), s.dload[v, k].copy()) for v, k in moving]
    for v in used:
        s.n[v] = int(s.fixed[v])
    owner: dict[int, int] = {}
    for v, seq in [*new.items(), *zip(fresh, fresh_routes, strict=False)]:
        for c in seq:
            node, kind, r, early, late, svc, dl = rows[c]
            s._put(v, int(s.n[v]), node, kind, r, early, late, svc, dl)
            owner[r] = v
    changed = used + fresh[:len(fresh_routes)]
    e.prepare(np.asarray(changed, dtype=np.int64))
    ok = all(float(s.fs[v, k]) >= -1e-6 for v in changed for k in range(int(s.n[v]))) and \
        all(float(s.end_slack[v]) >= -1e-6 for v in changed) and \
        all(np.all(s.load[v, :s.n[v]] <= s.cap[v] + 1e-6) for v in changed)
    if not ok:
        for a, arr in snap.items():
            getattr(s, a)[...] = arr
        e.prepare(np.asarray(changed, dtype=np.int64))
        return False
    for r, v in owner.items():
        e.vehicle_of[r] = v
        e.used[v] = True
    for v in changed:
        e.replan(v)
    return True


def maybe_reoptimise(e: DispatchEngine, interval_s: float | None, iterations: int,
                     vehicle_cost_s: float) -> None:
    """Re-optimise when ``interval_s`` has passed since the last time (the dispatcher's own
    interval, else the model's ``reoptimise_s``; neither: never)."""
    every = interval_s if interval_s is not None else e.reoptimise_s
    if every is None or e.env.now < e.last_reoptimised_s + every:
        return
    e.last_reoptimised_s = float(e.env.now)
    if reoptimise(e, iterations, max(vehicle_cost_s, e.vehicle_cost_s)):
        e.reoptimisations += 1
