"""PNG report of one run, written into ``RUN/plots/`` (``fleettwin run --plots``, ``fleettwin report``).

City fleet runs get demand and waits over the day, the fleet state over time and a map of
pickups and deadhead on the road network. Every run also gets one figure per time series file
(a panel per measured column, SLA thresholds drawn), so a kind this module does not know is
still reported.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from dashboards import city
from dashboards.data import files_of, read_frame, read_run_json
from dashboards.figures import save_png
from dashboards.plot_city import plot_city_map, plot_demand, plot_fleet_state, plot_wait
from dashboards.plot_series import numeric_columns, plot_series, sla_for_column
from sim.errors import RunError
from sim.results.catalogue import label

log = logging.getLogger(__name__)

#: At most this many columns of one time series file are drawn (one panel each).
MAX_PANELS = 16


def _sla(run_dir: Path) -> list[dict[str, Any]]:
    try:
        data = read_run_json(run_dir, "sla.json")
    except RunError:
        return []
    return [v for v in data if isinstance(v, dict)] if isinstance(data, list) else []


def series_figure(run_dir: Path, name: str, sla: list[dict[str, Any]]) -> Figure:
    """All measured columns of ``timeseries/NAME.parquet``, one panel each."""
    df = read_frame(run_dir, f"timeseries/{name}.parquet")
    cols = numeric_columns(df)
    # Columns an SLA applies to first, so they are never among those left out.
    cols = sorted(cols, key=lambda c: not sla_for_column(c, sla))[:MAX_PANELS]
    if not cols:
        raise RunError(f"timeseries/{name}.parquet: no numeric columns")
    ncols = 2 if len(cols) > 1 else 1
    nrows = -(-len(cols) // ncols)
    fig = Figure(figsize=(6.0 * ncols, 2.6 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, col in zip(axes, cols, strict=False):
        plot_series(df, [col], sla, title=label(col), ax=ax)
    for ax in axes[len(cols):]:
        ax.axis("off")
    fig.suptitle(f"{run_dir.name}: {name}")
    return fig


def city_figures(run_dir: Path, sla: list[dict[str, Any]]) -> dict[str, Callable[[], Figure]]:
    """The city figures by file name, each made on demand."""
    figs: dict[str, Callable[[], Figure]] = {}
    if "requests" in files_of(run_dir, "tables"):
        by_h = city.wait_by_interval(run_dir, 3600.0)
        figs["demand.png"] = lambda: plot_demand(by_h, 3600.0)
        figs["wait.png"] = lambda: plot_wait(by_h, sla)
    if "fleet" in files_of(run_dir, "timeseries"):
        figs["fleet_state.png"] = lambda: plot_fleet_state(city.fleet_series(run_dir))
    if city.has_city_tables(run_dir):
        figs["map.png"] = lambda: plot_city_map(city.city_map(run_dir))
    return figs


def write_report(run_dir: Path) -> list[Path]:
    """Write the run's figures as PNG files into ``run_dir/plots``; return their paths.

    A figure whose data is missing or unreadable is skipped with a logged warning; the
    others are still written.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: not a run directory")
    out = run_dir / "plots"
    sla = _sla(run_dir)
    makers: dict[str, Callable[[], Figure]] = {}
    try:
        makers.update(city_figures(run_dir, sla))
    except RunError as exc:
        log.warning("city figures skipped: %s", exc)
    for name in files_of(run_dir, "timeseries"):
        makers[f"series_{name}.png"] = functools.partial(series_figure, run_dir, name, sla)
    written = []
    for fname, make in makers.items():
        try:
            fig = make()
        except (RunError, KeyError, ValueError) as exc:
            log.warning("%s skipped: %s", fname, exc)
            continue
        written.append(save_png(fig, out / fname))
    return written
