"""Driving behaviour through a twin: speeds on the links, alarm bits, counts and UBI prices
from ingested telemetry equal to those from the emitter's truth when nothing is lost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from sim.terminals.schema import Behaviour, BehaviourProfile
from tests.twins.conftest import write_stream
from twins.behaviour import measured, night_seconds, premium_table
from twins.emit import (
    EmitOptions,
    RunTruth,
    generate_with_truth,
    read_truth,
)
from twins.emit_behaviour import ALARM_OVERSPEED
from twins.ingest import Twin
from twins.setup import init_from_run

KINDS = ("harsh_braking", "harsh_acceleration", "speeding", "fatigue")
#: Busy drivers: many events in a two-hour run, so the comparison has something to compare.
WILD = Behaviour(profiles={
    "wild": BehaviourProfile(share=0.5, harsh_braking_per_100km=40, harsh_acceleration_per_100km=30,
                             speeding_per_100km=30),
    "mild": BehaviourProfile(share=0.5, harsh_braking_per_100km=5, harsh_acceleration_per_100km=5,
                             speeding_per_100km=5)})


def _ingest(run: Path, root: Path, table: pa.Table, fmt: str) -> None:
    init_from_run(root, run)
    path = root.parent / f"s.{fmt}"
    write_stream(path, table, fmt)
    with Twin(root) as twin:
        rep = twin.ingest([path])
    assert rep.quarantined == 0


def _truth(run: Path) -> RunTruth:
    truth = read_truth(run)
    assert isinstance(truth, RunTruth)
    return truth


def _by_device(t: pa.Table) -> dict[str, dict]:
    return {r["device"]: r for r in t.to_pylist()}


@pytest.mark.parametrize("fmt", ["jsonl", "jt808"])
def test_twin_counts_and_prices_equal_the_truth_without_loss(small_run: Path, tmp_path: Path,
                                                             fmt: str) -> None:
    stream, truth = generate_with_truth(_truth(small_run), EmitOptions(behaviour=WILD))
    _ingest(small_run, tmp_path / "twin", stream, fmt)
    got = measured(tmp_path / "twin")
    g, tr = _by_device(got), _by_device(truth)
    assert set(g) == set(tr)
    events = {k: sum(r[k] for r in tr.values()) for k in KINDS}
    assert events["harsh_braking"] > 20 and events["speeding"] > 20
    for dev, t in tr.items():
        for k in KINDS:
            assert g[dev][k] == t[k], (dev, k)
        # the odometer is sent in tenths of a km
        assert g[dev]["km"] == pytest.approx(t["km"], abs=0.11)
        assert g[dev]["night_km"] == pytest.approx(t["night_km"], abs=0.11)
    days = 2 / 24
    p_twin = _by_device(premium_table(got, days=days))
    p_true = _by_device(premium_table(truth.append_column("first_s", pa.array(
        np.zeros(truth.num_rows))).append_column("last_s", pa.array(np.zeros(truth.num_rows))),
        days=days))
    for dev, p in p_true.items():
        # equal to the yuan; the 0.1 km odometer is all that separates them
        assert abs(p_twin[dev]["premium_cny"] - p["premium_cny"]) <= 1.0, dev
        assert p_twin[dev]["premium_cny"] == pytest.approx(p["premium_cny"], rel=1e-3)


def test_lost_records_lose_events_and_the_fleet_report(small_run: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    from twins.behaviour import main

    stream, truth = generate_with_truth(_truth(small_run),
                                        EmitOptions(behaviour=WILD, loss=0.3))
    _ingest(small_run, tmp_path / "twin", stream, "jsonl")
    got = measured(tmp_path / "twin")
    lost = sum(t["harsh_braking"] for t in truth.to_pylist()) - sum(
        r["harsh_braking"] for r in got.to_pylist())
    assert lost > 0
    assert main([str(tmp_path / "twin"), "--csv", str(tmp_path / "p.csv"), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "premium_total_cny" in out
    assert len((tmp_path / "p.csv").read_text().splitlines()) == got.num_rows + 1
    assert main([str(tmp_path / "twin"), "--days", "-1"]) == 2
    assert "--days must be in (0, 3650] (got -1.0)" in capsys.readouterr().err


def test_speeds_follow_the_links_and_the_overspeed_bit(small_run: Path) -> None:
    stream, _ = generate_with_truth(_truth(small_run), EmitOptions(behaviour=WILD))
    loc = stream.filter(pa.compute.equal(stream.column("msg"), "location")).to_pydict()
    speed = np.array(loc["speed_kmh"], float)
    state = np.array(loc["state"], object)
    alarm = np.array(loc["alarm"], np.int64)
    moving = np.isin(state, ["to_pickup", "busy"])
    over = alarm & ALARM_OVERSPEED != 0
    edges = _truth(small_run).edges
    assert edges is not None
    limits = np.unique(edges.column("speed_kmh").to_numpy())
    assert over.any() and moving[over].all()
    # speeds vary report to report (not one average per leg) and stay under the fastest
    # link's limit unless speeding
    assert np.unique(np.round(speed[moving & ~over])).size > 20
    assert speed[moving & ~over].max() <= limits.max() * 0.98 + 1e-9
    assert speed[over].min() > limits.min()


def test_night_seconds() -> None:
    assert night_seconds(0.0, 86400.0) == 6 * 3600.0 + 2 * 3600.0
    assert night_seconds(21 * 3600.0, 23 * 3600.0) == 3600.0
    assert night_seconds(86400.0 + 5 * 3600.0, 86400.0 + 7 * 3600.0) == 3600.0
