"""Tasks: drawn day by day (vectorised), and the log of what became of each.

A task is a release time, a depot, a type (which vehicle profiles may do it), a driving time
and a distance; it is not routed. It starts at the depot when the dispatcher pairs a vehicle
and a driver for it, and ends there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.fleetops.schema import FleetYearScenario
from sim.schema.distributions import sample

DAY_S = 86400.0

#: Task status codes in the log.
WAITING, STARTED, LOST = 0, 1, 2


@dataclass
class DayTasks:
    release_s: np.ndarray
    depot: np.ndarray
    ttype: np.ndarray
    drive_s: np.ndarray
    km: np.ndarray


def draw_day(s: FleetYearScenario, day: int, eligible: np.ndarray, weekday: int,
             rng: np.random.Generator) -> DayTasks:
    """The tasks released on ``day``, sorted by release time.

    ``eligible[t, d]`` is the number of vehicles at depot ``d`` that may do task type ``t``:
    the day's count of type ``t`` at ``d`` is Poisson with mean ``per_vehicle_day`` times it,
    or ``per_day`` times the depot's share.
    """
    parts: list[tuple[np.ndarray, ...]] = []
    for t, tt in enumerate(s.tasks):
        if tt.weekdays_only and weekday >= 5:
            continue
        counts = rng.poisson(daily_means(s, t, eligible[t]))
        n = int(counts.sum())
        if n == 0:
            continue
        depot = np.repeat(np.arange(eligible.shape[1]), counts)
        rel = day * DAY_S + 3600.0 * rng.uniform(tt.start_h, tt.end_h, n)
        drive = np.maximum(np.asarray(sample(tt.duration_s, rng, n), float), 1.0)
        speed = np.maximum(np.asarray(sample(tt.speed_kmh, rng, n), float), 0.0)
        parts.append((rel, depot, np.full(n, t), drive, drive / 3600.0 * speed))
    if not parts:
        e = np.empty(0)
        return DayTasks(e, e.astype(np.int64), e.astype(np.int64), e, e)
    rel, depot, ttype, drive, km = (np.concatenate(c) for c in zip(*parts, strict=True))
    order = np.argsort(rel, kind="stable")
    return DayTasks(rel[order], depot[order].astype(np.int64), ttype[order].astype(np.int64),
                    drive[order], km[order])


def daily_means(s: FleetYearScenario, t: int, eligible: np.ndarray) -> np.ndarray:
    """Mean tasks of type ``t`` a day at each depot."""
    tt = s.tasks[t]
    if tt.per_vehicle_day is not None:
        return tt.per_vehicle_day * eligible
    assert tt.per_day is not None
    if tt.depot_share is not None:
        w = np.array([tt.depot_share.get(d.id, 0.0) for d in s.depots])
    else:
        w = np.asarray(eligible, float)
    total = w.sum()
    return tt.per_day * w / total if total > 0 else np.zeros_like(w)


class TaskLog:
    """Every task of the run, in columns that grow a day at a time.

    Python lists, not arrays: the model reads and writes one task at a time, and a list
    item costs a fraction of a NumPy scalar access; :meth:`view` gives arrays at the end.
    """

    INPUT = ("release_s", "depot", "ttype", "drive_s", "km")

    def __init__(self) -> None:
        self.n = 0
        self.release_s: list[float] = []
        self.depot: list[int] = []
        self.ttype: list[int] = []
        self.drive_s: list[float] = []
        self.km: list[float] = []
        self.start_s: list[float] = []
        self.end_s: list[float] = []
        self.vehicle: list[int] = []
        self.driver: list[int] = []
        self.breaks: list[int] = []
        self.status: list[int] = []
        self.charge_blocked: list[bool] = []

    def add_day(self, day: DayTasks) -> int:
        """Append the day's tasks; returns the index of the first."""
        m = int(day.release_s.size)
        for k in self.INPUT:
            getattr(self, k).extend(getattr(day, k).tolist())
        nan = float("nan")
        self.start_s.extend([nan] * m)
        self.end_s.extend([nan] * m)
        self.vehicle.extend([-1] * m)
        self.driver.extend([-1] * m)
        self.breaks.extend([0] * m)
        self.status.extend([WAITING] * m)
        self.charge_blocked.extend([False] * m)
        first, self.n = self.n, self.n + m
        return first

    def view(self) -> dict[str, np.ndarray]:
        return {
            "release_s": np.array(self.release_s, float),
            "depot": np.array(self.depot, np.int64),
            "ttype": np.array(self.ttype, np.int64),
            "drive_s": np.array(self.drive_s, float),
            "km": np.array(self.km, float),
            "start_s": np.array(self.start_s, float),
            "end_s": np.array(self.end_s, float),
            "vehicle": np.array(self.vehicle, np.int64),
            "driver": np.array(self.driver, np.int64),
            "breaks": np.array(self.breaks, np.int64),
            "status": np.array(self.status, np.int8),
            "charge_blocked": np.array(self.charge_blocked, bool),
        }
