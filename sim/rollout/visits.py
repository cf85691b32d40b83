"""Visits: an order cut into site visits a crew can finish inside the customer's window.

A visit installs up to ``cap`` boxes: each box is installed, activated on the platform and
given the enterprise ID and the installer's phone; a visit also has a fixed set-up time.
``cap`` is the smaller of ``max_boxes_per_visit`` and what fits in the vertical's window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.rollout.adoption import Orders
from sim.rollout.plan import VERTICALS
from sim.rollout.schema import RolloutScenario


@dataclass
class Visits:
    order: np.ndarray  # order index
    boxes: np.ndarray
    service_s: np.ndarray
    early_s: np.ndarray  # earliest service start, seconds of the day
    late_s: np.ndarray  # latest service start (window end - service), seconds of the day
    # filled in by the plans (NaN / -1 until done)
    start_s: np.ndarray  # absolute seconds from 1 January
    end_s: np.ndarray
    crew: np.ndarray  # route number of the team that day

    def __len__(self) -> int:
        return int(self.boxes.size)


def travel_s(s: RolloutScenario, dist_km: np.ndarray) -> np.ndarray:
    """Driving time from the team's depot, seconds (as the daily plans count it)."""
    inst = s.installation
    return np.rint(np.rint(dist_km * inst.detour * 1000.0) / (inst.travel_kmh / 3.6))


def windows_s(s: RolloutScenario, vertical: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Customer window inside the shift, seconds of the day, per vertical index."""
    inst = s.installation
    win = np.array([s.adoption.verticals[v].window_h if v in s.adoption.verticals
                    else (0.0, 24.0) for v in VERTICALS])
    early = np.rint(np.maximum(win[vertical, 0], inst.shift_h[0]) * 3600).astype(np.int64)
    end = np.rint(np.minimum(win[vertical, 1], inst.shift_h[1]) * 3600).astype(np.int64)
    return early, end


def visit_caps(s: RolloutScenario, vertical: np.ndarray, dist_km: np.ndarray) -> np.ndarray:
    """Most boxes one visit can install at each site: what fits between the window's start
    (or the earliest arrival) and its end (or the last moment that still gets the crew back
    to the depot by the end of the shift), at most ``max_boxes_per_visit``, at least one."""
    inst = s.installation
    early, end = windows_s(s, vertical)
    t = travel_s(s, dist_km)
    lo = np.maximum(early, inst.shift_h[0] * 3600 + t)
    hi = np.minimum(end, inst.shift_h[1] * 3600 - t)
    usable_min = (hi - lo) / 60.0 - inst.setup_min
    return np.clip(np.floor(usable_min / inst.per_box_min), 1,
                   inst.max_boxes_per_visit).astype(np.int64)


def make_visits(s: RolloutScenario, orders: Orders) -> Visits:
    """The visits of every order, in order of the orders (an order's visits together)."""
    inst = s.installation
    cap = visit_caps(s, orders.vertical, np.hypot(orders.x_km, orders.y_km))
    n_vis = -(-orders.boxes // cap)
    order = np.repeat(np.arange(len(orders)), n_vis)
    first = np.repeat(np.cumsum(n_vis) - n_vis, n_vis)
    k = np.arange(order.size) - first
    boxes = np.minimum(cap[order], orders.boxes[order] - k * cap[order])
    service = np.rint((inst.setup_min + boxes * inst.per_box_min) * 60.0).astype(np.int64)
    early, end = windows_s(s, orders.vertical[order])
    n = order.size
    return Visits(order, boxes.astype(np.int64), service, early, end - service,
                  np.full(n, np.nan), np.full(n, np.nan), np.full(n, -1, np.int32))
