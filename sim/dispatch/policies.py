"""Built-in dispatchers: nearest idle (greedy), batch optimal matching (both over idle
vehicles), and priority-aware insertion into schedules."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from sim.dispatch.base import (
    FleetView,
    Insertion,
    RequestView,
    TravelTimes,
    arrival_times,
    register_dispatcher,
)
from sim.dispatch.params import DispatcherParams, PlannerParams, WindowedParams
from sim.dispatch.plan import COST, FINISH_AT, PICKUP_AT, POS_I, POS_J, Plan
from sim.dispatch.pooling import SchedulePlanner

#: Cost standing for "this vehicle cannot make it"; large but finite for the solver.
_INFEASIBLE = 1e9


class _Windowed:
    """Shared settings: the decision window and the longest acceptable drive to a pickup."""

    name: ClassVar[str]
    Params: ClassVar[type[DispatcherParams]] = WindowedParams

    def __init__(self, **params: Any):
        p = self.Params(**params)
        self.params = p
        self.batch_window_s = float(p.batch_window_s)  # type: ignore[attr-defined]
        mp = p.max_pickup_s  # type: ignore[attr-defined]
        self.max_pickup_s = float("inf") if mp is None else float(mp)

    def reachable(self, now_s: float, requests: RequestView, fleet: FleetView,
                  tt: TravelTimes) -> tuple[np.ndarray, np.ndarray]:
        """Arrival times (vehicles x requests) and which pairs are acceptable."""
        arrive = arrival_times(now_s, requests, fleet, tt)
        ok = (arrive <= requests.latest_pickup_s[None, :]) & (arrive - now_s <= self.max_pickup_s)
        return arrive, ok


class _ImmediateParams(WindowedParams):
    batch_window_s: float = Field(default=0.0, ge=0, le=3600)


class _BatchParams(WindowedParams):
    batch_window_s: float = Field(default=30.0, gt=0, le=3600)
    candidates: int = Field(default=12, ge=0, le=100000,
                            description="nearest vehicles per request (0: all)")


@register_dispatcher
class NearestIdle(_Windowed):
    """Greedy: oldest request first, each to the vehicle that reaches it soonest."""

    name: ClassVar[str] = "nearest_idle"
    Params: ClassVar[type[DispatcherParams]] = _ImmediateParams

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
    cost = np.where(ok, arrive, np.inf)
    taken = np.zeros(arrive.shape[0])  # +inf once a vehicle is taken
    out: list[tuple[int, int]] = []
    for j in order.tolist():
        col = cost[:, j] + taken
        i = int(np.argmin(col))
        if col[i] == np.inf:
            continue
        taken[i] = np.inf
        out.append((j, i))
        if len(out) == taken.size:
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
    Params: ClassVar[type[DispatcherParams]] = _BatchParams

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.candidates = int(self.params.candidates)  # type: ignore[attr-defined]

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
        from scipy.optimize import linear_sum_assignment  # 0.1 s to import

        r, c = linear_sum_assignment(cost)
        keep = ok[r, c]
        return [(int(requests.ids[j]), int(fleet.ids[rows[i]]))
                for i, j in zip(r[keep], c[keep], strict=True)]


class _PriorityParams(PlannerParams):
    batch_window_s: float = Field(default=10.0, ge=0, le=3600)
    wait_weight: float = Field(default=1.0, ge=0, le=100,
                               description="cost per second of pickup delay, on top of the "
                                           "added driving time")
    commit_ahead_s: float | None = Field(default=None, gt=0, le=86400,
                                  description="an ordinary task is placed only where its pickup "
                                              "starts within this time of its window opening "
                                              "(or of now): vehicles keep short schedules, "
                                              "free for urgent work; it waits otherwise")
    preempt: bool = Field(default=True, description="an urgent task may take a vehicle "
                                                   "heading to an ordinary pickup")


@register_dispatcher
class Priority(SchedulePlanner):
    """Urgent and high-priority tasks first (earlier deadlines first within a class), each into
    the schedule of a vehicle, idle or busy, that finishes it by its deadline (service times
    at both stops included), the cheapest such insertion. With no vehicle on time, an urgent
    task may divert a vehicle heading to an ordinary pickup (that task returns to the queue);
    failing that, late beats never: the insertion that finishes first. Tasks no schedule can
    take wait for a later round (until their pickup window closes).
    """

    name: ClassVar[str] = "priority"
    Params: ClassVar[type[DispatcherParams]] = _PriorityParams
    rejects: ClassVar[bool] = False

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.preempt = bool(self.params.preempt)
        ahead = self.params.commit_ahead_s
        self.commit_ahead_s = np.inf if ahead is None else float(ahead)

    def assign(self, now_s: float, requests: RequestView, fleet: FleetView,
               tt: TravelTimes) -> list[Insertion]:
        plan = fleet.plan
        assert plan is not None, "the priority dispatcher plans over schedules"
        order = np.lexsort((requests.created_s, requests.deadline_s, -requests.priority,
                            ~requests.urgent))
        out: list[Insertion] = []
        for a in order:
            r = int(requests.ids[a])
            ins = self._place(plan, r, bool(requests.urgent[a]), float(requests.deadline_s[a]))
            if ins is not None:
                out.append(ins)
        self.reoptimise(plan)
        return out

    def _place(self, plan: Plan, r: int, urgent: bool, deadline: float) -> Insertion | None:
        rr = np.array([r], dtype=np.int64)
        ptr, veh = plan.candidates(rr, self.candidates)
        res = plan.evaluate(rr, ptr, veh, self.wait_weight, self.vehicle_cost_s) if veh.size \
            else np.empty((0, 5))
        feasible = np.isfinite(res[:, COST])
        if not urgent and np.isfinite(self.commit_ahead_s):
            opens = max(plan.now, float(plan.q.pickup_early_s[r]))
            feasible &= res[:, PICKUP_AT] <= opens + self.commit_ahead_s
        on_time = feasible & (res[:, FINISH_AT] <= deadline + 1e-9)
        if on_time.any():
            b = int(np.argmin(np.where(on_time, res[:, COST], np.inf)))
            # On time now, and kept on time: later insertions must not make it late.
            return plan.commit(r, int(veh[b]), int(res[b, POS_I]), int(res[b, POS_J]),
                               promise_s=self._promise(plan, r, deadline))
        elif urgent and self.preempt and (hit := self._preempt(plan, r, veh, deadline)):
            return hit
        elif feasible.any():
            b = int(np.argmin(np.where(feasible, res[:, FINISH_AT], np.inf)))
        else:
            return None
        return plan.commit(r, int(veh[b]), int(res[b, POS_I]), int(res[b, POS_J]))

    @staticmethod
    def _promise(plan: Plan, r: int, deadline: float) -> float:
        """The latest start of the task's last service that still finishes by ``deadline``."""
        q = plan.q
        last = q.dropoff_service_s[r] if q.destination[r] >= 0 else q.pickup_service_s[r]
        return float(deadline - last)

    def _preempt(self, plan: Plan, r: int, veh: np.ndarray, deadline: float
                 ) -> Insertion | None:
        """Divert the vehicle heading to an ordinary pickup that then finishes ``r`` on time
        the soonest; its task goes back to the queue."""
        rr = np.array([r], dtype=np.int64)
        best: tuple[float, int, int] | None = None
        for v in veh.tolist():
            other = plan.displaceable(v)
            if other < 0:
                continue
            res = plan.evaluate_without(r, v, other)
            if np.isfinite(res[COST]) and res[FINISH_AT] <= deadline + 1e-9 and \
                    (best is None or res[FINISH_AT] < best[0]):
                best = (float(res[FINISH_AT]), v, other)
        if best is None:
            return None
        _, v, other = best
        plan.displace(v, other)
        res = plan.evaluate(rr, np.array([0, 1]), np.array([v], dtype=np.int64))[0]
        return plan.commit(r, v, int(res[POS_I]), int(res[POS_J]),
                           promise_s=self._promise(plan, r, deadline))
