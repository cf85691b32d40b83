"""Electric vehicles: state of charge, charging stations as SimPy resources, the policy.

State of charge is kept in kWh per vehicle. A vehicle is offered a task only if the task
leaves at least ``reserve`` of its battery plus the energy to reach the nearest charger
from its depot (:meth:`Energy.can_drive`), and it charges only at stations its battery
reaches, so it never runs flat; were it to, the battery is clamped at zero and the clamp
counted (a test checks none happens). Policies:

- ``threshold``: after a task that leaves SoC below ``charge_below``, charge at once at the
  nearest station with a free charger (the nearest station, queueing, when none is free);
- ``off_peak``: charge at the start of the off-peak window (and after tasks ending in it)
  whatever the SoC below ``charge_to``; during the day only below ``min_soc``.

A session: drive to the station, queue for a charger (a :class:`simpy.Resource` of
``chargers`` places), charge to ``charge_to`` at ``power_kw`` times ``efficiency``, drive
back. The vehicle is down for ``'charging'`` meanwhile. Energy is reported in kWh: drawn
from the battery (driving) and from the grid (charging, battery kWh / efficiency).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import simpy

from sim.engine.recorder import ColumnBuffer
from sim.fleetops.schema import Charging
from sim.fleetops.state import DAY_S, FleetState, Site, Vehicle

#: Columns of the charging-session table.
SESSION_COLUMNS = ("plate", "station", "left_s", "arrived_s", "start_s", "end_s", "soc_in",
                   "soc_out", "battery_kwh")
#: Under the off-peak policy a vehicle this close to ``charge_to`` is not sent to charge.
FULL_MARGIN = 0.05


class Energy:
    """Battery state of every vehicle and the charging stations."""

    def __init__(self, spec: Charging, state: FleetState, sessions: ColumnBuffer | None = None):
        self.spec, self.state, self.env = spec, state, state.env
        self.log = sessions  # one row per charging session, when given
        vs = state.vehicles
        n = len(vs)
        # per-vehicle battery state as lists (read and written one task at a time)
        self.ev = [v.profile.powertrain == "ev" for v in vs]
        self.is_ev = np.array(self.ev, bool)
        self.cap_kwh = [v.profile.battery_kwh or 0.0 for v in vs]
        self.kwh_per_km = [v.profile.kwh_per_km or 0.0 for v in vs]
        self.soc_kwh = [c * spec.initial_soc for c in self.cap_kwh]
        self.min_soc_seen = [spec.initial_soc if e else float("nan") for e in self.ev]
        self.drawn_kwh = [0.0] * n
        self.grid_kwh = np.zeros(n)
        self.sessions = np.zeros(n, np.int64)
        self.charge_s = np.zeros(n)
        self.queue_s = np.zeros(n)
        self.travel_s = np.zeros(n)
        self.travel_km = np.zeros(n)
        self.clamped = 0
        self.spent_s = 0.0  # wall time of charging decisions and sessions (benchmark split)
        self._charging = np.zeros(n, bool)
        self.stations = [Site(st.id, st.x_km, st.y_km) for st in spec.stations]
        self.chargers = [simpy.Resource(self.env, capacity=st.chargers) for st in spec.stations]
        self.power_kw = [st.power_kw for st in spec.stations]
        self.station_busy_s = np.zeros(len(self.stations))
        self._order: dict[str | None, list[int]] = {}
        self._km: dict[str | None, list[float]] = {}
        # battery a vehicle must keep to reach the nearest charger from its depot
        self.floor_kwh = [c * spec.reserve for c in self.cap_kwh]
        for v in vs:
            if self.ev[v.index] and self.stations:
                near_km = self._distances(v)[self._stations_by_distance(v)[0]]
                self.floor_kwh[v.index] += near_km * self.kwh_per_km[v.index]

    # -- queries -------------------------------------------------------------------------
    def soc(self, v: Vehicle) -> float:
        """State of charge as a share of the battery (1.0 for a combustion vehicle)."""
        i = v.index
        return self.soc_kwh[i] / self.cap_kwh[i] if self.ev[i] else 1.0

    def can_drive(self, v: Vehicle, km: float) -> bool:
        i = v.index
        if not self.ev[i]:
            return True
        return self.soc_kwh[i] - km * self.kwh_per_km[i] >= self.floor_kwh[i]

    def charging(self, v: Vehicle) -> bool:
        return bool(self._charging[v.index])

    # -- driving -------------------------------------------------------------------------
    def drive(self, v: Vehicle, km: float) -> None:
        i = v.index
        if not self.ev[i]:
            return
        need = km * self.kwh_per_km[i]
        left = self.soc_kwh[i] - need
        if left < 0:
            self.clamped += 1
            need, left = self.soc_kwh[i], 0.0
        self.soc_kwh[i] = left
        self.drawn_kwh[i] += need
        soc = left / self.cap_kwh[i]
        if soc < self.min_soc_seen[i]:
            self.min_soc_seen[i] = soc

    def after_task(self, v: Vehicle) -> bool:
        """Send ``v`` to charge if the policy says so now; True if it went."""
        i = v.index
        if not self.ev[i] or v.down_reason is not None:
            return False
        soc, s = self.soc(v), self.spec
        if s.policy == "threshold":
            go = soc < s.charge_below
        else:
            go = soc < s.min_soc or (self.in_off_peak(self.env.now)
                                     and soc < s.charge_to - FULL_MARGIN)
        if go:
            self.env.process(self._session(v))
        return go

    def in_off_peak(self, t_s: float) -> bool:
        h = (t_s % DAY_S) / 3600.0
        a, b = self.spec.off_peak.start_h, self.spec.off_peak.end_h
        return a <= h < b if a < b else (h >= a or h < b)

    # -- processes -----------------------------------------------------------------------
    def start(self) -> None:
        if self.spec.policy == "off_peak" and self.is_ev.any():
            self.env.process(self._off_peak())

    def _off_peak(self) -> Any:
        env, s = self.env, self.spec
        day = 0
        while True:
            t0 = day * DAY_S + s.off_peak.start_h * 3600.0
            if t0 > env.now:
                yield env.timeout(t0 - env.now)
            for v in self.state.vehicles:
                i = v.index
                if (self.ev[i] and not v.on_task and v.down_reason is None
                        and self.soc(v) < s.charge_to - FULL_MARGIN):
                    env.process(self._session(v))
            day += 1

    def _distances(self, v: Vehicle) -> list[float]:
        km = self._km.get(v.depot)
        if km is None:
            here = self.state.position(v)
            km = [self.state.distance_km(here, st) if here is not None else 0.0
                  for st in self.stations]
            self._km[v.depot] = km
        return km

    def _stations_by_distance(self, v: Vehicle) -> list[int]:
        order = self._order.get(v.depot)
        if order is None:
            km = self._distances(v)
            order = sorted(range(len(self.stations)), key=lambda k: (km[k], k))
            self._order[v.depot] = order
        return order

    def _station(self, v: Vehicle) -> int:
        """Nearest station with a free charger that the battery reaches, else the nearest
        reachable one with the shortest queue (of the three nearest)."""
        order, km = self._stations_by_distance(v), self._distances(v)
        reach_km = self.soc_kwh[v.index] / self.kwh_per_km[v.index]
        reachable = [k for k in order if km[k] <= reach_km] or order[:1]
        for k in reachable:
            res = self.chargers[k]
            if res.count < res.capacity:
                return k
        near = reachable[:3]
        return min(near, key=lambda k: (len(self.chargers[k].queue), near.index(k)))

    def _session(self, v: Vehicle) -> Any:
        t0 = time.perf_counter()
        env, state, i = self.env, self.state, v.index
        self._charging[i] = True
        state.take_down(v, "charging", env.now)
        k = self._station(v)
        here, st = state.position(v), self.stations[k]
        leg_s = state.travel_s(here, st)
        leg_km = state.distance_km(here, st) if here is not None else 0.0
        if leg_s > 0:
            self.spent_s += time.perf_counter() - t0
            yield env.timeout(leg_s)
            t0 = time.perf_counter()
            self.drive(v, leg_km)
        t_q = env.now
        with self.chargers[k].request() as req:
            self.spent_s += time.perf_counter() - t0
            yield req
            t0 = time.perf_counter()
            self.queue_s[i] += env.now - t_q
            soc_in = self.soc_kwh[i] / self.cap_kwh[i]
            need = max(0.0, self.spec.charge_to * self.cap_kwh[i] - self.soc_kwh[i])
            dur = need / (self.power_kw[k] * self.spec.efficiency) * 3600.0
            if dur > 0:
                self.spent_s += time.perf_counter() - t0
                yield env.timeout(dur)
                t0 = time.perf_counter()
            self.soc_kwh[i] += need
            self.grid_kwh[i] += need / self.spec.efficiency
            self.charge_s[i] += dur
            self.station_busy_s[k] += dur
            self.sessions[i] += 1
            if self.log is not None:
                self.log.append(v.plate, st.id, t_q - leg_s, t_q, env.now - dur, env.now,
                                soc_in, self.spec.charge_to, need)
        if leg_s > 0:
            self.spent_s += time.perf_counter() - t0
            yield env.timeout(leg_s)
            t0 = time.perf_counter()
            self.drive(v, leg_km)
        self.travel_s[i] += 2 * leg_s
        self.travel_km[i] += 2 * leg_km
        self._charging[i] = False
        self.spent_s += time.perf_counter() - t0
        if v.down_reason == "charging":
            state.bring_up(v, env.now)  # offers the vehicle again (dispatch time)
