"""Rollout map: China's provinces coloured by the 2016 targets or a national run's results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboards.figures import to_png
from dashboards.fonts import cjk_available
from dashboards.kinds import province_tables
from dashboards.plot_maps import (
    category_colours,
    plot_cashflow,
    plot_progress,
    plot_province_map,
    plot_standard_map,
    threshold_colours,
)
from dashboards.provinces import maritime_boundary, province_frame, territory_frame
from dashboards.rollout_targets import (
    BATCH_PALETTE,
    SHARE_COLOURS,
    SHARE_EDGES,
    SHARE_LABELS,
    lookup,
    total_target_10k,
)
from dashboards.ui import frame, guarded, ok_runs, runs_root

st.title("Rollout map")
st.caption("China Telecom's 2016 IPTV government-and-enterprise plan: "
           f"{total_target_10k() * 1e4:,.0f} set-top boxes across 31 provinces.")


@st.cache_resource(show_spinner="Reading province boundaries…")
def provinces():  # type: ignore[no-untyped-def]
    return province_frame()


@st.cache_data(show_spinner=False, max_entries=32)
def _map_png(column: str, values: tuple[tuple[int, object], ...], title: str,
             label: str, threshold: float | None = None) -> bytes:
    gdf = provinces().copy()
    gdf[column] = gdf["adcode"].map(dict(values)).astype(object)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for _, v in values):
        gdf[column] = pd.to_numeric(gdf[column], errors="coerce")
    return to_png(plot_province_map(gdf, column, title, label, threshold=threshold), dpi=100)


YEAR_MEASURES = ("activated / 2016 target", "launch batch")


@st.cache_data(show_spinner=False, max_entries=64)
def _year_map_png(path: str, month_end: str, measure: str, rows: tuple[tuple[str, ...], ...],
                  order: tuple[str, ...]) -> bytes:
    """The standard national map of one month of a rollout run (``rows``: province,
    batch, activated, target)."""
    gdf = provinces().copy()
    by_code = {getattr(lookup(r[0]), "adcode", None): r for r in rows}
    gdf["batch_label"] = gdf["adcode"].map(lambda c: by_code[c][1] if c in by_code else None)
    gdf["share"] = gdf["adcode"].map(lambda c: float(by_code[c][2]) / max(float(by_code[c][3]),
                                                                        1.0)
                                     if c in by_code else None)
    names = "name_zh" if cjk_available() else "name"
    if measure == YEAR_MEASURES[1]:
        colours, handles = category_colours(gdf["batch_label"], list(order),
                                            dict(zip(order, BATCH_PALETTE, strict=False)))
        title, legend = "Launch batch (on-sale date)", "batch"
    else:
        colours, handles = threshold_colours(gdf["share"].astype(float), SHARE_EDGES,
                                             SHARE_LABELS, SHARE_COLOURS)
        title = f"Boxes activated by {month_end} / 2016 target"
        legend = "activated / target (share of boxes)"
    fig = plot_standard_map(gdf, colours, handles, title, legend, territory_frame(),
                            maritime_boundary(), names=names)
    return to_png(fig, dpi=100)


@st.cache_data(show_spinner=False, max_entries=64)
def _cash_png(path: str, province: str, rows: tuple[tuple[object, ...], ...]) -> bytes:
    df = pd.DataFrame(rows, columns=["province", "month", "net_cny", "cumulative_cny"])
    return to_png(plot_cashflow(df, province), dpi=100)


@st.cache_data(show_spinner=False, max_entries=64)
def _progress_png(path: str, province: str, target: float) -> bytes:
    daily = pd.read_parquet(Path(path) / "timeseries" / "daily.parquet")
    if "replication" in daily.columns:
        daily = daily[daily["replication"] == daily["replication"].min()]
    return to_png(plot_progress(daily, province, target), dpi=100)


def rollout_year(root_dir) -> None:  # type: ignore[no-untyped-def]
    """Month slider, batch map and cash flow of a rollout-year run (kind iptv_rollout)."""
    year_runs = [r for r in ok_runs(root_dir)
                 if (r.path / "tables" / "monthly.parquet").is_file()
                 and (r.path / "tables" / "cashflow.parquet").is_file()]
    if not year_runs:
        return
    st.header("Rollout year")
    names = [r.name for r in year_runs]
    run = year_runs[names.index(st.selectbox("Rollout run", names, key="rollout_year_run"))]
    with guarded(f"rollout tables of {run.name}"):
        monthly = frame(run, "tables/monthly.parquet")
        if "replication" in monthly.columns:
            monthly = monthly[monthly["replication"] == monthly["replication"].min()]
        months = sorted(monthly["month_end"].unique())
        month_end = st.select_slider("Month end", options=months, value=months[-1],
                                     key="rollout_month")
        measure = st.radio("Colour provinces by", YEAR_MEASURES, horizontal=True,
                           key="rollout_year_measure")
        now = monthly[monthly["month_end"] == month_end]
        provs = frame(run, "tables/provinces.parquet")
        order = tuple(provs.sort_values("on_sale")["batch"].drop_duplicates()) \
            if "on_sale" in provs.columns else tuple(sorted(now["batch"].unique()))
        rows = tuple((str(r.province), str(r.batch), str(r.activated_boxes),
                      str(r.target_boxes)) for r in now.itertuples())
        st.image(_year_map_png(str(run.path), str(month_end), str(measure), rows, order))
        st.caption("Thresholds: below 50%, 50–80%, 80–100% and at least 100% of the 2016 "
                   "target (boxes activated by the month's end). Standard national map with "
                   "Taiwan, Hong Kong, Macau and the South China Sea islands (inset).")
        table = now[["province", "batch", "activated_boxes", "target_boxes"]].copy()
        table["activated / target [%]"] = (100.0 * table["activated_boxes"]
                                           / table["target_boxes"].clip(lower=1)).round(1)
        st.dataframe(table.sort_values("activated / target [%]"), hide_index=True)
        cash = frame(run, "tables/cashflow.parquet")
        if "replication" in cash.columns:
            cash = cash[cash["replication"] == cash["replication"].min()]
        choices = ["national", *sorted(p for p in cash["province"].unique() if p != "national")]
        who = st.selectbox("Province", choices, key="rollout_cash_province")
        mine = cash[cash["province"] == who]
        st.image(_cash_png(str(run.path), str(who), tuple(
            (str(r.province), int(r.month), float(r.net_cny), float(r.cumulative_cny))
            for r in mine.itertuples())))
        target = float(provs["target_boxes"].sum() if who == "national" else
                       provs.loc[provs["province"] == who, "target_boxes"].sum())
        st.image(_progress_png(str(run.path), str(who), target))


root = runs_root()
rollout_year(root)
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
                verdict: dict[int, object] = {int(c): bool(ops[op](float(x), float(thr)))
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
    sla_thresholds = {v.get("kpi"): v.get("threshold") for v in
                      (national[labels.index(pick)][0].sla if national else [])
                      if isinstance(v.get("threshold"), int | float)}
    threshold = sla_thresholds.get(label) if measure.endswith("(simulated)") else None
    with guarded("province map"):
        st.image(_map_png(label, tuple(sorted(values.items())), measure, label, threshold))
        table = provinces()[["name", "name_zh", "adcode", "target_10k", "batch"]].copy()
        table[label if label not in table.columns else f"{label} "] = table["adcode"].map(
            values)
        st.dataframe(table.sort_values("target_10k", ascending=False), hide_index=True)
