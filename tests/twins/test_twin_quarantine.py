"""Bad input is quarantined with its reason; accepted + quarantined = read, always."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from twins.ingest import Twin
from twins.jt808.frames import encode_frame
from twins.jt808.messages import encode_location

V1, V2 = "013800000001", "013800000002"
T0 = 1704067200.0  # 2024-01-01T00:00:00Z


def good(i: int, dev: str = V1, **kw: object) -> dict[str, object]:
    rec: dict[str, object] = {"device": dev, "ts_s": T0 + 30 * i, "seq": i, "lon": 116.40,
                              "lat": 39.90, "speed_kmh": 30.0, "heading_deg": 90,
                              "odometer_km": 100 + i, "fuel_l": 40.0, "state": "busy"}
    rec.update(kw)
    return rec


def j(rec: object) -> bytes:
    return json.dumps(rec).encode()


def rec_without(key: str) -> bytes:
    r = good(900)
    del r[key]
    return j(r)


#: (raw line, pattern its quarantine reason must match): 44 kinds of bad records.
BAD: list[tuple[bytes, str]] = [
    (b'{"device": "013800000001", "ts_s": ', r"malformed JSON"),
    (b"not json at all", r"malformed JSON"),
    (b"[1, 2, 3]", r"not a JSON object \(got list\)"),
    (b'"just a string"', r"not a JSON object \(got str\)"),
    (b"42", r"not a JSON object \(got int\)"),
    (j(good(901, ts_s="yesterday")), r"ts_s: .*number"),
    (j(good(902, speed_kmh="fast")), r"speed_kmh: .*number"),
    (j(good(903, lon=True)), r"lon|boolean"),
    (b'{"device": "013800000001", "ts_s": 1704067200, "ts_s": 1704067230}', r"twice"),
    (b'{"device": "013800000001", "ts_s": 1e999, "lon": 116.4, "lat": 39.9}',
     r"ts_s: .*finite"),
    (b'{"device": "013800000001", "ts_s": NaN, "lon": 116.4, "lat": 39.9}',
     r"ts_s(: .*finite| is not a number)"),
    (j(good(904, colour="red")), r"unknown field 'colour'"),
    (rec_without("device"), r"missing field device"),
    (rec_without("ts_s"), r"missing field ts_s"),
    (j(good(905, dev="")), r"empty device id"),
    (j(good(906, dev="999")), r"unknown device '999'"),
    (j(good(907, kind="tractor")), r"unknown kind 'tractor'"),
    (j(good(908, kind="stb")), r"kind mismatch: record says stb"),
    (j(good(909, msg="dance")), r"unknown message type 'dance'"),
    (j(good(910, speed_kmh=900)), r"impossible speed_kmh 900"),
    (j(good(911, speed_kmh=-5)), r"speed_kmh -5 out of range"),
    (j(good(912, lat=95.0)), r"lat 95 out of range"),
    (j(good(913, lon=200.0)), r"lon 200 out of range"),
    (j(good(914, lon=121.47, lat=31.23)), r"outside the configured region"),
    (j(good(915, heading_deg=400)), r"heading_deg 400 out of range"),
    (j(good(916, ts_s=time.time() + 86400)), r"s in the future"),
    (j(good(917, ts_s=5.0)), r"before 2000-01-01"),
    (j(good(918, odometer_km=-1)), r"odometer_km -1 out of range"),
    (j(good(919, fuel_l=5000)), r"fuel_l 5000 out of range"),
    (j({"device": V1, "ts_s": T0 + 919 * 30, "seq": 919, "msg": "location", "speed_kmh": 3}),
     r"location report without lon/lat"),
    (j({"device": V1, "ts_s": T0 + 920 * 30, "seq": 920, "lon": 116.4}),
     r"lon/lat|both lon and lat"),
    (j(good(921, seq=-1)), r"seq -1 out of range"),
    (j(good(922, online=True)), r"field 'online' does not apply to a vehicle"),
    (j({"device": "stb-1", "ts_s": T0 + 100, "firmware": "1.2"}),
     r"STB status report without the online flag"),
    (j({"device": "cam-1", "ts_s": T0 + 100, "streaming": True, "bitrate_kbps": -3}),
     r"bitrate_kbps -3 out of range"),
    (j({"device": "cam-1", "ts_s": T0 + 101, "firmware": "2.0"}),
     r"camera status report without registered or streaming"),
    (j(good(923, seq=1.5)), r"seq: .*integer"),
    (b'{"device": "013800000001", "ts_s": 1704067200, "lon": 116.4, "lat": "\xff\xfe"}',
     r"not valid UTF-8"),
    (j(good(924)) + b" " + j(good(925)), r"malformed JSON|more than one"),
    (j(good(926, status=-1)), r"status -1 out of range"),
    (j(good(927, state="flying")), r"unknown vehicle state 'flying'"),
    (j(good(928, lon={"x": 1})), r"lon: .*number"),
    (j(good(929, dev=13800000001)), r"device: .*string"),
    (j({"device": "stb-1", "ts_s": T0 + 102, "online": True, "channel": -4}),
     r"channel -4 out of range"),
]


def test_corpus_has_enough_kinds() -> None:
    assert len(BAD) >= 30


def corpus(tmp_path: Path) -> tuple[Path, dict[int, str], int]:
    """A JSONL file of good lines with every bad line mixed in, plus a late and a duplicate."""
    lines: list[bytes] = []
    expect: dict[int, str] = {}
    n_good = 0
    for k, (raw, pattern) in enumerate(BAD):
        lines.append(j(good(k, dev=V2 if k % 2 else V1)))
        n_good += 1
        lines.append(raw)
        expect[len(lines)] = pattern
        lines.append(b"")  # blank lines are not records
    lines.append(j(good(500)))
    n_good += 1
    lines.append(j(good(500 - 100, seq=7777)))  # 3000 s older than the device's latest
    expect[len(lines)] = r"^late: 3000 s older"
    lines.append(j(good(500)))
    expect[len(lines)] = r"^duplicate of an accepted record"
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, expect, n_good


def test_every_bad_record_is_quarantined_with_its_reason(basic_twin: Path,
                                                         tmp_path: Path) -> None:
    path, expect, n_good = corpus(tmp_path)
    with Twin(basic_twin) as twin:
        rep = twin.ingest([path])
        counts = twin.counters()
        rows = twin.store.query("SELECT position, reason FROM quarantine ORDER BY position")
    assert rep.read == n_good + len(expect)
    assert rep.accepted == n_good and rep.quarantined == len(expect)
    assert counts == {"read": rep.read, "accepted": n_good, "quarantined": len(expect)}
    got = dict(zip(rows.column("position").to_pylist(), rows.column("reason").to_pylist(),
                   strict=True))
    assert sorted(got) == sorted(expect)
    for line, pattern in expect.items():
        assert re.search(pattern, got[line]), (line, pattern, got[line])


@pytest.mark.parametrize("chunk", [64, 4096])
def test_invariant_holds_at_any_batch_size(basic_twin: Path, tmp_path: Path,
                                           chunk: int) -> None:
    path, expect, n_good = corpus(tmp_path)
    with Twin(basic_twin) as twin:
        rep = twin.ingest([path], chunk_bytes=chunk)
        assert twin.counters()["read"] == rep.read == n_good + len(expect)
        assert rep.accepted == n_good


def test_csv_bad_rows(basic_twin: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "device,ts_s,seq,lon,lat,speed_kmh\n"
        f"{V1},{T0},1,116.4,39.9,20\n"
        f"{V1},{T0 + 30},2,116.4,39.9\n"          # too few columns
        f"{V1},{T0 + 60},3,116.4,39.9,fast\n"     # not a number
        f"{V1},{T0 + 90},4,116.4,39.9,20,extra\n"  # too many columns
        f"{V1},{T0 + 120},5,116.4,39.9,900\n"     # impossible
        f"{V2},{T0 + 150},6,116.4,39.9,20\n", encoding="utf-8")
    with Twin(basic_twin) as twin:
        rep = twin.ingest([path])
        rows = twin.store.query("SELECT position, reason FROM quarantine ORDER BY position")
    assert (rep.read, rep.accepted, rep.quarantined) == (6, 2, 4)
    reasons = rows.column("reason").to_pylist()
    assert rows.column("position").to_pylist() == [3, 4, 5, 6]
    assert "expected 6 columns, got 5" in reasons[0]
    assert re.search(r"speed_kmh must be double \(got 'fast'\)", reasons[1])
    assert "expected 6 columns, got 7" in reasons[2]
    assert "impossible speed_kmh 900" in reasons[3]


def test_jt808_bad_frames(basic_twin: Path, tmp_path: Path) -> None:
    ok = encode_frame(0x0200, V1, 1, encode_location(T0, 39.9, 116.4, 30, state="idle"))
    bad_sum = bytearray(encode_frame(0x0200, V1, 2, encode_location(T0 + 30, 39.9, 116.4)))
    bad_sum[-2] ^= 0x11
    bad_time = encode_frame(0x0200, V1, 3, encode_location(T0, 39.9, 116.4)[:22]
                            + bytes([0x24, 0x13, 0x40, 0x25, 0x61, 0x61]))
    unknown = encode_frame(0x0801, V1, 4, b"\x00\x01")
    bad_esc = b"\x7e\x02\x00\x7d\x05\x00\x7e"
    part = encode_frame(0x0200, V1, 6, encode_location(T0 + 60, 39.9, 116.4)[:10],
                        total=2, index=1)
    unknown_dev = encode_frame(0x0200, "013899999999", 7, encode_location(T0, 39.9, 116.4))
    far = encode_frame(0x0200, V2, 8, encode_location(T0, 10.0, 10.0))
    trunc = ok[:25]
    stream = ok + bytes(bad_sum) + bad_time + unknown + bad_esc + part + unknown_dev + far \
        + trunc
    path = tmp_path / "t.808"
    path.write_bytes(stream)
    with Twin(basic_twin) as twin:
        rep = twin.ingest([path])
        reasons = twin.store.query("SELECT reason FROM quarantine ORDER BY position") \
            .column("reason").to_pylist()
    assert rep.accepted == 1 and rep.read == rep.accepted + rep.quarantined == 9
    text = " | ".join(reasons)
    for pattern in ("checksum error", "invalid BCD time", "unsupported message id 0x0801",
                    "bad escape", "incomplete sub-packaged message", "unknown device",
                    "outside the configured region", "stream ended without closing 0x7e"):
        assert pattern in text, pattern


def test_a_record_that_cannot_be_checked_is_isolated(basic_twin: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Should the checks fail on one record (a bug), that record alone is quarantined."""
    import twins.ingest as ingest_mod

    real = ingest_mod.check

    def fragile(table, twin, now_s):  # type: ignore[no-untyped-def]
        if 117 in table.column("seq").to_pylist():
            raise ValueError("cannot handle seq 117")
        return real(table, twin, now_s)

    monkeypatch.setattr(ingest_mod, "check", fragile)
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\n".join(j(good(i, dev=V1 if i % 2 else V2)) for i in range(100, 140))
                     + b"\n")
    with Twin(basic_twin) as twin:
        rep = twin.ingest([path])
        rows = twin.store.query("SELECT position, reason FROM quarantine").to_pylist()
        counts = twin.counters()
    assert (rep.read, rep.accepted, rep.quarantined) == (40, 39, 1)
    assert counts == {"read": 40, "accepted": 39, "quarantined": 1}
    assert rows == [{"position": 18, "reason": "record could not be checked: ValueError: "
                                               "cannot handle seq 117"}]


@pytest.mark.parametrize("reason,cat", [
    ("seq: must be an integer (got 100.0)", "seq: must be an integer"),
    ("malformed JSON: Expecting value at column 1", "malformed JSON"),
    ("not valid UTF-8 at byte 5", "not valid UTF-8 at byte"),
    ("ts_s: an integer beyond 2^53 cannot be held exactly",
     "ts_s: an integer beyond 2^53 cannot be held exactly"),
    ("lat 95 out of range [-90, 90]", "lat out of range"),
    ("unknown device '999'", "unknown device"),
])
def test_quarantine_category(reason: str, cat: str) -> None:
    from twins.store import category

    assert category(reason) == cat
