"""``fleettwin run``: run a scenario and write a run directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.checks import (
    free_run_dir,
    name_type,
    replications_type,
    seed_type,
    writable_dir,
)
from sim.cli.defaults import DEFAULT_RUNS_DIR, DEFAULT_SCENARIO


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a scenario and write a run directory")
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"scenario file or shipped name (default: {DEFAULT_SCENARIO})")
    add_run_options(p)
    p.add_argument("--name", type=name_type,
                   help="run directory name (default: scenario-time-seed-hash)")
    p.add_argument("--plots", action="store_true", help="also write PNG plots into RUN/plots")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run, holds_gc=True)  # until the scenario is loaded


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=seed_type, help="root seed (default: the scenario's)")
    p.add_argument("--out", type=Path, default=DEFAULT_RUNS_DIR,
                   help="folder for run directories (default: ./runs)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a scenario field by dotted path, e.g. "
                   "--set policies.dispatch.algorithm=batch_matching (repeatable)")
    p.add_argument("--replications", type=replications_type,
                   help="override the scenario's replications (1 to 1000)")


def cmd_run(args: argparse.Namespace) -> int:
    from sim.cli.main import start_up_done
    from sim.engine.loading import load_scenario
    from sim.results.rundir import write_run

    loaded = load_scenario(args.scenario, args.overrides)
    start_up_done()  # the models' modules and the scenario are loaded: the work starts
    writable_dir(args.out)  # before the work, not after it
    free_run_dir(args.out, args.name)
    result = run_scenario(loaded, seed=args.seed, replications=args.replications,
                          progress=not args.quiet)
    run_dir = write_run(result, args.out, name=args.name,
                        extra_manifest={"overrides": list(args.overrides)})
    if args.plots:  # from the written run directory: the core never imports the views
        from dashboards.report import write_report

        write_report(run_dir)
    print_result(result, run_dir)
    return 0


def run_scenario(*args: Any, **kwargs: Any) -> Any:
    """:func:`sim.engine.simulation.run_scenario`, imported when a run starts."""
    from sim.engine.simulation import run_scenario as run

    return run(*args, **kwargs)


def sla_line(v: dict[str, Any]) -> str:
    """``PASS  name  (value 312.1, 95% CI [290, 334])``; UNCERTAIN when the interval straddles."""
    mark = v.get("verdict") or ("PASS" if v.get("passed") else "FAIL")
    val = "n/a" if v.get("value") is None else f"{v['value']:.4g}"
    if v.get("ci_low") is not None and v.get("ci_high") is not None:
        val += f", 95% CI [{v['ci_low']:.4g}, {v['ci_high']:.4g}]"
    return f"{mark:9s} {v['name']}  (value {val})"


def print_result(result, run_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from sim.cli.compare import kpi_table  # KPIs in the catalogue's words and units

    out = sys.stdout
    out.write(f"run: {run_dir}\n")
    out.write(kpi_table(result.kpis, result.kpis_ci, result.loaded.model.kind) + "\n")
    if result.sla:
        out.write("SLA:\n")
        for v in result.sla:
            out.write(f"  {sla_line(v)}\n")
    out.write(f"wall time {result.wall_s:.1f} s\n")
