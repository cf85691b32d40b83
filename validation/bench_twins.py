"""Twin ingest benchmark: records/s from JSON lines and frames/s from JT/T 808, one process.

Usage::

    python -m validation.bench_twins [--records 1000000] [--devices 5000] [--frames 400000]
    python -m validation.bench_twins --bad-share 0.1 [--records 1000000]

With ``--bad-share``, the same JSON-lines and CSV data are ingested twice, clean and with that
share of lines replaced by bad ones (a mix of malformed JSON, wrong types, invalid UTF-8,
``null`` records, NaN, duplicate keys, integers beyond 2^53, unknown fields and devices,
values out of range), and the ratio of the two ingest times is printed. Target: a file
with 10% bad lines ingests within 3x the time of the clean one.

Each figure is a full ingest into a fresh twin folder (parse, check, lateness and duplicate
verdicts, state update, persistence), timed on the wall clock and in process CPU time (the
machine may be shared). References measured in the same run on the same data: a plain
``json.loads`` loop over the lines (parsing only, no checks, no state) and the per-frame
JT/T 808 decoder (``decode_frame`` + ``decode_location``, no state). Targets: 200,000
records/s and 100,000 frames/s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from twins.jt808.frames import decode_frame, encode_frame
from twins.jt808.messages import decode_location, encode_location

T0 = 1704067200.0
STATES = ("idle", "to_pickup", "busy")
TARGET_JSONL = 200_000
TARGET_JT808 = 100_000


def make_twin(root: Path, devices: int) -> Path:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    cfg = {"name": "bench", "lateness_s": 600,
           "region": {"lon_min": 116.0, "lon_max": 117.0, "lat_min": 39.5, "lat_max": 40.5},
           "devices_file": "devices.csv"}
    (root / "twin.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    with (root / "devices.csv").open("w", encoding="utf-8") as fh:
        fh.write("id,kind,profile,entity\n")
        for d in range(devices):
            fh.write(f"0138{d:08d},vehicle,jt808_basic,{d}\n")
    return root


def fleet_reports(n: int, devices: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Reports of ``devices`` vehicles every 30 s with jitter, slightly out of order."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    dev, k = i % devices, i // devices
    ts = np.round(T0 + 30.0 * k + rng.uniform(0, 5, n))
    order = np.argsort(ts + rng.exponential(3.0, n), kind="stable")
    cols = {
        "dev": dev, "seq": k, "ts": ts,
        "lon": np.round(116.3 + rng.uniform(0, 0.2, n), 6),
        "lat": np.round(39.8 + rng.uniform(0, 0.2, n), 6),
        "speed": np.round(rng.uniform(0, 80, n), 1), "heading": rng.integers(0, 360, n),
        "odo": np.round(0.2 * k + dev, 1), "fuel": np.round(0.02 * k, 1),
        "state": rng.integers(0, 3, n),
    }
    return {name: col[order] for name, col in cols.items()}


def write_jsonl(path: Path, r: dict[str, np.ndarray]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for d, q, t, lo, la, sp, h, o, f, s in zip(r["dev"], r["seq"], r["ts"], r["lon"],
                                                   r["lat"], r["speed"], r["heading"], r["odo"],
                                                   r["fuel"], r["state"], strict=True):
            fh.write(f'{{"device":"0138{d:08d}","ts_s":{t:.0f},"seq":{q},"lon":{lo},'
                     f'"lat":{la},"speed_kmh":{sp},"heading_deg":{h},"odometer_km":{o},'
                     f'"fuel_used_l":{f},"state":"{STATES[s]}"}}\n')


def write_jt808(path: Path, r: dict[str, np.ndarray]) -> None:
    with path.open("wb") as fh:
        buf = []
        for d, q, t, lo, la, sp, h, o, f, s in zip(r["dev"], r["seq"], r["ts"], r["lon"],
                                                   r["lat"], r["speed"], r["heading"], r["odo"],
                                                   r["fuel"], r["state"], strict=True):
            body = encode_location(float(t), float(la), float(lo), float(sp), float(h),
                                   odometer_km=float(o), fuel_l=float(f), state=STATES[s])
            buf.append(encode_frame(0x0200, f"0138{d:08d}", int(q), body))
        fh.write(b"".join(buf))


#: Bad variants of a good JSON line (a ``str.format`` template over its fields).
BAD_JSONL: tuple[bytes, ...] = (
    b'{"device":"0138%(d)08d","ts_s":%(t)d,"seq":%(q)d,"lon":116.',
    b'{"device":"0138%(d)08d","ts_s":%(t)d,"seq":%(q)d,"lon":116.4,"lat":39.9,'
    b'"speed_kmh":"fast"}',
    b'{"device":"0138%(d)08d","ts_s":%(t)d,"seq":%(q)d,"lon":116.4,"lat":39.9,"colour":"red"}',
    b'{"device":"0138%(d)08d","ts_s":%(t)d,"seq":%(q)d,"lon":116.4,"lat":95.0}',
    b'{"device":"0138%(d)08d\xff","ts_s":%(t)d,"seq":%(q)d,"lon":116.4,"lat":39.9}',
    b"null",
    b'{"device":"0138%(d)08d","ts_s":%(t)d,"seq":%(q)d,"lon":NaN,"lat":39.9}',
    b'{"device":"0138%(d)08d","ts_s":%(t)d,"ts_s":%(t)d,"seq":%(q)d,"lon":116.4,"lat":39.9}',
    b'{"device":"0138%(d)08d","ts_s":%(t)d,"seq":99999999999999999999,"lon":116.4,"lat":39.9}',
    b'{"device":"0999%(d)08d","ts_s":%(t)d,"seq":%(q)d,"lon":116.4,"lat":39.9}',
)
BAD_CSV: tuple[bytes, ...] = (
    b"0138%(d)08d,%(t)d,%(q)d,116.4",
    b"0138%(d)08d,%(t)d,%(q)d,116.4,39.9,fast,0,0,0,idle",
    b"0138%(d)08d,%(t)d,%(q)d,116.4,95.0,10,0,0,0,idle",
    b"0138%(d)08d\xff,%(t)d,%(q)d,116.4,39.9,10,0,0,0,idle",
    b'"0138%(d)08d,%(t)d,%(q)d,116.4,39.9,10,0,0,0,idle',
    b"0138%(d)08d,%(t)d,99999999999999999999,116.4,39.9,10,0,0,0,idle",
    b"0999%(d)08d,%(t)d,%(q)d,116.4,39.9,10,0,0,0,idle",
    b"0138%(d)08d,%(t)d,%(q)d,116.4,39.9,10,0,0,0,flying",
)
CSV_HEADER = b"device,ts_s,seq,lon,lat,speed_kmh,heading_deg,odometer_km,fuel_used_l,state\n"


def write_csv(path: Path, r: dict[str, np.ndarray]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(CSV_HEADER.decode())
        for d, q, t, lo, la, sp, h, o, f, s in zip(r["dev"], r["seq"], r["ts"], r["lon"],
                                                   r["lat"], r["speed"], r["heading"], r["odo"],
                                                   r["fuel"], r["state"], strict=True):
            fh.write(f"0138{d:08d},{t:.0f},{q},{lo},{la},{sp},{h},{o},{f},{STATES[s]}\n")


def spoil(clean: Path, dirty: Path, share: float, variants: tuple[bytes, ...],
          header: bool = False, seed: int = 3) -> int:
    """Copy ``clean`` to ``dirty`` with ``share`` of its lines replaced by bad ones."""
    lines = clean.read_bytes().split(b"\n")
    head = [lines.pop(0)] if header else []
    if lines and lines[-1] == b"":
        lines.pop()
    rng = np.random.default_rng(seed)
    pick = np.flatnonzero(rng.random(len(lines)) < share)
    for k, i in enumerate(pick.tolist()):
        d, t, q = divmod(i, 7919)[1], 1704067200 + i, i
        lines[i] = variants[k % len(variants)] % {b"d": d, b"t": t, b"q": q}
    dirty.write_bytes(b"\n".join(head + lines) + b"\n")
    return len(pick)


def bad_share_bench(work: Path, records: int, devices: int, share: float) -> int:
    """Ingest time with ``share`` bad lines over the time of the clean file (JSONL, CSV)."""
    from twins.csvparse import parse_csv
    from twins.textparse import parse_jsonl

    parse_jsonl(b'{"device": "x"}\n', 1)  # compile (or load) the screen before timing
    parse_csv(b"x,1\n", b"device,ts_s\n", 2)
    data = fleet_reports(records, devices)
    rows = []
    for label, writer, variants, header in (("JSON lines", write_jsonl, BAD_JSONL, False),
                                            ("CSV", write_csv, BAD_CSV, True)):
        ext = "jsonl" if header is False else "csv"
        clean, dirty = work / f"clean{records}.{ext}", work / f"dirty{records}.{ext}"
        if not clean.exists():
            writer(clean, data)
        n_bad = spoil(clean, dirty, share, variants, header)
        times = {}
        for name, src in (("clean", clean), ("dirty", dirty)):
            root = make_twin(work / "twin", devices)
            n, wall, cpu, counts = timed_ingest(root, src)
            assert counts["read"] == counts["accepted"] + counts["quarantined"] == n == records
            if name == "dirty":
                assert counts["quarantined"] >= n_bad
            times[name] = (wall, cpu, counts["quarantined"])
        rows.append((label, records, n_bad, times["clean"], times["dirty"]))
    print(f"{'source':<11} {'lines':>9} {'bad':>8} {'clean s':>8} {'bad-share s':>11} "
          f"{'ratio wall':>10} {'ratio CPU':>9} {'target':>6}")
    for label, n, n_bad, (cw, cc, _), (dw, dc, _) in rows:
        print(f"{label:<11} {n:>9,} {n_bad:>8,} {cw:>8.2f} {dw:>11.2f} {dw / cw:>10.2f} "
              f"{dc / cc:>9.2f} {'<= 3':>6}")
    return 0


def timed_ingest(root: Path, source: Path) -> tuple[int, float, float, dict[str, int]]:
    from twins.ingest import Twin

    t0, c0 = time.perf_counter(), time.process_time()
    with Twin(root) as twin:
        rep = twin.ingest([source])
        counts = twin.counters()
    return rep.read, time.perf_counter() - t0, time.process_time() - c0, counts


def reference_json(path: Path) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    with path.open("rb") as fh:
        for line in fh:
            json.loads(line)
            n += 1
    return n / (time.perf_counter() - t0), n / (time.process_time() - c0)


def reference_frames(path: Path, limit: int = 100_000) -> tuple[float, float]:
    data = path.read_bytes()
    frames = [f for f in data.split(b"\x7e") if f][:limit]
    t0, c0 = time.perf_counter(), time.process_time()
    for f in frames:
        decode_location(decode_frame(f).body)
    return len(frames) / (time.perf_counter() - t0), len(frames) / (time.process_time() - c0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--frames", type=int, default=400_000)
    ap.add_argument("--devices", type=int, default=5000)
    ap.add_argument("--workdir", type=Path, help="keep data here (default: a temp folder)")
    ap.add_argument("--bad-share", type=float, help="measure ingest with this share of bad "
                    "lines against a clean file (JSON lines and CSV)")
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-twins-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.bad_share is not None:
        if not 0 < args.bad_share < 1:
            ap.error("--bad-share must be in (0, 1)")
        rc = bad_share_bench(work, args.records, args.devices, args.bad_share)
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
        return rc
    jsonl, frames = work / f"r{args.records}.jsonl", work / f"f{args.frames}.808"
    if not jsonl.exists():
        write_jsonl(jsonl, fleet_reports(args.records, args.devices))
    if not frames.exists():
        write_jt808(frames, fleet_reports(args.frames, args.devices, seed=2))
    rows = []
    for label, src, target, ref in (
        ("JSON lines", jsonl, TARGET_JSONL, reference_json),
        ("JT/T 808", frames, TARGET_JT808, reference_frames),
    ):
        root = make_twin(work / "twin", args.devices)
        n, wall, cpu, counts = timed_ingest(root, src)
        assert counts["read"] == counts["accepted"] + counts["quarantined"] == n
        ref_wall, ref_cpu = ref(src)
        rows.append((label, n, n / wall, n / cpu, target, ref_wall, (n / wall) / ref_wall,
                     counts["quarantined"]))
    print(f"{'source':<11} {'items':>9} {'items/s wall':>13} {'items/s CPU':>12} "
          f"{'target':>8} {'reference/s':>12} {'x ref':>6} {'quarantined':>11}")
    for label, n, w, c, tgt, rw, ratio, q in rows:
        print(f"{label:<11} {n:>9,} {w:>13,.0f} {c:>12,.0f} {tgt:>8,} {rw:>12,.0f} "
              f"{ratio:>6.1f} {q:>11,}")
    print("reference: json.loads per line (parse only); per-frame JT/T 808 decoder "
          "(decode only)")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
