"""``fleettwin compare``: KPIs of runs side by side, deltas and SLA verdicts (DuckDB).

KPIs are labelled and formatted by the KPI catalogue (:mod:`sim.results.catalogue`); the last
column keeps each KPI's field name for scripts, and ``--json`` prints the raw values.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from sim.cli.tables import render
from sim.errors import FleetTwinError
from sim.results.catalogue import entry
from sim.results.rundir import is_run_dir, read_json


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
    from sim.results.store import find_runs  # DuckDB: only when runs are compared

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


def delta(base: Any, value: Any, kpi: str = "", kind: str | None = None) -> str:
    """``value - base`` in the KPI's own unit, with the relative change when base is not 0."""
    if not isinstance(base, int | float) or not isinstance(value, int | float):
        return ""
    if any(isinstance(x, float) and not math.isfinite(x) for x in (base, value)):
        return ""
    d = value - base
    shown = entry(kpi, kind).show_delta(base, value) if kpi else f"{d:+.3g}"
    if base:
        return f"{shown} ({d / abs(base):+.1%})"
    return shown


def verdict_word(v: dict[str, Any]) -> str:
    """PASS, FAIL or UNCERTAIN (runs before the interval verdicts only say passed)."""
    word = str(v.get("verdict") or "").upper()
    if word in ("PASS", "FAIL", "UNCERTAIN"):
        return word
    return "PASS" if v.get("passed") else "FAIL"


def _kind(run: Path) -> str | None:
    try:
        manifest = read_json(run / "manifest.json")
    except FleetTwinError:
        return None
    return str(manifest.get("kind")) if isinstance(manifest, dict) and manifest.get("kind") \
        else None


def kpi_table(kpis: dict[str, Any], ci: dict[str, Any] | None, kind: str | None) -> str:
    """One run's KPIs as a table in the catalogue's words and formats (``fleettwin run``)."""
    rows = []
    for k, v in kpis.items():
        e = entry(k, kind)
        c = (ci or {}).get(k) or {}
        interval = (f"[{e.show(c['ci_low'])}, {e.show(c['ci_high'])}]"
                    if c.get("ci_low") is not None and c.get("ci_high") is not None else "")
        rows.append([k, e.title(zh=False), e.show(v), interval])
    return render(["field", "KPI", "value", "95% interval"], rows)


def comparison(runs: list[Path]) -> dict[str, Any]:
    from sim.results.store import kpi_rows, sla_verdicts

    rows = kpi_rows(runs)
    names: list[str] = []
    for r in rows:
        names += [k for k in r if k not in ("run", "path") and k not in names]
    slas = [sla_verdicts(r) for r in runs]
    kind = _kind(runs[0]) if runs else None
    catalogue = {k: {"label": entry(k, kind).title(), "unit": entry(k, kind).unit,
                     "better": entry(k, kind).better} for k in names}
    out = {"runs": [r["run"] for r in rows], "kpis": names, "rows": rows, "sla": slas,
           "kind": kind, "catalogue": catalogue}
    if kind == "fleet_year":
        from sim.fleetops.appraisal import appraise_runs

        out["economics"] = appraise_runs(runs)
    return out


def economics_table(appraisals: list[dict[str, Any]]) -> str:
    """Savings, ROI, payback, cost-benefit, NPV and IRR of each run against run [0]."""
    from sim.fleetops.appraisal import FIGURES, show_figure

    headers = ["vs [0]"] + [f"[{a['run']}]" for a in appraisals]
    table = [[label, *[show_figure(name, fmt, a.get(name)) for a in appraisals]]
             for name, label, fmt in FIGURES]
    return render(headers, table)


def cmd_compare(args: argparse.Namespace) -> int:
    runs = _resolve(args.items, args)
    comp = comparison(runs)
    if args.json:
        sys.stdout.write(json.dumps(comp, indent=2, default=str) + "\n")
        return 0
    rows = comp["rows"]
    kind = comp["kind"]
    headers = ["KPI"] + [f"[{i}]" for i in range(len(rows))]
    if len(rows) > 1:
        headers += [f"Δ[{i}]-[0]" for i in range(1, len(rows))]
    headers.append("field")
    table = []
    for k in comp["kpis"]:
        e = entry(k, kind)
        values = [r.get(k) for r in rows]
        # English only: the table renderer pads by characters, and CJK ones are two columns wide.
        line: list[Any] = [e.title(zh=False), *[e.show(v) for v in values]]
        if len(rows) > 1:
            line += [delta(values[0], v, k, kind) for v in values[1:]]
        line.append(k)
        table.append(line)
    labels: list[str] = []
    for verdicts in comp["sla"]:
        labels += [v["name"] for v in verdicts if v["name"] not in labels]
    for label in labels:
        line = [f"SLA {label}"]
        for verdicts in comp["sla"]:
            v = next((v for v in verdicts if v["name"] == label), None)
            line.append("-" if v is None else verdict_word(v))
        line += [""] * (len(headers) - len(line))
        table.append(line)
    out = sys.stdout
    for i, r in enumerate(rows):
        out.write(f"[{i}] {r['path']}\n")
    out.write(render(headers, table) + "\n")
    if comp.get("economics"):
        out.write("\nEconomics against the baseline [0] (monthly costs, discounted yearly "
                  f"at {comp['economics'][0]['discount_rate_yearly']:.0%}):\n")
        out.write(economics_table(comp["economics"]) + "\n")
    return 0
