"""Time series of any run kind, with the SLA thresholds that apply to a column drawn on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dashboards.figures import FAIL_COLOUR, PASS_COLOUR, new_axes

#: Columns that index a series rather than measure something.
INDEX_COLUMNS = ("t_s", "replication", "window", "t0_s", "t1_s")


def key_column(df: pd.DataFrame) -> str | None:
    """The key of a long-format series (several rows per time, e.g. ``channel``), or None."""
    if "t_s" not in df.columns or df.empty:
        return None
    idx = ["t_s", "replication"] if "replication" in df.columns else ["t_s"]
    if not df.duplicated(idx).any():
        return None
    for c in df.columns:
        if c in idx or pd.api.types.is_float_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            continue
        if not df.duplicated([*idx, c]).any():
            return str(c)
    return None


def numeric_columns(df: pd.DataFrame) -> list[str]:
    """Measured numeric columns of a series (time, replication and a long-format key left out)."""
    key = key_column(df)
    return [c for c in df.columns
            if c not in INDEX_COLUMNS and c != key and pd.api.types.is_numeric_dtype(df[c])
            and not pd.api.types.is_bool_dtype(df[c])]


def _stem_unit(name: str) -> tuple[str, str]:
    parts = name.split("_")
    return parts[0], parts[-1] if len(parts) > 1 else ""


def sla_for_column(column: str, sla: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """SLA verdicts whose KPI is this column, or shares its first word and unit suffix.

    ``wait_p95_s`` applies to the column ``wait_p95_s`` and is drawn on ``wait_mean_s`` too
    (same quantity, same unit); ``service_rate`` on ``service_rate`` only.
    """
    stem, unit = _stem_unit(column)
    out = []
    for v in sla:
        kpi = str(v.get("kpi", ""))
        if not isinstance(v.get("threshold"), int | float):
            continue
        if kpi == column:
            out.append(v)
        elif unit and "_" in kpi and _stem_unit(kpi) == (stem, unit) and kpi.count("_") > 1:
            out.append(v)
    return out


def time_axis(t_s: np.ndarray) -> tuple[np.ndarray, str]:
    """Times in hours for spans over two hours, minutes otherwise, with the label."""
    t = np.asarray(t_s, float)
    span = float(np.nanmax(t) - np.nanmin(t)) if t.size else 0.0
    if span > 7200:
        return t / 3600.0, "time [h]"
    if span > 120:
        return t / 60.0, "time [min]"
    return t, "time [s]"


def draw_sla(ax: Axes, verdicts: Sequence[dict[str, Any]], scale: float = 1.0) -> None:
    """Horizontal threshold lines, green for a passed SLA and red for a failed one."""
    for v in verdicts:
        colour = PASS_COLOUR if v.get("passed") else FAIL_COLOUR
        label = "SLA " + (v.get("name") or f"{v.get('kpi')} {v.get('op', '')} {v['threshold']:g}")
        label += " (pass)" if v.get("passed") else " (fail)"
        ax.axhline(float(v["threshold"]) * scale, color=colour, ls="--", lw=1.2, label=label)


def plot_series(df: pd.DataFrame, columns: Sequence[str], sla: Sequence[dict[str, Any]] = (),
                title: str = "", ylabel: str = "", top: int = 8,
                ax: Axes | None = None) -> Figure:
    """Columns of a time series against ``t_s``; several replications as mean and range.

    Parameters
    ----------
    df
        Rows with ``t_s`` (seconds), the columns and optionally ``replication``.
    columns
        The columns to draw on one axes.
    sla
        The run's SLA verdicts; those matching a column (:func:`sla_for_column`) are drawn.
    top
        For a long-format series (several rows per time, see :func:`key_column`): one line
        per key for the ``top`` keys with the highest mean of the first column.
    """
    fig, ax = new_axes(ax)
    if "t_s" not in df.columns or df.empty:
        ax.text(0.5, 0.5, "no data", ha="center", transform=ax.transAxes)
        return fig
    t, xlabel = time_axis(df["t_s"].to_numpy())
    df = df.assign(_t=t)
    drawn: list[dict[str, Any]] = []
    key = key_column(df)
    if key is not None and columns:
        col = columns[0]
        best = df.groupby(key)[col].mean().sort_values(ascending=False).head(top).index
        for k in best:
            mean = df[df[key] == k].groupby("_t")[col].mean()
            ax.plot(mean.index, mean.to_numpy(), lw=1.2, label=f"{key} {k}")
        drawn = sla_for_column(col, sla)
        columns = []
        ylabel = ylabel or col
    for col in columns:
        if col not in df.columns:
            continue
        g = df.groupby("_t")[col]
        mean = g.mean()
        (line,) = ax.plot(mean.index, mean.to_numpy(), lw=1.4, label=col)
        if "replication" in df.columns and df["replication"].nunique() > 1:
            ax.fill_between(mean.index, g.min().to_numpy(), g.max().to_numpy(),
                            color=line.get_color(), alpha=0.2, lw=0)
        drawn += [v for v in sla_for_column(col, sla) if v not in drawn]
    draw_sla(ax, drawn)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or (columns[0] if len(columns) == 1 else "value"))
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig
