"""Hardware profiles: schemas by kind and the catalog that finds them on disk.

Profiles live in ``hardware_profiles/<kind>/<id>.yaml`` (extra folders may be added with the
``FLEETTWIN_PROFILES`` environment variable or a scenario's ``profile_dirs``). A file may carry
a ``version``; a reference ``id`` means the highest version, ``id@N`` a given one, so a
calibrated profile never overwrites the one it came from.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from sim.engine.registry import Registry
from sim.errors import Problem, ProfileError
from sim.schema.base import StrictModel
from sim.schema.distributions import Quantity, mean_of
from sim.schema.loader import load_yaml, validate_model


class Provenance(StrictModel):
    """Where a profile version's numbers came from."""

    source: str = "datasheet"
    derived_from: str | None = None
    data_file: str | None = None
    data_sha256: str | None = None
    sample_size: int | None = None
    censored: int | None = None
    method: str | None = None
    fit: dict[str, Any] = Field(default_factory=dict)
    date: str | None = None
    note: str | None = None


class ProfileBase(StrictModel):
    """Fields every hardware profile has."""

    KIND: ClassVar[str] = ""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    kind: str
    version: int = Field(default=1, ge=1)
    description: str = ""
    vendor: str | None = None
    provenance: Provenance | list[Provenance] | None = None


#: Profile kinds by ``KIND``; model packages add theirs in ``sim/<package>/profiles.py``
#: (found by :func:`sim.engine.registry.load_plugins`).
PROFILE_KINDS: Registry[type[ProfileBase]] = Registry("profile kind", key=lambda c: c.KIND,
                                                      plugins="profiles")


def register_profile_kind(cls: type[ProfileBase]) -> type[ProfileBase]:
    """Class decorator: make a profile kind known to the catalog."""
    return PROFILE_KINDS.register(cls)


@register_profile_kind
class VehicleProfile(ProfileBase):
    """A vehicle model: consumption, capacity, reliability and running costs."""

    KIND: ClassVar[str] = "vehicle"

    powertrain: Literal["ice", "ev"] = Field(
        default="ice", description="ice: fuel in litres; ev: battery, energy in kWh")
    fuel_l_per_100km: float = Field(ge=0, le=1000, description="fuel per 100 km (an "
                                    "electric vehicle burns none: 0, the default for ev)")
    battery_kwh: float | None = Field(default=None, gt=0, le=2000,
                                      description="usable battery capacity (ev)")
    kwh_per_km: float | None = Field(default=None, gt=0, le=20,
                                     description="energy drawn from the battery per km (ev)")
    licence_class: Literal["A1", "A2", "A3", "B1", "B2", "C1", "C2"] = Field(
        default="C1", description="China's driving licence class the vehicle needs")
    seats: int = Field(default=4, ge=1, le=500)
    payload_kg: float = Field(default=0.0, ge=0, le=1e6)
    failure_rate_per_1000h: float = Field(ge=0, le=1000,
                                          description="breakdowns per 1000 operating h")
    repair_time_h: Quantity = 4.0
    maintenance_cny_per_km: float = Field(default=0.3, ge=0, le=1e4)
    # Reliability on the failure clock (fleet-year model, sim/fleetops/reliability.py).
    failure_clock: Literal["operating_h", "km"] = Field(
        default="operating_h", description="what wears the vehicle: operating hours or km")
    failures_per_100000km: float | None = Field(
        default=None, ge=0, le=1e5, description="breakdowns per 100,000 km (km clock)")
    failure_shape: float = Field(default=1.0, ge=0.1, le=10, description="Weibull shape of "
                                 "the hazard on the failure clock (1: constant, >1: wear-out)")
    failure_ref_h: float = Field(default=10_000.0, gt=0, le=1e6, description="operating "
                                 "hours over which the stated rate is the mean hazard")
    failure_ref_km: float = Field(default=300_000.0, gt=0, le=1e8, description="km over "
                                  "which failures_per_100000km is the mean hazard")
    # Preventive service and repairs (sim/fleetops/workshops.py).
    service_interval_km: float | None = Field(default=None, gt=0, le=1e6)
    service_interval_months: int | None = Field(default=None, ge=1, le=120)
    service_time_h: Quantity = 2.0
    service_parts_cny: float = Field(default=300.0, ge=0, le=1e7)
    repair_parts_cny: float = Field(default=1500.0, ge=0, le=1e7,
                                    description="parts per breakdown repair")
    # Capital and insurance (sim/fleetops/economics.py).
    price_cny: float = Field(default=0.0, ge=0, le=1e9)
    residual_share: float = Field(default=0.3, ge=0, le=1,
                                  description="value left at the end of life_years")
    life_years: float = Field(default=8.0, gt=0, le=50)
    insurance_cny_per_year: float = Field(default=0.0, ge=0, le=1e8)

    @model_validator(mode="before")
    @classmethod
    def _ev_burns_no_fuel(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("powertrain") == "ev" \
                and "fuel_l_per_100km" not in data:
            data = {**data, "fuel_l_per_100km": 0.0}
        return data

    @model_validator(mode="after")
    def _powertrain_fields(self) -> VehicleProfile:
        if self.powertrain == "ev":
            if self.battery_kwh is None or self.kwh_per_km is None:
                raise ValueError("an electric vehicle (powertrain ev) needs battery_kwh and "
                                 "kwh_per_km")
            if self.fuel_l_per_100km != 0:
                raise ValueError("an electric vehicle burns no fuel: give kwh_per_km, not "
                                 f"fuel_l_per_100km (got {self.fuel_l_per_100km:g})")
        elif self.fuel_l_per_100km <= 0:
            raise ValueError("fuel_l_per_100km must be > 0 for a combustion vehicle "
                             f"(got {self.fuel_l_per_100km:g})")
        return self

    @model_validator(mode="after")
    def _km_clock_needs_rate(self) -> VehicleProfile:
        if self.failure_clock == "km" and self.failures_per_100000km is None:
            raise ValueError("failure_clock km needs failures_per_100000km")
        return self


@register_profile_kind
class VehicleTerminalProfile(ProfileBase):
    """An in-vehicle terminal (GPS module, recorder, camera) and its reporting."""

    KIND: ClassVar[str] = "vehicle_terminal"

    protocol: str = "jt808"
    report_interval_s: Quantity = Field(description="time between location reports")
    message_size_bytes: Quantity = 80.0
    gps_error_m: float = Field(ge=0, le=1e5, description="standard deviation of position error")
    failure_rate_per_1000h: float = Field(ge=0, le=1000)
    cameras: int = Field(default=0, ge=0, le=64)
    report_interval_parked_s: Quantity | None = Field(
        default=None, description="time between reports while parked with the ignition on "
        "(default: report_interval_s)")
    report_interval_off_s: float = Field(
        default=300.0, ge=0, le=86400.0, description="sleep report interval with the "
        "ignition off (JT/T 808 parameter 0x0027); 0: silent")
    alarm_message_bytes: float = Field(
        default=120.0, gt=0, le=65535.0, description="an alarm report on the wire (0x0200 "
        "with its alarm items), bytes")
    event_clip_mb: float = Field(default=0.0, ge=0, le=10_000.0,
                                 description="dashcam clip uploaded per alarm event, MB")
    video_bitrate_kbps: float = Field(default=0.0, ge=0, le=100_000.0,
                                      description="on-demand live video per camera, kbit/s")

    @field_validator("report_interval_s", "report_interval_parked_s")
    @classmethod
    def _report_interval(cls, value: Any) -> Any:
        if value is not None and mean_of(value) < 0.1:
            raise ValueError("must average at least 0.1 s")
        return value


@dataclass(frozen=True)
class ProfileEntry:
    profile: ProfileBase
    path: Path


def default_profile_dirs() -> list[Path]:
    import hardware_profiles

    dirs = [Path(hardware_profiles.__file__).parent]
    extra = os.environ.get("FLEETTWIN_PROFILES", "")
    dirs += [Path(p) for p in extra.split(os.pathsep) if p]
    return dirs


def parse_profile(path: Path, data: Mapping[str, Any] | None = None) -> ProfileBase:
    raw = dict(load_yaml(path, ProfileError) if data is None else data)
    kind = raw.get("kind")
    if kind is None:
        kind = path.parent.name
        raw["kind"] = kind
    cls = PROFILE_KINDS.get(str(kind))
    if cls is None:
        raise ProfileError(
            path, [Problem("kind", f"unknown profile kind; known: {sorted(PROFILE_KINDS)}", kind)]
        )
    return validate_model(cls, raw, path, ProfileError)


class ProfileCatalog:
    """All profiles found in a set of folders, by kind, id and version."""

    def __init__(self, dirs: Iterable[Path] | None = None):
        self.dirs = [Path(d) for d in (dirs if dirs is not None else default_profile_dirs())]
        self._entries: dict[tuple[str, str], dict[int, ProfileEntry]] = {}
        problems: list[ProfileError] = []
        for d in self.dirs:
            for path in sorted(d.glob("*/*.yaml")):
                if path.parent.name.startswith(("_", ".")) or path.parent.name == "samples":
                    continue
                try:
                    prof = parse_profile(path)
                except ProfileError as exc:
                    problems.append(exc)
                    continue
                versions = self._entries.setdefault((prof.kind, prof.id), {})
                if prof.version in versions:
                    other = versions[prof.version].path
                    problems.append(
                        ProfileError(
                            path,
                            [Problem("version", f"duplicates {other} ({prof.id}@{prof.version})",
                                     prof.version)],
                        )
                    )
                    continue
                versions[prof.version] = ProfileEntry(prof, path)
        if problems:
            # Report every broken profile file at once.
            first = problems[0]
            if len(problems) == 1:
                raise first
            merged = [
                Problem(f"{e.source}: {p.field}", p.message, p.value, p.has_value)
                for e in problems
                for p in e.problems
            ]
            raise ProfileError(f"{len(problems)} profile files", merged)

    def entries(self) -> list[ProfileEntry]:
        return [
            versions[v]
            for _, versions in sorted(self._entries.items())
            for v in sorted(versions)
        ]

    def latest(self) -> list[ProfileEntry]:
        return [versions[max(versions)] for _, versions in sorted(self._entries.items())]

    def get(self, kind: str, ref: str) -> ProfileEntry:
        """Find ``ref`` (``id`` or ``id@version``) of ``kind``; KeyError if absent."""
        pid, _, ver = ref.partition("@")
        versions = self._entries.get((kind, pid))
        if not versions:
            raise KeyError(ref)
        if ver:
            if not ver.isdigit() or int(ver) not in versions:
                raise KeyError(ref)
            return versions[int(ver)]
        return versions[max(versions)]

    def ids(self, kind: str) -> list[str]:
        return sorted(pid for (k, pid) in self._entries if k == kind)

    def resolve(
        self,
        kind: str,
        ref: str,
        overrides: Mapping[str, Any] | None,
        field: str,
        source: str,
        overrides_field: str = "",
    ) -> ProfileBase:
        """Look up a profile and apply a scenario's single-field overrides to it."""
        from sim.errors import ScenarioError

        try:
            entry = self.get(kind, ref)
        except KeyError:
            known = ", ".join(self.ids(kind)) or "none"
            raise ScenarioError(
                source,
                [Problem(field, f"no {kind} profile with this id (known: {known})", ref)],
            ) from None
        if not overrides:
            return entry.profile
        data = entry.profile.model_dump(by_alias=True, exclude_none=True)
        data.update(dict(overrides))
        cls = type(entry.profile)
        try:
            return validate_model(cls, data, source, ScenarioError)
        except ScenarioError as exc:
            prefix = overrides_field or field
            raise ScenarioError(
                source,
                [Problem(f"{prefix}.{p.field}", p.message, p.value, p.has_value)
                 for p in exc.problems],
            ) from None
