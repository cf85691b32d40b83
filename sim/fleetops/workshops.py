"""Workshops: bays as SimPy resources, opening hours, and an online booking calendar.

A workshop's day is cut into booking slots of ``slot_h`` from ``open_h``; a slot can be
booked by as many vehicles as the workshop has bays. A booking takes the consecutive slots
its planned work needs (same day); the bays themselves are a :class:`simpy.Resource`, so a
job that runs longer than planned makes the next booked vehicle wait in the yard. Work is
done only while the workshop is open: a job not finished at closing time goes on at the
next opening (the vehicle stays in the bay).

Which workshop: a vehicle in warranty goes only to a dealer (4S) store that serves its
profile; a vehicle out of warranty to an independent workshop, or to a 4S store when no
independent one exists. Among those allowed, the one where the vehicle is back in service
soonest (slot start plus the drive there) wins.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import simpy

from sim.fleetops.health_schema import WorkshopSpec
from sim.fleetops.state import DAY_S, FleetState, Site, Vehicle

H_S = 3600.0


@dataclass
class Booking:
    """A reserved run of slots at one workshop."""

    workshop: Workshop
    start_s: float
    slots: list[tuple[int, int]]  # (day, slot of the day)


@dataclass(eq=False)
class Workshop:
    """One workshop during a run: its calendar, its bays and what it did."""

    spec: WorkshopSpec
    env: simpy.Environment
    start_date: dt.date
    bays: simpy.Resource = field(init=False)
    booked: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    busy_h: float = 0.0  # bay hours worked (inside opening hours)
    jobs: int = 0

    def __post_init__(self) -> None:
        self.bays = simpy.Resource(self.env, capacity=self.spec.bays)
        self.site = Site(self.spec.id, self.spec.x_km, self.spec.y_km)
        self.slots_per_day = int((self.spec.close_h - self.spec.open_h) // self.spec.slot_h)

    @property
    def is_4s(self) -> bool:
        return self.spec.kind == "4s"

    def serves(self, profile_id: str) -> bool:
        return self.spec.profiles is None or profile_id in self.spec.profiles

    # -- opening hours ---------------------------------------------------------------------
    def open_on(self, day: int) -> bool:
        weekday = (self.start_date + dt.timedelta(days=day)).weekday()
        return weekday not in self.spec.closed_weekdays

    def window(self, day: int) -> tuple[float, float]:
        """Opening and closing time of ``day`` in run seconds."""
        return day * DAY_S + self.spec.open_h * H_S, day * DAY_S + self.spec.close_h * H_S

    def work_end_s(self, start_s: float, work_h: float) -> float:
        """When ``work_h`` hours of work begun at ``start_s`` end, counting open hours only."""
        left_s = work_h * H_S
        day = int(start_s // DAY_S)
        t = start_s
        for _ in range(3660):  # ten years of days: a bound, never reached by valid input
            if self.open_on(day):
                lo, hi = self.window(day)
                t = max(t, lo)
                if t < hi:
                    step = min(left_s, hi - t)
                    left_s -= step
                    t += step
                    if left_s <= 0.0:
                        return t
            day += 1
            t = day * DAY_S
        return t + left_s

    def next_open_s(self, t_s: float) -> float:
        """``t_s`` if the workshop is open then, else its next opening time."""
        day = int(t_s // DAY_S)
        for _ in range(8):
            if self.open_on(day):
                lo, hi = self.window(day)
                if t_s < hi:
                    return max(t_s, lo)
            day += 1
        return t_s  # unreachable: at most six weekdays are closed

    def open_hours(self, t0_s: float, t1_s: float) -> float:
        """Hours the workshop is open within ``[t0_s, t1_s)``."""
        total = 0.0
        for day in range(int(t0_s // DAY_S), int(math.ceil(t1_s / DAY_S)) + 1):
            if self.open_on(day):
                lo, hi = self.window(day)
                total += max(0.0, min(hi, t1_s) - max(lo, t0_s))
        return total / H_S

    # -- booking calendar ------------------------------------------------------------------
    def slot_start_s(self, day: int, j: int) -> float:
        return day * DAY_S + (self.spec.open_h + j * self.spec.slot_h) * H_S

    def slots_for(self, work_h: float) -> int:
        return max(1, min(self.slots_per_day, math.ceil(work_h / self.spec.slot_h - 1e-9)))

    def find(self, earliest_s: float, work_h: float, days: int) -> Booking | None:
        """The first free run of slots for ``work_h`` starting at or after ``earliest_s``."""
        n = self.slots_for(work_h)
        first = int(max(0.0, earliest_s) // DAY_S)
        cap = self.spec.bays
        for day in range(first, first + days + 1):
            if not self.open_on(day):
                continue
            run = 0
            for j in range(self.slots_per_day):
                if self.slot_start_s(day, j) < earliest_s or self.booked[(day, j)] >= cap:
                    run = 0
                    continue
                run += 1
                if run == n:
                    j0 = j - n + 1
                    return Booking(self, self.slot_start_s(day, j0),
                                   [(day, k) for k in range(j0, j + 1)])
        return None

    def reserve(self, booking: Booking) -> None:
        for key in booking.slots:
            self.booked[key] += 1

    def record_work(self, start_s: float, end_s: float, horizon_s: float) -> None:
        """Count bay hours worked (open hours of ``[start_s, end_s)`` before the horizon)."""
        self.jobs += 1
        if start_s < horizon_s:
            self.busy_h += self.open_hours(start_s, min(end_s, horizon_s))


def allowed(workshops: Sequence[Workshop], v: Vehicle, in_warranty: bool) -> list[Workshop]:
    """Workshops ``v`` may go to: 4S stores serving its profile while in warranty."""
    dealers = [w for w in workshops if w.is_4s and w.serves(v.profile_id)]
    if in_warranty:
        return dealers
    independent = [w for w in workshops if not w.is_4s]
    return independent or dealers or [w for w in workshops if w.is_4s]


def choose(workshops: Sequence[Workshop], state: FleetState, v: Vehicle, now_s: float,
           notice_s: float, work_h: float, days: int) -> tuple[Booking, float] | None:
    """Book the allowed workshop where ``v`` is back in service soonest.

    The slot starts at least ``notice_s`` from now and leaves time to drive there from the
    vehicle's depot. Returns the booking (reserved) and the one-way travel time, or None
    when no allowed workshop has a free slot within ``days``.
    """
    here = state.position(v)
    best: tuple[float, Booking, float] | None = None
    for w in allowed(workshops, v, state.in_warranty(v, now_s)):
        travel_s = state.travel_s(here, w.site)
        b = w.find(now_s + max(notice_s, travel_s), work_h, days)
        if b is not None and (best is None or b.start_s + travel_s < best[0]):
            best = (b.start_s + travel_s, b, travel_s)
    if best is None:
        return None
    best[1].workshop.reserve(best[1])
    return best[1], best[2]


def bay_utilisation(workshops: Sequence[Workshop], horizon_s: float) -> float:
    """Bay hours worked / bay hours open over the run."""
    open_h = sum(w.spec.bays * w.open_hours(0.0, horizon_s) for w in workshops)
    return math.nan if open_h <= 0 else sum(w.busy_h for w in workshops) / open_h
