"""Runs: every run in the results folder with its headline KPIs and SLA verdict."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards.data import RunInfo, show_time
from dashboards.ui import csv_bytes, no_runs_note, runs, runs_root, selected, set_selected
from sim.results.catalogue import entry

#: KPIs shown by default when present (besides those an SLA names).
HEADLINE = ["service_rate", "wait_mean_s", "wait_p95_s", "deadhead_ratio", "utilisation",
            "cost_cny", "on_time_rate", "vod_blocking", "peak_util", "back_on_air_s"]


def table(listing: list[RunInfo], kpis: list[str]) -> pd.DataFrame:
    rows = []
    for r in listing:
        row = {
            "run": r.name,
            "status": "ok" if r.ok else "problem",
            "scenario": r.scenario,
            "kind": r.kind,
            "created": r.created,
            "seed": r.seed,
            "reps": r.replications,
            "SLA": r.verdict if r.ok else "",
        }
        row.update({entry(k).title(): r.kpis.get(k) for k in kpis})
        row["origin"] = r.origin
        row["problem"] = r.problem or "; ".join(r.notes)
        rows.append(row)
    return pd.DataFrame(rows)


def _colour_verdict(v: object) -> str:
    return {"PASS": "background-color: #d4edda", "FAIL": "background-color: #f8d7da",
            "UNCERTAIN": "background-color: #fff3cd",
            "problem": "background-color: #fff3cd"}.get(str(v), "")


st.title("Runs")
root = runs_root()
listing = runs(root)
if not listing:
    no_runs_note(root)
    st.stop()

all_kpis: list[str] = []
for r in listing:
    all_kpis += [k for k in r.kpis if k not in all_kpis]
sla_kpis = [str(v.get("kpi")) for r in listing for v in r.sla]
default_kpis = [k for k in all_kpis if k in sla_kpis or k in HEADLINE][:8] or all_kpis[:6]

with st.expander("Filter and columns", expanded=False):
    c1, c2, c3 = st.columns(3)
    text = c1.text_input("Name or scenario contains", key="runs_filter")
    kinds = sorted({r.kind for r in listing if r.kind})
    kind_sel = c2.multiselect("Kinds", kinds, default=kinds, key="runs_kinds")
    all_verdicts = ["PASS", "FAIL", "UNCERTAIN", "-", "problem"]
    verdicts = c3.multiselect("SLA verdict", all_verdicts, default=all_verdicts,
                              key="runs_verdicts")
    kpi_cols = st.multiselect("KPI columns", all_kpis, default=default_kpis, key="runs_kpis",
                              format_func=lambda k: entry(k).title())
    s1, s2 = st.columns(2)
    sort_by = s1.selectbox("Sort by", ["created", "run", "scenario", "SLA",
                                       *[entry(k).title() for k in kpi_cols]],
                           key="runs_sort")
    descending = s2.toggle("Descending", value=True, key="runs_desc")


def keep(r: RunInfo) -> bool:
    if text and text.lower() not in (r.name + " " + r.scenario).lower():
        return False
    if r.kind and r.kind not in kind_sel:
        return False
    return (r.verdict if r.ok else "problem") in verdicts


shown = [r for r in listing if keep(r)]
df = table(shown, kpi_cols)
if not df.empty and sort_by in df.columns:
    df = df.sort_values(sort_by, ascending=not descending, na_position="last", kind="stable")
n_ok = sum(r.ok for r in listing)
st.caption(f"{len(shown)} of {len(listing)} entries in `{root}` "
           f"({n_ok} readable runs, {len(listing) - n_ok} with problems)")
formats: dict[str, Any] = {entry(k).title(): entry(k).show for k in kpi_cols
                           if entry(k).title() in df.columns}
if "created" in df.columns:
    formats["created"] = show_time
styled = df.style.map(_colour_verdict, subset=["SLA", "status"]).format(formats)
st.dataframe(styled, hide_index=True)
st.download_button("CSV", csv_bytes(df), file_name="runs.csv", mime="text/csv", key="runs_csv",
                   on_click="ignore", icon=":material/download:")

problems = [r for r in shown if not r.ok]
for r in problems:
    st.warning(f"**{r.name}**: {r.problem}", icon=":material/warning:")

names = [r.name for r in listing if r.ok]
default = [n for n in selected() if n in names]
choice = st.multiselect("Selected runs (open one on the Run page, or compare several)", names,
                        default=default, key="runs_selected")
set_selected(choice)
b1, b2, _ = st.columns([1, 1, 4])
if b1.button("Open on Run page", disabled=len(choice) < 1):
    st.switch_page("views/run.py")
if b2.button("Compare selected", disabled=len(choice) < 2):
    st.switch_page("views/compare.py")
