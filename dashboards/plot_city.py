"""City fleet figures: demand and waits over the day, fleet state, the run map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from dashboards.city import FLEET_STATES, CityMap
from dashboards.figures import STATE_COLOURS, new_axes
from dashboards.plot_series import draw_sla, sla_for_column, time_axis


def plot_demand(by_interval: pd.DataFrame, interval_s: float = 3600.0,
                ax: Axes | None = None) -> Figure:
    """Requests, served and abandoned per hour over the day (bars and lines)."""
    fig, ax = new_axes(ax)
    t, xlabel = time_axis(by_interval["t_s"].to_numpy())
    per_h = 3600.0 / interval_s
    width = (t[1] - t[0]) * 0.8 if len(t) > 1 else 0.8
    ax.bar(t, by_interval["requests"] * per_h, width=width, align="edge", color="0.8",
           label="requests")
    ax.plot(t + width / 2, by_interval["served"] * per_h, color="#2e6fad", lw=1.6,
            label="served")
    ax.plot(t + width / 2, by_interval["abandoned"] * per_h, color="#c0392b", lw=1.6,
            label="abandoned")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("per hour")
    ax.set_title("demand over the day")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_wait(by_interval: pd.DataFrame, sla: Sequence[dict[str, Any]] = (),
              ax: Axes | None = None) -> Figure:
    """Mean and 95th-percentile wait per interval (minutes), SLA thresholds drawn."""
    fig, ax = new_axes(ax)
    t, xlabel = time_axis(by_interval["t_s"].to_numpy())
    ax.plot(t, by_interval["wait_mean_s"] / 60.0, marker=".", label="mean wait")
    ax.plot(t, by_interval["wait_p95_s"] / 60.0, marker=".", label="p95 wait")
    verdicts = []
    for col in ("wait_p95_s", "wait_mean_s"):
        verdicts += [v for v in sla_for_column(col, sla) if v not in verdicts]
    draw_sla(ax, verdicts, scale=1 / 60.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("wait [min]")
    ax.set_title("wait for pickup, by request time")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_fleet_state(fleet: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Vehicles per state over time (stacked), open requests on a second axis.

    The second axis is drawn only when requests were ever left open (an all-zero column
    would otherwise draw an empty axis from -0.04 to 0.04).
    """
    fig, ax = new_axes(ax)
    t, xlabel = time_axis(fleet["t_s"].to_numpy())
    states = [s for s in FLEET_STATES if s in fleet.columns]
    ax.stackplot(t, *[fleet[s].to_numpy(float) for s in states], labels=states,
                 colors=[STATE_COLOURS[s] for s in states], alpha=0.9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("vehicles")
    ax.set_title("fleet state over time")
    ax.set_xlim(t.min(), t.max())
    handles, labels = ax.get_legend_handles_labels()
    opened = pd.to_numeric(fleet.get("open_requests", pd.Series(dtype=float)), errors="coerce")
    if opened.notna().any() and float(opened.max()) > 0:
        ax2 = ax.twinx()
        (line,) = ax2.plot(t, opened.to_numpy(float), color="black", lw=1.0, ls=":")
        ax2.set_ylabel("open requests")
        ax2.set_ylim(bottom=0)
        handles.append(line)
        labels.append("open requests")
    ax.legend(handles, labels, fontsize=8, loc="upper left", ncol=2)
    return fig


def plot_city_map(m: CityMap, ax: Axes | None = None) -> Figure:
    """The road network with pickup hot spots, abandonments and deadhead legs.

    Node colour and size: served pickups there. Red crosses: the nodes with the most
    abandoned requests (top fifth; size by count). Orange lines: empty legs from where a vehicle took a request to the pickup.
    """
    fig, ax = new_axes(ax, size=(7.5, 7.0))
    if len(m.edges):
        major = np.isin(m.edge_class.astype(str), ["arterial", "ring", "primary", "trunk",
                                                    "motorway", "secondary"])
        ax.add_collection(LineCollection(list(m.edges[~major]), colors="0.82", lw=0.5, zorder=1))
        ax.add_collection(LineCollection(list(m.edges[major]), colors="0.6", lw=1.1, zorder=1))
    if len(m.deadhead):
        ax.add_collection(LineCollection(list(m.deadhead), colors="#f4a442", lw=0.5,
                                         alpha=0.25 if len(m.deadhead) > 500 else 0.6,
                                         zorder=2))
    nodes = m.nodes.set_index("node")
    if len(m.pickups):
        p = nodes.loc[nodes.index.intersection(m.pickups.index)]
        counts = m.pickups.loc[p.index].to_numpy(float)
        size = 4 + 60 * counts / counts.max()
        sc = ax.scatter(p["x_km"], p["y_km"], c=counts, s=size, cmap="viridis", zorder=3,
                        label="pickups")
        fig.colorbar(sc, ax=ax, shrink=0.7, label="served pickups at node")
    else:
        ax.scatter(nodes["x_km"], nodes["y_km"], s=2, color="0.5", zorder=3)
    if len(m.abandoned):
        # Only the worst nodes (top fifth by abandoned requests), so hot spots stand out.
        worst = m.abandoned[m.abandoned >= max(m.abandoned.quantile(0.8), 1)]
        a = nodes.loc[nodes.index.intersection(worst.index)]
        counts = worst.loc[a.index].to_numpy(float)
        ax.scatter(a["x_km"], a["y_km"], marker="x", color="#c0392b",
                   s=10 + 80 * counts / counts.max(), lw=1.2, zorder=4,
                   label="abandonment hot spots")
    if len(m.deadhead):
        ax.plot([], [], color="#f4a442", label=f"deadhead legs ({len(m.deadhead):,} of "
                f"{m.deadhead_total:,})" if m.deadhead_total > len(m.deadhead)
                else f"deadhead legs ({m.deadhead_total:,})")
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_xlabel("x [km]")
    ax.set_ylabel("y [km]")
    ax.set_title(f"pickups, abandonments and deadhead (replication {m.replication})")
    ax.legend(fontsize=8, loc="upper right")
    return fig

