"""``fleettwin sweep``: a scenario over a grid of field values x replications, on Dask."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from sim.cli.checks import int_in, replications_type, seed_type, writable_dir
from sim.cli.tables import fmt, render
from sim.errors import FleetTwinError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a scenario over a grid of values x replications (Dask)",
        description="One run directory per grid point x replication under --out; a "
        "restarted sweep skips finished runs. Replication r of every point uses the "
        "scenario seed and index r, so results are identical on one worker or many. "
        "`fleettwin compare OUT` and DuckDB queries work over the folder.",
    )
    p.add_argument("scenario", help="scenario file or shipped name")
    p.add_argument("--grid", action="append", default=[], metavar="PATH=V1,V2,...",
                   help="a field and its values, e.g. --grid agents=20,22,24 (repeatable; "
                   "the grid is the product of all)")
    p.add_argument("--replications", type=replications_type,
                   help="per grid point (default: scenario's)")
    p.add_argument("--seed", type=seed_type, help="root seed (default: the scenario's)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="override applied to every grid point")
    p.add_argument("--out", type=Path, help="sweep folder (default: runs/sweep-SCENARIO)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (workers must "
                   "share the --out folder)")
    p.add_argument("--workers", type=int_in(0, 1024, "a number of workers"),
                   help="local cluster worker processes (default: CPU count); 0 = run in "
                   "this process without Dask")
    p.add_argument("--kpi", action="append", default=[],
                   help="KPI to show in the summary (repeatable; default: SLA KPIs and a few)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the grid and list the runs (done or to do) without running")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.engine.loading import load_scenario_data
    from sim.sweep.grid import build_plan
    from sim.sweep.runner import run_sweep, write_json_atomic
    from sim.sweep.summary import summarise

    if not args.grid:
        raise FleetTwinError("sweep: give at least one --grid PATH=V1,V2,...")
    plan = build_plan(args.scenario, args.grid, args.replications, args.seed, args.overrides)
    out = args.out or Path("runs") / f"sweep-{plan.scenario}"
    if args.dry_run:
        from sim.results.rundir import is_run_dir

        specs = plan.runs()
        done = sum(is_run_dir(out / s.name) for s in specs)
        for s in specs:
            mark = "done" if is_run_dir(out / s.name) else "todo"
            sys.stdout.write(f"{mark}  {plan.points[s.point].label:40s}  {out / s.name}\n")
        sys.stdout.write(f"{len(plan.points)} grid points x {plan.replications} replications: "
                         f"{len(specs)} runs, {done} done, {len(specs) - done} to do\n")
        return 0
    writable_dir(out)  # before the work, not after it
    outcome = run_sweep(plan, out, workers=args.workers, scheduler=args.scheduler,
                        progress=not args.quiet)
    summary = summarise(plan, out)
    write_json_atomic(out / "summary.json", {"scenario": plan.scenario, "points": summary})
    model = load_scenario_data(plan.points[0].raw, plan.source)
    kpis = args.kpi or _default_kpis(model)
    unknown = [k for k in kpis if k not in model.model.kpis]
    if unknown:
        raise FleetTwinError(f"--kpi {', '.join(unknown)}: unknown KPI for {model.model.kind} "
                             f"(known: {', '.join(model.model.kpis)})")
    if args.json:
        doc = {"out": str(out), "ran": len(outcome.ran), "skipped": len(outcome.skipped),
               "failed": outcome.failed, "wall_s": outcome.wall_s, "points": summary}
        sys.stdout.write(json.dumps(doc, indent=2, default=_json_default) + "\n")
    else:
        _print(out, outcome, summary, kpis, plan.replications)
    if outcome.failed:
        for name, err in outcome.failed.items():
            sys.stderr.write(f"fleettwin: run {name} failed: {err}\n")
        return 1
    return 0


def _default_kpis(loaded: Any) -> list[str]:
    names = [s.kpi for s in loaded.scenario.slas]
    for k in loaded.model.kpis:
        if len(names) >= 4:
            break
        if k not in names:
            names.append(k)
    return list(dict.fromkeys(names))


def _cell(stats: dict[str, Any] | None) -> str:
    if not stats or stats["mean"] is None or (isinstance(stats["mean"], float)
                                              and math.isnan(stats["mean"])):
        return "-"
    if stats.get("ci_low") is None:
        return fmt(stats["mean"])
    return f"{fmt(stats['mean'])} [{fmt(stats['ci_low'])}, {fmt(stats['ci_high'])}]"


def _print(out: Path, outcome: Any, summary: list[dict[str, Any]], kpis: list[str],
           reps: int) -> None:
    w = sys.stdout
    w.write(f"sweep: {out}  ({len(outcome.ran)} run, {len(outcome.skipped)} already done, "
            f"{len(outcome.failed)} failed, {outcome.wall_s:.1f} s)\n")
    headers = ["grid point", "n"] + kpis
    rows = [[p["label"], f"{p['n']}/{reps}"] + [_cell(p["kpis"].get(k)) for k in kpis]
            for p in summary]
    w.write(render(headers, rows) + "\n")
    w.write("values: mean [95% interval] over replications (Wilson for rates, log scale for "
            "non-negative quantities)\n")


def _json_default(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else str(value)
