"""A benchmark instance served online: tasks are revealed over time and a registered
dispatcher assigns them, one task per idle vehicle, through the dispatch protocol.

Rules of the game (documented in the validation README):

- **Release.** Task *k* with first node *o* is revealed at
  ``max(0, min(ready_o, due_o - t(depot, o)) - lead_k)``: ``lead_k`` before the earlier of its
  window opening and the last moment a vehicle could leave the depot and still reach it.
  ``lead_k = lead_fraction * horizon``, times ``U(1 - jitter, 1 + jitter)`` drawn from the
  named stream ``release`` when ``jitter > 0``. So every task is known at least ``lead_k``
  before its window opens, and a fresh vehicle leaving the depot when it appears reaches it
  ``lead_k`` before its due time (both unless the release is clipped at zero).
- **Time.** One instance time unit is ``time_unit_s`` seconds (default 60: Solomon units read
  as minutes), so dispatcher settings keep their meaning in seconds. Travel time equals
  Euclidean distance.
- **Vehicles.** Up to the instance's fleet, all starting at the depot; a vehicle drives to its
  task at once, waits if early, serves, and waits where it is for the next assignment. At the
  end every vehicle that left the depot drives back. "Vehicles used" counts those.
- **Capacity (VRPTW).** Dispatchers do not see loads. A vehicle whose remaining capacity
  cannot take the next customer first drives to the depot to unload (a *reload*), then on.
- **Windows.** Dispatchers only assign a vehicle that reaches the task by its due time. A
  reload detour can still make it late: the task is then served late and counted (``late``).
  A task no vehicle took before its window closed is rejected (``missed``).
- **PDPTW** (single load): a vehicle takes one task at a time, pickup then its paired
  delivery, waiting for each window; it is free again at the delivery node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim.dispatch import Dispatcher, FleetView, RequestView
from sim.engine.rng import RngStreams
from validation.dynamic_vrp.instances import Instance

PENDING, OPEN, ASSIGNED, SERVED, MISSED = range(5)
_EPS = 1e-9


@dataclass(frozen=True)
class ReleaseRule:
    """When each task becomes known (see the module docstring)."""

    lead_fraction: float = 0.05
    jitter: float = 0.0

    def release_times(self, inst: Instance, seed: int = 0) -> np.ndarray:
        """Release time of each task, in instance time units."""
        origin, _ = inst.task_nodes()
        lead = np.full(origin.size, self.lead_fraction * inst.horizon)
        if self.jitter > 0:
            rng = RngStreams(seed).stream("release")
            lead *= rng.uniform(1.0 - self.jitter, 1.0 + self.jitter, origin.size)
        latest_leave = inst.due[origin] - inst.dist[0, origin]
        return np.maximum(0.0, np.minimum(inst.ready[origin], latest_leave) - lead)


@dataclass(frozen=True)
class Stop:
    """One visit of a vehicle, times in instance units; ``kind`` is service, pickup,
    delivery or reload (at the depot)."""

    node: int
    kind: str
    task: int
    arrive: float
    start: float
    end: float


class _Travel:
    """The dispatch protocol's travel-time oracle over the instance's distance matrix."""

    def __init__(self, dist: np.ndarray, unit_s: float):
        self.time_s = dist * unit_s

    def times(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        return self.time_s[np.ix_(np.asarray(src), np.asarray(dst))]


@dataclass
class OnlineResult:
    kpis: dict[str, float]
    routes: list[list[Stop]]
    status: np.ndarray
    release: np.ndarray
    trace: list[tuple[float, int, str, int, int]] = field(default_factory=list)


class OnlineRun:
    """Serve one instance online with one dispatcher on a :class:`simpy.Environment`."""

    def __init__(self, inst: Instance, dispatcher: Dispatcher, release: np.ndarray,
                 time_unit_s: float = 60.0, fleet_size: int | None = None):
        self.inst, self.disp, self.unit = inst, dispatcher, float(time_unit_s)
        self.env = simpy.Environment()
        self.tt = _Travel(inst.dist, self.unit)
        self.origin, self.dest = inst.task_nodes()
        n = self.origin.size
        self.release = np.asarray(release, dtype=float)
        self.order = np.argsort(self.release, kind="stable")
        self.status = np.full(n, PENDING, dtype=np.int8)
        o, d = self.origin, self.dest
        svc_o = inst.service[o]
        if inst.kind == "pdptw":
            trip = svc_o + inst.dist[o, d] + inst.service[d]
            deadline = inst.due[d] + inst.service[d]
        else:
            trip, deadline = svc_o, inst.due[o] + svc_o
        u = self.unit
        self.view_all = RequestView(
            ids=np.arange(n, dtype=np.int64), origin=o.astype(np.int64),
            created_s=self.release * u, latest_pickup_s=inst.due[o] * u,
            deadline_s=deadline * u, trip_s=trip * u, urgent=np.zeros(n, dtype=bool),
            priority=np.zeros(n, dtype=np.int64))
        m = int(fleet_size or inst.vehicles)
        self.node = np.zeros(m, dtype=np.int64)
        self.load = np.zeros(m, dtype=np.int64)
        self.idle = np.ones(m, dtype=bool)
        self.free_at = np.zeros(m)
        self.routes: list[list[Stop]] = [[] for _ in range(m)]
        self.km = np.zeros(m)
        self.late = np.zeros(n, dtype=bool)
        self.lateness = np.zeros(n)
        self.open: list[int] = []
        self.next_rel = 0
        self.rounds = 0
        self.trace: list[tuple[float, int, str, int, int]] = []

    # ------------------------------------------------------------------ decisions
    def _admit(self) -> None:
        now = self.env.now
        while self.next_rel < self.order.size and \
                self.release[self.order[self.next_rel]] * self.unit <= now + _EPS:
            k = int(self.order[self.next_rel])
            self.status[k] = OPEN
            self.open.append(k)
            self.next_rel += 1

    def _expire(self) -> None:
        now = self.env.now
        latest = self.view_all.latest_pickup_s
        keep = []
        for k in self.open:
            if self.status[k] != OPEN:
                continue
            if latest[k] < now - _EPS:
                self.status[k] = MISSED
            else:
                keep.append(k)
        self.open = keep

    def decide(self) -> None:
        """One dispatch round over the open tasks and the idle vehicles."""
        self._expire()
        idle = np.flatnonzero(self.idle)
        if not self.open or idle.size == 0:
            return
        self.rounds += 1
        now = self.env.now
        ids = np.asarray(self.open, dtype=np.int64)
        va = self.view_all
        rv = RequestView(ids, va.origin[ids], va.created_s[ids], va.latest_pickup_s[ids],
                         va.deadline_s[ids], va.trip_s[ids], va.urgent[ids], va.priority[ids])
        fv = FleetView(idle.astype(np.int64), self.node[idle], np.full(idle.size, now))
        for k, v in self.disp.assign(now, rv, fv, self.tt):
            if not (0 <= k < self.status.size and 0 <= v < self.idle.size) \
                    or self.status[k] != OPEN or not self.idle[v]:
                raise RuntimeError(f"dispatcher {self.disp.name} returned an unavailable "
                                   f"pair (task {k}, vehicle {v})")
            self.status[k] = ASSIGNED
            self.idle[v] = False
            self.trace.append((now, v, "assign", int(self.node[v]), k))
            self.env.process(self._trip(v, k))
        self.open = [k for k in self.open if self.status[k] == OPEN]

    @property
    def immediate(self) -> bool:
        return self.disp.batch_window_s <= 0

    def _arrivals(self):  # type: ignore[no-untyped-def]
        for k in self.order:
            dt = self.release[k] * self.unit - self.env.now
            if dt > 0:
                yield self.env.timeout(dt)
            self._admit()
            self.decide()

    def _batch_loop(self):  # type: ignore[no-untyped-def]
        while True:
            self._admit()
            self.decide()
            if self.next_rel >= self.order.size and not self.open:
                return
            yield self.env.timeout(self.disp.batch_window_s)

    # ------------------------------------------------------------------- driving
    def _trip(self, v: int, k: int):  # type: ignore[no-untyped-def]
        inst, u = self.inst, self.unit
        o, d = int(self.origin[k]), int(self.dest[k])
        legs: list[tuple[int, str]] = []
        if inst.kind == "vrptw":
            if self.load[v] + inst.demand[o] > inst.capacity:
                legs.append((0, "reload"))
            legs.append((o, "service"))
        else:
            legs += [(o, "pickup"), (d, "delivery")]
        for node, kind in legs:
            a = int(self.node[v])
            yield self.env.timeout(self.tt.time_s[a, node])
            self.km[v] += inst.dist[a, node]
            self.node[v] = node
            arrive = self.env.now
            self.trace.append((arrive, v, "arrive", node, k))
            if kind == "reload":
                self.load[v] = 0
                self.routes[v].append(Stop(node, kind, k, arrive / u, arrive / u, arrive / u))
                continue
            if arrive > inst.due[node] * u + _EPS:
                self.late[k] = True
                self.lateness[k] += arrive / u - inst.due[node]
            wait = inst.ready[node] * u - arrive
            if wait > 0:
                yield self.env.timeout(wait)
            start = self.env.now
            yield self.env.timeout(inst.service[node] * u)
            self.routes[v].append(Stop(node, kind, k, arrive / u, start / u, self.env.now / u))
            self.trace.append((self.env.now, v, "done", node, k))
        if inst.kind == "vrptw":
            self.load[v] += inst.demand[o]
        self.status[k] = SERVED
        self.idle[v] = True
        self.free_at[v] = self.env.now
        if self.immediate:
            self._admit()
            self.decide()

    # ------------------------------------------------------------------- running
    def run(self) -> OnlineResult:
        """Run until every task is served or rejected, then send the vehicles home."""
        if self.immediate:
            self.env.process(self._arrivals())
        else:
            self.env.process(self._batch_loop())
        self.env.run()
        self._expire()
        self.status[self.status == OPEN] = MISSED
        self.status[self.status == PENDING] = MISSED
        inst = self.inst
        used = np.array([bool(r) for r in self.routes])
        back = self.free_at + inst.dist[self.node, 0] * self.unit
        for v in np.flatnonzero(used):
            self.km[v] += inst.dist[self.node[v], 0]
            self.trace.append((float(back[v]), int(v), "home", 0, -1))
        return OnlineResult(self._kpis(used, back), self.routes, self.status.copy(),
                            self.release.copy(), self.trace)

    def _kpis(self, used: np.ndarray, back_s: np.ndarray) -> dict[str, float]:
        inst = self.inst
        n = self.status.size
        served = int((self.status == SERVED).sum())
        late = int(self.late.sum())
        distance = float(self.km.sum())
        vehicles = int(used.sum())
        reloads = sum(s.kind == "reload" for r in self.routes for s in r)
        return {
            "tasks": float(n),
            "served": float(served),
            "missed": float(n - served),
            "late": float(late),
            "served_rate": served / n,
            "late_rate": late / n,
            "lateness_mean": float(self.lateness[self.late].mean()) if late else 0.0,
            "vehicles_used": float(vehicles),
            "distance": distance,
            "reloads": float(reloads),
            "overtime_vehicles": float((used & (back_s > inst.horizon * self.unit + _EPS)).sum()),
            "best_vehicles": float(inst.best_vehicles),
            "best_distance": inst.best_distance,
            "distance_gap": distance / inst.best_distance - 1.0,
            "vehicle_gap": float(vehicles - inst.best_vehicles),
            "dispatch_rounds": float(self.rounds),
        }


KPI_MEANINGS: dict[str, str] = {
    "tasks": "customers (VRPTW) or pickup-delivery pairs (PDPTW)",
    "served": "tasks served, on time or late",
    "missed": "tasks no vehicle took before their window closed (rejected)",
    "late": "tasks served after a due time (after a reload detour)",
    "served_rate": "served / tasks",
    "late_rate": "late / tasks",
    "lateness_mean": "mean lateness of late tasks, instance time units",
    "vehicles_used": "vehicles that left the depot",
    "distance": "total distance driven, depot to depot, instance units",
    "reloads": "trips back to the depot to unload (VRPTW)",
    "overtime_vehicles": "vehicles back after the depot closes",
    "best_vehicles": "vehicles of the best-known static solution",
    "best_distance": "distance of the best-known static solution",
    "distance_gap": "distance / best-known distance - 1 (the price of not knowing the future)",
    "vehicle_gap": "vehicles used - best-known vehicles",
    "dispatch_rounds": "dispatcher calls with work to do",
}


def run_online(inst: Instance, dispatcher: Dispatcher, rule: ReleaseRule | None = None,
               seed: int = 0, time_unit_s: float = 60.0, **kw: Any) -> OnlineResult:
    """Serve ``inst`` online with ``dispatcher``; see the module docstring for the rules.

    Parameters
    ----------
    inst
        The benchmark instance.
    dispatcher
        Any object following the dispatch protocol (``sim.dispatch.get_dispatcher(name)``).
    rule
        The release rule (default: lead 5% of the horizon, no jitter).
    seed
        Root seed; only used for the release jitter (stream ``release``).
    time_unit_s
        Seconds per instance time unit.

    Returns
    -------
    OnlineResult
        KPIs (see :data:`KPI_MEANINGS`), the vehicles' routes and the event trace.
    """
    rule = rule or ReleaseRule()
    release = rule.release_times(inst, seed)
    return OnlineRun(inst, dispatcher, release, time_unit_s, **kw).run()
