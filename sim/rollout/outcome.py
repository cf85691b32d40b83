"""From the record of a replication to KPIs and tables: platform, hotline, money, contract."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np

from sim.economics.contract import quarterly_pay, quarters_of
from sim.economics.finance import appraise
from sim.engine.registry import Context
from sim.rollout.kpis import quantile
from sim.rollout.money import INFLOWS, OUTFLOWS, cash_flows
from sim.rollout.plan import BY_NAME
from sim.rollout.platform import platform_load
from sim.rollout.record import DAY_S, RolloutRecord
from sim.rollout.schema import RolloutScenario
from sim.rollout.support import province_agents, simulate_support
from sim.rollout.tables import record_tables


def daily_backlog(rec: RolloutRecord) -> tuple[np.ndarray, np.ndarray]:
    """Boxes ordered and activated by the end of each day, per province (province, day)."""
    P, D = len(rec.provinces), rec.days
    o, v = rec.orders, rec.visits
    od = np.clip((o.t_s // DAY_S).astype(np.int64), 0, D)
    ordered = np.zeros((P, D + 1))
    np.add.at(ordered, (o.province, od), o.boxes)
    done = ~np.isnan(v.end_s)
    ad = (v.end_s[done] // DAY_S).astype(np.int64)
    activated = np.zeros((P, D + 1))
    np.add.at(activated, (o.province[v.order[done]], ad), v.boxes[done])
    return np.cumsum(ordered, 1)[:, :D], np.cumsum(activated, 1)[:, :D]


def finish_record(s: RolloutScenario, rec: RolloutRecord, ctx: Context) -> dict[str, float]:
    P = len(rec.provinces)
    hours = rec.days * 24
    t0 = time.perf_counter()
    box_t, box_p = rec.box_times()
    plat = platform_load(box_t, box_p, P, hours, s.platform.capacity_per_h,
                         s.platform.transactions_per_box)
    t1 = time.perf_counter()
    lines, centre = simulate_support(s, rec.provinces, box_t, box_p, rec.target_boxes, hours,
                                     ctx.rng)
    t2 = time.perf_counter()
    agents = province_agents(s, rec.target_boxes)
    cash = cash_flows(s, rec, agents)
    inflow, outflow = cash.inflow(), cash.outflow()
    e = s.economics
    apps = [appraise(inflow[i], outflow[i], e.discount_rate_yearly) for i in range(P)]
    c = s.contract
    months_act = (np.nan_to_num(rec.visits.end_s, nan=-1e18) // DAY_S)
    month_idx = np.full(months_act.size, -1, np.int64)
    ok = months_act >= 0
    days = (months_act[ok]).astype("timedelta64[D]") + np.datetime64(f"{rec.year}-01-01")
    month_idx[ok] = days.astype("datetime64[M]").astype(np.int64) - (rec.year - 1970) * 12
    achieved = quarters_of(month_idx, rec.visits.boxes.astype(float))
    plan = float(rec.target_boxes.sum())
    targets = c.quarter_targets or [0.0, 0.0, 0.4 * plan, 0.6 * plan]
    pay = quarterly_pay(rec.year, c.fee_cny_per_year, c.fixed_share, targets, achieved,
                        c.slope, c.credit_days)
    partner = np.zeros(e.months)
    for q in pay:
        m = (q.paid_on.year - rec.year) * 12 + q.paid_on.month - 1
        if 0 <= m < partner.size:
            partner[m] += q.total_cny
    hours_m = np.array([(dt.date(rec.year + (m + 1) // 12, (m + 1) % 12 + 1, 1)
                         - dt.date(rec.year + m // 12, m % 12 + 1, 1)).days * 24.0
                        for m in range(e.months)])
    centre_cost = s.hotline.centre.agents * e.agent_cost_cny_per_h * hours_m
    national_out = outflow.sum(0) + partner + centre_cost
    nat = appraise(inflow.sum(0), national_out, e.discount_rate_yearly)
    t3 = time.perf_counter()
    ctx.timings["platform_s"] = t1 - t0
    ctx.timings["hotline_s"] = t2 - t1
    ctx.timings["economics_s"] = t3 - t2

    ordered, activated = daily_backlog(rec)
    dec31 = activated[:, -1]
    backlog = ordered - activated
    act_s = rec.order_activated_s
    o = rec.orders
    in_year = o.t_s < s.horizon_s
    lead_d = (act_s - o.t_s) / DAY_S
    done = ~np.isnan(act_s)
    avail = rec.crews * rec.working_days * rec.shift_s
    util = rec.busy_s.sum(1) / np.where(avail > 0, avail, np.nan)
    year_m = slice(0, 12)
    revenue = sum(cash.flows[k][:, year_m].sum(1) for k in ("box_sales_cny", "fees_cny",
                                                            "vas_cny"))
    prov_rows = {
        "province": rec.provinces,
        "province_zh": [BY_NAME[p].name_zh for p in rec.provinces],
        "adcode": [BY_NAME[p].adcode for p in rec.provinces],
        "batch": rec.batch,
        "on_sale": [str(np.datetime64(f"{rec.year}-01-01") + np.timedelta64(int(x // DAY_S),
                                                                             "D"))
                    for x in rec.on_sale_s],
        "crews": rec.crews,
        "hotline_agents": agents,
        "target_boxes": rec.target_boxes,
        "ordered_boxes": ordered[:, -1],
        "activated_dec31": dec31,
        "activated_share": dec31 / np.maximum(rec.target_boxes, 1),
        "on_target": dec31 >= rec.target_boxes,
        "peak_backlog_boxes": backlog.max(1),
        "lead_time_median_d": [quantile(lead_d[done & (o.province == i)], 0.5) for i in range(P)],
        "lead_time_p95_d": [quantile(lead_d[done & (o.province == i)], 0.95) for i in range(P)],
        "crew_utilisation": util,
        "peak_activations_per_h": plat.by_province_peak,
        "hotline_service_level": [ln.service_level for ln in lines],
        "hotline_abandon_rate": [ln.abandon_rate for ln in lines],
        "revenue_year_cny": revenue,
        "settlement_year_cny": cash.flows["settlement_cny"][:, year_m].sum(1),
        "incentive_cny": cash.flows["incentive_cny"][:, year_m].sum(1),
        "npv_cny": [a.npv_cny for a in apps],
        "irr_yearly": [a.irr_yearly for a in apps],
        "payback_month": [a.payback_month for a in apps],
        "cost_benefit": [a.cost_benefit for a in apps],
    }
    record_tables(ctx.recorder, s, rec, prov_rows, ordered, activated, cash, inflow, outflow,
                  plat, pay, lines, centre, INFLOWS, OUTFLOWS,
                  {"partner_cny": partner, "centre_agents_cny": centre_cost})
    calls = sum(ln.calls for ln in lines)
    variable = sum(q.variable_cny for q in pay)
    variable_max = c.fee_cny_per_year * (1 - c.fixed_share)
    pool_day = cash.pool_exhausted_s // DAY_S + 1 if cash.pool_exhausted_s == \
        cash.pool_exhausted_s else float("nan")
    return {
        "target_boxes": plan,
        "activated_dec31": float(dec31.sum()),
        "activated_share": float(dec31.sum() / max(plan, 1.0)),
        "provinces_on_target": float(np.sum(dec31 >= rec.target_boxes)),
        "ordered_boxes": float(o.boxes[in_year].sum()),
        "orders": float(in_year.sum()),
        "peak_backlog_boxes": float(backlog.sum(0).max()),
        "lead_time_median_d": quantile(lead_d[done], 0.5),
        "lead_time_p95_d": quantile(lead_d[done], 0.95),
        "crew_utilisation": float(rec.busy_s.sum() / max(avail.sum(), 1.0)),
        "visits": float(np.sum(~np.isnan(rec.visits.end_s))),
        "routes_rejected": float(rec.rejected_routes),
        "peak_activations_per_h": plat.peak_per_h,
        "platform_hours_over": float(plat.hours_over),
        "platform_max_delay_h": float(plat.max_delay_h),
        "hotline_calls": float(calls),
        "hotline_service_level": sum(ln.within for ln in lines) / max(calls, 1),
        "hotline_abandon_rate": sum(ln.abandoned for ln in lines) / max(calls, 1),
        "centre_calls": float(centre.calls),
        "centre_service_level": centre.service_level,
        "centre_abandon_rate": centre.abandon_rate,
        "revenue_year_cny": float(np.sum(revenue)),
        "settlement_year_cny": float(cash.flows["settlement_cny"][:, year_m].sum()),
        "incentive_cny": float(cash.flows["incentive_cny"][:, year_m].sum()),
        "pool_boxes": float(cash.pool_boxes),
        "pool_exhausted_day": float(pool_day),
        "npv_cny": nat.npv_cny,
        "irr_yearly": nat.irr_yearly,
        "payback_month": float(nat.payback_month),
        "cost_benefit": nat.cost_benefit,
        "partner_fee_cny": float(sum(q.total_cny for q in pay)),
        "partner_variable_share": variable / variable_max if variable_max > 0 else 1.0,
    }
