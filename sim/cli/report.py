"""``fleettwin report RUN_DIR``: write a run's PNG figures into RUN_DIR/plots."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import RunError
from sim.results.rundir import is_run_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a run's figures as PNG files into RUN_DIR/plots")
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    run = args.run_dir
    if not is_run_dir(run):
        raise RunError(f"{run}: not a run directory (no manifest.json)")
    from dashboards.report import write_report  # matplotlib only when reporting

    paths = write_report(run)
    if not paths:
        sys.stderr.write(f"{run}: nothing to plot (no time series or tables)\n")
        return 1
    for p in paths:
        sys.stdout.write(f"{p}\n")
    return 0
