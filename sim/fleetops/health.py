"""The health part of the fleet-year model: breakdowns, service, workshops, early warning.

The operations model calls :func:`build_hooks` and then the :class:`Health` hooks (see the
contract in :mod:`sim.fleetops.state`). The scenario sections it reads (``workshops``,
``maintenance``, ``warning``, ``economics``) are typed in
:mod:`sim.fleetops.health_schema`; the KPIs it adds are :data:`HEALTH_KPIS` (catalogue:
``sim/results/kpis/fleet_year_health.yaml``); its tables are ``breakdowns``,
``workshop_visits``, ``health_telemetry`` (while a fault develops, the vehicle's first wear
reading of each day and every warning, with its fault code) and
``costs_monthly``.

After each task: did the failure clock pass the vehicle's next breakdown
(:mod:`sim.fleetops.reliability`)? Then it is towed to a workshop. Else the wear reading
(:mod:`sim.fleetops.warning`) may raise a warning, which books the vehicle in at the first
free slot; and a vehicle within ``book_ahead_km`` of its service km books a slot online
(:mod:`sim.fleetops.workshops`). Service due by months is checked once a day.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import numpy as np
import simpy

from sim.engine.recorder import Recorder
from sim.engine.rng import RngStreams
from sim.errors import Problem, ScenarioError
from sim.fleetops.economics import CostLedger, add_months, energy_per_km, fleet_book_value
from sim.fleetops.health_kpis import HEALTH_KPIS, HealthCounts, book_visit, health_kpis
from sim.fleetops.reliability import ExpBuffer, FailureLaw, breakdowns_between
from sim.fleetops.state import DAY_S, FleetState, Vehicle
from sim.fleetops.visits import Visit, nearest, run_visit
from sim.fleetops.warning import KM_PER_H, Fault, WearMonitor
from sim.fleetops.workshops import Workshop, allowed, choose
from sim.schema.distributions import mean_of, sample

__all__ = ["HEALTH_KPIS", "Health", "build_hooks"]

H_S = 3600.0
T = TypeVar("T")


class VehicleHealth:
    """Per-vehicle health state (one per register row)."""

    __slots__ = ("law", "km_clock", "fault", "false_in", "due_km", "book_km", "due_s", "visit",
                 "retry_s", "l_km", "kwh_km", "wear_km", "hours_before",
                 "telemetry_day")

    def __init__(self, law: FailureLaw, fault: Fault, false_in: int, due_km: float,
                 due_s: float, per_km: tuple[float, float], wear_km: float,
                 hours_before: float):
        self.law, self.fault, self.false_in = law, fault, false_in
        self.km_clock = law.clock == "km"
        self.hours_before = hours_before  # operating hours before the run
        self.due_km, self.due_s = due_km, due_s
        self.book_km = math.inf  # odometer from which a service is booked
        self.visit: Visit | None = None
        self.retry_s = -math.inf
        self.l_km, self.kwh_km = per_km
        self.wear_km = wear_km
        self.telemetry_day = -1


def _extra(v: Vehicle, column: str, parse: Callable[[str], T]) -> T | None:
    """An optional register column (``last_service_km``, ``last_service_date``)."""
    raw = v.extra.get(column)
    if raw is None or str(raw).strip() == "":
        return None
    try:
        return parse(str(raw).strip())
    except ValueError:
        raise ScenarioError("vehicle register", [Problem(
            f"{v.plate}.{column}", "not a number or ISO date", raw)]) from None


def build_hooks(scenario: Any, state: FleetState, rng: RngStreams,
                recorder: Recorder) -> Health:
    return Health(scenario, state, rng, recorder)


class Health:
    """The health hooks of one replication."""

    def __init__(self, scenario: Any, state: FleetState, rng: RngStreams, recorder: Recorder):
        self.sc, self.state, self.env, self.rec = scenario, state, state.env, recorder
        self.m, self.w = scenario.maintenance, scenario.warning
        self.horizon_s = float(scenario.horizon_s)
        self.workshops = [Workshop(spec, state.env, state.start_date)
                          for spec in scenario.workshops]
        self.exp = ExpBuffer(rng.stream("fleetops.health.failures"))
        self.monitor = WearMonitor(scenario.warning, rng.stream("fleetops.health.wear"))
        self.work_rng = rng.stream("fleetops.health.work")
        self.ledger = CostLedger(scenario.economics, state.start_date, scenario.months)
        self.n = HealthCounts(down_h_by_month=[0.0] * scenario.months)
        self._warn = bool(scenario.warning.enabled)
        self._usage, self._month_lo, self._month_hi = [0.0] * 4, math.inf, -math.inf
        self._telemetry = recorder.table("health_telemetry", (
            "plate", "t_s", "x_km", "y_km", "operating_h", "odometer_km", "wear_index",
            "fault_code"))
        self._breakdowns = recorder.table("breakdowns", (
            "plate", "t_s", "clock", "operating_h", "odometer_km", "warned", "workshop"))
        self._visits = recorder.table("workshop_visits", (
            "plate", "workshop", "kind", "requested_s", "bay_start_s", "end_s", "work_h",
            "cost_cny", "warranty"))
        self._check_dealers()
        self.vh = [self._init_vehicle(v) for v in state.vehicles]
        self.start_clock = [self.clock(v) for v in state.vehicles]
        self._due = [(hv.due_s, i) for i, hv in enumerate(self.vh) if math.isfinite(hv.due_s)]
        heapq.heapify(self._due)

    # -- set-up --------------------------------------------------------------------------
    def _check_dealers(self) -> None:
        if not self.workshops:
            return
        ids = [w.spec.id for w in self.workshops]
        problems = [Problem(f"workshops[{i}].id", "workshop ids must be unique", wid)
                    for i, wid in enumerate(ids) if wid in ids[:i]]
        uncovered: dict[str, list[str]] = {}
        for v in self.state.vehicles:
            if self.state.in_warranty(v, 0.0) and not allowed(self.workshops, v, True):
                uncovered.setdefault(v.profile_id, []).append(v.plate)
        problems += [Problem("workshops", f"{len(plates)} vehicles of this profile are in "
                             f"warranty (e.g. {', '.join(plates[:3])}) but no 4S store serves "
                             "it", pid) for pid, plates in uncovered.items()]
        if problems:
            raise ScenarioError(getattr(self.sc, "name", "scenario"), problems[:20])

    def clock(self, v: Vehicle) -> float:
        """``v``'s failure clock: lifetime operating hours (or its odometer)."""
        hv = self.vh[v.index]
        return hv.law.reading(v.odometer_km, v.operating_h + hv.hours_before)

    def _init_vehicle(self, v: Vehicle) -> VehicleHealth:
        p = v.profile
        law = FailureLaw.of(p)
        # lifetime operating hours: the register's column, else the odometer at KM_PER_H
        before = _extra(v, "operating_h", float)
        if before is None:
            before = 0.0 if v.operating_h > 0 else v.odometer_km / KM_PER_H
        fault = self._new_fault(law, law.reading(v.odometer_km, v.operating_h + before))
        due_km = math.inf
        if p.service_interval_km:
            last_km = _extra(v, "last_service_km", float)
            if last_km is None:
                last_km = (v.odometer_km // p.service_interval_km) * p.service_interval_km
            due_km = last_km + p.service_interval_km
        due_s = math.inf
        if p.service_interval_months:
            months, start = p.service_interval_months, self.state.start_date
            last_day = _extra(v, "last_service_date", dt.date.fromisoformat) or v.purchase_date
            due = add_months(last_day, months)
            while due <= start:
                due = add_months(due, months)
            due_s = (due - start).days * DAY_S
        hv = VehicleHealth(law, fault, self.monitor.healthy_readings_until_false(), due_km,
                           due_s, energy_per_km(p, self.sc), p.maintenance_cny_per_km, before)
        self._set_due_km(hv, due_km)
        return hv

    def _set_due_km(self, hv: VehicleHealth, due_km: float) -> None:
        hv.due_km = due_km
        booking = self.m.enabled and bool(self.workshops)
        hv.book_km = due_km - self.m.book_ahead_km if booking else math.inf

    def _new_fault(self, law: FailureLaw, clock_now: float) -> Fault:
        return self.monitor.fault(law.next_after(clock_now, self.exp.next()), law.clock,
                                  clock_now)

    # -- hooks ---------------------------------------------------------------------------
    def on_start(self, state: FleetState) -> None:
        if self.m.enabled and self.workshops:
            for v, hv in zip(state.vehicles, self.vh, strict=True):
                self._maybe_service(v, hv, 0.0)
            self.env.process(self._months_due())

    def on_task_done(self, v: Vehicle, t_s: float, km: float, h: float) -> None:
        # called after every task (millions a run): the common path is a few adds and tests
        hv = self.vh[v.index]
        if not self._month_lo <= t_s < self._month_hi:
            self._usage, self._month_lo, self._month_hi = self.ledger.usage(t_s)
        acc = self._usage
        acc[0] += km
        acc[1] += km * hv.l_km
        acc[2] += km * hv.kwh_km
        acc[3] += km * hv.wear_km
        clock = v.odometer_km if hv.km_clock else v.operating_h + hv.hours_before
        f = hv.fault
        if clock >= f.fail_at:
            self._breakdown(v, hv, t_s, clock - (km if hv.km_clock else h), clock)
            return
        visit = hv.visit
        if visit is not None and visit.leave is not None and not visit.leave.triggered:
            self.state.take_down(v, "travel", t_s)
            visit.leave.succeed()
            return
        if self._warn:
            if clock < f.onset:
                hv.false_in -= 1
                if hv.false_in <= 0:
                    self._false_alarm(v, hv, t_s)
            elif visit is None or not visit.warned:
                self._read_wear(v, hv, t_s, clock)
        if v.odometer_km >= hv.book_km and hv.visit is None and t_s >= hv.retry_s:
            self._maybe_service(v, hv, t_s)

    def kpis(self) -> dict[str, float]:
        return health_kpis(self)

    def tables(self) -> dict[str, dict[str, Any]]:
        down = np.asarray(self.n.down_h_by_month, float)
        return {"costs_monthly": self.ledger.table(self.state.vehicles, self.drivers(), down)}

    # -- breakdowns ----------------------------------------------------------------------
    def _breakdown(self, v: Vehicle, hv: VehicleHealth, t_s: float, start: float,
                   clock: float) -> None:
        law, fault = hv.law, hv.fault
        hits, _ = breakdowns_between(law, start, clock, fault.fail_at, self.exp)
        self.n.breakdowns += max(1, len(hits))
        warned = fault.warned_at is not None
        self.n.breakdowns_warned += warned
        self.n.full_missed += fault.full and not warned and math.isfinite(fault.onset)
        hv.fault = self._new_fault(law, clock)
        merged_service = False
        if hv.visit is not None and not hv.visit.departed:
            merged_service = hv.visit.service
            hv.visit.cancel()
        self.state.take_down(v, "travel", t_s)
        ws, travel_s, booking = None, 0.0, None
        if self.workshops:
            repair_h = mean_of(v.profile.repair_time_h)
            got = choose(self.workshops, self.state, v, t_s, 0.0, repair_h, self.m.calendar_days)
            if got is not None:
                booking, travel_s = got
                ws = booking.workshop
            else:
                ws, travel_s = nearest(allowed(self.workshops, v, self.state.in_warranty(v, t_s)),
                                       self.state, v)
        self._breakdowns.append(v.plate, t_s, clock, v.operating_h, v.odometer_km, warned,
                                ws.spec.id if ws else "")
        visit = Visit(v, ws, booking, travel_s, service=merged_service, breakdown=True,
                      requested_s=t_s)
        self._start(hv, visit)

    # -- early warning -------------------------------------------------------------------
    def _read_wear(self, v: Vehicle, hv: VehicleHealth, t_s: float, clock: float) -> None:
        f = hv.fault
        if f.warned_at is not None:  # warned, but no slot was free then: try again
            if hv.visit is None:
                self._warned(v, hv, t_s, fault=True)
            return
        if clock >= f.onset:
            reading = self.monitor.read(f, clock, hv.law.clock)
            alarm = reading > self.w.threshold
            day = int(t_s // DAY_S)
            if alarm or day != hv.telemetry_day:  # one reading a day, and every warning
                hv.telemetry_day = day
                self._reading(v, t_s, reading, self.w.fault_code if alarm else 0)
            if alarm:
                f.warned_at = clock
                self.n.warnings_true += 1
                self.n.full_warned += f.full
                lead = f.fail_at - clock
                if hv.km_clock:  # km to operating hours at the vehicle's own pace
                    lead *= (v.operating_h + hv.hours_before) / max(v.odometer_km, 1e-9)
                self.n.lead_h.append(lead)
                self._warned(v, hv, t_s, fault=True)
            return

    def _reading(self, v: Vehicle, t_s: float, wear: float, code: int) -> None:
        """A telemetry row: the vehicle is at its depot after its task."""
        at = self.state.position(v)
        self._telemetry.append(v.plate, t_s, at.x_km if at else 0.0, at.y_km if at else 0.0,
                               v.operating_h, v.odometer_km, wear, code)

    def _false_alarm(self, v: Vehicle, hv: VehicleHealth, t_s: float) -> None:
        hv.false_in = self.monitor.healthy_readings_until_false()
        if hv.visit is not None and hv.visit.warned:
            return  # already booked in on a warning
        reading = self.monitor.false_reading()
        self._reading(v, t_s, reading, self.w.fault_code)
        self.n.warnings_false += 1
        self._warned(v, hv, t_s, fault=False)

    def _warned(self, v: Vehicle, hv: VehicleHealth, t_s: float, fault: bool) -> None:
        if not self.workshops:
            return
        if hv.visit is not None and hv.visit.departed:
            return
        work_h = (self.m.warned_repair_share * mean_of(v.profile.repair_time_h) if fault
                  else self.m.inspection_h)
        got = choose(self.workshops, self.state, v, t_s, 0.0, work_h, self.m.calendar_days)
        if got is None:
            return
        service = False
        if hv.visit is not None:  # a booked service is done on the same visit
            service = hv.visit.service
            hv.visit.cancel()
        visit = Visit(v, got[0].workshop, got[0], got[1], service=service, warned=True,
                      requested_s=t_s)
        visit.extra["fault"] = fault
        self._start(hv, visit)

    # -- preventive service --------------------------------------------------------------
    def _maybe_service(self, v: Vehicle, hv: VehicleHealth, t_s: float) -> None:
        if t_s < hv.retry_s:
            return
        by_km = v.odometer_km >= hv.due_km - self.m.book_ahead_km
        by_time = t_s >= hv.due_s - self.m.book_ahead_days * DAY_S
        if not (by_km or by_time):
            return
        work_h = mean_of(v.profile.service_time_h)
        got = choose(self.workshops, self.state, v, t_s, self.m.min_notice_h * H_S, work_h,
                     self.m.calendar_days)
        if got is None:
            hv.retry_s = t_s + DAY_S
            self.n.booking_deferred += 1
            return
        self.n.bookings += 1
        self.n.booking_lead_h.append((got[0].start_s - t_s) / H_S)
        self._start(hv, Visit(v, got[0].workshop, got[0], got[1], service=True,
                              requested_s=t_s))

    def _months_due(self) -> Generator[simpy.Event, Any, None]:
        """Once a day: book the vehicles whose service falls due by months."""
        ahead_s = self.m.book_ahead_days * DAY_S
        while True:
            yield self.env.timeout(DAY_S)
            now, later = self.env.now, []
            while self._due and self._due[0][0] - ahead_s <= now:
                due, i = heapq.heappop(self._due)
                hv, v = self.vh[i], self.state.vehicles[i]
                if hv.due_s != due:  # serviced since: its new date is in the heap
                    continue
                if hv.visit is None and v.down_reason is None:
                    self._maybe_service(v, hv, now)
                if hv.visit is None or not hv.visit.service:
                    later.append((due, i))  # look again tomorrow
            for item in later:
                heapq.heappush(self._due, item)

    # -- visits --------------------------------------------------------------------------
    def _start(self, hv: VehicleHealth, visit: Visit) -> None:
        hv.visit = visit
        self.env.process(run_visit(self.env, self.state, visit, self._work_h, self._at_bay,
                                   self._done, self.horizon_s))

    def _work_h(self, visit: Visit) -> float:
        p = visit.vehicle.profile
        hours = 0.0
        if visit.breakdown:
            hours += float(sample(p.repair_time_h, self.work_rng))
        elif visit.warned:
            hours += (self.m.warned_repair_share * float(sample(p.repair_time_h, self.work_rng))
                      if visit.extra.get("fault") else self.m.inspection_h)
        if visit.service:
            hours += float(sample(p.service_time_h, self.work_rng))
        return hours

    def _at_bay(self, visit: Visit, t_s: float) -> None:
        v = visit.vehicle
        hv = self.vh[v.index]
        if visit.warned and visit.extra.get("fault") and hv.fault.warned_at is not None:
            self.n.avoided += 1  # the fault is found and put right before it broke
            hv.fault = self._new_fault(hv.law, self.clock(v))
        if visit.service:
            self.n.services += 1
            p = v.profile
            if p.service_interval_km:
                self._set_due_km(hv, v.odometer_km + p.service_interval_km)
            if p.service_interval_months:
                due = add_months(self.state.date_at(t_s), p.service_interval_months)
                hv.due_s = (due - self.state.start_date).days * DAY_S
                heapq.heappush(self._due, (hv.due_s, v.index))

    def _done(self, visit: Visit, hours: float, end_s: float) -> None:
        book_visit(self, visit, hours, end_s)
        self.vh[visit.vehicle.index].visit = None

    def drivers(self) -> int:
        """Drivers on the roster: pools plus two per double-shifted vehicle."""
        rules = getattr(self.sc, "drivers", None)
        if rules is None:
            return 0
        double = {d.profile for d in rules.double_shift}
        return (sum(p.count for p in rules.pools)
                + 2 * sum(v.profile_id in double for v in self.state.vehicles))

    def book_value_end(self) -> float:
        return fleet_book_value(self.state.vehicles, self.state.date_at(self.horizon_s),
                                self.sc.economics.depreciation)
