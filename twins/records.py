"""Telemetry record schemas, with units: vehicle terminals, set-top boxes and cameras.

Every source (JSONL, CSV, Parquet, JT/T 808 frames) is turned into one canonical Arrow table
with the columns of :data:`COLUMNS`; a column a record does not carry is null. The pydantic
models below are the documented schema of each record kind and produce the error texts of
rejected records; the hot path never builds one object per record, it checks whole columns
against the same bounds (:func:`numeric_bounds` reads them from these models).

Time is ``ts_s``, Unix seconds (UTC). ``seq`` is the message sequence number (JT/T 808 serial);
``(device, ts_s, seq)`` identifies a record, so a record seen twice counts once.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import annotated_types
import pyarrow as pa
from pydantic import Field

from sim.city.state import STATES
from sim.schema.base import StrictModel

RecordKind = Literal["vehicle", "stb", "camera"]
KINDS: tuple[str, ...] = ("vehicle", "stb", "camera")

#: Message types per kind. ``location`` and ``status`` carry state; ``heartbeat`` only liveness.
MESSAGES: dict[str, tuple[str, ...]] = {
    "vehicle": ("location", "heartbeat", "register"),
    "stb": ("status", "heartbeat"),
    "camera": ("status", "register", "heartbeat"),
}
ALL_MESSAGES: tuple[str, ...] = tuple(sorted({m for ms in MESSAGES.values() for m in ms}))

#: Operational states of a fleet vehicle: the city model's states.
VEHICLE_STATES: tuple[str, ...] = STATES


class ReportBase(StrictModel):
    """Fields every telemetry record has."""

    device: str = Field(min_length=1, max_length=40, description="device id; for JT/T 808 the "
                        "terminal phone number (12 BCD digits)")
    ts_s: float = Field(allow_inf_nan=False, description="report time, Unix seconds (UTC)")
    seq: int = Field(default=0, ge=0, le=2**40, description="message sequence number")
    kind: RecordKind | None = Field(default=None, description="record kind; default: the "
                                    "registered device's kind")
    msg: str | None = Field(default=None, description="message type (see MESSAGES)")


class VehicleReport(ReportBase):
    """A vehicle terminal report: position, motion, status bits, odometer, fuel, alarms."""

    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False,
                              description="longitude, degrees (WGS-84)")
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False,
                              description="latitude, degrees (WGS-84)")
    altitude_m: float | None = Field(default=None, ge=-500, le=9000, allow_inf_nan=False)
    speed_kmh: float | None = Field(default=None, ge=0, le=300, allow_inf_nan=False,
                                    description="ground speed, km/h")
    heading_deg: float | None = Field(default=None, ge=0, le=360, allow_inf_nan=False,
                                      description="course over ground, degrees from north")
    status: int | None = Field(default=None, ge=0, le=2**32 - 1,
                               description="JT/T 808 status bit field")
    alarm: int | None = Field(default=None, ge=0, le=2**32 - 1,
                              description="JT/T 808 alarm bit field")
    odometer_km: float | None = Field(default=None, ge=0, le=1e7, allow_inf_nan=False,
                                      description="odometer, km (JT/T 808 item 0x01)")
    fuel_l: float | None = Field(default=None, ge=0, le=2000, allow_inf_nan=False,
                                 description="fuel gauge reading (what is in the tank), "
                                 "litres (JT/T 808 item 0x02)")
    fuel_used_l: float | None = Field(default=None, ge=0, le=1e8, allow_inf_nan=False,
                                      description="fuel used since the start of the record, "
                                      "litres (a fleet application's counter; JT/T 808 has "
                                      "no item for it)")
    state: Literal["idle", "to_pickup", "busy", "off_shift", "maintenance"] | None = Field(
        default=None, description="operational state reported by the fleet application")
    fault_code: int | None = Field(default=None, ge=0, le=65535, description="fault code")
    driver: str | None = Field(default=None, max_length=40, description="driver id")


class StbReport(ReportBase):
    """A set-top box report: online/offline, firmware, what it plays, errors."""

    online: bool | None = None
    firmware: str | None = Field(default=None, max_length=40)
    channel: int | None = Field(default=None, ge=0, le=100000, description="live channel")
    vod_title: str | None = Field(default=None, max_length=200)
    error_code: str | None = Field(default=None, max_length=40)
    access_node: str | None = Field(default=None, max_length=60,
                                    description="access network node (OLT/DSLAM) it hangs on")


class CameraReport(ReportBase):
    """A shop camera report: registration, stream on/off, bitrate, firmware, uploads.

    A ``register`` message from a camera the twin does not know registers it (the
    platform's device self-registration) when its serial is well formed
    (:data:`CAMERA_SERIAL`) and its ``model``, if given, is a known camera profile.
    """

    registered: bool | None = None
    streaming: bool | None = None
    bitrate_kbps: float | None = Field(default=None, ge=0, le=100000, allow_inf_nan=False)
    firmware: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=40, description="camera model: a "
                              "camera hardware profile id (in a registration)")
    upload_mb: float | None = Field(default=None, ge=0, le=1e6, allow_inf_nan=False,
                                    description="recordings uploaded to cloud storage since "
                                    "the camera's previous report, MB")


#: A camera serial: the vendor code (the profile's ``serial_prefix``), a dash, 8 to 24
#: upper-case letters or digits.
CAMERA_SERIAL = re.compile(r"^[A-Z0-9]{2,8}-[A-Z0-9]{8,24}$")


REPORT_MODELS: dict[str, type[ReportBase]] = {
    "vehicle": VehicleReport,
    "stb": StbReport,
    "camera": CameraReport,
}

#: The canonical columns (input field names) and their Arrow types.
COLUMNS: dict[str, pa.DataType] = {
    "device": pa.string(),
    "ts_s": pa.float64(),
    "seq": pa.int64(),
    "kind": pa.string(),
    "msg": pa.string(),
    "lon": pa.float64(),
    "lat": pa.float64(),
    "altitude_m": pa.float64(),
    "speed_kmh": pa.float64(),
    "heading_deg": pa.float64(),
    "status": pa.int64(),
    "alarm": pa.int64(),
    "odometer_km": pa.float64(),
    "fuel_l": pa.float64(),
    "fuel_used_l": pa.float64(),
    "state": pa.string(),
    "fault_code": pa.int64(),
    "driver": pa.string(),
    "online": pa.bool_(),
    "firmware": pa.string(),
    "channel": pa.int64(),
    "vod_title": pa.string(),
    "error_code": pa.string(),
    "access_node": pa.string(),
    "registered": pa.bool_(),
    "streaming": pa.bool_(),
    "bitrate_kbps": pa.float64(),
    "model": pa.string(),
    "upload_mb": pa.float64(),
}
SCHEMA = pa.schema(list(COLUMNS.items()))

#: Columns that describe a device's current state (everything but the identity columns).
STATE_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in
                                       ("device", "ts_s", "seq", "kind", "msg"))

#: Columns each kind may carry (besides the identity columns).
KIND_COLUMNS: dict[str, frozenset[str]] = {
    k: frozenset(m.model_fields) - set(ReportBase.model_fields) for k, m in REPORT_MODELS.items()
}


def numeric_bounds() -> dict[str, tuple[float | None, float | None]]:
    """Lower and upper bound of every bounded numeric column, read from the models."""
    out: dict[str, tuple[float | None, float | None]] = {}
    for model in REPORT_MODELS.values():
        for name, info in model.model_fields.items():
            lo = hi = None
            for meta in info.metadata:
                if isinstance(meta, annotated_types.Ge):
                    lo = float(meta.ge)  # type: ignore[arg-type]
                elif isinstance(meta, annotated_types.Le):
                    hi = float(meta.le)  # type: ignore[arg-type]
            if lo is not None or hi is not None:
                out[name] = (lo, hi)
    return out


def string_limits() -> dict[str, int]:
    """Largest length (characters) of every bounded string column, read from the models."""
    out: dict[str, int] = {}
    for model in REPORT_MODELS.values():
        for name, info in model.model_fields.items():
            for meta in info.metadata:
                if isinstance(meta, annotated_types.MaxLen):
                    out[name] = int(meta.max_length)
    return out


def empty_table(n: int = 0) -> pa.Table:
    """A canonical table of ``n`` all-null rows."""
    return pa.table({c: pa.nulls(n, t) for c, t in COLUMNS.items()})


def conform(table: pa.Table) -> tuple[pa.Table, list[str]]:
    """Cast ``table`` to the canonical columns; return it and the names of unknown columns.

    Missing canonical columns are added as nulls. Raises ``pa.ArrowInvalid`` or
    ``pa.ArrowNotImplementedError`` when a column cannot be cast.
    """
    n = table.num_rows
    cols: dict[str, Any] = {}
    for name, typ in COLUMNS.items():
        if name in table.column_names:
            col = table.column(name)
            if col.type != typ:
                if pa.types.is_null(col.type):
                    col = pa.nulls(n, typ)
                else:
                    col = col.cast(typ)
            cols[name] = col
        else:
            cols[name] = pa.nulls(n, typ)
    unknown = [c for c in table.column_names if c not in COLUMNS]
    return pa.table(cols, schema=SCHEMA), unknown


def describe_fields() -> list[tuple[str, str, str, str]]:
    """``(kind, field, type, meaning)`` rows documenting every record kind."""
    rows = []
    for kind, model in REPORT_MODELS.items():
        for name, info in model.model_fields.items():
            if kind != "vehicle" and name in ReportBase.model_fields:
                continue
            rows.append((kind if name not in ReportBase.model_fields else "all", name,
                         str(COLUMNS[name]), info.description or ""))
    return rows
