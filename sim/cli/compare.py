"""``fleettwin compare``: KPIs of runs side by side, deltas and SLA verdicts (DuckDB)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from sim.cli.tables import render
from sim.errors import FleetTwinError
from sim.results.rundir import is_run_dir, read_json
from sim.results.store import find_runs, kpi_rows


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="compare runs (or scenarios, run first) side by side",
        description="Each argument is a run directory, a folder of runs, or a scenario "
        "(which is run first, with --seed and --set applied, into --out).",
    )
    p.add_argument("items", nargs="+", metavar="RUN_OR_SCENARIO")
    p.add_argument("--seed", type=int)
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="override applied to scenarios given by name")
    p.add_argument("--out", type=Path, default=Path("runs"))
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_compare)


def _resolve(items: list[str], args: argparse.Namespace) -> list[Path]:
    runs: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir() and (is_run_dir(p) or any(is_run_dir(c) for c in p.iterdir())):
            runs += find_runs([p])
            continue
        from sim.engine.loading import load_scenario
        from sim.engine.simulation import run_scenario
        from sim.results.rundir import write_run

        loaded = load_scenario(item, args.overrides)
        result = run_scenario(loaded, seed=args.seed, progress=not args.quiet)
        runs.append(write_run(result, args.out,
                              extra_manifest={"overrides": list(args.overrides)}))
    if not runs:
        raise FleetTwinError("nothing to compare: no run directories found")
    return runs


def delta(base: Any, value: Any) -> str:
    if not isinstance(base, int | float) or not isinstance(value, int | float):
        return ""
    if any(isinstance(x, float) and math.isnan(x) for x in (base, value)):
        return ""
    d = value - base
    if base:
        return f"{d:+.3g} ({d / abs(base):+.1%})"
    return f"{d:+.3g}"


def comparison(runs: list[Path]) -> dict[str, Any]:
    rows = kpi_rows(runs)
    names: list[str] = []
    for r in rows:
        names += [k for k in r if k not in ("run", "path") and k not in names]
    slas = [read_json(r / "sla.json") for r in runs]
    return {"runs": [r["run"] for r in rows], "kpis": names, "rows": rows, "sla": slas}


def cmd_compare(args: argparse.Namespace) -> int:
    runs = _resolve(args.items, args)
    comp = comparison(runs)
    if args.json:
        sys.stdout.write(json.dumps(comp, indent=2, default=str) + "\n")
        return 0
    rows = comp["rows"]
    headers = ["kpi"] + [f"[{i}]" for i in range(len(rows))]
    if len(rows) > 1:
        headers += [f"Δ[{i}]-[0]" for i in range(1, len(rows))]
    table = []
    for k in comp["kpis"]:
        values = [r.get(k) for r in rows]
        line: list[Any] = [k, *values]
        if len(rows) > 1:
            line += [delta(values[0], v) for v in values[1:]]
        table.append(line)
    labels: list[str] = []
    for verdicts in comp["sla"]:
        labels += [v["name"] for v in verdicts if v["name"] not in labels]
    for label in labels:
        line = [f"SLA {label}"]
        for verdicts in comp["sla"]:
            v = next((v for v in verdicts if v["name"] == label), None)
            line.append("-" if v is None else ("PASS" if v["passed"] else "FAIL"))
        line += [""] * (len(headers) - len(line))
        table.append(line)
    out = sys.stdout
    for i, r in enumerate(rows):
        out.write(f"[{i}] {r['path']}\n")
    out.write(render(headers, table) + "\n")
    return 0
