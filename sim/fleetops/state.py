"""Per-vehicle state shared by the operations and the health parts of the fleet-year model.

Contract
--------
Time is seconds (float) since 00:00 local time of ``FleetState.start_date``; day ``d``
starts at ``d * 86400``. Places are points on a plane in km (``Site``); a vehicle is at its
depot whenever it is not on a task (tasks are not routed: each one is a duration and a
distance drawn by vehicle type, starting and ending at the depot).

Operations (:mod:`sim.fleetops.operations`) own the tasks: they offer the dispatcher only
vehicles that are ``available`` (``down_reason is None``), not on a task, with enough charge
and a compatible driver on shift. After each task they advance ``odometer_km`` and
``operating_h`` of the vehicle and then call ``hooks.on_task_done(v, t_s, km, h)`` with
``t_s`` the end of the task (the vehicle is back at its depot and idle at that moment).

The health part implements :class:`HealthHooks` and is found by
``sim.fleetops.health.build_hooks(scenario, state, rng, recorder) -> HealthHooks`` (the
model falls back to :class:`NoHealth` when that module or function does not exist):

- ``on_start(state)``: once, before the run; start SimPy processes (workshops, booking).
- ``on_task_done(v, t_s, km, h)``: after each task. Decide on the operating clock whether
  a failure happened during it and whether service is due (and book it). Runs inside the
  SimPy event that ends the task: do not block, start a process if waiting is needed.
- ``kpis() -> dict[str, float]``: at the end; merged into the run's KPIs (each name needs a
  KPI catalogue entry in ``sim/results/kpis/fleet_year*.yaml``; health KPIs are declared
  by the health part in ``HEALTH_KPIS: dict[str, str]`` in ``sim.fleetops.health``).
- ``tables() -> dict[str, dict[str, Any]]`` (optional): extra columnar tables for the run
  folder (name -> column -> array); the model writes them.

Taking a vehicle out of service: ``state.take_down(v, reason, t_s)`` (reason e.g.
``'repair'``, ``'service'``, ``'waiting_slot'``, ``'travel'``; operations use
``'charging'``) and ``state.bring_up(v, t_s)`` (which offers it to dispatch again); every
second down is booked under its reason, per vehicle and in total. Changing the reason of a vehicle already down (waiting ->
travel -> service) is ``take_down`` again with the new reason. A vehicle may be taken down
while on a task: it finishes the task first and is then not offered again;
``state.wait_idle(v)`` is an event that fires once it is back (at once if idle). The
operations never take a vehicle down for charging while it is down for another reason;
the health part should ``wait_idle`` before sending a vehicle to a workshop. A vehicle
down for ``'charging'`` is away at a charger until the operations bring it up; a reason
set over it while it charges is kept (the operations then leave it down).

Scenario: ``sim.fleetops.schema.FleetYearScenario`` (operations part) has the sections
``workshops: list[WorkshopSpec]``, ``maintenance: MaintenanceSpec``, ``warning:
WarningSpec`` and ``economics: EconomicsSpec``, all defaulted, whose classes the health
part owns in ``sim/fleetops/health_schema.py`` (pydantic ``StrictModel``; a workshop's
place is ``x_km``/``y_km`` on the same plane as depots). ``build_hooks`` gets the whole
scenario; ``rng`` is the run's ``RngStreams`` (use named streams ``"fleetops.health.*"``).

Fields the health part adds to :class:`Vehicle` go at the end with defaults.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import simpy

from sim.schema.profiles import VehicleProfile

DAY_S = 86400.0


@dataclass(frozen=True)
class Site:
    """A place on the fleet's plane: a depot, a charging station, a workshop."""

    id: str
    x_km: float
    y_km: float


@dataclass(eq=False)
class Vehicle:
    """One row of the vehicle register and what happens to it during the run."""

    index: int
    plate: str
    profile_id: str
    profile: VehicleProfile
    purchase_date: dt.date
    warranty_end: dt.date | None
    home_node: int | str | None
    depot: str | None
    odometer_km: float
    operating_h: float
    extra: dict[str, str] = field(default_factory=dict)
    down_reason: str | None = None
    down_since_s: float | None = None
    on_task: bool = False
    downtime_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _idle_waiters: list[simpy.Event] = field(default_factory=list, repr=False)

    @property
    def available(self) -> bool:
        return self.down_reason is None


class FleetState:
    """The vehicles, the clock they share, and availability bookkeeping."""

    def __init__(self, env: simpy.Environment, vehicles: list[Vehicle], start_date: dt.date,
                 sites: dict[str, Site] | None = None, speed_kmh: float = 30.0,
                 detour: float = 1.3):
        self.env = env
        self.vehicles = vehicles
        self.start_date = start_date
        self.sites = dict(sites or {})
        self.speed_kmh = speed_kmh
        self.detour = detour
        self.downtime_s: dict[str, float] = defaultdict(float)
        #: Called as ``fn(v, t_s)`` after a vehicle is taken down / brought up (operations
        #: use them to withdraw a vehicle from dispatch and to offer it again).
        self.on_down: list[Callable[[Vehicle, float], None]] = []
        self.on_up: list[Callable[[Vehicle, float], None]] = []

    # -- calendar ------------------------------------------------------------------------
    def date_at(self, t_s: float) -> dt.date:
        return self.start_date + dt.timedelta(days=int(t_s // DAY_S))

    def age_days(self, v: Vehicle, t_s: float) -> float:
        """Days since purchase at time ``t_s``."""
        return (self.start_date - v.purchase_date).days + t_s / DAY_S

    def in_warranty(self, v: Vehicle, t_s: float) -> bool:
        return v.warranty_end is not None and self.date_at(t_s) <= v.warranty_end

    # -- places --------------------------------------------------------------------------
    def position(self, v: Vehicle) -> Site | None:
        """Where the vehicle is when not on a task: its depot (None if it has none)."""
        return self.sites.get(v.depot) if v.depot is not None else None

    def distance_km(self, a: Site, b: Site) -> float:
        """Road distance: Manhattan distance times the detour factor."""
        return (abs(a.x_km - b.x_km) + abs(a.y_km - b.y_km)) * self.detour

    def travel_s(self, a: Site | None, b: Site | None) -> float:
        if a is None or b is None:
            return 0.0
        return self.distance_km(a, b) / self.speed_kmh * 3600.0

    # -- availability --------------------------------------------------------------------
    def take_down(self, v: Vehicle, reason: str, t_s: float) -> None:
        """Mark ``v`` unavailable for ``reason`` from ``t_s`` (or switch its reason)."""
        was_up = v.down_reason is None
        if not was_up and v.down_since_s is not None:
            self._book(v, t_s)
        v.down_reason, v.down_since_s = reason, t_s
        if was_up:
            for fn in self.on_down:
                fn(v, t_s)

    def bring_up(self, v: Vehicle, t_s: float) -> None:
        """Mark ``v`` available again from ``t_s``."""
        if v.down_reason is None:
            return
        if v.down_since_s is not None:
            self._book(v, t_s)
        v.down_reason, v.down_since_s = None, None
        for fn in self.on_up:
            fn(v, t_s)

    def _book(self, v: Vehicle, t_s: float) -> None:
        assert v.down_reason is not None and v.down_since_s is not None
        spent = max(0.0, t_s - v.down_since_s)
        v.downtime_s[v.down_reason] += spent
        self.downtime_s[v.down_reason] += spent

    def close_books(self, t_s: float) -> None:
        """Book the downtime of vehicles still down at the end of the run up to ``t_s``."""
        for v in self.vehicles:
            if v.down_reason is not None and v.down_since_s is not None:
                self._book(v, t_s)
                v.down_since_s = t_s

    # -- tasks ---------------------------------------------------------------------------
    def wait_idle(self, v: Vehicle) -> simpy.Event:
        """An event that fires when ``v`` is back from its task (at once if it is idle)."""
        ev = self.env.event()
        if not v.on_task:
            ev.succeed()
        else:
            v._idle_waiters.append(ev)
        return ev

    def task_started(self, v: Vehicle) -> None:
        v.on_task = True

    def task_ended(self, v: Vehicle) -> None:
        v.on_task = False
        waiters, v._idle_waiters = v._idle_waiters, []
        for ev in waiters:
            ev.succeed()

    def availability(self, horizon_s: float, exclude: tuple[str, ...] = ("charging",)) -> float:
        """Share of vehicle time not down, over ``[0, horizon_s)``; time down for a reason
        in ``exclude`` (charging, by default) counts as available."""
        total = len(self.vehicles) * horizon_s
        down = sum(s for r, s in self.downtime_s.items() if r not in exclude)
        return math.nan if total <= 0 else 1.0 - down / total


class HealthHooks(Protocol):
    """What the health part (reliability, maintenance, workshops, warning) provides."""

    def on_start(self, state: FleetState) -> None: ...

    def on_task_done(self, v: Vehicle, t_s: float, km: float, h: float) -> None: ...

    def kpis(self) -> dict[str, float]: ...


class NoHealth:
    """Hooks that do nothing: vehicles never fail and are never serviced."""

    def on_start(self, state: FleetState) -> None:
        return None

    def on_task_done(self, v: Vehicle, t_s: float, km: float, h: float) -> None:
        return None

    def kpis(self) -> dict[str, float]:
        return {}

    def tables(self) -> dict[str, dict[str, Any]]:
        return {}
