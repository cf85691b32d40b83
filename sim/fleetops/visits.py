"""A vehicle's trip to a workshop and back, as a SimPy process.

A planned visit (preventive service, a check on an early warning) waits until the vehicle
must leave for its booked slot; a vehicle then on a task leaves when the task ends (the
operations call ``on_task_done``, which releases it before it can be offered again), a
vehicle charging leaves when it is done. A breakdown visit leaves at once (towed). At the
workshop the vehicle waits for a free bay (a job before it ran long, or a broken vehicle
waits for its slot), is worked on during opening hours, and drives back to its depot.

Downtime is booked under ``travel``, ``waiting_slot``, ``service`` (preventive service and
inspections) and ``repair`` (breakdowns and repairs on a warning).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.fleetops.state import FleetState, Vehicle
from sim.fleetops.workshops import Booking, Workshop

#: How often a vehicle due to leave looks again while it charges.
RETRY_S = 600.0


@dataclass(eq=False)
class Visit:
    """What a vehicle goes to a workshop for, and where it stands."""

    vehicle: Vehicle
    workshop: Workshop | None
    booking: Booking | None
    travel_s: float
    service: bool = False  # preventive service
    warned: bool = False  # a check on a warning (fault found or not)
    breakdown: bool = False
    requested_s: float = 0.0
    departed: bool = False
    cancelled: bool = False
    leave: simpy.Event | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return "repair" if self.breakdown or self.extra.get("fault") else "service"

    def cancel(self) -> None:
        """Give the slots back; the process ends when it wakes."""
        self.cancelled = True
        if self.leave is not None and not self.leave.triggered:
            self.leave.succeed()  # the process wakes and ends
        if self.booking is not None:
            for key in self.booking.slots:
                self.booking.workshop.booked[key] -= 1
            self.booking = None


def run_visit(env: simpy.Environment, state: FleetState, visit: Visit,
              work_h: Callable[[Visit], float], at_bay: Callable[[Visit, float], None],
              done: Callable[[Visit, float, float], None],
              horizon_s: float) -> Generator[simpy.Event, Any, None]:
    """The process of one visit; ``work_h`` decides the bay time when the vehicle gets a bay,
    ``at_bay`` applies the work's effect then, ``done`` books it (with the time the bay
    work ended) once the vehicle is back in service."""
    v = visit.vehicle
    if visit.booking is not None and not visit.breakdown:
        yield env.timeout(max(0.0, visit.booking.start_s - visit.travel_s - env.now))
        while True:
            if visit.cancelled:
                return
            if v.on_task:
                visit.leave = env.event()
                yield visit.leave  # on_task_done took it down
                break
            if v.down_reason is None:
                state.take_down(v, "travel", env.now)
                break
            yield env.timeout(RETRY_S)
    if visit.cancelled:
        return
    visit.departed = True
    visit.extra.setdefault("down_s", env.now)
    yield env.timeout(visit.travel_s)
    ws = visit.workshop
    if ws is None:  # no workshop: repaired where it stands
        state.take_down(v, visit.reason, env.now)
        hours = work_h(visit)
        at_bay(visit, env.now)
        yield env.timeout(hours * 3600.0)
        state.bring_up(v, env.now)
        done(visit, hours, env.now)
        return
    state.take_down(v, "waiting_slot", env.now)
    if visit.booking is not None and visit.booking.start_s > env.now:
        yield env.timeout(visit.booking.start_s - env.now)
    req = ws.bays.request()
    yield req
    opens = ws.next_open_s(env.now)  # towed in while closed: work starts at opening
    if opens > env.now:
        yield env.timeout(opens - env.now)
    start = env.now
    visit.extra["bay_start_s"] = start
    state.take_down(v, visit.reason, start)
    hours = work_h(visit)
    at_bay(visit, start)
    end = ws.work_end_s(start, hours)
    yield env.timeout(end - start)
    ws.bays.release(req)
    ws.record_work(start, end, horizon_s)
    state.take_down(v, "travel", env.now)
    yield env.timeout(visit.travel_s)
    state.bring_up(v, env.now)
    done(visit, hours, end)


def nearest(workshops: list[Workshop], state: FleetState, v: Vehicle) -> tuple[Workshop, float]:
    """The nearest of ``workshops`` to ``v``'s depot and the drive there."""
    here = state.position(v)
    best = min(workshops, key=lambda w: (state.travel_s(here, w.site), w.spec.id))
    return best, state.travel_s(here, best.site)

