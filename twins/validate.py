"""Column-wise checks of a batch of canonical records against the schema and the twin's config.

Every check is a vectorised mask over the whole batch; only the rows that fail are looked at
one by one, to word their reason (the first failing check wins). What a record can be checked
against alone is here; what needs the twin's history (lateness, duplicates) is in
:mod:`twins.state`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twins.config import LoadedTwin
from twins.records import (
    KIND_COLUMNS,
    KINDS,
    MESSAGES,
    STATE_COLUMNS,
    VEHICLE_STATES,
    numeric_bounds,
    string_limits,
)

_BOUNDS = numeric_bounds()
_MAX_LEN = string_limits()


def _short(text: str, limit: int = 40) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text):,} chars)"

#: 2100-01-01T00:00:00Z: no report is later, whatever the clock setting (a far-future time
#: would make every later report of its device late).
MAX_TIME_S = 4102444800.0
_FLOAT_COLS = ("ts_s", "lon", "lat", "altitude_m", "speed_kmh", "heading_deg", "odometer_km",
               "fuel_l", "fuel_used_l", "bitrate_kbps")


@dataclass
class Checked:
    """A batch after the stateless checks."""

    table: pa.Table
    """The batch with ``kind`` and ``msg`` filled in."""
    dev: np.ndarray
    """Device index per row (-1: unknown device)."""
    ts_s: np.ndarray
    seq: np.ndarray
    bad: np.ndarray
    """True where the row is quarantined."""
    reasons: dict[int, str]


class _Reasons:
    def __init__(self, n: int):
        self.bad = np.zeros(n, bool)
        self.text: dict[int, str] = {}

    def flag(self, mask: np.ndarray, word: object) -> None:
        """Mark ``mask`` rows bad; ``word(i)`` (or a fixed string) gives the reason."""
        new = np.flatnonzero(mask & ~self.bad)
        if new.size == 0:
            return
        self.bad[new] = True
        for i in new:
            self.text[int(i)] = word(int(i)) if callable(word) else str(word)


def _np(col: pa.ChunkedArray | pa.Array, fill: float = np.nan) -> np.ndarray:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if fill != fill and not pa.types.is_floating(col.type):
        col = pc.cast(col, pa.float64())
    if col.null_count:
        col = pc.fill_null(col, fill)
    return np.asarray(col.to_numpy(zero_copy_only=False))


def _present(col: pa.ChunkedArray) -> np.ndarray:
    return ~np.asarray(col.is_null().to_numpy(zero_copy_only=False))


def device_index(table: pa.Table, twin: LoadedTwin) -> np.ndarray:
    """Index of each row's device in the twin's device list (-1 when unknown or missing)."""
    col = table.column("device").combine_chunks()
    if len(col) == 0:
        return np.zeros(0, np.int64)
    enc = col.dictionary_encode()
    lut = np.array([twin.index.get(v, -1) for v in enc.dictionary.to_pylist()] + [-1], np.int64)
    idx = pc.fill_null(enc.indices, len(lut) - 1)
    return lut[np.asarray(idx.to_numpy(zero_copy_only=False))]


def check(table: pa.Table, twin: LoadedTwin, now_s: float) -> Checked:
    """Run every stateless check; see the module docstring."""
    cfg = twin.config
    n = table.num_rows
    r = _Reasons(n)
    device = table.column("device")
    dev_text = device.to_pylist() if n and device.null_count else None

    def dev_name(i: int) -> object:
        return dev_text[i] if dev_text is not None else device[i].as_py()

    has_dev = _present(device)
    if n:
        empty = np.asarray(pc.fill_null(pc.equal(pc.utf8_length(device), 0), False)
                           .to_numpy(zero_copy_only=False))
    else:
        empty = np.zeros(0, bool)
    r.flag(~has_dev, "missing field device")
    r.flag(empty, "empty device id")
    for c, most in _MAX_LEN.items():
        col = table.column(c)
        if n and col.null_count < n:
            long = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(col), most), False)
                              .to_numpy(zero_copy_only=False))
            r.flag(long, lambda i, c=c, most=most, col=col:
                   f"{c} longer than {most} characters (got {_short(col[i].as_py())})")
    ts = _np(table.column("ts_s"))
    msg_in = table.column("msg")
    r.flag(np.isnan(ts) & np.asarray(pc.fill_null(pc.is_in(msg_in, pa.array(
        ["heartbeat", "register"])), False).to_numpy(zero_copy_only=False)),
        "no time: a heartbeat or registration before any location report")
    r.flag(~_present(table.column("ts_s")), "missing field ts_s")
    dev = device_index(table, twin)
    r.flag(dev < 0, lambda i: f"unknown device {dev_name(i)!r}")

    kinds_of = np.array([KINDS.index(d.kind) for d in twin.devices] + [0], np.int64)
    dev_kind = kinds_of[dev]
    kind_col = table.column("kind")
    given = _present(kind_col)
    if given.any():
        kind_code = np.asarray(pc.fill_null(pc.index_in(kind_col, pa.array(list(KINDS))), -1)
                               .to_numpy(zero_copy_only=False))
        r.flag(given & (kind_code < 0), lambda i: f"unknown kind "
               f"{_short(str(kind_col[i].as_py()))} (known: {', '.join(KINDS)})")
        r.flag(given & (kind_code >= 0) & (kind_code != dev_kind),
               lambda i: f"kind mismatch: record says {kind_col[i].as_py()}, device "
               f"{dev_name(i)!r} is a {KINDS[dev_kind[i]]}")
    kind_names = pa.array(list(KINDS)).take(pa.array(dev_kind))
    table = table.set_column(table.schema.get_field_index("kind"), "kind", kind_names)

    # Default message type: a vehicle record with a position is a location report.
    has_pos = _present(table.column("lon")) | _present(table.column("lat"))
    default_msg = np.where(dev_kind == 0, np.where(has_pos, "location", "heartbeat"), "status")
    msg = pc.coalesce(msg_in, pa.array(default_msg))
    msg_np = np.asarray(msg.to_numpy(zero_copy_only=False)).astype(str)
    for k, kind in enumerate(KINDS):
        allowed = np.isin(msg_np, MESSAGES[kind])
        r.flag((dev_kind == k) & ~allowed, lambda i, kind=kind: f"unknown message type "
               f"{_short(str(msg_np[i]))} for a {kind} (known: {', '.join(MESSAGES[kind])})")
    table = table.set_column(table.schema.get_field_index("msg"), "msg", msg)

    present = {c: _present(table.column(c)) for c in STATE_COLUMNS}
    for k, kind in enumerate(KINDS):
        rows = dev_kind == k
        for c in STATE_COLUMNS:
            if c not in KIND_COLUMNS[kind]:
                r.flag(rows & present[c], lambda i, c=c, kind=kind:
                       f"field {c!r} does not apply to a {kind} record")
    values: dict[str, np.ndarray] = {}
    for c in _FLOAT_COLS:
        col = table.column(c)
        values[c] = _np(col)
        nan = np.asarray(pc.fill_null(pc.is_nan(col), False).to_numpy(zero_copy_only=False)) \
            if n else np.zeros(0, bool)
        r.flag(nan, f"{c} is not a number")
        r.flag(np.isinf(values[c]), f"{c} is infinite")
    speed = values["speed_kmh"]
    r.flag(speed > cfg.limits.max_speed_kmh,
           lambda i: f"impossible speed_kmh {speed[i]:g} (limit {cfg.limits.max_speed_kmh:g})")
    for c, (lo, hi) in _BOUNDS.items():
        v = values[c] if c in values else _np(table.column(c), np.nan).astype(np.float64)
        out = np.zeros(n, bool)
        if lo is not None:
            out |= v < lo
        if hi is not None:
            out |= v > hi
        r.flag(out, lambda i, c=c, v=v, lo=lo, hi=hi:
               f"{c} {v[i]:g} out of range [{lo:g}, {hi:g}]")
    state = table.column("state")
    if state.null_count < n:
        bad_state = present["state"] & ~np.asarray(pc.fill_null(pc.is_in(state, pa.array(
            list(VEHICLE_STATES))), False).to_numpy(zero_copy_only=False))
        r.flag(bad_state, lambda i: f"unknown vehicle state {_short(str(state[i].as_py()))} "
               f"(known: {', '.join(VEHICLE_STATES)})")
    is_loc = msg_np == "location"
    lon, lat = values["lon"], values["lat"]
    r.flag(is_loc & (np.isnan(lon) | np.isnan(lat)), "location report without lon/lat")
    r.flag(np.isnan(lon) != np.isnan(lat), "position needs both lon and lat")
    if cfg.region is not None:
        g = cfg.region
        outside = (lon < g.lon_min) | (lon > g.lon_max) | (lat < g.lat_min) | (lat > g.lat_max)
        r.flag(outside, lambda i: f"position ({lon[i]:.6f}, {lat[i]:.6f}) outside the "
               f"configured region")
    status_msg = msg_np == "status"
    r.flag(status_msg & (dev_kind == 1) & ~present["online"],
           "STB status report without the online flag")
    r.flag(status_msg & (dev_kind == 2) & ~present["registered"] & ~present["streaming"],
           "camera status report without registered or streaming")
    t_min = cfg.min_time_utc.timestamp()
    r.flag(ts < t_min, lambda i: f"timestamp {ts[i]:.0f} before {cfg.min_time_utc:%Y-%m-%d}")
    r.flag(ts >= MAX_TIME_S, lambda i: f"timestamp {ts[i]:.0f} after 2100-01-01")
    if cfg.clock == "wall":
        limit = now_s + cfg.max_future_s
        r.flag(ts > limit, lambda i: f"timestamp {ts[i]:.0f} is {ts[i] - now_s:.0f} s in the "
               f"future (allowed {cfg.max_future_s:g} s)")
    seq = _np(table.column("seq"), 0).astype(np.int64)
    return Checked(table, dev, ts, seq, r.bad, r.text)
