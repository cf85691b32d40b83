"""Interactive comparison charts (Altair): distributions overlaid, a KPI's intervals across
runs, one series of several runs overlaid. Hover shows values; the time axis zooms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import altair as alt
import numpy as np
import pandas as pd

from dashboards.charts import HEIGHT_PX, column_label, hours, in_window
from dashboards.data import sla_word
from dashboards.figures import FAIL_COLOUR, PASS_COLOUR
from dashboards.plot_series import sla_for_column
from sim.results.catalogue import entry

#: Points per empirical CDF sent to the browser.
CDF_POINTS = 400


def _verdict_colour(v: dict[str, Any]) -> str:
    return {"PASS": PASS_COLOUR, "FAIL": FAIL_COLOUR}.get(sla_word(v), "#b7791f")


def cdf_chart(samples: dict[str, np.ndarray], x_title: str, scale: float = 1.0,
              thresholds: Sequence[tuple[str, float]] = ()) -> alt.LayerChart:
    """Empirical CDFs overlaid (quantiles at :data:`CDF_POINTS` levels), thresholds dashed."""
    parts = []
    q = np.linspace(0.0, 1.0, CDF_POINTS)
    for label, x in samples.items():
        x = np.asarray(x, float)
        x = x[np.isfinite(x)] * scale
        if x.size == 0:
            continue
        parts.append(pd.DataFrame({"x": np.quantile(x, q), "share": q, "run": label}))
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["x", "share", "run"])
    lines = alt.Chart(df).mark_line(interpolate="step-after").encode(
        x=alt.X("x:Q", title=x_title), y=alt.Y("share:Q", title="share ≤ x",
                                                 axis=alt.Axis(format="%")),
        color=alt.Color("run:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["run:N", alt.Tooltip("x:Q", format=",.3~g"),
                 alt.Tooltip("share:Q", format=".1%")])
    layers: list[alt.Chart] = [lines]
    if thresholds:
        t = pd.DataFrame({"x": [v * scale for _, v in thresholds],
                          "label": [lab for lab, _ in thresholds]})
        layers.append(alt.Chart(t).mark_rule(strokeDash=[6, 4], color="#555").encode(
            x="x:Q", tooltip=["label:N", alt.Tooltip("x:Q", format=",.3~g")]))
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    return cast(alt.LayerChart, alt.layer(*layers).add_params(zoom).properties(
        height=HEIGHT_PX))


def ci_chart(labels: Sequence[str], cis: Sequence[dict[str, Any] | None], kpi: str,
             points: Sequence[Sequence[float]] = (), sla: dict[str, Any] | None = None,
             kind: str | None = None) -> alt.LayerChart:
    """One KPI across runs: mean with its 95% interval, replications as dots, the SLA rule."""
    e = entry(kpi, kind)
    rows, dots = [], []
    for i, (lab, c) in enumerate(zip(labels, cis, strict=False)):
        if c and c.get("mean") is not None:
            lo, hi = c.get("ci_low"), c.get("ci_high")
            rows.append({"run": lab, "mean": float(c["mean"]), "order": i,
                         "lo": float(lo if lo is not None else c["mean"]),
                         "hi": float(hi if hi is not None else c["mean"]),
                         "shown": e.show(c["mean"]), "n": c.get("n")})
        for p in (points[i] if i < len(points) else []):
            dots.append({"run": lab, "value": float(p)})
    df = pd.DataFrame(rows, columns=["run", "mean", "order", "lo", "hi", "shown", "n"])
    y = alt.Y("run:N", sort=list(labels), title=None)
    x_title = e.title() + (f" [{e.unit}]" if e.unit and e.unit != "share" else "")
    bars = alt.Chart(df).mark_rule(strokeWidth=2, color="#2e6fad").encode(
        y=y, x=alt.X("lo:Q", title=x_title, scale=alt.Scale(zero=False)), x2="hi:Q")
    tips = ["run:N", alt.Tooltip("shown:N", title="mean"),
            alt.Tooltip("lo:Q", title="95% low", format=",.4~g"),
            alt.Tooltip("hi:Q", title="95% high", format=",.4~g"), alt.Tooltip("n:Q")]
    means = alt.Chart(df).mark_point(filled=True, size=80, color="#2e6fad").encode(
        y=y, x="mean:Q", tooltip=tips)
    layers: list[alt.Chart] = [bars, means]
    if dots:
        layers.append(alt.Chart(pd.DataFrame(dots)).mark_tick(color="gray", opacity=0.7).encode(
            y=y, x="value:Q", tooltip=["run:N", alt.Tooltip("value:Q", format=",.4~g")]))
    if sla and isinstance(sla.get("threshold"), int | float):
        layers.append(alt.Chart(pd.DataFrame({"x": [float(sla["threshold"])]})).mark_rule(
            strokeDash=[6, 4], color=_verdict_colour(sla)).encode(x="x:Q"))
    return cast(alt.LayerChart, alt.layer(*layers).properties(
        height=max(90, 40 * len(labels)), title=f"{e.title()}: mean and 95% interval"))


def overlay_chart(frames: dict[str, pd.DataFrame], column: str,
                  sla: Sequence[dict[str, Any]] = (), kind: str | None = None,
                  window_h: tuple[float, float] | None = None) -> alt.LayerChart:
    """One series column of several runs overlaid (mean over replications)."""
    parts = []
    for label, df in frames.items():
        if column not in df.columns or "t_s" not in df.columns:
            continue
        m = in_window(df, window_h).groupby("t_s")[column].mean()
        parts.append(pd.DataFrame({"t_h": hours(m.index), "value": m.to_numpy(),
                                   "run": label}))
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["t_h", "value", "run"])
    nearest = alt.selection_point(nearest=True, on="pointerover", fields=["t_h"], empty=False,
                                  clear="pointerout")
    base = alt.Chart(long).encode(
        x=alt.X("t_h:Q", title="time [h]", scale=alt.Scale(zero=False)),
        y=alt.Y("value:Q", title=column_label(column, kind)),
        color=alt.Color("run:N", title=None, legend=alt.Legend(orient="bottom")))
    layers: list[alt.Chart] = [
        base.mark_line(strokeWidth=1.5),
        base.mark_point(filled=True, size=40).encode(
            opacity=alt.condition(nearest, alt.value(1), alt.value(0)),
            tooltip=["run:N", alt.Tooltip("t_h:Q", title="time [h]", format=".2f"),
                     alt.Tooltip("value:Q", format=",.4~g")]).add_params(nearest),
    ]
    verdicts = sla_for_column(column, sla)
    if verdicts:
        rules = pd.DataFrame({"y": [float(v["threshold"]) for v in verdicts],
                              "c": [_verdict_colour(v) for v in verdicts]})
        layers.append(alt.Chart(rules).mark_rule(strokeDash=[6, 4]).encode(
            y="y:Q", color=alt.Color("c:N", scale=None)))
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    return cast(alt.LayerChart, alt.layer(*layers).add_params(zoom).properties(
        height=HEIGHT_PX))


def saving_chart(cumulative_cny: dict[str, Sequence[float]]) -> alt.LayerChart:
    """Cumulative saving against the baseline by month, one line a run; the zero line
    dashed (a line that crosses it upwards for good has paid back)."""
    parts = [pd.DataFrame({"month": np.arange(1, len(v) + 1), "saving": np.asarray(v, float),
                           "run": label}) for label, v in cumulative_cny.items()]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["month", "saving", "run"])
    lines = alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("month:Q", title="month", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("saving:Q", title="cumulative saving [CNY]"),
        color=alt.Color("run:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["run:N", "month:Q", alt.Tooltip("saving:Q", format=",.0f")])
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(strokeDash=[6, 4],
                                                             color="#555").encode(y="y:Q")
    return cast(alt.LayerChart, alt.layer(lines, zero).properties(height=HEIGHT_PX))
