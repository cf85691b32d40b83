"""Calibration figures: data in, matplotlib figure out (no pyplot state, Agg canvas).

Profile fits: histogram with fitted densities, Q–Q plot, Kaplan–Meier curve against the fitted
survival functions. Behaviours: Zipf rank–frequency plot and hourly demand rates. Each
function takes the data, the fitted laws (frozen ``scipy.stats`` distributions) and an
optional ``ax``, and returns the figure; :func:`write_profile_plots` writes the PNG set that
``fleettwin calibrate`` stores with a new profile version.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.calibration.survival import kaplan_meier

Fit = tuple[str, Any]  # (label, frozen scipy distribution)


def _axes(ax: Axes | None, size: tuple[float, float] = (6.4, 4.2)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _label(unit: str, what: str = "value") -> str:
    return f"{what} [{unit}]" if unit else what


def plot_fit_histogram(values: np.ndarray, censored: np.ndarray | None, fits: Sequence[Fit],
                       chosen: str | None = None, unit: str = "", title: str = "",
                       ax: Axes | None = None) -> Figure:
    """Histogram of the observed values with the fitted densities overlaid.

    With censoring the histogram holds the observed failures only, and the densities are
    scaled by the fraction they represent, so shapes remain comparable.
    """
    fig, ax = _axes(ax)
    x = np.asarray(values, float)
    cens = np.zeros(x.size, bool) if censored is None else np.asarray(censored, bool)
    obs = x[~cens]
    frac = obs.size / x.size
    ax.hist(obs, bins="auto", density=True, alpha=0.35, color="0.4",
            label="measured" + (" failures (censored excluded)" if cens.any() else ""))
    hi = np.quantile(x, 0.995)
    grid = np.linspace(max(x.min() * 0.5, 1e-12), hi * 1.05, 400)
    for label, law in fits:
        ax.plot(grid, law.pdf(grid) * (frac if cens.any() else 1.0),
                lw=2.4 if label == chosen else 1.2, label=label + (" (chosen)" if
                                                                   label == chosen else ""))
    if cens.any():
        # Observed failures follow f(t) P(C > t) / P(observed), not f: say so on the figure.
        ax.text(0.98, 0.98, "densities scaled by the observed fraction;\n"
                "see the survival plot for censored data", transform=ax.transAxes,
                ha="right", va="top", fontsize=8)
    ax.set_xlabel(_label(unit))
    ax.set_ylabel("density")
    ax.set_title(title or "measured values and fitted densities")
    ax.legend(fontsize=8, loc="center right")
    return fig


def plot_qq(values: np.ndarray, censored: np.ndarray | None, law: Any, label: str = "",
            unit: str = "", ax: Axes | None = None) -> Figure:
    """Q–Q plot: fitted quantiles against measured ones (Kaplan–Meier ranks if censored)."""
    fig, ax = _axes(ax, (4.8, 4.6))
    x = np.asarray(values, float)
    cens = np.zeros(x.size, bool) if censored is None else np.asarray(censored, bool)
    km = kaplan_meier(x, cens)
    # Plotting position: midpoint of the KM CDF step at each failure (Hazen for no censoring).
    after = 1.0 - km.surv
    before = np.concatenate([[0.0], after[:-1]])
    p = np.clip((after + before) / 2.0, 1e-6, 1 - 1e-6)
    q = law.ppf(p)
    ax.plot(q, km.times, ".", ms=3, color="C0")
    lim = [min(q.min(), km.times.min()), max(q.max(), km.times.max())]
    ax.plot(lim, lim, "k--", lw=1)
    ax.set_xlabel(_label(unit, f"fitted {label} quantile"))
    ax.set_ylabel(_label(unit, "measured quantile"))
    ax.set_title("Q–Q plot" + (" (Kaplan–Meier)" if cens.any() else ""))
    return fig


def plot_survival(values: np.ndarray, censored: np.ndarray | None, fits: Sequence[Fit],
                  chosen: str | None = None, unit: str = "", ax: Axes | None = None) -> Figure:
    """Kaplan–Meier survival with a 95 % Greenwood band against fitted survival functions."""
    fig, ax = _axes(ax)
    x = np.asarray(values, float)
    cens = np.zeros(x.size, bool) if censored is None else np.asarray(censored, bool)
    km = kaplan_meier(x, cens)
    t = np.concatenate([[0.0], km.times])
    s = np.concatenate([[1.0], km.surv])
    se = np.sqrt(np.concatenate([[0.0], km.var]))
    ax.step(t, s, where="post", color="k", lw=1.5, label="Kaplan–Meier")
    ax.fill_between(t, np.clip(s - 1.96 * se, 0, 1), np.clip(s + 1.96 * se, 0, 1), step="post",
                    color="0.7", alpha=0.5, label="95% band")
    if cens.any():
        ct = x[cens]
        ax.plot(ct, km(ct), "|", color="0.3", ms=6, label=f"censored ({cens.sum()})")
    grid = np.linspace(0.0, x.max() * 1.02, 400)
    for label, law in fits:
        ax.plot(grid, law.sf(grid), lw=2.4 if label == chosen else 1.2,
                label=label + (" (chosen)" if label == chosen else ""))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(_label(unit, "time"))
    ax.set_ylabel("survival S(t)")
    ax.set_title("survival: Kaplan–Meier vs fitted")
    ax.legend(fontsize=8)
    return fig


def write_profile_plots(folder: Path, values: np.ndarray, censored: np.ndarray | None,
                        fits: Sequence[Fit], chosen: str | None, unit: str = "",
                        title: str = "") -> list[Path]:
    """Write histogram.png, qq.png and (with censoring) survival.png into ``folder``."""
    folder = Path(folder)
    out = []
    cens = np.zeros(len(values), bool) if censored is None else np.asarray(censored, bool)
    figs = {"histogram.png": plot_fit_histogram(values, cens, fits, chosen, unit, title)}
    law = dict(fits).get(chosen or "")
    if law is not None:
        figs["qq.png"] = plot_qq(values, cens, law, chosen or "", unit)
    if cens.any():
        figs["survival.png"] = plot_survival(values, cens, fits, chosen, unit)
    for name, fig in figs.items():
        path = folder / name
        fig.savefig(path, dpi=110)
        out.append(path)
    return out


def plot_zipf(counts: np.ndarray, expected: np.ndarray, low: np.ndarray, high: np.ndarray,
              exponent: float, ax: Axes | None = None) -> Figure:
    """Rank–frequency plot: measured counts (sorted) vs the fitted Zipf model's 95 % band."""
    fig, ax = _axes(ax)
    r = np.arange(1, len(counts) + 1)
    ax.fill_between(r, np.maximum(low, 0.5), np.maximum(high, 0.5), color="C1", alpha=0.3,
                    label="fitted model, 95% of simulations")
    ax.plot(r, np.maximum(expected, 0.5), color="C1", lw=1.5, label=f"fitted, s = {exponent:.3f}")
    ax.plot(r, np.maximum(counts, 0.5), ".", color="C0", ms=4, label="measured")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("channel rank")
    ax.set_ylabel("viewers")
    ax.set_title("channel popularity (zero counts drawn at 0.5)")
    ax.legend(fontsize=8)
    return fig


def plot_hourly_rates(rates_per_h: np.ndarray, low: np.ndarray, high: np.ndarray,
                      daily: np.ndarray | None = None, ax: Axes | None = None) -> Figure:
    """Fitted hourly Poisson rates with exact 95 % intervals and the measured days."""
    fig, ax = _axes(ax)
    h = np.arange(len(rates_per_h))
    if daily is not None:
        for i, row in enumerate(np.atleast_2d(daily)):
            ax.plot(h, row, color="0.75", lw=0.8, label="measured days" if i == 0 else None)
    ax.errorbar(h, rates_per_h, yerr=[rates_per_h - low, high - rates_per_h], fmt="o-",
                color="C0", capsize=2, label="fitted rate, 95% interval")
    ax.set_xticks(h[::2])
    ax.set_xlabel("hour of day")
    ax.set_ylabel("trips per hour")
    ax.set_title("demand rate profile")
    ax.legend(fontsize=8)
    return fig
