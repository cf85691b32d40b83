"""Independent check of a served instance: recompute distance, loads, windows and coverage
from the vehicles' stop lists alone, without trusting the engine's counters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from validation.dynamic_vrp.instances import Instance
from validation.dynamic_vrp.online import Stop

_TOL = 1e-6


@dataclass
class Verdict:
    distance: float
    vehicles: int
    served: int
    late: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_routes(inst: Instance, routes: Sequence[Sequence[Stop]],
                  single_load: bool = False) -> Verdict:
    """Recompute the solution's figures from its routes and list every rule it breaks.

    Each route starts and ends at the depot. Times must be physically possible (arrive no
    earlier than the previous stop's end plus the travel time), service must start no earlier
    than the window opens and last the service time; a start after the due time is *late*.
    VRPTW loads between depot visits must fit the capacity; in PDPTW every delivery follows
    its pickup on the same vehicle, the load on board never exceeds the capacity, and with
    ``single_load`` a vehicle carries one task at a time.
    """
    origin, dest = inst.task_nodes()
    task_of = {int(n): k for k, n in enumerate(origin)}
    n_tasks = origin.size
    seen_origin = np.zeros(n_tasks, dtype=np.int64)
    seen_dest = np.zeros(n_tasks, dtype=np.int64)
    late_task = np.zeros(n_tasks, dtype=bool)
    problems: list[str] = []
    distance, vehicles = 0.0, 0
    for v, route in enumerate(routes):
        if not route:
            continue
        vehicles += 1
        prev, t_prev, load = 0, 0.0, 0
        carrying: set[int] = set()
        for s in route:
            leg = float(inst.dist[prev, s.node])
            distance += leg
            if s.arrive < t_prev + leg * (1 - _TOL) - _TOL:
                problems.append(f"vehicle {v}: reaches node {s.node} at {s.arrive:.3f}, "
                                f"before it can ({t_prev + leg:.3f})")
            if s.kind == "reposition":  # an empty move: travel only
                prev, t_prev = s.node, s.end
                continue
            if s.kind == "reload":
                if s.node != 0:
                    problems.append(f"vehicle {v}: reload away from the depot (node {s.node})")
                load, prev, t_prev = 0, 0, s.end
                continue
            if s.start < max(s.arrive, inst.ready[s.node]) - _TOL:
                problems.append(f"vehicle {v}: starts node {s.node} at {s.start:.3f}, before "
                                f"arrival or window")
            if abs(s.end - s.start - inst.service[s.node]) > _TOL * max(1.0, s.end):
                problems.append(f"vehicle {v}: service at node {s.node} lasts "
                                f"{s.end - s.start:.3f}, not {inst.service[s.node]}")
            k = _task(inst, task_of, s)
            if k is None:
                problems.append(f"vehicle {v}: node {s.node} is not a {s.kind} node")
                prev, t_prev = s.node, s.end
                continue
            if s.start > inst.due[s.node] + _TOL:
                late_task[k] = True
            if s.kind == "delivery":
                seen_dest[k] += 1
                if k not in carrying:
                    problems.append(f"vehicle {v}: delivers task {k} it did not pick up")
                carrying.discard(k)
                load -= int(inst.demand[s.node])
            else:
                seen_origin[k] += 1
                load += int(inst.demand[s.node])
                if inst.kind == "pdptw":
                    if single_load and carrying:
                        problems.append(f"vehicle {v}: picks up task {k} while carrying "
                                        f"{sorted(carrying)}")
                    carrying.add(k)
                if load > inst.capacity:
                    problems.append(f"vehicle {v}: load {load} over capacity {inst.capacity}")
            prev, t_prev = s.node, s.end
        distance += float(inst.dist[prev, 0])
        if carrying:
            problems.append(f"vehicle {v}: ends carrying tasks {sorted(carrying)}")
    if np.any(seen_origin > 1):
        problems.append(f"tasks served twice: {np.flatnonzero(seen_origin > 1)[:10].tolist()}")
    served = seen_origin >= 1
    if inst.kind == "pdptw":
        served &= seen_dest >= 1
    return Verdict(distance, vehicles, int(served.sum()), int((late_task & served).sum()),
                   problems)


def _task(inst: Instance, task_of: dict[int, int], s: Stop) -> int | None:
    if s.kind == "delivery":
        pick = np.flatnonzero(inst.delivery_of == s.node)
        return task_of.get(int(pick[0])) if pick.size else None
    return task_of.get(s.node)


def static_stops(inst: Instance, seq: Sequence[int]) -> list[Stop]:
    """The earliest schedule of one static route (node ids, depot excluded): leave the depot
    when it opens, drive, wait for each window, serve."""
    stops: list[Stop] = []
    prev, t = 0, float(inst.ready[0])
    pickups = set(np.flatnonzero(inst.delivery_of > 0).tolist())
    for node in seq:
        arrive = t + float(inst.dist[prev, node])
        start = max(arrive, float(inst.ready[node]))
        end = start + float(inst.service[node])
        if inst.kind == "vrptw":
            kind = "service"
        else:
            kind = "pickup" if node in pickups else "delivery"
        stops.append(Stop(int(node), kind, -1, arrive, start, end))
        prev, t = node, end
    return stops
