"""Scenario sections of the health part: workshops, maintenance, early warning, economics.

The fleet-year scenario schema has one field of each type, defaulted, so a scenario without
them is valid (no workshop: vehicles are never serviced and a breakdown is repaired where
it happened, with no bay to wait for).

``workshops`` is a list::

    workshops:
      - {id: dealer_east, kind: 4s, x_km: 4, y_km: 1, bays: 3, open_h: 8.5, close_h: 17.5,
         closed_weekdays: [6], labour_cny_per_h: 220, profiles: [sedan_ev]}
      - {id: fixit_west, kind: independent, x_km: -3, y_km: 2, bays: 2}

A dealer (4S) store serves vehicles in warranty, of the profiles it lists (every profile
when it lists none); independent workshops serve vehicles out of warranty (which may also
use a 4S store when no independent one is open to them).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.schema.base import StrictModel


class WorkshopSpec(StrictModel):
    """A workshop: a dealer 4S store or an independent one, with bays, at a place."""

    id: str = Field(min_length=1, max_length=100)
    kind: str = Field(default="independent", pattern=r"^(4s|independent)$")
    x_km: float = Field(default=0.0, ge=-1e4, le=1e4)
    y_km: float = Field(default=0.0, ge=-1e4, le=1e4)
    bays: int = Field(default=2, ge=1, le=1000)
    open_h: float = Field(default=8.0, ge=0, lt=24, description="opening time, hour of day")
    close_h: float = Field(default=18.0, gt=0, le=24, description="closing time, hour of day")
    closed_weekdays: list[int] = Field(default_factory=list, max_length=6,
                                       description="0 Monday ... 6 Sunday")
    slot_h: float = Field(default=1.0, ge=0.25, le=12, description="booking slot length")
    labour_cny_per_h: float = Field(default=120.0, ge=0, le=1e5)
    profiles: list[str] | None = Field(default=None, max_length=1000,
                                       description="4S store: the vehicle profiles it serves")

    @model_validator(mode="after")
    def _hours(self) -> WorkshopSpec:
        if self.close_h <= self.open_h:
            raise ValueError(f"close_h ({self.close_h}) must be after open_h ({self.open_h})")
        if self.close_h - self.open_h < self.slot_h:
            raise ValueError("the opening hours must hold at least one slot of slot_h")
        if any(d < 0 or d > 6 for d in self.closed_weekdays):
            raise ValueError(f"closed_weekdays must be 0..6 (got {self.closed_weekdays})")
        return self


class MaintenanceSpec(StrictModel):
    """Preventive service (by km and by months, from the vehicle profile) and repairs."""

    enabled: bool = True
    book_ahead_km: float = Field(default=500.0, ge=0, le=1e5, description="book service "
                                 "when the odometer is this close to the due km")
    book_ahead_days: float = Field(default=14.0, ge=0, le=365, description="book service "
                                   "this many days before it is due by months")
    min_notice_h: float = Field(default=24.0, ge=0, le=24 * 60, description="online "
                                "booking: the earliest slot at least this far ahead")
    calendar_days: int = Field(default=60, ge=1, le=366, description="how far ahead the "
                               "booking calendar is searched for a slot")
    tow_cny: float = Field(default=300.0, ge=0, le=1e6, description="towing per breakdown")
    warned_repair_share: float = Field(default=0.5, gt=0, le=1, description="parts and "
                                       "labour of a repair done on a warning, as a share "
                                       "of a breakdown repair")
    inspection_h: float = Field(default=1.0, gt=0, le=48, description="bay time to inspect "
                                "a vehicle on a warning that finds no fault")


class WarningSpec(StrictModel):
    """Fault early warning: a wear index per vehicle, read after every task.

    A detectable fault starts ``pf_interval_h`` operating hours before its failure; from
    then the wear index is a Brownian motion with drift ``1 / pf_interval_h`` (it reaches
    1.0 on average at the failure) and diffusion ``diffusion_per_sqrt_h``; every reading
    adds Gaussian sensor noise ``reading_sd``. A reading above ``threshold`` raises the
    warning (fault code ``fault_code`` in telemetry) and books the vehicle in at once.
    """

    enabled: bool = False
    threshold: float = Field(default=0.6, gt=0, lt=1)
    pf_interval_h: float = Field(default=150.0, gt=0, le=1e5,
                                 description="operating hours from onset to failure")
    diffusion_per_sqrt_h: float = Field(default=0.03, ge=0, le=10)
    reading_sd: float = Field(default=0.15, ge=0, le=10)
    detectable_share: float = Field(default=0.8, ge=0, le=1,
                                    description="share of failures announced by wear")
    fault_code: int = Field(default=0x0A01, ge=1, le=65535)


class EconomicsSpec(StrictModel):
    """Capital, insurance, platform, drivers, energy and maintenance costs of the fleet."""

    platform_cny_per_vehicle_month: float = Field(default=30.0, ge=0, le=1e6,
                                                  description="telematics platform")
    platform_setup_cny: float = Field(default=0.0, ge=0, le=1e10,
                                      description="one-off platform cost in month 1")
    fuel_cny_per_l: float = Field(default=7.8, ge=0, le=1e3)
    electricity_cny_per_kwh: float = Field(default=1.0, ge=0, le=1e3)
    driver_cny_per_month: float = Field(default=7000.0, ge=0, le=1e7)
    downtime_cny_per_h: float = Field(default=0.0, ge=0, le=1e6,
                                      description="contribution lost per vehicle-hour down")
    depreciation: Literal["straight_line", "declining_balance"] = "straight_line"
    discount_rate_yearly: float = Field(default=0.08, ge=-0.5, le=1.0)
