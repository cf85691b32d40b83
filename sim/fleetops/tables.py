"""Tables of a fleet-year run: per vehicle (with plate), per driver, per task, per station,
and the daily series."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.fleetops.record import FleetRecord
from sim.fleetops.tasks import STARTED

DAY_S = 86400.0


def vehicle_table(rec: FleetRecord) -> dict[str, Any]:
    cols: dict[str, Any] = {
        "vehicle": np.arange(rec.n_vehicles),
        "plate": rec.plate,
        "profile": rec.profile,
        "depot": rec.depot,
        "ev": rec.is_ev,
        "purchase_date": rec.purchase_date,
        "warranty_end": rec.warranty_end,
        "odometer_start_km": rec.odometer_start_km,
        "odometer_km": rec.odometer_km,
        "operating_h": rec.operating_h,
        "km": rec.v_km,
        "tasks": rec.v_tasks,
        "busy_h": rec.v_busy_s / 3600.0,
        "fuel_l": rec.fuel_l,
        "energy_kwh": rec.drawn_kwh,
        "grid_kwh": rec.grid_kwh,
        "charging_sessions": rec.sessions,
        "charging_h": rec.charge_s / 3600.0,
        "charge_queue_h": rec.queue_s / 3600.0,
        "soc_min": rec.min_soc,
        "soc_end": rec.soc_end,
    }
    for reason, secs in sorted(rec.downtime_s.items()):
        cols[f"down_{reason}_h"] = secs / 3600.0
    for name, values in rec.extra.items():
        cols.setdefault(f"register_{name}", values)
    return cols


def driver_table(rec: FleetRecord) -> dict[str, Any]:
    """The performance report of each driver (hours, km, tasks, on-time rate, rests)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        on_time = rec.d_on_time / rec.d_tasks
    return {
        "driver": rec.driver_id,
        "depot": rec.driver_depot,
        "licence": rec.licence,
        "shift_start_h": rec.shift_start_h,
        "double_shift": rec.double_shift,
        "shifts": rec.d_shifts,
        "drive_h": rec.d_drive_s / 3600.0,
        "km": rec.d_km,
        "tasks": rec.d_tasks,
        "on_time_rate": on_time,
        "breaks": rec.d_breaks,
        "max_day_drive_h": rec.d_max_day_drive_s / 3600.0,
        "max_continuous_drive_h": rec.d_max_cont_drive_s / 3600.0,
    }


def task_table(rec: FleetRecord) -> dict[str, Any]:
    t = rec.tasks
    status = np.array(["waiting", "started", "lost"], dtype=object)[t["status"]]
    plates = np.asarray(rec.plate + [""], dtype=object)
    drivers = np.asarray(rec.driver_id + [""], dtype=object)
    return {
        "task": np.arange(t["release_s"].size),
        "type": np.asarray(rec.task_types, dtype=object)[t["ttype"]],
        "depot": np.asarray(rec.depots, dtype=object)[t["depot"]],
        "release_s": t["release_s"],
        "start_s": t["start_s"],
        "end_s": t["end_s"],
        "drive_s": t["drive_s"],
        "km": t["km"],
        "plate": plates[t["vehicle"]],
        "driver": drivers[t["driver"]],
        "breaks": t["breaks"],
        "status": status,
        "refused_for_charge": t["charge_blocked"],
    }


def station_table(rec: FleetRecord) -> dict[str, Any]:
    with np.errstate(invalid="ignore", divide="ignore"):
        util = rec.station_busy_s / (rec.chargers * rec.horizon_s)
    return {"station": rec.station, "chargers": rec.chargers,
            "charging_h": rec.station_busy_s / 3600.0, "utilisation": util}


def daily_series(rec: FleetRecord) -> dict[str, Any]:
    """Tasks, served, on time, lost and km per day."""
    t = rec.tasks
    days = int(np.ceil(rec.horizon_s / DAY_S))
    day = np.minimum((t["release_s"] // DAY_S).astype(np.int64), days - 1)
    started = t["status"] == STARTED
    on_time = started & (t["start_s"] - t["release_s"] <= rec.on_time_s[t["ttype"]])

    def per_day(mask: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(day[mask], None if w is None else w[mask], minlength=days)

    everything = np.ones(day.size, bool)
    return {
        "t_s": np.arange(days) * DAY_S,
        "tasks": per_day(everything).astype(np.int64),
        "served": per_day(started).astype(np.int64),
        "on_time": per_day(on_time).astype(np.int64),
        "lost": per_day(t["status"] == 2).astype(np.int64),
        "km": per_day(started, t["km"]),
        "refused_for_charge": per_day(t["charge_blocked"]).astype(np.int64),
    }
