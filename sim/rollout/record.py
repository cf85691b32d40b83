"""The plain record of one rollout replication, from which KPIs and tables are computed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.rollout.adoption import Orders
from sim.rollout.visits import Visits

DAY_S = 86400.0


@dataclass
class RolloutRecord:
    year: int
    provinces: list[str]
    batch: list[str]  # batch label per province
    on_sale_s: np.ndarray  # per province
    target_boxes: np.ndarray  # per province (the plan)
    north: np.ndarray  # per province, bool
    crews: np.ndarray  # per province
    working_days: np.ndarray  # per province: working days from teams ready to year end
    shift_s: float
    orders: Orders
    visits: Visits
    busy_s: np.ndarray  # (province, day): crew time out on routes
    packages: list[str]
    rejected_routes: int = 0
    days: int = 366
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def order_activated_s(self) -> np.ndarray:
        """When each order's last box was activated (NaN if not within the year)."""
        v = self.visits
        out = np.full(len(self.orders), -np.inf)
        end = np.where(np.isnan(v.end_s), np.inf, v.end_s)
        np.maximum.at(out, v.order, end)
        return np.where(np.isfinite(out), out, np.nan)

    def box_times(self) -> tuple[np.ndarray, np.ndarray]:
        """Activation time and province of every installed box (boxes of a visit evenly
        spread over its service after the set-up)."""
        v = self.visits
        done = ~np.isnan(v.end_s)
        n = v.boxes[done]
        start, end = v.start_s[done], v.end_s[done]
        per = (end - start) / np.maximum(n, 1)
        idx = np.repeat(np.arange(n.size), n)
        k = np.arange(idx.size) - np.repeat(np.cumsum(n) - n, n) + 1
        t = end[idx] - (n[idx] - k) * per[idx]
        prov = self.orders.province[v.order[done]][idx]
        return t, prov
