"""The fleet-year model (kind ``fleet_year``): a fleet run over months.

Build: read the vehicle register, the roster and the charging stations; wire the
operations (:mod:`sim.fleetops.operations`), the batteries (:mod:`sim.fleetops.energy`)
and the health hooks (``sim.fleetops.health.build_hooks``, see :mod:`sim.fleetops.state`).
Finish: a plain record (:class:`sim.fleetops.record.FleetRecord`) gives the KPIs and the
tables (per vehicle with its plate, per driver, per task, per charging station, per day).
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine.registry import Context, ModelKind, register_model
from sim.errors import Problem
from sim.fleetops.drivers import build_roster, covers, rules_of
from sim.fleetops.energy import SESSION_COLUMNS, Energy
from sim.fleetops.kpis import KPIS, compute
from sim.fleetops.operations import Operations
from sim.fleetops.record import FleetRecord
from sim.fleetops.register import RegisterRow, read_register
from sim.fleetops.schema import MAX_TASKS, FleetYearScenario
from sim.fleetops.state import FleetState, HealthHooks, NoHealth, Site, Vehicle
from sim.fleetops.tables import (
    daily_series,
    driver_table,
    station_table,
    task_table,
    vehicle_table,
)
from sim.schema.profiles import ProfileBase, ProfileCatalog, VehicleProfile


def _health_module() -> Any:
    try:
        return importlib.import_module("sim.fleetops.health")
    except ModuleNotFoundError as exc:
        if exc.name == "sim.fleetops.health":
            return None
        raise


def health_kpis() -> dict[str, str]:
    mod = _health_module()
    return dict(getattr(mod, "HEALTH_KPIS", {})) if mod is not None else {}


def register_path(s: FleetYearScenario, source: str) -> Path:
    p = Path(s.register_csv)
    return p if p.is_absolute() else Path(source).parent / p


def vehicles_from(rows: list[RegisterRow], profiles: dict[str, ProfileBase]) -> list[Vehicle]:
    out = []
    for k, r in enumerate(rows):
        prof = profiles[r.profile]
        assert isinstance(prof, VehicleProfile)
        node: int | str | None = r.home_node
        if r.home_node is not None and r.home_node.lstrip("-").isdigit():
            node = int(r.home_node)
        out.append(Vehicle(k, r.plate, r.profile, prof, r.purchase_date, r.warranty_end, node,
                           r.depot, r.odometer_km, 0.0, dict(r.extra)))
    return out


class TimedHooks:
    """The health hooks, with the wall time of ``on_task_done`` counted."""

    def __init__(self, inner: HealthHooks):
        self.inner, self.spent_s = inner, 0.0

    def on_start(self, state: FleetState) -> None:
        self.inner.on_start(state)

    def on_task_done(self, v: Vehicle, t_s: float, km: float, h: float) -> None:
        t0 = time.perf_counter()
        self.inner.on_task_done(v, t_s, km, h)
        self.spent_s += time.perf_counter() - t0

    def kpis(self) -> dict[str, float]:
        return self.inner.kpis()

    def tables(self) -> dict[str, dict[str, Any]]:
        return dict(getattr(self.inner, "tables", dict)())


class FleetYearModel:
    """One replication of the fleet year."""

    def __init__(self, ctx: Context):
        t0 = time.perf_counter()
        s: FleetYearScenario = ctx.scenario
        self.ctx, self.s, self.env = ctx, s, ctx.env
        rows = read_register(register_path(s, ctx.source), known_profiles={k.partition("@")[0] for k in ctx.profiles},
                             depots=[d.id for d in s.depots], start_date=s.start_date)
        self.vehicles = vehicles_from(rows, ctx.profiles)
        self.odometer_start_km = np.array([v.odometer_km for v in self.vehicles])
        sites = {d.id: Site(d.id, d.x_km, d.y_km) for d in s.depots}
        self.state = FleetState(ctx.env, self.vehicles, s.start_date, sites,
                                s.travel.speed_kmh, s.travel.detour)
        self.roster = build_roster(s, [v.plate for v in self.vehicles],
                                   [v.depot or s.depots[0].id for v in self.vehicles],
                                   [v.profile_id for v in self.vehicles])
        self.energy = Energy(s.charging, self.state,
                             ctx.recorder.table("charging_sessions", SESSION_COLUMNS))
        mod = _health_module()
        build = getattr(mod, "build_hooks", None) if mod is not None else None
        self.hooks = TimedHooks(NoHealth() if build is None else
                                build(s, self.state, ctx.rng, ctx.recorder))
        self.ops = Operations(s, self.state, self.roster.drivers, rules_of(s), self.energy,
                              self.hooks, ctx.rng)
        ctx.timings["register_s"] = time.perf_counter() - t0
        self.events_processed = 0

    def start(self) -> None:
        self.hooks.on_start(self.state)
        self.energy.start()
        self.ops.start()

    def end_time(self) -> float:
        return self.s.horizon_s

    def record(self) -> FleetRecord:
        s, e, ops, end = self.s, self.energy, self.ops, self.s.horizon_s
        vs, ds = self.vehicles, self.roster.drivers
        reasons = sorted({r for v in vs for r in v.downtime_s})
        tasks = ops.log.view()
        va, da = ops.vehicle_arrays(tasks, end), ops.driver_arrays(tasks, end)
        extra_cols = sorted({k for v in vs for k in v.extra})
        return FleetRecord(
            horizon_s=end, tasks=tasks, task_types=[t.id for t in s.tasks],
            depots=ops.depots, on_time_s=np.array(ops.on_time_s),
            plate=[v.plate for v in vs], profile=[v.profile_id for v in vs],
            depot=[v.depot or "" for v in vs], is_ev=e.is_ev,
            purchase_date=[v.purchase_date.isoformat() for v in vs],
            warranty_end=[v.warranty_end.isoformat() if v.warranty_end else "" for v in vs],
            odometer_start_km=self.odometer_start_km,
            odometer_km=np.array([v.odometer_km for v in vs]),
            operating_h=np.array([v.operating_h for v in vs]),
            v_km=va["km"], v_tasks=va["tasks"], v_busy_s=va["busy_s"], fuel_l=va["fuel_l"],
            drawn_kwh=np.array(e.drawn_kwh), grid_kwh=e.grid_kwh, sessions=e.sessions,
            charge_s=e.charge_s, queue_s=e.queue_s, charge_travel_s=e.travel_s,
            charge_travel_km=e.travel_km,
            min_soc=np.array(e.min_soc_seen, float),
            soc_end=np.array([e.soc(v) if e.ev[v.index] else np.nan for v in vs]),
            downtime_s={r: np.array([v.downtime_s.get(r, 0.0) for v in vs]) for r in reasons},
            driver_id=[r.id for r in ds], driver_depot=[r.depot for r in ds],
            licence=[r.licence for r in ds],
            shift_start_h=np.array([r.shift_start_h for r in ds], float),
            double_shift=np.array([r.vehicle is not None for r in ds], bool),
            d_drive_s=da["drive_s"], d_km=da["km"], d_tasks=da["tasks"],
            d_on_time=da["on_time"], d_breaks=da["breaks"],
            d_shifts=np.array([r.shifts for r in ds], np.int64),
            d_max_day_drive_s=da["max_day_drive_s"],
            d_max_cont_drive_s=np.array([r.max_cont_drive_s for r in ds], float),
            daily_cap_s=s.drivers.daily_cap_h * 3600.0,
            continuous_limit_s=s.drivers.continuous_limit_h * 3600.0,
            station=[st.id for st in s.charging.stations],
            chargers=np.array([st.chargers for st in s.charging.stations], np.int64),
            station_busy_s=e.station_busy_s, soc_clamps=e.clamped,
            extra={k: [v.extra.get(k, "") for v in vs] for k in extra_cols},
        )

    def finish(self) -> dict[str, float]:
        end = self.s.horizon_s
        self.state.close_books(end)
        self.ops.close(end)
        self.events_processed = self.ops.events
        ops_clock = dict(self.ops.clock)
        ops_clock["task_end_s"] -= self.hooks.spent_s  # the hooks run inside task ends
        self.ctx.timings.update(ops_clock, health_s=self.hooks.spent_s,
                                charging_s=self.energy.spent_s)
        t0 = time.perf_counter()
        rec = self.record()
        kpis = compute(rec)
        kpis.update(self.hooks.kpis())
        r = self.ctx.recorder
        r.add_table("vehicles", vehicle_table(rec))
        r.add_table("drivers", driver_table(rec))
        if self.s.record_tasks:
            r.add_table("tasks", task_table(rec))
        if rec.station:
            r.add_table("charging_stations", station_table(rec))
        r.add_series("daily", daily_series(rec))
        for name, cols in self.hooks.tables().items():
            r.add_table(name, cols)
        self.ctx.timings["kpis_tables_s"] = time.perf_counter() - t0
        return kpis


def expected_tasks(s: FleetYearScenario, rows: list[RegisterRow]) -> float:
    """Mean number of tasks the run releases (every day counted, weekdays or not)."""
    total = 0.0
    for tt in s.tasks:
        if tt.per_day is not None:
            total += tt.per_day
        else:
            eligible = sum(1 for r in rows if r.profile.partition("@")[0] in tt.profiles
                           or r.profile in tt.profiles)
            total += (tt.per_vehicle_day or 0.0) * eligible
    return total * s.days


def prepare(s: FleetYearScenario, catalog: ProfileCatalog, source: str
            ) -> tuple[dict[str, ProfileBase], list[Problem]]:
    """Resolve the register's vehicle profiles; check the roster, tasks and stations
    against them. The register's own problems raise a DataError naming its rows."""
    problems: list[Problem] = []
    known = catalog.ids("vehicle")
    for t, tt in enumerate(s.tasks):
        for k, p in enumerate(tt.profiles):
            if p.partition("@")[0] not in known:
                problems.append(Problem(f"tasks[{t}].profiles[{k}]", "no vehicle profile with "
                                        f"this id (known: {', '.join(known)})", p))
    for w, shop in enumerate(s.workshops):
        for k, p in enumerate(shop.profiles or []):
            if p.partition("@")[0] not in known:
                problems.append(Problem(f"workshops[{w}].profiles[{k}]", "no vehicle profile "
                                        f"with this id (known: {', '.join(known)})", p))
    for k, ds in enumerate(s.drivers.double_shift):
        if ds.profile not in known:
            problems.append(Problem(f"drivers.double_shift[{k}].profile", "no vehicle profile "
                                    f"with this id (known: {', '.join(known)})", ds.profile))
    reg = register_path(s, source)
    if not reg.is_file():
        problems.append(Problem("register_csv", f"no such register file ({reg})",
                                s.register_csv))
    if problems:
        return {}, problems
    held: dict[str, set[str]] = {}
    for pool in s.drivers.pools:
        held.setdefault(pool.depot, set()).add(pool.licence)
    doubles = {(ds.profile, d): ds.licence for ds in s.drivers.double_shift
               for d in (ds.depots or [dp.id for dp in s.depots])}
    cache: dict[str, VehicleProfile] = {}

    def profile(ref: str) -> VehicleProfile:
        if ref not in cache:
            prof = catalog.resolve("vehicle", ref, None, "profile", source)
            assert isinstance(prof, VehicleProfile)
            cache[ref] = prof
        return cache[ref]

    def licence_ok(ref: str, depot: str | None) -> str | None:
        need = profile(ref).licence_class
        base, at = ref.partition("@")[0], depot or s.depots[0].id
        if (base, at) in doubles:
            lic = doubles[(base, at)]
            return None if covers(lic, need) else (
                f"needs a class {need} licence; its double-shift drivers hold {lic}")
        have = held.get(depot or s.depots[0].id, set())
        if any(covers(h, need) for h in have):
            return None
        return (f"needs a class {need} licence; no driver at depot {depot} holds one that "
                f"covers it (held there: {', '.join(sorted(have)) or 'none'})")

    rows = read_register(register_path(s, source), known_profiles=known,
                         depots=[d.id for d in s.depots], start_date=s.start_date,
                         licence_ok=licence_ok)
    profiles: dict[str, ProfileBase] = {r.profile: profile(r.profile) for r in rows}
    at = {(r.depot, r.profile.partition("@")[0]) for r in rows}
    for t, tt in enumerate(s.tasks):
        for depot, share in (tt.depot_share or {}).items():
            if share > 0 and not any((depot, p.partition("@")[0]) in at for p in tt.profiles):
                problems.append(Problem(f"tasks[{t}].depot_share.{depot}", "no vehicle of "
                                        f"{', '.join(tt.profiles)} is registered at this "
                                        "depot: its tasks could never be served", share))
    expected = expected_tasks(s, rows)
    if expected > MAX_TASKS:
        problems.append(Problem("tasks", f"about {expected:,.0f} tasks over the run; at most "
                                f"{MAX_TASKS:,} (lower the rates or shorten the run)",
                                [t.id for t in s.tasks]))
    if any(p.powertrain == "ev" for p in cache.values()) and not s.charging.stations:
        problems.append(Problem("charging.stations", "the register has electric vehicles; "
                                "give at least one charging station", []))
    return profiles, problems


register_model(ModelKind(
    kind="fleet_year",
    scenario_cls=FleetYearScenario,
    build=FleetYearModel,
    kpis={**KPIS, **health_kpis()},
    prepare=prepare,
    description="A fleet over months: vehicle register, drivers with licences and rests, "
                "tasks, EV charging, breakdowns, service at workshops, early warning, costs",
))
