"""Fork: a simulation that starts from the twin's current state.

The twin's *now* is its latest accepted report. Each vehicle terminal the twin has heard from
gives the model one vehicle: the road node nearest its last position, its operational state,
odometer and fuel. For an ``iptv`` scenario each set-top box the twin has heard from gives its
box's state (offline, standby or viewing) and firmware version (:func:`iptv_fork_point`); a
firmware campaign then targets only the boxes online and not yet on its version. The scenario (the twin's own, or one named on the command line, with
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
    """Devices whose last report is older than ``stale_after_s`` before now."""
    boxes: dict[str, Any] | None = None
    """For an IPTV fork: boxes known, per state, per firmware version."""


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
    fuel = np.asarray(st.column("fuel_used_l").to_numpy(zero_copy_only=False), float)
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


def _state_col(twin: Twin, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, time (ms) and sequence number of the latest record carrying column ``name``."""
    st = twin.state
    return st.values[name], st.col_ms[name], st.col_seq[name]


def iptv_fork_point(twin: Twin, stale_after_s: float = 3600.0) -> ForkPoint:
    """An :class:`sim.iptv.state.IptvInitialState` from the twin's set-top boxes.

    A box is *offline* when its latest ``online`` flag is false; *viewing* when its latest
    report with a channel or VoD title is not older than that flag (the same status report
    carries both); *standby* when online otherwise; unknown (the model draws it) when the twin
    has no ``online`` flag for it. Its box index is the device's ``entity``, or the index in
    its ``stb-NNNNNNNN`` id; firmware versions are the reported strings.
    """
    from sim.iptv.state import (
        OFFLINE,
        STANDBY,
        UNKNOWN,
        VIEWING,
        IptvInitialState,
        box_index,
    )
    from twins.state import NO_TIME

    devices = twin.loaded.devices
    stb = np.array([d.kind == "stb" for d in devices], bool)
    seen = twin.state.watermark_ms > NO_TIME
    use = np.flatnonzero(stb & seen)
    if use.size == 0:
        raise DataError(twin.root, [Problem("", "the twin has no set-top box report yet; ingest "
                                            "telemetry before forking", has_value=False)])
    box = np.empty(use.size, np.int64)
    unmapped = []
    for k, i in enumerate(use.tolist()):
        d = devices[i]
        b = d.entity if d.entity is not None else box_index(d.id)
        if b is None:
            unmapped.append(d.id)
            b = -1
        box[k] = b
    if unmapped:
        raise DataError(twin.root, [Problem("devices", f"{len(unmapped)} set-top boxes have no "
                                            "box index (give the device an entity, or an id "
                                            "stb-NNNNNNNN)", unmapped[:5])])
    on, on_ms, on_seq = _state_col(twin, "online")
    on, on_ms, on_seq = on[use], on_ms[use], on_seq[use]
    play_ms = np.full(use.size, NO_TIME, np.int64)
    play_seq = np.full(use.size, -1, np.int64)
    for c in ("channel", "vod_title"):
        _, ms, seq = _state_col(twin, c)
        newer = (ms[use] > play_ms) | ((ms[use] == play_ms) & (seq[use] > play_seq))
        play_ms = np.where(newer, ms[use], play_ms)
        play_seq = np.where(newer, seq[use], play_seq)
    known = ~np.isnan(on.astype(float))
    is_on = known & (on.astype(float) > 0.5)
    playing = (play_ms > NO_TIME) & ((play_ms > on_ms) | ((play_ms == on_ms)
                                                          & (play_seq >= on_seq)))
    state = np.full(use.size, UNKNOWN, np.int8)
    state[known & ~is_on] = OFFLINE
    state[is_on] = STANDBY
    state[playing & (is_on | ~known)] = VIEWING
    fw_val = _state_col(twin, "firmware")[0][use]
    has_fw = np.array([v is not None for v in fw_val], bool)
    versions = sorted({str(v) for v in fw_val[has_fw]})
    code = {v: k for k, v in enumerate(versions)}
    firmware = np.array([code[str(v)] if v is not None else -1 for v in fw_val], np.int16)
    last = twin.state.watermark_ms[use] / 1000.0
    now = float(last.max())
    t0 = (now - twin.config.epoch_s) % 86400.0
    init = IptvInitialState(t0_s=t0, box=box, state=state, firmware=firmware,
                            firmware_versions=versions, source=str(twin.root))
    point = ForkPoint(init, now, t0, 0, int(np.count_nonzero(last < now - stale_after_s)))
    point.boxes = {"boxes": int(use.size), "offline": int((state == OFFLINE).sum()),
                   "standby": int((state == STANDBY).sum()),
                   "viewing": int((state == VIEWING).sum()),
                   "unknown": int((state == UNKNOWN).sum()),
                   "firmware": {v: int((firmware == k).sum()) for k, v in enumerate(versions)}}
    return point


def _check_box_layout(sc: Any, replications: int | None, source: str) -> None:
    """Box indices name the same boxes in every replication only if site sizes are fixed."""
    reps = replications or sc.replications
    random = [g.name for g in sc.site_groups if not isinstance(g.boxes_per_site, int | float)
              and getattr(g.boxes_per_site, "family", "") != "deterministic"]
    if reps > 1 and random:
        raise DataError(source, [Problem("replications", "site groups with random "
                                         f"boxes_per_site ({', '.join(random[:3])}) number "
                                         "their boxes differently in each replication; fork "
                                         "them with one replication", reps)])


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
        kind = loaded.model.kind
        if kind not in ("city_fleet", "iptv"):
            raise DataError(twin.root, [Problem("scenario", "forking is implemented for "
                                                "city_fleet and iptv scenarios", kind)])
        point = (iptv_fork_point(twin) if kind == "iptv"
                 else city_fork_point(twin, twin_nodes(twin)))
        twin_root = str(twin.root.resolve())
    if kind == "iptv":
        _check_box_layout(loaded.scenario, replications, twin_root)
    if kind == "city_fleet":
        n_model = sum(f.count for f in loaded.scenario.fleets.values())
        outside = sorted(v for v in point.initial_state.vehicles if v >= n_model)
        if outside:
            raise DataError(twin_root, [Problem("devices", f"{len(outside)} twin vehicles are "
                                                f"not in the scenario's fleets ({n_model} "
                                                "vehicles)", outside[:5])])
    result = run_scenario(loaded, seed=seed, replications=replications, progress=progress,
                          initial_state=point.initial_state)
    origin: dict[str, Any] = {"twin": twin_root, "twin_time_s": point.twin_time_s,
                              "t0_s": point.t0_s, "vehicles": point.vehicles,
                              "stale": point.stale}
    if point.boxes is not None:
        origin.update(point.boxes)
    return write_run(result, out, name=name, extra_manifest={
        "overrides": list(overrides or []), "forked_from": origin})
