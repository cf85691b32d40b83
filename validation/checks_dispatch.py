"""Dispatch checks on routing benchmark instances with best-known solutions.

- ``dispatch.offline_reference``: PyVRP on the static instances lands within 2% of the
  best-known distance with at most one vehicle more than the best-known solution.
- ``dispatch.engine_replay``: the online engine, given PyVRP's static plan and every customer
  released at time zero, reproduces the plan's distance and vehicles with nothing late.
- ``dispatch.online``: every registered dispatcher serves the instances online (tasks
  revealed ahead of their windows); its solution is re-verified independently and its
  vehicles and distance are reported against the best-known static solution.
"""

from __future__ import annotations

from functools import lru_cache

from sim.dispatch import DISPATCHERS, get_dispatcher
from validation.dynamic_vrp.instances import load_instance
from validation.dynamic_vrp.offline import OfflineResult, solve_offline
from validation.dynamic_vrp.online import ReleaseRule, run_online
from validation.dynamic_vrp.replay import PlanDispatcher
from validation.dynamic_vrp.verify import static_stops, verify_routes
from validation.registry import CheckResult, register_check

#: Instances per mode and the PyVRP time budget per instance (s).
OFFLINE = {False: (["c1_2_1", "lc101"], 2.0), True: (["c1_2_1", "rc1_2_1", "lc101"], 15.0)}
ONLINE = {False: ["c1_2_1", "lc101"], True: ["c1_2_1", "rc1_2_1", "lc101"]}
DISTANCE_TOL = 0.02
MIN_SERVED = 0.8


@lru_cache(maxsize=16)
def offline(name: str, runtime_s: float) -> OfflineResult:
    """PyVRP's solution of a shipped instance (cached per process)."""
    return solve_offline(load_instance(name), runtime_s)


@register_check("dispatch.offline_reference", "dispatch")
def check_offline(full: bool) -> list[CheckResult]:
    """PyVRP within 2% of the best-known distance, at most best-known vehicles + 1."""
    names, runtime = OFFLINE[full]
    out = []
    for name in names:
        inst = load_instance(name)
        res = offline(name, runtime)
        verdict = verify_routes(inst, [static_stops(inst, r) for r in res.routes])
        sound = res.feasible and verdict.ok and verdict.late == 0 and \
            verdict.served == inst.task_nodes()[0].size
        detail = f"{res.runtime_s:.1f} s PyVRP; routes re-verified: " + \
            ("ok" if sound else "; ".join(verdict.problems[:3]) or "infeasible/late/unserved")
        out.append(CheckResult(
            f"{name} offline distance (PyVRP)", round(inst.best_distance, 4),
            round(res.distance, 4), f"<= best-known +{DISTANCE_TOL:.0%}",
            sound and res.distance <= inst.best_distance * (1 + DISTANCE_TOL),
            f"gap {res.distance_gap:+.2%}; {detail}"))
        out.append(CheckResult(
            f"{name} offline vehicles (PyVRP)", inst.best_vehicles, res.vehicles,
            "<= best-known + 1", sound and res.vehicles <= inst.best_vehicles + 1,
            f"best-known {inst.best_vehicles} vehicles / {inst.best_distance:.2f}"))
    return out


@register_check("dispatch.engine_replay", "dispatch")
def check_replay(full: bool) -> list[CheckResult]:
    """The online engine replays a static VRPTW plan exactly (distance, vehicles, no lateness)."""
    name = "c1_2_1"
    inst = load_instance(name)
    plan = offline(name, OFFLINE[full][1])
    origin, _ = inst.task_nodes()
    task_of = {int(n): k for k, n in enumerate(origin)}
    plans = [[task_of[n] for n in route] for route in plan.routes]
    res = run_online(inst, PlanDispatcher(plans), ReleaseRule(lead_fraction=1.0))
    k = res.kpis
    ok = abs(k["distance"] - plan.distance) <= 1e-6 * plan.distance and \
        k["vehicles_used"] == plan.vehicles and k["late"] == 0 and k["missed"] == 0
    return [CheckResult(f"{name} online replay of the PyVRP plan: distance",
                        round(plan.distance, 6), round(k["distance"], 6), "rel 1e-6", ok,
                        f"vehicles {k['vehicles_used']:.0f} vs {plan.vehicles}, "
                        f"late {k['late']:.0f}, missed {k['missed']:.0f}")]


@register_check("dispatch.online", "dispatch")
def check_online(full: bool) -> list[CheckResult]:
    """Each registered dispatcher online vs the best-known static solution."""
    out = []
    for name in ONLINE[full]:
        inst = load_instance(name)
        for disp_name in sorted(DISPATCHERS):
            res = run_online(inst, get_dispatcher(disp_name), ReleaseRule())
            k = res.kpis
            verdict = verify_routes(inst, res.routes, single_load=True)
            agree = abs(verdict.distance - k["distance"]) <= 1e-6 * max(1.0, k["distance"]) \
                and verdict.vehicles == k["vehicles_used"] and verdict.served == k["served"] \
                and verdict.late == k["late"]
            passed = verdict.ok and agree and k["served_rate"] >= MIN_SERVED
            why = "" if verdict.ok else "; ".join(verdict.problems[:3])
            if not agree:
                why += " engine counters disagree with the re-verified routes"
            out.append(CheckResult(
                f"{name} online {disp_name}: vehicles / distance",
                f"{inst.best_vehicles} / {inst.best_distance:.1f}",
                f"{k['vehicles_used']:.0f} / {k['distance']:.1f}",
                f"verified, served >= {MIN_SERVED:.0%}", passed,
                f"distance {k['distance_gap']:+.0%} vs best-known, served "
                f"{k['served_rate']:.1%}, late {k['late']:.0f}, reloads {k['reloads']:.0f}"
                + (f"; {why}" if why else "")))
    return out
