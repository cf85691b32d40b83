"""Savings of fleet-year runs against a baseline run, read from their run folders.

Each fleet-year run folder holds ``tables/costs_monthly.parquet`` (one row a month and
replication). The baseline is the first run (e.g. the fleet without the telematics
platform: more vehicles, more empty running, more breakdowns); every other run is
appraised against it with :func:`sim.fleetops.economics.appraise_against` at the run's own
``economics.discount_rate_yearly``. ``fleettwin compare`` prints the result and the
dashboard's Compare page shows it with the cumulative saving by month.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import yaml

from sim.fleetops.economics import COST_COLUMNS, appraise_against

TABLE = Path("tables") / "costs_monthly.parquet"
DEFAULT_RATE = 0.08

#: Saving by cost line (seed 002: fewer vehicles bought, less empty running, fewer repairs).
SAVING_LINES: tuple[tuple[str, str], ...] = tuple(
    (f"saving_{c}", f"  of which {c.removesuffix('_cny')}") for c in COST_COLUMNS)

#: What each appraisal figure is, for tables (name, label, format of the catalogue).
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("saving_cny", "Saving against the baseline", "yuan"),
    *((name, label, "yuan") for name, label in SAVING_LINES),
    ("investment_cny", "Investment (platform above the baseline)", "yuan"),
    ("return_cny", "Return (other costs avoided)", "yuan"),
    ("roi", "ROI ((return - investment) / investment)", "ratio"),
    ("payback_month", "Payback month", "number"),
    ("cost_benefit", "Cost-benefit ratio (PV return / PV investment)", "ratio"),
    ("npv_cny", "NPV", "yuan"),
    ("irr_yearly", "IRR (yearly)", "percent"),
)


#: Above this yearly IRR the number says only "paid back within weeks": shown as a bound.
IRR_SHOWN_MAX = 10.0


def show_figure(name: str, fmt: str, value: Any) -> str:
    """An appraisal figure for a table (catalogue formats; a huge IRR as a bound)."""
    from sim.results.catalogue import format_as

    if name == "irr_yearly" and isinstance(value, float) and value > IRR_SHOWN_MAX:
        return f"> {IRR_SHOWN_MAX:.0%}"
    return format_as(fmt, value)


def monthly_costs(run: Path) -> dict[str, np.ndarray] | None:
    """A run's cost columns by month (mean over replications); None without the table."""
    path = Path(run) / TABLE
    if not path.is_file():
        return None
    table = pq.read_table(path).to_pandas()
    numeric = table.select_dtypes("number").drop(columns=["replication"], errors="ignore")
    by_month = numeric.groupby("month", sort=True).mean()
    return {c: by_month[c].to_numpy(float) for c in by_month.columns}


def discount_rate(run: Path) -> float:
    try:
        data = yaml.safe_load((Path(run) / "scenario.yaml").read_text(encoding="utf-8"))
        return float(data["economics"]["discount_rate_yearly"])
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError):
        return DEFAULT_RATE


def appraise_runs(runs: list[Path]) -> list[dict[str, Any]]:
    """One appraisal per run after the first, against the first; [] if not fleet-year runs."""
    if len(runs) < 2:
        return []
    base = monthly_costs(runs[0])
    if base is None:
        return []
    out: list[dict[str, Any]] = []
    for i, run in enumerate(runs[1:], start=1):
        costs = monthly_costs(run)
        if costs is None:
            continue
        rate = discount_rate(run)
        row: dict[str, Any] = {"run": i, "path": str(run), "discount_rate_yearly": rate}
        row.update(appraise_against(base, costs, rate))
        months = int(row["months"])
        for c in COST_COLUMNS:
            row[f"saving_{c}"] = float(np.sum(base[c][:months] - costs[c][:months]))
        row["cumulative_saving_cny"] = list(np.cumsum(base["total_cny"][:months]
                                                      - costs["total_cny"][:months]))
        out.append(row)
    return out
