"""Vectorised decoding of a buffer of JT/T 808 frames (the ingest hot path).

The whole buffer is handled with numpy: delimiters found at once, escapes undone at once,
checksums by ``bitwise_xor.reduceat``, header and 0x0200 body fields gathered by fancy
indexing, BCD digits and dates converted column-wise, additional items walked one item
position at a time across all frames. Frames that are not plain 2013-layout location reports
or heartbeats (registrations, sub-packages, the 2019 layout, anything broken) go through the
per-frame decoder of :mod:`twins.jt808.frames`, which also words the quarantine reasons.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from twins.batch import ParsedBatch, Reject
from twins.jt808.frames import FrameError, decode_frame
from twins.jt808.messages import (
    ITEM_FUEL,
    ITEM_MILEAGE,
    ITEM_STATE,
    MSG_HEARTBEAT,
    MSG_LOCATION,
    STATE_CODES,
    STATUS_OUT_OF_SERVICE,
    STATUS_SOUTH,
    STATUS_WEST,
    TZ_OFFSET_S,
    message_record,
)
from twins.jt808.reassembly import Reassembler
from twins.records import COLUMNS, SCHEMA

_MAX_ITEMS = 32
#: No clock runs past 2100-01-01 (what the checks accept at most).
MAX_CLOCK_S = 4102444800.0
_STATE_NAMES = pa.array([STATE_CODES[i] for i in range(len(STATE_CODES))])
# load bits (8-9) -> state code: 00 idle, 01 to_pickup, 11 busy
_LOAD_TO_CODE = np.array([0, 1, -1, 2], np.int64)


def _be16(v: np.ndarray, p: np.ndarray) -> np.ndarray:
    return v[p].astype(np.int64) << 8 | v[p + 1]


def _be32(v: np.ndarray, p: np.ndarray) -> np.ndarray:
    return (v[p].astype(np.int64) << 24 | v[p + 1].astype(np.int64) << 16
            | v[p + 2].astype(np.int64) << 8 | v[p + 3])


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_MONTH_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _bcd_time(v: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unix seconds of BCD ``YYMMDDhhmmss`` (GMT+8) at ``p``, and a validity mask."""
    raw = v[p[:, None] + np.arange(6)]
    hi, lo = raw >> 4, raw & 0x0F
    ok = ((hi <= 9) & (lo <= 9)).all(axis=1)
    val = (hi.astype(np.int64) * 10 + lo)
    yy, mo, dd, hh, mi, ss = (val[:, i] for i in range(6))
    year = 2000 + yy
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    mdays = _MONTH_DAYS[np.clip(mo, 0, 12)] - ((mo == 2) & ~leap)
    ok &= (mo >= 1) & (mo <= 12) & (dd >= 1) & (dd <= mdays) & (hh < 24) & (mi < 60) & (ss < 60)
    days = _days_from_civil(year, np.clip(mo, 1, 12), dd)
    return (days * 86400 + hh * 3600 + mi * 60 + ss - TZ_OFFSET_S).astype(np.float64), ok


def _phones(v: np.ndarray, p: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    raw = v[p[:, None] + np.arange(4, 10)]
    nib = np.empty((len(p), 12), np.uint8)
    nib[:, 0::2] = raw >> 4
    nib[:, 1::2] = raw & 0x0F
    ok = (nib <= 9).all(axis=1)
    text = np.ascontiguousarray(nib + ord("0")).view("S12").ravel()
    return pa.array(text, pa.binary(12)).cast(pa.string()), np.asarray(ok)


def decode_frames(
    buf: bytes,
    base_offset: int,
    reassembler: Reassembler,
    clocks: dict[str, float] | None = None,
    final: bool = False,
    max_clock_s: float = MAX_CLOCK_S,
) -> tuple[ParsedBatch, bytes]:
    """Decode every complete frame in ``buf``.

    Parameters
    ----------
    buf
        Bytes of the stream; a frame ends at its closing 0x7e.
    base_offset
        Stream offset of ``buf[0]`` (positions in the result are stream offsets).
    reassembler
        Holds sub-packages across calls.
    clocks
        Each device's clock before ``buf``: the latest time of its location reports seen so
        far. Heartbeats and registrations carry no time and are stamped with their device's
        clock. Not changed; the batch's ``clocks`` holds the devices whose clock moved.
    final
        The stream ends with ``buf``: leftover bytes are a truncated frame, not a tail.
    max_clock_s
        A location report later than this (one from the far future, quarantined by the
        checks) does not move its device's clock, so it cannot drag later heartbeats along.

    Returns
    -------
    batch, tail
        The records and rejects in stream order, and the unfinished bytes to prepend to the
        next buffer.
    """
    u = np.frombuffer(buf, np.uint8)
    delim = np.flatnonzero(u == 0x7E)
    rejects: list[Reject] = []
    if delim.size == 0:
        tail = buf
        end = 0
    else:
        end = int(delim[-1]) + 1
        tail = buf[end:]
    if final and tail:
        rejects.append(Reject(base_offset + end, tail,
                              "truncated frame: stream ended without closing 0x7e"))
        tail = b""
    if delim.size == 0:
        batch = _assemble([], None, rejects, buf, clocks or {}, max_clock_s)
        batch.end_offset = base_offset + len(buf) - len(tail)
        return batch, tail

    u2 = u[:end]
    seg_s = np.r_[0, delim[:-1] + 1]
    seg_e = delim
    # Undo escapes over the whole buffer; a bad escape spoils only its own frame.
    esc = np.flatnonzero(u2 == 0x7D)
    nxt = u2[esc + 1]
    good_esc = (nxt == 1) | (nxt == 2)
    bad_seg = np.zeros(len(delim), bool)
    bad_seg[np.searchsorted(delim, esc[~good_esc])] = True
    val = u2.copy()
    ge = esc[good_esc]
    val[ge + 1] = np.where(nxt[good_esc] == 1, 0x7D, 0x7E)
    keep = np.ones(len(u2), bool)
    keep[ge] = False
    v = val[keep]
    newpos = np.cumsum(keep) - 1
    nd = newpos[delim]
    ns = np.r_[0, nd[:-1] + 1]
    ne = nd
    length = ne - ns
    nonempty = length > 0
    idx = np.empty(2 * len(ns), np.int64)
    idx[0::2], idx[1::2] = ns, ne
    xr = np.bitwise_xor.reduceat(v, idx)[0::2]
    cand = nonempty & ~bad_seg & (length >= 13) & (xr == 0)
    fast = np.zeros(len(ns), bool)
    s = ns[cand]
    msg = _be16(v, s)
    props = _be16(v, s + 2)
    body_len = props & 0x3FF
    plain = (props >> 10) == 0  # no encryption, not sub-packaged, 2013 layout
    fits = length[cand] == 12 + body_len + 1
    is_loc = plain & fits & (msg == MSG_LOCATION) & (body_len >= 28)
    is_hb = plain & fits & (msg == MSG_HEARTBEAT) & (body_len == 0)
    fast[np.flatnonzero(cand)[is_loc | is_hb]] = True

    fi = np.flatnonzero(fast)
    f_s = ns[fi]
    f_msg = _be16(v, f_s)
    f_len = _be16(v, f_s + 2) & 0x3FF
    phone, ok = _phones(v, f_s)
    serial = _be16(v, f_s + 10)
    loc = f_msg == MSG_LOCATION
    b = f_s + 12
    li = np.flatnonzero(loc)
    lb = b[li]
    alarm = _be32(v, lb)
    status = _be32(v, lb + 4)
    lat = _be32(v, lb + 8) / 1e6 * np.where(status & STATUS_SOUTH, -1.0, 1.0)
    lon = _be32(v, lb + 12) / 1e6 * np.where(status & STATUS_WEST, -1.0, 1.0)
    alt = _be16(v, lb + 16).astype(np.float64)
    speed = _be16(v, lb + 18) / 10.0
    heading = _be16(v, lb + 20).astype(np.float64)
    ts, ok_t = _bcd_time(v, lb + 22)
    odo = np.full(len(li), np.nan)
    fuel = np.full(len(li), np.nan)
    state = np.full(len(li), -1, np.int64)
    pos = lb + 28
    stop = lb + f_len[li]
    ok_items = np.ones(len(li), bool)
    active = pos < stop
    last = len(v) - 1
    for _ in range(_MAX_ITEMS):
        ai = np.flatnonzero(active)
        if ai.size == 0:
            break
        p, e = pos[ai], stop[ai]
        item = v[np.minimum(p, last)]
        size = v[np.minimum(p + 1, last)].astype(np.int64)
        broken = (p + 2 > e) | (p + 2 + size > e)
        ok_items[ai[broken]] = False
        good = ~broken
        g, pg, ig, sg = ai[good], p[good], item[good], size[good]
        m = (ig == ITEM_MILEAGE) & (sg == 4)
        odo[g[m]] = _be32(v, pg[m] + 2) / 10.0
        m = (ig == ITEM_FUEL) & (sg == 2)
        fuel[g[m]] = _be16(v, pg[m] + 2) / 10.0
        m = (ig == ITEM_STATE) & (sg == 1)
        code = v[pg[m] + 2].astype(np.int64)
        state[g[m]] = np.where(code < len(STATE_CODES), code, -1)
        pos[g] = pg + 2 + sg
        active[ai] = False
        active[g] = pos[g] < stop[g]
    ok_items &= ~active
    from_status = np.where(status & STATUS_OUT_OF_SERVICE, 3, _LOAD_TO_CODE[status >> 8 & 3])
    state = np.where(state >= 0, state, from_status)

    loc_ok = ok_t & ok_items
    row_ok = ok.copy()
    row_ok[li] &= loc_ok
    # Frames the vectorised path cannot finish go to the per-frame decoder.
    fast[fi[~row_ok]] = False
    keep_rows = np.flatnonzero(row_ok)
    n = len(fi)
    cols: dict[str, Any] = {
        "ts_s": np.full(n, np.nan), "lon": np.full(n, np.nan), "lat": np.full(n, np.nan),
        "altitude_m": np.full(n, np.nan), "speed_kmh": np.full(n, np.nan),
        "heading_deg": np.full(n, np.nan), "odometer_km": odo, "fuel_l": fuel,
    }
    for name, arr in (("ts_s", ts), ("lon", lon), ("lat", lat), ("altitude_m", alt),
                      ("speed_kmh", speed), ("heading_deg", heading)):
        cols[name][li] = arr
    full_odo = np.full(n, np.nan)
    full_odo[li] = odo
    full_fuel = np.full(n, np.nan)
    full_fuel[li] = fuel
    full_state = np.full(n, -1, np.int64)
    full_state[li] = state
    full_status = np.full(n, -1, np.int64)
    full_status[li] = status
    full_alarm = np.full(n, -1, np.int64)
    full_alarm[li] = alarm
    r = keep_rows
    fast_cols = {
        "device": phone.take(pa.array(r)),
        "ts_s": cols["ts_s"][r],
        "seq": serial[r],
        "msg": np.where(loc[r], "location", "heartbeat"),
        "lon": cols["lon"][r], "lat": cols["lat"][r], "altitude_m": cols["altitude_m"][r],
        "speed_kmh": cols["speed_kmh"][r], "heading_deg": cols["heading_deg"][r],
        "status": full_status[r], "alarm": full_alarm[r],
        "odometer_km": full_odo[r], "fuel_l": full_fuel[r], "state_code": full_state[r],
        "frame": fi[r],
    }
    slow_rows: list[tuple[int, dict[str, Any]]] = []
    orig_s = seg_s
    for j in np.flatnonzero(nonempty & ~fast):
        a, z = int(orig_s[j]), int(seg_e[j])
        raw = buf[max(a - 1, 0):z + 1]
        if a == 0 and base_offset > 0:
            raw = b"\x7e" + raw  # its opening flag ended the previous buffer
        # A frame's position is its opening flag's, wherever the stream was cut.
        position = max(base_offset + a - 1, 0)
        try:
            frame = decode_frame(raw)
            if frame.encrypted:
                raise FrameError(f"encrypted body (method {frame.encrypted}) not supported")
            if frame.subpackaged:
                done = reassembler.add(frame, position, raw)
                if done is None:
                    continue
                rec = message_record(done.msg_id, done.phone, done.serial, done.body,
                                     done.version, None)
                rec["_raw"] = done.raw
            else:
                rec = message_record(frame.msg_id, frame.phone, frame.serial, frame.body,
                                     frame.version, None)
        except FrameError as exc:
            rejects.append(Reject(position, raw, exc.reason))
            continue
        rec["_frame"] = int(j)
        slow_rows.append((int(j), rec))
    batch = _assemble(slow_rows, fast_cols, rejects, buf, clocks or {}, max_clock_s, seg_s,
                      seg_e, base_offset)
    batch.end_offset = base_offset + end
    return batch, tail


def _assemble(
    slow: list[tuple[int, dict[str, Any]]],
    fast: dict[str, Any] | None,
    rejects: list[Reject],
    buf: bytes,
    clocks: dict[str, float],
    max_clock_s: float,
    seg_s: np.ndarray | None = None,
    seg_e: np.ndarray | None = None,
    base_offset: int = 0,
) -> ParsedBatch:
    """Merge vectorised and per-frame rows in stream order; stamp timeless messages."""
    n_fast = 0 if fast is None else len(fast["seq"])
    n = n_fast + len(slow)
    frame = np.empty(n, np.int64)
    cols: dict[str, list[Any] | np.ndarray] = {}
    if fast is not None:
        frame[:n_fast] = fast["frame"]
    for k, (j, _) in enumerate(slow):
        frame[n_fast + k] = j
    order = np.argsort(frame, kind="stable")
    for name, typ in COLUMNS.items():
        parts: list[pa.Array] = []
        if fast is not None:
            if name == "state":
                code = fast["state_code"]
                parts.append(_STATE_NAMES.take(pa.array(code, mask=code < 0)))
            elif name == "kind":
                parts.append(pa.array(np.full(n_fast, "vehicle")))
            elif name in fast:
                arr = fast[name]
                if isinstance(arr, np.ndarray) and arr.dtype.kind == "f":
                    parts.append(pa.array(arr, typ, mask=np.isnan(arr)))
                elif isinstance(arr, np.ndarray) and name in ("status", "alarm"):
                    parts.append(pa.array(arr, typ, mask=arr < 0))
                else:
                    parts.append(pa.array(arr).cast(typ) if not isinstance(arr, pa.Array)
                                 else arr.cast(typ))
            else:
                parts.append(pa.nulls(n_fast, typ))
        parts.append(pa.array([rec.get(name) for _, rec in slow], typ))
        cols[name] = pa.concat_arrays(parts).take(pa.array(order))
    table = pa.table(cols, schema=SCHEMA)
    # Heartbeats and registrations take their device's clock: the latest plausible location
    # time of that device before them.
    stamped, changed = _stamp(table, clocks, max_clock_s)
    table = table.set_column(1, "ts_s", pa.array(stamped, pa.float64(), mask=np.isnan(stamped)))
    sorted_frames = frame[order]
    if seg_s is not None and seg_e is not None:
        a = np.maximum(seg_s[sorted_frames] - 1, 0)
        span = np.stack([a, seg_e[sorted_frames] + 1], axis=1)
        position = np.maximum(base_offset + seg_s[sorted_frames] - 1, 0)
    else:
        span = np.zeros((0, 2), np.int64)
        position = np.zeros(0, np.int64)
    # Rows built from several sub-packages keep all their raw frames.
    extra_raw = {int(np.flatnonzero(sorted_frames == rec["_frame"])[0]): rec["_raw"]
                 for _, rec in slow if "_raw" in rec}
    batch = ParsedBatch(table, position.astype(np.int64), span.astype(np.int64), buf,
                        sorted(rejects, key=lambda r: r.position), extra_raw=extra_raw)
    batch.clocks = changed
    return batch


_GROUP = np.int64(1) << 33  # above any clock in seconds (2^33 s is the year 2242)


def _stamp(table: pa.Table, clocks: dict[str, float], max_clock_s: float
           ) -> tuple[np.ndarray, dict[str, float]]:
    """Times of the rows (timeless messages stamped per device) and the clocks that moved."""
    n = table.num_rows
    ts = np.asarray(table.column("ts_s").to_numpy(zero_copy_only=False), np.float64)
    if n == 0:
        return ts, {}
    is_loc = np.asarray(table.column("msg").to_numpy(zero_copy_only=False) == "location")
    enc = table.column("device").combine_chunks().dictionary_encode()
    code = np.asarray(enc.indices.to_numpy(zero_copy_only=False), np.int64)
    names = enc.dictionary.to_pylist()
    start = np.array([clocks.get(d, -np.inf) for d in names], np.float64)
    limit = min(max_clock_s, MAX_CLOCK_S)
    usable = is_loc & ~np.isnan(ts) & (ts >= 0) & (ts <= limit)
    run = np.where(usable, np.floor(np.nan_to_num(ts)), -1.0).astype(np.int64) + 1
    order = np.lexsort((np.arange(n), code))
    c = code[order]
    incl = np.maximum.accumulate(run[order] + c * _GROUP) - c * _GROUP - 1
    running = np.empty(n, np.float64)
    running[order] = np.where(incl >= 0, incl, -np.inf)
    clock = np.maximum(running, start[code])
    stamped = np.where(is_loc, ts, clock)
    stamped[np.isinf(stamped)] = np.nan
    last = np.r_[c[1:] != c[:-1], True]
    changed: dict[str, float] = {}
    for k, v in zip(c[last].tolist(), incl[last].tolist(), strict=True):
        if v >= 0 and v > start[k]:
            changed[names[k]] = float(v)
    return stamped, changed
