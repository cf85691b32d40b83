"""Daily visit plans of an installer team: a vehicle routing problem with time windows.

A team is a few crews sharing a depot in one city district. Each working morning the team's
oldest outstanding visits (about ``plan_factor`` times the crews' working time) are planned
by PyVRP: every visit optional, with a prize that grows with its age so old work goes first,
service inside the customer's window and crews back at the depot by the end of the shift.
Routes PyVRP returns are re-timed here (earliest start) and checked against every window;
a route that breaks one is not used (its visits stay in the backlog).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyvrp import Client, Depot, Location, ProblemData, VehicleType
from pyvrp import solve as pyvrp_solve
from pyvrp.stop import MaxIterations

#: Prize of a visit in metres of driving (it is always worth a long detour), per day of age.
PRIZE_M = 1_000_000
AGE_PRIZE_M = 100_000


@dataclass(frozen=True)
class Travel:
    kmh: float
    detour: float

    def matrices(self, xy_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integer metres and seconds between every pair of points (road = detour x line)."""
        d = np.hypot(xy_km[:, None, 0] - xy_km[None, :, 0], xy_km[:, None, 1] - xy_km[None, :, 1])
        metres = np.rint(d * self.detour * 1000.0).astype(np.int64)
        seconds = np.rint(metres / (self.kmh / 3.6)).astype(np.int64)
        return metres, seconds


@dataclass
class Stop:
    visit: int  # index into the candidates handed to plan_day
    start_s: int  # service start, seconds of the day
    end_s: int


def retime(seq: list[int], secs: np.ndarray, service_s: np.ndarray, early_s: np.ndarray,
           late_s: np.ndarray, shift: tuple[int, int]) -> tuple[list[Stop], int, list[str]]:
    """Earliest-start schedule of a route (depot = point 0, visit ``i`` = point ``i + 1``).

    Returns the stops, the return time to the depot and every broken rule found (a start
    before the window opens or after its latest start, or a return after the shift).
    """
    t = shift[0]
    here = 0
    stops: list[Stop] = []
    broken: list[str] = []
    for v in seq:
        t += int(secs[here, v + 1])
        start = max(t, int(early_s[v]))
        if start > late_s[v]:
            broken.append(f"visit {v} starts at {start} s, latest start {int(late_s[v])} s")
        t = start + int(service_s[v])
        stops.append(Stop(v, start, t))
        here = v + 1
    back = t + int(secs[here, 0])
    if back > shift[1]:
        broken.append(f"back at the depot at {back} s, shift ends {shift[1]} s")
    return stops, back, broken


@dataclass
class DayPlan:
    routes: list[list[Stop]]
    busy_s: int  # crew time from leaving the depot to coming back, all routes
    rejected_routes: int  # routes PyVRP returned that broke a window (not used)
    cpu_s: float = 0.0  # CPU time of the plan in the process that made it


def plan_day(xy_km: np.ndarray, service_s: np.ndarray, early_s: np.ndarray,
             late_s: np.ndarray, age_days: np.ndarray, crews: int, shift: tuple[int, int],
             travel: Travel, iterations: int, seed: int) -> DayPlan:
    """Plan one team's day; ``xy_km`` are the candidates' positions (depot at the origin).

    ``early_s``/``late_s`` bound each visit's service start (seconds of the day): the late
    bound is the window's end minus the service time, so the visit also ends inside it.
    """
    n = service_s.size
    if n == 0 or crews == 0:
        return DayPlan([], 0, 0)
    pts = np.vstack([[0.0, 0.0], xy_km])
    metres, secs = travel.matrices(pts)
    locations = [Location(x=int(round(x * 1000)), y=int(round(y * 1000))) for x, y in pts]
    clients = [Client(location=i + 1, service_duration=int(service_s[i]),
                      tw_early=int(early_s[i]), tw_late=int(max(early_s[i], late_s[i])),
                      prize=int(PRIZE_M + AGE_PRIZE_M * age_days[i]), required=False)
               for i in range(n)]
    data = ProblemData(
        locations, clients, [Depot(0, tw_early=shift[0], tw_late=shift[1])],
        [VehicleType(num_available=crews, tw_early=shift[0], tw_late=shift[1],
                     shift_duration=shift[1] - shift[0])],
        [metres], [secs])  # type: ignore[list-item]
    res = pyvrp_solve(data, stop=MaxIterations(iterations), seed=seed, display=False,
                      collect_stats=False)
    routes: list[list[Stop]] = []
    busy = 0
    rejected = 0
    for route in res.best.routes():
        seq = [act.idx for act in route if act.is_client()]
        if not seq:
            continue
        stops, back, broken = retime(seq, secs, service_s, early_s, late_s, shift)
        if broken or route.has_time_warp():
            rejected += 1
            continue
        routes.append(stops)
        busy += back - shift[0]
    return DayPlan(routes, busy, rejected)


def solve_job(args: tuple[Any, ...]) -> DayPlan:
    """:func:`plan_day` on a tuple of its arguments (what a worker process is handed)."""
    t0 = time.process_time()
    plan = plan_day(*args)
    plan.cpu_s = time.process_time() - t0
    return plan
