"""A small fleet that drives tasks back to back, to exercise the fleet-year health part alone.

Each vehicle works a daily shift doing tasks of ``task_h`` at ``speed_kmh`` from its depot,
one after the other while it is available; after each task the odometer and operating
hours move on and the health hooks are called, as the fleet-year operations do. Used by the
tests of the health part and by the checks in :mod:`validation.checks_fleetops`, where the
count of breakdowns must follow the profiles' hazard on the operating clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import simpy

from sim.engine.recorder import Recorder
from sim.engine.rng import RngStreams
from sim.fleetops.economics import month_starts_days
from sim.fleetops.health import Health, build_hooks
from sim.fleetops.health_schema import (
    EconomicsSpec,
    MaintenanceSpec,
    WarningSpec,
    WorkshopSpec,
)
from sim.fleetops.state import DAY_S, FleetState, Site, Vehicle
from sim.schema.profiles import VehicleProfile

START = dt.date(2026, 1, 5)  # a Monday


@dataclass
class Car:
    """One register row of the small fleet."""

    profile: VehicleProfile
    odometer_km: float = 0.0
    operating_h: float = 0.0
    purchase_date: dt.date = dt.date(2024, 1, 1)
    warranty_end: dt.date | None = None
    depot: str = "depot"
    extra: dict[str, str] = field(default_factory=dict)


def profile(**fields: Any) -> VehicleProfile:
    """A vehicle profile with sensible defaults for what is not given."""
    data = {"id": "car", "kind": "vehicle", "fuel_l_per_100km": 8.0,
            "failure_rate_per_1000h": 1.0, "repair_time_h": 3.0}
    data.update(fields)
    return VehicleProfile.model_validate(data)


@dataclass
class World:
    env: simpy.Environment
    state: FleetState
    health: Health
    recorder: Recorder
    horizon_s: float


def world(cars: Sequence[Car], workshops: Sequence[WorkshopSpec] = (), months: int = 1,
          seed: int = 1, maintenance: MaintenanceSpec | None = None,
          warning: WarningSpec | None = None, economics: EconomicsSpec | None = None,
          depot_xy: tuple[float, float] = (0.0, 0.0), task_h: float = 1.0,
          speed_kmh: float = 25.0, shift_h: tuple[float, float] = (7.0, 19.0),
          start: dt.date = START) -> World:
    """Build the fleet, its health hooks and the task loops (not yet run)."""
    env = simpy.Environment()
    vehicles = [Vehicle(index=i, plate=f"A{i:05d}", profile_id=c.profile.id,
                        profile=c.profile, purchase_date=c.purchase_date,
                        warranty_end=c.warranty_end, home_node=None, depot=c.depot,
                        odometer_km=c.odometer_km, operating_h=c.operating_h,
                        extra=dict(c.extra))
                for i, c in enumerate(cars)]
    sites = {"depot": Site("depot", *depot_xy)}
    state = FleetState(env, vehicles, start, sites)
    horizon_s = month_starts_days(start, months)[-1] * DAY_S
    scenario = SimpleNamespace(
        name="health world", horizon_s=horizon_s, months=months, workshops=list(workshops),
        maintenance=maintenance or MaintenanceSpec(), warning=warning or WarningSpec(),
        economics=economics or EconomicsSpec(), drivers=None)
    rec = Recorder()
    health = build_hooks(scenario, state, RngStreams(seed), rec)
    for v in vehicles:
        env.process(_tasks(env, state, health, v, task_h, speed_kmh, shift_h))
    return World(env, state, health, rec, horizon_s)


def _tasks(env: simpy.Environment, state: FleetState, health: Health, v: Vehicle,
           task_h: float, speed_kmh: float,
           shift_h: tuple[float, float]) -> Generator[simpy.Event, Any, None]:
    lo, hi = shift_h[0] * 3600.0, shift_h[1] * 3600.0
    task_s = task_h * 3600.0
    while True:
        t_day = env.now % DAY_S
        if t_day < lo or t_day + task_s > hi:
            yield env.timeout((lo - t_day) % DAY_S or DAY_S)
            continue
        if not v.available:
            yield env.timeout(600.0)
            continue
        state.task_started(v)
        yield env.timeout(task_s)
        km = task_h * speed_kmh
        v.odometer_km += km
        v.operating_h += task_h
        state.task_ended(v)
        health.on_task_done(v, env.now, km, task_h)


def run(w: World) -> dict[str, float]:
    """Run to the horizon; the health KPIs."""
    w.health.on_start(w.state)
    w.env.run(until=w.horizon_s)
    w.state.close_books(w.horizon_s)
    return w.health.kpis()
