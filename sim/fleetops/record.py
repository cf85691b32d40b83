"""The plain record of one fleet-year replication, from which KPIs and tables are made."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class FleetRecord:
    """Arrays by task, vehicle, driver and charging station; totals of the run."""

    horizon_s: float
    tasks: dict[str, np.ndarray]
    task_types: list[str]
    depots: list[str]
    on_time_s: np.ndarray  # by task type
    # vehicles
    plate: list[str]
    profile: list[str]
    depot: list[str]
    is_ev: np.ndarray
    purchase_date: list[str]
    warranty_end: list[str]
    odometer_start_km: np.ndarray
    odometer_km: np.ndarray
    operating_h: np.ndarray
    v_km: np.ndarray
    v_tasks: np.ndarray
    v_busy_s: np.ndarray
    fuel_l: np.ndarray
    drawn_kwh: np.ndarray
    grid_kwh: np.ndarray
    sessions: np.ndarray
    charge_s: np.ndarray
    queue_s: np.ndarray
    charge_travel_s: np.ndarray
    charge_travel_km: np.ndarray
    min_soc: np.ndarray
    soc_end: np.ndarray
    downtime_s: dict[str, np.ndarray]  # reason -> by vehicle
    # drivers
    driver_id: list[str]
    driver_depot: list[str]
    licence: list[str]
    shift_start_h: np.ndarray
    double_shift: np.ndarray
    d_drive_s: np.ndarray
    d_km: np.ndarray
    d_tasks: np.ndarray
    d_on_time: np.ndarray
    d_breaks: np.ndarray
    d_shifts: np.ndarray
    d_max_day_drive_s: np.ndarray
    d_max_cont_drive_s: np.ndarray
    daily_cap_s: float
    continuous_limit_s: float
    # charging stations
    station: list[str]
    chargers: np.ndarray
    station_busy_s: np.ndarray
    soc_clamps: int = 0
    extra: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_vehicles(self) -> int:
        return len(self.plate)
