"""Ingest: idempotent, tolerant of out-of-order records, restart-safe (killed mid-ingest)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tests.twins.conftest import make_twin
from twins.ingest import Twin
from twins.jt808.frames import encode_frame, split_message
from twins.jt808.messages import encode_location

T0 = 1704067200.0
N_DEV = 20


def devices() -> list[tuple[str, str, str | None, int | None]]:
    return [(f"0138{d:08d}", "vehicle", "jt808_basic", d) for d in range(N_DEV)]


def stream(n: int, seed: int = 1, dup: float = 0.05, jitter_s: float = 40.0) -> list[dict]:
    """Reports of N_DEV vehicles every 30 s, delivered out of order, some twice."""
    rng = np.random.default_rng(seed)
    recs = []
    for i in range(n):
        d = i % N_DEV
        k = i // N_DEV
        recs.append({"device": f"0138{d:08d}", "ts_s": T0 + 30 * k, "seq": k,
                     "lon": round(116.3 + 0.001 * (k % 50), 6), "lat": 39.9,
                     "speed_kmh": float(k % 60), "odometer_km": round(0.5 * k, 1),
                     "fuel_l": round(0.04 * k, 2),
                     "state": ["idle", "to_pickup", "busy"][k % 3]})
    arrival = np.array([r["ts_s"] for r in recs]) + rng.exponential(jitter_s, n)
    order = np.argsort(arrival, kind="stable")
    # resends: a copy arrives a little after the original
    extra = rng.choice(n, int(dup * n), replace=False)
    where = np.empty(n)
    where[order] = np.arange(n)
    key = np.r_[where, where[extra] + rng.uniform(0.5, 40.0, len(extra))]
    items = np.r_[np.arange(n), extra]
    return [recs[int(i)] for i in items[np.argsort(key, kind="stable")]]


def write_jsonl(path: Path, recs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def snapshot(root: Path) -> tuple[dict, pa.Table, int]:
    with Twin(root, read_only=True) as twin:
        counts = twin.counters()
        state = twin.device_states()
        n = twin.store.query(f"SELECT count(*) AS n FROM {twin.store.records_from()}") \
            .column("n")[0].as_py()
    return counts, state, n


def test_out_of_order_within_lateness_gives_the_latest_state(tmp_path: Path) -> None:
    recs = stream(2000, dup=0.0)
    root = make_twin(tmp_path / "a", devices())
    with Twin(root) as twin:
        rep = twin.ingest([write_jsonl(tmp_path / "s.jsonl", recs)])
        st = twin.device_states().to_pylist()
    assert rep.accepted == 2000 and rep.quarantined == 0
    last_k = (2000 - 1) // N_DEV
    for row in st:
        assert row["last_ts_s"] == T0 + 30 * last_k
        assert row["odometer_km"] == pytest.approx(0.5 * last_k)
        assert row["state"] == ["idle", "to_pickup", "busy"][last_k % 3]
        assert row["records"] == 2000 // N_DEV


def test_records_seen_twice_count_once(tmp_path: Path) -> None:
    recs = stream(3000, dup=0.1)
    root = make_twin(tmp_path / "a", devices())
    path = write_jsonl(tmp_path / "s.jsonl", recs)
    with Twin(root) as twin:
        rep = twin.ingest([path])
    assert rep.accepted == 3000 and rep.quarantined == 300
    assert rep.reasons["duplicate of an accepted record"] == 300
    counts1, state1, n1 = snapshot(root)
    with Twin(root) as twin:
        again = twin.ingest([path])  # already read: resumes at its end
        assert again.read == 0
        forced = twin.ingest([path], reread=True)  # everything again: nothing counts twice
    assert forced.accepted == 0 and forced.quarantined == forced.read == len(recs)
    counts2, state2, n2 = snapshot(root)
    assert n2 == n1 == 3000 and counts2["accepted"] == counts1["accepted"]
    assert state2.equals(state1)


def test_late_records_beyond_the_lateness_are_quarantined(tmp_path: Path) -> None:
    root = make_twin(tmp_path / "a", devices(), lateness_s=60)
    recs = stream(200, dup=0.0, jitter_s=0.0)
    recs.append(dict(recs[0], ts_s=recs[-1]["ts_s"] - 61, seq=999))
    recs.append(dict(recs[0], ts_s=recs[-2]["ts_s"] - 59, seq=998))
    with Twin(root) as twin:
        rep = twin.ingest([write_jsonl(tmp_path / "s.jsonl", recs)])
    assert rep.accepted == 201 and rep.reasons == {"late": 1}


def test_batch_boundaries_do_not_change_the_result(tmp_path: Path) -> None:
    recs = stream(4000, dup=0.05, jitter_s=400)
    path = write_jsonl(tmp_path / "s.jsonl", recs)
    results = []
    for name, chunk in (("a", None), ("b", 9000), ("c", 2500)):
        root = make_twin(tmp_path / name, devices(), lateness_s=300)
        with Twin(root) as twin:
            twin.ingest([path], chunk_bytes=chunk)
        results.append(snapshot(root))
    for other in results[1:]:
        assert other[0] == results[0][0]
        assert other[1].equals(results[0][1])
        assert other[2] == results[0][2]
    assert results[0][0]["quarantined"] > 200  # late and duplicate records exist


def test_injected_failure_rolls_back_and_a_restart_catches_up(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    recs = stream(6000, dup=0.05)
    path = write_jsonl(tmp_path / "s.jsonl", recs)
    ref = make_twin(tmp_path / "ref", devices())
    with Twin(ref) as twin:
        twin.ingest([path], chunk_bytes=20000)
    root = make_twin(tmp_path / "crash", devices())
    from twins.store import Store

    calls = {"n": 0}
    real = Store.set_progress

    def failing(self: Store, *a: object, **kw: object) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("disk full")
        real(self, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "set_progress", failing)
    with Twin(root) as twin, pytest.raises(RuntimeError, match="disk full"):
        twin.ingest([path], chunk_bytes=20000)
    monkeypatch.setattr(Store, "set_progress", real)
    mid = snapshot(root)
    assert 0 < mid[0]["read"] < len(recs)
    with Twin(root) as twin:
        twin.ingest([path], chunk_bytes=20000)
    got, want = snapshot(root), snapshot(ref)
    assert got[0] == want[0] and got[2] == want[2]
    assert got[1].equals(want[1])


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from twins.ingest import Twin

    def tick(report):
        print(report.read, flush=True)

    with Twin(sys.argv[1]) as twin:
        twin.ingest(sys.argv[2:], chunk_bytes=int(1e4), on_commit=tick)
""")


def _kill_after(root: Path, sources: list[Path], commits: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(root),
                             *map(str, sources)], stdout=subprocess.PIPE, env=env, text=True)
    assert proc.stdout is not None
    for _ in range(commits):
        assert proc.stdout.readline(), "ingest ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.slow
def test_killed_mid_ingest_restart_equals_uninterrupted(tmp_path: Path) -> None:
    recs = stream(8000, dup=0.05)
    jsonl = write_jsonl(tmp_path / "s.jsonl", recs)
    # bad lines of the kinds that used to stop an ingest for good
    lines = jsonl.read_bytes().split(b"\n")
    for k in range(50, len(lines) - 1, 173):
        lines[k] = (b"null", b'{"device": "\xff"}', b"[" * 5000, b'{"ts_s": 1e999}')[k % 4]
    jsonl.write_bytes(b"\n".join(lines))
    # a JT/T 808 source too, with sub-packaged messages, heartbeats (stamped with their
    # device's clock, which must survive the restart) and a repeated sub-package
    frames = []
    for i, r in enumerate(recs[:3000]):
        body = encode_location(r["ts_s"] + 7, r["lat"], r["lon"], r["speed_kmh"],
                               odometer_km=r["odometer_km"], state=r["state"])
        if i % 97 == 0:
            parts = split_message(0x0200, r["device"], 40000 + i, body, max_part=12)
            frames += parts + parts[:1] if i % 2 else parts
        elif i % 13 == 0:
            frames.append(encode_frame(0x0002, r["device"], 30000 + i))
        else:
            frames.append(encode_frame(0x0200, r["device"], 20000 + i, body))
    bin_path = tmp_path / "s.808"
    bin_path.write_bytes(b"".join(frames))
    sources = [jsonl, bin_path]
    ref = make_twin(tmp_path / "ref", devices())
    with Twin(ref) as twin:
        twin.ingest(sources, chunk_bytes=int(1e4))
    root = make_twin(tmp_path / "killed", devices())
    _kill_after(root, sources, commits=30)
    mid = snapshot(root)[0]
    assert 0 < mid["read"] < snapshot(ref)[0]["read"]
    _kill_after(root, sources, commits=60)  # killed again, inside the binary source
    with Twin(root) as twin:
        twin.ingest(sources, chunk_bytes=int(1e4))
    got, want = snapshot(root), snapshot(ref)
    assert got[0] == want[0]
    assert got[0]["read"] == got[0]["accepted"] + got[0]["quarantined"]
    assert got[2] == want[2]
    assert got[1].equals(want[1])


def test_parquet_backfill_equals_jsonl(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    recs = stream(3000, dup=0.02)
    path = write_jsonl(tmp_path / "s.jsonl", recs)
    table = pa.Table.from_pylist(recs)
    pq.write_table(table, tmp_path / "s.parquet", row_group_size=700)
    snaps = []
    for name, src in (("j", path), ("p", tmp_path / "s.parquet")):
        root = make_twin(tmp_path / name, devices())
        with Twin(root) as twin:
            twin.ingest([src])
        snaps.append(snapshot(root))
    assert snaps[0][0] == snaps[1][0] and snaps[0][2] == snaps[1][2]
    assert snaps[0][1].equals(snaps[1][1])
    # a resumed backfill skips the rows it has
    with Twin(tmp_path / "p") as twin:
        assert twin.ingest([tmp_path / "s.parquet"]).read == 0
    bad = table.set_column(table.schema.get_field_index("ts_s"), "ts_s",
                           pa.array([str(r["ts_s"]) + "x" for r in recs]))
    pq.write_table(bad, tmp_path / "bad.parquet")
    root = make_twin(tmp_path / "b", devices())
    with Twin(root) as twin:
        rep = twin.ingest([tmp_path / "bad.parquet"])
        raw = twin.store.query("SELECT raw, reason FROM quarantine LIMIT 1").to_pylist()[0]
    assert rep.read == rep.quarantined == len(recs)
    assert re.search(r"ts_s: cannot be read as double \(got '17\d+\.?\d*x'\)", raw["reason"])
    assert json.loads(raw["raw"])["device"] == recs[0]["device"]
