"""The city run map as an interactive pydeck (deck.gl) layer: roads, pickups, deadhead legs
and abandonment hot spots, for the requests made in a time window.

Works offline: no base-map tiles (``map_style=None``), deck.gl ships inside Streamlit's
frontend. Nodes are placed by their ``lon``/``lat`` columns, or by ``x_m``/``y_m`` turned into
degrees around (0, 0) when a run has no coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pydeck as pdk

from dashboards.city import EDGES, EVENTS, NODES, REQUESTS, first_replication
from dashboards.data import files_of, inside_run, read_frame
from sim.errors import RunError

#: Most deadhead legs drawn (a seeded sample of the window's legs beyond that).
MAX_LEGS = 3000
KM_PER_DEG = 111.32


@dataclass
class CityDeckData:
    """Everything the map draws, for the whole run; :func:`deck` filters by time."""

    nodes: pd.DataFrame  # node, lon, lat
    roads: pd.DataFrame  # lon0, lat0, lon1, lat1
    requests: pd.DataFrame  # t_h, status, lon, lat, node
    legs: pd.DataFrame  # t_h, lon0, lat0, lon1, lat1


def _positions(nodes: pd.DataFrame) -> pd.DataFrame:
    if {"lon", "lat"} <= set(nodes.columns) and nodes[["lon", "lat"]].notna().all().all():
        return pd.DataFrame({"lon": nodes["lon"].to_numpy(float),
                             "lat": nodes["lat"].to_numpy(float)},
                            index=nodes["node"].to_numpy())
    if not {"x_m", "y_m"} <= set(nodes.columns):
        raise RunError(f"{NODES}: needs lon/lat or x_m/y_m")
    return pd.DataFrame({"lon": nodes["x_m"].to_numpy(float) / 1000 / KM_PER_DEG,
                         "lat": nodes["y_m"].to_numpy(float) / 1000 / KM_PER_DEG},
                        index=nodes["node"].to_numpy())


def load(run: Path) -> CityDeckData:
    """Read the first replication's network, requests and deadhead legs (needed columns only)."""
    nodes = first_replication(read_frame(run, NODES, ["node", "x_m", "y_m", "lon", "lat",
                                                       "replication"]))
    if "node" not in nodes.columns:
        raise RunError(f"{NODES}: no node column")
    rep = int(nodes["replication"].min()) if "replication" in nodes.columns else 0
    pos = _positions(nodes)
    roads = pd.DataFrame(columns=["lon0", "lat0", "lon1", "lat1"])
    if "edges" in files_of(run, "tables"):
        e = first_replication(read_frame(run, EDGES, ["u", "v", "replication"]))
        e = e[e["u"].isin(pos.index) & e["v"].isin(pos.index)]
        a, b = pos.loc[e["u"].to_numpy()], pos.loc[e["v"].to_numpy()]
        roads = pd.DataFrame({"lon0": a["lon"].to_numpy(), "lat0": a["lat"].to_numpy(),
                              "lon1": b["lon"].to_numpy(), "lat1": b["lat"].to_numpy()})
    req = read_frame(run, REQUESTS, ["request", "created_s", "origin", "status", "replication"])
    if not {"request", "created_s", "origin", "status"} <= set(req.columns):
        raise RunError(f"{REQUESTS}: needs request, created_s, origin, status")
    if "replication" in req.columns:
        req = req[req["replication"] == rep]
    req = req[req["origin"].isin(pos.index)]
    o = pos.loc[req["origin"].to_numpy()]
    requests = pd.DataFrame({"t_h": req["created_s"].to_numpy(float) / 3600,
                             "status": req["status"].astype(str).to_numpy(),
                             "node": req["origin"].to_numpy(),
                             "lon": o["lon"].to_numpy(), "lat": o["lat"].to_numpy()})
    return CityDeckData(pos.reset_index(names="node"), roads, requests,
                        _legs(run, req, pos, rep))


def _legs(run: Path, req: pd.DataFrame, pos: pd.DataFrame, rep: int) -> pd.DataFrame:
    empty = pd.DataFrame(columns=["t_h", "lon0", "lat0", "lon1", "lat1"])
    if "vehicle_events" not in files_of(run, "tables"):
        return empty
    path = inside_run(run, EVENTS)
    names = set(pq.read_schema(path).names)
    if not {"state", "node", "request"} <= names:
        return empty
    flt = pc.field("state") == "to_pickup"
    if "replication" in names:
        flt = flt & (pc.field("replication") == rep)
    ev = pq.read_table(path, columns=["node", "request"], filters=flt).to_pandas()
    by_req = req.drop_duplicates("request").set_index("request")
    ev = ev[ev["request"].isin(by_req.index)]
    origin = by_req.loc[ev["request"].to_numpy(), "origin"].to_numpy()
    t_h = by_req.loc[ev["request"].to_numpy(), "created_s"].to_numpy(float) / 3600
    ok = ev["node"].isin(pos.index).to_numpy() & (ev["node"].to_numpy() != origin)
    a = pos.loc[ev["node"].to_numpy()[ok]]
    b = pos.loc[origin[ok]]
    return pd.DataFrame({"t_h": t_h[ok], "lon0": a["lon"].to_numpy(), "lat0": a["lat"].to_numpy(),
                         "lon1": b["lon"].to_numpy(), "lat1": b["lat"].to_numpy()})


def _per_node(requests: pd.DataFrame, status: str) -> pd.DataFrame:
    sub = requests[requests["status"] == status]
    g = sub.groupby("node").agg(lon=("lon", "first"), lat=("lat", "first"),
                                count=("t_h", "size")).reset_index()
    g["radius"] = 40 + 60 * np.sqrt(g["count"] / max(float(g["count"].max()), 1.0))
    return g


class FrozenDeck(pdk.Deck):
    """A Deck whose JSON is made once (the page sends the same map again on every rerun)."""

    _frozen: str | None = None

    def to_json(self) -> str:
        if self._frozen is None:
            self._frozen = str(super().to_json())
        return self._frozen


def deck(data: CityDeckData, window_h: tuple[float, float] | None = None,
         seed: int = 0) -> pdk.Deck:
    """The map for requests created in ``window_h`` (hours; all when None)."""
    req, legs = data.requests, data.legs
    if window_h is not None:
        req = req[(req["t_h"] >= window_h[0]) & (req["t_h"] <= window_h[1])]
        legs = legs[(legs["t_h"] >= window_h[0]) & (legs["t_h"] <= window_h[1])]
    if len(legs) > MAX_LEGS:
        legs = legs.sample(MAX_LEGS, random_state=seed)
    pickups = _per_node(req, "served")
    abandoned = _per_node(req, "abandoned")
    layers = [
        pdk.Layer("LineLayer", data.roads, id="roads", get_source_position=["lon0", "lat0"],
                  get_target_position=["lon1", "lat1"], get_color=[150, 150, 150, 120],
                  get_width=1),
        pdk.Layer("LineLayer", legs, id="deadhead", get_source_position=["lon0", "lat0"],
                  get_target_position=["lon1", "lat1"], get_color=[244, 164, 66, 90],
                  get_width=1.5),
        pdk.Layer("ScatterplotLayer", pickups, id="pickups", get_position=["lon", "lat"],
                  get_radius="radius", get_fill_color=[46, 111, 173, 160], pickable=True),
        pdk.Layer("ScatterplotLayer", abandoned, id="abandoned", get_position=["lon", "lat"],
                  get_radius="radius", get_fill_color=[192, 57, 43, 200],
                  get_line_color=[120, 0, 0], stroked=True, line_width_min_pixels=1,
                  pickable=True),
    ]
    nodes = data.nodes
    view = pdk.ViewState(longitude=float(nodes["lon"].mean()), latitude=float(nodes["lat"].mean()),
                         zoom=_zoom(nodes), pitch=0)
    return FrozenDeck(layers=layers, initial_view_state=view, map_style=None,
                      tooltip={"text": "node {node}: {count} requests"})


def _zoom(nodes: pd.DataFrame) -> float:
    span = max(float(np.ptp(nodes["lon"])), float(np.ptp(nodes["lat"])), 1e-4)
    return float(np.clip(np.log2(360.0 / span) + 0.2, 1.0, 18.0))


def window_counts(data: CityDeckData, window_h: tuple[float, float] | None) -> dict[str, int]:
    """Served and abandoned requests and deadhead legs in the window (for the caption)."""
    req, legs = data.requests, data.legs
    if window_h is not None:
        req = req[(req["t_h"] >= window_h[0]) & (req["t_h"] <= window_h[1])]
        legs = legs[(legs["t_h"] >= window_h[0]) & (legs["t_h"] <= window_h[1])]
    return {"served": int((req["status"] == "served").sum()),
            "abandoned": int((req["status"] == "abandoned").sum()), "deadhead": len(legs)}
