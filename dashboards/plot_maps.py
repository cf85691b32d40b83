"""Maps beyond the city network: China's provinces by a measure, IPTV access nodes by load."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dashboards.figures import FAIL_COLOUR, PASS_COLOUR, new_axes
from dashboards.fonts import register_cjk_font, safe_text


def value_bands(values: pd.Series, bands: int = 5,
                threshold: float | None = None) -> list[float]:
    """Band edges for a measure: quantiles rounded to two significant digits, with the SLA
    ``threshold`` (when given) as one of the edges."""
    v = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    if v.empty:
        return [0.0, 1.0]
    qs = np.quantile(v, np.linspace(0.0, 1.0, bands + 1))
    edges = sorted({float(f"{q:.2g}") for q in qs} | ({float(threshold)} if threshold
                                                      is not None else set()))
    edges[0] = min(edges[0], float(v.min()))
    if len(edges) == 1:
        edges.append(edges[0] + 1.0)
    return edges


def plot_province_map(provinces: gpd.GeoDataFrame, column: str, title: str = "",
                      label: str = "", cmap: str = "YlOrRd", ax: Axes | None = None,
                      threshold: float | None = None) -> Figure:
    """Provinces coloured by ``column`` on the standard national map (see
    :func:`plot_standard_map`), as bands with their unit in the legend.

    A boolean column (an SLA verdict) is drawn green for pass and red for fail; a numeric
    one in quantile bands, the SLA ``threshold`` (if any) being a band edge.
    """
    from dashboards.provinces import maritime_boundary, territory_frame

    values = provinces[column]
    is_bool = values.dropna().map(lambda v: isinstance(v, bool | np.bool_)).all() and \
        values.notna().any()
    if is_bool:
        colours: list[Any] = [NO_VALUE if pd.isna(v) else (PASS_COLOUR if bool(v)
                                                            else FAIL_COLOUR) for v in values]
        handles: list[tuple[str, Any]] = [("pass", PASS_COLOUR), ("fail", FAIL_COLOUR)]
        if values.isna().any():
            handles.append(("no value", NO_VALUE))
    else:
        num = pd.to_numeric(values, errors="coerce")
        edges = value_bands(num, threshold=threshold)
        unit = f" {label}" if label and label != column else ""
        names = [f"{a:,.3g} to {b:,.3g}{unit}" for a, b in zip(edges[:-1], edges[1:],
                                                               strict=True)]
        if threshold is not None:
            names = [n + (" (from the SLA threshold)" if a == threshold else "")
                     for n, a in zip(names, edges[:-1], strict=True)]
        ramp = matplotlib.colormaps[cmap]
        shades = [matplotlib.colors.to_hex(ramp(0.15 + 0.8 * k / max(1, len(names) - 1)))
                  for k in range(len(names))]
        colours, handles = threshold_colours(num, edges[:-1], names, shades)
    names_col = "name_zh" if "name_zh" in provinces.columns and register_cjk_font() \
        else "name"
    return plot_standard_map(provinces, colours, handles, title or column, label or column,
                             territory_frame(), maritime_boundary(), names=names_col, ax=ax)


def plot_access_nodes(df: pd.DataFrame, value: str, name: str = "", top: int = 30,
                      ax: Axes | None = None) -> Figure:
    """Access nodes coloured by ``value`` (e.g. peak utilisation).

    With coordinates (``lon``/``lat`` or ``x_m``/``y_m``) the nodes are drawn where they
    are; otherwise the ``top`` most loaded nodes are drawn as sorted bars.
    """
    fig, ax = new_axes(ax, size=(7.5, 5.5))
    v = pd.to_numeric(df[value], errors="coerce")
    coords = next(((x, y) for x, y in (("lon", "lat"), ("x_m", "y_m"), ("x", "y"))
                   if x in df.columns and y in df.columns), None)
    if coords:
        sc = ax.scatter(df[coords[0]], df[coords[1]], c=v, cmap="inferno_r",
                        s=10 + 40 * (v / max(v.max(), 1e-12)).fillna(0), edgecolor="0.3",
                        lw=0.3)
        fig.colorbar(sc, ax=ax, label=value)
        ax.set_xlabel(coords[0])
        ax.set_ylabel(coords[1])
        ax.set_title(f"access nodes by {value}")
    else:
        order = v.sort_values(ascending=False).head(top)
        labels = (df.loc[order.index, name].astype(str) if name in df.columns
                  else order.index.astype(str))
        norm = order / max(float(order.max()), 1e-12)
        ax.barh(np.arange(len(order))[::-1], order.to_numpy(),
                color=[(0.8, 0.2 + 0.6 * (1 - float(x)), 0.2) for x in norm.fillna(0)])
        ax.set_yticks(np.arange(len(order))[::-1], labels, fontsize=7)
        ax.set_xlabel(value)
        ax.set_title(f"the {len(order)} access nodes with the highest {value}")
    ax.grid(alpha=0.3)
    return fig


# -- the standard national map (rollout year) ------------------------------------------------
#: The South China Sea islands inset: the usual lower-right box of a standard map of China.
SCS_EXTENT = (106.0, 123.5, 2.5, 24.5)
#: Mainland view of a standard map with the inset (the inset covers the sea south of 17.5N).
STANDARD_EXTENT = (72.0, 136.5, 15.0, 54.5)
NO_VALUE = "0.9"


def _draw_china(ax: Axes, provinces: gpd.GeoDataFrame, colours: list[Any],
                territories: gpd.GeoDataFrame | None, maritime: gpd.GeoSeries | None,
                lw: float = 0.5) -> None:
    provinces.plot(ax=ax, color=colours, edgecolor="white", lw=lw)
    if territories is not None and len(territories):
        territories.plot(ax=ax, color=NO_VALUE, edgecolor="0.55", lw=lw)
    if maritime is not None:
        maritime.plot(ax=ax, color="0.35", lw=max(0.6, lw * 1.4), linestyle=(0, (6, 3)))


def plot_standard_map(provinces: gpd.GeoDataFrame, colours: list[Any],
                      handles: list[tuple[str, Any]], title: str, legend_title: str,
                      territories: gpd.GeoDataFrame | None = None,
                      maritime: gpd.GeoSeries | None = None, names: str = "name",
                      ax: Axes | None = None) -> Figure:
    """The standard national map: provinces in ``colours``, Taiwan, Hong Kong and Macau,
    the maritime boundary, and the South China Sea islands in an inset (lower right).

    ``handles`` are ``(label, colour)`` legend entries (a category or a threshold band each).
    ``names`` is the column labelling each province (``name_zh`` for Chinese names; pass
    ``name`` when no CJK font is available).
    """
    register_cjk_font()  # before any text is made: a text keeps the font it was made with
    fig, ax = new_axes(ax, size=(9.0, 7.4))
    _draw_china(ax, provinces, colours, territories, maritime)
    ax.set_xlim(*STANDARD_EXTENT[:2])
    ax.set_ylim(*STANDARD_EXTENT[2:])
    for _, row in provinces.iterrows():
        pt = row.geometry.representative_point()
        ax.annotate(safe_text(str(row[names]), str(row.get("name", row[names]))),
                    (pt.x, pt.y), fontsize=6.5, ha="center", va="center", color="0.1")
    inset = ax.inset_axes((0.80, 0.015, 0.19, 0.30))
    _draw_china(inset, provinces, colours, territories, maritime, lw=0.3)
    inset.set_xlim(*SCS_EXTENT[:2])
    inset.set_ylim(*SCS_EXTENT[2:])
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_title(safe_text("南海诸岛", "South China Sea Islands"), fontsize=7, pad=2)
    inset.set_gid("scs_inset")
    for side in inset.spines.values():
        side.set_color("0.3")
    for label, colour in handles:
        ax.fill([], [], color=colour, label=label, edgecolor="0.5", lw=0.4)
    ax.legend(loc="lower left", fontsize=8, title=legend_title, title_fontsize=8,
              frameon=True)
    ax.set_title(title)
    ax.set_xlabel("longitude [°E]")
    ax.set_ylabel("latitude [°N]")
    return fig


def category_colours(values: pd.Series, order: list[str],
                     palette: dict[str, str] | None = None) -> tuple[list[Any],
                                                                     list[tuple[str, Any]]]:
    """A colour per value of a category (e.g. the launch batch) and its legend entries."""
    cmap = matplotlib.colormaps["Set2"]
    pal = dict(palette or {})
    for i, c in enumerate(order):
        pal.setdefault(c, matplotlib.colors.to_hex(cmap(i % 8)))
    colours = [pal.get(str(v), NO_VALUE) if pd.notna(v) else NO_VALUE for v in values]
    handles = [(c, pal[c]) for c in order]
    if values.isna().any():
        handles.append(("no value", NO_VALUE))
    return colours, handles


def threshold_colours(values: pd.Series, edges: list[float], labels: list[str],
                      colours: list[str]) -> tuple[list[Any], list[tuple[str, Any]]]:
    """Colour by band: value in ``[edges[k], edges[k+1])`` gets ``colours[k]``."""
    out: list[Any] = []
    for v in values:
        if pd.isna(v):
            out.append(NO_VALUE)
            continue
        k = int(np.searchsorted(edges, float(v), side="right")) - 1
        out.append(colours[min(max(k, 0), len(colours) - 1)])
    handles = list(zip(labels, colours, strict=True))
    if values.isna().any():
        handles.append(("no value", NO_VALUE))
    return out, handles


def plot_cashflow(df: pd.DataFrame, province: str, ax: Axes | None = None) -> Figure:
    """Monthly net cash flow (bars) and the cumulative cash (line) of one province, with
    the payback month marked; million yuan."""
    fig, ax = new_axes(ax, size=(8.0, 3.6))
    d = df[df["province"] == province].sort_values("month")
    month = d["month"].to_numpy()
    net = d["net_cny"].to_numpy() / 1e6
    cum = d["cumulative_cny"].to_numpy() / 1e6
    ax.bar(month, net, color=[PASS_COLOUR if x >= 0 else FAIL_COLOUR for x in net],
           alpha=0.75, label="net cash flow in the month")
    ax.plot(month, cum, color="0.15", lw=1.6, marker="o", ms=2.5, label="cumulative")
    ax.axhline(0.0, color="0.4", lw=0.8)
    neg = np.flatnonzero(cum < 0)
    if cum.size and cum[-1] >= 0:
        pay = int(month[neg[-1] + 1]) if neg.size else int(month[0])
        ax.axvline(pay, color="0.3", ls="--", lw=1)
        ax.annotate(f"payback: month {pay}", (pay, 0.0), fontsize=8, ha="left",
                    va="bottom", xytext=(4, 6), textcoords="offset points")
    ax.set_xlabel("month (1 = January of the plan year)")
    ax.set_ylabel("million yuan")
    ax.set_title(f"cash flow: {province}")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def plot_progress(daily: pd.DataFrame, province: str, target_boxes: float,
                  year: int = 2016, ax: Axes | None = None) -> Figure:
    """Boxes ordered and activated (cumulative) and the installation backlog of a province
    (or ``national``: every province summed) day by day, with its target; boxes."""
    fig, ax = new_axes(ax, size=(8.0, 3.6))
    d = daily if province == "national" else daily[daily["province"] == province]
    g = d.groupby("t_s", sort=True)[["ordered_boxes", "activated_boxes",
                                     "backlog_boxes"]].sum()
    day = g.index.to_numpy() / 86400.0
    ax.plot(day, g["ordered_boxes"].to_numpy(), color="0.45", lw=1.2, label="ordered")
    ax.plot(day, g["activated_boxes"].to_numpy(), color=PASS_COLOUR, lw=1.8,
            label="activated")
    ax.fill_between(day, 0, g["backlog_boxes"].to_numpy(), color=FAIL_COLOUR, alpha=0.3,
                    label="backlog (ordered, not activated)")
    ax.axhline(target_boxes, color="0.2", ls="--", lw=1, label=f"target {target_boxes:,.0f}")
    ax.set_xlabel(f"day of {year}")
    ax.set_ylabel("boxes")
    ax.set_title(f"orders, activations and backlog: {province}")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig
