"""What a fleet costs month by month, and what a management system saves against a baseline.

Costs of a fleet-year run, per calendar month of the run (month 1 starts on the scenario's
``start_date``):

- **capital**: depreciation of every vehicle from its ``price_cny`` to ``residual_share``
  of it over ``life_years`` (straight line, or declining balance at the rate that reaches
  the same residual), for the days of the month; the fleet's book value at the end is
  reported too;
- **insurance**: ``insurance_cny_per_year`` per vehicle, by days;
- **platform**: the telematics platform per vehicle-month, plus its one-off set-up in
  month 1;
- **drivers**: the roster (pools plus two drivers per double-shifted vehicle) at
  ``driver_cny_per_month``;
- **energy**: litres (or kWh for vehicles with a battery) from each task's km and the
  profile's consumption, at the scenario's prices;
- **maintenance**: services, repairs, towing and inspections the fleet pays (repairs at a
  4S store within warranty are the dealer's), plus the profile's wear parts per km;
- **downtime**: vehicle-hours down valued at ``downtime_cny_per_h`` (0 by default).

:func:`appraise_against` compares a run with a baseline run (e.g. without the platform:
more vehicles, more empty running, more breakdowns): the platform is the investment, the
baseline's other costs minus the run's are the return; NPV, IRR, payback month and
cost-benefit ratio come from :mod:`sim.economics.finance` (numpy-financial).
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.economics.finance import appraise
from sim.fleetops.health_schema import EconomicsSpec
from sim.fleetops.state import DAY_S, Vehicle
from sim.schema.profiles import VehicleProfile

COST_COLUMNS = ("capital_cny", "insurance_cny", "platform_cny", "drivers_cny", "energy_cny",
                "maintenance_cny", "downtime_cny")
MAINTENANCE_PARTS = ("service", "repair", "tow", "inspection", "wear")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later (the month's last day if it is shorter)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_starts_days(start: dt.date, months: int) -> list[int]:
    """Day offsets from ``start`` of the starts of months 1..months+1 (same day of month)."""
    return [(add_months(start, k) - start).days for k in range(months + 1)]


def book_value(profile: VehicleProfile, age_years: float, method: str) -> float:
    """A vehicle's value ``age_years`` after purchase."""
    price, life = profile.price_cny, profile.life_years
    residual = price * profile.residual_share
    a = min(max(age_years, 0.0), life)
    if method == "declining_balance" and price > 0 and residual > 0:
        return price * (residual / price) ** (a / life)
    return price - (price - residual) * a / life


def energy_per_km(profile: VehicleProfile, scenario: Any = None) -> tuple[float, float]:
    """(litres, grid kWh) per km: fuel of a combustion vehicle, or an electric one's
    battery kWh per km over the scenario's charging efficiency (trips to chargers are not
    counted)."""
    if getattr(profile, "powertrain", "ice") == "ev":
        charging = getattr(scenario, "charging", None)
        efficiency = float(getattr(charging, "efficiency", 1.0) or 1.0)
        return 0.0, float(getattr(profile, "kwh_per_km", 0.0) or 0.0) / efficiency
    return float(profile.fuel_l_per_100km or 0.0) / 100.0, 0.0


class CostLedger:
    """Costs booked by month during a run; the fixed ones are added at the end."""

    def __init__(self, spec: EconomicsSpec, start: dt.date, months: int):
        self.spec, self.start, self.months = spec, start, months
        self._bounds_s = [d * DAY_S for d in month_starts_days(start, months)]
        self.maintenance = np.zeros((months, len(MAINTENANCE_PARTS)))
        self.covered = np.zeros(months)  # repairs the dealer paid under warranty
        # plain lists (km, litres, kWh, wear CNY) a month: cheaper than numpy for a += a task
        self._usage = [[0.0, 0.0, 0.0, 0.0] for _ in range(months)]

    def month(self, t_s: float) -> int:
        """0-based month of ``t_s`` (clamped to the run)."""
        return min(max(bisect.bisect_right(self._bounds_s, t_s) - 1, 0), self.months - 1)

    def usage(self, t_s: float) -> tuple[list[float], float, float]:
        """The usage accumulator of ``t_s``'s month (km, litres, kWh, wear parts CNY) and
        the month's bounds; callers add to it after every task (kept cheap)."""
        m = self.month(t_s)
        lo = self._bounds_s[m] if m else -math.inf
        hi = self._bounds_s[m + 1] if m + 1 < self.months else math.inf
        return self._usage[m], lo, hi

    def _column(self, k: int) -> np.ndarray:
        return np.array([u[k] for u in self._usage], float)

    @property
    def km(self) -> np.ndarray:
        return self._column(0)

    @property
    def litres(self) -> np.ndarray:
        return self._column(1)

    @property
    def kwh(self) -> np.ndarray:
        return self._column(2)

    def charge(self, t_s: float, part: str, cny: float, covered: bool = False) -> None:
        m = self.month(t_s)
        if covered:
            self.covered[m] += cny
        else:
            self.maintenance[m, MAINTENANCE_PARTS.index(part)] += cny

    def monthly(self, vehicles: Sequence[Vehicle], drivers: int,
                downtime_h: np.ndarray) -> dict[str, np.ndarray]:
        """Every cost column by month (arrays of length ``months``)."""
        s = self.spec
        bounds_d = month_starts_days(self.start, self.months)
        days = np.diff(np.asarray(bounds_d, float))
        capital = np.zeros(self.months)
        for v in vehicles:
            age0 = (self.start - v.purchase_date).days
            values = [book_value(v.profile, (age0 + d) / 365.25, s.depreciation)
                      for d in bounds_d]
            capital += -np.diff(np.asarray(values))
        insurance = days / 365.25 * sum(v.profile.insurance_cny_per_year for v in vehicles)
        platform = np.full(self.months, s.platform_cny_per_vehicle_month * len(vehicles))
        platform[0] += s.platform_setup_cny
        return {
            "capital_cny": capital,
            "insurance_cny": insurance,
            "platform_cny": platform,
            "drivers_cny": np.full(self.months, s.driver_cny_per_month * drivers),
            "energy_cny": self.litres * s.fuel_cny_per_l + self.kwh * s.electricity_cny_per_kwh,
            "maintenance_cny": self.maintenance.sum(axis=1) + self._column(3),
            "downtime_cny": np.asarray(downtime_h, float) * s.downtime_cny_per_h,
        }

    def table(self, vehicles: Sequence[Vehicle], drivers: int,
              downtime_h: np.ndarray) -> dict[str, Any]:
        """The ``costs_monthly`` table: one row a month, every cost and the total."""
        cols = self.monthly(vehicles, drivers, downtime_h)
        bounds = month_starts_days(self.start, self.months)
        out: dict[str, Any] = {
            "month": np.arange(1, self.months + 1),
            "month_start": [str(self.start + dt.timedelta(days=d)) for d in bounds[:-1]],
        }
        out.update(cols)
        out["total_cny"] = np.sum([cols[c] for c in COST_COLUMNS], axis=0)
        for i, part in enumerate(MAINTENANCE_PARTS):
            out[f"maint_{part}_cny"] = (self._column(3) if part == "wear"
                                        else self.maintenance[:, i])
        out["warranty_covered_cny"] = self.covered
        out["km"] = self.km
        out["fuel_l"] = self.litres
        out["energy_kwh"] = self.kwh
        return out


def fleet_book_value(vehicles: Sequence[Vehicle], at: dt.date, method: str) -> float:
    return float(sum(book_value(v.profile, (at - v.purchase_date).days / 365.25, method)
                     for v in vehicles))


def appraise_against(base: dict[str, np.ndarray], run: dict[str, np.ndarray],
                     yearly_rate: float) -> dict[str, float]:
    """Savings of ``run`` against ``base`` (``costs_monthly`` columns, same months).

    The investment is the run's platform cost above the baseline's; the return each month
    is the baseline's other costs minus the run's. ROI is (return - investment) /
    investment over the horizon. The IRR is given only when the first month's net flow is
    an outlay (NaN otherwise, and when the flows never change sign).
    """
    months = min(len(base["total_cny"]), len(run["total_cny"]))
    b_platform = np.asarray(base["platform_cny"], float)[:months]
    r_platform = np.asarray(run["platform_cny"], float)[:months]
    outflow = np.maximum(r_platform - b_platform, 0.0)
    inflow = (np.asarray(base["total_cny"], float)[:months] - b_platform) - (
        np.asarray(run["total_cny"], float)[:months] - r_platform)
    a = appraise(inflow, outflow, yearly_rate)
    net = inflow - outflow
    first = net[np.flatnonzero(np.abs(net) > 1e-9)[:1]]
    # an IRR means something for money put in before it comes back: when the first
    # month already returns more than it costs, any rate "pays" and the IRR is not given
    irr = a.irr_yearly if first.size and first[0] < 0 else math.nan
    invested = float(outflow.sum())
    returned = float(inflow.sum())
    return {
        "months": float(months),
        "saving_cny": float((np.asarray(base["total_cny"])[:months]
                             - np.asarray(run["total_cny"])[:months]).sum()),
        "investment_cny": invested,
        "return_cny": returned,
        "roi": (returned - invested) / invested if invested > 0 else math.nan,
        "payback_month": float(a.payback_month) if a.payback_month else math.nan,
        "cost_benefit": a.cost_benefit,
        "npv_cny": a.npv_cny,
        "irr_yearly": irr,
    }
