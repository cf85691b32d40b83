"""Compare: runs (or a sweep) side by side, deltas, scenario differences, distributions, CIs.

KPIs are labelled and formatted by the KPI catalogue; deltas are coloured by each KPI's better
direction; every table can be downloaded as CSV and the whole comparison as an HTML report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboards import city
from dashboards.charts import column_label, numeric_series_columns, time_range_h
from dashboards.charts_compare import cdf_chart, ci_chart, overlay_chart, saving_chart
from dashboards.data import (
    RunInfo,
    read_kpis_ci,
    read_scenario,
    scenario_diff,
    shared_files,
    sla_label,
    sla_word,
)
from dashboards.sweeps import by_point, mean_ci, point_table
from dashboards.ui import (
    csv_bytes,
    fmt,
    frame,
    guarded,
    kpi_entry,
    no_runs_note,
    ok_runs,
    report_button,
    runs_root,
    selected,
    set_selected,
    waits,
)

GREEN, RED, AMBER = "background-color: #d4edda", "background-color: #f8d7da", \
    "background-color: #fff3cd"


def csv_button(df: pd.DataFrame, name: str, key: str) -> None:
    st.download_button("CSV", csv_bytes(df), file_name=f"{name}.csv", mime="text/csv",
                       key=key, on_click="ignore", icon=":material/download:")


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
            "`fleettwin run city_taxi --set policies.dispatch.algorithm=batch_matching`, or "
            "with the What if tab of the Run page).", icon=":material/info:")
    st.stop()

runs: list[RunInfo] = [by_name[n] for n in chosen]
kind = runs[0].kind or None

if mode == "a sweep folder":
    with guarded("sweep points"):
        st.subheader("Sweep points")
        sla_kpis = [str(v.get("kpi")) for v in runs[0].sla]
        heads = [k for k in runs[0].kpis if k in sla_kpis] or list(runs[0].kpis)[:5]
        table = pd.DataFrame(point_table(runs, heads)).rename(
            columns={k: kpi_entry(runs[0], k).title() for k in heads})
        st.dataframe(table, hide_index=True)
        csv_button(table, "sweep-points", "csv_sweep")
        st.caption("Mean ± half-width of the 95% Student-t interval over the replications "
                   "of each grid point.")
        kpi_s = st.selectbox("KPI across sweep points", list(runs[0].kpis),
                             index=list(runs[0].kpis).index(heads[0]) if heads else 0,
                             format_func=lambda k: kpi_entry(runs[0], k).title(),
                             key="cmp_sweep_kpi")
        vals = {key: [float(r.kpis[kpi_s]) for r in members
                      if isinstance(r.kpis.get(kpi_s), int | float)]
                for key, members in by_point(runs).items()}
        sla_s = next((v for v in runs[0].sla if v.get("kpi") == kpi_s), None)
        st.altair_chart(ci_chart(list(vals), [mean_ci(v) for v in vals.values()], kpi_s,
                                 list(vals.values()), sla_s, kind), key="chart_sweep")
labels = [f"[{i}] {r.name[:40]}" for i, r in enumerate(runs)]
st.caption(" · ".join(f"**[{i}]** {r.name} ({r.scenario}, seed {r.seed})"
                      for i, r in enumerate(runs)))
with guarded("report"):
    report_button(runs, key="cmp_report")


def kpi_table(runs: list[RunInfo]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labelled, formatted KPI values side by side with deltas, and the cell colours."""
    kpis: list[str] = []
    for r in runs:
        kpis += [k for k in r.kpis if k not in kpis]
    entries = [kpi_entry(runs[0], k) for k in kpis]
    shown = pd.DataFrame({"KPI": [e.title() for e in entries]})
    colours = pd.DataFrame("", index=shown.index, columns=["KPI"])
    for lab, r in zip(labels, runs, strict=True):
        shown[lab] = [e.show(r.kpis.get(k)) for e, k in zip(entries, kpis, strict=True)]
        colours[lab] = ""
    base = runs[0].kpis
    for i in range(1, len(runs)):
        col = f"Δ[{i}] vs [0]"
        cells, cc = [], []
        for e, k in zip(entries, kpis, strict=True):
            b, o = base.get(k), runs[i].kpis.get(k)
            d = e.show_delta(b, o)
            numeric = isinstance(b, int | float) and isinstance(o, int | float)
            rel = (o - b) / abs(b) if numeric and b else np.nan  # type: ignore[operator]
            cells.append(d + ("" if not numeric or np.isnan(rel) else f" ({rel:+.1%})"))
            changed = numeric and (abs(rel) > 0.01 if not np.isnan(rel) else o != b)
            better = e.direction * np.sign(o - b) if changed else 0  # type: ignore[operator]
            cc.append(GREEN if better > 0 else RED if better < 0 else AMBER if changed else "")
        shown[col] = cells
        colours[col] = cc
    shown["unit"] = [e.unit for e in entries]
    colours["unit"] = ""
    return shown, colours


with guarded("KPIs side by side"):
    st.subheader("KPIs")
    shown, colours = kpi_table(runs)
    st.dataframe(shown.style.apply(lambda _: colours, axis=None), hide_index=True)
    csv_button(shown, "kpis-compared", "csv_kpis")
    st.caption("Deltas against the baseline [0] in each KPI's unit (shares in percentage "
               "points): green better, red worse by the KPI's better direction, amber changed "
               "with no better direction; changes under 1% are not highlighted.")

with guarded("SLA verdicts"):
    names_sla: list[str] = []
    for r in runs:
        names_sla += [str(v.get("name")) for v in r.sla if str(v.get("name")) not in names_sla]
    if names_sla:
        st.subheader("SLA verdicts")
        first = {str(v.get("name")): v for r in reversed(runs) for v in r.sla}
        sla_rows: dict[str, list[str]] = {"SLA": [sla_label(first[n], kind) for n in names_sla]}
        for lab, r in zip(labels, runs, strict=True):
            got = {str(v.get("name")): v for v in r.sla}
            sla_rows[lab] = [sla_word(got[n]) if n in got else "-" for n in names_sla]
        sla_df = pd.DataFrame(sla_rows)
        st.dataframe(sla_df.style.map(
            lambda v: {"PASS": GREEN, "FAIL": RED, "UNCERTAIN": AMBER}.get(v, "")),
            hide_index=True)
        csv_button(sla_df, "sla-compared", "csv_sla")

if kind == "fleet_year":
    with guarded("economics"):
        from sim.fleetops.appraisal import FIGURES, appraise_runs, show_figure

        econ = appraise_runs([r.path for r in runs])
        if econ:
            st.subheader("Economics against the baseline")
            econ_df = pd.DataFrame({"figure": [lab for _, lab, _ in FIGURES]} | {
                labels[a["run"]]: [show_figure(n, f, a.get(n)) for n, _, f in FIGURES]
                for a in econ})
            st.dataframe(econ_df, hide_index=True)
            csv_button(econ_df, "economics", "csv_econ")
            st.altair_chart(saving_chart({labels[a["run"]]: a["cumulative_saving_cny"]
                                          for a in econ}), key="chart_saving")
            st.caption("Each run against the baseline [0] from the monthly cost tables: the "
                       "platform cost above the baseline's is the investment, the other "
                       "costs avoided the return; NPV and IRR by numpy-financial at the "
                       "run's discount rate.")

with guarded("scenario differences"):
    st.subheader("Scenario fields that differ")
    diff = scenario_diff([read_scenario(r.path) for r in runs])
    diff = [(k, v) for k, v in diff if k not in ("name", "description")] or diff
    if not diff:
        st.write("The resolved scenarios are identical (differences come from the seed or "
                 "the code version).")
    else:
        diff_df = pd.DataFrame({"field": [k for k, _ in diff]} | {
            lab: [fmt(v[i]) if not isinstance(v[i], list | dict) else str(v[i])
                  for _, v in diff] for i, lab in enumerate(labels)})
        st.dataframe(diff_df, hide_index=True)
        csv_button(diff_df, "scenario-differences", "csv_diff")

st.subheader("Distributions")
with guarded("distributions"):
    if all(city.has_city_tables(r.path) for r in runs):
        samples = {lab: waits(r) for lab, r in zip(labels, runs, strict=True)}
        thr = [(f"SLA {v.get('name')}", float(v["threshold"])) for v in runs[0].sla
               if str(v.get("kpi", "")).startswith("wait") and
               isinstance(v.get("threshold"), int | float)]
        st.altair_chart(cdf_chart(samples, "wait for pickup [min]", 1 / 60, thr),
                        key="chart_cdf")
        st.caption("Wait CDFs of the served requests, overlaid; SLA thresholds dashed.")
    else:
        common = shared_files([r.path for r in runs], "tables")
        if not common:
            st.info("These runs share no table to draw distributions from.")
        else:
            tname = st.selectbox("Table", common, key="cmp_table")
            cols = numeric_series_columns(frame(runs[0], f"tables/{tname}.parquet").head(1))
            col = st.selectbox("Column", cols, key="cmp_col",
                               format_func=lambda c: column_label(c, kind))
            if col:
                samples = {lab: frame(r, f"tables/{tname}.parquet", [col])
                           .get(col, pd.Series(dtype=float)).to_numpy(float)
                           for lab, r in zip(labels, runs, strict=True)}
                st.altair_chart(cdf_chart(samples, column_label(col, kind)), key="chart_cdf")

st.subheader("Confidence intervals")
with guarded("confidence intervals"):
    kpis = [k for k in runs[0].kpis if isinstance(runs[0].kpis.get(k), int | float)]
    default_kpi = next((str(v.get("kpi")) for v in runs[0].sla if v.get("kpi") in kpis),
                       kpis[0] if kpis else None)
    kpi = st.selectbox("KPI", kpis, index=kpis.index(default_kpi) if default_kpi else 0,
                       format_func=lambda k: kpi_entry(runs[0], k).title(), key="cmp_kpi")
    if kpi:
        cis, rep_values = [], []
        for r in runs:
            cis.append(read_kpis_ci(r.path).get(kpi) or {"mean": r.kpis.get(kpi), "n": 1})
            try:
                reps = frame(r, "replications.parquet", [kpi])
                rep_values.append([float(x) for x in reps.get(kpi, []) if pd.notna(x)])
            except Exception:  # older runs have no replications file: intervals only
                rep_values.append([])
        sla = next((v for v in runs[0].sla if v.get("kpi") == kpi), None)
        st.altair_chart(ci_chart(labels, cis, kpi, rep_values, sla, kind), key="chart_ci")
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
        cols = numeric_series_columns(next(iter(frames.values())))
        col = st.selectbox("Column", cols, key="cmp_series_col",
                           format_func=lambda c: column_label(c, kind))
        span = time_range_h(list(frames.values()))
        window = None
        if span is not None:
            lo, hi = round(span[0], 2), round(span[1], 2)
            window = st.slider("Time range [h]", lo, hi, (lo, hi), key="cmp_time_range",
                               step=max(round((hi - lo) / 96, 2), 0.01))
        if col:
            st.altair_chart(overlay_chart(frames, col, runs[0].sla, kind, window),
                            key="chart_overlay")
