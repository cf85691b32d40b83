"""Live operations: the 10-minute statistics per district, alarms, gateway load, incidents.

The stream comes from a twin folder (``fleettwin twin opsstream TWIN`` writes
``TWIN/opsstream/window-*.parquet``; give the folder below, as ``?twin=PATH`` or in
``$FLEETTWIN_TWIN``) or from a run that wrote one (``timeseries/opsstream.parquet``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboards.data import files_of, parquet_columns
from dashboards.ui import frame, guarded, ok_runs, runs_root
from sim.opsstream.catalogue import STATISTICS, label

TWIN_ENV = "FLEETTWIN_TWIN"
ALARMS = [s for s in STATISTICS if s.startswith("alarms_") and s != "alarms_total"]
HEADLINE = ["vehicles_online", "vehicles_moving", "alarms_total", "boxes_online",
            "cameras_online", "devices_silent"]

st.title("Live operations")
st.caption("Statistics per district every window (10 minutes by default), from a twin's "
           "operations stream or a run's.")


@st.cache_data(show_spinner="Reading the operations stream…", ttl=30)
def twin_stream(folder: str) -> pd.DataFrame:
    """Every window a twin has written, via DuckDB (no path spliced into SQL)."""
    files = sorted(str(p) for p in Path(folder, "opsstream").glob("window-*.parquet"))
    if not files:
        return pd.DataFrame(columns=["window_start_s", "window_s", "district", "statistic",
                                     "value"])
    with duckdb.connect() as con:
        return con.execute("SELECT * FROM read_parquet(?)", [files]).df()


@st.cache_data(show_spinner=False, ttl=30)
def incidents(folder: str) -> pd.DataFrame | None:
    path = Path(folder, "opsstream", "incidents.parquet")
    return pd.read_parquet(path) if path.is_file() else None


def _clock(df: pd.DataFrame, start_col: str) -> pd.Series:
    return pd.to_datetime(df[start_col], unit="s", utc=True).dt.tz_convert("Asia/Shanghai")


sources = ["twin folder"]
root = runs_root()
runs = [r for r in ok_runs(root) if "opsstream" in files_of(r.path, "timeseries")]
if runs:
    sources.append("run")
source = st.radio("Source", sources, horizontal=True, key="ops_source")
data = pd.DataFrame()
folder = ""
if source == "twin folder":
    default = st.query_params.get("twin") or os.environ.get(TWIN_ENV, "")
    folder = st.text_input("Twin folder", value=default, key="ops_twin")
    if not folder:
        st.info("Give a twin folder, then write its stream with "
                "`fleettwin twin opsstream TWIN`.", icon=":material/info:")
        st.stop()
    if not Path(folder).is_dir():
        st.warning(f"Not a folder: `{folder}`", icon=":material/warning:")
        st.stop()
    with guarded("operations stream"):
        data = twin_stream(folder)
        data = data.assign(when=_clock(data, "window_start_s"))
else:
    names = [r.name for r in runs]
    run = runs[names.index(st.selectbox("Run", names, key="ops_run"))]
    with guarded("operations stream"):
        data = frame(run, "timeseries/opsstream.parquet")
        if "replication" in data.columns:
            data = data[data["replication"] == data["replication"].min()]
        data = data.rename(columns={"t_s": "window_start_s"})
        data = data.assign(when=pd.Timestamp("2024-01-01") + pd.to_timedelta(
            data["window_start_s"], unit="s"))
if data.empty:
    st.info("No windows written yet.", icon=":material/info:")
    st.stop()

districts = sorted(data["district"].unique())
chosen = st.multiselect("Districts", districts, default=districts[:8], key="ops_districts")
view = data[data["district"].isin(chosen)] if chosen else data
last = view[view["window_start_s"] == view["window_start_s"].max()]
width = float(data["window_s"].iloc[0])
when = last["when"].iloc[0] if len(last) else None
st.subheader(f"Latest window: {when:%Y-%m-%d %H:%M} ({width / 60:g} min)"
             if isinstance(when, dt.datetime) else "Latest window")

with guarded("headline"):
    present = [s for s in HEADLINE if s in set(last["statistic"])]
    cols = st.columns(max(1, len(present)))
    for col, stat in zip(cols, present, strict=False):
        col.metric(label(stat), f"{last.loc[last['statistic'] == stat, 'value'].sum():,.0f}")

with guarded("statistics per district"):
    table = last.pivot_table(index="statistic", columns="district", values="value",
                             aggfunc="sum")
    table.index = [label(s) for s in table.index]
    table.index.name = "Statistic"
    st.dataframe(table, height=420)

with guarded("over time"):
    stats = sorted(view["statistic"].unique())
    labels = [label(s) for s in stats]
    pick = st.selectbox("Statistic over time", labels, key="ops_stat")
    stat = stats[labels.index(pick)]
    wide = view[view["statistic"] == stat].pivot_table(index="when", columns="district",
                                                      values="value", aggfunc="sum")
    st.line_chart(wide, x_label="window start", y_label=pick)

with guarded("alarms"):
    st.subheader("Alarms by type, latest window")
    al = last[last["statistic"].isin(ALARMS)]
    if al.empty or al["value"].sum() == 0:
        st.caption("No alarms in the latest window.")
    else:
        bars = al.pivot_table(index="district", columns="statistic", values="value",
                              aggfunc="sum").rename(columns=label)
        st.bar_chart(bars, x_label="district", y_label="reports")

with guarded("gateway load"):
    st.subheader("Gateway load: terminal messages per second")
    msgs = view[view["statistic"] == "vehicle_messages"]
    if msgs.empty:
        st.caption("No vehicle terminal messages in the stream.")
    else:
        rate = msgs.assign(rate=msgs["value"] / width).pivot_table(
            index="when", columns="district", values="rate", aggfunc="sum")
        st.area_chart(rate, x_label="window start", y_label="messages/s")

def _gateway_label(column: str) -> str:
    """A readable name for a gateway series column (``gateway_utilisation`` -> Gateway
    utilisation, ``messages_per_s`` -> Messages per second)."""
    text = column.replace("_per_s", " per second").replace("_mbps", " (Mbit/s)")
    return text.replace("_", " ").strip().capitalize()


def _gateway_series(run_path: Path) -> list[tuple[str, list[str]]]:
    out = []
    for name in files_of(run_path, "timeseries"):
        cols = parquet_columns(run_path, f"timeseries/{name}.parquet")
        load = [c for c in cols if c.startswith("gateway_") or c == "messages_per_s"]
        if "t_s" in cols and load:
            out.append((name, load))
    return out


if folder:
    with guarded("incidents"):
        found = incidents(folder)
        st.subheader("Incidents (abnormal-event monitor)")
        if found is None or found.empty:
            st.caption("No incidents recorded (`fleettwin twin monitor TWIN --rules FILE`).")
        else:
            shown = found.assign(statistic=found["statistic"].map(label),
                                 window=_clock(found, "window_start_s"))
            st.dataframe(shown[["window", "district", "statistic", "observed", "expected",
                                "low", "high", "departure", "departure_bands"]].rename(
                columns={"window": "Window", "district": "District", "statistic": "Statistic",
                         "observed": "Observed", "expected": "Predicted", "low": "Band low",
                         "high": "Band high", "departure": "Departure",
                         "departure_bands": "Departure (bands)"}), hide_index=True)

gateway_runs = [(r, g) for r in ok_runs(root) for g in _gateway_series(r.path)]
if gateway_runs:
    with guarded("gateway load of a run"):
        st.subheader("Gateway load of a terminals run")
        names = [f"{r.name} ({g[0]})" for r, g in gateway_runs]
        run, (series, measures) = gateway_runs[names.index(st.selectbox(
            "Run", names, key="ops_gateway_run"))]
        df = frame(run, f"timeseries/{series}.parquet")
        if "replication" in df.columns:
            df = df[df["replication"] == df["replication"].min()]
        labels = [_gateway_label(c) for c in measures]
        pick = st.selectbox("Measure", labels, key="ops_gateway_measure")
        measure = measures[labels.index(pick)]
        shown = df.assign(hour=df["t_s"] / 3600.0).set_index("hour")[[measure]]
        st.line_chart(shown.rename(columns={measure: pick}), x_label="hour", y_label=pick)
