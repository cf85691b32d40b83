"""Cached chart specifications for the Run page (Streamlit).

Building an Altair chart and turning it into a Vega-Lite specification costs a few hundred
milliseconds per chart; the Run page draws several on every rerun (each widget change). The
specifications are cached by run (path and modification stamp), time range and columns, and
handed to ``st.vega_lite_chart`` as plain dicts, so a page shown before is drawn from the cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from dashboards import charts, city
from dashboards.data import RunInfo, read_frame

Window = tuple[float, float] | None
Verdicts = tuple[tuple[tuple[str, Any], ...], ...]


def _verdicts(run: RunInfo) -> Verdicts:
    return tuple(tuple(sorted((k, v) for k, v in d.items() if isinstance(v, str | int | float |
                                                                          bool | None)))
                 for d in run.sla)


@st.cache_data(show_spinner=False, max_entries=64)
def _city_specs(path: str, stamp: int, window: Window, kind: str | None,
                sla: Verdicts) -> dict[str, dict[str, Any]]:
    run = Path(path)
    verdicts = [dict(v) for v in sla]
    by = charts.in_window(city.wait_by_interval(run, 900.0), window)
    per_h = by.assign(**{c: by[c] * 4 for c in ("requests", "served", "abandoned")})
    waits = by.assign(wait_mean_s=by["wait_mean_s"] / 60, wait_p95_s=by["wait_p95_s"] / 60)
    wait_sla = [dict(v, threshold=float(v["threshold"]) / 60) for v in verdicts
                if str(v.get("kpi", "")).startswith("wait") and
                isinstance(v.get("threshold"), int | float)]
    out = {
        "demand": charts.line_chart(per_h, ["requests", "served", "abandoned"],
                                    title="Demand over the day (per hour)", kind=kind,
                                    y_title="requests per hour").to_dict(validate=False),
        "wait": charts.line_chart(waits, ["wait_mean_s", "wait_p95_s"], wait_sla,
                                  title="Wait for pickup by request time", kind=kind,
                                  y_title="wait [min]").to_dict(validate=False),
    }
    fleet = city.fleet_series(run)
    out["fleet"] = charts.fleet_state_chart(charts.in_window(fleet, window)).to_dict(
        validate=False)
    return out


def city_specs(run: RunInfo, window: Window) -> dict[str, dict[str, Any]]:
    """Demand, wait and fleet-state chart specifications of a city run (cached)."""
    return _city_specs(str(run.path), run.mtime_ns, window, run.kind or None, _verdicts(run))


@st.cache_data(show_spinner=False, max_entries=128)
def _series_spec(path: str, stamp: int, name: str, columns: tuple[str, ...], window: Window,
                 kind: str | None, sla: Verdicts) -> dict[str, Any]:
    df = read_frame(Path(path), f"timeseries/{name}.parquet")
    return charts.line_chart(charts.in_window(df, window), list(columns),
                             [dict(v) for v in sla], title=name, kind=kind).to_dict(
        validate=False)


def series_spec(run: RunInfo, name: str, columns: list[str], window: Window) -> dict[str, Any]:
    """A time series chart specification of a run (cached)."""
    return _series_spec(str(run.path), run.mtime_ns, name, tuple(columns), window,
                        run.kind or None, _verdicts(run))
