"""Drivers as a resource: licence classes, the roster, shifts and driving-time rules.

Licence coverage follows the table of permitted vehicle classes (准驾车型) in the appendix of
the Ministry of Public Security's Order 162, 机动车驾驶证申领和使用规定 (2021): a licence
permits its own class and the classes listed after it. Only the seven car, bus and truck
classes the model uses are kept (C3, C4, D, E, F, M and N are left out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.fleetops.schema import LICENCE_CLASSES, FleetYearScenario

#: Classes each licence permits besides its own (Order 162, appendix).
PERMITS: dict[str, tuple[str, ...]] = {
    "A1": ("A3", "B1", "B2", "C1", "C2"),  # large bus
    "A2": ("B1", "B2", "C1", "C2"),  # tractor-trailer
    "A3": ("C1", "C2"),  # city bus
    "B1": ("C1", "C2"),  # medium bus
    "B2": ("C1", "C2"),  # large truck
    "C1": ("C2",),  # small car, manual
    "C2": (),  # small car, automatic
}


def covers(held: str, needed: str) -> bool:
    """Whether a licence of class ``held`` permits driving a vehicle of class ``needed``."""
    return held == needed or needed in PERMITS[held]


def holders_of(needed: str) -> tuple[str, ...]:
    """The licence classes that permit a vehicle of class ``needed``, most specific first."""
    return tuple(c for c in reversed(LICENCE_CLASSES) if covers(c, needed))


def plan_breaks(cont_s: float, drive_s: float, limit_s: float) -> tuple[int, float]:
    """Rests a driver takes during ``drive_s`` of driving, and continuous driving after it.

    ``cont_s`` is the continuous driving already done (at most ``limit_s``). A rest comes
    whenever continuous driving would go past ``limit_s``; it resets the count. A task that
    ends exactly at the limit needs no rest inside it (the next one starts with one).
    """
    room = limit_s - cont_s
    if drive_s <= room:
        return 0, cont_s + drive_s
    n = math.ceil((drive_s - room) / limit_s)
    return n, drive_s - room - (n - 1) * limit_s


@dataclass(eq=False, slots=True)
class Driver:
    """One driver: roster data and state during the day (the record of the run comes from
    the task log)."""

    index: int
    id: str
    depot: str
    licence: str
    shift_start_h: float
    shift_h: float
    days_per_week: int
    vehicle: int | None = None  # a double-shift driver's vehicle (index), else None
    # state
    on_shift: bool = False
    busy: bool = False
    shift_end_s: float = 0.0
    day_drive_s: float = 0.0
    cont_drive_s: float = 0.0
    last_end_s: float = -math.inf
    shifts: int = 0
    max_cont_drive_s: float = 0.0

    def works_on(self, day: int) -> bool:
        """Rest days rotate by driver so that a group is spread over the week."""
        return (day + self.index) % 7 < self.days_per_week


@dataclass
class Rules:
    limit_s: float
    break_s: float
    cap_s: float

    def fit(self, r: Driver, now_s: float, drive_s: float) -> tuple[int, float] | None:
        """Breaks and continuous driving after the task if ``r`` may drive ``drive_s`` now.

        None when the task would pass the daily cap or the end of the shift.
        """
        if r.day_drive_s + drive_s > self.cap_s:
            return None
        cont = 0.0 if now_s - r.last_end_s >= self.break_s else r.cont_drive_s
        n, after = plan_breaks(cont, drive_s, self.limit_s)
        if now_s + drive_s + n * self.break_s > r.shift_end_s:
            return None
        return n, after


@dataclass
class Roster:
    drivers: list[Driver] = field(default_factory=list)

    def licences_at(self, depot: str) -> set[str]:
        return {r.licence for r in self.drivers if r.depot == depot and r.vehicle is None}


def build_roster(s: FleetYearScenario, plates: list[str], vehicle_depot: list[str],
                 vehicle_profile: list[str]) -> Roster:
    """Pools from the scenario, and two drivers for each vehicle of a double-shift profile
    (ids ``<plate>-A`` and ``<plate>-B``)."""
    out: list[Driver] = []
    for p in s.drivers.pools:
        for k in range(p.count):
            out.append(Driver(len(out), f"{p.depot}-{p.licence}-{k + 1:05d}", p.depot,
                              p.licence, p.shift.start_h, p.shift.hours, p.days_per_week))
    for ds in s.drivers.double_shift:
        for v, (depot, prof) in enumerate(zip(vehicle_depot, vehicle_profile, strict=True)):
            if prof.partition("@")[0] != ds.profile or \
                    (ds.depots is not None and depot not in ds.depots):
                continue
            for j, sh in enumerate(ds.shifts):
                out.append(Driver(len(out), f"{plates[v]}-{'AB'[j]}", depot,
                                  ds.licence, sh.start_h, sh.hours, ds.days_per_week,
                                  vehicle=v))
    return Roster(out)


def rules_of(s: FleetYearScenario) -> Rules:
    d = s.drivers
    return Rules(d.continuous_limit_h * 3600.0, d.break_min * 60.0, d.daily_cap_h * 3600.0)
