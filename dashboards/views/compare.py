"""Compare: runs (or a sweep) side by side, deltas, scenario differences, distributions, CIs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from dashboards import city
from dashboards.data import (
    RunInfo,
    read_kpis_ci,
    read_scenario,
    scenario_diff,
    shared_files,
)
from dashboards.figures import to_png
from dashboards.plot_compare import plot_cdfs, plot_kpi_ci, plot_series_overlay
from dashboards.plot_series import numeric_columns
from dashboards.sweeps import by_point, mean_ci, point_table
from dashboards.ui import (
    fmt,
    frame,
    guarded,
    no_runs_note,
    ok_runs,
    runs_root,
    selected,
    set_selected,
    waits,
)

LOWER_BETTER = ("wait", "abandon", "cost", "deadhead", "block", "fuel", "late", "overload",
                "drop", "loss", "delay", "bricked", "failed", "_s")
HIGHER_BETTER = ("service_rate", "revenue", "on_time", "served", "utilisation", "success",
                 "availability")

st.title("Compare")
root = runs_root()
available = sorted(ok_runs(root), key=lambda r: r.created, reverse=True)
if not available:
    no_runs_note(root)
    st.stop()
by_name = {r.name: r for r in available}
names = list(by_name)

groups = sorted({r.group for r in available if r.group})
mode = st.radio("Compare", ["chosen runs", "a sweep folder"] if groups else ["chosen runs"],
                horizontal=True, key="cmp_mode")
if mode == "a sweep folder":
    group = st.selectbox("Sweep folder", groups, key="cmp_group")
    chosen = [r.name for r in available if r.group == group]
else:
    default = [n for n in selected() if n in by_name]
    default += [n for n in names if n not in default][: max(0, 2 - len(default))]
    chosen = st.multiselect("Runs (the first is the baseline)", names, default=default,
                            key="cmp_runs")
    set_selected(chosen)
if len(chosen) < 2:
    st.info("Choose two or more runs to compare (make another with e.g. "
            "`fleettwin run city_taxi --set policies.dispatch.algorithm=batch_matching`).",
            icon=":material/info:")
    st.stop()

runs: list[RunInfo] = [by_name[n] for n in chosen]

if mode == "a sweep folder":
    with guarded("sweep points"):
        st.subheader("Sweep points")
        points = by_point(runs)
        sla_kpis = [str(v.get("kpi")) for v in runs[0].sla]
        heads = [k for k in runs[0].kpis if k in sla_kpis] or list(runs[0].kpis)[:5]
        st.table(pd.DataFrame(point_table(runs, heads)).set_index("point"))
        st.caption("Mean ± half-width of the 95% Student-t interval over the replications "
                   "of each grid point.")
        kpi_s = st.selectbox("KPI across sweep points", list(runs[0].kpis),
                             index=list(runs[0].kpis).index(heads[0]) if heads else 0,
                             key="cmp_sweep_kpi")
        vals = {key: [float(r.kpis[kpi_s]) for r in group
                      if isinstance(r.kpis.get(kpi_s), int | float)]
                for key, group in points.items()}
        sla_s = next((v for v in runs[0].sla if v.get("kpi") == kpi_s), None)
        st.image(to_png(plot_kpi_ci(list(vals), [mean_ci(v) for v in vals.values()], kpi_s,
                                    list(vals.values()), sla_s)))
labels = [f"[{i}] {r.name[:40]}" for i, r in enumerate(runs)]
st.caption(" · ".join(f"**[{i}]** {r.name} ({r.scenario}, seed {r.seed})"
                      for i, r in enumerate(runs)))


def direction(kpi: str, sla: dict[str, Any] | None) -> int:
    """+1 when higher is better, -1 when lower is, 0 when unknown."""
    if sla and sla.get("op") in ("<=", "<"):
        return -1
    if sla and sla.get("op") in (">=", ">"):
        return 1
    if any(w in kpi for w in HIGHER_BETTER):
        return 1
    if any(w in kpi for w in LOWER_BETTER):
        return -1
    return 0


def kpi_table(runs: list[RunInfo]) -> tuple[pd.DataFrame, pd.DataFrame]:
    kpis: list[str] = []
    for r in runs:
        kpis += [k for k in r.kpis if k not in kpis]
    sla = {str(v.get("kpi")): v for r in runs for v in r.sla}
    values = pd.DataFrame({lab: [r.kpis.get(k) for k in kpis] for lab, r in zip(labels, runs,
                                                                               strict=True)},
                          index=kpis, dtype=object)
    shown = values.map(fmt)
    colours = pd.DataFrame("", index=kpis, columns=list(shown.columns))
    base = pd.to_numeric(values.iloc[:, 0], errors="coerce")
    for i in range(1, len(runs)):
        col = f"Δ[{i}] vs [0]"
        other = pd.to_numeric(values.iloc[:, i], errors="coerce")
        rel = (other - base) / base.abs().replace(0, np.nan)
        shown[col] = [("" if pd.isna(o) or pd.isna(b) else
                       f"{o - b:+.4g}" + ("" if pd.isna(x) else f" ({x:+.1%})"))
                      for o, b, x in zip(other, base, rel, strict=True)]
        cc = []
        for k, x, o, b in zip(kpis, rel, other, base, strict=True):
            changed = (abs(x) > 0.01) if not pd.isna(x) else (not pd.isna(o) and not pd.isna(b)
                                                               and o != b)
            if not changed:
                cc.append("")
                continue
            d = direction(k, sla.get(k))
            better = d * np.sign(o - b)
            cc.append("background-color: #d4edda" if better > 0 else
                      "background-color: #f8d7da" if better < 0 else
                      "background-color: #fff3cd")
        colours[col] = cc
    return shown, colours


with guarded("KPIs side by side"):
    st.subheader("KPIs")
    shown, colours = kpi_table(runs)
    st.table(shown.style.apply(lambda _: colours, axis=None))
    st.caption("Deltas against the baseline [0]: green better, red worse (by the SLA's direction "
               "or the KPI's meaning), amber changed with no known direction; changes under 1% "
               "are not highlighted.")

with guarded("SLA verdicts"):
    names_sla: list[str] = []
    for r in runs:
        names_sla += [str(v.get("name")) for v in r.sla if str(v.get("name")) not in names_sla]
    if names_sla:
        st.subheader("SLA verdicts")
        rows = {}
        for lab, r in zip(labels, runs, strict=True):
            got = {str(v.get("name")): v for v in r.sla}
            rows[lab] = [("PASS" if got[n].get("passed") else "FAIL") if n in got else "-"
                         for n in names_sla]
        sla_df = pd.DataFrame(rows, index=names_sla)
        st.table(sla_df.style.map(
            lambda v: {"PASS": "background-color: #d4edda",
                       "FAIL": "background-color: #f8d7da"}.get(v, "")))

with guarded("scenario differences"):
    st.subheader("Scenario fields that differ")
    diff = scenario_diff([read_scenario(r.path) for r in runs])
    diff = [(k, v) for k, v in diff if k not in ("name", "description")] or diff
    if not diff:
        st.write("The resolved scenarios are identical (differences come from the seed or "
                 "the code version).")
    else:
        st.table(pd.DataFrame({lab: [fmt(v[i]) if not isinstance(v[i], list | dict)
                                         else str(v[i]) for _, v in diff]
                                   for i, lab in enumerate(labels)},
                                  index=[k for k, _ in diff]))

st.subheader("Distributions")
with guarded("distributions"):
    if all(city.has_city_tables(r.path) for r in runs):
        samples = {lab: waits(r) for lab, r in zip(labels, runs, strict=True)}
        thr = [(f"SLA {v.get('name')}", float(v["threshold"])) for v in runs[0].sla
               if str(v.get("kpi", "")).startswith("wait") and
               isinstance(v.get("threshold"), int | float)]
        st.image(to_png(plot_cdfs(samples, "wait for pickup [min]", 1 / 60, thr)),
                 caption="wait CDFs of the served requests, overlaid")
    else:
        common = shared_files([r.path for r in runs], "tables")
        if not common:
            st.info("These runs share no table to draw distributions from.")
        else:
            tname = st.selectbox("Table", common, key="cmp_table")
            cols = numeric_columns(frame(runs[0], f"tables/{tname}.parquet").head(1))
            col = st.selectbox("Column", cols, key="cmp_col")
            if col:
                samples = {lab: frame(r, f"tables/{tname}.parquet", [col])
                           .get(col, pd.Series(dtype=float)).to_numpy(float)
                           for lab, r in zip(labels, runs, strict=True)}
                st.image(to_png(plot_cdfs(samples, col, 1.0)))

st.subheader("Confidence intervals")
with guarded("confidence intervals"):
    kpis = [k for k in runs[0].kpis if isinstance(runs[0].kpis.get(k), int | float)]
    default_kpi = next((str(v.get("kpi")) for v in runs[0].sla if v.get("kpi") in kpis),
                       kpis[0] if kpis else None)
    kpi = st.selectbox("KPI", kpis, index=kpis.index(default_kpi) if default_kpi else 0,
                       key="cmp_kpi")
    if kpi:
        cis, points = [], []
        for r in runs:
            cis.append(read_kpis_ci(r.path).get(kpi))
            try:
                reps = frame(r, "replications.parquet", [kpi])
                points.append([float(x) for x in reps.get(kpi, []) if pd.notna(x)])
            except Exception:  # older runs have no replications file: intervals only
                points.append([])
        sla = next((v for v in runs[0].sla if v.get("kpi") == kpi), None)
        st.image(to_png(plot_kpi_ci(labels, cis, kpi, points, sla)))
        if all((c or {}).get("n", 1) in (1, None) for c in cis):
            st.caption("One replication per run: no interval. Run with `--replications N` "
                       "for 95% confidence intervals.")

st.subheader("Time series")
with guarded("time series overlay"):
    common_ts = shared_files([r.path for r in runs], "timeseries")
    if not common_ts:
        st.info("These runs share no time series.")
    else:
        sname = st.selectbox("Series", common_ts, key="cmp_series")
        frames = {lab: frame(r, f"timeseries/{sname}.parquet")
                  for lab, r in zip(labels, runs, strict=True)}
        cols = numeric_columns(next(iter(frames.values())))
        col = st.selectbox("Column", cols, key="cmp_series_col")
        if col:
            st.image(to_png(plot_series_overlay(frames, col, runs[0].sla)))
