"""``fleettwin report RUN [RUN...]``: a run's PNG figures, or one HTML report to hand on.

Without ``--html`` each run's figures are written as PNG files into ``RUN/plots``. With
``--html`` one self-contained HTML file covers every run given (verdict, KPI table with units,
key charts and, for several runs, the comparison), and a PDF beside it where headless
Chromium is installed (``--no-pdf`` skips it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import FleetTwinError, RunError
from sim.results.rundir import is_run_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="a run's figures as PNG files, or an HTML report of runs",
                       description="Write each run's figures as PNG files into RUN/plots, or "
                       "with --html one self-contained HTML report of every run given.")
    p.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN")
    p.add_argument("--html", action="store_true",
                   help="write one self-contained HTML report (and a PDF where possible)")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="the HTML file (default: RUN/report.html for one run, else "
                   "./report.html)")
    p.add_argument("--no-pdf", action="store_true", help="no PDF beside the HTML file")
    p.set_defaults(func=cmd_report)


def _check(runs: list[Path]) -> None:
    for run in runs:
        if not is_run_dir(run):
            raise RunError(f"{run}: not a run directory (no manifest.json)")


def _html(args: argparse.Namespace) -> int:
    from dashboards.report_html import build_html, load_runs, to_pdf

    runs = load_runs(args.run_dirs)
    out: Path = args.out or (args.run_dirs[0] / "report.html" if len(runs) == 1
                             else Path("report.html"))
    if out.exists() and out.is_dir():
        raise FleetTwinError(f"--out {out}: is a folder; give a file name")
    if not out.parent.is_dir():
        raise FleetTwinError(f"--out {out}: folder {out.parent} does not exist")
    text = build_html(runs)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise FleetTwinError(f"--out {out}: cannot write ({exc.strerror})") from None
    sys.stdout.write(f"{out}\n")
    if not args.no_pdf:
        pdf = to_pdf(out, out.with_suffix(".pdf"))
        if pdf is not None:
            sys.stdout.write(f"{pdf}\n")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    _check(args.run_dirs)
    if args.html:
        return _html(args)
    if args.out is not None:
        raise FleetTwinError("--out applies to --html reports only")
    from dashboards.report import write_report  # matplotlib only when reporting

    code = 0
    for run in args.run_dirs:
        paths = write_report(run)
        if not paths:
            sys.stderr.write(f"{run}: nothing to plot (no time series or tables)\n")
            code = 1
        for p in paths:
            sys.stdout.write(f"{p}\n")
    return code
