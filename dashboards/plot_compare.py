"""Comparison figures: distributions overlaid, KPIs with confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dashboards.figures import FAIL_COLOUR, PASS_COLOUR, new_axes


def plot_cdfs(samples: dict[str, np.ndarray], xlabel: str = "wait [min]", scale: float = 1 / 60,
              thresholds: Sequence[tuple[str, float]] = (), ax: Axes | None = None) -> Figure:
    """Empirical CDFs of several samples overlaid (e.g. the waits of compared runs)."""
    fig, ax = new_axes(ax)
    for label, x in samples.items():
        x = np.sort(np.asarray(x, float)[np.isfinite(x)]) * scale
        if x.size == 0:
            continue
        if x.size > 20000:  # the curve is smooth at this resolution: thin it for speed
            idx = np.linspace(0, x.size - 1, 20000).astype(int)
            ax.step(x[idx], (idx + 1) / x.size, where="post", label=label)
        else:
            ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", label=label)
    for label, value in thresholds:
        ax.axvline(value * scale, color="0.3", ls="--", lw=1, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share ≤ x")
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_kpi_ci(labels: Sequence[str], ci: Sequence[dict[str, Any] | None], kpi: str,
                points: Sequence[Sequence[float]] = (), sla: dict[str, Any] | None = None,
                ax: Axes | None = None) -> Figure:
    """One KPI across runs: mean with its 95% interval, replications as dots, SLA line.

    Parameters
    ----------
    labels
        One label per run.
    ci
        Per run the ``kpis_ci.json`` entry ``{mean, ci_low, ci_high, n}`` (None if absent).
    points
        Per run the replication values (may be empty).
    sla
        An SLA verdict on this KPI, drawn as a vertical threshold.
    """
    fig, ax = new_axes(ax, size=(7.0, 0.6 + 0.45 * max(len(labels), 2)))
    y = np.arange(len(labels))[::-1]
    for yi, entry, pts in zip(y, ci, list(points) + [[]] * (len(labels) - len(points)),
                              strict=False):
        if pts:
            ax.scatter(pts, np.full(len(pts), yi) + 0.18, s=10, color="0.55", zorder=2)
        if not entry or entry.get("mean") is None:
            continue
        mean = float(entry["mean"])
        lo, hi = entry.get("ci_low"), entry.get("ci_high")
        if lo is not None and hi is not None:
            ax.errorbar(mean, yi, xerr=[[mean - float(lo)], [float(hi) - mean]], fmt="o",
                        color="#2e6fad", capsize=4, zorder=3)
        else:
            ax.plot(mean, yi, "o", color="#2e6fad", zorder=3)
    if sla and isinstance(sla.get("threshold"), int | float):
        ax.axvline(float(sla["threshold"]), ls="--",
                   color=PASS_COLOUR if sla.get("passed") else FAIL_COLOUR,
                   label=f"SLA {sla.get('op', '')} {sla['threshold']:g}")
        ax.legend(fontsize=8)
    ax.set_yticks(y, labels)
    ax.set_xlabel(kpi)
    ax.set_title(f"{kpi}: mean and 95% confidence interval")
    ax.grid(alpha=0.3, axis="x")
    return fig


def plot_series_overlay(frames: dict[str, Any], column: str, sla: Sequence[dict[str, Any]] = (),
                        ax: Axes | None = None) -> Figure:
    """One time-series column of several runs overlaid (mean over replications)."""
    from dashboards.plot_series import draw_sla, sla_for_column, time_axis

    fig, ax = new_axes(ax)
    for label, df in frames.items():
        if column not in df.columns or "t_s" not in df.columns:
            continue
        mean = df.groupby("t_s")[column].mean()
        t, xlabel = time_axis(mean.index.to_numpy())
        ax.plot(t, mean.to_numpy(), lw=1.3, label=label)
        ax.set_xlabel(xlabel)
    draw_sla(ax, sla_for_column(column, sla))
    ax.set_ylabel(column)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
