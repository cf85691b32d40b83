"""Seeded fuzzing of ingest: mutated JSON lines, CSV rows and JT/T 808 frames with sub-packages.

Whatever the bytes, ingest does not crash, every item read is accepted or quarantined
(accepted + quarantined = read, in the report and in the store), text sources read one item
per non-blank line, and the outcome does not depend on how the input is cut into batches.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.twins.conftest import make_twin
from twins.ingest import IngestReport, Twin
from twins.jt808.frames import encode_frame, split_message
from twins.jt808.messages import encode_location

T0 = 1704067200.0
DEVS = [f"0138{d:08d}" for d in range(6)]
DEVICES: list[tuple[str, str, str | None, int | None]] = \
    [(d, "vehicle", "jt808_basic", k) for k, d in enumerate(DEVS)] + [("stb-1", "stb", None, None)]

#: Tokens spliced into lines: what has crashed or misled parsers before.
NASTY: list[bytes] = [
    b"null", b"[" * 3000, b"]", b"{", b"}", b'"', b"\\", b"\\u0000", b"\\ud800", b"\xff", b"\xc3",
    b"\xed\xa0\x80", b"NaN", b"-Infinity", b"1e999", b"18446744073709551617",
    b"9007199254740993", b"-0", b"true", b"{\"a\":{\"b\":[1]}}", b",", b":", b"\x00", b"\t",
    b'"device"', b'"ts_s":1,"ts_s":2', b"\r",
]


def good_record(rng: np.random.Generator, i: int) -> dict[str, object]:
    if i % 9 == 0:
        return {"device": "stb-1", "ts_s": T0 + i, "online": bool(rng.integers(2)),
                "channel": int(rng.integers(0, 300))}
    return {"device": DEVS[i % len(DEVS)], "ts_s": T0 + 10 * i, "seq": i,
            "lon": round(116 + rng.random(), 6), "lat": round(39.5 + rng.random(), 6),
            "speed_kmh": round(float(rng.uniform(0, 90)), 1), "state": "busy",
            "driver": "司机" if i % 5 == 0 else "d1"}


def mutate(rng: np.random.Generator, line: bytes) -> bytes:
    kind = int(rng.integers(5))
    at = int(rng.integers(0, len(line) + 1))
    if kind == 0:  # flip a byte
        b = bytearray(line)
        if b:
            b[min(at, len(b) - 1)] = int(rng.integers(0, 256))
        line = bytes(b)
    elif kind == 1:  # cut
        line = line[:at]
    elif kind == 2:  # splice a nasty token
        line = line[:at] + NASTY[int(rng.integers(len(NASTY)))] + line[at:]
    elif kind == 3:  # a nasty token alone
        line = NASTY[int(rng.integers(len(NASTY)))]
    else:  # random bytes
        line = rng.integers(0, 256, int(rng.integers(1, 80)), dtype=np.uint8).tobytes()
    line = line.replace(b"\n", b"n")
    return line if line.strip() else b"x" + line  # one item per line, never blank


def jsonl_lines(seed: int, n: int = 1500, share: float = 0.3) -> list[bytes]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        line = json.dumps(good_record(rng, i), ensure_ascii=bool(i % 2)).encode()
        out.append(mutate(rng, line) if rng.random() < share else line)
    return out


CSV_HEADER = b"device,ts_s,seq,lon,lat,speed_kmh,online,channel,state"


def csv_lines(seed: int, n: int = 1500, share: float = 0.3) -> list[bytes]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        r = good_record(rng, i)
        cells = ["" if r.get(c) is None else str(r.get(c)).lower() if isinstance(r.get(c), bool)
                 else str(r.get(c)) for c in CSV_HEADER.decode().split(",")]
        line = ",".join(cells).encode()
        out.append(mutate(rng, line).replace(b"\r", b"r") if rng.random() < share else line)
    return out


def jt808_stream(seed: int, n: int = 600, share: float = 0.2) -> bytes:
    rng = np.random.default_rng(seed)
    frames: list[bytes] = []
    for i in range(n):
        dev = DEVS[i % len(DEVS)]
        k = int(rng.integers(10))
        if k == 0:
            frames.append(encode_frame(0x0002, dev, i))
            continue
        body = encode_location(T0 + 10 * i, 39.5 + rng.random(), 116 + rng.random(),
                               float(rng.uniform(0, 90)), odometer_km=float(i),
                               fuel_l=float(rng.uniform(0, 60)), state="busy",
                               extra={0xF0: rng.integers(0, 256, int(rng.integers(0, 200)),
                                                         dtype=np.uint8).tobytes()})
        if k == 1:  # sub-packaged, sometimes shuffled, repeated or missing a package
            parts = split_message(0x0200, dev, i * 4 % 65536, body,
                                  max_part=int(rng.integers(20, 80)))
            order = rng.permutation(len(parts)) if rng.random() < 0.3 else range(len(parts))
            parts = [parts[j] for j in order]
            if rng.random() < 0.2:
                parts.append(parts[0])
            if rng.random() < 0.2 and len(parts) > 1:
                parts.pop()
            frames += parts
        else:
            frames.append(encode_frame(0x0200, dev, i, body))
    out = []
    for f in frames:
        if rng.random() < share:
            b = bytearray(f)
            for _ in range(int(rng.integers(1, 4))):
                kind = int(rng.integers(3))
                at = int(rng.integers(0, len(b)))
                if kind == 0:
                    b[at] = int(rng.integers(0, 256))
                elif kind == 1:
                    del b[at:at + int(rng.integers(1, 8))]
                else:
                    b[at:at] = NASTY[int(rng.integers(len(NASTY)))]
            f = bytes(b)
        out.append(f)
    return b"".join(out) + (b"\x7e\x02\x00" if seed % 2 else b"")


def ingest(root: Path, src: Path, chunk: int | None) -> tuple[IngestReport, dict[str, int],
                                                               list[tuple[int, str]]]:
    with Twin(root) as twin:
        rep = twin.ingest([src], chunk_bytes=chunk)
        counts = twin.counters()
        rows = twin.store.query("SELECT position, reason FROM quarantine ORDER BY position, "
                                "reason")
    q = list(zip(rows.column("position").to_pylist(), rows.column("reason").to_pylist(),
                 strict=True))
    return rep, counts, q


def accounted(rep: IngestReport, counts: dict[str, int]) -> None:
    assert rep.accepted + rep.quarantined == rep.read
    assert counts == {"read": rep.read, "accepted": rep.accepted,
                      "quarantined": rep.quarantined}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_text_fuzz(seed: int, fmt: str, tmp_path: Path) -> None:
    lines = jsonl_lines(seed) if fmt == "jsonl" else csv_lines(seed)
    src = tmp_path / f"fuzz.{fmt}"
    head = [CSV_HEADER] if fmt == "csv" else []
    src.write_bytes(b"\n".join(head + lines) + b"\n")
    outcomes = []
    for chunk in (None, 8191):
        root = make_twin(tmp_path / f"twin-{chunk}", DEVICES, clock="none")
        rep, counts, q = ingest(root, src, chunk)
        accounted(rep, counts)
        assert rep.read == len(lines)
        assert 0.5 * len(lines) < rep.accepted < len(lines)  # the good lines get through
        outcomes.append((counts, q))
    assert outcomes[0] == outcomes[1]  # batch cuts change nothing


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_jt808_fuzz(seed: int, tmp_path: Path) -> None:
    src = tmp_path / "fuzz.808"
    src.write_bytes(jt808_stream(seed))
    outcomes = []
    for chunk in (None, 4093):
        root = make_twin(tmp_path / f"twin-{chunk}", DEVICES, clock="none",
                         region={"lon_min": 115.0, "lon_max": 118.0, "lat_min": 39.0,
                                 "lat_max": 41.0})
        rep, counts, q = ingest(root, src, chunk)
        accounted(rep, counts)
        assert rep.accepted > 300
        outcomes.append((counts, q))
    assert outcomes[0] == outcomes[1]
