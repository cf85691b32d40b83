"""Vehicle schedules (ordered stops) and the requests they serve, as arrays.

:class:`Requests` holds every request a dispatch engine will see (pickup and drop-off nodes
and windows, service times, loads); :class:`Schedules` holds each vehicle's planned stops and
its *start point* (where and when it can next change course). Both are plain NumPy arrays so
that the compiled insertion search (:mod:`sim.dispatch.insertion`) reads them directly.

Load dimensions: ``0`` riders (seats), ``1`` goods (kg, or the instance's demand units),
``2`` requests on board (1 per request; a capacity of 1 makes rides exclusive).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.dispatch import stops
from sim.lazy import lazy_import

ins = lazy_import("sim.dispatch.insertion")  # the compiled kernels, loaded on first use

N_LOAD = 3
RIDERS, GOODS, REQUESTS = range(N_LOAD)
#: The arrays that describe each planned stop (moved together when a stop is put or taken).
STOP_FIELDS = ("node", "kind", "req", "early", "late", "svc", "dload")


@dataclass
class Requests:
    """Every request, parallel arrays indexed by request number. ``destination < 0`` marks a
    single visit (no drop-off). Windows bound the start of service at each stop."""

    created_s: np.ndarray
    origin: np.ndarray
    destination: np.ndarray
    pickup_early_s: np.ndarray
    pickup_late_s: np.ndarray
    dropoff_early_s: np.ndarray
    dropoff_late_s: np.ndarray
    pickup_service_s: np.ndarray
    dropoff_service_s: np.ndarray
    load: np.ndarray  # (n, N_LOAD)
    deadline_s: np.ndarray  # soft due time of the whole task (inf if none)
    urgent: np.ndarray
    priority: np.ndarray
    direct_s: np.ndarray  # travel time pickup -> drop-off (0 for a visit)

    def __len__(self) -> int:
        return int(self.created_s.size)

    @staticmethod
    def build(created_s: np.ndarray, origin: np.ndarray, destination: np.ndarray,
              T: np.ndarray, *, pickup_window: tuple[np.ndarray, np.ndarray] | None = None,
              dropoff_window: tuple[np.ndarray, np.ndarray] | None = None,
              pickup_service_s: np.ndarray | float = 0.0,
              dropoff_service_s: np.ndarray | float = 0.0,
              riders: np.ndarray | float = 1.0, goods: np.ndarray | float = 0.0,
              deadline_s: np.ndarray | None = None, urgent: np.ndarray | None = None,
              priority: np.ndarray | None = None) -> Requests:
        m = created_s.size
        f64 = np.float64

        def col(x: np.ndarray | float) -> np.ndarray:
            return np.broadcast_to(np.asarray(x, dtype=f64), (m,)).copy()

        origin = np.asarray(origin, dtype=np.int64)
        destination = np.asarray(destination, dtype=np.int64)
        pe, pl = pickup_window if pickup_window is not None else (created_s, np.full(m, np.inf))
        de, dl = dropoff_window if dropoff_window is not None else (np.zeros(m),
                                                                   np.full(m, np.inf))
        load = np.zeros((m, N_LOAD))
        load[:, RIDERS] = col(riders)
        load[:, GOODS] = col(goods)
        load[:, REQUESTS] = 1.0
        visit = destination < 0
        direct = np.where(visit, 0.0, T[origin, np.where(visit, origin, destination)])
        return Requests(
            np.asarray(created_s, dtype=f64), origin, destination, col(pe), col(pl), col(de),
            col(dl), col(pickup_service_s), col(dropoff_service_s), load,
            col(deadline_s) if deadline_s is not None else np.full(m, np.inf),
            np.asarray(urgent if urgent is not None else np.zeros(m, bool), dtype=bool),
            np.asarray(priority if priority is not None else np.zeros(m), dtype=np.int64),
            direct.astype(f64))


class Schedules:
    """Planned stops of ``n_vehicles`` vehicles, ``capacity`` per load dimension each."""

    def __init__(self, n_vehicles: int, capacity: np.ndarray, width: int = 8):
        v, k = n_vehicles, max(2, width)
        self.n = np.zeros(v, dtype=np.int64)
        self.node = np.full((v, k), -1, dtype=np.int64)
        self.kind = np.zeros((v, k), dtype=np.int8)
        self.req = np.full((v, k), -1, dtype=np.int64)
        self.early = np.zeros((v, k))
        self.late = np.full((v, k), np.inf)
        self.svc = np.zeros((v, k))
        self.dload = np.zeros((v, k, N_LOAD))
        self.arr = np.zeros((v, k))
        self.start = np.zeros((v, k))
        self.dep = np.zeros((v, k))
        self.load = np.zeros((v, k, N_LOAD))
        self.fs = np.zeros((v, k))
        self.cap = np.asarray(capacity, dtype=np.float64).reshape(v, N_LOAD).copy()
        self.p_node = np.zeros(v, dtype=np.int64)
        self.p_time = np.zeros(v)
        self.p_load = np.zeros((v, N_LOAD))
        self.fixed = np.zeros(v, dtype=np.int64)
        self.end_node = np.full(v, -1, dtype=np.int64)
        self.end_late = np.full(v, np.inf)
        self.end_slack = np.full(v, np.inf)

    @property
    def width(self) -> int:
        return int(self.node.shape[1])

    def _grow(self) -> None:
        k = self.width

        def wider(a: np.ndarray, fill: float) -> np.ndarray:
            pad = [(0, 0), (0, k)] + [(0, 0)] * (a.ndim - 2)
            return np.pad(a, pad, constant_values=fill)

        for name, fill in (("node", -1), ("kind", 0), ("req", -1), ("early", 0.0),
                           ("late", np.inf), ("svc", 0.0), ("dload", 0.0), ("arr", 0.0),
                           ("start", 0.0), ("dep", 0.0), ("load", 0.0), ("fs", 0.0)):
            setattr(self, name, wider(getattr(self, name), fill))

    def refresh(self, v: int, T: np.ndarray) -> None:
        ins.refresh(v, T, self.n, self.node, self.early, self.late, self.svc, self.dload,
                    self.p_node, self.p_time, self.p_load, self.end_node, self.end_late,
                    self.arr, self.start, self.dep, self.load, self.fs, self.end_slack)

    def stops(self, v: int) -> list[tuple[int, int, int]]:
        """``(node, kind, request)`` of vehicle ``v``'s planned stops, in order."""
        k = int(self.n[v])
        return list(zip(self.node[v, :k].tolist(), self.kind[v, :k].tolist(),
                        self.req[v, :k].tolist(), strict=True))

    def _put(self, v: int, pos: int, node: int, kind: int, r: int, early: float, late: float,
             svc: float, dload: np.ndarray) -> None:
        k = int(self.n[v])
        if k + 1 > self.width:
            self._grow()
        if pos < k:  # the later stops move one place on (NumPy copies overlapping slices safely)
            for name in STOP_FIELDS:
                a = getattr(self, name)
                a[v, pos + 1:k + 1] = a[v, pos:k]
        self.node[v, pos], self.kind[v, pos], self.req[v, pos] = node, kind, r
        self.early[v, pos], self.late[v, pos], self.svc[v, pos] = early, late, svc
        self.dload[v, pos] = dload
        self.n[v] = k + 1

    def insert(self, v: int, r: int, i: int, j: int, q: Requests,
               promise_s: float = np.inf) -> None:
        """Put request ``r``'s pickup before original stop ``i`` and its drop-off before
        original stop ``j`` (``j >= i``; a visit has no drop-off). ``promise_s``: a time the
        last stop's service must start by from now on (a deadline promised to the customer),
        which later insertions must keep."""
        load = q.load[r]
        if q.destination[r] < 0:
            self._put(v, i, int(q.origin[r]), stops.VISIT, r, q.pickup_early_s[r],
                      min(q.pickup_late_s[r], promise_s), q.pickup_service_s[r], load)
            return
        self._put(v, i, int(q.origin[r]), stops.PICKUP, r, q.pickup_early_s[r],
                  q.pickup_late_s[r], q.pickup_service_s[r], load)
        self._put(v, j + 1, int(q.destination[r]), stops.DROPOFF, r, q.dropoff_early_s[r],
                  min(q.dropoff_late_s[r], promise_s), q.dropoff_service_s[r], -load)

    def append_depot(self, v: int, node: int) -> None:
        """A stop at a depot that unloads the goods on board (a reload)."""
        self._put(v, int(self.n[v]), node, stops.DEPOT, -1, 0.0, np.inf, 0.0, np.zeros(N_LOAD))

    def pop_first(self, v: int) -> tuple[int, int, int, float, float, float, np.ndarray]:
        """Remove and return the first stop: node, kind, request, early, late, service, load."""
        out = (int(self.node[v, 0]), int(self.kind[v, 0]), int(self.req[v, 0]),
               float(self.early[v, 0]), float(self.late[v, 0]), float(self.svc[v, 0]),
               self.dload[v, 0].copy())
        self._remove(v, 0)
        return out

    def _remove(self, v: int, pos: int) -> None:
        k = int(self.n[v])
        if pos < k - 1:  # the later stops move one place back
            for name in STOP_FIELDS:
                a = getattr(self, name)
                a[v, pos:k - 1] = a[v, pos + 1:k]
        self.n[v] = k - 1

    def remove_request(self, v: int, r: int) -> None:
        """Take request ``r``'s stops out of vehicle ``v``'s schedule."""
        for pos in range(int(self.n[v]) - 1, -1, -1):
            if self.req[v, pos] == r:
                self._remove(v, pos)

    def check(self, v: int, T: np.ndarray, q: Requests, r: int, i: int, j: int,
              extra_cost: float = 0.0) -> np.ndarray:
        """``[cost, i, j, pickup_start, finish]`` of this exact insertion (cost ``inf`` if it
        breaks a window or a capacity)."""
        out = np.empty(5)
        ins.best_insertion(v, q.origin[r], q.destination[r], q.pickup_early_s[r],
                           q.pickup_late_s[r], q.dropoff_early_s[r], q.dropoff_late_s[r],
                           q.pickup_service_s[r], q.dropoff_service_s[r], q.load[r],
                           q.created_s[r], 0.0, extra_cost, T, self.n, self.node, self.late,
                           self.fixed, self.cap, self.p_node, self.p_time, self.p_load,
                           self.end_node, self.end_late, self.arr, self.start, self.dep,
                           self.load, self.fs, self.end_slack, out, i, j)
        return out
