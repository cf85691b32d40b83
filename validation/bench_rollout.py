"""Benchmark: the full national rollout year with daily crew plans (target < 5 min, < 4 GB).

Usage::

    python -m validation.bench_rollout            # iptv_rollout_2016: 31 provinces, 366 days
    python -m validation.bench_rollout --quick    # the small test scenario
    python -m validation.bench_rollout --set installation.crew_factor=0.8

Prints wall time and its split (adoption, routing, platform, hotline, economics), peak
memory, the number of daily plans solved, and the wall time as a multiple of a reference
measured in the same run (200 PyVRP solves of one fixed 12-visit day), so figures from a
busy and a quiet machine can be compared. The process's CPU time is printed too: on a shared
machine the wall time is mostly waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario
from sim.rollout.crews import Travel, plan_day

TARGET_S = 300.0
TARGET_MB = 4096.0
SMALL = Path(__file__).resolve().parents[1] / "tests" / "sim" / "rollout" / "data" / \
    "small_rollout.yaml"


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reference_s(solves: int = 200) -> float:
    """Wall time of ``solves`` plans of one fixed team day (12 visits, 4 crews)."""
    rng = np.random.default_rng(12)
    xy = rng.uniform(-20.0, 20.0, (12, 2))
    service = rng.integers(1800, 14400, 12)
    early = np.full(12, 9 * 3600)
    late = 17 * 3600 - service
    t0 = time.perf_counter()
    for k in range(solves):
        plan_day(xy, service, early, late, np.zeros(12), 4, (30600, 63000), Travel(30.0, 1.3),
                 10, k + 1)
    return time.perf_counter() - t0


def bench(scenario: str, overrides: list[str]) -> dict[str, Any]:
    ref = reference_s()
    loaded = load_scenario(scenario, overrides)
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_scenario(loaded, progress=True)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    r = res.replications[0]
    split = {k: round(r.timings.get(k, 0.0), 2) for k in
             ("adoption_s", "routing_s", "platform_s", "hotline_s", "economics_s")}
    split["other_s"] = round(wall - sum(split.values()), 2)
    return {
        "scenario": loaded.scenario.name,
        "overrides": overrides,
        "wall_s": round(wall, 1),
        # CPU time of this process and of the planning workers: what the run costs
        "cpu_s": round(cpu + r.timings.get("routing_worker_cpu_s", 0.0), 1),
        "split_s": split,
        "peak_rss_mb": round(_maxrss_mb(), 0),
        "reference_s": round(ref, 2),
        "wall_over_reference": round(wall / ref, 1),
        "wall_over_target": round(wall / TARGET_S, 3),
        "rss_over_target": round(_maxrss_mb() / TARGET_MB, 3),
        "visits": r.kpis.get("visits"),
        "orders": r.kpis.get("orders"),
        "activated_dec31": r.kpis.get("activated_dec31"),
        "routes_rejected": r.kpis.get("routes_rejected"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the small test scenario")
    ap.add_argument("--set", action="append", default=[], dest="overrides")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    out = bench(str(SMALL) if args.quick else "iptv_rollout_2016", args.overrides)
    for k, v in out.items():
        print(f"{k:20s} {v}")
    ok = out["wall_s"] <= TARGET_S and out["peak_rss_mb"] <= TARGET_MB
    print(f"targets (< {TARGET_S:.0f} s, < {TARGET_MB:.0f} MB): {'met' if ok else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
