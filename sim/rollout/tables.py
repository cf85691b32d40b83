"""Tables and time series a rollout run writes (see the README's rollout section)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.economics.contract import QuarterPay
from sim.engine.recorder import Recorder
from sim.rollout.handover import installed_sites
from sim.rollout.money import CashFlows
from sim.rollout.plan import BY_NAME, SEGMENT_CODES, VERTICALS
from sim.rollout.platform import PlatformLoad
from sim.rollout.record import DAY_S, RolloutRecord
from sim.rollout.schema import RolloutScenario
from sim.rollout.support import LineResult


def month_ends(year: int, months: int) -> list[str]:
    first = np.datetime64(f"{year}-01", "M") + np.arange(1, months + 1)
    return [str(d - np.timedelta64(1, "D")) for d in first.astype("datetime64[D]")]


def record_tables(rec_out: Recorder, s: RolloutScenario, rec: RolloutRecord,
                  prov_rows: dict[str, Any], ordered: np.ndarray, activated: np.ndarray,
                  cash: CashFlows, inflow: np.ndarray, outflow: np.ndarray,
                  plat: PlatformLoad, pay: list[QuarterPay], lines: list[LineResult],
                  centre: LineResult, inflows: Sequence[str], outflows: Sequence[str],
                  national_costs: dict[str, np.ndarray]) -> None:
    P = len(rec.provinces)
    rec_out.add_table("provinces", prov_rows)
    # month-end state per province: the dashboard's month slider
    ends = month_ends(rec.year, 12)
    end_day = np.array([(np.datetime64(d) - np.datetime64(f"{rec.year}-01-01")).astype(int)
                        for d in ends])
    end_day = np.minimum(end_day, rec.days - 1)
    rec_out.add_table("monthly", {
        "province": np.repeat(rec.provinces, 12).astype(object),
        "month": np.tile(np.arange(1, 13), P),
        "month_end": np.tile(ends, P).astype(object),
        "ordered_boxes": ordered[:, end_day].ravel(),
        "activated_boxes": activated[:, end_day].ravel(),
        "target_boxes": np.repeat(rec.target_boxes, 12),
        "batch": np.repeat(rec.batch, 12).astype(object),
    })
    M = s.economics.months
    names = [*rec.provinces, "national"]
    cols: dict[str, Any] = {
        "province": np.repeat(names, M).astype(object),
        "month": np.tile(np.arange(1, M + 1), P + 1),
        "month_end": np.tile(month_ends(rec.year, M), P + 1).astype(object),
    }
    for k in (*inflows, *outflows):
        m = cash.flows[k]
        cols[k] = np.concatenate([m, m.sum(0, keepdims=True)]).ravel()
    # costs borne nationally only (the partner's fee, the centre's agents)
    extra = np.zeros(M)
    for k, row in national_costs.items():
        cols[k] = np.concatenate([np.zeros(P * M), row])
        extra = extra + row
    net = np.concatenate([inflow - outflow, (inflow - outflow).sum(0, keepdims=True)
                          - extra[None, :]])
    cols["net_cny"] = net.ravel()
    cols["cumulative_cny"] = np.cumsum(net, 1).ravel()
    rec_out.add_table("cashflow", cols)
    o = rec.orders
    act = rec.order_activated_s
    codes = np.array([BY_NAME[p].adcode // 10000 for p in rec.provinces])[o.province]
    rec_out.add_table("orders", {
        # the enterprise ID that groups an order's boxes: province code + order number
        "enterprise_id": np.char.add(codes.astype(str), np.char.zfill(
            np.arange(len(o)).astype(str), 7)).astype(object),
        "province": np.array(rec.provinces, dtype=object)[o.province],
        "vertical": np.array(VERTICALS, dtype=object)[o.vertical],
        "segment_code": o.segment,
        "segment": np.array([SEGMENT_CODES[int(c)] for c in o.segment], dtype=object),
        "package": np.array(rec.packages, dtype=object)[o.package],
        "boxes": o.boxes,
        "ordered_s": o.t_s,
        "activated_s": act,
        "lead_time_d": (act - o.t_s) / DAY_S,
    })
    v = rec.visits
    if s.record_visits:
        rec_out.add_table("visits", {
            "order": v.order,
            "province": np.array(rec.provinces, dtype=object)[o.province[v.order]],
            "team": o.team[v.order],
            "crew": v.crew,
            "boxes": v.boxes,
            "service_s": v.service_s,
            "window_start_s": v.early_s,
            "latest_start_s": v.late_s,
            "start_s": v.start_s,
            "end_s": v.end_s,
        })
    rec_out.add_series("platform", {
        "t_s": np.arange(plat.per_h.size) * 3600.0,
        "transactions": plat.per_h,
        "waiting": plat.backlog,
        "capacity_per_h": np.full(plat.per_h.size, plat.capacity_per_h),
    })
    rec_out.add_series("daily", {
        "t_s": np.tile(np.arange(rec.days) * DAY_S, P),
        "province": np.repeat(rec.provinces, rec.days).astype(object),
        "ordered_boxes": ordered.ravel(),
        "activated_boxes": activated.ravel(),
        "backlog_boxes": (ordered - activated).ravel(),
        "crew_busy_h": rec.busy_s.ravel() / 3600.0,
    })
    rec_out.add_table("contract", {
        "quarter": [q.quarter for q in pay],
        "target_boxes": [q.target for q in pay],
        "achieved_boxes": [q.achieved for q in pay],
        "fixed_cny": [q.fixed_cny for q in pay],
        "variable_cny": [q.variable_cny for q in pay],
        "paid_on": [q.paid_on.isoformat() for q in pay],
    })
    rec_out.add_table("hotline", {
        "line": [*rec.provinces, "operations centre"],
        "agents": [ln.agents for ln in lines] + [centre.agents],
        "calls": [ln.calls for ln in lines] + [centre.calls],
        "answered": [ln.answered for ln in lines] + [centre.answered],
        "abandoned": [ln.abandoned for ln in lines] + [centre.abandoned],
        "service_level": [ln.service_level for ln in lines] + [centre.service_level],
        "wait_mean_s": [ln.wait_mean_s for ln in lines] + [centre.wait_mean_s],
    })
    if s.handover_date is not None:
        rec_out.add_table("handover", installed_sites(rec, s.date_s(s.handover_date)))
