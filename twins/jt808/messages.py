"""JT/T 808 message bodies: location report, registration, heartbeat.

0x0200 location report body (28 bytes, then additional items)::

    alarm u32 | status u32 | lat u32 (1e-6 deg) | lon u32 (1e-6 deg) | altitude u16 (m)
    | speed u16 (0.1 km/h) | direction u16 (deg) | time BCD[6] YYMMDDhhmmss (GMT+8)

Additional items are ``id u8 | length u8 | value``; the twin reads 0x01 mileage (u32, 0.1 km),
0x02 fuel (u16, 0.1 L), 0x03 recorder speed (u16, 0.1 km/h) and the vendor item 0xE1
(u8, fleet operational state code, see :data:`STATE_CODES`); others are kept undecoded.

Status bit 2 set means south latitude, bit 3 west longitude. When no 0xE1 item is present,
the operational state is read from the status bits: bit 4 (out of service) gives
``off_shift``; bits 8-9 (load: 00 empty, 01 half, 11 full) give ``idle``, ``to_pickup`` and
``busy``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import struct
from dataclasses import dataclass, field
from typing import Any

from twins.jt808.frames import FrameError, bcd_decode, bcd_encode

MSG_HEARTBEAT = 0x0002
MSG_REGISTER = 0x0100
MSG_LOCATION = 0x0200
SUPPORTED = {MSG_HEARTBEAT: "heartbeat", MSG_REGISTER: "register", MSG_LOCATION: "location"}

TZ_OFFSET_S = 8 * 3600
"""JT/T 808 times are Beijing time (GMT+8)."""

ALARM_BITS = {
    0: "emergency", 1: "overspeed", 2: "fatigue_driving", 3: "danger_warning",
    4: "gnss_module_fault", 5: "gnss_antenna_cut", 6: "gnss_antenna_short",
    7: "power_undervoltage", 8: "power_off", 9: "lcd_fault", 10: "tts_fault",
    11: "camera_fault", 12: "ic_card_fault", 13: "overspeed_warning", 14: "fatigue_warning",
    # 15-17 are reserved in JT/T 808; this fleet's terminals put harsh driving there
    15: "harsh_acceleration", 16: "harsh_braking",
    18: "driving_overtime_today", 19: "parking_overtime", 20: "area_in_out", 21: "route_in_out",
    22: "route_time_abnormal", 23: "route_deviation", 24: "vss_fault", 25: "fuel_abnormal",
    26: "stolen", 27: "illegal_ignition", 28: "illegal_displacement", 29: "collision",
    30: "rollover", 31: "illegal_door_open",
}
STATUS_BITS = {
    0: "acc_on", 1: "positioned", 2: "south_latitude", 3: "west_longitude",
    4: "out_of_service", 5: "coordinates_encrypted", 10: "oil_circuit_cut",
    11: "power_circuit_cut", 12: "doors_locked", 18: "gps", 19: "beidou", 20: "glonass",
    21: "galileo",
}
STATUS_SOUTH = 1 << 2
STATUS_WEST = 1 << 3
STATUS_OUT_OF_SERVICE = 1 << 4
LOAD_SHIFT = 8

ITEM_MILEAGE = 0x01
ITEM_FUEL = 0x02
ITEM_RECORDER_SPEED = 0x03
ITEM_STATE = 0xE1
STATE_CODES = {0: "idle", 1: "to_pickup", 2: "busy", 3: "off_shift", 4: "maintenance"}
STATE_IDS = {v: k for k, v in STATE_CODES.items()}
LOAD_STATES = {0: "idle", 1: "to_pickup", 3: "busy"}


def bits(value: int, names: dict[int, str]) -> list[str]:
    """Names of the bits set in ``value`` (unnamed bits as ``bitN``)."""
    return [names.get(b, f"bit{b}") for b in range(32) if value >> b & 1]


@dataclass
class Location:
    """A decoded 0x0200 location report, in SI-ish units."""

    alarm: int
    status: int
    lat: float
    lon: float
    altitude_m: float
    speed_kmh: float
    heading_deg: float
    ts_s: float
    odometer_km: float | None = None
    fuel_l: float | None = None
    recorder_speed_kmh: float | None = None
    state: str | None = None
    extra: dict[int, bytes] = field(default_factory=dict)

    @property
    def alarms(self) -> list[str]:
        return bits(self.alarm, ALARM_BITS)

    @property
    def flags(self) -> list[str]:
        return bits(self.status, STATUS_BITS)


def bcd_time_decode(data: bytes) -> float:
    """BCD ``YYMMDDhhmmss`` (GMT+8) to Unix seconds."""
    text = bcd_decode(data)
    try:
        when = dt.datetime(2000 + int(text[0:2]), int(text[2:4]), int(text[4:6]),
                           int(text[6:8]), int(text[8:10]), int(text[10:12]))
    except ValueError:
        raise FrameError(f"invalid BCD time {text}") from None
    return float(calendar.timegm(when.timetuple()) - TZ_OFFSET_S)


def bcd_time_encode(ts_s: float) -> bytes:
    when = dt.datetime.fromtimestamp(int(ts_s) + TZ_OFFSET_S, dt.UTC)
    return bcd_encode(when.strftime("%y%m%d%H%M%S"), 6)


def state_from_status(status: int) -> str | None:
    if status & STATUS_OUT_OF_SERVICE:
        return "off_shift"
    return LOAD_STATES.get(status >> LOAD_SHIFT & 0x3)


def status_for_state(state: str | None, positioned: bool = True) -> int:
    """Status bits a terminal would report in an operational state."""
    status = (1 if state not in ("off_shift", "maintenance") else 0) | (2 if positioned else 0)
    if state in ("off_shift", "maintenance"):
        status |= STATUS_OUT_OF_SERVICE
    load = {"to_pickup": 1, "busy": 3}.get(state or "", 0)
    return status | load << LOAD_SHIFT


def decode_location(body: bytes) -> Location:
    """Decode a 0x0200 body; raises FrameError on a short body or malformed items."""
    if len(body) < 28:
        raise FrameError(f"location body too short: {len(body)} bytes, needs 28")
    alarm, status, lat_u, lon_u, alt, speed, heading = struct.unpack_from(">IIIIHHH", body, 0)
    lat = lat_u / 1e6 * (-1 if status & STATUS_SOUTH else 1)
    lon = lon_u / 1e6 * (-1 if status & STATUS_WEST else 1)
    loc = Location(alarm, status, lat, lon, float(alt), speed / 10.0, float(heading),
                   bcd_time_decode(body[22:28]))
    pos = 28
    while pos < len(body):
        if pos + 2 > len(body):
            raise FrameError(f"malformed additional item at byte {pos}: header cut off")
        item, size = body[pos], body[pos + 1]
        value = body[pos + 2:pos + 2 + size]
        if len(value) < size:
            raise FrameError(f"malformed additional item 0x{item:02x}: length {size} but "
                             f"{len(value)} bytes left")
        if item == ITEM_MILEAGE and size == 4:
            loc.odometer_km = struct.unpack(">I", value)[0] / 10.0
        elif item == ITEM_FUEL and size == 2:
            loc.fuel_l = struct.unpack(">H", value)[0] / 10.0
        elif item == ITEM_RECORDER_SPEED and size == 2:
            loc.recorder_speed_kmh = struct.unpack(">H", value)[0] / 10.0
        elif item == ITEM_STATE and size == 1:
            loc.state = STATE_CODES.get(value[0])
        else:
            loc.extra[item] = value
        pos += 2 + size
    if loc.state is None:
        loc.state = state_from_status(status)
    return loc


#: Largest value of each encoded field, in the field's unit (the wire holds u16/u32 tenths).
FIELD_MAX = {"altitude_m": 65535.0, "speed_kmh": 6553.5, "odometer_km": 429496729.5,
             "fuel_l": 6553.5}
#: Report times a BCD ``YYMMDDhhmmss`` can hold (2000-01-01 to 2099-12-31, GMT+8).
TIME_MIN_S = 946684800.0 - TZ_OFFSET_S
TIME_MAX_S = 4102444799.0 - TZ_OFFSET_S


def _clamp(name: str, value: float, lo: float, clamped: dict[str, int] | None) -> float:
    hi = FIELD_MAX[name]
    if value != value:
        raise ValueError(f"{name} is not a number")
    if lo <= value <= hi:
        return value
    if clamped is None:
        raise ValueError(f"{name} {value:g} does not fit the JT/T 808 field [{lo:g}, {hi:g}]")
    clamped[name] = clamped.get(name, 0) + 1
    return min(max(value, lo), hi)


def encode_location(
    ts_s: float,
    lat: float,
    lon: float,
    speed_kmh: float = 0.0,
    heading_deg: float = 0.0,
    altitude_m: float = 0.0,
    alarm: int = 0,
    status: int | None = None,
    odometer_km: float | None = None,
    fuel_l: float | None = None,
    state: str | None = None,
    extra: dict[int, bytes] | None = None,
    clamped: dict[str, int] | None = None,
) -> bytes:
    """Build a 0x0200 body. ``status`` defaults to the bits of ``state``.

    A value that does not fit its field (altitude, speed, odometer, fuel) raises
    ``ValueError``, or, when ``clamped`` is given, is clamped to the field's range and counted
    there by field name. Position and time out of range always raise (no clamp is honest).
    ``fuel_l`` is the fuel gauge reading (item 0x02), not the fuel used.
    """
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"position ({lon}, {lat}) out of range")
    if not TIME_MIN_S <= ts_s <= TIME_MAX_S:
        raise ValueError(f"time {ts_s} outside 2000-2099, which JT/T 808 cannot encode")
    if status is None:
        status = status_for_state(state)
    status = status & ~(STATUS_SOUTH | STATUS_WEST) & 0xFFFFFFFF
    status |= (STATUS_SOUTH if lat < 0 else 0) | (STATUS_WEST if lon < 0 else 0)
    altitude_m = _clamp("altitude_m", altitude_m, 0.0, clamped)
    speed_kmh = _clamp("speed_kmh", speed_kmh, 0.0, clamped)
    heading = heading_deg % 360.0 if heading_deg == heading_deg else 0.0
    body = struct.pack(">IIIIHHH", alarm & 0xFFFFFFFF, status, round(abs(lat) * 1e6),
                       round(abs(lon) * 1e6), round(altitude_m),
                       min(round(speed_kmh * 10), 0xFFFF), round(heading) % 360)
    body += bcd_time_encode(ts_s)
    if odometer_km is not None:
        odometer_km = _clamp("odometer_km", odometer_km, 0.0, clamped)
        body += bytes([ITEM_MILEAGE, 4]) + struct.pack(">I", min(round(odometer_km * 10),
                                                                 0xFFFFFFFF))
    if fuel_l is not None:
        fuel_l = _clamp("fuel_l", fuel_l, 0.0, clamped)
        body += bytes([ITEM_FUEL, 2]) + struct.pack(">H", min(round(fuel_l * 10), 0xFFFF))
    if state is not None:
        body += bytes([ITEM_STATE, 1, STATE_IDS[state]])
    for item, value in (extra or {}).items():
        if len(value) > 255:
            raise ValueError(f"additional item 0x{item:02x} of {len(value)} bytes (at most 255)")
        body += bytes([item & 0xFF, len(value)]) + value
    return body


@dataclass
class Registration:
    """A decoded 0x0100 terminal registration."""

    province: int
    city: int
    manufacturer: str
    model: str
    terminal_id: str
    plate_color: int
    plate: str


_REG_LAYOUTS = {None: (5, 20, 7), "2019": (11, 30, 30)}


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\x00 ").decode("gbk", errors="replace")


def decode_registration(body: bytes, version: int | None = None) -> Registration:
    man, mod, tid = _REG_LAYOUTS[None if version is None else "2019"]
    need = 4 + man + mod + tid + 1
    if len(body) < need:
        raise FrameError(f"registration body too short: {len(body)} bytes, needs {need}")
    province, city = struct.unpack_from(">HH", body, 0)
    p = 4
    manufacturer = _text(body[p:p + man])
    p += man
    model = _text(body[p:p + mod])
    p += mod
    terminal_id = _text(body[p:p + tid])
    p += tid
    return Registration(province, city, manufacturer, model, terminal_id, body[p],
                        _text(body[p + 1:]))


def encode_registration(reg: Registration, version: int | None = None) -> bytes:
    man, mod, tid = _REG_LAYOUTS[None if version is None else "2019"]

    def fixed(text: str, size: int) -> bytes:
        return text.encode("gbk")[:size].ljust(size, b"\x00")

    return (struct.pack(">HH", reg.province, reg.city) + fixed(reg.manufacturer, man)
            + fixed(reg.model, mod) + fixed(reg.terminal_id, tid) + bytes([reg.plate_color])
            + reg.plate.encode("gbk"))


def message_record(msg_id: int, phone: str, serial: int, body: bytes,
                   version: int | None, received_ts_s: float | None) -> dict[str, Any]:
    """One canonical record (see :mod:`twins.records`) from a whole message.

    Heartbeats and registrations carry no time; they take ``received_ts_s`` (the time of the
    device's last location report seen in the stream, or None if there was none).
    """
    if msg_id == MSG_LOCATION:
        loc = decode_location(body)
        return {"device": phone, "ts_s": loc.ts_s, "seq": serial, "kind": "vehicle",
                "msg": "location", "lon": loc.lon, "lat": loc.lat,
                "altitude_m": loc.altitude_m, "speed_kmh": loc.speed_kmh,
                "heading_deg": loc.heading_deg, "status": loc.status, "alarm": loc.alarm,
                "odometer_km": loc.odometer_km, "fuel_l": loc.fuel_l, "state": loc.state}
    if msg_id == MSG_HEARTBEAT:
        return {"device": phone, "ts_s": received_ts_s, "seq": serial, "kind": "vehicle",
                "msg": "heartbeat"}
    if msg_id == MSG_REGISTER:
        decode_registration(body, version)
        return {"device": phone, "ts_s": received_ts_s, "seq": serial, "kind": "vehicle",
                "msg": "register"}
    raise FrameError(f"unsupported message id 0x{msg_id:04x}")
