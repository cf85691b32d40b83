"""Means and range-respecting 95% intervals per grid point over a sweep's run directories (DuckDB)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.engine.intervals import kpi_interval
from sim.results.store import kpi_rows
from sim.sweep.grid import SweepPlan


def summarise(plan: SweepPlan, out_dir: str | Path) -> list[dict[str, Any]]:
    """One entry per grid point: its overrides, run count and KPI mean / 95% interval.

    Reads ``kpis.json`` of every finished run of the plan through DuckDB; runs not (yet)
    written are left out and show in ``n``.
    """
    out = Path(out_dir)
    specs = [s for s in plan.runs() if (out / s.name / "kpis.json").is_file()]
    rows = {r["run"]: r for r in kpi_rows([out / s.name for s in specs])}
    summary = []
    for point in plan.points:
        mine = [rows[s.name] for s in specs if s.point == point.index and s.name in rows]
        names: list[str] = []
        for r in mine:
            names += [k for k in r if k not in ("run", "path") and k not in names]
        kpis: dict[str, dict[str, Any]] = {}
        for k in names:
            values = np.array([_num(r.get(k)) for r in mine], float)
            kpis[k] = kpi_interval(k, values).as_dict()
        summary.append({"point": point.index, "label": point.label,
                        "overrides": dict(point.overrides), "n": len(mine), "kpis": kpis})
    return summary


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")
