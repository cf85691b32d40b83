"""Net present value, internal rate of return, payback and cost-benefit of monthly cash flows.

NPV and IRR come from numpy-financial; rates in the scenario are yearly and turned into the
equivalent monthly rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy_financial as npf


def monthly_rate(yearly: float) -> float:
    """The monthly rate that compounds to ``yearly`` over twelve months."""
    return float((1.0 + yearly) ** (1.0 / 12.0) - 1.0)


@dataclass(frozen=True)
class Appraisal:
    npv_cny: float
    irr_yearly: float  # NaN when the flows never change sign
    payback_month: int  # 1-based month when the cumulative cash turns non-negative; 0: never
    cost_benefit: float  # present value of inflows / present value of outflows


def appraise(inflow_cny: np.ndarray, outflow_cny: np.ndarray, yearly_rate: float) -> Appraisal:
    """Appraise monthly ``inflow - outflow`` (month 1 is the first element, discounted once).

    The payback month is the first month after which the cumulative cash flow stays
    non-negative to the end of the horizon.
    """
    net = np.asarray(inflow_cny, float) - np.asarray(outflow_cny, float)
    r = monthly_rate(yearly_rate)
    # npf.npv discounts the first value by (1 + r)^0; cash of month 1 arrives at its end
    npv = float(npf.npv(r, np.concatenate([[0.0], net])))
    disc = (1.0 + r) ** -np.arange(1, net.size + 1)
    pv_in = float(np.sum(inflow_cny * disc))
    pv_out = float(np.sum(outflow_cny * disc))
    with np.errstate(all="ignore"):
        irr_m = float(npf.irr(net)) if (net > 0).any() and (net < 0).any() else math.nan
    irr = (1.0 + irr_m) ** 12 - 1.0 if irr_m == irr_m else math.nan
    cum = np.cumsum(net)
    neg = np.flatnonzero(cum < 0)
    if cum.size == 0 or cum[-1] < 0:
        payback = 0
    else:
        payback = int(neg[-1] + 2) if neg.size else 1
    cbr = pv_in / pv_out if pv_out > 0 else math.inf
    return Appraisal(npv, irr, payback, cbr)
