"""Checks of the fleet-year operations (dispatch of vehicle-driver pairs) against queueing
closed forms.

One depot, ``c`` vehicles each with a driver on a 16 h shift whose rules never bind (no
daily cap, no rest), Poisson tasks released over 12 h of each day with exponential driving
times: the pairs are ``c`` servers. With ``max_wait_s: 0`` a task that finds every pair busy
is lost, which is Erlang's loss system (B formula); with a long ``max_wait_s`` tasks queue
first come first served, an M/M/c queue (C formula and its mean wait). The system starts
empty each morning; the 12 h window is long against the 10 min mean task, so the morning
transient moves the figures by less than the tolerance.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from validation.analytic import erlang_b, mmc
from validation.registry import CheckResult, register_check

PAIRS = 5
MEAN_S = 600.0
#: Offered load of the loss check and of the queue check (lighter: at 80% utilisation an
#: M/M/c queue takes hours to forget the empty morning, at 60% tens of minutes).
ERLANGS_B = 4.0
ERLANGS_C = 3.0
WINDOW_H = 12.0
ABS_TOL = {"blocking": 0.02, "wait_prob": 0.04, "wait_mean_s": 15.0}


def _scenario(max_wait_s: float, erlangs: float, seed: int, months: int) -> dict[str, Any]:
    per_day = erlangs / MEAN_S * WINDOW_H * 3600.0
    return {
        "name": "erlang_depot", "kind": "fleet_year", "seed": seed, "start_date": "2026-01-05",
        "months": months, "register_csv": "register.csv",
        "depots": [{"id": "d", "x_km": 0, "y_km": 0}],
        "drivers": {"continuous_limit_h": 24, "daily_cap_h": 24, "pools": [
            {"depot": "d", "count": PAIRS, "licence": "C1",
             "shift": {"start_h": 6, "hours": 16}, "days_per_week": 7}]},
        "tasks": [{"id": "job", "profiles": ["sedan_ice"], "per_day": per_day, "start_h": 8,
                   "end_h": 8 + WINDOW_H, "duration_s": {"family": "exponential",
                                                         "mean": MEAN_S},
                   "speed_kmh": 30, "max_wait_s": max_wait_s, "on_time_s": 0}],
        "record_tasks": False,
    }


def simulate(max_wait_s: float, erlangs: float, seeds: list[int], months: int
             ) -> dict[str, np.ndarray]:
    """KPIs of the Erlang depot over ``seeds``; one array per KPI."""
    from sim.engine.loading import load_scenario_data
    from sim.engine.simulation import run_scenario
    from sim.fleetops.register import write_register

    out: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="erlang-depot-") as tmp:
        write_register(Path(tmp) / "register.csv", [
            {"plate": f"TEST{k}", "profile": "sedan_ice", "purchase_date": "2025-01-01",
             "depot": "d"} for k in range(PAIRS)])
        for seed in seeds:
            loaded = load_scenario_data(_scenario(max_wait_s, erlangs, seed, months),
                                        str(Path(tmp) / "erlang.yaml"))
            k = run_scenario(loaded).kpis
            waited = 1.0 - k["on_time_rate"]  # on_time_s 0: on time = started on release
            for name, value in (("blocking", k["tasks_lost"] / k["tasks"]),
                                ("wait_prob", waited), ("wait_mean_s", k["wait_mean_s"]),
                                ("tasks", k["tasks"])):
                out.setdefault(name, []).append(value)
    return {n: np.array(v) for n, v in out.items()}


def _result(name: str, expected: float, sims: np.ndarray, tol: float, tasks: float
            ) -> CheckResult:
    mean = float(sims.mean())
    half = 1.96 * float(sims.std(ddof=1)) / math.sqrt(sims.size) if sims.size > 1 else 0.0
    return CheckResult(name, round(expected, 4), round(mean, 4), f"±{tol:g} (abs)",
                       abs(mean - expected) <= tol,
                       f"{sims.size} runs, {tasks:,.0f} tasks; 95% CI ±{half:.3g}")


@register_check("fleetyear.erlang_b", "fleetops")
def check_loss(full: bool) -> list[CheckResult]:
    """Fleet-year depot with no waiting (tasks lost when every pair is busy) vs Erlang B."""
    seeds = list(range(1, 5 if full else 3))
    sims = simulate(0.0, ERLANGS_B, seeds, 2 if full else 1)
    return [_result(f"fleetyear.erlang_b c={PAIRS} A={ERLANGS_B:g} lost share",
                    erlang_b(PAIRS, ERLANGS_B), sims["blocking"], ABS_TOL["blocking"],
                    float(sims["tasks"].sum()))]


@register_check("fleetyear.erlang_c", "fleetops")
def check_queue(full: bool) -> list[CheckResult]:
    """Fleet-year depot with a first-come-first-served queue vs M/M/c (Erlang C)."""
    seeds = list(range(11, 15 if full else 13))
    sims = simulate(86400.0, ERLANGS_C, seeds, 2 if full else 1)
    q = mmc(ERLANGS_C / MEAN_S, MEAN_S, PAIRS)
    tasks = float(sims["tasks"].sum())
    return [
        _result(f"fleetyear.erlang_c c={PAIRS} A={ERLANGS_C:g} wait probability", q.wait_prob,
                sims["wait_prob"], ABS_TOL["wait_prob"], tasks),
        _result(f"fleetyear.erlang_c c={PAIRS} A={ERLANGS_C:g} mean wait (s)", q.wait_mean_s,
                sims["wait_mean_s"], ABS_TOL["wait_mean_s"], tasks),
    ]
