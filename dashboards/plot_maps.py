"""Maps beyond the city network: China's provinces by a measure, IPTV access nodes by load."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dashboards.figures import FAIL_COLOUR, PASS_COLOUR, new_axes

#: Mainland view; the small South China Sea islands vanish at this scale anyway.
MAIN_EXTENT = (73.0, 136.0, 17.5, 54.0)


def plot_province_map(provinces: gpd.GeoDataFrame, column: str, title: str = "",
                      label: str = "", cmap: str = "YlOrRd", ax: Axes | None = None) -> Figure:
    """Provinces coloured by ``column``; provinces without a value are hatched grey.

    A boolean column (an SLA verdict) is drawn green for pass and red for fail.
    """
    fig, ax = new_axes(ax, size=(9.0, 7.0))
    values = provinces[column]
    is_bool = values.dropna().map(lambda v: isinstance(v, bool | np.bool_)).all() and \
        values.notna().any()
    missing = provinces[values.isna()]
    have = provinces[values.notna()]
    if len(missing):
        missing.plot(ax=ax, color="0.92", edgecolor="0.6", hatch="///", lw=0.4)
    if is_bool:
        colours = [PASS_COLOUR if bool(v) else FAIL_COLOUR for v in have[column]]
        have.plot(ax=ax, color=colours, edgecolor="white", lw=0.5)
    elif len(have):
        have.plot(ax=ax, column=column, cmap=cmap, edgecolor="white", lw=0.5, legend=True,
                  legend_kwds={"label": label or column, "shrink": 0.6})
    ax.set_xlim(*MAIN_EXTENT[:2])
    ax.set_ylim(*MAIN_EXTENT[2:])
    if is_bool:
        ax.fill([], [], color=PASS_COLOUR, label="pass")
        ax.fill([], [], color=FAIL_COLOUR, label="fail")
    if len(missing):
        ax.fill([], [], color="0.92", hatch="///", edgecolor="0.6", label="no value")
    if is_bool or len(missing):
        ax.legend(loc="lower left", fontsize=8)
    if not is_bool and len(have):
        top = have.sort_values(column, ascending=False).head(8)
        for _, row in top.iterrows():
            pt = row.geometry.representative_point()
            ax.annotate(row["name"], (pt.x, pt.y), fontsize=7, ha="center", color="0.15")
    ax.set_title(title or column)
    ax.set_xlabel("longitude [°E]")
    ax.set_ylabel("latitude [°N]")
    return fig


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
