"""KPIs of the rollout year, national and per province, from the plain record."""

from __future__ import annotations

import math

import numpy as np

KPIS = {
    "target_boxes": "boxes in the plan for the provinces of the scenario",
    "activated_dec31": "boxes activated by 31 December",
    "activated_share": "activated_dec31 / target_boxes",
    "provinces_on_target": "provinces with activated >= target on 31 December",
    "ordered_boxes": "boxes ordered within the year",
    "orders": "group orders placed within the year",
    "peak_backlog_boxes": "most boxes ordered but not yet activated at a day's end (national)",
    "lead_time_median_d": "median days from order to the last box activated (orders done)",
    "lead_time_p95_d": "95th percentile of that lead time, days",
    "crew_utilisation": "crew time on routes / crew time available from team formation",
    "visits": "site visits made",
    "routes_rejected": "routes the solver returned that broke a window (not used; expect 0)",
    "peak_activations_per_h": "platform transactions (activation + ID report) in the busiest hour",
    "platform_hours_over": "hours in which transactions exceeded the platform capacity",
    "platform_max_delay_h": "longest run of hours with transactions waiting",
    "hotline_calls": "calls to the provincial lines in the year",
    "hotline_service_level": "provincial calls answered within answer_within_s / calls",
    "hotline_abandon_rate": "provincial calls abandoned / calls",
    "centre_calls": "calls escalated to the operations centre",
    "centre_service_level": "centre calls answered within answer_within_s / calls",
    "centre_abandon_rate": "centre calls abandoned / calls",
    "revenue_year_cny": "box sales, fees and value-added services in the plan year, yuan",
    "settlement_year_cny": "settlement paid to the operations centre in the plan year, yuan",
    "incentive_cny": "incentives received (pool + northern bundle), yuan",
    "pool_boxes": "boxes paid from the first-come incentive pool",
    "pool_exhausted_day": "day of the year the pool ran out (NaN: it did not)",
    "npv_cny": "net present value of the national cash flow over economics.months, yuan",
    "irr_yearly": "internal rate of return of that cash flow, per year",
    "payback_month": "month (1 = January of the plan year) the cumulative cash turns positive "
                     "for good (0: not within the horizon)",
    "cost_benefit": "present value of inflows / present value of outflows",
    "partner_fee_cny": "what the operations partner earns for the year (pay for results)",
    "partner_variable_share": "share of the partner's variable fee paid",
}


def quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if values.size else math.nan
