"""Creating a twin folder: from a city fleet or IPTV run, or from explicit options."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from sim.errors import DataError, Problem
from sim.results.rundir import read_json, read_table
from twins.config import (
    CONFIG_NAME,
    DEFAULT_EPOCH,
    NODES_NAME,
    DeviceSpec,
    Region,
    TwinConfig,
    vehicle_device_id,
    write_devices_csv,
    write_twin_config,
)

REGION_MARGIN_DEG = 0.02


def _new_folder(root: Path) -> None:
    """Create the twin folder ``root``, refusing one that already holds a twin."""
    if (root / CONFIG_NAME).exists():
        raise DataError(root / CONFIG_NAME, [Problem("", "a twin already exists here",
                                                     has_value=False)])
    root.mkdir(parents=True, exist_ok=True)


def init_from_run(root: Path, run: Path, name: str | None = None,
                  epoch: dt.datetime = DEFAULT_EPOCH, lateness_s: float = 600.0,
                  clock: str = "wall") -> TwinConfig:
    """A twin mirroring the fleet of a ``city_fleet`` run.

    Devices are the run's vehicle terminals (ids from :func:`vehicle_device_id`), the region
    is the run's road network plus a margin, the run's scenario and node table are copied into
    the twin folder (fork starts from that scenario; positions snap to those nodes), and the run
    is the reference for drift.
    """
    manifest = read_json(run / "manifest.json")
    if manifest.get("kind") == "iptv":
        return init_from_iptv_run(root, run, name, epoch, lateness_s, clock)
    if manifest.get("kind") != "city_fleet":
        raise DataError(run, [Problem("kind", "a twin can be created from a city_fleet or "
                                      "iptv run", manifest.get("kind"))])
    vehicles = read_table(run, "tables/vehicles.parquet", 0)
    nodes = read_table(run, "tables/nodes.parquet", 0)
    lon = np.asarray(nodes.column("lon").to_numpy())
    lat = np.asarray(nodes.column("lat").to_numpy())
    region = Region(lon_min=float(lon.min()) - REGION_MARGIN_DEG,
                    lon_max=float(lon.max()) + REGION_MARGIN_DEG,
                    lat_min=float(lat.min()) - REGION_MARGIN_DEG,
                    lat_max=float(lat.max()) + REGION_MARGIN_DEG)
    devices = [DeviceSpec(id=vehicle_device_id(v), kind="vehicle", profile=str(p), entity=int(v))
               for v, p in zip(vehicles.column("vehicle").to_pylist(),
                               vehicles.column("terminal_profile").to_pylist(), strict=True)]
    config = TwinConfig(
        name=name or f"{manifest.get('scenario', 'fleet')}-twin",
        description=f"Twin of the fleet of run {run.name}",
        scenario="scenario.yaml", reference_run=str(run.resolve()), epoch=epoch,
        region=region, lateness_s=lateness_s, clock=clock,  # type: ignore[arg-type]
        devices_file="devices.csv",
    )
    _new_folder(root)
    write_devices_csv(root / "devices.csv", devices)
    shutil.copyfile(run / "scenario.yaml", root / "scenario.yaml")
    pq.write_table(nodes.drop_columns(["replication"]) if "replication" in nodes.column_names
                   else nodes, root / NODES_NAME)
    write_twin_config(root, config)
    return config


def init_plain(root: Path, name: str, region: Region | None, devices_csv: Path | None,
               lateness_s: float = 600.0, scenario: str | None = None) -> TwinConfig:
    """A twin from explicit options; devices come from a CSV (id,kind,profile,entity)."""
    config = TwinConfig(name=name, region=region, lateness_s=lateness_s, scenario=scenario,
                        devices_file="devices.csv" if devices_csv else None)
    _new_folder(root)
    if devices_csv is not None:
        shutil.copyfile(devices_csv, root / "devices.csv")
    write_twin_config(root, config)
    return config


def init_from_iptv_run(root: Path, run: Path, name: str | None = None,
                       epoch: dt.datetime = DEFAULT_EPOCH, lateness_s: float = 600.0,
                       clock: str = "wall") -> TwinConfig:
    """A twin mirroring the set-top boxes of an ``iptv`` run.

    Devices are the run's boxes from ``tables/boxes.parquet`` (ids ``stb-NNNNNNNN``, the box
    index as entity, the STB profile); the run's scenario is copied into the twin folder (fork
    starts from it) and the run is the reference for drift.
    """
    manifest = read_json(run / "manifest.json")
    if not (run / "tables" / "boxes.parquet").is_file():
        raise DataError(run, [Problem("tables/boxes.parquet", "the run did not record its "
                                      "boxes; run the scenario with --set record_boxes=true",
                                      has_value=False)])
    boxes = read_table(run, "tables/boxes.parquet", 0)
    devices = [DeviceSpec(id=d, kind="stb", profile=str(p), entity=int(b))
               for d, p, b in zip(boxes.column("device").to_pylist(),
                                  boxes.column("stb").to_pylist(),
                                  boxes.column("box").to_pylist(), strict=True)]
    config = TwinConfig(
        name=name or f"{manifest.get('scenario', 'iptv')}-twin",
        description=f"Twin of the set-top boxes of run {run.name}",
        scenario="scenario.yaml", reference_run=str(run.resolve()), epoch=epoch,
        lateness_s=lateness_s, clock=clock,  # type: ignore[arg-type]
        devices_file="devices.csv",
    )
    _new_folder(root)
    write_devices_csv(root / "devices.csv", devices)
    shutil.copyfile(run / "scenario.yaml", root / "scenario.yaml")
    write_twin_config(root, config)
    return config
