"""Fork: a simulation that starts from the twin's current state.

The twin's *now* is its latest accepted report. Each vehicle terminal the twin has heard from
gives the model one vehicle: the road node nearest its last position, its operational state,
odometer and fuel. The scenario (the twin's own, or one named on the command line, with
``--set`` overrides) then runs its horizon from the twin's time of day, and the result is an
ordinary run directory (``compare`` and the dashboard see it), with the fork's origin in its
manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.spatial import cKDTree

from sim.errors import DataError, Problem
from twins.config import NODES_NAME
from twins.ingest import Twin
from twins.records import VEHICLE_STATES

M_PER_DEG = 111_320.0


@dataclass
class ForkPoint:
    """The twin's state as a model's initial state, and how it was derived."""

    initial_state: Any
    twin_time_s: float
    t0_s: float
    vehicles: int
    stale: int
    """Vehicles whose last report is older than ``stale_after_s`` before now."""


def nearest_nodes(nodes: pa.Table, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Node id nearest each position (equirectangular metres around the nodes' centre)."""
    nlon = np.asarray(nodes.column("lon").to_numpy(zero_copy_only=False), float)
    nlat = np.asarray(nodes.column("lat").to_numpy(zero_copy_only=False), float)
    ids = np.asarray(nodes.column("node").to_numpy(zero_copy_only=False), np.int64)
    kx = M_PER_DEG * np.cos(np.radians(nlat.mean()))
    tree = cKDTree(np.c_[nlon * kx, nlat * M_PER_DEG])
    _, idx = tree.query(np.c_[lon * kx, lat * M_PER_DEG])
    return ids[np.asarray(idx, np.int64)]


def city_fork_point(twin: Twin, nodes: pa.Table, stale_after_s: float = 3600.0) -> ForkPoint:
    """A :class:`sim.city.state.CityInitialState` from the twin's vehicle terminals."""
    from sim.city.state import CityInitialState, VehicleInit

    st = twin.device_states()
    kind = np.asarray(st.column("kind").to_pylist(), object)
    entity = st.column("entity").to_pylist()
    last = np.asarray(st.column("last_ts_s").to_numpy(zero_copy_only=False), float)
    lon = np.asarray(st.column("lon").to_numpy(zero_copy_only=False), float)
    lat = np.asarray(st.column("lat").to_numpy(zero_copy_only=False), float)
    usable = (kind == "vehicle") & ~np.isnan(lon) & ~np.isnan(lat) \
        & np.array([e is not None for e in entity])
    if not usable.any():
        raise DataError(twin.root, [Problem("", "the twin has no vehicle position yet; ingest "
                                            "telemetry before forking", has_value=False)])
    now = float(np.nanmax(last[usable]))
    node = nearest_nodes(nodes, lon[usable], lat[usable])
    state = st.column("state").to_pylist()
    odo = np.asarray(st.column("odometer_km").to_numpy(zero_copy_only=False), float)
    fuel = np.asarray(st.column("fuel_l").to_numpy(zero_copy_only=False), float)
    vehicles: dict[int, Any] = {}
    for k, i in enumerate(np.flatnonzero(usable)):
        s = state[i] if state[i] in VEHICLE_STATES else "idle"
        vehicles[int(entity[i])] = VehicleInit(
            node=int(node[k]), state=s,
            odometer_km=0.0 if np.isnan(odo[i]) else float(odo[i]),
            fuel_l=0.0 if np.isnan(fuel[i]) else float(fuel[i]))
    t0 = (now - twin.config.epoch_s) % 86400.0
    stale = int(np.count_nonzero(last[usable] < now - stale_after_s))
    return ForkPoint(CityInitialState(t0_s=t0, vehicles=vehicles), now, t0, len(vehicles),
                     stale)


def twin_nodes(twin: Twin) -> pa.Table:
    path = twin.root / NODES_NAME
    if not path.is_file():
        raise DataError(path, [Problem("", "the twin has no road node table (create the twin "
                                       "with `fleettwin twin init --from-run RUN`)",
                                       has_value=False)])
    return pq.read_table(path)


def fork(
    twin_dir: str | Path,
    scenario: str | None = None,
    overrides: list[str] | None = None,
    out: str | Path = "runs",
    name: str | None = None,
    seed: int | None = None,
    replications: int | None = None,
    progress: bool = False,
) -> Path:
    """Run ``scenario`` (default: the twin's) from the twin's state; return the run directory."""
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import run_scenario
    from sim.results.rundir import write_run

    with Twin(twin_dir, read_only=True) as twin:
        ref = scenario or twin.config.scenario
        if ref is None:
            raise DataError(twin.root, [Problem("scenario", "the twin names no scenario; pass "
                                                "one to fork", has_value=False)])
        local = twin.root / ref
        loaded = load_scenario(local if scenario is None and local.is_file() else ref,
                               overrides or [])
        if loaded.model.kind != "city_fleet":
            raise DataError(twin.root, [Problem("scenario", "forking is implemented for "
                                                "city_fleet scenarios", loaded.model.kind)])
        point = city_fork_point(twin, twin_nodes(twin))
        twin_root = str(twin.root.resolve())
    n_model = sum(f.count for f in loaded.scenario.fleets.values())
    outside = sorted(v for v in point.initial_state.vehicles if v >= n_model)
    if outside:
        raise DataError(twin_root, [Problem("devices", f"{len(outside)} twin vehicles are not "
                                            f"in the scenario's fleets ({n_model} vehicles)",
                                            outside[:5])])
    result = run_scenario(loaded, seed=seed, replications=replications, progress=progress,
                          initial_state=point.initial_state)
    return write_run(result, out, name=name, extra_manifest={
        "overrides": list(overrides or []),
        "forked_from": {"twin": twin_root, "twin_time_s": point.twin_time_s,
                        "t0_s": point.t0_s, "vehicles": point.vehicles, "stale": point.stale},
    })
