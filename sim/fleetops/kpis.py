"""KPIs of the fleet-year operations, computed from the plain record of a replication."""

from __future__ import annotations

import math

import numpy as np

from sim.fleetops.record import FleetRecord
from sim.fleetops.tasks import LOST, STARTED

KPIS = {
    "tasks": "tasks released during the run",
    "tasks_served": "tasks a vehicle-driver pair started",
    "tasks_lost": "tasks not started within their max_wait_s (or by the end)",
    "service_rate": "tasks_served / tasks",
    "on_time_rate": "share of tasks started within on_time_s of release (lost ones count late)",
    "wait_mean_s": "mean time from release to start of served tasks, seconds",
    "wait_p95_s": "95th percentile of that wait, seconds",
    "vehicle_km": "km driven on tasks, all vehicles",
    "km_per_vehicle_day": "vehicle_km per vehicle per day",
    "utilisation": "share of vehicle time on tasks (rests included)",
    "availability": "share of vehicle time not down for repair, service or other "
                    "non-charging reasons",
    "downtime_h": "vehicle hours down, every reason (charging included)",
    "charging_down_h": "vehicle hours down for charging (travel, queue and charge)",
    "driver_hours_per_shift": "mean driving hours per shift worked",
    "driver_on_time_rate": "on-time share of the tasks drivers started",
    "rest_breaks": "rests of break_min taken inside tasks after continuous_limit_h of driving",
    "drivers_over_daily_cap": "drivers who drove more than daily_cap_h in a shift (must be 0)",
    "max_continuous_drive_h": "longest continuous driving by any driver, hours",
    "fuel_l": "fuel burnt by combustion vehicles, litres",
    "energy_kwh": "energy drawn from electric vehicles' batteries, kWh",
    "grid_kwh": "energy taken from chargers (battery kWh / efficiency), kWh",
    "ev_kwh_per_100km": "battery energy per 100 km of electric vehicles (tasks and trips to "
                        "chargers), kWh",
    "charging_sessions": "charging sessions",
    "charging_h": "hours connected and charging",
    "charge_queue_mean_s": "mean wait for a free charger per session, seconds",
    "tasks_refused_charge": "tasks that found a free pair only with vehicles too low to take them",
    "charger_utilisation": "share of charger time spent charging",
    "soc_min": "lowest state of charge any electric vehicle reached (share)",
    "soc_clamps": "times a battery would have gone below zero (must be 0)",
}


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def compute(rec: FleetRecord) -> dict[str, float]:
    t = rec.tasks
    released = t["release_s"] < rec.horizon_s
    started = (t["status"] == STARTED) & released
    lost = (t["status"] == LOST) & released
    wait = (t["start_s"] - t["release_s"])[started]
    on_time = started & (t["start_s"] - t["release_s"] <= rec.on_time_s[t["ttype"]])
    n = float(released.sum())
    vt = rec.n_vehicles * rec.horizon_s
    days = rec.horizon_s / 86400.0
    down = {r: float(a.sum()) for r, a in rec.downtime_s.items()}
    not_avail = sum(s for r, s in down.items() if r != "charging")
    ev_km = float(rec.v_km[rec.is_ev].sum() + rec.charge_travel_km.sum())
    shifts = float(rec.d_shifts.sum())
    chargers_s = float(rec.chargers.sum()) * rec.horizon_s
    ev_min = rec.min_soc[rec.is_ev]
    return {
        "tasks": n,
        "tasks_served": float(started.sum()),
        "tasks_lost": float(lost.sum()),
        "service_rate": ratio(float(started.sum()), n),
        "on_time_rate": ratio(float(on_time.sum()), n),
        "wait_mean_s": float(wait.mean()) if wait.size else math.nan,
        "wait_p95_s": float(np.quantile(wait, 0.95)) if wait.size else math.nan,
        "vehicle_km": float(rec.v_km.sum()),
        "km_per_vehicle_day": ratio(float(rec.v_km.sum()), rec.n_vehicles * days),
        "utilisation": ratio(float(rec.v_busy_s.sum()), vt),
        "availability": 1.0 - ratio(not_avail, vt),
        "downtime_h": sum(down.values()) / 3600.0,
        "charging_down_h": down.get("charging", 0.0) / 3600.0,
        "driver_hours_per_shift": ratio(float(rec.d_drive_s.sum()) / 3600.0, shifts),
        "driver_on_time_rate": ratio(float(rec.d_on_time.sum()), float(rec.d_tasks.sum())),
        "rest_breaks": float(rec.d_breaks.sum()),
        "drivers_over_daily_cap": float(np.sum(rec.d_max_day_drive_s > rec.daily_cap_s + 1e-6)),
        "max_continuous_drive_h": float(rec.d_max_cont_drive_s.max(initial=0.0)) / 3600.0,
        "fuel_l": float(rec.fuel_l.sum()),
        "energy_kwh": float(rec.drawn_kwh.sum()),
        "grid_kwh": float(rec.grid_kwh.sum()),
        "ev_kwh_per_100km": 100.0 * ratio(float(rec.drawn_kwh.sum()), ev_km),
        "charging_sessions": float(rec.sessions.sum()),
        "charging_h": float(rec.charge_s.sum()) / 3600.0,
        "charge_queue_mean_s": ratio(float(rec.queue_s.sum()), float(rec.sessions.sum())),
        "tasks_refused_charge": float(np.sum(t["charge_blocked"] & released)),
        "charger_utilisation": ratio(float(rec.station_busy_s.sum()), chargers_s),
        "soc_min": float(ev_min.min()) if ev_min.size else math.nan,
        "soc_clamps": float(rec.soc_clamps),
    }
