"""Billing, settlement, discounts, incentives, finance and the contract on hand cases."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import numpy_financial as npf
import pytest

from sim.economics.billing import first_month_factor, first_month_fee, round_fen, schedule_fees
from sim.economics.contract import payout_factor, quarterly_pay
from sim.economics.finance import appraise, monthly_rate
from sim.economics.incentives import north_bundle, pool_payouts
from sim.economics.tariffs import (
    PACKAGES,
    SEED_DISCOUNTS,
    DiscountBand,
    discount_factor,
    settlement_price,
    uncovered_sizes,
)


def test_first_month_charged_per_day_from_activation_to_month_end() -> None:
    # activation on the 17th of a 30-day month at 28 yuan: 28 x 14 / 30 = 13.0666.. -> 13.07
    assert first_month_fee(28.0, dt.date(2016, 6, 17)) == 13.07


@pytest.mark.parametrize(("price", "day", "fee"), [
    (18.0, dt.date(2016, 7, 1), 18.00),     # the whole month
    (18.0, dt.date(2016, 7, 31), 0.58),     # 18 / 31 = 0.5806
    (38.0, dt.date(2016, 2, 15), 19.66),    # leap February: 38 x 15 / 29 = 19.655 -> 19.66
    (68.0, dt.date(2016, 9, 30), 2.27),     # 68 / 30 = 2.2666
    (58.0, dt.date(2016, 12, 20), 22.45),   # 58 x 12 / 31 = 22.4516
])
def test_first_month_hand_cases(price: float, day: dt.date, fee: float) -> None:
    assert first_month_fee(price, day) == fee


def test_vectorised_first_month_agrees_with_the_decimal_rule() -> None:
    days = np.array([17, 1, 31, 15])
    dim = np.array([30, 31, 31, 29])
    got = round_fen(first_month_factor(days, dim) * np.array([28.0, 18.0, 18.0, 38.0]))
    assert got.tolist() == [13.07, 18.0, 0.58, 19.66]


def test_schedule_bills_first_month_per_day_then_full_months() -> None:
    fees = schedule_fees(np.array([5]), np.array([14 / 30]), np.array([28.0]),
                         np.array([10.0]), 12, stop_month=np.array([8]))
    assert fees[0].tolist() == [0, 0, 0, 0, 0, 130.7, 280, 280, 0, 0, 0, 0]


@pytest.mark.parametrize("pkg", list(PACKAGES))
def test_settlement_rule_reproduces_every_row_of_the_seed_table(pkg: str) -> None:
    p = PACKAGES[pkg]
    assert settlement_price(p.floor_cny) == pytest.approx(p.settlement_cny, abs=1e-9)


def test_settlement_rule_by_hand() -> None:
    assert settlement_price(38.0) == 18.5  # (38 - 18) x 50% + 8.5


@pytest.mark.parametrize(("size", "factor"), [
    (9, 1.0), (10, 0.95), (29, 0.95), (30, 0.90), (49, 0.90), (50, 0.85), (99, 0.85),
    (100, 0.80), (5000, 0.80)])
def test_discount_bands_shared_ends_go_to_the_larger_group(size: int, factor: float) -> None:
    assert discount_factor(size) == factor


def test_a_gap_between_bands_is_found_and_named() -> None:
    bands = (DiscountBand(10, 30, 0.95), DiscountBand(50, math.inf, 0.8))
    assert uncovered_sizes(5, 400, bands) == [30]
    assert uncovered_sizes(5, 400, SEED_DISCOUNTS) == []
    with pytest.raises(ValueError, match="40 boxes"):
        discount_factor(40, bands)


def test_incentive_pool_runs_out_in_order_of_activation() -> None:
    t = np.array([5.0, 1.0, 3.0, 2.0, 4.0])
    boxes = np.array([10, 10, 10, 10, 10])
    got = pool_payouts(t, boxes, pool_cny=50.0 * 25, per_box_cny=50.0)
    # order of activation: #1 (t=1), #3, #2, #4, #0; 25 boxes: 10, 10, 5, 0, 0
    assert got.tolist() == [0.0, 500.0, 250.0, 500.0, 0.0]
    assert got.sum() == 1250.0


def test_pool_of_the_plan_covers_two_million_boxes() -> None:
    boxes = np.full(4500, 1000)
    got = pool_payouts(np.arange(4500.0), boxes)
    assert got.sum() == 100_000_000.0
    assert np.count_nonzero(got) == 2000


def test_north_bundle_pays_110_per_enterprise_household() -> None:
    got = north_bundle(np.array([10.0, 10.0]), np.array([True, False]), 0.5)
    assert got.tolist() == [550.0, 0.0]


def test_npv_and_irr_agree_with_numpy_financial() -> None:
    inflow = np.array([0.0, 50.0, 60.0, 70.0])
    outflow = np.array([100.0, 0.0, 0.0, 0.0])
    a = appraise(inflow, outflow, 0.12)
    r = monthly_rate(0.12)
    expect = sum((i - o) / (1 + r) ** (k + 1) for k, (i, o) in enumerate(zip(inflow, outflow,
                                                                               strict=True)))
    assert a.npv_cny == pytest.approx(expect)
    irr_m = npf.irr(inflow - outflow)
    assert a.irr_yearly == pytest.approx((1 + irr_m) ** 12 - 1)
    assert a.payback_month == 3  # cumulative: -100, -50, +10, +80


def test_payback_never_when_cash_ends_negative() -> None:
    assert appraise(np.array([1.0, 1.0]), np.array([5.0, 0.0]), 0.0).payback_month == 0


def test_contract_formula_and_credit() -> None:
    assert payout_factor(90.0, 100.0, 2.0) == pytest.approx(0.8)
    assert payout_factor(120.0, 100.0, 2.0) == 1.0
    assert payout_factor(10.0, 100.0, 2.0) == 0.0
    pay = quarterly_pay(2016, 4_000_000.0, 0.6, [1, 1, 100, 100], [1, 1, 90, 100], 2.0, 30)
    assert [q.fixed_cny for q in pay] == [600_000.0] * 4
    assert pay[2].variable_cny == pytest.approx(400_000.0 * 0.8)
    assert pay[2].paid_on == dt.date(2016, 10, 30)   # 30 days after 30 September
    assert pay[3].paid_on == dt.date(2017, 1, 30)
