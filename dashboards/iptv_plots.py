"""Plots of IPTV runs and checks: data in (DataFrames or row dicts), figure out.

Each function takes an optional ``ax`` and returns the figure (Agg-safe, no pyplot state).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dashboards.figures import new_axes

STATES = ("standby", "live", "vod", "ad", "call", "offline")


def plot_convergence(rows: Sequence[dict[str, Any]] | pd.DataFrame,
                     ax: Axes | None = None) -> Figure:
    """Window-length convergence: multicast over-count (window union / instant) and VoD
    blocking against the window length (log x), from ``validation.checks_iptv``."""
    df = pd.DataFrame(rows).sort_values("window_s")
    fig, ax = new_axes(ax)
    ax.plot(df["window_s"], df["ratio"], "o-", label="multicast: window / instant")
    ax.axhline(1.0, color="0.6", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("window Δt (s)")
    ax.set_ylabel("ratio")
    ax2 = ax.twinx()
    ax2.plot(df["window_s"], df["vod_blocking"], "s--", color="tab:red", label="VoD blocking")
    ax2.set_ylabel("VoD blocking")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)
    ax.set_title("Convergence as the window shrinks")
    return fig


def plot_link_utilisation(network: pd.DataFrame, threshold: float = 0.8,
                          ax: Axes | None = None) -> Figure:
    """Peak utilisation per layer over time (``timeseries/network``) with the overload line."""
    fig, ax = new_axes(ax)
    h = network["t_s"] / 3600.0
    for col, label in (("pon_peak_util", "PON port (max)"), ("olt_peak_util", "OLT uplink"),
                       ("metro_peak_util", "metro"), ("cdn_peak_util", "CDN edge")):
        if col in network:
            ax.plot(h, network[col], label=label)
    ax.axhline(threshold, color="tab:red", ls="--", lw=1, label=f"overload {threshold:.0%}")
    ax.set_xlabel("simulated hour")
    ax.set_ylabel("utilisation")
    ax.legend(fontsize=8)
    return fig


def plot_occupancy(network: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Boxes per state over time, stacked (``timeseries/network``)."""
    fig, ax = new_axes(ax)
    cols = [c for c in STATES if c in network]
    ax.stackplot(network["t_s"] / 3600.0, *[network[c] for c in cols], labels=cols)
    ax.set_xlabel("simulated hour")
    ax.set_ylabel("boxes")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def plot_boot_storm(boot: pd.DataFrame, boxes: int | None = None,
                    ax: Axes | None = None) -> Figure:
    """Boot storm (``timeseries/boot``): boxes back on air and request rates per server."""
    fig, ax = new_axes(ax)
    t = (boot["t_s"] - boot["t_s"].iloc[0]) / 60.0
    for stage in ("dhcp", "auth", "epg"):
        ax.plot(t, boot[f"{stage}_rps"], lw=1, label=f"{stage} requests/s")
    ax.set_xlabel("minutes after power restored")
    ax.set_ylabel("requests per second")
    ax2 = ax.twinx()
    ax2.plot(t, boot["on_air"], color="k", lw=2, label="on air")
    if boxes:
        ax2.axhline(0.99 * boxes, color="0.5", ls=":", label="99%")
    ax2.set_ylabel("boxes on air")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center right")
    return fig


def plot_firmware(network: pd.DataFrame, cap_gbps: float | None = None,
                  ax: Axes | None = None) -> Figure:
    """Firmware egress over the campaign (``timeseries/network`` column ``fw_gbps``)."""
    fig, ax = new_axes(ax)
    ax.plot(network["t_s"] / 86400.0, network["fw_gbps"], label="firmware egress")
    if cap_gbps:
        ax.axhline(cap_gbps, color="tab:red", ls="--", label="egress cap")
    ax.set_xlabel("day")
    ax.set_ylabel("Gbit/s")
    ax.legend(fontsize=8)
    return fig


def plot_province_bars(provinces: pd.DataFrame, column: str = "metro_peak_util",
                       ax: Axes | None = None) -> Figure:
    """One bar per province (``tables/provinces``), sorted by ``column``."""
    df = provinces.sort_values(column, ascending=False)
    fig, ax = new_axes(ax, size=(8.0, 3.8))
    ax.bar(df["province"], df[column])
    ax.set_ylabel(column)
    ax.tick_params(axis="x", labelrotation=75, labelsize=7)
    return fig
