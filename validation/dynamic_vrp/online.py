"""A benchmark instance served online: tasks are revealed over time and a registered
dispatcher places them, through the dispatch protocol and the same dispatch engine as the city
model (:mod:`sim.dispatch.engine`).

Rules of the game (documented in the validation README):

- **Release.** Task *k* with first node *o* is revealed at
  ``max(0, min(ready_o, due_o - t(depot, o)) - lead_k)``: ``lead_k`` before the earlier of its
  window opening and the last moment a vehicle could leave the depot and still reach it.
  ``lead_k = lead_fraction * horizon``, times ``U(1 - jitter, 1 + jitter)`` drawn from the
  named stream ``release`` when ``jitter > 0``. So every task is known at least ``lead_k``
  before its window opens, and a fresh vehicle leaving the depot when it appears reaches it
  ``lead_k`` before its due time (both unless the release is clipped at zero). In PDPTW the
  due time is the earlier of the pickup's and the latest pickup that still makes the
  delivery's window.
- **Time.** One instance time unit is ``time_unit_s`` seconds (default 60: Solomon units read
  as minutes), so dispatcher settings keep their meaning in seconds. Travel time equals
  Euclidean distance. Vehicles cannot turn off mid-leg (there is no road network): a new first
  stop is inserted only after the stop a vehicle is heading to.
- **Vehicles.** Up to the instance's fleet, all starting at the depot, each with the
  instance's capacity and due back at the depot by its closing time (schedule-planning
  dispatchers plan the return in, and price a vehicle not used yet at
  ``VEHICLE_COST_UNITS`` of driving, or ``vehicle_cost_units``, as the benchmark ranks fewer
  vehicles first). With
  ``reoptimise_every`` (a share of the horizon) they also re-plan the visits no vehicle has
  started, with PyVRP (:mod:`sim.dispatch.reoptimise`), at the first dispatch round (a task
  released) at least that long after the last time. A vehicle waits where it is until it must
  leave to reach its
  next stop as that stop's window opens (so a task revealed meanwhile can still go first:
  ``departure="for_window"``; ``"at_once"`` drives first and waits at the stop;
  ``"wait_first"``, ``"dynamic"`` and ``"advanced_dynamic"`` wait where it is for a share of
  the schedule's slack, the waiting strategies of Mitrović-Minić and Laporte 2004, see
  :func:`sim.dispatch.departure.departure_wait_s`), serves, and waits where it is.
  At the end every vehicle that left the depot drives back.
  "Vehicles used" counts those.
- **Capacity (VRPTW).** A customer's demand stays on board until the vehicle unloads at the
  depot (a *reload*). Schedule-planning dispatchers never exceed the capacity; a vehicle with
  nothing to do and less room left than ``reload_below`` goes to unload. Dispatchers that see
  only idle vehicles (pairs) do not see loads: a vehicle whose remaining capacity cannot take
  its next customer first drives to the depot to unload, then on; that detour can make the
  customer late (served late and counted, ``late``).
- **Windows.** Tasks are placed only where they meet their windows (pairs: a vehicle that
  reaches the task by its due time). A task no vehicle took before its window closed is
  rejected (``missed``).
- **Rebalancing.** A dispatcher that repositions idle vehicles gets, every
  ``rebalance_interval_s``, a forecast per map cell built from the tasks released so far
  (their places and rate), never from tasks still to come.
- **PDPTW.** Pickup then its paired delivery, each in its window. Dispatchers that see idle
  vehicles carry one task at a time; schedule-planning ones may carry several within the
  capacity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim.dispatch import Dispatcher, stops
from sim.dispatch.departure import DEPARTURES
from sim.dispatch.engine import SERVED, DispatchEngine
from sim.dispatch.rebalance import DemandForecast
from sim.dispatch.schedule import GOODS, N_LOAD, REQUESTS, RIDERS, Requests
from sim.engine.rng import RngStreams
from validation.dynamic_vrp.instances import Instance

#: Cost of using one more vehicle, in instance time units of driving: the benchmark ranks
#: fewer vehicles first (the offline reference prices a vehicle the same).
VEHICLE_COST_UNITS = 400.0
#: Task outcome codes in :attr:`OnlineResult.status`.
SERVED_TASK, MISSED = 3, 4
_EPS = 1e-6


@dataclass(frozen=True)
class ReleaseRule:
    """When each task becomes known (see the module docstring)."""

    lead_fraction: float = 0.05
    jitter: float = 0.0

    def release_times(self, inst: Instance, seed: int = 0) -> np.ndarray:
        """Release time of each task, in instance time units."""
        origin, dest = inst.task_nodes()
        lead = np.full(origin.size, self.lead_fraction * inst.horizon)
        if self.jitter > 0:
            rng = RngStreams(seed).stream("release")
            lead *= rng.uniform(1.0 - self.jitter, 1.0 + self.jitter, origin.size)
        due = inst.due[origin]
        if inst.kind == "pdptw":  # the delivery must still be made in its window too
            due = np.minimum(due, inst.due[dest] - inst.service[origin] - inst.dist[origin, dest])
        latest_leave = due - inst.dist[0, origin]
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


_KIND = {stops.VISIT: "service", stops.PICKUP: "pickup", stops.DROPOFF: "delivery",
         stops.DEPOT: "reload"}


class OnlineRun:
    """Serve one instance online with one dispatcher on a :class:`simpy.Environment`."""

    def __init__(self, inst: Instance, dispatcher: Dispatcher, release: np.ndarray,
                 time_unit_s: float = 60.0, fleet_size: int | None = None,
                 reload_below: float | None = None, reoptimise_every: float | None = None,
                 departure: str = "for_window", vehicle_cost_units: float | None = None):
        if departure not in DEPARTURES:
            raise ValueError(f"departure {departure!r} is not one of {', '.join(DEPARTURES)}")
        self.inst, self.disp, self.unit = inst, dispatcher, float(time_unit_s)
        self.env = simpy.Environment()
        self.tt = _Travel(inst.dist, self.unit)
        self.origin, self.dest = inst.task_nodes()
        o, d = self.origin, self.dest
        n = o.size
        u = self.unit
        self.release = np.asarray(release, dtype=float)
        T = np.ascontiguousarray(self.tt.time_s, dtype=np.float64)
        if inst.kind == "pdptw":
            q = Requests.build(
                self.release * u, o, d, T,
                pickup_window=(inst.ready[o] * u, inst.due[o] * u),
                dropoff_window=(inst.ready[d] * u, inst.due[d] * u),
                pickup_service_s=inst.service[o] * u, dropoff_service_s=inst.service[d] * u,
                riders=0.0, goods=inst.demand[o].astype(float),
                deadline_s=(inst.due[d] + inst.service[d]) * u)
        else:
            q = Requests.build(
                self.release * u, o, np.full(n, -1), T,
                pickup_window=(inst.ready[o] * u, inst.due[o] * u),
                pickup_service_s=inst.service[o] * u, riders=0.0,
                goods=inst.demand[o].astype(float), deadline_s=(inst.due[o] + inst.service[o]) * u)
        m = int(fleet_size or inst.vehicles)
        cap = np.zeros((m, N_LOAD))
        cap[:, RIDERS] = np.inf
        cap[:, GOODS] = inst.capacity
        pooling = bool(getattr(dispatcher, "pooling", False)) or inst.kind == "vrptw"
        cap[:, REQUESTS] = np.inf if pooling else 1
        self.engine = DispatchEngine(self.env, T, q, dispatcher, self, m, cap,
                                     np.zeros(m, dtype=np.int64), release_s=self.release * u,
                                     tt=self.tt)
        self.engine.departure = departure
        self.engine.schedules.end_node[:] = 0
        self.engine.schedules.end_late[:] = inst.due[0] * u
        if inst.kind == "vrptw":
            self.engine.reload_node = 0
        # The benchmark ranks fewer vehicles first: a vehicle put to use costs as much as
        # VEHICLE_COST_UNITS of driving to dispatchers that price insertions.
        self.engine.vehicle_cost_s = (VEHICLE_COST_UNITS if vehicle_cost_units is None
                                      else float(vehicle_cost_units)) * u
        # Re-optimisation of the visits not started (PyVRP), every this share of the horizon,
        # by dispatchers that plan over schedules.
        if reoptimise_every is not None:
            self.engine.reoptimise_s = reoptimise_every * inst.horizon * u
        self.reload_below = float(np.mean(inst.demand[o])) if reload_below is None \
            else float(reload_below)
        self.routes: list[list[Stop]] = [[] for _ in range(m)]
        self.km = np.zeros(m)
        self.late = np.zeros(n, dtype=bool)
        self.lateness = np.zeros(n)
        self.trace: list[tuple[float, int, str, int, int]] = []

    # ------------------------------------------------------------------ the engine's host
    def forecast(self, now_s: float, lookahead_s: float) -> DemandForecast | None:
        """Expected tasks per map cell over the look-ahead, from the tasks released so far
        (where they were and how fast they came): no knowledge of the future."""
        e = self.engine
        known = np.flatnonzero(e.status != 0)  # released (not pending)
        if known.size == 0 or now_s <= 0:
            return None
        cells = int(getattr(self.disp, "cells", 8))
        xy = self.inst.xy
        lo, span = xy.min(axis=0), np.maximum(np.ptp(xy, axis=0), 1e-9)
        ij = np.minimum(((xy - lo) / span * cells).astype(np.int64), cells - 1)
        cell = ij[:, 1] * cells + ij[:, 0]
        counts = np.bincount(cell[self.origin[known]], minlength=cells * cells).astype(float)
        expected = counts * (lookahead_s / now_s)
        anchor = np.full(cells * cells, -1, dtype=np.int64)
        for c in np.unique(cell[self.origin[known]]):
            nodes = self.origin[known][cell[self.origin[known]] == c]
            anchor[c] = int(np.bincount(nodes).argmax())
        return DemandForecast(cell, expected, anchor)

    def vehicle_state(self, v: int, state: str, r: int) -> None:
        """States are not recorded here: the trace and the routes say what happened."""

    def on_assign(self, r: int, v: int) -> None:
        self.trace.append((self.env.now, v, "assign", int(self.engine.node[v]), r))

    def on_leg(self, v: int, a: int, b: int, t0: float, t1: float, r: int,
               load: np.ndarray) -> None:
        self.km[v] += self.inst.dist[a, b]
        self.trace.append((t1, v, "arrive", b, r))
        if self.engine.leg_kind[v] == stops.MOVE:  # repositioning: on the route, no service
            u = self.unit
            self.routes[v].append(Stop(b, "reposition", -1, t1 / u, t1 / u, t1 / u))

    def on_stop(self, v: int, kind: int, r: int, node: int, arrive: float, start: float,
                end: float) -> None:
        u = self.unit
        if kind != stops.DEPOT and start > self.inst.due[node] * u + _EPS:
            self.late[r] = True
            self.lateness[r] += start / u - self.inst.due[node]
        self.routes[v].append(Stop(node, _KIND[kind], r, arrive / u, start / u, end / u))
        if kind != stops.DEPOT:
            self.trace.append((end, v, "done", node, r))

    def on_free(self, v: int) -> None:
        e = self.engine
        room = self.inst.capacity - e.cur_load[v, GOODS]
        if e.uses_schedules and self.inst.kind == "vrptw" and e.cur_load[v, GOODS] > 0 \
                and room < self.reload_below:
            e.schedules.append_depot(v, 0)
            e.schedules.dload[v, 0, GOODS] = -e.cur_load[v, GOODS]
            e.go(v)
            return
        if e.immediate and e.open:
            e.admit()
            e.decide()

    # ------------------------------------------------------------------- running
    def run(self) -> OnlineResult:
        """Run until every task is served or rejected, then send the vehicles home."""
        e = self.engine
        e.start(self.inst.horizon * self.unit)
        self.env.run()
        e.expire()
        missed = (e.status != SERVED)
        inst = self.inst
        used = np.array([any(s.kind != "reposition" for s in r) or bool(r)
                         for r in self.routes])
        back = e.free_at + inst.dist[e.node, 0] * self.unit
        for v in np.flatnonzero(used):
            self.km[v] += inst.dist[e.node[v], 0]
            self.trace.append((float(back[v]), int(v), "home", 0, -1))
        status = np.where(missed, MISSED, SERVED_TASK).astype(np.int8)
        return OnlineResult(self._kpis(used, back), self.routes, status, self.release.copy(),
                            self.trace)

    @property
    def rounds(self) -> int:
        return self.engine.rounds

    def _kpis(self, used: np.ndarray, back_s: np.ndarray) -> dict[str, float]:
        inst = self.inst
        e = self.engine
        n = e.status.size
        served = int((e.status == SERVED).sum())
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
            "dispatch_rounds": float(e.rounds),
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
