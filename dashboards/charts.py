"""Interactive charts for the dashboard (Altair / Vega-Lite, shown with ``st.altair_chart``).

Every chart has a hover rule with the values at the nearest time in a tooltip, zoom and pan on
the time axis (mouse wheel, drag), and the SLA thresholds that apply drawn as dashed rules
(green passed, red failed). The page shares one time range between its charts: the caller
filters each frame with :func:`in_window` before drawing. Labels come from the KPI catalogue
(:mod:`sim.results.catalogue`), so no axis shows a raw field name.

matplotlib stays for ``fleettwin report`` and the PNG files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import altair as alt
import numpy as np
import pandas as pd

from dashboards.figures import FAIL_COLOUR, PASS_COLOUR, STATE_COLOURS
from dashboards.plot_series import INDEX_COLUMNS, key_column, sla_for_column
from sim.results.catalogue import entry

#: Chart width follows the page; this is the height of one chart in pixels.
HEIGHT_PX = 260
#: Most points a line chart sends to the browser (longer series are averaged in bins).
MAX_POINTS = 2000
#: Charts draw on a canvas: one bitmap instead of an SVG node per point, hover rule and
#: Voronoi cell (the browser's style and layout work on those nodes cost most of a page's
#: drawing time). Tooltips, zoom and the hover rule work the same.
CANVAS = {"embedOptions": {"renderer": "canvas"}}


def column_label(column: str, kind: str | None = None) -> str:
    """A series column's human label (catalogue label, or words from the name)."""
    e = entry(column, kind)
    return e.title() + (f" [{e.unit}]" if e.unit and e.unit not in ("share", "") else "")


def hours(t_s: Any) -> Any:
    """Seconds to hours (the time axis of every chart)."""
    return np.asarray(t_s, float) / 3600.0


def in_window(df: pd.DataFrame, window_h: tuple[float, float] | None) -> pd.DataFrame:
    """Rows of ``df`` whose ``t_s`` lies in the page's time range (hours, inclusive)."""
    if window_h is None or "t_s" not in df.columns:
        return df
    t_h = hours(df["t_s"])
    return df[(t_h >= window_h[0]) & (t_h <= window_h[1])]


def time_range_h(frames: Sequence[pd.DataFrame]) -> tuple[float, float] | None:
    """The span of ``t_s`` over ``frames`` in hours, or None when none has times."""
    lo, hi = np.inf, -np.inf
    for df in frames:
        if "t_s" in df.columns and len(df):
            t = hours(df["t_s"])
            lo, hi = min(lo, float(np.nanmin(t))), max(hi, float(np.nanmax(t)))
    return (lo, hi) if np.isfinite(lo) and hi > lo else None


def _long(df: pd.DataFrame, columns: Sequence[str], kind: str | None) -> pd.DataFrame:
    """Mean over replications per time, long format: t_h, series, value, lo, hi."""
    parts = []
    for col in columns:
        if col not in df.columns:
            continue
        g = df.groupby("t_s")[col]
        part = pd.DataFrame({"t_h": hours(g.mean().index), "value": g.mean().to_numpy(),
                             "lo": g.min().to_numpy(), "hi": g.max().to_numpy()})
        part["series"] = entry(col, kind).title()  # units go on the axis title
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["t_h", "value", "lo", "hi", "series"])
    return _thin(out)


def _thin(df: pd.DataFrame) -> pd.DataFrame:
    """At most :data:`MAX_POINTS` per series: long series averaged over equal time bins."""
    if df.empty or df.groupby("series").size().max() <= MAX_POINTS:
        return df
    edges = np.linspace(df["t_h"].min(), df["t_h"].max(), MAX_POINTS + 1)
    b = np.clip(np.searchsorted(edges, df["t_h"], side="right") - 1, 0, MAX_POINTS - 1)
    return (df.assign(_b=b).groupby(["series", "_b"], as_index=False)
            .agg(t_h=("t_h", "mean"), value=("value", "mean"), lo=("lo", "min"),
                 hi=("hi", "max")).drop(columns="_b"))


def _sla_rules(verdicts: Sequence[dict[str, Any]]) -> alt.Chart | None:
    if not verdicts:
        return None
    rows = [{"y": float(v["threshold"]),
             "sla": "SLA " + str(v.get("name") or v.get("kpi")) +
             (" (pass)" if v.get("passed") else " (fail)"),
             "colour": PASS_COLOUR if v.get("passed") else FAIL_COLOUR}
            for v in verdicts]
    return alt.Chart(pd.DataFrame(rows)).mark_rule(strokeDash=[6, 4], size=1.6).encode(
        y="y:Q", color=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("sla:N", title="threshold"), alt.Tooltip("y:Q", title="value",
                                                                     format=",.4~g")])


def _escape(field: str) -> str:
    """A column name as a Vega-Lite field reference (``.``, ``[``, ``]``, ``:`` escaped)."""
    for ch in "\\.[]:":
        field = field.replace(ch, "\\" + ch)
    return field


def _hover_layers(base: alt.Chart | None, wide: pd.DataFrame,
                  fields: list[str]) -> list[alt.Chart]:
    """Hover: the values of every series at the nearest time in a tooltip, a rule there and
    (with ``base``) a dot on each line.

    The tooltip sits on invisible points that carry the ``nearest`` selection (Vega-Lite
    adds a Voronoi layer over them, so any pointer position picks the nearest time). The rule
    and dots are filtered to the selected time, so only they are drawn, not one hidden mark
    per point.
    """
    nearest = alt.selection_point(nearest=True, on="pointerover", fields=["t_h"], empty=False,
                                  clear="pointerout")
    tips = [alt.Tooltip("t_h:Q", title="time [h]", format=".2f")]
    # Field names go in escaped: Vega-Lite reads ".", "[" and ":" in a name as access paths.
    tips += [alt.Tooltip(field=_escape(f), type="quantitative", title=f, format=",.4~g")
             for f in fields]
    selectors = alt.Chart(wide).mark_point(size=10).encode(
        x="t_h:Q", opacity=alt.value(0), tooltip=tips).add_params(nearest)
    rule = alt.Chart(wide).mark_rule(color="gray", opacity=0.6).encode(
        x="t_h:Q").transform_filter(nearest)
    if base is None:
        return [selectors, rule]
    points = base.mark_point(filled=True, size=40).transform_filter(nearest)
    return [selectors, rule, points]


def line_chart(df: pd.DataFrame, columns: Sequence[str], sla: Sequence[dict[str, Any]] = (),
               title: str = "", kind: str | None = None, y_title: str = "") -> alt.LayerChart:
    """Columns of a time series against time in hours; replications as mean and range band.

    A long-format series (several rows per time, see :func:`key_column`) draws one line per
    key for the eight keys with the highest mean of the first column.
    """
    key = key_column(df)
    if key is not None and columns:
        col = columns[0]
        top = df.groupby(key)[col].mean().sort_values(ascending=False).head(8).index
        sub = df[df[key].isin(top)]
        g = sub.groupby(["t_s", key])[col].mean().reset_index()
        long = pd.DataFrame({"t_h": hours(g["t_s"]), "value": g[col].to_numpy(),
                             "series": f"{key} " + g[key].astype(str)})
        long["lo"] = long["hi"] = long["value"]
        long = _thin(long)
        verdicts = sla_for_column(col, sla)
        y_title = y_title or column_label(col, kind)
    else:
        long = _long(df, columns, kind)
        verdicts = []
        for col in columns:
            verdicts += [v for v in sla_for_column(col, sla) if v not in verdicts]
        y_title = y_title or (column_label(columns[0], kind) if len(columns) == 1 else "value")
    x = alt.X("t_h:Q", title="time [h]", scale=alt.Scale(zero=False))
    base = alt.Chart(long).encode(
        x=x, y=alt.Y("value:Q", title=y_title),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")))
    layers: list[alt.Chart] = []
    if (long["hi"] > long["lo"]).any():
        layers.append(base.mark_area(opacity=0.2).encode(y="lo:Q", y2="hi:Q"))
    line = base.mark_line(strokeWidth=1.6)
    layers.append(line)
    wide = long.pivot_table(index="t_h", columns="series", values="value").reset_index()
    wide.columns = [str(c) for c in wide.columns]
    layers += _hover_layers(base, wide, [c for c in wide.columns if c != "t_h"])
    rules = _sla_rules(verdicts)
    if rules is not None:
        layers.append(rules)
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    chart = alt.layer(*layers).add_params(zoom).properties(height=HEIGHT_PX, title=title,
                                                           usermeta=CANVAS)
    return cast(alt.LayerChart, chart)


def fleet_state_chart(fleet: pd.DataFrame) -> alt.LayerChart:
    """Vehicles by state over time (stacked areas), with the open requests on their own axis
    only when there ever were any (no empty axis). Hover shows every state at that time."""
    states = [s for s in STATE_COLOURS if s in fleet.columns]
    long = fleet.melt(id_vars=["t_s"], value_vars=states, var_name="state",
                      value_name="vehicles")
    long["t_h"] = hours(long["t_s"])
    long = long.drop(columns="t_s")  # the chart's data holds only what it draws
    long["state"] = long["state"].str.replace("_", " ")
    colours = alt.Scale(domain=[s.replace("_", " ") for s in states],
                        range=[STATE_COLOURS[s] for s in states])
    area = alt.Chart(long).mark_area().encode(
        x=alt.X("t_h:Q", title="time [h]", scale=alt.Scale(zero=False)),
        y=alt.Y("vehicles:Q", stack=True, title="vehicles"),
        color=alt.Color("state:N", scale=colours, legend=alt.Legend(orient="bottom")))
    layers: list[alt.Chart] = [area]
    shown = list(states)
    if "open_requests" in fleet.columns and float(fleet["open_requests"].max()) > 0:
        opened = alt.Chart(pd.DataFrame({"t_h": hours(fleet["t_s"]),
                                         "open_requests": fleet["open_requests"]})).mark_line(
            color="black", strokeDash=[4, 2]).encode(
            x="t_h:Q", y=alt.Y("open_requests:Q", title="open requests"))
        layers.append(opened)
        shown.append("open_requests")
    wide = pd.DataFrame({"t_h": hours(fleet["t_s"])})
    for col in shown:
        wide[col.replace("_", " ")] = fleet[col].to_numpy()
    layers += _hover_layers(None, wide, [c.replace("_", " ") for c in shown])
    chart = alt.layer(*layers).resolve_scale(y="independent")
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    return cast(alt.LayerChart, chart.add_params(zoom).properties(
        height=HEIGHT_PX, title="Fleet state", usermeta=CANVAS))


def bar_chart(df: pd.DataFrame, label: str, value: str, title: str = "",
              threshold: float | None = None, top: int = 30) -> alt.LayerChart:
    """The ``top`` rows of ``df`` by ``value`` as horizontal bars with a tooltip, and the
    overload threshold as a dashed rule (IPTV ports and OLTs by peak load)."""
    d = df.assign(_v=pd.to_numeric(df[value], errors="coerce")).dropna(subset=["_v"])
    d = d.sort_values("_v", ascending=False).head(top)
    d = d.assign(_label=d[label].astype(str))
    tips = [alt.Tooltip("_label:N", title=label),
            alt.Tooltip("_v:Q", title=column_label(value), format=",.4~g")]
    tips += [alt.Tooltip(field=_escape(str(c)), type="quantitative", format=",.4~g")
             for c in d.columns
             if c not in (value, "_v", "replication", *INDEX_COLUMNS) and
             pd.api.types.is_numeric_dtype(d[c])][:4]
    bars = alt.Chart(d).mark_bar().encode(
        y=alt.Y("_label:N", sort="-x", title=None),
        x=alt.X("_v:Q", title=column_label(value)),
        color=alt.Color("_v:Q", scale=alt.Scale(scheme="orangered"), legend=None),
        tooltip=tips)
    layers: list[alt.Chart] = [bars]
    if threshold is not None:
        layers.append(alt.Chart(pd.DataFrame({"x": [threshold]})).mark_rule(
            color=FAIL_COLOUR, strokeDash=[6, 4]).encode(x="x:Q"))
    return cast(alt.LayerChart,
                alt.layer(*layers).properties(height=max(120, 16 * len(d)), title=title,
                                              usermeta=CANVAS))


def numeric_series_columns(df: pd.DataFrame) -> list[str]:
    """Measured columns of a series (no time, replication or key columns)."""
    key = key_column(df)
    return [c for c in df.columns if c not in INDEX_COLUMNS and c != key and
            pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
