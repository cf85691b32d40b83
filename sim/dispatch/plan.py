"""What a schedule-planning dispatcher sees: the schedules, the requests and an insertion search.

A :class:`Plan` is handed to dispatchers with ``uses_schedules = True`` as ``fleet.plan``. It
finds candidate vehicles for requests, prices every candidate insertion with the compiled
search (:mod:`sim.dispatch.insertion`) and commits the chosen ones into the engine, which sets
the vehicles going (and diverts those whose first stop changed).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from sim.dispatch import stops
from sim.dispatch.base import Insertion
from sim.lazy import lazy_import

ins = lazy_import("sim.dispatch.insertion")  # the compiled kernels, loaded on first use

if TYPE_CHECKING:
    from sim.dispatch.engine import DispatchEngine

#: Columns of :meth:`Plan.evaluate`'s result.
COST, POS_I, POS_J, PICKUP_AT, FINISH_AT = range(5)


class Plan:
    def __init__(self, engine: DispatchEngine):
        self.engine = engine
        self.q = engine.q
        self.schedules = engine.schedules
        self.T = engine.T
        self.now = float(engine.env.now)
        self._prepared = False
        self._dirty: list[int] = []  # vehicles changed by a commit, to prepare again

    def _flush(self) -> None:
        """Bring the vehicles changed since the last search up to date, in one call."""
        if self._dirty:
            self.engine.prepare(np.unique(np.asarray(self._dirty, dtype=np.int64)))
            self._dirty.clear()

    @property
    def available(self) -> np.ndarray:
        return self.engine.available

    def candidates(self, reqs: np.ndarray, k: int, copies: int = 1
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``k`` available vehicles per request, nearest by a lower bound on when they
        could reach its pickup, among those that could make its pickup window. Unused idle
        vehicles standing at one node are interchangeable: at most ``copies`` of them count.
        CSR ``(ptr, vehicles)``; the vehicles' schedule times are brought up to date."""
        e = self.engine
        t0 = time.perf_counter()
        s = self.schedules
        if not self._prepared:
            # Every available vehicle's start point, once per decision (commits re-prepare
            # the vehicle they change): the exact place and time it can turn toward a pickup.
            e.prepare(np.flatnonzero(e.available))
            self._prepared = True
            self._dirty.clear()
        self._flush()
        fixed = s.fixed.astype(bool)
        anchor_node = np.where(fixed, e.leg_to, s.p_node)
        anchor_time = np.where(fixed, e.leg_arr, s.p_time)
        reqs = np.asarray(reqs, dtype=np.int64)
        distinct = self._distinct(copies)
        ptr, veh = ins.candidates(reqs, self.q.origin, self.q.pickup_late_s, self.now,
                                  max(1, int(k)), distinct, anchor_node, anchor_time, e.T_to)
        ptr, veh = self._with_fresh(reqs, ptr, veh, distinct, anchor_node, anchor_time)
        e.search_s += time.perf_counter() - t0
        return ptr, veh

    def _with_fresh(self, reqs: np.ndarray, ptr: np.ndarray, veh: np.ndarray,
                    distinct: np.ndarray, anchor_node: np.ndarray, anchor_time: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Each request's candidates with the nearest unused idle vehicle added when none is
        among them (and one could make its pickup window): vehicles already planned, standing
        as near, must not crowd out a fresh one, or a request that only a fresh vehicle can
        take would be turned away."""
        e = self.engine
        fresh = np.flatnonzero(distinct & ~e.used & (self.schedules.n == 0))
        if fresh.size == 0 or reqs.size == 0:
            return ptr, veh
        is_fresh = np.zeros(distinct.size, dtype=bool)
        is_fresh[fresh] = True
        origin = self.q.origin[reqs]
        reach = anchor_time[fresh][:, None] + e.T_to[origin][:, anchor_node[fresh]].T
        best = np.argmin(reach, axis=0)
        ok = reach[best, np.arange(reqs.size)] <= self.q.pickup_late_s[reqs] + 1e-9
        row = np.repeat(np.arange(reqs.size), np.diff(ptr))
        has = np.bincount(row, weights=is_fresh[veh], minlength=reqs.size)
        add = ok & (has == 0)
        if not add.any():
            return ptr, veh
        parts = np.split(veh, ptr[1:-1])
        out = [np.append(p, fresh[best[a]]) if add[a] else p for a, p in enumerate(parts)]
        new_ptr = np.r_[0, np.cumsum([p.size for p in out])].astype(ptr.dtype)
        return new_ptr, np.concatenate(out).astype(veh.dtype)

    def _distinct(self, copies: int) -> np.ndarray:
        """Available vehicles, with unused idle ones standing at the same node (a depot full
        of them) counted at most ``copies`` times, the first by number."""
        e = self.engine
        avail = e.available.copy()
        if e.used.all():
            return avail
        idle = np.flatnonzero(avail & (e.schedules.n == 0) & (e.mode == stops.STOPPED)
                              & (e.free_at <= self.now) & ~e.serving & ~e.used)
        if idle.size > copies:
            order = np.lexsort((idle, e.node[idle]))
            nodes = e.node[idle[order]]
            starts = np.r_[0, np.flatnonzero(np.diff(nodes)) + 1]
            rank = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
            avail[idle[order[rank >= copies]]] = False
        return avail

    def evaluate(self, reqs: np.ndarray, ptr: np.ndarray, veh: np.ndarray,
                 wait_weight: float = 0.0, vehicle_cost: float = 0.0) -> np.ndarray:
        """``(pairs, 5)``: cost, pickup position, drop-off position, pickup start and finish
        time of the cheapest feasible insertion of each request into each of its candidates
        (cost ``inf`` where none fits)."""
        s, q, e = self.schedules, self.q, self.engine
        t0 = time.perf_counter()
        self._flush()
        res = ins.evaluate_pairs(
            np.asarray(reqs, dtype=np.int64), ptr, veh, q.origin, q.destination,
            q.pickup_early_s, q.pickup_late_s, q.dropoff_early_s, q.dropoff_late_s,
            q.pickup_service_s, q.dropoff_service_s, q.load, q.created_s, float(wait_weight),
            np.where(e.used, 0.0, max(float(vehicle_cost), e.vehicle_cost_s)), self.T, s.n,
            s.node, s.late, s.fixed, s.cap, s.p_node, s.p_time, s.p_load, s.end_node, s.end_late, s.arr, s.start, s.dep, s.load, s.fs, s.end_slack)
        e.search_s += time.perf_counter() - t0
        return res

    def commit(self, r: int, v: int, i: int, j: int, promise_s: float = np.inf,
               checked: bool = False) -> Insertion:
        """Put request ``r`` into vehicle ``v``'s schedule for good; ``promise_s`` makes its
        finish time (start of the last service) a window later insertions must keep.
        ``checked``: the positions come from :meth:`evaluate` on the current schedules (no
        second check)."""
        e = self.engine
        if not checked:
            e.prepare(np.array([v], dtype=np.int64))
            res = self.schedules.check(v, self.T, self.q, r, i, j)
            if not np.isfinite(res[0]):
                raise RuntimeError(f"insertion of request {r} into vehicle {v} at ({i}, {j}) "
                                   "breaks a window or a capacity")
        e.commit(r, v, i, j, promise_s)
        self._dirty.append(v)
        return Insertion(r, v, i, j)

    def displaceable(self, v: int) -> int:
        """The one request in ``v``'s schedule that is not picked up yet, is not urgent and
        could be handed back to the queue (or -1): ``v`` carries nobody and has only that
        request's stops planned."""
        s, e = self.schedules, self.engine
        if e.onboard[v] or e.serving[v] or s.n[v] == 0 or s.fixed[v]:
            return -1
        reqs = set(s.req[v, :s.n[v]].tolist())
        if len(reqs) != 1:
            return -1
        r = reqs.pop()
        return -1 if r < 0 or self.q.urgent[r] else int(r)

    def evaluate_without(self, r: int, v: int, other: int) -> np.ndarray:
        """Like :meth:`evaluate` for request ``r`` and vehicle ``v`` alone, as if ``v``'s
        request ``other`` were taken out (nothing is changed)."""
        s = self.schedules
        self._flush()
        s.remove_request(v, other)
        s.refresh(v, self.T)
        try:
            return self.evaluate(np.array([r], dtype=np.int64), np.array([0, 1]),
                                 np.array([v], dtype=np.int64))[0]
        finally:
            s.insert(v, other, 0, 0, self.q)
            s.refresh(v, self.T)

    def displace(self, v: int, r: int) -> None:
        self.engine.displace(v, r)
        self._dirty.append(v)

    def reject(self, r: int) -> None:
        self.engine.reject(r)
