"""City fleet runs (kind ``city_fleet``): the views' data, aggregated from the run's tables.

Only the columns a view needs are read. Functions take a run directory and return small
DataFrames or arrays ready for the plot functions in :mod:`dashboards.plot_city`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboards.data import _inside, files_of, read_frame
from sim.errors import RunError

REQUESTS = "tables/requests.parquet"
EVENTS = "tables/vehicle_events.parquet"
NODES = "tables/nodes.parquet"
EDGES = "tables/edges.parquet"
FLEET = "timeseries/fleet.parquet"
FLEET_STATES = ["idle", "to_pickup", "busy", "repositioning", "off_shift", "maintenance"]


def has_city_tables(run: Path) -> bool:
    """True when the run has the request and road-network tables of a city run."""
    tables = set(files_of(run, "tables"))
    return {"requests", "nodes"} <= tables


def first_replication(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of the lowest replication (maps show one replication, not a blur of several)."""
    if "replication" not in df.columns or df.empty:
        return df
    return df[df["replication"] == df["replication"].min()]


def waits_s(run: Path, replication: int | None = None) -> np.ndarray:
    """Waits (pickup − request time, s) of the served requests."""
    df = read_frame(run, REQUESTS, ["created_s", "pickup_s", "status", "replication"])
    if replication is not None and "replication" in df.columns:
        df = df[df["replication"] == replication]
    if "pickup_s" not in df.columns or "created_s" not in df.columns:
        raise RunError(f"{REQUESTS}: no created_s/pickup_s columns (older schema?)")
    w = (df["pickup_s"] - df["created_s"]).to_numpy(float)
    if "status" in df.columns:
        w = w[(df["status"] == "served").to_numpy()]
    return w[np.isfinite(w)]


def wait_by_interval(run: Path, interval_s: float = 3600.0) -> pd.DataFrame:
    """Per interval of request time: requests, served, abandoned, wait mean and p95 (s).

    With several replications the counts are averaged over them and the wait statistics
    pool the requests of all replications.
    """
    df = read_frame(run, REQUESTS, ["created_s", "pickup_s", "status", "replication"])
    if "created_s" not in df.columns:
        raise RunError(f"{REQUESTS}: no created_s column (older schema?)")
    n_rep = max(int(df["replication"].nunique()) if "replication" in df.columns else 1, 1)
    t0 = np.floor(df["created_s"].to_numpy(float) / interval_s) * interval_s
    status = df["status"] if "status" in df.columns else pd.Series("", index=df.index)
    wait = df["pickup_s"] - df["created_s"] if "pickup_s" in df.columns else np.nan
    frame = pd.DataFrame({"t_s": t0, "served": status == "served",
                          "abandoned": status == "abandoned", "wait_s": wait})
    frame.loc[~frame["served"], "wait_s"] = np.nan
    g = frame.groupby("t_s")
    out = pd.DataFrame({
        "requests": g.size() / n_rep,
        "served": g["served"].sum() / n_rep,
        "abandoned": g["abandoned"].sum() / n_rep,
        "wait_mean_s": g["wait_s"].mean(),
        "wait_p95_s": g["wait_s"].quantile(0.95),
    }).reset_index()
    return out


def fleet_series(run: Path) -> pd.DataFrame:
    """The fleet time series averaged over replications (by ``t_s``)."""
    df = read_frame(run, FLEET)
    if "t_s" not in df.columns:
        raise RunError(f"{FLEET}: no t_s column")
    df = df.drop(columns=["replication"], errors="ignore")
    return df.groupby("t_s", as_index=False).mean(numeric_only=True)


@dataclass
class CityMap:
    """What the run map draws: the network, pickups and abandonments per node, deadhead legs."""

    nodes: pd.DataFrame  # node, x_km, y_km
    edges: np.ndarray  # (E, 2, 2) segment endpoints in km
    edge_class: np.ndarray  # (E,) road class labels
    pickups: pd.Series  # node -> served pickups
    abandoned: pd.Series  # node -> abandoned requests
    deadhead: np.ndarray  # (D, 2, 2) start of the empty leg -> pickup node, km
    deadhead_total: int  # empty legs in the replication (deadhead may be a sample)
    replication: int


def city_map(run: Path, max_legs: int = 4000, seed: int = 0) -> CityMap:
    """Network, pickups, abandonments and (a sample of) deadhead legs of the first replication.

    A deadhead leg runs from where a vehicle was when it took a request (state ``to_pickup``
    in the vehicle events) to the request's origin.
    """
    nodes = first_replication(read_frame(run, NODES, ["node", "x_m", "y_m", "replication"]))
    if not {"node", "x_m", "y_m"} <= set(nodes.columns):
        raise RunError(f"{NODES}: needs node, x_m, y_m")
    rep = int(nodes["replication"].min()) if "replication" in nodes.columns else 0
    xy = pd.DataFrame({"x_km": nodes["x_m"].to_numpy(float) / 1000.0,
                       "y_km": nodes["y_m"].to_numpy(float) / 1000.0},
                      index=nodes["node"].to_numpy())
    edges = np.zeros((0, 2, 2))
    edge_class = np.zeros(0, dtype=object)
    if "edges" in files_of(run, "tables"):
        e = first_replication(read_frame(run, EDGES, ["u", "v", "road_class", "replication"]))
        ok = e["u"].isin(xy.index) & e["v"].isin(xy.index)
        e = e[ok]
        a = xy.loc[e["u"].to_numpy()].to_numpy()
        b = xy.loc[e["v"].to_numpy()].to_numpy()
        edges = np.stack([a, b], axis=1)
        edge_class = (e["road_class"].astype(str).to_numpy() if "road_class" in e.columns
                      else np.full(len(e), "road", dtype=object))
    req = read_frame(run, REQUESTS, ["request", "origin", "status", "replication"])
    if "replication" in req.columns:
        req = req[req["replication"] == rep]
    pickups = req.loc[req["status"] == "served", "origin"].value_counts()
    abandoned = req.loc[req["status"] == "abandoned", "origin"].value_counts()
    legs, total = _deadhead_legs(run, req, xy, rep, max_legs, seed)
    return CityMap(xy.reset_index(names="node"), edges, edge_class, pickups, abandoned, legs,
                   total, rep)


def _deadhead_legs(run: Path, req: pd.DataFrame, xy: pd.DataFrame, rep: int, max_legs: int,
                   seed: int) -> tuple[np.ndarray, int]:
    if "vehicle_events" not in files_of(run, "tables"):
        return np.zeros((0, 2, 2)), 0
    path = _inside(run, EVENTS)
    names = set(pq.read_schema(path).names)
    if not {"state", "node", "request"} <= names:
        return np.zeros((0, 2, 2)), 0
    flt = pc.field("state") == "to_pickup"
    if "replication" in names:
        flt = flt & (pc.field("replication") == rep)
    ev = pq.read_table(path, columns=["node", "request"], filters=flt).to_pandas()
    origin = req.drop_duplicates("request").set_index("request")["origin"]
    ev = ev[ev["request"].isin(origin.index)]
    ev = ev.assign(origin=origin.loc[ev["request"].to_numpy()].to_numpy())
    ev = ev[ev["node"].isin(xy.index) & ev["origin"].isin(xy.index) & (ev["node"] != ev["origin"])]
    total = len(ev)
    if total > max_legs:
        ev = ev.sample(max_legs, random_state=seed)
    a = xy.loc[ev["node"].to_numpy()].to_numpy()
    b = xy.loc[ev["origin"].to_numpy()].to_numpy()
    return np.stack([a, b], axis=1) if total else np.zeros((0, 2, 2)), total
