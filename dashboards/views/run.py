"""Run: one run's KPI cards with SLA verdicts, time series with thresholds, its map, its tables."""

from __future__ import annotations

import json

import streamlit as st

from dashboards import city
from dashboards.data import RunInfo, files_of, read_head, read_scenario
from dashboards.figures import to_png
from dashboards.kinds import access_node_tables, load_columns, province_tables
from dashboards.plot_maps import plot_access_nodes
from dashboards.plot_series import key_column, numeric_columns, sla_for_column
from dashboards.ui import (
    city_map_png,
    city_pngs,
    fmt,
    frame,
    guarded,
    no_runs_note,
    ok_runs,
    run_by_name,
    runs_root,
    selected,
    series_png,
)

st.title("Run")
root = runs_root()
available = sorted(ok_runs(root), key=lambda r: r.created, reverse=True)
if not available:
    no_runs_note(root)
    st.stop()

names = [r.name for r in available]
wanted = selected()
bad = [n for n in wanted if run_by_name(root, n) is None]
if bad:
    st.warning("Ignored run names that are not readable runs in the results folder: "
               + ", ".join(f"`{n[:80]}`" for n in bad), icon=":material/warning:")
first = next((n for n in wanted if n in names), names[0])
name = st.selectbox("Run", names, index=names.index(first), key="run_name")
run = run_by_name(root, name)
if run is None:  # the folder changed under us
    st.warning(f"{name}: no longer readable")
    st.stop()

st.caption(f"scenario **{run.scenario}** · kind `{run.kind or '?'}` · created {run.created} · "
           f"seed {run.seed} · {run.replications} replication(s)"
           + (f" · {run.wall_s:.1f} s wall" if run.wall_s is not None else ""))
if run.origin:
    st.caption(f"made as: {run.origin}")
for note in run.notes:
    st.info(note, icon=":material/info:")


def sla_cards(run: RunInfo) -> None:
    if not run.sla:
        st.caption("No SLAs in this scenario.")
        return
    st.subheader(f"SLA verdict: {run.verdict}")
    cols = st.columns(min(len(run.sla), 4))
    for i, v in enumerate(run.sla):
        passed = bool(v.get("passed"))
        cols[i % len(cols)].metric(
            label=str(v.get("name") or v.get("kpi")),
            value=fmt(v.get("value")),
            delta=("PASS" if passed else "FAIL") + f" ({v.get('op', '')} {fmt(v.get('threshold'))})",
            delta_color="normal" if passed else "inverse",
            delta_arrow="off",
            border=True,
        )


def kpi_cards(run: RunInfo) -> None:
    from dashboards.data import read_kpis_ci

    try:
        ci = read_kpis_ci(run.path)
    except Exception:  # an unreadable CI file only loses the intervals
        ci = {}
    sla_by_kpi = {str(v.get("kpi")): v for v in run.sla}
    st.subheader("KPIs")
    items = list(run.kpis.items())
    cols = st.columns(4)
    for i, (k, value) in enumerate(items):
        entry = ci.get(k) or {}
        help_text = None
        if entry.get("ci_low") is not None and entry.get("ci_high") is not None:
            help_text = (f"95% CI {fmt(entry['ci_low'])} … {fmt(entry['ci_high'])} "
                         f"over {entry.get('n')} replications")
        label = k
        if k in sla_by_kpi:
            label += " :green[SLA pass]" if sla_by_kpi[k].get("passed") else " :red[SLA fail]"
        cols[i % 4].metric(label, fmt(value), help=help_text)


with guarded("SLA verdicts"):
    sla_cards(run)
with guarded("KPIs"):
    kpi_cards(run)

tab_ts, tab_map, tab_tables, tab_details = st.tabs(["Time series", "Map", "Tables", "Details"])

with tab_ts:
    if city.has_city_tables(run.path):
        with guarded("city figures"):
            pngs = city_pngs(run)
            c1, c2 = st.columns(2)
            c1.image(pngs["demand"], caption="demand over the day")
            c2.image(pngs["wait"], caption="wait by request time, SLA thresholds dashed")
            if "fleet" in pngs:
                st.image(pngs["fleet"], caption="fleet state over time")
    series = files_of(run.path, "timeseries")
    if not series:
        st.info("This run has no time series (timeseries/*.parquet).")
    for sname in series:
        with guarded(f"time series {sname}"):
            df = frame(run, f"timeseries/{sname}.parquet")
            cols = numeric_columns(df)
            with_sla = [c for c in cols if sla_for_column(c, run.sla)]
            default = (with_sla + [c for c in cols if c not in with_sla])[:3]
            chosen = st.multiselect(f"Columns of `{sname}`", cols, default=default,
                                    key=f"ts_{sname}")
            key = key_column(df)
            if key:
                st.caption(f"`{sname}` has one row per {key} and time: one line per {key} "
                           f"(the 8 highest) for `{chosen[0] if chosen else '?'}`.")
            if chosen:
                st.image(series_png(run, sname, chosen))

with tab_map:
    shown = False
    if city.has_city_tables(run.path):
        with guarded("city map"):
            st.image(city_map_png(run), caption="served pickups per node (colour), abandonment "
                     "hot spots (red crosses) and deadhead legs (orange) on the road network")
        shown = True
    for tname, id_col in access_node_tables(run.path):
        with guarded(f"access nodes ({tname})"):
            df = frame(run, f"tables/{tname}.parquet")
            loads = load_columns(list(df.columns))
            value = st.selectbox(f"Colour access nodes of `{tname}` by", loads,
                                 key=f"an_{tname}")
            if "province" in df.columns:
                df = df.assign(_label=df["province"].astype(str) + " · " + df[id_col].astype(str))
            st.image(to_png(plot_access_nodes(df, value, name="_label" if "_label" in df.columns
                                              else id_col)))
        shown = True
    for tname, pcol in province_tables(run.path):
        st.info(f"Per-province table `{tname}` (column `{pcol}`): see the Rollout map page.",
                icon=":material/map:")
        shown = True
    if not shown:
        st.info("No map for this run: it has neither road-network tables (tables/nodes, "
                "tables/requests) nor a per-access-node or per-province table.", icon=":material/info:")

with tab_tables:
    tables = files_of(run.path, "tables")
    if not tables:
        st.info("This run has no tables (tables/*.parquet).")
    else:
        tname = st.selectbox("Table", tables, key="table_name")
        with guarded(f"table {tname}"):
            head, total = read_head(run.path, f"tables/{tname}.parquet", 200)
            st.caption(f"`{tname}`: {total:,} rows; the first {len(head):,} shown")
            st.dataframe(head, hide_index=True)

with tab_details:
    with guarded("manifest"):
        manifest = json.loads((run.path / "manifest.json").read_text(encoding="utf-8"))
        st.json(manifest, expanded=False)
    with guarded("scenario"):
        read_scenario(run.path)  # raises a labelled problem when the YAML is broken
        path = run.path / "scenario.yaml"
        if path.is_file():
            st.code(path.read_text(encoding="utf-8")[:50000], language="yaml")
    plots = sorted((run.path / "plots").glob("*.png")) if (run.path / "plots").is_dir() else []
    for p in plots:
        st.image(str(p), caption=f"plots/{p.name}")
