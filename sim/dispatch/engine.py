"""The dispatch engine: requests, vehicle schedules and their execution on SimPy.

One engine serves the city model and the dynamic routing benchmark. It releases requests,
calls the dispatcher (at every release, or every ``batch_window_s``), commits its answers into
the vehicles' schedules and drives each vehicle through its stops: leg to the next stop, wait
for the window to open, serve, next leg. A vehicle on its way can be diverted when a new first
stop is put before the one it heads to (it turns off at the next node of its path, when the
model gives the road network; otherwise it first reaches the stop it is heading to).

The model that owns the engine (the *host*) keeps everything else: drivers and shifts,
breakdowns, logs and KPIs. It gets callbacks (:class:`Host`) and says which vehicles may take
work (``available``).

Where things live:

- here, :class:`DispatchEngine`: construction, the request lifecycle (release, open requests,
  expiry, rejection), dispatch rounds that call the dispatcher, and committing its answers
  into schedules (commit, displace, the host's ``on_assign`` callback);
- :mod:`sim.dispatch.motion`, :class:`~sim.dispatch.motion.VehicleMotion` (which the engine
  inherits): vehicle motion, from setting a vehicle going after a schedule change to legs,
  departure waiting, diversion, arrival, service and the vehicle states told to the host;
- :mod:`sim.dispatch.states`: the request and vehicle states (re-exported here).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import numpy as np
import simpy

from sim.dispatch import stops
from sim.dispatch.base import Dispatcher, FleetView, Insertion, RequestView
from sim.dispatch.motion import VehicleMotion
from sim.dispatch.schedule import GOODS, N_LOAD, Requests, Schedules
from sim.dispatch.states import (
    ABANDONED,
    ASSIGNED,
    BUSY,
    IDLE,
    OPEN,
    PENDING,
    REJECTED,
    REPOSITIONING,
    SERVED,
    STATUS_NAMES,
    TO_PICKUP,
)
from sim.lazy import lazy_import

ins = lazy_import("sim.dispatch.insertion")  # the compiled kernels, loaded on first use

__all__ = [
    "ABANDONED",
    "ASSIGNED",
    "BUSY",
    "IDLE",
    "OPEN",
    "PENDING",
    "REJECTED",
    "REPOSITIONING",
    "SERVED",
    "STATUS_NAMES",
    "TO_PICKUP",
    "DispatchEngine",
    "Host",
]

_EPS = 1e-6


class Host(Protocol):
    """What the engine tells the model that owns it."""

    def vehicle_state(self, v: int, state: str, r: int) -> None:
        """Vehicle ``v`` now does ``state`` (for request ``r``, or -1)."""

    def on_leg(self, v: int, a: int, b: int, t0: float, t1: float, r: int,
               load: np.ndarray) -> None:
        """``v`` drove ``a -> b`` from ``t0`` to ``t1`` toward request ``r``'s stop (-1: a
        move with no stop) carrying ``load`` (per load dimension)."""

    def on_stop(self, v: int, kind: int, r: int, node: int, arrive: float, start: float,
                end: float) -> None:
        """``v`` served a stop (kind from :mod:`sim.dispatch.stops`)."""

    def on_free(self, v: int) -> None:
        """``v`` is at a node with nothing left to do."""


class DispatchEngine(VehicleMotion):
    """Schedules of ``n_vehicles`` vehicles and the requests in ``q``, run on ``env``: the
    rounds and commits here, the vehicles' motion inherited from
    :class:`~sim.dispatch.motion.VehicleMotion`.

    Parameters
    ----------
    T
        Travel time (s) between nodes, ``n x n`` (float32 or float64).
    release_s
        When each request becomes known to the dispatcher (default: its creation time).
    capacity
        ``(n_vehicles, 3)``: riders, goods and requests on board each vehicle may carry.
    graph
        ``(indptr, indices, weights)`` of the road network (weights in s), so that vehicles on
        the way can turn off at the next node; ``None``: they first reach where they head to.
    """

    def __init__(self, env: simpy.Environment, T: np.ndarray, q: Requests,
                 dispatcher: Dispatcher, host: Host, n_vehicles: int, capacity: np.ndarray,
                 start_node: np.ndarray, release_s: np.ndarray | None = None,
                 graph: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 tt: Any = None):
        self.env, self.T, self.q, self.disp, self.host = env, T, q, dispatcher, host
        self._T_to: np.ndarray | None = None
        self.tt = tt
        self.release_s = q.created_s if release_s is None else np.asarray(release_s, float)
        self.order = np.argsort(self.release_s, kind="stable")
        m, nv = len(q), int(n_vehicles)
        self.status = np.full(m, PENDING, dtype=np.int8)
        self.vehicle_of = np.full(m, -1, dtype=np.int64)
        self.assigned_s = np.full(m, np.nan)
        self.pickup_s = np.full(m, np.nan)
        self.dropoff_s = np.full(m, np.nan)
        self.closed_s = np.full(m, np.nan)  # abandoned or rejected at
        self.pooled = np.zeros(m, dtype=bool)
        self.open: list[int] = []
        self.next_rel = 0
        self.rounds = 0
        self.schedules = Schedules(nv, capacity)
        self.available = np.ones(nv, dtype=bool)
        self.mode = np.zeros(nv, dtype=np.int64)
        self.node = np.asarray(start_node, dtype=np.int64).copy()
        self.free_at = np.zeros(nv)
        self.leg_from = np.zeros(nv, dtype=np.int64)
        self.leg_to = np.zeros(nv, dtype=np.int64)
        self.leg_dep = np.zeros(nv)
        self.leg_arr = np.zeros(nv)
        self.leg_kind = np.zeros(nv, dtype=np.int64)
        self.leg_req = np.full(nv, -1, dtype=np.int64)
        self.walk_x = np.zeros(nv, dtype=np.int64)  # how far along its leg the path was read
        self.walk_t = np.zeros(nv)
        self.cur_load = np.zeros((nv, N_LOAD))
        self.onboard: list[set[int]] = [set() for _ in range(nv)]
        self.version = np.zeros(nv, dtype=np.int64)
        self.serving = np.zeros(nv, dtype=bool)
        self._idle: set[int] = set()
        self.state = [IDLE] * nv
        self.state_req = np.full(nv, -1, dtype=np.int64)
        self.used = np.zeros(nv, dtype=bool)  # has taken a request
        #: What putting an unused vehicle to work costs, in seconds of driving (the model's
        #: view: 0 for a fleet whose vehicles run anyway, more where fewer vehicles is a goal).
        self.vehicle_cost_s = 0.0
        #: How often dispatchers that plan over schedules re-optimise the stops not started
        #: (the model's preference; a dispatcher's own ``reoptimise_s`` wins). None: never.
        self.reoptimise_s: float | None = None
        self.last_reoptimised_s = -np.inf
        self.reoptimisations = 0
        self.divert = graph is not None
        #: When a vehicle leaves for its next stop (one of
        #: :data:`~sim.dispatch.departure.DEPARTURES`; Mitrović-Minić and Laporte, "Waiting
        #: strategies for the dynamic pickup and delivery problem with time windows", Transp.
        #: Res. B 38 (2004)): ``"at_once"`` (drive first, wait at the stop if early);
        #: ``"for_window"`` (wait where it is and arrive as the stop's window opens: while it
        #: waits, new stops can still be put before that one); the others wait where it is
        #: for a share of the schedule's slack (:func:`sim.dispatch.departure.departure_wait_s`).
        self.departure = "at_once"
        empty_i, empty_f = np.zeros(1, np.int64), np.zeros(1)
        self.graph = graph if graph is not None else (empty_i, empty_i, empty_f)
        self.displaced: set[int] = set()
        self._held: set[int] | None = None  # vehicles to set going when the round ends
        self.search_s = 0.0  # wall time in the insertion search (candidates and pricing)
        self.decide_s = 0.0  # wall time in dispatch decisions, search included
        self.decided = 0  # requests offered to the dispatcher, summed over decisions
        self.reload_node = -1
        self.reload_share = 1.0

    def set_travel_times(self, T: Any, tt: Any = None) -> None:
        """Travel times from now on (a speed period begins): legs under way keep the times
        they started with; the planned times of schedules are recomputed with the new ones.
        ``tt`` is what dispatchers query from now on (its transpose, if it keeps one, is
        shared as before)."""
        self.T = T
        self._T_to = None
        if tt is not None:
            self.tt = tt
        if isinstance(T, np.ndarray):
            s = self.schedules
            for v in np.flatnonzero(s.n > 0).tolist():
                s.refresh(v, T)

    @property
    def T_to(self) -> np.ndarray:
        """The transposed travel times (``T_to[o, x]`` = time from ``x`` to ``o``), made on
        first use: the candidate search reads one row per pickup."""
        if self._T_to is None:
            to = getattr(self.tt, "time_to", None)
            shared = to is not None and getattr(self.tt, "time_s", None) is self.T
            self._T_to = to if shared else np.ascontiguousarray(self.T.T)
        assert self._T_to is not None
        return self._T_to

    # ------------------------------------------------------------------ decision processes
    @property
    def immediate(self) -> bool:
        return self.disp.batch_window_s <= 0

    @property
    def uses_schedules(self) -> bool:
        return bool(getattr(self.disp, "uses_schedules", False))

    def start(self, horizon_s: float | None = None) -> None:
        """Register the release / decision processes, and rebalancing until ``horizon_s``
        when the dispatcher repositions idle vehicles and the host forecasts demand."""
        self.env.process(self._arrivals() if self.immediate else self._batch_loop())
        if hasattr(self.disp, "reposition") and hasattr(self.host, "forecast"):
            self.env.process(self._rebalance_loop(horizon_s))

    def _rebalance_loop(self, horizon_s: float | None):  # type: ignore[no-untyped-def]
        """Every ``rebalance_interval_s`` the idle vehicles and the host's demand forecast go
        to the dispatcher's ``reposition``; the moves it returns are driven."""
        d: Any = self.disp
        end = np.inf if horizon_s is None else horizon_s
        while self.env.now < end and not (horizon_s is None and self.done()):
            yield self.env.timeout(d.rebalance_interval_s)
            idle = self.idle_vehicles()
            if idle.size < 2:
                continue
            now = self.env.now
            forecast = self.host.forecast(now, d.lookahead_s)  # type: ignore[attr-defined]
            if forecast is None:
                continue
            fv = FleetView(idle, self.node[idle], np.full(idle.size, now))
            for v, dest in d.reposition(now, fv, forecast, self.tt):
                if dest < 0 or dest == int(self.node[v]) or not self.available[v] \
                        or self.mode[v] != stops.STOPPED or self.schedules.n[v]:
                    continue
                self.move(v, int(dest))

    def done(self) -> bool:
        return self.next_rel >= self.order.size and not self.open

    def _arrivals(self):  # type: ignore[no-untyped-def]
        for r in self.order:
            dt = self.release_s[r] - self.env.now
            if dt > 0:
                yield self.env.timeout(dt)
            self.admit()
            self.decide()

    def _batch_loop(self):  # type: ignore[no-untyped-def]
        window = self.disp.batch_window_s
        while True:
            self.admit()
            self.decide()
            if self.done():
                return
            yield self.env.timeout(window)

    # ------------------------------------------------------------------ requests
    def admit(self) -> None:
        now = self.env.now
        while self.next_rel < self.order.size and \
                self.release_s[self.order[self.next_rel]] <= now + _EPS:
            r = int(self.order[self.next_rel])
            if self.status[r] == PENDING:
                self.status[r] = OPEN
                self.open.append(r)
            self.next_rel += 1

    def expire(self) -> None:
        """Open requests whose pickup window has closed are abandoned."""
        now = self.env.now
        late = self.q.pickup_late_s
        keep = []
        for r in self.open:
            if self.status[r] != OPEN:
                continue
            if late[r] < now - _EPS:
                self.status[r] = ABANDONED
                self.closed_s[r] = late[r]
            else:
                keep.append(r)
        self.open = keep

    def reject(self, r: int) -> None:
        self.status[r] = REJECTED
        self.closed_s[r] = self.env.now

    def request_view(self, ids: np.ndarray) -> RequestView:
        q = self.q
        trip = q.pickup_service_s[ids] + q.direct_s[ids] + np.where(
            q.destination[ids] >= 0, q.dropoff_service_s[ids], 0.0)
        return RequestView(ids, q.origin[ids], q.created_s[ids], q.pickup_late_s[ids],
                           q.deadline_s[ids], trip, q.urgent[ids], q.priority[ids])

    def idle_vehicles(self) -> np.ndarray:
        s = self.schedules
        return np.flatnonzero(self.available & (self.mode == stops.STOPPED) & (s.n == 0)
                              & (self.free_at <= self.env.now + _EPS) & ~self.serving)

    def decide(self) -> None:
        """One dispatch decision over the open requests."""
        self.expire()
        if not self.open:
            return
        t0 = time.perf_counter()
        try:
            self._decide()
        finally:
            self.decide_s += time.perf_counter() - t0

    def _decide(self) -> None:
        now = self.env.now
        ids = np.asarray(self.open, dtype=np.int64)
        self.decided += ids.size
        rv = self.request_view(ids)
        self.displaced = set()
        if self.uses_schedules:
            from sim.dispatch.plan import Plan

            vs = np.flatnonzero(self.available)
            if vs.size == 0 and not getattr(self.disp, "rejects", False):
                return
            self.rounds += 1
            fv = FleetView(vs, self.node[vs], np.maximum(self.free_at[vs], now), Plan(self))
            # A round is one instant: vehicles set going by it leave on the round's final plan
            # (after every insertion and any re-optimisation), not on its first draft.
            self._held = set()
            try:
                self.disp.assign(now, rv, fv, self.tt)
            finally:
                held, self._held = self._held or set(), None
                for v in sorted(held):
                    self.replan(v)
        else:
            idle = self.idle_vehicles()
            if idle.size == 0:
                return
            self._idle = set(idle.tolist())
            self.rounds += 1
            fv = FleetView(idle, self.node[idle], np.full(idle.size, now))
            for pair in self.disp.assign(now, rv, fv, self.tt):
                r, v = (pair.request, pair.vehicle) if isinstance(pair, Insertion) else pair
                self._commit_pair(int(r), int(v))
        if getattr(self.disp, "rejects", False):
            for r in ids:
                if self.status[r] == OPEN and int(r) not in self.displaced:
                    self.reject(int(r))
        self.open = [r for r in self.open if self.status[r] == OPEN]

    # ------------------------------------------------------------------ committing
    def prepare(self, vs: np.ndarray) -> None:
        """Start points and schedule times of vehicles ``vs`` at the current time."""
        s = self.schedules
        indptr, indices, weights = self.graph
        ins.prepare(np.asarray(vs, dtype=np.int64), float(self.env.now), self.divert,
                    self.mode, self.node, self.free_at, self.leg_from, self.leg_to,
                    self.leg_dep, self.leg_arr, self.leg_kind, self.cur_load, self.walk_x,
                    self.walk_t, indptr, indices,
                    weights, self.T, s.n, s.node, s.early, s.late, s.svc, s.dload, s.p_node,
                    s.p_time, s.p_load, s.fixed, s.end_node, s.end_late, s.arr, s.start, s.dep,
                    s.load, s.fs, s.end_slack)

    def _commit_pair(self, r: int, v: int) -> None:
        """A pair from a dispatcher that sees idle vehicles: a one-request schedule (with a
        reload at the depot first when the goods on board leave no room)."""
        if not (0 <= r < self.status.size and 0 <= v < self.available.size) \
                or self.status[r] != OPEN or v not in self._idle:
            raise RuntimeError(f"dispatcher {self.disp.name} returned an unavailable pair "
                               f"(request {r}, vehicle {v})")
        s = self.schedules
        self._idle.discard(v)
        if self._fits_alone(r, v):
            self.commit(r, v, 0, 0)
            return
        if self.reload_node >= 0 and self.cur_load[v, GOODS] > 0:
            # The dispatcher did not see the load: unload first, even if that makes it late.
            s.append_depot(v, self.reload_node)
            s.dload[v, 0, GOODS] = -self.cur_load[v, GOODS]
            self.commit(r, v, 1, 1)

    def _fits_alone(self, r: int, v: int) -> bool:
        """Whether request ``r`` alone fits idle vehicle ``v`` now (windows, load, the way
        back to its end depot): the one-request schedule, checked without the search."""
        q, s, T = self.q, self.schedules, self.T
        if ((self.cur_load[v] + q.load[r]) > s.cap[v] + _EPS).any():
            return False
        x, o, d = self.node[v], q.origin[r], q.destination[r]
        start = max(self.env.now + float(T[x, o]), q.pickup_early_s[r])
        if start > q.pickup_late_s[r] + _EPS:
            return False
        t, last = start + q.pickup_service_s[r], o
        if d >= 0:
            start = max(t + float(T[o, d]), q.dropoff_early_s[r])
            if start > q.dropoff_late_s[r] + _EPS:
                return False
            t, last = start + q.dropoff_service_s[r], d
        end = s.end_node[v]
        return bool(end < 0 or t + float(T[last, end]) <= s.end_late[v] + _EPS)

    def commit(self, r: int, v: int, i: int, j: int, promise_s: float = np.inf) -> None:
        """Put request ``r`` into vehicle ``v``'s schedule (positions as in
        :class:`~sim.dispatch.base.Insertion`) and set the vehicle going."""
        s = self.schedules
        s.insert(v, r, i, j, self.q, promise_s)
        self.status[r] = ASSIGNED
        self.vehicle_of[r] = v
        self.assigned_s[r] = self.env.now
        self.used[v] = True
        hook = getattr(self.host, "on_assign", None)
        if hook is not None:
            hook(r, v)
        self.replan(v)

    def displace(self, v: int, r: int) -> None:
        """Take request ``r`` (not yet picked up) out of ``v``'s schedule; it is open again."""
        s = self.schedules
        s.remove_request(v, r)
        s.refresh(v, self.T)
        self.status[r] = OPEN
        self.vehicle_of[r] = -1
        self.assigned_s[r] = np.nan
        self.displaced.add(r)
        if r not in self.open:
            self.open.append(r)
        self.replan(v)
