"""Dispatchers that plan over vehicle schedules: cheapest insertion, per request or per batch.

Both insert a request's pickup and drop-off into the schedule of a vehicle that is idle or
already busy (shared rides when the vehicle's capacity allows: ``pooling``), at the cheapest
feasible positions: no time window broken (the pickup by the maximum wait, the drop-off by the
maximum travel time α·direct + β, as MATSim DRT states them), no capacity exceeded. A request
no schedule can take is rejected at once.

- ``insertion``: each request as it arrives, against the ``candidates`` vehicles that could
  reach its pickup soonest.
- ``batch_insertion``: the requests of a window together: the best insertion of every request
  into every candidate vehicle is priced, and one request per vehicle is chosen by an optimal
  assignment (:func:`scipy.optimize.linear_sum_assignment`); rounds repeat with the updated
  schedules until nothing more fits, so a vehicle may take several requests of a window.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from sim.dispatch.base import FleetView, Insertion, RequestView, TravelTimes, register_dispatcher
from sim.dispatch.params import DispatcherParams, PlannerParams
from sim.dispatch.plan import COST, FINISH_AT, POS_I, POS_J, Plan
from sim.dispatch.reoptimise import maybe_reoptimise

_BIG = 1e15


class InsertionParams(PlannerParams):
    """The planner settings, as :class:`PlannerParams`."""


class BatchInsertionParams(InsertionParams):
    batch_window_s: float = Field(default=30.0, gt=0, le=3600)
    candidates: int = Field(default=8, ge=1, le=1000)
    rounds: int = Field(default=20, ge=1, le=1000,
                        description="assignment rounds per window at most (each round gives a "
                                    "vehicle one more request)")


def _urgent_first(requests: RequestView) -> np.ndarray:
    return np.lexsort((requests.created_s, -requests.priority, ~requests.urgent))


def _best(res: np.ndarray) -> int:
    costs = res[:, COST]
    b = int(np.argmin(costs)) if costs.size else -1
    return b if b >= 0 and np.isfinite(costs[b]) else -1


class SchedulePlanner:
    """What the dispatchers that plan over schedules share: their settings
    (:class:`PlannerParams`) and the periodic re-optimisation."""

    name: ClassVar[str]
    Params: ClassVar[type[DispatcherParams]] = PlannerParams
    uses_schedules: ClassVar[bool] = True

    def __init__(self, **params: Any):
        p: Any = self.Params(**params)
        self.params = p
        self.batch_window_s = float(p.batch_window_s)
        self.candidates = int(p.candidates)
        self.wait_weight = float(p.wait_weight)
        self.vehicle_cost_s = float(p.vehicle_cost_s)
        self.reoptimise_s = p.reoptimise_s
        self.reoptimise_iterations = int(p.reoptimise_iterations)
        self.pooling = bool(p.pooling)

    def reoptimise(self, plan: Plan) -> None:
        """Re-plan the stops not started when it is time (see :mod:`sim.dispatch.reoptimise`)."""
        maybe_reoptimise(plan.engine, self.reoptimise_s, self.reoptimise_iterations,
                         self.vehicle_cost_s)


@register_dispatcher
class CheapestInsertion(SchedulePlanner):
    """Each request into the schedule where it adds the least driving (urgent ones first)."""

    name: ClassVar[str] = "insertion"
    Params: ClassVar[type[DispatcherParams]] = InsertionParams
    rejects: ClassVar[bool] = True

    def assign(self, now_s: float, requests: RequestView, fleet: FleetView,
               tt: TravelTimes) -> list[Insertion]:
        plan = fleet.plan
        assert plan is not None, "insertion dispatchers need the schedules (uses_schedules)"
        out: list[Insertion] = []
        for a in _urgent_first(requests):
            r = np.array([requests.ids[a]], dtype=np.int64)
            ptr, veh = plan.candidates(r, self.candidates)
            if veh.size == 0:
                continue
            res = plan.evaluate(r, ptr, veh, self.wait_weight, self.vehicle_cost_s)
            b = _best(res)
            if b >= 0:
                out.append(plan.commit(int(r[0]), int(veh[b]), int(res[b, POS_I]),
                                       int(res[b, POS_J]), checked=True))
        self.reoptimise(plan)
        return out


@register_dispatcher
class BatchInsertion(CheapestInsertion):
    """A window's requests assigned together, one per vehicle per round (optimal assignment
    of request x vehicle insertion costs), rounds repeated on the updated schedules."""

    name: ClassVar[str] = "batch_insertion"
    Params: ClassVar[type[DispatcherParams]] = BatchInsertionParams

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.rounds = int(self.params.rounds)

    def assign(self, now_s: float, requests: RequestView, fleet: FleetView,
               tt: TravelTimes) -> list[Insertion]:
        plan = fleet.plan
        assert plan is not None, "insertion dispatchers need the schedules (uses_schedules)"
        out: list[Insertion] = []
        todo = requests.ids[_urgent_first(requests)].astype(np.int64)
        weight = np.where(requests.urgent, 10.0, 1.0)
        urgent = dict(zip(requests.ids.tolist(), weight.tolist(), strict=True))
        for _ in range(self.rounds):
            if todo.size == 0:
                break
            done, feasible = self._round(plan, todo, urgent, out)
            todo = todo[feasible & ~done]
            if not done.any():
                break
        self.reoptimise(plan)
        return out

    def _round(self, plan: Plan, todo: np.ndarray, urgent: dict[int, float],
               out: list[Insertion]) -> tuple[np.ndarray, np.ndarray]:
        ptr, veh = plan.candidates(todo, self.candidates, copies=todo.size)
        res = plan.evaluate(todo, ptr, veh, self.wait_weight, self.vehicle_cost_s)
        row = np.repeat(np.arange(todo.size), np.diff(ptr))
        ok = np.isfinite(res[:, COST])
        feasible = np.zeros(todo.size, dtype=bool)
        feasible[row[ok]] = True
        done = np.zeros(todo.size, dtype=bool)
        if not ok.any():
            return done, feasible
        cols, col_of = np.unique(veh[ok], return_inverse=True)
        rows = row[ok]
        # Urgent requests weigh more: the assignment serves them first when they compete.
        scale = np.array([urgent[int(todo[k])] for k in rows])
        cost = np.full((todo.size, cols.size), _BIG)
        np.minimum.at(cost, (rows, col_of), res[ok, COST] / scale)
        # Which pair gave each cell (the cheapest one: a vehicle appears once per request).
        pair = np.full((todo.size, cols.size), -1, dtype=np.int64)
        pair[rows, col_of] = np.flatnonzero(ok)
        from scipy.optimize import linear_sum_assignment  # 0.1 s to import

        r_idx, c_idx = linear_sum_assignment(cost)
        for a, c in zip(r_idx, c_idx, strict=True):
            e = pair[a, c]
            if e < 0 or cost[a, c] >= _BIG:
                continue
            out.append(plan.commit(int(todo[a]), int(cols[c]), int(res[e, POS_I]),
                                   int(res[e, POS_J]), checked=True))
            done[a] = True
        return done, feasible


__all__ = ["BatchInsertion", "CheapestInsertion", "FINISH_AT"]
