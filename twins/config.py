"""A twin folder's configuration: ``TWIN_DIR/twin.yaml`` (and an optional devices CSV).

Example::

    name: city-taxi-twin
    scenario: city_taxi            # what the twin mirrors (default for fork and drift)
    reference_run: runs/city_taxi-...  # predictions for drift
    epoch: 2024-01-01T00:00:00+08:00  # local midnight of the simulated day
    region: {lon_min: 116.2, lon_max: 116.6, lat_min: 39.8, lat_max: 40.1}
    lateness_s: 600                # out-of-order records up to this late are accepted
    max_future_s: 300              # records further ahead of the clock are quarantined
    clock: wall                    # wall: check against now; none: no far-future check
    limits: {max_speed_kmh: 220}
    devices:                       # known devices; records of any other device are quarantined
      - {id: "013800000001", kind: vehicle, profile: jt808_basic, entity: 1}
    devices_file: devices.csv      # more devices: columns id,kind,profile,entity
    drift: {threshold: 0.2, window_s: 600, min_count: 20}

The twin keeps its store next to the configuration (``twin.duckdb``, ``records/part-*.parquet``;
see :mod:`twins.store`); a twin made from a run also holds that run's ``scenario.yaml`` and
``nodes.parquet`` (for forks). ``fleettwin twin init`` writes a configuration, from a run
directory or from explicit options.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, model_validator

from sim.errors import DataError, Problem
from sim.schema.base import StrictModel
from sim.schema.loader import load_yaml, validate_model

CONFIG_NAME = "twin.yaml"
STORE_NAME = "twin.duckdb"
NODES_NAME = "nodes.parquet"
#: Local midnight (Beijing time) of the simulated day: report times are
#: ``epoch + start_time_s + t_s``, and the time of day of a report is ``ts_s - epoch``.
DEFAULT_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


class Region(StrictModel):
    """A lon/lat box; positions outside it are quarantined."""

    lon_min: float = Field(ge=-180, le=180)
    lon_max: float = Field(ge=-180, le=180)
    lat_min: float = Field(ge=-90, le=90)
    lat_max: float = Field(ge=-90, le=90)

    @model_validator(mode="after")
    def _ordered(self) -> Region:
        if self.lon_min >= self.lon_max or self.lat_min >= self.lat_max:
            raise ValueError("region needs lon_min < lon_max and lat_min < lat_max")
        return self


#: Largest entity id (a vehicle or box index of a run; runs hold at most millions).
MAX_ENTITY = 10**9
#: The profile kind a device's ``profile`` names, by record kind.
PROFILE_KIND = {"vehicle": "vehicle_terminal", "stb": "stb", "camera": "camera"}


class DeviceSpec(StrictModel):
    """A known device: id, record kind, hardware profile, and the simulated entity it is."""

    id: str = Field(min_length=1, max_length=40)
    kind: Literal["vehicle", "stb", "camera"]
    profile: str | None = Field(default=None, min_length=1, max_length=100,
                                description="hardware profile id (of the kind's profiles: "
                                "vehicle_terminal, stb or camera)")
    entity: int | None = Field(default=None, ge=0, le=MAX_ENTITY,
                               description="the model's entity id (vehicle, box)")


class Limits(StrictModel):
    max_speed_kmh: float = Field(default=220.0, gt=0, le=300)


class DriftSettings(StrictModel):
    threshold: float = Field(default=0.2, gt=0, le=100,
                             description="relative drift that raises a finding")
    window_s: float = Field(default=600.0, ge=1, le=86400, description="aggregation window")
    min_count: int = Field(default=20, ge=1, le=10**9,
                           description="fewer observations: no verdict")


class TwinConfig(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_\-\.]+$", max_length=80)
    description: str = ""
    scenario: str | None = Field(default=None, description="scenario file (relative to the "
                                 "twin folder) or shipped name")
    reference_run: str | None = Field(default=None, description="run directory whose "
                                      "predictions drift is measured against")
    epoch: dt.datetime = DEFAULT_EPOCH
    region: Region | None = None
    lateness_s: float = Field(default=600.0, ge=0, le=7 * 86400)
    max_future_s: float = Field(default=300.0, ge=0, le=366 * 86400)
    min_time_utc: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    clock: Literal["wall", "none"] = "wall"
    limits: Limits = Field(default_factory=Limits)
    profile_dirs: list[str] = Field(default_factory=list)
    devices: list[DeviceSpec] = Field(default_factory=list)
    devices_file: str | None = None
    drift: DriftSettings = Field(default_factory=DriftSettings)

    @model_validator(mode="after")
    def _aware(self) -> TwinConfig:
        for name in ("epoch", "min_time_utc"):
            value = getattr(self, name)
            if value.tzinfo is None:
                object.__setattr__(self, name, value.replace(tzinfo=dt.UTC))
            if not 1970 <= value.year <= 2099:
                raise ValueError(f"{name} must be in the years 1970-2099 (got {value.year})")
        return self

    @property
    def epoch_s(self) -> float:
        """Unix time of local midnight of the simulated day."""
        return self.epoch.timestamp()


class LoadedTwin:
    """A twin folder's configuration with its full device list."""

    def __init__(self, root: Path, config: TwinConfig, devices: list[DeviceSpec]):
        self.root = root
        self.config = config
        self.devices = devices
        self.index = {d.id: i for i, d in enumerate(devices)}

    @property
    def store_path(self) -> Path:
        return self.root / STORE_NAME


def load_twin_config(root: str | Path) -> LoadedTwin:
    """Read ``root/twin.yaml`` and its devices file; raise one DataError listing all problems."""
    root = Path(root)
    path = root / CONFIG_NAME
    if not path.is_file():
        raise DataError(path, [Problem("", "no twin configuration here; create one with "
                                       "`fleettwin twin init`", has_value=False)])
    config = validate_model(TwinConfig, load_yaml(path, DataError), path, DataError)
    devices = list(config.devices)
    problems: list[Problem] = []
    if config.devices_file:
        devices += read_devices_csv(root / config.devices_file, problems)
    seen: dict[str, int] = {}
    for i, d in enumerate(devices):
        if d.id in seen:
            problems.append(Problem(f"devices[{i}].id", "duplicate device id", d.id))
        seen[d.id] = i
    problems += _unknown_profiles(root, config, devices)
    if problems:
        raise DataError(path, problems)
    return LoadedTwin(root, config, devices)


def _unknown_profiles(root: Path, config: TwinConfig, devices: list[DeviceSpec]
                      ) -> list[Problem]:
    """A device naming a profile no profile folder holds (drift and forks would silently
    leave it out): one problem per device, at most 20."""
    named = [(i, d) for i, d in enumerate(devices) if d.profile]
    if not named:
        return []
    from sim.schema.profiles import ProfileCatalog, default_profile_dirs

    catalog = ProfileCatalog(default_profile_dirs() + [root / d for d in config.profile_dirs])
    known = {kind: set(catalog.ids(kind)) for kind in PROFILE_KIND.values()}
    out: list[Problem] = []
    for i, d in named:
        kind = PROFILE_KIND[d.kind]
        if str(d.profile).partition("@")[0] not in known[kind]:
            out.append(Problem(f"devices[{i}].profile", f"no {kind} profile with this id "
                               f"(known: {', '.join(sorted(known[kind])) or 'none'})",
                               d.profile))
            if len(out) >= 20:
                break
    return out


def read_devices_csv(path: Path, problems: list[Problem]) -> list[DeviceSpec]:
    """Devices from a CSV with header ``id,kind,profile,entity`` (profile, entity optional)."""
    if not path.is_file():
        problems.append(Problem("devices_file", "file not found", str(path)))
        return []
    out: list[DeviceSpec] = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                data = {k: v for k, v in row.items() if isinstance(k, str) and k
                        and isinstance(v, str) and v}
                try:
                    out.append(validate_model(DeviceSpec, data, path, DataError))
                except DataError as exc:
                    problems += [Problem(f"{path.name}:{line}.{p.field}", p.message, p.value)
                                 for p in exc.problems]
                if len(problems) >= 20:
                    break
    except (UnicodeDecodeError, csv.Error) as exc:
        problems.append(Problem("devices_file", f"unreadable devices CSV {path.name}",
                                str(exc)[:120]))
    return out


def write_devices_csv(path: Path, devices: list[DeviceSpec]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "kind", "profile", "entity"])
        for d in devices:
            w.writerow([d.id, d.kind, d.profile or "", "" if d.entity is None else d.entity])


def write_twin_config(root: Path, config: TwinConfig) -> Path:
    """Write ``twin.yaml`` (refuses to overwrite an existing twin)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / CONFIG_NAME
    if path.exists():
        raise DataError(path, [Problem("", "a twin already exists here", has_value=False)])
    data = config.model_dump(mode="json", exclude_defaults=False)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def vehicle_device_id(vehicle: int) -> str:
    """The terminal phone number (12 BCD digits) given to simulated vehicle ``vehicle``."""
    return f"0138{int(vehicle):08d}"
