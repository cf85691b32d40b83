"""Pay-for-results contract of an operations partner (seed 001).

One-year term paid quarterly. About 60% of each quarter's fee is fixed; the rest is tied to
targets (here: new activations in the quarter). A missed target reduces the variable part by
the contract's formula: the payout factor is ``max(0, 1 - slope * shortfall)`` with
``shortfall = 1 - achieved / target`` (no bonus above target). Payment is due ``credit_days``
after the quarter ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QuarterPay:
    quarter: int  # 1..4
    target: float
    achieved: float
    fixed_cny: float
    variable_cny: float
    paid_on: dt.date

    @property
    def total_cny(self) -> float:
        return self.fixed_cny + self.variable_cny


def payout_factor(achieved: float, target: float, slope: float) -> float:
    """Share of the variable fee paid for ``achieved`` against ``target``."""
    if target <= 0:
        return 1.0
    shortfall = max(0.0, 1.0 - achieved / target)
    return max(0.0, 1.0 - slope * shortfall)


def quarterly_pay(year: int, fee_cny_per_year: float, fixed_share: float,
                  targets: list[float], achieved: list[float], slope: float,
                  credit_days: int) -> list[QuarterPay]:
    """What the partner earns each quarter and when it is paid."""
    out = []
    quarter_fee = fee_cny_per_year / 4.0
    for q, (tgt, got) in enumerate(zip(targets, achieved, strict=True), start=1):
        end = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - dt.timedelta(days=1)
        out.append(QuarterPay(
            q, float(tgt), float(got), quarter_fee * fixed_share,
            quarter_fee * (1.0 - fixed_share) * payout_factor(got, tgt, slope),
            end + dt.timedelta(days=credit_days)))
    return out


def quarters_of(activated_month: np.ndarray, boxes: np.ndarray) -> list[float]:
    """Boxes activated in each calendar quarter of the year (months 0..11)."""
    inside = (activated_month >= 0) & (activated_month < 12)
    q = activated_month[inside] // 3
    return [float(v) for v in np.bincount(q, weights=boxes[inside], minlength=4)[:4]]
