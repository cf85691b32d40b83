"""Benchmark: a year of a large company and taxi fleet (kind ``fleet_year``).

2,000 vehicles (700 double-shifted electric taxis at 4 taxi bases; 200 electric and 400
petrol company cars and 700 diesel vans at 10 depots), 2,400 drivers (1,400 in taxi pairs, 1,000 in depot
pools), 12 months, about 5 tasks per vehicle a day (~3.6 M tasks), 20 workshops (6 dealer
4S stores, 14 independent) and 100 charging stations. Target: under 5 min wall and under
4 GB peak memory on this machine.

Reports wall and CPU time (the machine is shared: CPU time is what the run itself used),
the split by component (register and set-up, task drawing, dispatch, task ends, health
hooks, charging, the rest of the SimPy loop, KPIs and tables), tasks and events per second,
and peak memory. The reference measured in the same run is a bare SimPy loop of one
timeout per task (the least any one-event-per-task model costs); the model's wall time is
reported as a multiple of it.

Run: ``python -m validation.bench_fleet_year [--months N] [--scale F] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import simpy

DEPOTS = 10  # company depots (vans, company cars, their driver pools)
TAXI_DEPOTS = 4  # taxi bases (double-shifted electric taxis)
STATIONS = 100
WORKSHOPS = 20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def fleet(scale: float = 1.0) -> list[tuple[str, int, str]]:
    """(profile, count, role) of the benchmark fleet."""
    return [("sedan_ev", round(700 * scale), "taxi"), ("sedan_ev", round(200 * scale), "pool"),
            ("sedan_ice", round(400 * scale), "pool"), ("van_diesel", round(700 * scale), "pool")]


def write_world(folder: Path, months: int = 12, scale: float = 1.0, seed: int = 17
                ) -> Path:
    """The register CSV and the scenario YAML of the benchmark; returns the scenario path."""
    import yaml

    from sim.fleetops.register import write_register

    rng = np.random.default_rng(seed)
    depots = [{"id": f"depot{k:02d}", "x_km": float(x), "y_km": float(y)}
              for k, (x, y) in enumerate(rng.uniform(-15, 15, (DEPOTS, 2)))]
    bases = [{"id": f"taxi{k}", "x_km": float(x), "y_km": float(y)}
             for k, (x, y) in enumerate(rng.uniform(-10, 10, (TAXI_DEPOTS, 2)))]
    rows: list[dict[str, Any]] = []
    taxi_depots = [d["id"] for d in bases]
    for profile, count, role in fleet(scale):
        for _ in range(count):
            k = len(rows)
            depot = taxi_depots[k % TAXI_DEPOTS] if role == "taxi" else \
                depots[k % DEPOTS]["id"]
            bought = 2020 + int(rng.integers(0, 6))
            rows.append({
                "plate": f"{'粤B' if role == 'taxi' else '京A'}{k:05d}{'D' if 'ev' in profile else ''}",
                "profile": profile, "purchase_date": f"{bought}-{1 + k % 12:02d}-15",
                "odometer_km": round(float(rng.uniform(0, 60_000) * (2026 - bought)), 1),
                "warranty_end": f"{bought + 3}-{1 + k % 12:02d}-14", "depot": depot,
                "role": role})
    write_register(folder / "register.csv", rows)
    per_depot_pool = round(100 * scale)
    shift_a, shift_b = {"start_h": 6, "hours": 10}, {"start_h": 15, "hours": 10}
    pools = [{"depot": d["id"], "count": per_depot_pool // 2, "licence": "C1",
              "shift": sh, "days_per_week": 6}
             for d in depots for sh in (shift_a, shift_b)]
    stations = [{"id": f"charge{k:03d}", "x_km": float(x), "y_km": float(y),
                 "chargers": int(rng.integers(4, 9)), "power_kw": float(rng.choice([60, 120]))}
                for k, (x, y) in enumerate(rng.uniform(-15, 15, (STATIONS, 2)))]
    workshops = [{"id": f"{'dealer' if k < 6 else 'garage'}{k:02d}",
                  "kind": "4s" if k < 6 else "independent",
                  "x_km": float(x), "y_km": float(y), "bays": int(rng.integers(3, 7))}
                 for k, (x, y) in enumerate(rng.uniform(-15, 15, (WORKSHOPS, 2)))]
    scenario = {
        "name": "bench_fleet_year", "kind": "fleet_year", "seed": seed,
        "start_date": "2026-01-01", "months": months, "register_csv": "register.csv",
        "record_tasks": False, "depots": depots + bases,
        "drivers": {"pools": pools, "double_shift": [
            {"profile": "sedan_ev", "depots": taxi_depots, "licence": "C1",
             "shifts": [shift_a, shift_b], "days_per_week": 6}]},
        "tasks": [
            {"id": "ride", "profiles": ["sedan_ev"], "per_vehicle_day": 5, "start_h": 6,
             "end_h": 24, "duration_s": {"family": "lognormal", "median": 1500, "sigma": 0.5},
             "speed_kmh": 28, "max_wait_s": 1200, "on_time_s": 600},
            {"id": "delivery", "profiles": ["van_diesel"], "per_vehicle_day": 5, "start_h": 7,
             "end_h": 20, "duration_s": {"family": "lognormal", "median": 3000, "sigma": 0.4},
             "speed_kmh": 25, "max_wait_s": 3600, "on_time_s": 1800},
            {"id": "errand", "profiles": ["sedan_ice"], "per_vehicle_day": 5,
             "start_h": 7, "end_h": 21, "duration_s": {"family": "lognormal", "median": 2100,
                                                       "sigma": 0.5},
             "speed_kmh": 30, "max_wait_s": 1800, "on_time_s": 900},
        ],
        "charging": {"stations": stations, "policy": "threshold", "charge_below": 0.3},
        "workshops": workshops,
    }
    path = folder / "bench_fleet_year.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def bare_simpy(n: int, seed: int = 1) -> float:
    """Wall seconds of a SimPy loop doing ``n`` timeouts with a callback each (reference)."""
    env = simpy.Environment()
    delays = np.random.default_rng(seed).exponential(1800.0, n).tolist()
    done = [0]

    def end(_: simpy.Event) -> None:
        done[0] += 1

    def release() -> Any:
        for d in delays:
            yield env.timeout(1.0)
            env.timeout(d).callbacks.append(end)

    t0 = time.perf_counter()
    env.process(release())
    env.run()
    return time.perf_counter() - t0


def run(months: int = 12, scale: float = 1.0) -> dict[str, Any]:
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import Simulation

    with tempfile.TemporaryDirectory(prefix="bench-fleet-year-") as tmp:
        path = write_world(Path(tmp), months, scale)
        w0, c0 = time.perf_counter(), cpu_s()
        loaded = load_scenario(path)
        load_s = time.perf_counter() - w0
        sim = Simulation(loaded)
        rep = sim.run(_progress(loaded.scenario.horizon_s))
        wall, cpu = time.perf_counter() - w0, cpu_s() - c0
    k, t = rep.kpis, rep.timings
    tasks = k["tasks"]
    split = {"load_and_check_s": load_s, **{n: v for n, v in t.items() if n != "simulate_s"}}
    split["simpy_loop_other_s"] = t["simulate_s"] - sum(
        t.get(n, 0.0) for n in ("draw_s", "dispatch_s", "task_end_s", "health_s",
                                "charging_s"))
    ref_s = bare_simpy(int(tasks))
    return {
        "vehicles": len(rep.tables["vehicles"]), "drivers": len(rep.tables["drivers"]),
        "months": months, "tasks": tasks, "tasks_served": k["tasks_served"],
        "charging_sessions": k["charging_sessions"],
        "breakdowns": k.get("breakdowns"), "workshop_visits": k.get("workshop_visits"),
        "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak_rss_mb(),
        "tasks_per_s": tasks / t["simulate_s"], "split_s": split,
        "reference_bare_simpy_s": ref_s, "wall_over_reference": wall / ref_s,
        "kpis": {n: k[n] for n in ("service_rate", "on_time_rate", "availability",
                                    "utilisation", "energy_kwh", "fuel_l",
                                    "charger_utilisation", "tasks_refused_charge")},
        "targets": {"wall_s": 300.0, "peak_rss_mb": 4096.0},
        "passed": bool(wall < 300.0 and peak_rss_mb() < 4096.0),
    }


def _progress(total_s: float) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    bar = tqdm(total=total_s / 86400.0, unit="day", desc="fleet year", file=sys.stderr)

    class _Days:
        def update(self, dt_s: float) -> None:
            bar.update(dt_s / 86400.0)

    return _Days()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--scale", type=float, default=1.0, help="fleet and roster size factor")
    ap.add_argument("--out", type=Path, help="write the figures as JSON here")
    a = ap.parse_args(argv)
    out = run(a.months, a.scale)
    text = json.dumps(out, indent=2, ensure_ascii=False)
    sys.stdout.write(text + "\n")
    if a.out:
        a.out.write_text(text + "\n", encoding="utf-8")
    return 0 if out["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
