"""Side by side with Eclipse SUMO: the same taxi case in SUMO and in fleettwin.

SUMO's own tools make the case: ``netgenerate --grid --grid.number 10`` (a 10 x 10 grid of
100 m blocks, 13.89 m/s), ``randomTrips.py --personrides taxi`` (3,000 rides over four hours,
seed 42), and 50 taxis at random edges (written by :func:`sim.sumo.routes.write_routes`).
SUMO runs it with its ``greedy`` taxi dispatch (every 60 s, closest idle taxi by travel time,
riders in order of their reservation); fleettwin reads the same three files
(``world.network: {source: sumo, ...}``) and runs ``nearest_idle`` every 60 s, with SUMO's
stop durations (0 s pickup, 60 s drop-off), no breakdowns and riders who wait as long as SUMO's.

Compared: service rate (rides completed by the end) and the empty share of taxi kilometres,
which must agree within 5 percentage points; and whole-process wall time (each a fresh
process, start-up included), fleettwin at least 10x below SUMO's in the same run. The two
run alternately, ``--rounds`` times (default 3); medians are compared, CPU time (user +
system) too, since wall time on a shared machine measures the other load as much as the run.

What is cached: untimed fleettwin runs first compile the numba kernels into numba's on-disk
cache (as any first run after installing). The timed run computes its travel-time
tables itself (``world.cache_paths: false``): SUMO routes every taxi during its run, so
fleettwin's routing is timed too. A further run with the tables read from the path cache
(as a user's second run of the same network) is reported as ``fleettwin_cached_tables``.

The floor: a fresh process that only imports the libraries this run uses (NumPy, SciPy's
sparse graphs, pydantic, SimPy, pyarrow's Parquet writer and PyYAML; ``nearest_idle`` needs no
compiled kernel, so numba is not loaded), doing nothing else, is timed in the same rounds
(``import_floor``). No run can start faster than that, so
SUMO's time over the floor (``wall_time_ratio_to_import_floor``) bounds the ratio any
implementation on these libraries could reach.

Where they differ, SUMO drives microscopically: taxis accelerate and brake, queue at
junctions and give way, drive at a speed factor drawn per vehicle, and take the junctions'
internal lanes with their real turn lengths (fleettwin adds each junction's mean internal
length to the edges into it and drives at the speed limit).

Skipped, with a message, when the ``sumo`` extra is not installed:
``pip install -e ".[sumo]"``.

Larger cases of the same kind (``--grid``, ``--rides``, ``--taxis``) show how the ratio grows
once the run, not the start-up, dominates.

Run: ``python -m validation.bench_sumo [--rounds N] [--out FILE] [--grid N --rides N --taxis N]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

RIDES = 3000
TAXIS = 50
DEMAND_END_S = 14400.0  # rides requested over four hours
END_S = DEMAND_END_S + 1800.0  # both stop half an hour after the last request


def sumo_home() -> Path | None:
    if importlib.util.find_spec("sumo") is None or importlib.util.find_spec("sumolib") is None:
        return None
    import sumo

    return Path(sumo.SUMO_HOME)


def _tool(home: Path, name: str) -> str:
    found = home / "bin" / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def make_case(home: Path, d: Path, grid: int = 10, n_rides: int = RIDES,
              n_taxis: int = TAXIS) -> dict[str, Path]:
    """The grid, the rides and the taxis, by SUMO's own tools (fixed seeds)."""
    net, rides, taxis = d / "grid.net.xml", d / "rides.rou.xml", d / "taxis.rou.xml"
    subprocess.run([_tool(home, "netgenerate"), "--grid", "--grid.number", str(grid),
                    "--seed", "42", "-o", str(net)], check=True, capture_output=True)
    subprocess.run([sys.executable, str(home / "tools" / "randomTrips.py"), "-n", str(net),
                    "--personrides", "taxi", "-b", "0", "-e", f"{DEMAND_END_S:.0f}",
                    "-p", f"{DEMAND_END_S / n_rides:.4f}", "--seed", "42", "-o", str(rides)],
                   check=True, capture_output=True, cwd=d)  # its routes.rou.xml stays in d
    from sim.sumo.net import read_net
    from sim.sumo.routes import write_routes

    sn = read_net(net, str(d / "case.yaml"), net.name)
    ids = sorted(sn.edges)
    pick = np.random.default_rng(7).integers(0, len(ids), n_taxis)
    write_routes(taxis, [], [(f"taxi{i}", 0.0, ids[k], 0.0) for i, k in enumerate(pick)])
    return {"net": net, "rides": rides, "taxis": taxis}


def run_sumo(home: Path, case: dict[str, Path], d: Path) -> dict[str, Any]:
    out = d / "tripinfo.xml"
    cmd = [_tool(home, "sumo"), "-n", str(case["net"]), "-r",
           f"{case['taxis']},{case['rides']}", "--device.taxi.dispatch-algorithm", "greedy",
           "--tripinfo-output", str(out), "--tripinfo-output.write-unfinished",
           "--no-step-log", "--no-warnings", "--end", f"{END_S:.0f}", "--seed", "42"]
    wall, cpu = _timed(cmd)
    root = ET.parse(out).getroot()
    served = total = 0
    for p in root.iter("personinfo"):
        for ride in p.iter("ride"):
            total += 1
            served += float(ride.get("arrival", "-1")) >= 0
    driven = occupied = 0.0
    for t in root.iter("tripinfo"):
        taxi = t.find("taxi_device/taxi")
        if taxi is None:
            taxi = t.find(".//taxi")
        if taxi is None:
            continue
        driven += float(t.get("routeLength", 0.0))
        occupied += float(taxi.get("occupiedDistance", 0.0))
    return {"wall_s": wall, "cpu_s": cpu, "rides": total, "served": served,
            "service_rate": served / total if total else float("nan"),
            "empty_km_share": 1.0 - occupied / driven if driven else float("nan"),
            "taxi_km": driven / 1000.0}


def run_fleettwin(case: dict[str, Path], d: Path, cache_paths: bool = False,
                  n_taxis: int = TAXIS) -> dict[str, Any]:
    """One fresh ``fleettwin run`` of the case in ``d``; ``cache_paths``: travel tables read
    from (or written to) the path cache instead of computed."""
    scenario = d / "case.yaml"
    scenario.write_text(f"""name: sumo_taxi_grid
kind: city_fleet
description: SUMO's taxi grid case (10 x 10 grid, 50 taxis, 3,000 rides) read from SUMO files
seed: 42
horizon_s: {END_S:.0f}
warmup_s: 0
record_interval_s: 300
world:
  network: {{source: sumo, path: {case['net'].name},
            routes: [{case['rides'].name}, {case['taxis'].name}]}}
  cache_paths: {str(cache_paths).lower()}
fleets:
  taxis:
    count: {n_taxis}
    vehicle_profile: sedan_ice
    terminal_profile: jt808_basic
    vehicle_overrides: {{failure_rate_per_1000h: 0}}
demand:
  patience_s: {END_S:.0f}
  pickup_service_s: 0
  dropoff_service_s: 60
policies:
  dispatch: {{algorithm: nearest_idle, batch_window_s: 60}}
""")
    runs = d / "runs"
    shutil.rmtree(runs / "fleettwin", ignore_errors=True)
    cmd = [sys.executable, "-m", "sim.cli.main", "run", str(scenario), "--quiet", "--out",
           str(runs), "--name", "fleettwin"]
    wall, cpu = _timed(cmd)
    kpis = json.loads((runs / "fleettwin" / "kpis.json").read_text())
    return {"wall_s": wall, "cpu_s": cpu, "rides": kpis["requests"], "served": kpis["served"],
            "service_rate": kpis["service_rate"], "empty_km_share": kpis["deadhead_ratio"]}


FLOOR_IMPORTS = "import numpy, scipy.sparse.csgraph, pydantic, simpy, pyarrow.parquet, yaml"


def run_floor() -> dict[str, Any]:
    """A fresh process importing the run's libraries and nothing else."""
    wall, cpu = _timed([sys.executable, "-c", FLOOR_IMPORTS])
    return {"wall_s": wall, "cpu_s": cpu}


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run's KPIs with the median wall and CPU time, and every run's times."""
    out = dict(runs[0])
    for k in ("wall_s", "cpu_s"):
        out[k] = statistics.median(r[k] for r in runs)
        out[f"rounds_{k}"] = [round(r[k], 3) for r in runs]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3,
                    help="timed runs of each, alternated (default 3); medians compared")
    ap.add_argument("--out", type=Path, help="write the JSON report here too")
    ap.add_argument("--grid", type=int, default=10,
                    help="junctions per side of SUMO's grid (default 10: the issue's case)")
    ap.add_argument("--rides", type=int, default=RIDES, help=f"rides (default {RIDES})")
    ap.add_argument("--taxis", type=int, default=TAXIS, help=f"taxis (default {TAXIS})")
    args = ap.parse_args(argv)
    home = sumo_home()
    if home is None:
        sys.stdout.write("SKIPPED: SUMO is not installed; pip install -e \".[sumo]\" "
                         "(eclipse-sumo and sumolib) to run this comparison\n")
        return 0
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        case = make_case(home, d, args.grid, args.rides, args.taxis)
        # Untimed runs first: numba's kernel cache on disk (as after any first run), then the
        # path cache for the cached-tables run (the timed runs compute their tables).
        (d / "warm").mkdir()
        for f in case.values():
            shutil.copy(f, d / "warm" / f.name)
        run_fleettwin(case, d / "warm", cache_paths=False, n_taxis=args.taxis)
        run_fleettwin(case, d / "warm", cache_paths=True, n_taxis=args.taxis)
        fts, sus, cached, floors = [], [], [], []
        for _ in range(max(1, args.rounds)):
            fts.append(run_fleettwin(case, d, n_taxis=args.taxis))
            sus.append(run_sumo(home, case, d))
            cached.append(run_fleettwin(case, d / "warm", cache_paths=True,
                                        n_taxis=args.taxis))
            floors.append(run_floor())
    same = all(r[k] == fts[0][k] for r in fts for k in ("served", "empty_km_share"))
    ft, su, ftc, floor = _median(fts), _median(sus), _median(cached), _median(floors)
    gaps = {k: abs(ft[k] - su[k]) for k in ("service_rate", "empty_km_share")}
    ratio = su["wall_s"] / ft["wall_s"]
    report = {"sumo": su, "fleettwin": ft, "fleettwin_cached_tables": ftc,
              "gap_points": {k: 100 * v for k, v in gaps.items()},
              "wall_time_ratio": ratio, "cpu_time_ratio": su["cpu_s"] / ft["cpu_s"],
              "wall_time_ratio_cached_tables": su["wall_s"] / ftc["wall_s"],
              "import_floor": floor, "import_floor_modules": FLOOR_IMPORTS,
              "wall_time_ratio_to_import_floor": su["wall_s"] / floor["wall_s"],
              "case": {"grid": args.grid, "rides": args.rides, "taxis": args.taxis},
              "rounds": len(fts), "fleettwin_rounds_identical": same,
              "load_average_1min": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
              "targets": {"gap_points": 5, "wall_time_ratio": 10}}
    text = json.dumps(report, indent=2)
    sys.stdout.write(text + "\n")
    if args.out:
        args.out.write_text(text)
    ok = max(gaps.values()) <= 0.05 and ratio >= 10 and same
    sys.stdout.write(("PASS" if ok else "MISS") + f": service rate {ft['service_rate']:.3f} "
                     f"vs SUMO {su['service_rate']:.3f}, empty km {ft['empty_km_share']:.3f} "
                     f"vs {su['empty_km_share']:.3f}; whole process {ft['wall_s']:.2f} s vs "
                     f"SUMO {su['wall_s']:.1f} s (x{ratio:.1f}; CPU {ft['cpu_s']:.2f} s vs "
                     f"{su['cpu_s']:.1f} s, x{su['cpu_s'] / ft['cpu_s']:.1f}; tables from the "
                     f"path cache {ftc['wall_s']:.2f} s; importing the libraries alone "
                     f"{floor['wall_s']:.2f} s, SUMO x{su['wall_s'] / floor['wall_s']:.1f} "
                     f"of that); median of {len(fts)} rounds, load "
                     f"{load_before[0]:.1f}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
