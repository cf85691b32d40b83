"""Rollout map: China's provinces coloured by the 2016 targets or a national run's results."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.figures import to_png
from dashboards.kinds import province_tables
from dashboards.plot_maps import plot_province_map
from dashboards.provinces import province_frame
from dashboards.rollout_targets import lookup, total_target_10k
from dashboards.ui import frame, guarded, ok_runs, runs_root

st.title("Rollout map")
st.caption("China Telecom's 2016 IPTV government-and-enterprise plan: "
           f"{total_target_10k() * 1e4:,.0f} set-top boxes across 31 provinces.")


@st.cache_resource(show_spinner="Reading province boundaries…")
def provinces():  # type: ignore[no-untyped-def]
    return province_frame()


@st.cache_data(show_spinner=False, max_entries=32)
def _map_png(column: str, values: tuple[tuple[int, object], ...], title: str,
             label: str) -> bytes:
    gdf = provinces().copy()
    gdf[column] = gdf["adcode"].map(dict(values)).astype(object)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for _, v in values):
        gdf[column] = pd.to_numeric(gdf[column], errors="coerce")
    return to_png(plot_province_map(gdf, column, title, label), dpi=100)


root = runs_root()
measures: dict[str, tuple[dict[int, object], str]] = {}
with guarded("province boundaries"):
    base = provinces()
    measures["2016 target (10,000 boxes)"] = (dict(zip(base["adcode"], base["target_10k"],
                                                       strict=True)), "10,000 boxes")
    measures["2016 launch batch (1: 11 July, 2: 1 August)"] = (
        dict(zip(base["adcode"], base["batch"], strict=True)), "batch")

national = []
for r in ok_runs(root):
    for tname, pcol in province_tables(r.path):
        national.append((r, tname, pcol))
unmatched: list[str] = []
if national:
    labels = [f"{r.name} · {t}" for r, t, _ in national]
    pick = st.selectbox("Simulated results from", labels, key="rollout_run")
    r, tname, pcol = national[labels.index(pick)]
    with guarded(f"per-province table {tname} of {r.name}"):
        df = frame(r, f"tables/{tname}.parquet")
        if "replication" in df.columns:
            df = df.drop(columns="replication").groupby(pcol, as_index=False).mean(
                numeric_only=True) if df["replication"].nunique() > 1 else \
                df.drop(columns="replication")
        codes = df[pcol].map(lambda v: getattr(lookup(v), "adcode", None))
        unmatched = sorted({str(v) for v, c in zip(df[pcol], codes, strict=True) if c is None})
        df = df.assign(_code=codes).dropna(subset=["_code"])
        # The run's SLAs applied to the same column per province give a verdict per province.
        ops = {"<=": lambda a, b: a <= b, "<": lambda a, b: a < b,
               ">=": lambda a, b: a >= b, ">": lambda a, b: a > b}
        for v in r.sla:
            kpi, op, thr = v.get("kpi"), v.get("op"), v.get("threshold")
            if kpi in df.columns and op in ops and isinstance(thr, int | float):
                verdict = {int(c): bool(ops[op](float(x), float(thr)))
                           for c, x in zip(df["_code"], df[kpi], strict=True) if pd.notna(x)}
                measures[f"SLA {v.get('name') or kpi} (verdict per province)"] = (verdict,
                                                                                   str(kpi))
        for col in df.columns:
            if col in (pcol, "_code"):
                continue
            s = df[col]
            if pd.api.types.is_bool_dtype(s):
                measures[f"{col} (SLA verdict per province)"] = (
                    {int(c): bool(v) for c, v in zip(df["_code"], s, strict=True)}, col)
            elif pd.api.types.is_numeric_dtype(s):
                measures[f"{col} (simulated)"] = (
                    {int(c): float(v) for c, v in zip(df["_code"], s, strict=True)
                     if pd.notna(v)}, col)
else:
    st.info("No run in the results folder has a per-province table (a table with a "
            "`province` column), so only the 2016 plan is shown. A national IPTV run, e.g. "
            "`fleettwin run iptv_national_rollout_day`, adds simulated peak load, KPIs and SLA "
            "verdicts per province.", icon=":material/info:")
if unmatched:
    st.warning("Province names not recognised: " + ", ".join(unmatched[:10]), icon=":material/warning:")

if measures:
    simulated = [m for m in measures if "simulated" in m or "verdict" in m]
    sla_cols = [f"{v.get('kpi')} (simulated)" for v in (national[labels.index(pick)][0].sla
                                                         if national else [])]
    default = next((m for m in sla_cols if m in measures),
                   next((m for m in simulated if "peak" in m),
                        simulated[0] if simulated else next(iter(measures))))
    measure = st.selectbox("Colour provinces by", list(measures),
                           index=list(measures).index(default), key="rollout_measure")
    values, label = measures[measure]
    with guarded("province map"):
        st.image(_map_png(label, tuple(sorted(values.items())), measure, label))
        table = provinces()[["name", "name_zh", "adcode", "target_10k", "batch"]].copy()
        table[label if label not in table.columns else f"{label} "] = table["adcode"].map(
            values)
        st.dataframe(table.sort_values("target_10k", ascending=False), hide_index=True)
