"""Bad-input corpus of the twin: telemetry in every format and ``fleettwin twin`` options.

Telemetry cases go through ``fleettwin twin ingest``: the command ends with exit code 0 and no
traceback, each bad item is quarantined with a reason naming the field and the bad value where
there is one, every good item around it is accepted, and accepted + quarantined = read.
Option and configuration cases end with exit code 2, a one-line ``fleettwin: error`` naming
the option (or file) and the bad value, and no traceback. Every case runs under a wall-clock
limit; the inputs that used to crash the process inside a native parser also run in a
subprocess of their own.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from tests.twins.conftest import make_twin
from twins.ingest import Twin
from twins.jt808.frames import encode_frame, split_message
from twins.jt808.messages import encode_location

V1, V2 = "013800000001", "013800000002"
T0 = 1704067200.0  # 2024-01-01T00:00:00Z
LIMIT_S = 30.0
DEVICES: list[tuple[str, str, str | None, int | None]] = [(V1, "vehicle", "jt808_basic", 1), (V2, "vehicle", "jt808_basic", 2),
           ("stb-1", "stb", "tianyi_hd_stb", None)]


class Timeout(Exception):
    pass


@contextlib.contextmanager
def wall_clock(limit_s: float = LIMIT_S) -> Iterator[None]:
    """Fail a case that runs longer than ``limit_s`` (SIGALRM interrupts Python code)."""

    def alarm(signum: int, frame: object) -> None:
        raise Timeout(f"over {limit_s:g} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, limit_s)
    t0 = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert time.monotonic() - t0 < limit_s


def run_cli(*argv: str | Path) -> tuple[int, str, str]:
    """``fleettwin ARGV`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with wall_clock(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse
            rc = int(exc.code or 0)
    return rc, out.getvalue(), err.getvalue()


def rec(i: int, dev: str = V1, **kw: object) -> dict[str, object]:
    r: dict[str, object] = {"device": dev, "ts_s": T0 + 30 * i, "seq": i, "lon": 116.4,
                            "lat": 39.9, "speed_kmh": 30.0, "state": "busy"}
    r.update(kw)
    return r


def jl(r: object) -> bytes:
    return json.dumps(r).encode()


# -- telemetry ----------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    suffix: str
    build: Callable[[], bytes]
    bad: int
    """Items quarantined."""
    good: int
    """Items accepted."""
    reason: str
    """Pattern every quarantine reason of the case matches."""


def jsonl_case(name: str, bad_line: bytes, reason: str) -> Case:
    """A bad JSON line between two good ones."""
    return Case(name, ".jsonl", lambda: b"\n".join([jl(rec(1)), bad_line, jl(rec(2))]) + b"\n",
                1, 2, reason)


DEEP = 200_000
JSONL_CASES = [
    jsonl_case("null record", b"null", r"not a JSON object \(got NoneType\)"),
    jsonl_case("deep array record", b"[" * DEEP + b"]" * DEEP, r"nested too deeply"),
    jsonl_case("deep value", b'{"device": "013800000001", "ts_s": 1704067200, "x": '
               + b"[" * DEEP + b"]" * DEEP + b"}", r"nested too deeply"),
    jsonl_case("deep object value", b'{"device": "013800000001", "lon": ' + b'{"a":' * 5000
               + b"1" + b"}" * 5000 + b"}", r"nested too deeply|lon: "),
    jsonl_case("invalid UTF-8 in a key", b'{"dev\xffice": "013800000001", "ts_s": 1704067200}',
               r"not valid UTF-8 at byte 5"),
    jsonl_case("invalid UTF-8 in a value", b'{"device": "0138\xc3\x28", "ts_s": 1704067200}',
               r"not valid UTF-8 at byte 16"),
    jsonl_case("overlong UTF-8", b'{"device": "\xc0\xaf", "ts_s": 1704067200}',
               r"not valid UTF-8"),
    jsonl_case("lone surrogate escape", jl(rec(3, driver="\ud800")).replace(b"\\\\", b"\\"),
               r"not valid UTF-8.*surrogate.*driver"),
    jsonl_case("integer beyond 2^53", b'{"device": "013800000001", "ts_s": 9007199254740993}',
               r"ts_s: an integer beyond 2\^53"),
    jsonl_case("integer beyond int64", jl(rec(3)).replace(b'"seq": 3', b'"seq": 99999999999'
                                                          b'999999999999'),
               r"seq: .*less than or equal to 1099511627776.*99999999999999999999999"),
    jsonl_case("integer of 5000 digits", jl(rec(3)).replace(b'"seq": 3', b'"seq": '
                                                             + b"7" * 5000),
               r"malformed JSON: .*(digits|integer)"),
    jsonl_case("NaN", jl(rec(3)).replace(b"116.4", b"NaN"), r"lon: .*finite"),
    jsonl_case("Infinity", jl(rec(3)).replace(b"30.0", b"-Infinity"), r"speed_kmh: .*finite"),
    jsonl_case("float overflow", jl(rec(3)).replace(b"39.9", b"1e999"), r"lat: .*finite"),
    jsonl_case("duplicate key", jl(rec(3))[:-1] + b', "lon": 116.5}',
               r"field 'lon' given twice"),
    jsonl_case("duplicate by escaped key", jl(rec(3))[:-1] + b', "l\\u006fn": 116.5}',
               r"field 'lon' given twice"),
    jsonl_case("object for a number", jl(rec(3, lon={"x": 1})), r"lon: .*number.*\{'x': 1\}"),
    jsonl_case("array for the device", jl(rec(3, dev=[1, 2])),  # type: ignore[arg-type]
               r"device: .*string.*\[1, 2\]"),
    jsonl_case("boolean for a number", jl(rec(3, speed_kmh=True)), r"speed_kmh"),
    jsonl_case("string for the time", jl(rec(3, ts_s="noon")), r"ts_s: .*number.*'noon'"),
    jsonl_case("float for an integer", jl(rec(3, seq=2.5)), r"seq: .*integer.*2\.5"),
    jsonl_case("exponent for an integer", jl(rec(3)).replace(b'"seq": 3', b'"seq": 1e2'),
               r"seq: must be an integer \(got 100\.0\)"),
    jsonl_case("boolean for an integer", jl(rec(3, seq=True)),
               r"seq: must be an integer \(got True\)"),
    jsonl_case("two records on a line", jl(rec(3)) + b" " + jl(rec(4)),
               r"malformed JSON: Extra data"),
    jsonl_case("trailing garbage", jl(rec(3)) + b" ,", r"malformed JSON"),
    jsonl_case("unknown field", jl(rec(3, colour="red")), r"unknown field 'colour'"),
    jsonl_case("unknown escaped field", jl(rec(3))[:-1] + b', "c\\u006flour": 1}',
               r"unknown field 'colour'"),
    jsonl_case("empty object", b"{}", r"missing field device"),
    jsonl_case("control character in a string", jl(rec(3)).replace(b"busy", b"bu\x01sy"),
               r"malformed JSON: Invalid control character"),
    jsonl_case("NUL bytes", b"\x00" * 64, r"malformed JSON"),
    jsonl_case("device id of 10,000 characters", jl(rec(3, dev="9" * 10_000)),
               r"device longer than 40 characters \(got '9999"),
    jsonl_case("driver of a megabyte", jl(rec(3, driver="d" * 1_000_000)),
               r"driver longer than 40 characters"),
    jsonl_case("byte order mark", b"\xef\xbb\xbf" + jl(rec(3)), r"malformed JSON"),
    jsonl_case("time after 2100", jl(rec(3, ts_s=4102444800 + 10)),
               r"timestamp 4102444810 (after 2100|is \d+ s in the future)"),
    jsonl_case("far future", jl(rec(3, ts_s=4070908800)), r"timestamp 4070908800 is \d+ s in "
               r"the future"),
    jsonl_case("heading out of range", jl(rec(3, heading_deg=1e300)),
               r"heading_deg 1e\+300 out of range"),
    # found by the field-by-field fuzz: these values were quoted whole in the reason (and
    # so in the ingest's reason table)
    jsonl_case("message type of 5,000 characters", jl(rec(3, msg="m" * 5000)),
               r"^unknown message type 'm{40}'\.\.\. \(5,000 chars\) for a vehicle"),
    jsonl_case("vehicle state of 5,000 characters", jl(rec(3, state="s" * 5000)),
               r"^unknown vehicle state 's{40}'\.\.\. \(5,000 chars\) \(known: "),
    jsonl_case("record kind of 5,000 characters", jl(rec(3, kind="k" * 5000)),
               r"^unknown kind 'k{40}'\.\.\. \(5,000 chars\) \(known: "),
]


def csv_case(name: str, header: bytes, rows: list[bytes], bad: int, good: int,
             reason: str) -> Case:
    return Case(name, ".csv", lambda: header + b"\n" + b"\n".join(rows) + b"\n", bad, good,
                reason)


H = b"device,ts_s,seq,lon,lat,speed_kmh"
G1, G2 = f"{V1},{T0 + 30:.0f},1,116.4,39.9,20".encode(), f"{V2},{T0 + 60:.0f},2,116.4,39.9,20" \
    .encode()
CSV_CASES = [
    csv_case("header not UTF-8", b"dev\xffice,ts_s", [G1, G2], 2, 0,
             r"bad CSV header: not valid UTF-8 at byte 3"),
    csv_case("header column twice", b"device,ts_s,ts_s", [G1, G2], 2, 0,
             r"bad CSV header: column 'ts_s' appears twice"),
    csv_case("header without device", b"id,ts_s,seq,lon,lat,speed_kmh", [G1, G2], 2, 0,
             r"bad CSV header: no 'device' column"),
    csv_case("header empty", b"", [G1, G2], 2, 0, r"bad CSV header: the first line is empty"),
    csv_case("header with a byte order mark", b"\xef\xbb\xbf" + H, [G1, G2, b"x"], 1, 2,
             r"expected 6 columns, got 1"),
    csv_case("header column without name", b"device,,ts_s", [G1], 1, 0,
             r"bad CSV header: column 2 has no name"),
    csv_case("row not UTF-8", H, [G1, G2.replace(b"116.4", b"11\xfe6.4"), G2.replace(b",2,",
                                                                                 b",3,")],
             1, 2, r"not valid UTF-8 at byte"),
    csv_case("row with unbalanced quote", H, [G1, b'"' + G2, G2.replace(b",2,", b",3,")], 1, 2,
             r"unbalanced quotes"),
    csv_case("row too short", H, [G1, G2[:20], G2], 1, 2, r"expected 6 columns, got 2"),
    csv_case("row not a number", H, [G1, G2.replace(b",20", b",fast")], 1, 1,
             r"speed_kmh must be double \(got 'fast'\)"),
    csv_case("NaN in a number column", H, [G1, G2.replace(b"116.4", b"nan")], 1, 1,
             r"location report without lon/lat"),  # Arrow reads nan as a missing value
    csv_case("integer beyond int64", H, [G1, G2.replace(b",2,", b",99999999999999999999,")],
             1, 1, r"seq must be int64 \(got '99999999999999999999'\)"),
    csv_case("integer beyond 2^53 in a number column", H, [G1, G2.replace(
        f"{T0 + 60:.0f}".encode(), b"9007199254740993")], 1, 1,
        r"ts_s: an integer beyond 2\^53 cannot be held exactly \(got '9007199254740993'\)"),
    csv_case("unknown column", H + b",colour", [G1 + b",", G2 + b",red"], 1, 1,
             r"unknown field 'colour'"),
    csv_case("boolean that is not", b"device,ts_s,online", [f"stb-1,{T0:.0f},maybe".encode(),
                                                            f"stb-1,{T0:.0f},true".encode()],
             1, 1, r"online must be bool \(got 'maybe'\)"),
]


def parquet_bytes(table: pa.Table, **kw: object) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **kw)  # type: ignore[arg-type]
    return sink.getvalue()


def good_table(n: int, start: int = 0) -> pa.Table:
    return pa.Table.from_pylist([rec(start + i, dev=V1 if i % 2 else V2) for i in range(n)])


def corrupt_second_group() -> bytes:
    """Two row groups of 50 rows; the second's data pages overwritten with noise."""
    data = bytearray(parquet_bytes(good_table(100), row_group_size=50, compression="snappy"))
    meta = pq.ParquetFile(io.BytesIO(bytes(data))).metadata.row_group(1)
    cols = [meta.column(c) for c in range(meta.num_columns)]
    first = [c.dictionary_page_offset or c.data_page_offset for c in cols]
    a = min(first)
    b = max(f + c.total_compressed_size for f, c in zip(first, cols, strict=True))
    data[a:b] = bytes((7 * k + 3) % 251 for k in range(b - a))
    return bytes(data)


def bad_utf8_parquet() -> bytes:
    rows = good_table(3)
    dev = pa.array([V1.encode(), b"0138\xff", V2.encode()], pa.binary()).view(pa.string())
    return parquet_bytes(rows.set_column(0, "device", dev))


def bad_utf8_dictionary_parquet() -> bytes:
    dev = pa.array([V1.encode(), b"0138\xff"], pa.binary()).view(pa.string())
    idx = pa.array([0, 1, 0, 0], pa.int32())
    return parquet_bytes(good_table(4).set_column(0, "device",
                                                  pa.DictionaryArray.from_arrays(idx, dev)))


PARQUET_CASES = [
    Case("corrupt row group", ".parquet", corrupt_second_group, 50, 50,
         r"unreadable Parquet row group 1"),
    Case("string column with invalid UTF-8", ".parquet", bad_utf8_parquet, 1, 2,
         r"device: not valid UTF-8 at byte 4"),
    Case("dictionary column with invalid UTF-8", ".parquet", bad_utf8_dictionary_parquet, 1, 3,
         r"device: not valid UTF-8 at byte 4"),
    Case("time as text", ".parquet", lambda: parquet_bytes(good_table(4).set_column(
        1, "ts_s", pa.array(["noon"] * 4))), 4, 0, r"ts_s: cannot be read as double \(got 'noon'\)"),
    Case("one fractional sequence number", ".parquet", lambda: parquet_bytes(good_table(4)
         .set_column(2, "seq", pa.array([1.0, 2.5, 3.0, 4.0]))), 1, 3,
         r"seq: cannot be read as int64 \(got 2\.5\)"),
    Case("unknown column", ".parquet", lambda: parquet_bytes(good_table(3).append_column(
        "colour", pa.array(["red", None, ""]))), 1, 2, r"unknown field 'colour' \(a column of"),
    Case("nested column", ".parquet", lambda: parquet_bytes(good_table(2).set_column(
        3, "lon", pa.array([{"x": 1.0}, {"x": 2.0}]))), 2, 0,
         r"lon: a struct<x: double> column cannot be read as double"),
    Case("NaN position", ".parquet", lambda: parquet_bytes(good_table(3).set_column(
        3, "lon", pa.array([116.4, float("nan"), 116.4]))), 1, 2, r"lon is not a number"),
]


def loc(dev: str, serial: int, ts_s: float) -> bytes:
    return encode_frame(0x0200, dev, serial, encode_location(ts_s, 39.9, 116.4, 20.0))


def frames_case(name: str, bad: bytes, n_bad: int, reason: str, good: int = 2) -> Case:
    return Case(name, ".808", lambda: loc(V1, 1, T0) + bad + loc(V2, 2, T0 + 30), n_bad, good,
                reason)


def flip(frame: bytes, at: int) -> bytes:
    b = bytearray(frame)
    b[at] ^= 0x21
    return bytes(b)


BODY = encode_location(T0 + 60, 39.9, 116.4, extra={0xF0: bytes(200)})
PARTS = split_message(0x0200, V1, 10, BODY, max_part=100)
JT808_CASES = [
    frames_case("noise between frames", b"\x00\x01garbage\xff", 1, r"truncated frame"),
    frames_case("checksum error", flip(loc(V1, 3, T0 + 5), -2), 1, r"checksum error"),
    frames_case("bad escape", b"\x7e\x02\x00\x7d\x05\x00\x7e", 1,
                r"bad escape: 0x7d followed by 0x05"),
    frames_case("length longer than the frame", flip(loc(V1, 3, T0 + 5), 3), 1,
                r"(truncated frame|length mismatch|checksum|sub-package numbering)"),
    frames_case("bad BCD phone", encode_frame(0x0002, V1, 3).replace(b"\x01\x38", b"\x0a\x38",
                                                                     1), 1,
                r"(invalid BCD byte 0x0a|checksum)"),
    frames_case("location body too short", encode_frame(0x0200, V1, 3, bytes(10)), 1,
                r"location body too short: 10 bytes"),
    frames_case("encrypted body", encode_frame(0x0200, V1, 3, encode_location(T0, 39.9, 116.4),
                                               encrypted=1), 1, r"encrypted body"),
    frames_case("unsupported message", encode_frame(0x8888, V1, 3, b"\x00"), 1,
                r"unsupported message id 0x8888"),
    frames_case("repeated sub-package", PARTS[0] + PARTS[0] + b"".join(PARTS[1:]), 1,
                r"repeated sub-package 1 of 3 of message 0x0200", good=3),
    frames_case("conflicting sub-package", PARTS[0]
                + encode_frame(0x0200, V1, 10, BODY[:99] + b"\x55", total=3, index=1)
                + b"".join(PARTS[1:]), 1, r"conflicting sub-package 1 of 3.*that one is kept",
                good=3),
    frames_case("sub-package numbering", encode_frame(0x0200, V1, 3, b"", total=2, index=5), 1,
                r"bad sub-package numbering: package 5 of 2"),
    frames_case("incomplete sub-packages", PARTS[0], 1,
                r"incomplete sub-packaged message 0x0200 from 013800000001: packages \[1\]"),
    frames_case("time not BCD", encode_frame(0x0200, V1, 3, encode_location(T0, 39.9, 116.4)
                                             [:22] + b"\x24\x13\x40\x25\x61\x61"), 1,
                r"invalid BCD time"),
]


ALL_CASES = JSONL_CASES + CSV_CASES + PARQUET_CASES + JT808_CASES


def test_corpus_size() -> None:
    assert len(ALL_CASES) >= 60


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.suffix[1:]}: {c.name}" for c in ALL_CASES])
def test_bad_telemetry_is_quarantined(case: Case, tmp_path: Path) -> None:
    twin = make_twin(tmp_path / "twin", DEVICES)
    src = tmp_path / f"input{case.suffix}"
    src.write_bytes(case.build())
    rc, out, err = run_cli("twin", "ingest", twin, src, "--quiet")
    assert rc == 0, err
    assert "Traceback" not in out + err
    assert "accepted + quarantined = read: yes" in out
    with Twin(twin, read_only=True) as t:
        counts = t.counters()
        reasons = t.store.query("SELECT reason FROM quarantine ORDER BY position") \
            .column("reason").to_pylist()
    assert counts == {"read": case.bad + case.good, "accepted": case.good,
                      "quarantined": case.bad}, reasons
    for reason in reasons:
        assert re.search(case.reason, reason), reason


def test_one_far_future_report_does_not_hold_back_heartbeats(tmp_path: Path) -> None:
    """A 2099 report is quarantined; later heartbeats of every device keep their own time."""
    twin = make_twin(tmp_path / "twin", DEVICES)
    src = tmp_path / "s.808"
    src.write_bytes(loc(V1, 1, T0) + loc(V2, 2, T0) + loc(V1, 3, 4070908800.0)
                    + encode_frame(0x0002, V1, 4) + encode_frame(0x0002, V2, 5)
                    + loc(V1, 6, T0 + 60))
    rc, out, err = run_cli("twin", "ingest", twin, src, "--quiet")
    assert rc == 0, err
    with Twin(twin, read_only=True) as t:
        reasons = t.store.query("SELECT reason FROM quarantine").column("reason").to_pylist()
        counts = t.counters()
    assert len(reasons) == 1 and re.search(r"timestamp 4070908800 is \d+ s in the future",
                                           reasons[0])
    assert counts == {"read": 6, "accepted": 5, "quarantined": 1}


@pytest.mark.parametrize("data", [b"", b"PAR1" + bytes(range(256)) * 4 + b"PAR1",
                                  b"PAR1PAR1", parquet_bytes(good_table(3))[:-20]],
                         ids=["empty", "noise", "no footer", "cut short"])
def test_unreadable_parquet_file(data: bytes, tmp_path: Path) -> None:
    """A file whose footer cannot be read has no rows to count: a clear error, exit 2."""
    twin = make_twin(tmp_path / "twin", DEVICES)
    src = tmp_path / "x.parquet"
    src.write_bytes(data)
    rc, out, err = run_cli("twin", "ingest", twin, src, "--quiet")
    assert rc == 2 and "Traceback" not in out + err
    assert re.search(r"x\.parquet: 1 problem.*unreadable Parquet", err, re.S), err
    with Twin(twin, read_only=True) as t:
        assert t.counters() == {"read": 0, "accepted": 0, "quarantined": 0}


NATIVE_CRASHERS = {
    "null.jsonl": b"null\n",
    "deep.jsonl": b'{"device": "x", "q": ' + b"[" * 10**6 + b"]" * 10**6 + b"}\n",
}


@pytest.mark.parametrize("name", sorted(NATIVE_CRASHERS))
def test_native_parser_crashers_in_a_subprocess(name: str, tmp_path: Path) -> None:
    """Inputs that used to kill the process inside Arrow's JSON reader (exit -11)."""
    twin = make_twin(tmp_path / "twin", DEVICES)
    src = tmp_path / name
    src.write_bytes(NATIVE_CRASHERS[name])
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.run([sys.executable, "-m", "sim.cli.main", "twin", "ingest", str(twin),
                           str(src), "--quiet"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "read 1  accepted 0  quarantined 1" in proc.stdout


# -- options and configuration ------------------------------------------------------------
@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder that looks like a run to the option checks (they come before reading it)."""
    d = tmp_path_factory.mktemp("run")
    (d / "manifest.json").write_text("{}", encoding="utf-8")
    return d


def option_cases() -> list[tuple[str, list[str], str]]:
    """(name, arguments with RUN/TWIN/FILE/DIR placeholders, pattern of the error)."""
    return [
        ("emit loss above 1", ["emit", "RUN", "--loss", "1.5"], r"--loss.*loss: must be in "
         r"\[0, 1\) \(got 1\.5\)"),
        ("emit loss NaN", ["emit", "RUN", "--loss", "nan"], r"loss: must be a finite number "
         r"\(got nan\)"),
        ("emit duplicate negative", ["emit", "RUN", "--duplicate", "-0.1"],
         r"duplicate: must be in \[0, 1\) \(got -0\.1\)"),
        ("emit noise infinite", ["emit", "RUN", "--noise", "inf"],
         r"noise: must be a finite number \(got inf\)"),
        ("emit heartbeat zero", ["emit", "RUN", "--heartbeat-s", "0"],
         r"heartbeat_s: must be in \[1, 86400\] \(got 0\.0\)"),
        ("emit reorder huge", ["emit", "RUN", "--reorder-s", "1e300"],
         r"reorder_s: must be in \[0, 86400\] \(got 1e\+300\)"),
        ("emit until negative", ["emit", "RUN", "--until-s", "-5"],
         r"until_s: must be in \(0, 3\.1622\de\+07\] \(got -5\.0\)"),
        ("emit until a century", ["emit", "RUN", "--until-s", "3e9"],
         r"until_s: must be in .*\(got 3000000000\.0\)"),
        ("emit seed negative", ["emit", "RUN", "--seed", "-1"],
         r"seed: must be in \[0, 9\.22337e\+18\] \(got -1\)"),
        ("emit seed beyond 64 bits", ["emit", "RUN", "--seed", str(2**70)],
         r"seed: must be in .*\(got 1180591620717411303424\)"),
        ("emit replication negative", ["emit", "RUN", "--replication", "-2"],
         r"replication: must be in \[0, 999\] \(got -2\)"),
        ("emit epoch not a time", ["emit", "RUN", "--epoch", "yesterday"],
         r"epoch: not an ISO 8601 time \(got 'yesterday'\)"),
        ("emit epoch 2150", ["emit", "RUN", "--epoch", "2150-01-01T00:00:00"],
         r"epoch: must be in the years 2000-2098"),
        ("emit out in a missing folder", ["emit", "RUN", "--out", "DIR/no/such/f.jsonl"],
         r"out: folder does not exist"),
        ("emit out is a folder", ["emit", "RUN", "--out", "DIR"], r"out: is a folder"),
        ("emit from a non-run", ["emit", "DIR"], r"not a run folder \(no manifest\.json\)"),
        ("emit seed not a number", ["emit", "RUN", "--seed", "x"], r"invalid int value: 'x'"),
        ("status devices negative", ["status", "TWIN", "--devices", "-3"],
         r"devices: must be in \[0, 1e\+06\] \(got -3\)"),
        ("drift threshold NaN", ["drift", "TWIN", "--threshold", "nan"],
         r"threshold: must be a finite number \(got nan\)"),
        ("drift threshold zero", ["drift", "TWIN", "--threshold", "0"],
         r"threshold: must be in \(0, 100\] \(got 0\.0\)"),
        ("fork seed negative", ["fork", "TWIN", "--seed", "-5"], r"seed: must be in .*\(got -5\)"),
        ("fork replications zero", ["fork", "TWIN", "--replications", "0"],
         r"replications: must be in \[1, 1000\] \(got 0\)"),
        ("fork replications huge", ["fork", "TWIN", "--replications", "10000000"],
         r"replications: must be in \[1, 1000\] \(got 10000000\)"),
        ("fork name is a path", ["fork", "TWIN", "--name", "../evil"],
         r"name: must be .*a folder name, not a path\) \(got '\.\./evil'\)"),
        ("fork out is a file", ["fork", "TWIN", "--out", "FILE"], r"out: is a file, not a folder"),
        ("init lateness NaN", ["init", "DIR/new", "--lateness-s", "nan"],
         r"lateness_s: must be a finite number \(got nan\)"),
        ("init lateness negative", ["init", "DIR/new", "--lateness-s", "-1"],
         r"lateness_s: must be in \[0, 604800\] \(got -1\.0\)"),
        ("init region NaN", ["init", "DIR/new", "--region", "116,39,nan,40"],
         r"region: expected lon_min,lat_min,lon_max,lat_max .*\(got '116,39,nan,40'\)"),
        ("init region text", ["init", "DIR/new", "--region", "a,b"],
         r"region: expected lon_min.*\(got 'a,b'\)"),
        ("init region reversed", ["init", "DIR/new", "--region", "117,39,116,40"],
         r"lon_min < lon_max"),
        ("init name with a slash", ["init", "DIR/new", "--name", "a/b"],
         r"name: must be 1-80 letters.*\(got 'a/b'\)"),
        ("init into a file", ["init", "FILE"], r"is a file, not a folder"),
        ("init devices missing", ["init", "DIR/new", "--devices", "DIR/none.csv"],
         r"devices: file not found"),
        ("init over a twin", ["init", "TWIN"], r"a twin already exists here"),
        ("init devices of a bad kind", ["init", "DIR/new", "--devices", "DIR/kinds.csv"],
         r"kinds\.csv: 1 problem.*kinds\.csv:3\.kind: .*\(got 'tractor'\)"),
        ("init devices twice", ["init", "DIR/new", "--devices", "DIR/twice.csv"],
         r"twice\.csv: 1 problem.*id: device ids given twice \(got \['x1'\]\)"),
        ("ingest missing source", ["ingest", "TWIN", "DIR/none.jsonl"],
         r"none\.jsonl.*telemetry file not found"),
        ("ingest unknown suffix", ["ingest", "TWIN", "FILE"],
         r"cannot tell the format from the suffix.*\(got '\.txt'\)"),
        ("ingest unknown format", ["ingest", "TWIN", "FILE", "--format", "xml"],
         r"invalid choice: 'xml'"),
        ("ingest Parquet from stdin", ["ingest", "TWIN", "-", "--format", "parquet"],
         r"format: standard input can carry jsonl, csv or jt808, not parquet"),
        ("ingest without a twin", ["ingest", "DIR", "FILE"],
         r"twin\.yaml: 1 problem.*no twin configuration here"),
        ("status without a twin", ["status", "DIR"], r"no twin configuration here"),
        ("drift predictions with NaN", ["drift", "TWIN", "--predictions", "DIR/nan.csv"],
         r"nan\.csv: 2 problems.*row 2\.t_s: must be a time of day in \[0, 86400\) s "
         r"\(got 1e\+300\).*row 2\.value: must be a finite number \(got nan\)"),
        ("drift predictions as text", ["drift", "TWIN", "--predictions", "DIR/text.csv"],
         r"text\.csv: 1 problem.*t_s: must be a column of numbers \(got 'string'\)"),
        ("drift predictions not a table", ["drift", "TWIN", "--predictions", "DIR/none.csv"],
         r"none\.csv: 1 problem.*unreadable predictions"),
    ]


OPTION_CASES = option_cases()


@pytest.mark.parametrize("name,argv,pattern", OPTION_CASES, ids=[c[0] for c in OPTION_CASES])
def test_bad_twin_option(name: str, argv: list[str], pattern: str, run_dir: Path,
                         tmp_path: Path) -> None:
    twin = make_twin(tmp_path / "twin", DEVICES)
    folder = tmp_path / "dir"
    folder.mkdir()
    afile = tmp_path / "a.txt"
    afile.write_text("x", encoding="utf-8")
    (folder / "nan.csv").write_text("measure,key,t_s,value\nmessage_rate,k,1e300,nan\n",
                                    encoding="utf-8")
    (folder / "kinds.csv").write_text("id,kind\nx1,vehicle\nx2,tractor\n", encoding="utf-8")
    (folder / "twice.csv").write_text("id,kind\nx1,vehicle\nx1,stb\n", encoding="utf-8")
    (folder / "text.csv").write_text("measure,key,t_s,value\nmessage_rate,k,noon,1\n",
                                     encoding="utf-8")
    subst = {"RUN": str(run_dir), "TWIN": str(twin), "FILE": str(afile), "DIR": str(folder)}
    args = ["twin"] + [re.sub(r"^(RUN|TWIN|FILE|DIR)", lambda m: subst[m.group(1)], a)
                       for a in argv]
    rc, out, err = run_cli(*args)
    assert rc == 2, (out, err)
    assert "Traceback" not in out + err
    assert re.search(pattern, err, re.S), err
    if "invalid" not in pattern:
        assert err.startswith("fleettwin: error:")


@pytest.mark.parametrize("yaml_text,pattern", [
    ("name: t\nlateness_s: .nan\n", r"lateness_s: .*finite"),
    ("name: t\nlateness_s: 1\nlateness_s: 2\n", r"lateness_s|duplicate"),
    ("name: [unclosed\n", r"twin\.yaml"),
    ("name: t\nmax_future_s: -1\n", r"max_future_s: .*greater than or equal to 0"),
    ("name: t\ndevices: [{id: '', kind: vehicle}]\n", r"devices\[0\]\.id: .*at least 1 character"),
    ("name: t\nregion: {lon_min: 1, lon_max: 0, lat_min: 0, lat_max: 1}\n", r"lon_min < lon_max"),
    ("name: t\nlimits: {max_speed_kmh: .inf}\n", r"max_speed_kmh"),
    ("name: t\nlateness_s: 1e308\n", r"lateness_s: .*less than or equal to 604800"),
    ("name: t\ndrift: {window_s: 0.000001}\n", r"drift\.window_s: .*greater than or equal"),
    ("name: t\nepoch: 0001-01-01T00:00:00\n", r"epoch must be in the years 1970-2099"),
    ("name: t\ndevices: {a: 1}\n", r"devices: .*list"),
    ("name: 'a b'\n", r"name: .*pattern"),
    ("- just\n- a list\n", r"twin\.yaml"),
    # found by the field-by-field fuzz of twin.yaml: all of these were accepted
    ("name: " + "n" * 5000 + "\n", r"name: String should have at most 80 characters"),
    ("name: t\ndevices: [{id: v1, kind: vehicle, profile: no_such_terminal}]\n",
     r"devices\[0\]\.profile: no vehicle_terminal profile with this id .*'no_such_terminal'"),
    ("name: t\ndevices: [{id: s1, kind: stb, profile: jt808_basic}]\n",
     r"devices\[0\]\.profile: no stb profile with this id .*'jt808_basic'"),
    ("name: t\ndevices: [{id: v1, kind: vehicle, profile: ''}]\n",
     r"devices\[0\]\.profile: String should have at least 1 character"),
    ("name: t\ndevices: [{id: v1, kind: vehicle, entity: -1}]\n",
     r"devices\[0\]\.entity: .*greater than or equal to 0 \(got -1\)"),
    ("name: t\ndevices: [{id: v1, kind: vehicle, entity: 1000000000000000000}]\n",
     r"devices\[0\]\.entity: .*less than or equal to 1000000000"),
], ids=["lateness NaN", "duplicate key", "YAML syntax", "negative future", "empty id",
        "reversed region", "infinite speed", "lateness huge", "window tiny", "epoch year 1",
        "devices not a list", "name with a space", "not a mapping", "name of 5000 characters",
        "unknown terminal profile", "profile of another kind", "empty profile",
        "negative entity", "huge entity"])
def test_bad_twin_configuration(yaml_text: str, pattern: str, tmp_path: Path) -> None:
    root = tmp_path / "twin"
    root.mkdir()
    (root / "twin.yaml").write_text(yaml_text, encoding="utf-8")
    rc, out, err = run_cli("twin", "status", root)
    assert rc == 2, (out, err)
    assert "Traceback" not in out + err
    assert "twin.yaml" in err and re.search(pattern, err, re.S), err


def test_symlinked_records_folder_is_refused(tmp_path: Path) -> None:
    twin = make_twin(tmp_path / "twin", DEVICES)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me", encoding="utf-8")
    (outside / "part-00000007.parquet").write_bytes(b"not ours")
    (twin / "records").symlink_to(outside, target_is_directory=True)
    src = tmp_path / "s.jsonl"
    src.write_bytes(jl(rec(1)) + b"\n")
    rc, out, err = run_cli("twin", "ingest", twin, src, "--quiet")
    assert rc == 2 and "Traceback" not in out + err
    assert re.search(r"records: 1 problem.*not a symbolic link", err, re.S), err
    assert sorted(p.name for p in outside.iterdir()) == ["part-00000007.parquet",
                                                         "precious.txt"]


def test_only_part_files_are_ever_deleted(tmp_path: Path) -> None:
    twin = make_twin(tmp_path / "twin", DEVICES)
    records = twin / "records"
    records.mkdir()
    (records / "notes.txt").write_text("mine", encoding="utf-8")
    (records / "part-00000003.parquet").write_bytes(b"left by a crash")
    src = tmp_path / "s.jsonl"
    src.write_bytes(jl(rec(1)) + b"\n")
    rc, out, err = run_cli("twin", "ingest", twin, src, "--quiet")
    assert rc == 0, err
    assert sorted(p.name for p in records.iterdir()) == ["notes.txt", "part-00000000.parquet"]


def test_status_and_drift_on_a_fresh_twin(tmp_path: Path) -> None:
    twin = make_twin(tmp_path / "it's a twin", DEVICES)
    rc, out, err = run_cli("twin", "status", twin, "--json")
    assert rc == 0, err
    assert json.loads(out)["counters"] == {"read": 0, "accepted": 0, "quarantined": 0}
    rc, out, err = run_cli("twin", "drift", twin)
    assert rc == 0, err
    assert "no drift measures" in out
    assert not (twin / "twin.duckdb").exists()  # looking does not write


def _devices_csv(root: Path, data: bytes) -> None:
    (root / "twin.yaml").write_text("name: t\ndevices_file: devices.csv\n", encoding="utf-8")
    (root / "devices.csv").write_bytes(data)


def _corrupt_part(root: Path) -> None:
    make_twin(root, DEVICES)
    src = root.parent / "s.jsonl"
    src.write_bytes(jl(rec(1)) + b"\n")
    with Twin(root) as twin:
        twin.ingest([src])
    (root / "records" / "part-00000000.parquet").write_bytes(b"PAR1 not really")
    (root / "twin.duckdb").unlink(missing_ok=True)  # no snapshot: the part must be read
    with Twin(root) as twin:  # a fresh store knows no parts; put the name back
        twin.store.con.execute("INSERT INTO parts VALUES ('part-00000000.parquet', 1, 1)")


@pytest.mark.parametrize("setup,pattern", [
    (lambda r: _devices_csv(r, b"id,kind\n013800000001,vehicle\n01380\xff,vehicle\n"),
     r"devices_file: unreadable devices CSV devices\.csv .*0xff"),
    (lambda r: _devices_csv(r, b"id,kind\n013800000001,tractor\n"),
     r"devices\.csv:2\.kind: .*'tractor'"),
    (lambda r: (make_twin(r, DEVICES), (r / "twin.duckdb").write_bytes(b"not a database" * 99)),
     r"twin\.duckdb: 1 problem.*cannot open the twin store"),
    (_corrupt_part, r"part-00000000\.parquet: 1 problem.*unreadable record part"),
], ids=["devices CSV not UTF-8", "devices CSV bad kind", "store not a database",
        "record part corrupt"])
def test_bad_twin_folder(setup: Callable[[Path], object], pattern: str, tmp_path: Path) -> None:
    root = tmp_path / "twin"
    root.mkdir()
    setup(root)
    rc, out, err = run_cli("twin", "status", root)
    assert rc == 2, (out, err)
    assert "Traceback" not in out + err
    assert re.search(pattern, err, re.S), err


def test_emit_refuses_a_span_that_would_not_fit_in_memory(small_run: Path,
                                                          tmp_path: Path) -> None:
    """A year of 30-second reports from 60 taxis is 63 million reports: refused up front."""
    out = tmp_path / "s.jsonl"
    rc, _, err = run_cli("twin", "emit", small_run, "--until-s", "31536000", "--out", out)
    assert rc == 2 and "Traceback" not in err
    assert re.search(r"until_s: would make about 63,072,000 reports \(60 vehicles every 30 s; "
                     r"at most 20,000,000\).*\(got 31536000\.0\)", err, re.S), err
    assert not out.exists()
