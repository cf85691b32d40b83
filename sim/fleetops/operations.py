"""Operations over months: shifts, tasks, and a dispatcher that sees only compatible pairs.

One SimPy process releases each day's tasks (:func:`sim.fleetops.tasks.draw_day`); one per
shift group starts and ends its drivers' shifts. A task is offered the vehicle-driver pairs
at its depot that may do it: the vehicle's profile is one the task type names, the vehicle
is available and idle with charge for the task (above the reserve), the driver is on shift,
holds a licence covering the vehicle's class, and can drive the task before the end of the
shift and under the daily cap (rests inserted every ``continuous_limit_h``). Vehicles with
double-shift drivers go only with their own driver on shift. The dispatcher policy picks
one pair among at most :data:`MAX_CANDIDATES`; a task with none waits at its depot, first
come first served, and is lost after ``max_wait_s``. A task is one SimPy timeout.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from itertools import islice
from typing import Any

import numpy as np
import simpy

from sim.fleetops.drivers import Driver, Rules, holders_of
from sim.fleetops.energy import Energy
from sim.fleetops.schema import LICENCE_CLASSES, FleetYearScenario
from sim.fleetops.state import FleetState, HealthHooks, Vehicle
from sim.fleetops.tasks import DAY_S, LOST, STARTED, WAITING, TaskLog, draw_day

#: Pairs a dispatcher is shown for one task (the first found in idle order).
MAX_CANDIDATES = 8
#: Idle drivers or vehicles looked at per profile before giving up on a task.
MAX_LOOK = 32

Pair = tuple[Vehicle, Driver, int, float]  # vehicle, driver, rests, continuous driving after


def pick(policy: str, cands: list[Pair], energy: Energy) -> Pair:
    """The dispatcher's choice among compatible pairs (listed longest idle first):
    ``longest_idle`` the first, ``least_km`` the vehicle with the lowest odometer (wear
    spread over the fleet), ``most_charge`` the vehicle with the highest state of charge."""
    if policy == "longest_idle" or len(cands) == 1:
        return cands[0]
    if policy == "least_km":
        return min(cands, key=lambda c: c[0].odometer_km)
    return max(cands, key=lambda c: energy.soc(c[0]))


class Operations:
    """Tasks, drivers and vehicles over the run; records what each one did."""

    def __init__(self, s: FleetYearScenario, state: FleetState, drivers: list[Driver],
                 rules: Rules, energy: Energy, hooks: HealthHooks, rng: Any):
        self.s, self.state, self.env = s, state, state.env
        self.drivers, self.rules, self.energy, self.hooks = drivers, rules, energy, hooks
        self.rng = rng.stream("fleetops.tasks")
        self.depots = [d.id for d in s.depots]
        self.depot_ix = {d: i for i, d in enumerate(self.depots)}
        vs = state.vehicles
        self.profiles = sorted({v.profile_id for v in vs})
        prof_ix = {p: i for i, p in enumerate(self.profiles)}
        self.v_prof = [prof_ix[v.profile_id] for v in vs]
        self.v_depot = [self.depot_ix[v.depot or self.depots[0]] for v in vs]
        self.lic_of_prof = [next(v.profile.licence_class for v in vs if v.profile_id == p)
                            for p in self.profiles]
        # task type -> profile indices it may use (profile ids match with or without @version)
        self.type_profiles = [[prof_ix[p] for p in self.profiles
                               if p in tt.profiles or p.partition("@")[0] in tt.profiles]
                              for tt in s.tasks]
        self.eligible = np.zeros((len(s.tasks), len(self.depots)))
        for t, profs in enumerate(self.type_profiles):
            for v in range(len(vs)):
                if self.v_prof[v] in profs:
                    self.eligible[t, self.v_depot[v]] += 1
        self.holders = [holders_of(lic) for lic in self.lic_of_prof]
        # dispatch sets (dicts keep insertion order: longest idle first), every key made
        keys = [(d, p) for d in range(len(self.depots)) for p in range(len(self.profiles))]
        self.free: dict[tuple[int, int], dict[Vehicle, None]] = {k: {} for k in keys}
        self.ready: dict[tuple[int, int], dict[Vehicle, Driver]] = {k: {} for k in keys}
        self.pool: dict[tuple[int, str], dict[Driver, None]] = {
            (d, lic): {} for d in range(len(self.depots)) for lic in LICENCE_CLASSES}
        self.v_key = list(zip(self.v_depot, self.v_prof, strict=True))
        self.d_key = [(self.depot_ix[r.depot], r.licence) for r in drivers]
        self.crew: dict[int, list[Driver]] = {}
        for r in drivers:
            if r.vehicle is not None:
                self.crew.setdefault(r.vehicle, []).append(r)
        self.queue: list[deque[int]] = [deque() for _ in self.depots]
        self.log = TaskLog()
        self.most = 1 if s.dispatcher == "longest_idle" else MAX_CANDIDATES
        self.max_wait = [tt.max_wait_s for tt in s.tasks]
        self.on_time_s = [tt.on_time_s for tt in s.tasks]
        self.l_per_km = np.array([v.profile.fuel_l_per_100km / 100.0 for v in vs])
        self.ev = energy.ev
        self.events = 0
        #: Wall seconds by component (the benchmark's split).
        self.clock = {"draw_s": 0.0, "dispatch_s": 0.0, "task_end_s": 0.0}
        state.on_down.append(self._vehicle_down)
        state.on_up.append(self._vehicle_up)

    # -- processes -----------------------------------------------------------------------
    def start(self) -> None:
        for v in self.state.vehicles:
            self._offer_vehicle(v)
        groups: dict[tuple[float, float], list[Driver]] = {}
        for r in self.drivers:
            groups.setdefault((r.shift_start_h, r.shift_h), []).append(r)
        for (start_h, hours), members in sorted(groups.items()):
            self.env.process(self._shifts(start_h, hours, members))
        self.env.process(self._days())

    def _days(self) -> Any:
        env, s = self.env, self.s
        start = s.start_date
        for day in range(s.days):
            weekday = (start + dt.timedelta(days=day)).weekday()
            t0 = time.perf_counter()
            tasks = draw_day(s, day, self.eligible, weekday, self.rng)
            first = self.log.add_day(tasks)
            self.clock["draw_s"] += time.perf_counter() - t0
            # one timeout per task, all scheduled now (cheaper than resuming this process)
            now, arrive = env.now, self._arrive_cb
            for j, t in enumerate(self.log.release_s[first:]):
                if t >= s.horizon_s:
                    break
                env.timeout(t - now, value=first + j).callbacks.append(arrive)
            if (day + 1) * DAY_S > env.now:
                yield env.timeout((day + 1) * DAY_S - env.now)

    def _shifts(self, start_h: float, hours: float, members: list[Driver]) -> Any:
        env = self.env
        for day in range(self.s.days):
            t0 = day * DAY_S + start_h * 3600.0
            if t0 >= self.s.horizon_s:
                return
            yield env.timeout(t0 - env.now)
            depots = set()
            for r in members:
                if not r.works_on(day):
                    continue
                r.on_shift, r.shift_end_s, r.day_drive_s = True, t0 + hours * 3600.0, 0.0
                r.shifts += 1
                if not r.busy:
                    self._offer_driver(r)
                depots.add(self.depot_ix[r.depot])
            for d in sorted(depots):
                self._serve_queue(d)
            yield env.timeout(hours * 3600.0)
            for r in members:
                if r.on_shift and not r.busy:
                    self._withdraw_driver(r)
                r.on_shift = False

    # -- offering and withdrawing --------------------------------------------------------
    def _offer_vehicle(self, v: Vehicle) -> None:
        i = v.index
        if v.on_task or v.down_reason is not None:
            return
        crew = self.crew.get(i)
        if crew is None:
            self.free[self.v_key[i]][v] = None
            return
        for r in crew:
            if r.on_shift and not r.busy:
                self.ready[self.v_key[i]][v] = r

    def _withdraw_vehicle(self, v: Vehicle) -> None:
        key = self.v_key[v.index]
        self.free[key].pop(v, None)
        self.ready[key].pop(v, None)

    def _offer_driver(self, r: Driver) -> None:
        if r.vehicle is None:
            self.pool[self.d_key[r.index]][r] = None
            return
        v = self.state.vehicles[r.vehicle]
        if not v.on_task and v.down_reason is None:
            self.ready[self.v_key[v.index]][v] = r

    def _withdraw_driver(self, r: Driver) -> None:
        if r.vehicle is None:
            self.pool[self.d_key[r.index]].pop(r, None)
            return
        ready = self.ready[self.v_key[r.vehicle]]
        v = self.state.vehicles[r.vehicle]
        if ready.get(v) is r:
            del ready[v]

    def _vehicle_down(self, v: Vehicle, t_s: float) -> None:
        self._withdraw_vehicle(v)

    def _vehicle_up(self, v: Vehicle, t_s: float) -> None:
        if not v.on_task:
            self._offer_vehicle(v)
            self._serve_queue(self.v_depot[v.index])

    # -- dispatch ------------------------------------------------------------------------
    def _arrive_cb(self, ev: simpy.Event) -> None:
        self._arrive(int(ev.value or 0))

    def _arrive(self, i: int) -> None:
        t0 = time.perf_counter()
        if not self._dispatch(i):
            self.queue[self.log.depot[i]].append(i)
        self.clock["dispatch_s"] += time.perf_counter() - t0

    def _candidates(self, i: int, most: int) -> list[Pair]:
        """Up to ``most`` compatible pairs for task ``i``, longest idle first."""
        log = self.log
        d, t, drive_s, km = log.depot[i], log.ttype[i], log.drive_s[i], log.km[i]
        now, fit, can_drive = self.env.now, self.rules.fit, self.energy.can_drive
        out: list[Pair] = []
        low = False
        pools = self.pool
        for p in self.type_profiles[t]:
            key = (d, p)
            ready = self.ready[key]
            if ready:
                for v, r in islice(ready.items(), MAX_LOOK):
                    f = fit(r, now, drive_s)
                    if f is None:
                        continue
                    if not can_drive(v, km):
                        low = True
                        continue
                    out.append((v, r, f[0], f[1]))
                    if len(out) >= most:
                        return out
            free = self.free[key]
            if not free:
                continue
            for lic in self.holders[p]:
                pool = pools[(d, lic)]
                if not pool:
                    continue
                for r in islice(pool, MAX_LOOK):
                    f = fit(r, now, drive_s)
                    if f is None:
                        continue
                    # the longest idle driver who may drive it, with each vehicle charged
                    # enough (the policy picks the vehicle)
                    for v in islice(free, MAX_LOOK):
                        if not can_drive(v, km):
                            low = True
                            continue
                        out.append((v, r, f[0], f[1]))
                        if len(out) >= most:
                            return out
                    break
        if low and not out:
            log.charge_blocked[i] = 1
        return out

    def _dispatch(self, i: int) -> bool:
        cands = self._candidates(i, self.most)
        if not cands:
            return False
        v, r, breaks, cont_after = pick(self.s.dispatcher, cands, self.energy)
        self._start(i, v, r, breaks, cont_after)
        return True

    def _start(self, i: int, v: Vehicle, r: Driver, breaks: int, cont_after: float) -> None:
        log, now = self.log, self.env.now
        self._withdraw_vehicle(v)
        self._withdraw_driver(r)
        if r.vehicle is not None:  # the other driver of the pair does not see the vehicle
            for other in self.crew[r.vehicle]:
                self._withdraw_driver(other)
        r.busy = True
        v.on_task = True  # state.task_started, inlined (once per task)
        total_s = log.drive_s[i] + breaks * self.rules.break_s
        log.start_s[i], log.end_s[i] = now, now + total_s
        log.vehicle[i], log.driver[i], log.breaks[i] = v.index, r.index, breaks
        log.status[i] = STARTED
        r.cont_drive_s = cont_after
        longest = self.rules.limit_s if breaks else cont_after  # a rest comes at the limit
        if longest > r.max_cont_drive_s:
            r.max_cont_drive_s = longest
        ev = self.env.timeout(total_s, value=i)
        ev.callbacks.append(self._done)

    def _done(self, ev: simpy.Event) -> None:
        t0 = time.perf_counter()
        i = int(ev.value or 0)  # the task index given to the timeout
        log, now = self.log, self.env.now
        self.events += 1
        vi = log.vehicle[i]
        v, r = self.state.vehicles[vi], self.drivers[log.driver[i]]
        drive_s, km = log.drive_s[i], log.km[i]
        # only what decisions need is kept per task; the records come from the task log
        v.odometer_km += km
        v.operating_h += drive_s / 3600.0
        is_ev = self.ev[vi]
        if is_ev:
            self.energy.drive(v, km)
        r.busy = False
        r.day_drive_s += drive_s
        r.last_end_s = now
        self.state.task_ended(v)
        self.hooks.on_task_done(v, now, km, drive_s / 3600.0)
        if v.down_reason is None and not (is_ev and self.energy.after_task(v)):
            self._offer_vehicle(v)
        if r.on_shift and now < r.shift_end_s and r.day_drive_s < self.rules.cap_s:
            self._offer_driver(r)
        if r.vehicle is not None:
            for other in self.crew[r.vehicle]:
                if other is not r and other.on_shift and not other.busy:
                    self._offer_driver(other)
        self.clock["task_end_s"] += time.perf_counter() - t0
        self._serve_queue(self.v_depot[vi])

    def _serve_queue(self, d: int) -> None:
        q = self.queue[d]
        if not q or not self._anyone_at(d):
            return
        t0 = time.perf_counter()
        log, now = self.log, self.env.now
        keep: deque[int] = deque()
        while q:
            i = q.popleft()
            if now - log.release_s[i] > self.max_wait[log.ttype[i]]:
                log.status[i] = LOST
                continue
            if not self._dispatch(i):
                keep.append(i)
        self.queue[d] = keep
        self.clock["dispatch_s"] += time.perf_counter() - t0

    def _anyone_at(self, d: int) -> bool:
        """Whether depot ``d`` has an idle driver on shift (or a ready double-shift pair)."""
        pool, ready = self.pool, self.ready
        return any(pool[(d, lic)] for lic in LICENCE_CLASSES) or \
            any(ready[(d, p)] for p in range(len(self.profiles)))

    # -- end -----------------------------------------------------------------------------
    def close(self, end_s: float) -> None:
        """Tasks still waiting at the end are lost (their wait runs out after the run)."""
        status = np.frombuffer(self.log.status, np.int8)  # a view: written through
        release = np.frombuffer(self.log.release_s, np.float64)
        status[(status == WAITING) & (release < end_s)] = LOST
        del status, release  # release the buffers (an exported array cannot grow)

    def done_mask(self, tasks: dict[str, np.ndarray], end_s: float) -> np.ndarray:
        """Tasks finished before ``end_s`` (the ones the vehicles' odometers count)."""
        return (tasks["status"] == STARTED) & (tasks["end_s"] < end_s)

    def vehicle_arrays(self, tasks: dict[str, np.ndarray], end_s: float
                       ) -> dict[str, np.ndarray]:
        """Per-vehicle km, tasks, busy time and fuel from the tasks finished by ``end_s``."""
        done = self.done_mask(tasks, end_s)
        v, n = tasks["vehicle"][done], len(self.state.vehicles)
        km = np.bincount(v, tasks["km"][done], n)
        busy = np.bincount(v, (tasks["end_s"] - tasks["start_s"])[done], n)
        return {"km": km, "tasks": np.bincount(v, minlength=n).astype(np.int64),
                "busy_s": busy, "fuel_l": km * self.l_per_km}

    def driver_arrays(self, tasks: dict[str, np.ndarray], end_s: float
                      ) -> dict[str, np.ndarray]:
        """Per-driver driving, km, tasks, on-time tasks, rests and the most driven in one
        shift, from the tasks finished by ``end_s``."""
        done = self.done_mask(tasks, end_s)
        d, n = tasks["driver"][done], len(self.drivers)
        drive, start = tasks["drive_s"][done], tasks["start_s"][done]
        on_time = (tasks["start_s"] - tasks["release_s"] <=
                   np.asarray(self.on_time_s)[tasks["ttype"]])[done]
        shift_h = np.array([r.shift_start_h for r in self.drivers])
        shift_day = np.floor((start - shift_h[d] * 3600.0) / DAY_S).astype(np.int64)
        days = int(self.s.days) + 2
        per_shift = np.bincount(d * days + shift_day + 1, drive, n * days).reshape(n, days)
        return {"drive_s": np.bincount(d, drive, n), "km": np.bincount(d, tasks["km"][done], n),
                "tasks": np.bincount(d, minlength=n).astype(np.int64),
                "on_time": np.bincount(d, on_time, n).astype(np.int64),
                "breaks": np.bincount(d, tasks["breaks"][done], n).astype(np.int64),
                "max_day_drive_s": per_shift.max(axis=1) if n else np.zeros(0)}
