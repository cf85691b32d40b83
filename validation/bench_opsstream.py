"""Operations-stream benchmark: the 10-minute statistics of 1,000,000 devices from a twin's
store, per window.

Usage::

    python -m validation.bench_opsstream [--devices 1000000] [--windows 2] [--districts 16]

A twin store (DuckDB file and Parquet record parts, :class:`twins.store.Store`) is filled
with accepted records of a device mix: 40% vehicle terminals reporting every 30 s (speed,
odometer, state, alarm bits, driver), 50% set-top boxes with a status every 5 min (online,
channel, VoD, errors, firmware) and 10% cameras with a status every 60 s (streaming,
bitrate, uploads): about 10 million records per 10-minute window at 1 M devices. Each
window's statistics (every twin statistic per district, :func:`twins.opsstream.
window_statistics`) are timed on the wall clock and in process CPU time (the machine is
shared; DuckDB's threads count in the CPU time). The reference, measured in the same run on
the same store: one DuckDB pass over the window's records that only counts them and sums a
column (the floor for any statistic of the window). Target: under 10 s per window.
:func:`measure` returns the figures for other benchmark scripts.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from itertools import chain
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twins.opsstream import district_counts, window_statistics
from twins.records import COLUMNS
from twins.store import Store

T0 = 1704067200.0
WINDOW_S = 600.0
TARGET_S = 10.0
CHUNK_ROWS = 1_000_000


def _ids(prefix: str, n: int) -> pa.Array:
    return pa.array([f"{prefix}{i:09d}" for i in range(n)], pa.string())


def _table(cols: dict[str, pa.Array | np.ndarray], n: int) -> pa.Table:
    out = {}
    for c, t in COLUMNS.items():
        v = cols.get(c)
        out[c] = pa.nulls(n, t) if v is None else pa.array(v, t) if not isinstance(
            v, pa.Array) else v.cast(t)
    return pa.table(out)


def _const(text: str, n: int) -> pa.Array:
    """``n`` copies of ``text`` (built in Arrow, not as Python strings)."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([text]))


def _chunks(ids: pa.Array, every_s: float, t0: float, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """(device ids, times, sequence numbers, device index) of reports every ``every_s`` in
    ``[t0, t0 + WINDOW_S)``, at most CHUNK_ROWS rows at a time."""
    n = len(ids)
    per = int(WINDOW_S // every_s)
    step = max(1, CHUNK_ROWS // per)
    for a in range(0, n, step):
        dev = np.repeat(np.arange(a, min(n, a + step)), per)
        k = np.tile(np.arange(per), min(n, a + step) - a)
        ts = t0 + k * every_s + rng.uniform(0, every_s, dev.size)
        yield pc.take(ids, pa.array(dev)), ts, (t0 // every_s + k).astype(np.int64), dev


def fill(store: Store, devices: int, windows: int, seed: int = 1) -> int:
    """Write ``windows`` windows of records of ``devices`` devices; the number of rows."""
    rng = np.random.default_rng(seed)
    n_veh, n_stb = int(devices * 0.4), int(devices * 0.5)
    n_cam = devices - n_veh - n_stb
    veh, stb, cam = _ids("0138", n_veh), _ids("stb-", n_stb), _ids("CAM-", n_cam)
    states = pa.array(["idle", "to_pickup", "busy", "off_shift", "maintenance"])
    rows = 0
    for w in range(windows):
        t0 = T0 + w * WINDOW_S
        parts = []
        streams = chain(((veh, *c) for c in _chunks(veh, 30.0, t0, rng)),
                        ((stb, *c) for c in _chunks(stb, 300.0, t0, rng)),
                        ((cam, *c) for c in _chunks(cam, 60.0, t0, rng)))
        for ids, dev, ts, seq, idx in streams:
            m = ts.size
            base: dict[str, pa.Array | np.ndarray] = {"device": dev, "ts_s": ts, "seq": seq}
            if ids is veh:
                speed = np.where(idx % 3 == 0, 0.0, rng.gamma(4.0, 10.0, m))
                base.update(kind=_const("vehicle", m), msg=_const("location", m), lon=rng.uniform(116, 117, m),
                    lat=rng.uniform(39.5, 40.5, m), speed_kmh=speed,
                    odometer_km=idx * 1.0 + (ts - T0) * speed / 3600.0,
                    state=pc.take(states, pa.array(idx % 5)),
                    alarm=np.where(rng.random(m) < 0.002, 2, 0).astype(np.int64),
                    driver=pc.take(dev, pa.array(np.arange(m))))
            elif ids is stb:
                base.update(kind=_const("stb", m), msg=_const("status", m), online=rng.random(m) < 0.9,
                    channel=rng.integers(1, 200, m),
                    firmware=pa.array(np.where(idx % 10 == 0, "2.1", "2.0")))
            else:
                base.update(kind=_const("camera", m), msg=_const("status", m), streaming=rng.random(m) < 0.05,
                    bitrate_kbps=np.full(m, 2048.0), upload_mb=rng.exponential(4.0, m))
            parts.append(_table(base, m))
            rows += m
            if sum(p.num_rows for p in parts) >= CHUNK_ROWS:
                _commit(store, parts)
                parts = []
        _commit(store, parts)
    return rows


def _commit(store: Store, parts: list[pa.Table]) -> None:
    if not parts:
        return
    table = pa.concat_tables(parts)
    with store.transaction():
        store.add_records(table, 1, np.arange(table.num_rows, dtype=np.int64))


def districts_table(devices: int, n_districts: int) -> tuple[pa.Table, list[str]]:
    n_veh, n_stb = int(devices * 0.4), int(devices * 0.5)
    ids = ([f"0138{i:09d}" for i in range(n_veh)] + [f"stb-{i:09d}" for i in range(n_stb)]
           + [f"CAM-{i:09d}" for i in range(devices - n_veh - n_stb)])
    names = np.array([f"district-{k:02d}" for k in range(n_districts)], dtype=object)
    dist = names[np.arange(devices) % n_districts]
    return pa.table({"device": pa.array(ids, pa.string()),
                     "district": pa.array(list(dist), pa.string())}), ids


def measure(devices: int = 1_000_000, windows: int = 2, n_districts: int = 16,
            root: Path | None = None) -> dict[str, float]:
    """Build the store and time every window; the figures (seconds) by name.

    ``root``: build the store there and keep it (default: a temporary folder, removed).
    """
    keep = root is not None
    folder = root if root is not None else Path(tempfile.mkdtemp(prefix="bench-opsstream-"))
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, float] = {"devices": float(devices)}
    try:
        store = Store(folder / "twin.duckdb")
        t = time.perf_counter()
        out["records"] = float(fill(store, devices, windows))
        out["write_s"] = time.perf_counter() - t
        districts, ids = districts_table(devices, n_districts)
        t = time.perf_counter()
        known = district_counts(ids, districts)
        out["districts_s"] = time.perf_counter() - t
        walls, cpus = [], []
        for w in range(windows):
            t0 = T0 + w * WINDOW_S
            c0, s0 = time.process_time(), time.perf_counter()
            ref = store.query("SELECT count(*) AS n, sum(speed_kmh) AS v FROM "
                              "read_parquet(?) WHERE ts_s >= ? AND ts_s < ?",
                              [store.part_files(), t0, t0 + WINDOW_S])
            ref_wall, ref_cpu = time.perf_counter() - s0, time.process_time() - c0
            c0, s0 = time.process_time(), time.perf_counter()
            stats = window_statistics(store, districts, known, t0, WINDOW_S)
            wall, cpu = time.perf_counter() - s0, time.process_time() - c0
            walls.append(wall)
            cpus.append(cpu)
            n = ref.column("n")[0].as_py()
            print(f"window {w}: {n:,} records -> {stats.num_rows:,} values "
                  f"({len(set(stats.column('statistic').to_pylist()))} statistics x "
                  f"{len(set(stats.column('district').to_pylist()))} districts) in "
                  f"{wall:.2f} s wall, {cpu:.2f} s CPU; reference scan {ref_wall:.2f} s wall, "
                  f"{ref_cpu:.2f} s CPU; ratio {wall / ref_wall:.1f}x the scan")
        out["window_wall_s_max"] = max(walls)
        out["window_cpu_s_max"] = max(cpus)
        store.close()
        return out
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m validation.bench_opsstream",
                                 description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--devices", type=int, default=1_000_000)
    ap.add_argument("--windows", type=int, default=2)
    ap.add_argument("--districts", type=int, default=16)
    ap.add_argument("--keep", type=Path, help="build the store here and keep it")
    args = ap.parse_args(argv)
    res = measure(args.devices, args.windows, args.districts, args.keep)
    print(f"store: {args.devices:,} devices, {res['records']:,.0f} records in {args.windows} "
          f"windows ({res['write_s']:.1f} s to write); devices per district "
          f"{res['districts_s']:.2f} s (once per run)")
    worst = res["window_wall_s_max"]
    verdict = "PASS" if worst < TARGET_S else "FAIL"
    print(f"{verdict}: slowest window {worst:.2f} s wall, {res['window_cpu_s_max']:.2f} s CPU "
          f"(target < {TARGET_S:g} s)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
