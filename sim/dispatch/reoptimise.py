"""Periodic re-optimisation of the stops not yet started, with PyVRP.

Insertion places each task for good at the moment it is known; over a long day with wide
windows the early choices age badly. Every so often the stops that no vehicle has started
(visits, and pickups with their drop-offs, as PyVRP shipments) are handed to PyVRP as one
static problem, starting from the plan in place: each vehicle in use starts where and when it can
next change course, with the room it has left, and must be back at its end depot by its
closing time; vehicles not used yet start at the depot and cost ``vehicle_cost_s``. The new
plan replaces the old one only if it is feasible in the model's own terms (every window and
capacity checked again on the model's travel times) and cheaper (less driving, vehicle costs
included). A request on board (or whose pickup is under way) keeps its vehicle: its
drop-off may move within that vehicle's route only.
The search runs for a fixed number of iterations with a fixed seed, so the result is the
same on any machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.dispatch import stops
from sim.dispatch.schedule import N_LOAD

if TYPE_CHECKING:
    from sim.dispatch.engine import DispatchEngine

_SCALE = 100  # PyVRP works on integers: hundredths of a second
_BIG_LOAD = 10**9  # an unlimited capacity, for PyVRP
_SNAPSHOT = ("n", "node", "kind", "req", "early", "late", "svc", "dload")


def _route_cost(T: np.ndarray, start: int, nodes: list[int], end: int) -> float:
    path = [start, *nodes] + ([end] if end >= 0 else [])
    return float(sum(T[a, b] for a, b in zip(path[:-1], path[1:], strict=False)))


def _movable(e: DispatchEngine, v: int) -> bool:
    """Whether vehicle ``v``'s stops not started can be re-planned (not with a reload stop
    planned, nor without an end depot)."""
    s = e.schedules
    k0, n = int(s.fixed[v]), int(s.n[v])
    return bool(s.end_node[v] >= 0 and not np.any(s.kind[v, k0:n] == stops.DEPOT))


def _orphans(e: DispatchEngine, v: int) -> set[int]:
    """Requests of vehicle ``v`` whose drop-off is still to come but whose pickup is done or
    under way: those drop-offs must stay on ``v``."""
    s = e.schedules
    k0, n = int(s.fixed[v]), int(s.n[v])
    kinds, reqs = s.kind[v, k0:n], s.req[v, k0:n]
    return set(reqs[kinds == stops.DROPOFF].tolist()) - set(reqs[kinds == stops.PICKUP].tolist())


def reoptimise(e: DispatchEngine, iterations: int, vehicle_cost_s: float, seed: int = 1
               ) -> bool:
    """Re-plan the movable stops of engine ``e``; True if a better plan was put in place."""
    from pyvrp import Model
    from pyvrp.stop import MaxIterations

    s, T = e.schedules, e.T
    avail = np.flatnonzero(e.available)
    if avail.size == 0:
        return False
    e.prepare(avail)
    used, fresh, moving = [], [], []
    for v in avail.tolist():
        if not _movable(e, v):
            continue
        if not e.used[v] and s.n[v] == 0 and e.mode[v] == stops.STOPPED:
            fresh.append(v)
        else:
            used.append(v)
            moving += [(v, k) for k in range(int(s.fixed[v]), int(s.n[v]))]
    if not moving:
        return False
    depot = int(s.end_node[used[0]])

    def start_of(v: int) -> tuple[int, float, np.ndarray]:
        if int(s.fixed[v]):
            return int(s.node[v, 0]), float(s.dep[v, 0]), s.load[v, 0]
        return int(s.p_node[v]), float(s.p_time[v]), s.p_load[v]

    def i(x: float) -> int:
        return int(round(min(x, 1e12) * _SCALE))

    # A drop-off whose pickup is done (or under way) must stay on its vehicle: it is a PyVRP
    # client delivering, besides its load, one unit of a load dimension of its own vehicle's,
    # which every other vehicle has no room for.
    orphans = {v: _orphans(e, v) for v in used}
    carriers = [v for v in used if orphans[v]]
    dim_of = {v: N_LOAD + j for j, v in enumerate(carriers)}
    dims = N_LOAD + len(carriers)

    def amount(x: np.ndarray, own: int = -1) -> list[int]:
        out = [int(round(max(0.0, float(a)))) for a in x] + [0] * (dims - N_LOAD)
        if own >= 0:
            out[own] = 1
        return out

    def room(v: int, load: np.ndarray) -> list[int]:
        out = [int(np.floor(min(float(c) - float(a), _BIG_LOAD))) if np.isfinite(c)
               else _BIG_LOAD for c, a in zip(s.cap[v], load, strict=True)]
        own = [0] * (dims - N_LOAD)
        if v in dim_of:
            own[dim_of[v] - N_LOAD] = len(orphans[v])
        return [max(0, a) for a in out] + own

    def start_load(v: int) -> np.ndarray:
        """The load a vehicle starts with, less what its kept drop-offs deliver (PyVRP
        counts a client's delivery as on board from the start)."""
        _, _, load = start_of(v)
        load = np.array(load, dtype=float)
        k0, n = int(s.fixed[v]), int(s.n[v])
        for k in range(k0, n):
            if s.kind[v, k] == stops.DROPOFF and int(s.req[v, k]) in orphans[v]:
                load += s.dload[v, k]  # negative: the load it takes off
        return load

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
    for v in used:
        node, t, _ = start_of(v)
        m.add_vehicle_type(num_available=1, capacity=room(v, start_load(v)),
                           start_depot=depot_at(node), end_depot=end_depot,
                           tw_early=i(t), tw_late=i(s.end_late[v]))
    if fresh:
        m.add_vehicle_type(num_available=len(fresh), capacity=room(fresh[0], np.zeros(N_LOAD)),
                           start_depot=end_depot, end_depot=end_depot,
                           fixed_cost=i(vehicle_cost_s), tw_early=i(e.env.now),
                           tw_late=i(s.end_late[fresh[0]]))
    # Visits are PyVRP clients; a pickup and its drop-off are one PyVRP shipment.
    client_of: list[int] = []  # client index -> moving index
    shipment_of: list[tuple[int, int]] = []  # shipment index -> (pickup, drop-off) moving index
    drop_at = {(v, int(s.req[v, k])): c for c, (v, k) in enumerate(moving)
               if s.kind[v, k] == stops.DROPOFF}
    for c, (v, k) in enumerate(moving):
        kind = int(s.kind[v, k])
        if kind == stops.VISIT or (kind == stops.DROPOFF and int(s.req[v, k]) in orphans[v]):
            client_of.append(c)
            load = s.dload[v, k] if kind == stops.VISIT else -s.dload[v, k]
            m.add_client(loc(int(s.node[v, k])),
                         delivery=amount(load, dim_of[v] if kind == stops.DROPOFF else -1),
                         service_duration=i(s.svc[v, k]), tw_early=i(s.early[v, k]),
                         tw_late=i(s.late[v, k]))
        elif kind == stops.PICKUP:
            d = drop_at[(v, int(s.req[v, k]))]
            dv, dk = moving[d]
            shipment_of.append((c, d))
            m.add_shipment(loc(int(s.node[v, k])), loc(int(s.node[dv, dk])),
                           pickup_tw_early=i(s.early[v, k]), pickup_tw_late=i(s.late[v, k]),
                           pickup_service_duration=i(s.svc[v, k]),
                           delivery_tw_early=i(s.early[dv, dk]),
                           delivery_tw_late=i(s.late[dv, dk]),
                           delivery_service_duration=i(s.svc[dv, dk]),
                           amount=amount(s.dload[v, k]))
    keys = list(nodes)
    for a in keys:
        for b in keys:
            if a != b:
                d = i(float(T[a, b]))
                m.add_edge(nodes[a], nodes[b], distance=d, duration=d)
    order = _Order(client_of, shipment_of)
    res = m.solve(stop=MaxIterations(int(iterations)), seed=seed, display=False,
                  collect_stats=False,
                  initial_solution=_current_plan(m, used, moving, order))
    best = res.best
    if not best.is_feasible():
        return False
    # The new routes, by vehicle, as moving indices: vehicle types are in order (used, fresh).
    new: dict[int, list[int]] = {v: [] for v in used}
    fresh_routes: list[list[int]] = []
    for route in best.routes():
        seq = [order.stop(act) for act in route if not act.is_depot()]
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
        new_cost += _route_cost(T, node, [int(s.node[moving[c]]) for c in new[v]],
                                int(s.end_node[v]))
    for seq in fresh_routes:
        new_cost += vehicle_cost_s + _route_cost(T, depot,
                                                 [int(s.node[moving[c]]) for c in seq], depot)
    if new_cost >= old_cost - 1e-6:
        return False
    return _apply(e, used, fresh, moving, new, fresh_routes)


class _Order:
    """Between PyVRP's activities (client or shipment numbers) and the moving stops."""

    def __init__(self, client_of: list[int], shipment_of: list[tuple[int, int]]):
        self.client_of, self.shipment_of = client_of, shipment_of
        self.activity: dict[int, tuple[str, int]] = {}
        for a, c in enumerate(client_of):
            self.activity[c] = ("client", a)
        for a, (p, d) in enumerate(shipment_of):
            self.activity[p] = ("pickup", a)
            self.activity[d] = ("delivery", a)

    def stop(self, act: Any) -> int:
        if act.is_client():
            return self.client_of[int(act.idx)]
        p, d = self.shipment_of[int(act.idx)]
        return p if act.is_pickup() else d


def _current_plan(m: Any, used: list[int], moving: list[tuple[int, int]],
                  order: _Order) -> Any:
    """The plan in place, as PyVRP's starting solution: the search goes on from it (so the
    iterations of successive re-optimisations add up) instead of starting afresh; ``None``
    when PyVRP does not take it (the search then starts from scratch)."""
    from pyvrp import Activity, ActivityType, Route, Solution

    kinds = {"client": ActivityType.CLIENT, "pickup": ActivityType.PICKUP,
             "delivery": ActivityType.DELIVERY}
    data = m.data()
    by_vehicle: dict[int, list[Any]] = {}
    for c, (v, _k) in enumerate(moving):  # in schedule order per vehicle
        kind, idx = order.activity[c]
        by_vehicle.setdefault(v, []).append(Activity(kinds[kind], idx))
    routes = [Route(data, by_vehicle[v], vt) for vt, v in enumerate(used) if by_vehicle.get(v)]
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
