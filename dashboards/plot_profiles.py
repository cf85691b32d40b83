"""Hardware-profile quantities drawn: density and CDF of each distribution-valued field."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dashboards.figures import new_axes


def distribution_fields(profile: Any) -> dict[str, Any]:
    """Fields of a profile (pydantic model) whose value is a distribution (has ``.scipy()``)."""
    out = {}
    for name in type(profile).model_fields:
        value = getattr(profile, name, None)
        if value is not None and hasattr(value, "scipy") and hasattr(value, "family"):
            out[name] = value
    return out


def describe(dist: Any) -> str:
    """``lognormal(median=38, sigma=0.2) s``: family, parameters and unit in one line."""
    params = dist.model_dump(by_alias=True, exclude={"family", "unit"})
    text = ", ".join(f"{k}={v:g}" if isinstance(v, int | float) else f"{k}={v}"
                     for k, v in params.items())
    return f"{dist.family}({text})" + (f" {dist.unit}" if getattr(dist, "unit", "") else "")


def plot_distribution(dist: Any, name: str = "", ax: Axes | None = None) -> Figure:
    """Density (left axis) and CDF (right axis) of a profile distribution via ``.scipy()``.

    A deterministic value is drawn as a single step; the mean and the 5–95% range are marked.
    """
    fig, ax = new_axes(ax, size=(5.6, 3.0))
    law = dist.scipy()
    unit = getattr(dist, "unit", "")
    mean = float(dist.mean())
    if dist.family == "deterministic":
        v = float(dist.value)
        span = abs(v) * 0.5 or 1.0
        ax.step([v - span, v, v + span], [0, 1, 1], where="post", color="#2e6fad")
        ax.set_ylabel("CDF")
        ax.axvline(v, color="0.3", ls=":", lw=1, label=f"value {v:g}")
    else:
        lo, hi = (float(x) for x in law.ppf([0.001, 0.995]))
        if not np.isfinite(lo):
            lo = float(law.ppf(0.01))
        grid = np.linspace(lo, hi, 400)
        ax.plot(grid, law.pdf(grid), color="#2e6fad", lw=1.6, label="density")
        ax.fill_between(grid, law.pdf(grid), alpha=0.15, color="#2e6fad")
        ax.set_ylabel("density")
        ax2 = ax.twinx()
        ax2.plot(grid, law.cdf(grid), color="#c0392b", lw=1.0, ls="--", label="CDF")
        ax2.set_ylim(0, 1.02)
        ax2.set_ylabel("CDF")
        q5, q95 = (float(x) for x in law.ppf([0.05, 0.95]))
        ax.axvspan(q5, q95, color="0.85", alpha=0.4, lw=0, label="5–95%")
        ax.axvline(mean, color="0.2", ls=":", lw=1, label=f"mean {mean:.3g}")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="center right")
    ax.set_xlabel(f"{name} [{unit}]" if unit else name)
    ax.set_title(describe(dist), fontsize=9)
    ax.grid(alpha=0.3)
    return fig
