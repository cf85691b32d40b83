"""Monthly cash flows of the rollout per province, from January of the plan year.

Inflows: box sales (449 yuan, with a year of the basic service), monthly fees by the billing
rules (custom packages from activation, the first month per day; basic packages from the
first anniversary, with the group renewal discount, paid monthly or yearly), value-added
services (once, in the activation month), the group's incentives (the first-come pool and the
northern bundle). Outflows: the operations centre's settlement for every active box (first
month per day), boxes bought, installer crews (working days from team formation to year end)
and provincial hotline agents (7x24 seats from the on-sale month). Boxes still served after
their first year are the ``renewal_rate`` share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sim.economics.billing import first_month_factor, round_fen, spread
from sim.economics.incentives import north_bundle, pool_payouts
from sim.economics.tariffs import BASIC_MONTHLY_CNY, BASIC_YEARLY_CNY, BOX_PRICE_CNY, PACKAGES
from sim.rollout.checks import bands_of
from sim.rollout.record import DAY_S, RolloutRecord
from sim.rollout.schema import RolloutScenario

INFLOWS = ("box_sales_cny", "fees_cny", "vas_cny", "incentive_cny")
OUTFLOWS = ("settlement_cny", "boxes_cny", "crews_cny", "agents_cny")


@dataclass
class CashFlows:
    flows: dict[str, np.ndarray]  # name -> (province, month) yuan
    pool_exhausted_s: float  # activation time of the last box paid from the pool (NaN: never)
    pool_boxes: int

    def inflow(self) -> np.ndarray:
        return sum((self.flows[k] for k in INFLOWS), np.zeros_like(self.flows[INFLOWS[0]]))

    def outflow(self) -> np.ndarray:
        return sum((self.flows[k] for k in OUTFLOWS), np.zeros_like(self.flows[OUTFLOWS[0]]))


def _by_province(prov: np.ndarray, provinces: int, mat: np.ndarray) -> np.ndarray:
    onehot = np.zeros((provinces, prov.size))
    onehot[prov, np.arange(prov.size)] = 1.0
    return onehot @ mat


def _at_month(month: np.ndarray, amount: np.ndarray, months: int) -> np.ndarray:
    out = np.zeros((month.size, months))
    ok = (month >= 0) & (month < months)
    out[np.flatnonzero(ok), month[ok]] = amount[ok]
    return out


def visit_discounts(s: RolloutScenario, group_boxes: np.ndarray) -> np.ndarray:
    bands = bands_of(s)
    lo = s.economics.no_discount_below
    out = np.ones(group_boxes.size)
    for b in bands:
        hit = (group_boxes >= max(b.from_boxes, lo)) & (group_boxes < b.to_boxes)
        out[hit] = b.factor
    return out


def cash_flows(s: RolloutScenario, rec: RolloutRecord, agents: np.ndarray) -> CashFlows:
    e = s.economics
    months = e.months
    P = len(rec.provinces)
    v, o = rec.visits, rec.orders
    done = np.flatnonzero(~np.isnan(v.end_s))
    t = v.end_s[done]
    boxes = v.boxes[done].astype(float)
    order = v.order[done]
    prov = o.province[order].astype(np.int64)
    day = (t // DAY_S).astype("timedelta64[D]") + np.datetime64(f"{rec.year}-01-01")
    a = (day.astype("datetime64[M]").astype(np.int64) - (rec.year - 1970) * 12)
    dom = (day - day.astype("datetime64[M]")).astype(np.int64) + 1
    nxt = (day.astype("datetime64[M]") + 1).astype("datetime64[D]")
    dim = (nxt - day.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    share = first_month_factor(dom, dim)
    pk = [PACKAGES[name] for name in rec.packages]
    price = np.array([e.prices_cny.get(p.name, p.price_cny) for p in pk])[o.package[order]]
    settle = np.array([p.settlement_cny for p in pk])[o.package[order]]
    basic = np.array([p.basic for p in pk])[o.package[order]]
    disc = visit_discounts(s, o.boxes[order])
    keep = e.renewal_rate
    monthly = (1.0 - e.yearly_payment_share) * keep
    custom = np.where(basic, 0.0, price)
    renew = np.where(basic, BASIC_MONTHLY_CNY * disc, 0.0)
    # one row per (province, package, discount, activation month): every amount below is
    # per box and already rounded to the fen, so cohorts sum exactly
    per_box = {
        "custom_first": round_fen(share * custom), "custom_full": custom,
        "settle_first": round_fen(share * settle), "settle_full": settle,
        "renew_first": round_fen(share * renew), "renew_full": renew,
        "yearly": np.where(basic, BASIC_YEARLY_CNY * disc, 0.0),
    }
    key = np.unique(np.column_stack([prov, o.package[order], np.rint(disc * 100), a]), axis=0,
                    return_inverse=True)
    rows, inv = key[0], key[1].ravel()
    c_prov, c_a = rows[:, 0].astype(np.int64), rows[:, 3].astype(np.int64)
    tot = {k: np.bincount(inv, weights=v * boxes, minlength=rows.shape[0])
           for k, v in per_box.items()}
    c_boxes = np.bincount(inv, weights=boxes, minlength=rows.shape[0])
    year2 = c_a + 12
    fees = (spread(c_a, tot["custom_first"], tot["custom_full"], months, year2)
            + keep * spread(year2, tot["custom_first"], tot["custom_full"], months)
            + monthly * spread(year2, tot["renew_first"], tot["renew_full"], months))
    for k in range(12, months, 12):  # yearly payers pay on each anniversary
        fees += _at_month(c_a + k, tot["yearly"] * e.yearly_payment_share * keep, months)
    settlement = (spread(c_a, tot["settle_first"], tot["settle_full"], months, year2)
                  + keep * spread(year2, tot["settle_first"], tot["settle_full"], months))
    pool = pool_payouts(t, v.boxes[done], e.incentive_pool_cny, e.incentive_per_box_cny)
    north = north_bundle(boxes, rec.north[prov], e.north_bundle_share)
    per_cohort = {
        "box_sales_cny": _at_month(c_a, BOX_PRICE_CNY * c_boxes, months),
        "fees_cny": fees,
        "vas_cny": _at_month(c_a, e.vas_take * e.vas_price_cny * c_boxes, months),
        "settlement_cny": settlement,
        "boxes_cny": _at_month(c_a, e.box_cost_cny * c_boxes, months),
    }
    flows = {k: _by_province(c_prov, P, m) for k, m in per_cohort.items()}
    flows["incentive_cny"] = _by_province(prov, P, _at_month(a, pool + north, months))
    flows["crews_cny"] = _crew_costs(s, rec, months)
    flows["agents_cny"] = _agent_costs(s, rec, agents, months)
    paid = pool > 0
    last = float(t[paid].max()) if paid.any() and pool.sum() >= e.incentive_pool_cny - 1e-6 \
        else float("nan")
    return CashFlows(flows, last, int(round(pool.sum() / e.incentive_per_box_cny)))


def _month_days(year: int, months: int) -> tuple[np.ndarray, np.ndarray]:
    """First day (days from 1 January) of each month and its length."""
    starts = np.array([(dt.date(year + m // 12, m % 12 + 1, 1) - dt.date(year, 1, 1)).days
                       for m in range(months + 1)])
    return starts[:-1], np.diff(starts)


def _crew_costs(s: RolloutScenario, rec: RolloutRecord, months: int) -> np.ndarray:
    start, _ = _month_days(rec.year, months)
    ready = int(s.date_s(s.launch.teams_ready) // DAY_S)
    year0 = dt.date(rec.year, 1, 1)
    work = np.array([d >= ready and (year0 + dt.timedelta(days=d)).weekday() in
                     s.installation.working_weekdays for d in range(rec.days)], float)
    per_month = np.array([work[start[m]:start[m + 1]].sum() if m + 1 < start.size
                          else work[start[m]:].sum() for m in range(months)])
    per_month[12:] = 0.0  # crews are hired for the rollout year
    return np.outer(rec.crews * s.economics.crew_cost_cny_per_day, per_month)


def _agent_costs(s: RolloutScenario, rec: RolloutRecord, agents: np.ndarray,
                 months: int) -> np.ndarray:
    start, length = _month_days(rec.year, months)
    first = (rec.on_sale_s // DAY_S)
    on = start[None, :] + length[None, :] > first[:, None]
    hours = length * 24.0
    return np.where(on, agents[:, None] * hours[None, :] * s.economics.agent_cost_cny_per_h,
                    0.0)
