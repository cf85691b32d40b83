"""Camera platform: a shop-camera run's KPIs, provinces, money per shop and its day."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.ui import frame, guarded, kpi_entry, ok_runs, runs_root
from sim.opsstream.catalogue import label

st.title("Camera platform")
st.caption("Shop cameras on the mobile shop-watching platform (手机看店): registration, "
           "live views, tokens, campaigns, cloud storage and the business models.")

CARDS = ["cameras", "shops", "liveview_blocking_rate", "storm_recovery_s",
         "upload_peak_gbps", "storage_tb", "operator_margin_cny_per_shop_month",
         "firmware_bricked"]
PROVINCE_LABELS = {
    "province": "Province", "shops": "Shops", "cameras": "Cameras",
    "camera_profile": "Camera model", "upload_gb": "Uploaded (GB)",
    "online_min_share": "Lowest share online", "liveview_served": "Live views served",
    "liveview_blocked": "Live views blocked", "liveview_hotlink": "Bad tokens",
    "liveview_camera_offline": "Camera offline", "replication": "Replication",
}
BUSINESS_LABELS = {
    "business_model": "Business model", "devices": "Devices",
    "operator_revenue_cny": "Operator revenue (yuan/shop-month)",
    "operator_cost_cny": "Operator cost (yuan/shop-month)",
    "operator_margin_cny": "Operator margin (yuan/shop-month)",
    "partner_revenue_cny": "Partner revenue (yuan/shop-month)", "replication": "Replication",
}
MODEL_NAMES = {"buyout": "Operator buys the platform (独立运营)",
               "revenue_share": "Revenue share with the partner (合作运营)"}
SERIES_LABELS = {"cameras_online": "Cameras online", "upload_gbps": "Cloud upload (Gbit/s)",
                 "upload_backlog_gb": "Upload backlog (GB)", "storage_tb": "Cloud storage (TB)"}

root = runs_root()
runs = [r for r in ok_runs(root) if r.kind == "cameras"]
if not runs:
    st.info(f"No camera-platform run in `{root}`. Make one with "
            "`fleettwin run shop_cameras_trial`.", icon=":material/info:")
    st.stop()

names = [r.name for r in runs]
run = runs[names.index(st.selectbox("Run", names, key="cam_run"))]

with guarded("KPIs"):
    cols = st.columns(4)
    for i, name in enumerate(k for k in CARDS if k in run.kpis):
        e = kpi_entry(run, name)
        cols[i % 4].metric(e.title(), e.show(run.kpis[name]), help=e.meaning)

with guarded("Provinces"):
    prov = frame(run, "tables/provinces.parquet")
    st.subheader("Provinces")
    st.dataframe(prov.rename(columns=PROVINCE_LABELS), hide_index=True)

with guarded("Business models"):
    money = frame(run, "tables/business.parquet")
    money["business_model"] = money["business_model"].map(MODEL_NAMES).fillna(
        money["business_model"])
    st.subheader("Money per shop per month")
    st.dataframe(money.rename(columns=BUSINESS_LABELS).round(2), hide_index=True)

with guarded("Platform over the day"):
    series = frame(run, "timeseries/platform.parquet")
    if "replication" in series.columns:
        series = series[series["replication"] == series["replication"].min()]
    series = series.assign(hour=series["t_s"] / 3600.0).set_index("hour")
    st.subheader("Over the day")
    pick = st.selectbox("Series", list(SERIES_LABELS.values()), key="cam_series")
    column = next(k for k, v in SERIES_LABELS.items() if v == pick)
    st.line_chart(series[[column]].rename(columns=SERIES_LABELS), x_label="hour",
                  y_label=pick)

with guarded("Live views per province"):
    ops = frame(run, "timeseries/opsstream.parquet")
    stats = sorted(ops["statistic"].unique())
    shown = st.selectbox("Statistic per province, every window", [label(s) for s in stats],
                         key="cam_stat")
    stat = stats[[label(s) for s in stats].index(shown)]
    sel = ops[(ops["statistic"] == stat)]
    if "replication" in sel.columns:
        sel = sel[sel["replication"] == sel["replication"].min()]
    wide = sel.assign(hour=sel["t_s"] / 3600.0).pivot_table(
        index="hour", columns="district", values="value", aggfunc="mean")
    st.line_chart(pd.DataFrame(wide), x_label="hour", y_label=shown)
