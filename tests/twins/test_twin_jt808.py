"""JT/T 808 codec against frames built by hand from the standard's byte layout."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from twins.jt808.fastdecode import decode_frames
from twins.jt808.frames import (
    FrameError,
    bcd_decode,
    bcd_encode,
    decode_frame,
    encode_frame,
    escape,
    split_message,
    unescape,
)
from twins.jt808.messages import (
    Registration,
    decode_location,
    decode_registration,
    encode_location,
    encode_registration,
)
from twins.jt808.reassembly import Reassembler

PHONE = "013912345678"
PHONE_BCD = bytes([0x01, 0x39, 0x12, 0x34, 0x56, 0x78])
# 2024-01-01 08:30:15 Beijing time = 2024-01-01 00:30:15 UTC
TIME_BCD = bytes([0x24, 0x01, 0x01, 0x08, 0x30, 0x15])
TIME_TS = 1704069015.0


def xor(data: bytes) -> int:
    c = 0
    for b in data:
        c ^= b
    return c


def frame_by_hand(msg_id: int, body: bytes, serial: int = 1, props_extra: int = 0,
                  sub: tuple[int, int] | None = None) -> bytes:
    props = len(body) | props_extra | (0x2000 if sub else 0)
    head = struct.pack(">HH", msg_id, props) + PHONE_BCD + struct.pack(">H", serial)
    if sub:
        head += struct.pack(">HH", *sub)
    payload = head + body
    payload += bytes([xor(payload)])
    out = bytearray([0x7E])
    for b in payload:
        if b == 0x7E:
            out += b"\x7d\x02"
        elif b == 0x7D:
            out += b"\x7d\x01"
        else:
            out.append(b)
    out.append(0x7E)
    return bytes(out)


def location_body_by_hand(lat_u: int = 39_908_692, lon_u: int = 116_397_477, alarm: int = 0,
                          status: int = 0x0003, items: bytes = b"") -> bytes:
    return (struct.pack(">IIIIHHH", alarm, status, lat_u, lon_u, 44, 625, 271) + TIME_BCD
            + items)


def test_escape_example_from_the_standard() -> None:
    raw = bytes([0x30, 0x7E, 0x08, 0x7D, 0x55])
    assert escape(raw) == bytes([0x30, 0x7D, 0x02, 0x08, 0x7D, 0x01, 0x55])
    assert unescape(escape(raw)) == raw


def test_bad_escape_is_an_error() -> None:
    with pytest.raises(FrameError, match="bad escape: 0x7d followed by 0x03"):
        unescape(bytes([0x30, 0x7D, 0x03]))


def test_bcd_phone() -> None:
    assert bcd_encode(PHONE, 6) == PHONE_BCD
    assert bcd_decode(PHONE_BCD) == PHONE
    with pytest.raises(FrameError, match="invalid BCD byte 0x1a"):
        bcd_decode(bytes([0x1A]))


def test_heartbeat_by_hand() -> None:
    raw = bytes.fromhex("7e" "0002" "0000" "013912345678" "0007")
    payload = raw[1:]
    frame_bytes = raw + bytes([xor(payload)]) + b"\x7e"
    f = decode_frame(frame_bytes)
    assert (f.msg_id, f.phone, f.serial, f.body) == (0x0002, PHONE, 7, b"")


def test_location_by_hand_with_items() -> None:
    items = bytes([0x01, 4]) + struct.pack(">I", 123456) + bytes([0x02, 2]) \
        + struct.pack(">H", 455) + bytes([0x30, 1, 0x1F])
    body = location_body_by_hand(alarm=(1 << 1) | (1 << 29), status=0x0003 | (3 << 8),
                                 items=items)
    f = decode_frame(frame_by_hand(0x0200, body, serial=42))
    loc = decode_location(f.body)
    assert loc.lat == pytest.approx(39.908692)
    assert loc.lon == pytest.approx(116.397477)
    assert loc.altitude_m == 44 and loc.speed_kmh == pytest.approx(62.5)
    assert loc.heading_deg == 271
    assert loc.ts_s == TIME_TS
    assert loc.odometer_km == pytest.approx(12345.6)
    assert loc.fuel_l == pytest.approx(45.5)
    assert loc.alarms == ["overspeed", "collision"]
    assert "acc_on" in loc.flags and "positioned" in loc.flags
    assert loc.state == "busy"  # load bits 11: full
    assert loc.extra == {0x30: bytes([0x1F])}


def test_south_and_west_bits() -> None:
    body = location_body_by_hand(status=0x0003 | 0x4 | 0x8)
    loc = decode_location(decode_frame(frame_by_hand(0x0200, body)).body)
    assert loc.lat < 0 and loc.lon < 0


def test_escaped_bytes_inside_a_frame() -> None:
    # latitude 0x02 6x 7e 7d contains both special bytes
    lat_u = 0x0260_7E7D
    body = location_body_by_hand(lat_u=lat_u)
    raw = frame_by_hand(0x0200, body)
    assert b"\x7d\x02" in raw and b"\x7d\x01" in raw
    assert decode_location(decode_frame(raw).body).lat == pytest.approx(lat_u / 1e6)
    batch, tail = decode_frames(raw, 0, Reassembler())
    assert tail == b"" and batch.table.num_rows == 1
    assert batch.table.column("lat")[0].as_py() == pytest.approx(lat_u / 1e6)


def test_checksum_error() -> None:
    raw = bytearray(frame_by_hand(0x0200, location_body_by_hand()))
    raw[5] ^= 0x01
    with pytest.raises(FrameError, match="checksum error"):
        decode_frame(bytes(raw))


def test_truncated_and_unknown() -> None:
    raw = frame_by_hand(0x0200, location_body_by_hand())
    cut = raw[:20] + b"\x7e"
    with pytest.raises(FrameError, match="truncated frame"):
        decode_frame(cut)
    with pytest.raises(FrameError, match="truncated frame"):
        decode_frame(b"\x7e\x02\x00\x7e")
    stream = cut + frame_by_hand(0x0801, b"\x01\x02") + raw
    batch, _ = decode_frames(stream, 0, Reassembler())
    assert batch.table.num_rows == 1
    reasons = [r.reason for r in batch.rejects]
    assert any("truncated" in r for r in reasons)
    assert "unsupported message id 0x0801" in reasons


def test_short_location_body() -> None:
    with pytest.raises(FrameError, match="location body too short"):
        decode_location(b"\x00" * 10)


def test_subpackages_in_any_order() -> None:
    items = bytes([0xF3, 200]) + bytes(200) + bytes([0xF4, 100]) + bytes(100)
    body = location_body_by_hand(items=items)
    parts = [body[:120], body[120:240], body[240:]]
    frames = [frame_by_hand(0x0200, p, serial=10 + k, sub=(3, k + 1))
              for k, p in enumerate(parts)]
    for order in ([0, 1, 2], [2, 0, 1]):
        r = Reassembler()
        stream = b"".join(frames[k] for k in order)
        batch, _ = decode_frames(stream, 0, r)
        assert batch.table.num_rows == 1 and not batch.rejects and len(r) == 0
        assert batch.table.column("seq")[0].as_py() == 10
        assert batch.table.column("lat")[0].as_py() == pytest.approx(39.908692)
        assert batch.raw(0) == stream or len(batch.raw(0)) == len(stream)


def test_incomplete_subpackage_is_drained_with_reason() -> None:
    body = location_body_by_hand()
    r = Reassembler()
    batch, _ = decode_frames(frame_by_hand(0x0200, body[:20], serial=5, sub=(2, 1)), 0, r)
    assert batch.read == 0 and len(r) == 1
    (pos, raw, reason), = r.drain()
    assert "incomplete sub-packaged message 0x0200" in reason and "[1] of 2" in reason


def test_registration_round_trip() -> None:
    reg = Registration(11, 100, "ACME1", "GT-900", "T000001", 1, "京A12345")
    assert decode_registration(encode_registration(reg)) == reg
    f = decode_frame(encode_frame(0x0100, PHONE, 3, encode_registration(reg)))
    assert f.msg_id == 0x0100


def test_2019_header_round_trip() -> None:
    body = encode_location(TIME_TS, 30.5, 104.1)
    f = decode_frame(encode_frame(0x0200, "01391234567800", 9, body, version=1))
    assert f.version == 1 and f.phone == "00000001391234567800"[-20:].rjust(20, "0")
    assert decode_location(f.body).ts_s == TIME_TS


def test_encoder_round_trip_many() -> None:
    rng = np.random.default_rng(5)
    for k in range(200):
        lat, lon = rng.uniform(-60, 60), rng.uniform(-170, 170)
        ts = TIME_TS + int(rng.integers(0, 10**7))
        state = ["idle", "to_pickup", "busy", "off_shift", "maintenance", None][k % 6]
        body = encode_location(ts, lat, lon, speed_kmh=float(rng.uniform(0, 120)),
                               heading_deg=float(rng.integers(0, 360)), odometer_km=123.4,
                               fuel_l=10.5, state=state, alarm=int(rng.integers(0, 2**32)))
        f = decode_frame(encode_frame(0x0200, PHONE, k, body))
        loc = decode_location(f.body)
        assert loc.ts_s == ts and loc.lat == pytest.approx(lat, abs=1e-6)
        assert loc.lon == pytest.approx(lon, abs=1e-6)
        assert loc.odometer_km == pytest.approx(123.4) and loc.fuel_l == pytest.approx(10.5)
        if state is not None:
            assert loc.state == state


def test_split_message_round_trip() -> None:
    body = encode_location(TIME_TS, 30.0, 104.0, extra={0xF0: bytes(250), 0xF1: bytes(250)})
    frames = split_message(0x0200, PHONE, 65534, body, max_part=100)
    assert len(frames) == 6
    batch, _ = decode_frames(b"".join(reversed(frames)), 0, Reassembler())
    assert batch.table.num_rows == 1


def test_fast_path_matches_per_frame_decoder_at_any_cut() -> None:
    rng = np.random.default_rng(11)
    frames = []
    for k in range(300):
        kind = k % 10
        if kind == 0:
            frames.append(encode_frame(0x0002, PHONE, k))
        elif kind == 1:
            bad = bytearray(encode_frame(0x0200, PHONE, k, encode_location(TIME_TS + k, 30, 104)))
            bad[-2] ^= 0x5A
            frames.append(bytes(bad))
        else:
            frames.append(encode_frame(0x0200, f"0139{k:08d}", k, encode_location(
                TIME_TS + k, 30 + rng.random(), 104 + rng.random(), float(rng.uniform(0, 90)),
                odometer_km=float(k), fuel_l=1.5, state="to_pickup")))
    stream = b"".join(frames)
    whole, _ = decode_frames(stream, 0, Reassembler(), final=True)
    assert whole.table.num_rows == 270 and len(whole.rejects) == 30
    for cut in (1, 77, 1000, len(stream) // 2, len(stream) - 3):
        r = Reassembler()
        a, tail = decode_frames(stream[:cut], 0, r)
        b, tail2 = decode_frames(tail + stream[cut:], a.end_offset, r, a.clocks, final=True)
        assert tail2 == b""
        assert a.table.num_rows + b.table.num_rows == 270
        joined = a.table.to_pylist() + b.table.to_pylist()
        assert joined == whole.table.to_pylist()
    # the per-frame decoder agrees with the vectorised one on every good location frame
    rows = [r for r in whole.table.to_pylist() if r["msg"] == "location"]
    for row, raw in zip(rows, [f for i, f in enumerate(frames) if i % 10 >= 2], strict=True):
        loc = decode_location(decode_frame(raw).body)
        assert row["lat"] == pytest.approx(loc.lat) and row["ts_s"] == loc.ts_s
        assert row["speed_kmh"] == pytest.approx(loc.speed_kmh)
        assert row["state"] == loc.state and row["odometer_km"] == loc.odometer_km


def test_heartbeat_takes_the_stream_clock() -> None:
    stream = (encode_frame(0x0002, PHONE, 1)
              + encode_frame(0x0200, PHONE, 2, encode_location(TIME_TS, 30, 104))
              + encode_frame(0x0002, PHONE, 3))
    batch, _ = decode_frames(stream, 0, Reassembler())
    ts = batch.table.column("ts_s").to_pylist()
    assert ts == [None, TIME_TS, TIME_TS]


def test_garbage_never_crashes() -> None:
    rng = np.random.default_rng(3)
    good = encode_frame(0x0200, PHONE, 1, encode_location(TIME_TS, 30, 104))
    for _ in range(200):
        junk = rng.integers(0, 256, int(rng.integers(1, 80)), dtype=np.uint8).tobytes()
        batch, tail = decode_frames(junk + good + junk, 0, Reassembler(), final=True)
        assert batch.read >= 1


def test_encrypted_frames_are_quarantined() -> None:
    raw = encode_frame(0x0200, PHONE, 1, encode_location(TIME_TS, 30, 104), encrypted=1)
    batch, _ = decode_frames(raw, 0, Reassembler())
    assert batch.table.num_rows == 0
    assert batch.rejects[0].reason == "encrypted body (method 1) not supported"
