"""Vehicle motion in the dispatch engine: legs, stops and diversions on SimPy.

:class:`VehicleMotion` drives each vehicle through its schedule: leg to the first stop (at
once, or after waiting where it is, as the departure rule says), wait for the stop's window
to open, serve it, next leg. When a dispatch round changes a schedule (:meth:`replan`), a
vehicle standing still is set going, and one on its way whose first stop is no longer the
one it heads to is diverted: it turns off at the next node of its path when the model gives
the road network, or first reaches where it heads to otherwise. As it goes, it derives what
the vehicle is doing (:mod:`sim.dispatch.states`) and tells the host.

It is a mixin of :class:`sim.dispatch.engine.DispatchEngine`, which creates the arrays
declared below and runs the requests and dispatch rounds; the methods here read them on
``self`` as the engine's own, with no object in between on the path of every event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.dispatch import stops
from sim.dispatch.departure import departure_wait_s
from sim.dispatch.schedule import GOODS, Schedules
from sim.dispatch.states import BUSY, REPOSITIONING, SERVED, TO_PICKUP
from sim.lazy import lazy_import

if TYPE_CHECKING:
    from sim.dispatch.base import Dispatcher
    from sim.dispatch.engine import Host

ins = lazy_import("sim.dispatch.insertion")  # the compiled kernels, loaded on first use

_EPS = 1e-6


class VehicleMotion:
    """The vehicle-motion half of :class:`~sim.dispatch.engine.DispatchEngine`.

    Per vehicle (arrays of ``n_vehicles``): ``mode`` (:data:`~sim.dispatch.stops.STOPPED` at
    ``node``, free from ``free_at``, or :data:`~sim.dispatch.stops.DRIVING`), the leg under
    way (``leg_from``, ``leg_to``, ``leg_dep``, ``leg_arr``, ``leg_kind``, ``leg_req``, and
    ``walk_x`` / ``walk_t``: how far along it the path was read), ``cur_load`` and
    ``onboard``, ``serving`` (busy at a stop), ``version`` (bumped when a planned event is
    superseded: a stale one does nothing) and ``state`` / ``state_req`` (what it does, for
    which request). At its stops, the requests it picks up and drops off get ``pickup_s``,
    ``dropoff_s``, ``pooled`` and their served ``status`` here.
    """

    env: simpy.Environment
    T: np.ndarray
    disp: Dispatcher
    host: Host
    schedules: Schedules
    graph: tuple[np.ndarray, np.ndarray, np.ndarray]
    divert: bool
    departure: str
    mode: np.ndarray
    node: np.ndarray
    free_at: np.ndarray
    leg_from: np.ndarray
    leg_to: np.ndarray
    leg_dep: np.ndarray
    leg_arr: np.ndarray
    leg_kind: np.ndarray
    leg_req: np.ndarray
    walk_x: np.ndarray
    walk_t: np.ndarray
    cur_load: np.ndarray
    onboard: list[set[int]]
    version: np.ndarray
    serving: np.ndarray
    state: list[str]
    state_req: np.ndarray
    status: np.ndarray
    pickup_s: np.ndarray
    dropoff_s: np.ndarray
    pooled: np.ndarray
    _held: set[int] | None  # during a round: vehicles to set going when it ends

    # ------------------------------------------------------------------ timing
    def after(self, delay: float, fn: Callable[..., None], *args: int) -> None:
        """Call ``fn(*args)`` ``delay`` seconds from now, as a SimPy event (a bare triggered
        event on the queue: a vehicle's every stop goes through here)."""
        ev = simpy.Event(self.env)
        ev._ok, ev._value = True, None
        ev.callbacks.append(lambda _e: fn(*args))
        self.env.schedule(ev, simpy.events.NORMAL, delay if delay > 0.0 else 0.0)

    # ------------------------------------------------------------------ re-planning
    def replan(self, v: int) -> None:
        """After a schedule change: set an idle vehicle going, or divert one whose first stop
        is no longer the one it heads to."""
        s = self.schedules
        if self.mode[v] == stops.STOPPED:
            if self.free_at[v] <= self.env.now + _EPS and not self.serving[v]:
                if self._held is not None:
                    self._held.add(v)  # set going at the end of the round
                    return
                self.go(v)
            self._update_state(v)
            return
        heading = self.leg_kind[v] == stops.TO_STOP
        first_same = s.n[v] > 0 and s.node[v, 0] == self.leg_to[v] and \
            s.req[v, 0] == self.leg_req[v]
        if heading and first_same:
            self._update_state(v)
            return
        if not heading and s.n[v] == 0:
            return
        if not self.divert:
            # It first reaches where it heads to; the new plan starts there.
            if heading:
                raise RuntimeError(f"dispatcher {self.disp.name} put a stop before the one "
                                   f"vehicle {v} cannot turn away from")
            return
        self._turn(v)

    def _turn(self, v: int) -> None:
        """Divert vehicle ``v`` at the next node of its path."""
        indptr, indices, weights = self.graph
        a, b = int(self.leg_from[v]), int(self.leg_to[v])
        x, t = ins.diversion_point(int(self.walk_x[v]), b, float(self.walk_t[v]),
                                   float(self.leg_arr[v]), self.env.now, indptr, indices,
                                   weights, self.T)
        x = int(x)
        t = max(float(t), self.env.now)
        self.version[v] += 1
        if x == b:
            t = float(self.leg_arr[v])
        self.host.on_leg(v, a, x, float(self.leg_dep[v]), t, int(self.leg_req[v]),
                         self.cur_load[v].copy())
        self.node[v] = x
        self.mode[v] = stops.STOPPED
        self.leg_kind[v] = stops.TO_STOP
        self.free_at[v] = t
        ver = int(self.version[v])
        self.after(t - self.env.now, self._depart, v, ver)
        self._update_state(v)

    # ------------------------------------------------------------------ driving
    def go(self, v: int) -> None:
        """``v`` is at ``node[v]`` and free now: head to its first stop, or report it free."""
        s = self.schedules
        if s.n[v] == 0:
            self.mode[v] = stops.STOPPED
            self.leg_kind[v] = stops.TO_STOP
            self.free_at[v] = self.env.now
            self.host.on_free(v)
            return
        a, b = int(self.node[v]), int(s.node[v, 0])
        if self.departure != "at_once":
            wait = departure_wait_s(self.departure, s, self.T, v, a, float(self.env.now))
            if wait > _EPS:
                self.version[v] += 1
                self.free_at[v] = self.env.now
                self._update_state(v)
                self.after(wait, self._leave, v, int(self.version[v]))
                return
        self._leg(v, a, b, stops.TO_STOP, int(s.req[v, 0]))

    def _leave(self, v: int, ver: int) -> None:
        """A vehicle waiting for its next stop's window leaves now (unless re-planned)."""
        if ver != self.version[v] or self.serving[v] or self.mode[v] != stops.STOPPED:
            return
        s = self.schedules
        if s.n[v] == 0:
            self.go(v)
            return
        self.free_at[v] = self.env.now
        self._leg(v, int(self.node[v]), int(s.node[v, 0]), stops.TO_STOP, int(s.req[v, 0]))

    def move(self, v: int, b: int) -> None:
        """Send an idle vehicle to node ``b`` with no stop there (repositioning, going home)."""
        self._leg(v, int(self.node[v]), int(b), stops.MOVE, -1)

    def _leg(self, v: int, a: int, b: int, kind: int, r: int) -> None:
        now = self.env.now
        self.version[v] += 1
        self.mode[v] = stops.DRIVING
        self.leg_from[v], self.leg_to[v], self.leg_kind[v], self.leg_req[v] = a, b, kind, r
        self.leg_dep[v] = now
        self.walk_x[v], self.walk_t[v] = a, now
        dt = float(self.T[a, b])
        self.leg_arr[v] = now + dt
        self._update_state(v)
        self.after(dt, self._arrive, v, int(self.version[v]))

    def _update_state(self, v: int) -> None:
        """Derive what the vehicle does from its leg, load and schedule; tell the host."""
        s = self.schedules
        if self.serving[v]:
            return  # busy at a stop until it departs
        has_stop = s.n[v] > 0
        goods_to_deliver = self.cur_load[v, GOODS] > 0 and has_stop and s.kind[v, 0] != stops.DEPOT
        if self.mode[v] == stops.DRIVING and self.leg_kind[v] == stops.MOVE and not has_stop:
            state, r = REPOSITIONING, -1
        elif self.cur_load[v, 0] > 0 or goods_to_deliver:
            state, r = BUSY, int(s.req[v, 0]) if has_stop else -1
        elif has_stop:
            state, r = TO_PICKUP, int(s.req[v, 0])
        else:
            return
        if state != self.state[v]:
            self.state[v] = state
            self.state_req[v] = r
            self.host.vehicle_state(v, state, r)

    def set_state(self, v: int, state: str, r: int = -1) -> None:
        """The host's own state of a vehicle (idle, off shift, in repair ...)."""
        self.state[v] = state
        self.state_req[v] = r

    def _arrive(self, v: int, ver: int) -> None:
        if ver != self.version[v]:
            return
        now = self.env.now
        a, b = int(self.leg_from[v]), int(self.leg_to[v])
        self.host.on_leg(v, a, b, float(self.leg_dep[v]), now, int(self.leg_req[v]),
                         self.cur_load[v].copy())
        self.node[v] = b
        self.mode[v] = stops.STOPPED
        if self.leg_kind[v] == stops.MOVE:
            self.leg_kind[v] = stops.TO_STOP
            self.free_at[v] = now
            self.go(v)
            return
        self._serve(v)

    def _serve(self, v: int) -> None:
        now = self.env.now
        s = self.schedules
        node, kind, r, early, _late, svc, dload = s.pop_first(v)
        start = max(now, early)
        end = start + svc
        self.free_at[v] = end
        self.serving[v] = True
        if kind == stops.DEPOT:
            self.cur_load[v, GOODS] = 0.0
        else:
            self.cur_load[v] += dload
        if kind == stops.PICKUP:
            self.pickup_s[r] = start
            if self.onboard[v]:
                self.pooled[r] = True
                for other in self.onboard[v]:
                    self.pooled[other] = True
            self.onboard[v].add(r)
        elif kind == stops.DROPOFF:
            self.onboard[v].discard(r)
            self.dropoff_s[r] = end
            self.status[r] = SERVED
        elif kind == stops.VISIT:
            self.pickup_s[r] = start
            self.dropoff_s[r] = end
            self.status[r] = SERVED
        if kind != stops.DEPOT and self.state[v] != BUSY:
            self.state[v] = BUSY
            self.state_req[v] = r
            self.host.vehicle_state(v, BUSY, r)
        self.host.on_stop(v, kind, r, node, now, start, end)
        self.after(end - now, self._depart, v, int(self.version[v]))

    def _depart(self, v: int, ver: int) -> None:
        if ver != self.version[v]:
            return
        self.serving[v] = False
        self.free_at[v] = self.env.now
        self.go(v)
