"""Built-in dispatchers: nearest idle (greedy), batch optimal matching, priority-aware."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.optimize import linear_sum_assignment

from sim.dispatch.base import (
    FleetView,
    RequestView,
    TravelTimes,
    arrival_times,
    register_dispatcher,
)

#: Cost standing for "this vehicle cannot make it"; large but finite for the solver.
_INFEASIBLE = 1e9


class _Windowed:
    """Shared settings: the decision window and the longest acceptable drive to a pickup."""

    name: ClassVar[str]

    def __init__(self, batch_window_s: float, max_pickup_s: float = float("inf")):
        self.batch_window_s = float(batch_window_s)
        self.max_pickup_s = float(max_pickup_s)

    def reachable(self, now_s: float, requests: RequestView, fleet: FleetView,
                  tt: TravelTimes) -> tuple[np.ndarray, np.ndarray]:
        """Arrival times (vehicles x requests) and which pairs are acceptable."""
        arrive = arrival_times(now_s, requests, fleet, tt)
        ok = (arrive <= requests.latest_pickup_s[None, :]) & (arrive - now_s <= self.max_pickup_s)
        return arrive, ok


@register_dispatcher
class NearestIdle(_Windowed):
    """Greedy: oldest request first, each to the vehicle that reaches it soonest."""

    name: ClassVar[str] = "nearest_idle"

    def __init__(self, batch_window_s: float = 0.0, max_pickup_s: float = float("inf")):
        super().__init__(batch_window_s, max_pickup_s)

    def assign(
        self, now_s: float, requests: RequestView, fleet: FleetView, tt: TravelTimes
    ) -> list[tuple[int, int]]:
        if len(requests) == 0 or len(fleet) == 0:
            return []
        arrive, ok = self.reachable(now_s, requests, fleet, tt)
        order = np.argsort(requests.created_s, kind="stable")
        return [(int(requests.ids[j]), int(fleet.ids[i])) for j, i in greedy(arrive, ok, order)]


def greedy(arrive: np.ndarray, ok: np.ndarray, order: np.ndarray) -> list[tuple[int, int]]:
    """Requests in ``order`` each take the free feasible vehicle that arrives first.

    Returns ``(request_column, vehicle_row)`` pairs.
    """
    free = np.ones(arrive.shape[0], dtype=bool)
    out: list[tuple[int, int]] = []
    for j in order:
        col = np.where(free & ok[:, j], arrive[:, j], np.inf)
        i = int(np.argmin(col))
        if not np.isfinite(col[i]):
            continue
        free[i] = False
        out.append((int(j), i))
        if not free.any():
            break
    return out


@register_dispatcher
class BatchMatching(_Windowed):
    """Collect requests for a window, then solve the assignment minimising total pickup time.

    Uses :func:`scipy.optimize.linear_sum_assignment`. To keep each round small the candidate
    vehicles are the ``candidates`` nearest to each request, plus the vehicles the greedy
    policy would pick, so the optimum over the candidates is never worse than greedy's.
    """

    name: ClassVar[str] = "batch_matching"

    def __init__(self, batch_window_s: float = 30.0, candidates: int = 12,
                 max_pickup_s: float = float("inf")):
        super().__init__(batch_window_s, max_pickup_s)
        self.candidates = int(candidates)

    def assign(
        self, now_s: float, requests: RequestView, fleet: FleetView, tt: TravelTimes
    ) -> list[tuple[int, int]]:
        if len(requests) == 0 or len(fleet) == 0:
            return []
        arrive, ok = self.reachable(now_s, requests, fleet, tt)  # vehicles x requests
        k = self.candidates
        if k and len(fleet) > k * len(requests):
            near = np.argpartition(arrive, k - 1, axis=0)[:k].ravel()
            order = np.argsort(requests.created_s, kind="stable")
            picks = [i for _, i in greedy(arrive, ok, order)]
            rows = np.unique(np.concatenate([near, np.asarray(picks, dtype=np.int64)]))
            arrive, ok = arrive[rows], ok[rows]
        else:
            rows = np.arange(len(fleet))
        cost = np.where(ok, arrive - now_s, _INFEASIBLE)
        r, c = linear_sum_assignment(cost)
        keep = ok[r, c]
        return [(int(requests.ids[j]), int(fleet.ids[rows[i]]))
                for i, j in zip(r[keep], c[keep], strict=True)]


@register_dispatcher
class Priority(_Windowed):
    """Urgent and high-priority requests first; each gets the nearest vehicle that can still
    meet its deadline, otherwise the nearest vehicle that reaches it in time at all.

    Within a priority class, earlier deadlines go first, so a tight task is not starved by a
    slack one that happens to be closer.
    """

    name: ClassVar[str] = "priority"

    def __init__(self, batch_window_s: float = 10.0, max_pickup_s: float = float("inf")):
        super().__init__(batch_window_s, max_pickup_s)

    def assign(
        self, now_s: float, requests: RequestView, fleet: FleetView, tt: TravelTimes
    ) -> list[tuple[int, int]]:
        if len(requests) == 0 or len(fleet) == 0:
            return []
        arrive, ok = self.reachable(now_s, requests, fleet, tt)
        finish = arrive + requests.trip_s[None, :]
        order = np.lexsort((requests.created_s, requests.deadline_s,
                            -requests.priority, ~requests.urgent))
        free = np.ones(len(fleet), dtype=bool)
        out: list[tuple[int, int]] = []
        for j in order:
            feasible = free & ok[:, j]
            if not feasible.any():
                continue
            on_time = feasible & (finish[:, j] <= requests.deadline_s[j])
            # Late beats never: with no on-time vehicle, the nearest feasible one goes.
            pool = on_time if on_time.any() else feasible
            i = int(np.argmin(np.where(pool, arrive[:, j], np.inf)))
            free[i] = False
            out.append((int(requests.ids[j]), int(fleet.ids[i])))
            if not free.any():
                break
        return out
