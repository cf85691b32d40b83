"""Scenario schema of the fleet-year model (kind ``fleet_year``).

A fleet run over months: the vehicles come from a register (CSV), drivers from a roster of
pools and double-shift pairs, tasks from daily rates per vehicle type; electric vehicles
charge at stations. The health part's sections (workshops, maintenance, warning, economics)
are typed in :mod:`sim.fleetops.health_schema`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from sim.fleetops.health_schema import EconomicsSpec, MaintenanceSpec, WarningSpec, WorkshopSpec
from sim.schema.base import FieldError, StrictModel
from sim.schema.distributions import PositiveQuantity, Quantity
from sim.schema.scenario import MAX_HORIZON_S, ScenarioBase

#: China's driving licence classes used here (Ministry of Public Security Order 162,
#: 机动车驾驶证申领和使用规定, appendix: "准驾车型及代号").
LICENCE_CLASSES = ("A1", "A2", "A3", "B1", "B2", "C1", "C2")
LicenceClass = Literal["A1", "A2", "A3", "B1", "B2", "C1", "C2"]
#: Most tasks a run may expect (one SimPy timeout each).
MAX_TASKS = 20_000_000
#: Most drivers in the pools (double-shift drivers follow the register's vehicles).
MAX_DRIVERS = 200_000

_ID = r"^[A-Za-z0-9_\-\.]+$"
_COORD = 1e4


class Place(StrictModel):
    """A point on the fleet's plane, in km."""

    id: str = Field(pattern=_ID, max_length=100)
    x_km: float = Field(default=0.0, ge=-_COORD, le=_COORD)
    y_km: float = Field(default=0.0, ge=-_COORD, le=_COORD)


class Shift(StrictModel):
    """A daily shift: start hour (0-24, local time) and length."""

    start_h: float = Field(ge=0, lt=24)
    hours: float = Field(gt=0, le=16)


class DriverPool(StrictModel):
    """Drivers at a depot who take any vehicle there that their licence covers."""

    depot: str = Field(pattern=_ID, max_length=100)
    count: int = Field(ge=1, le=MAX_DRIVERS)
    licence: LicenceClass
    shift: Shift
    days_per_week: int = Field(default=5, ge=1, le=7,
                               description="working days per week; rest days rotate by driver")


class DoubleShift(StrictModel):
    """Two drivers per vehicle of a profile (double-shifted taxis): one for each shift."""

    profile: str = Field(pattern=_ID, max_length=100)
    depots: list[str] | None = Field(default=None, max_length=10_000,
                                     description="only the vehicles at these depots "
                                     "(default: every vehicle of the profile)")
    licence: LicenceClass
    shifts: list[Shift] = Field(min_length=2, max_length=2)
    days_per_week: int = Field(default=6, ge=1, le=7)


class DriverRules(StrictModel):
    """Driving-time rules and the roster.

    Defaults: a rest of at least 20 min after 4 h of continuous driving (Road Traffic Safety
    Law implementing regulations, art. 62) and at most 8 h of driving a day (passenger
    transport safety rules, 道路旅客运输企业安全管理规范, art. 51).
    """

    continuous_limit_h: float = Field(default=4.0, gt=0, le=24)
    break_min: float = Field(default=20.0, ge=0, le=600,
                             description="a rest this long resets continuous driving")
    daily_cap_h: float = Field(default=8.0, gt=0, le=24)
    pools: list[DriverPool] = Field(default_factory=list, max_length=1000)
    double_shift: list[DoubleShift] = Field(default_factory=list, max_length=100)


class TaskType(StrictModel):
    """A kind of task: which vehicle profiles can do it, how many a day, how long."""

    id: str = Field(pattern=_ID, max_length=100)
    profiles: list[str] = Field(min_length=1, max_length=100)
    per_vehicle_day: float | None = Field(
        default=None, gt=0, le=100, description="tasks per eligible vehicle per day (Poisson): "
        "demand grows with the fleet")
    per_day: float | None = Field(
        default=None, gt=0, le=1e6, description="tasks per day over all depots (Poisson): "
        "demand that does not depend on the fleet size (use it for fleet-sizing what-ifs)")
    depot_share: dict[str, float] | None = Field(
        default=None, max_length=10_000, description="per_day: share of the tasks at each "
        "depot (normalised; default: in proportion to the eligible vehicles)")
    start_h: float = Field(default=7.0, ge=0, lt=24, description="first release, hour of day")
    end_h: float = Field(default=19.0, gt=0, le=24, description="last release, hour of day")
    weekdays_only: bool = False
    duration_s: Quantity = Field(description="driving time of one task, seconds")
    speed_kmh: PositiveQuantity = Field(default=25.0, description="mean speed over the task")
    max_wait_s: float = Field(default=3600.0, ge=0, le=86400,
                              description="a task not started this long after release is lost")
    on_time_s: float = Field(default=900.0, ge=0, le=86400,
                             description="started within this long of release counts on time")

    @model_validator(mode="after")
    def _window(self) -> TaskType:
        if (self.per_vehicle_day is None) == (self.per_day is None):
            raise ValueError("give exactly one of per_vehicle_day and per_day")
        if self.depot_share is not None:
            if self.per_day is None:
                raise ValueError("depot_share goes with per_day")
            if any(not (v >= 0) for v in self.depot_share.values()) or \
                    sum(self.depot_share.values()) <= 0:
                raise ValueError("depot_share values must be >= 0 with a positive sum "
                                 f"(got {self.depot_share})")
        if self.end_h <= self.start_h:
            raise ValueError(f"end_h ({self.end_h:g}) must be after start_h ({self.start_h:g})")
        return self


class ChargingStation(Place):
    chargers: int = Field(default=4, ge=1, le=1000)
    power_kw: float = Field(default=60.0, gt=0, le=1000)


class OffPeak(StrictModel):
    start_h: float = Field(default=23.0, ge=0, lt=24)
    end_h: float = Field(default=7.0, ge=0, lt=24)


class Charging(StrictModel):
    """Charging stations and the policy electric vehicles follow."""

    stations: list[ChargingStation] = Field(default_factory=list, max_length=10_000)
    policy: Literal["threshold", "off_peak"] = Field(
        default="threshold", description="threshold: charge after a task that leaves SoC below "
        "charge_below; off_peak: charge in the off-peak window (and below min_soc any time)")
    charge_below: float = Field(default=0.3, ge=0, le=1)
    charge_to: float = Field(default=0.9, gt=0, le=1)
    min_soc: float = Field(default=0.15, ge=0, le=1,
                           description="off_peak policy: charge at once below this")
    reserve: float = Field(default=0.05, ge=0, lt=1,
                           description="SoC a task may not go below (vehicle not offered)")
    initial_soc: float = Field(default=0.9, ge=0, le=1)
    efficiency: float = Field(default=0.92, gt=0, le=1, description="grid to battery")
    off_peak: OffPeak = Field(default_factory=OffPeak)

    @model_validator(mode="after")
    def _levels(self) -> Charging:
        if self.charge_to <= self.charge_below:
            raise ValueError(f"charge_to ({self.charge_to:g}) must be above charge_below "
                             f"({self.charge_below:g})")
        if self.charge_to <= self.reserve:
            raise ValueError(f"charge_to ({self.charge_to:g}) must be above reserve "
                             f"({self.reserve:g})")
        return self


class Travel(StrictModel):
    speed_kmh: float = Field(default=30.0, ge=1, le=200, description="between sites (a "
                             "slower one would take years to reach a workshop)")
    detour: float = Field(default=1.3, ge=1, le=5, description="road km per Manhattan km")


class FleetYearScenario(ScenarioBase):
    """A fleet over months: register, drivers, tasks, charging, and the health sections."""

    kind: Literal["fleet_year"] = "fleet_year"
    horizon_s: float = Field(default=0.0, ge=0, le=MAX_HORIZON_S,
                             description="defaults to the length of `months` from start_date")
    record_interval_s: float = Field(default=86400.0, gt=0)
    start_date: dt.date
    months: int = Field(default=12, ge=1, le=59,
                        description="run length from start_date (at most the 5-year horizon)")
    register_csv: str = Field(min_length=1, max_length=1000,
                          description="vehicle register CSV, relative to the scenario file")
    depots: list[Place] = Field(min_length=1, max_length=10_000)
    drivers: DriverRules
    tasks: list[TaskType] = Field(min_length=1, max_length=100)
    dispatcher: Literal["longest_idle", "most_charge", "least_km"] = "longest_idle"
    charging: Charging = Field(default_factory=Charging)
    travel: Travel = Field(default_factory=Travel)
    record_tasks: bool = Field(default=True, description="write the per-task table")
    workshops: list[WorkshopSpec] = Field(default_factory=list, max_length=10_000)
    maintenance: MaintenanceSpec = Field(default_factory=MaintenanceSpec)
    warning: WarningSpec = Field(default_factory=WarningSpec)
    economics: EconomicsSpec = Field(default_factory=EconomicsSpec)

    @model_validator(mode="before")
    @classmethod
    def _default_horizon(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("horizon_s"):
            try:
                start = dt.date.fromisoformat(str(data.get("start_date")))
                months = int(data.get("months", 12))
            except (TypeError, ValueError, OverflowError):  # OverflowError: months: .inf
                return data  # the field validators say what is wrong
            if 1 <= months <= 59:
                data = dict(data)
                data["horizon_s"] = days_in_months(start, months) * 86400.0
        return data

    @model_validator(mode="after")
    def _consistent(self) -> FleetYearScenario:
        if self.horizon_s <= 0:
            raise ValueError("horizon_s must be > 0")
        ids = [d.id for d in self.depots]
        _unique("depots", "depot", ids)
        _unique("tasks", "task type", [t.id for t in self.tasks])
        _unique("charging.stations", "charging station", [c.id for c in self.charging.stations])
        _unique("workshops", "workshop", [w.id for w in self.workshops])
        for k, tt in enumerate(self.tasks):
            unknown = sorted(set(tt.depot_share or {}) - set(ids))
            if unknown:
                raise FieldError(("tasks", k, "depot_share"), f"names unknown depots "
                                 f"{', '.join(unknown)} (depots: {', '.join(ids)})")
        pooled = sum(p.count for p in self.drivers.pools)
        if pooled > MAX_DRIVERS:
            raise ValueError(f"drivers.pools hold {pooled:,} drivers; at most {MAX_DRIVERS:,}")
        for i, ds in enumerate(self.drivers.double_shift):
            unknown = sorted(set(ds.depots or []) - set(ids))
            if unknown:
                raise FieldError(("drivers", "double_shift", i, "depots"), f"names unknown "
                                 f"depots {', '.join(unknown)} (depots: {', '.join(ids)})")
        for i, p in enumerate(self.drivers.pools):
            if p.depot not in ids:
                raise FieldError(("drivers", "pools", i, "depot"), f"is not a depot "
                                 f"(depots: {', '.join(ids)})")
        return self

    @property
    def days(self) -> int:
        return int(-(-self.horizon_s // 86400.0))


def _unique(field: str, what: str, ids: list[str]) -> None:
    """Refuse ids given twice in one list (the second would shadow the first)."""
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise FieldError(tuple(field.split(".")), f"{what} ids must be unique; these repeat",
                         dup)


def days_in_months(start: dt.date, months: int) -> int:
    """Days from ``start`` to the same day ``months`` later."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return (dt.date(year, month, day) - start).days
