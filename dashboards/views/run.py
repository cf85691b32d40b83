"""Run: one run's SLA verdict and KPIs (labelled by the KPI catalogue), interactive charts
sharing one time range, the city map with a time slider, its tables, a report download and
the what-if launcher."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, city
from dashboards.chart_cache import city_specs, series_spec
from dashboards.data import (
    RunInfo,
    files_of,
    read_head,
    read_kpis_ci,
    read_run_bytes,
    read_run_json,
    read_run_text,
    show_time,
    sla_label,
    sla_word,
)
from dashboards.kinds import access_node_tables, load_columns, province_tables
from dashboards.ui import (
    city_map,
    csv_bytes,
    frame,
    guarded,
    kpi_entry,
    no_runs_note,
    ok_runs,
    report_button,
    run_by_name,
    runs_root,
    selected,
    wait_by_interval,
)
from dashboards.whatif_panel import whatif_panel

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
if run is None:  # the folder changed under us (deleted or rewritten while open)
    st.warning(f"Run `{name}` is no longer readable (deleted or changed while open); choose "
               "another run.", icon=":material/warning:")
    st.stop()
kind = run.kind or None

st.caption(f"scenario **{run.scenario}** · kind `{run.kind or '?'}` · created "
           f"{show_time(run.created)} · "
           f"seed {run.seed} · {run.replications} replication(s)"
           + (f" · {run.wall_s:.1f} s wall" if run.wall_s is not None else ""))
if run.origin:
    st.caption(f"made as: {run.origin}")
for note in run.notes:
    st.info(note, icon=":material/info:")
with guarded("report"):
    report_button([run], key="run_report")


def is_open(part: object) -> bool:
    """True when a tab or expander with state is open (only then its content is built)."""
    return bool(getattr(part, "open", True))


def sla_cards(run: RunInfo) -> None:
    if not run.sla:
        st.caption("No SLAs in this scenario.")
        return
    st.subheader(f"SLA verdict: {run.verdict}")
    cols = st.columns(min(len(run.sla), 4))
    for i, v in enumerate(run.sla):
        e = kpi_entry(run, str(v.get("kpi")))
        word = sla_word(v)
        ci = (f", 95% interval {e.show(v['ci_low'])} … {e.show(v['ci_high'])}"
              if v.get("ci_low") is not None and v.get("ci_high") is not None else "")
        cols[i % len(cols)].metric(
            label=sla_label(v, kind),
            value=e.show(v.get("value")),
            delta=f"{word} ({v.get('op', '')} {e.show(v.get('threshold'))})",
            delta_color="normal" if word == "PASS" else "inverse" if word == "FAIL" else "orange",
            delta_arrow="off",
            border=True,
            help=f"SLA `{v.get('name')}`{ci}. {e.title()}: {e.meaning}",
        )


def kpi_table(run: RunInfo, ci: dict) -> pd.DataFrame:
    rows = []
    for k, value in run.kpis.items():
        e = kpi_entry(run, k)
        c = ci.get(k) or {}
        interval = (f"{e.show(c['ci_low'])} … {e.show(c['ci_high'])}"
                    if c.get("ci_low") is not None and c.get("ci_high") is not None else "")
        rows.append({"KPI": e.title(), "value": e.show(value), "95% interval": interval,
                     "unit": e.unit, "better": e.better, "meaning": e.meaning})
    return pd.DataFrame(rows)


def kpi_cards(run: RunInfo) -> None:
    try:
        ci = read_kpis_ci(run.path)
    except Exception as exc:  # an unreadable CI file only loses the intervals
        st.info(f"95% intervals not shown: {exc}", icon=":material/info:")
        ci = {}
    sla_by_kpi = {str(v.get("kpi")): v for v in run.sla}
    st.subheader("KPIs")
    cols = st.columns(4)
    for i, (k, value) in enumerate(run.kpis.items()):
        e = kpi_entry(run, k)
        entry_ci = ci.get(k) or {}
        help_text = e.meaning
        if entry_ci.get("ci_low") is not None and entry_ci.get("ci_high") is not None:
            help_text += (f"\n\n95% interval {e.show(entry_ci['ci_low'])} … "
                          f"{e.show(entry_ci['ci_high'])} over {entry_ci.get('n')} replications")
        label = e.title()
        if k in sla_by_kpi:
            label += {"PASS": " :green[SLA pass]", "FAIL": " :red[SLA fail]"}.get(
                sla_word(sla_by_kpi[k]), " :orange[SLA uncertain]")
        cols[i % 4].metric(label, e.show(value), help=help_text)
    # The table (a data grid) is built when the expander is opened, not on every load.
    table = st.expander("All KPIs as a table", key="kpi_table", on_change="rerun")
    if is_open(table):
        with table:
            df = kpi_table(run, ci)
            st.dataframe(df, hide_index=True)
            st.download_button("CSV", csv_bytes(df), file_name=f"{run.name.replace('/', '_')}"
                               "-kpis.csv", mime="text/csv", key="kpi_csv", on_click="ignore")


with guarded("SLA verdicts"):
    sla_cards(run)
with guarded("KPIs"):
    kpi_cards(run)

# One time range for every chart and the map of this page.
is_city = city.has_city_tables(run.path)
series_names = files_of(run.path, "timeseries")
span: tuple[float, float] | None = None
with guarded("time range"):
    frames = [frame(run, f"timeseries/{s}.parquet", ["t_s"]) for s in series_names]
    if is_city:
        frames.append(wait_by_interval(run)[["t_s"]])
    span = charts.time_range_h(frames)
window: tuple[float, float] | None = None
if span is not None:
    lo, hi = round(span[0], 2), round(span[1], 2)
    window = st.slider("Time range [h] (all charts and the map)", min_value=lo, max_value=hi,
                       value=(lo, hi), step=max(round((hi - lo) / 96, 2), 0.01),
                       key="time_range")

TABS = ["Charts", "Map", "Tables", "What if", "Details"]
# Only the open tab is drawn (the map's WebGL and the charts cost the browser most).
tabs = st.tabs(TABS, key="run_tab", on_change="rerun")
tab_ts, tab_map, tab_tables, tab_whatif, tab_details = tabs



def draw_charts(run: RunInfo) -> None:
    if is_city:
        with guarded("demand, waits and fleet state"):
            specs = city_specs(run, window)
            c1, c2 = st.columns(2)
            c1.vega_lite_chart(spec=specs["demand"], key="chart_demand")
            c2.vega_lite_chart(spec=specs["wait"], key="chart_wait")
            st.vega_lite_chart(spec=specs["fleet"], key="chart_fleet")
    if not series_names:
        st.info("This run has no time series (timeseries/*.parquet).")
    for sname in series_names:
        if is_city and sname == "fleet":
            continue
        with guarded(f"time series {sname}"):
            df = frame(run, f"timeseries/{sname}.parquet")
            cols = charts.numeric_series_columns(df)
            sla_cols = [c for c in cols if charts.sla_for_column(c, run.sla)]
            default = (sla_cols + [c for c in cols if c not in sla_cols])[:3]
            chosen = st.multiselect(f"Series `{sname}`", cols, default=default,
                                    format_func=lambda c: charts.column_label(c, kind),
                                    key=f"ts_{sname}")
            key_col = charts.key_column(df)
            if key_col and chosen:
                st.caption(f"`{sname}` has one row per {key_col} and time: one line per "
                           f"{key_col} (the 8 highest) for {charts.column_label(chosen[0], kind)}.")
            if chosen:
                st.vega_lite_chart(spec=series_spec(run, sname, chosen, window),
                                   key=f"chart_{sname}")


with tab_ts:
    if is_open(tab_ts):
        draw_charts(run)


def draw_map(run: RunInfo) -> None:
    shown = False
    if is_city:
        with guarded("city map"):
            city_deck, n = city_map(run, window)
            st.pydeck_chart(city_deck, key="city_map", height=520)
            st.caption(f"Requests made in the time range: {n['served']:,} served (blue, size "
                       f"by count per node), {n['abandoned']:,} abandoned (red: hot spots), "
                       f"{n['deadhead']:,} deadhead legs (orange, at most 3,000 drawn). Move "
                       "the time range above to follow the day.")
        shown = True
    for tname, id_col in access_node_tables(run.path):
        with guarded(f"access nodes ({tname})"):
            df = frame(run, f"tables/{tname}.parquet")
            loads = load_columns(list(df.columns))
            value = str(st.selectbox(f"`{tname}` by", loads, key=f"an_{tname}",
                                     format_func=lambda c: charts.column_label(c, kind)))
            label_col = id_col
            if "province" in df.columns:
                df = df.assign(_label=df["province"].astype(str) + " · " + df[id_col].astype(str))
                label_col = "_label"
            thr = next((float(v["threshold"]) for v in run.sla
                        if "util" in value and "util" in str(v.get("kpi", ""))
                        and isinstance(v.get("threshold"), int | float)), None)
            st.altair_chart(charts.bar_chart(df, label_col, value,
                                             title=f"{tname}: the 30 highest by "
                                             f"{charts.column_label(value, run.kind)}",
                                             threshold=thr), key=f"bars_{tname}")
        shown = True
    for tname, pcol in province_tables(run.path):
        st.info(f"Per-province table `{tname}` (column `{pcol}`): see the Rollout map page.",
                icon=":material/map:")
        shown = True
    if not shown:
        st.info("No map for this run: it has neither road-network tables (tables/nodes, "
                "tables/requests) nor a per-access-node or per-province table.",
                icon=":material/info:")


with tab_map:
    if is_open(tab_map):
        draw_map(run)


def draw_tables(run: RunInfo) -> None:
    tables = files_of(run.path, "tables")
    if not tables:
        st.info("This run has no tables (tables/*.parquet).")
    else:
        tname = st.selectbox("Table", tables, key="table_name")
        with guarded(f"table {tname}"):
            head, total = read_head(run.path, f"tables/{tname}.parquet", 200)
            st.caption(f"`{tname}`: {total:,} rows; the first {len(head):,} shown")
            st.dataframe(head, hide_index=True)
            st.download_button("CSV of the rows shown", csv_bytes(head),
                               file_name=f"{run.name.replace('/', '_')}-{tname}.csv",
                               mime="text/csv", key="table_csv", on_click="ignore")


with tab_tables:
    if is_open(tab_tables):
        draw_tables(run)


def draw_whatif(run: RunInfo) -> None:
    whatif_panel(run, root)


with tab_whatif:
    if is_open(tab_whatif):
        draw_whatif(run)


def draw_details(run: RunInfo) -> None:
    with guarded("manifest"):
        st.json(read_run_json(run.path, "manifest.json"), expanded=False)
    with guarded("scenario"):
        if (run.path / "scenario.yaml").exists() or (run.path / "scenario.yaml").is_symlink():
            st.code(read_run_text(run.path, "scenario.yaml")[:50000], language="yaml")
    plots = sorted((run.path / "plots").glob("*.png")) if (run.path / "plots").is_dir() else []
    for p in plots:
        with guarded(f"plots/{p.name}"):
            st.image(read_run_bytes(run.path, f"plots/{p.name}"), caption=f"plots/{p.name}")


with tab_details:
    if is_open(tab_details):
        draw_details(run)
