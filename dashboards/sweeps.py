"""Sweep folders: runs grouped by grid point, KPI means with 95% intervals across replications."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from dashboards.data import RunInfo


def point_key(run: RunInfo) -> str:
    """The grid point a run belongs to (its sweep key), or the run's own name."""
    sweep = run.extra.get("sweep")
    if isinstance(sweep, dict) and sweep.get("key") is not None:
        return str(sweep["key"])
    return run.name


def mean_ci(values: list[float], level: float = 0.95) -> dict[str, Any]:
    """Mean and Student-t interval of replication values (no interval for one value)."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], float)
    n = int(x.size)
    if n == 0:
        return {"mean": None, "ci_low": None, "ci_high": None, "n": 0}
    mean = float(x.mean())
    if n < 2:
        return {"mean": mean, "ci_low": None, "ci_high": None, "n": n}
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def by_point(runs: list[RunInfo]) -> dict[str, list[RunInfo]]:
    """Runs grouped by grid point, in first-seen order."""
    out: dict[str, list[RunInfo]] = {}
    for r in runs:
        out.setdefault(point_key(r), []).append(r)
    return out


def point_table(runs: list[RunInfo], kpis: list[str]) -> list[dict[str, Any]]:
    """One row per grid point: replications and ``mean ± half-width`` of each KPI."""
    rows = []
    for key, group in by_point(runs).items():
        row: dict[str, Any] = {"point": key, "replications": len(group)}
        for k in kpis:
            ci = mean_ci([float(r.kpis[k]) for r in group
                          if isinstance(r.kpis.get(k), int | float)])
            if ci["mean"] is None:
                row[k] = ""
            elif ci["ci_low"] is None:
                row[k] = f"{ci['mean']:.4g}"
            else:
                row[k] = f"{ci['mean']:.4g} ± {ci['ci_high'] - ci['mean']:.2g}"
        rows.append(row)
    return rows
