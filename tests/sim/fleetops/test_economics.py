"""Fleet costs by month and the comparison against a baseline (savings, ROI, payback)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.fleetops.economics import (
    add_months,
    appraise_against,
    book_value,
    month_starts_days,
)
from sim.fleetops.health_schema import EconomicsSpec
from validation.fleetops_world import Car, profile, run, world


def flows(total: list[float], platform: list[float]) -> dict[str, np.ndarray]:
    return {"total_cny": np.asarray(total, float), "platform_cny": np.asarray(platform, float)}


def test_payback_month_of_a_hand_computed_cash_flow():
    # platform: 300 set-up in month 1; it saves 100 a month from month 2
    base = flows([1000, 1000, 1000, 1000, 1000, 1000], [0] * 6)
    run_ = flows([1300, 900, 900, 900, 900, 900], [300, 0, 0, 0, 0, 0])
    a = appraise_against(base, run_, yearly_rate=0.0)
    # net by month: -300, +100, +100, +100, +100, +100 -> cumulative -300 -200 -100 0 100 200
    assert a["payback_month"] == 4
    assert a["investment_cny"] == 300
    assert a["return_cny"] == 500
    assert a["roi"] == pytest.approx((500 - 300) / 300)
    assert a["saving_cny"] == pytest.approx(200)
    assert a["npv_cny"] == pytest.approx(200)  # no discounting
    assert a["cost_benefit"] == pytest.approx(500 / 300)


def test_discounting_and_irr():
    base = flows([100.0] * 24, [0.0] * 24)
    run_ = flows([1100.0] + [50.0] * 23, [1000.0] + [0.0] * 23)
    a = appraise_against(base, run_, yearly_rate=0.1)
    # net: -1000 in month 1, +50 in each of the 23 months after; at the IRR its NPV is 0
    m = (1 + a["irr_yearly"]) ** (1 / 12) - 1
    net = np.array([-1000.0] + [50.0] * 23)
    assert np.sum(net / (1 + m) ** np.arange(1, 25)) == pytest.approx(0.0, abs=1e-6)
    assert a["npv_cny"] < 1150 - 1000
    assert a["payback_month"] == 21


def test_never_paid_back():
    a = appraise_against(flows([100, 100], [0, 0]), flows([130, 110], [30, 10]), 0.05)
    assert math.isnan(a["payback_month"])
    assert a["roi"] == pytest.approx(-1.0)


def test_straight_line_and_declining_balance_reach_the_residual():
    p = profile(price_cny=200_000.0, residual_share=0.25, life_years=8.0)
    assert book_value(p, 4.0, "straight_line") == pytest.approx(125_000.0)
    assert book_value(p, 8.0, "declining_balance") == pytest.approx(50_000.0)
    assert book_value(p, 20.0, "straight_line") == pytest.approx(50_000.0)
    assert book_value(p, 4.0, "declining_balance") == pytest.approx(100_000.0)


def test_months_follow_the_calendar():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert month_starts_days(dt.date(2026, 1, 1), 3) == [0, 31, 59, 90]


def test_run_costs_add_up_by_month():
    p = profile(price_cny=160_000.0, residual_share=0.25, life_years=8.0,
                insurance_cny_per_year=3_652.5, fuel_l_per_100km=10.0,
                maintenance_cny_per_km=0.1, failure_rate_per_1000h=0.0)
    spec = EconomicsSpec(platform_cny_per_vehicle_month=30.0, platform_setup_cny=500.0,
                         fuel_cny_per_l=8.0)
    w = world([Car(p, purchase_date=dt.date(2025, 1, 5)) for _ in range(3)], months=2,
              economics=spec)
    k = run(w)
    table = w.health.tables()["costs_monthly"]
    days = np.array([31.0, 28.0])  # 2026-01-05 .. 02-05 .. 03-05 in this case 31 + 28
    assert month_starts_days(w.state.start_date, 2) == [0, 31, 59]
    # straight line: 120,000 over 8 years, by days
    assert table["capital_cny"] == pytest.approx(3 * 15_000.0 * days / 365.25)
    assert table["insurance_cny"] == pytest.approx(3 * 10.0 * days * 3_652.5 / 3_652.5)
    assert list(table["platform_cny"]) == [590.0, 90.0]
    km = table["km"].sum()
    assert k["cost_energy_cny"] == pytest.approx(km * 0.1 * 8.0)
    assert k["maintenance_cny"] == pytest.approx(km * 0.1)
    assert k["cost_total_cny"] == pytest.approx(table["total_cny"].sum())
    assert k["fleet_value_end_cny"] == pytest.approx(
        3 * (160_000.0 - 15_000.0 * (365 + 59) / 365.25))


def test_no_irr_when_the_first_month_already_pays():
    # the platform saves 100 a month; it costs 10, except 150 in month 2 (an upgrade):
    # net +90, -50, +90 changes sign but nothing was put in before it came back
    a = appraise_against(flows([100.0] * 3, [0.0] * 3),
                         flows([10.0, 150.0, 10.0], [10.0, 150.0, 10.0]), 0.05)
    assert math.isnan(a["irr_yearly"])
    assert a["payback_month"] == 1
    assert a["npv_cny"] > 0
