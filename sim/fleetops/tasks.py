"""Tasks: drawn day by day (vectorised), and the log of what became of each.

A task is a release time, a depot, a type (which vehicle profiles may do it), a driving time
and a distance; it is not routed. It starts at the depot when the dispatcher pairs a vehicle
and a driver for it, and ends there.
"""

from __future__ import annotations

from array import array
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

    Typed :class:`array.array` columns, not NumPy arrays: the model reads and writes one
    task at a time, and an item of an array (or list) costs a fraction of a NumPy scalar
    access, at 8 bytes a value instead of a list's 32; :meth:`view` gives NumPy arrays.
    """

    INPUT = ("release_s", "depot", "ttype", "drive_s", "km")
    TYPES = {"release_s": "d", "depot": "q", "ttype": "q", "drive_s": "d", "km": "d",
             "start_s": "d", "end_s": "d", "vehicle": "q", "driver": "q", "breaks": "q",
             "status": "b", "charge_blocked": "b"}
    DTYPES = {"d": np.float64, "q": np.int64, "b": np.int8}

    def __init__(self) -> None:
        self.n = 0
        for name, code in self.TYPES.items():
            setattr(self, name, array(code))
        self.release_s: array[float]
        self.depot: array[int]
        self.ttype: array[int]
        self.drive_s: array[float]
        self.km: array[float]
        self.start_s: array[float]
        self.end_s: array[float]
        self.vehicle: array[int]
        self.driver: array[int]
        self.breaks: array[int]
        self.status: array[int]
        self.charge_blocked: array[int]

    def add_day(self, day: DayTasks) -> int:
        """Append the day's tasks; returns the index of the first."""
        m = int(day.release_s.size)
        for k in self.INPUT:
            getattr(self, k).frombytes(np.ascontiguousarray(
                getattr(day, k), self.DTYPES[self.TYPES[k]]).tobytes())
        nan = float("nan")
        self.start_s.extend([nan] * m)
        self.end_s.extend([nan] * m)
        self.vehicle.extend([-1] * m)
        self.driver.extend([-1] * m)
        self.breaks.extend([0] * m)
        self.status.extend([WAITING] * m)
        self.charge_blocked.extend([0] * m)
        first, self.n = self.n, self.n + m
        return first

    def view(self) -> dict[str, np.ndarray]:
        out = {name: np.frombuffer(getattr(self, name), self.DTYPES[code]).copy()
               for name, code in self.TYPES.items()}
        out["charge_blocked"] = out["charge_blocked"].astype(bool)
        return out
