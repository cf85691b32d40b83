"""Boxes-online drift of an IPTV twin against the boxes-online series of iptv runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.cli.main import main
from sim.results.rundir import read_table
from twins.drift import findings, measure_drift, predictions_from_run
from twins.emit import EmitOptions, generate, read_truth, write_jsonl
from twins.ingest import Twin
from twins.setup import init_from_run

SCENARIO = Path(__file__).parent / "data" / "iptv_small_campaign.yaml"
HOTEL_PORTS = {f"port:{i}" for i in range(10)}  # the ten hotel sites, one PON port each


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small campaign scenario; the same with 40 instead of 60 boxes per hotel; and the
    same without its campaign but a power cut to the hotels 20 minutes before the end."""
    out = tmp_path_factory.mktemp("iptv_drift_runs")
    assert main(["run", str(SCENARIO), "--out", str(out), "--name", "base", "--quiet"]) == 0
    assert main(["run", str(SCENARIO), "--out", str(out), "--name", "fewer", "--quiet",
                 "--set", "site_groups[0].boxes_per_site=40"]) == 0
    assert main(["run", str(SCENARIO), "--out", str(out), "--name", "storm", "--quiet",
                 "--set", "events.firmware_campaign=null", "--set",
                 "events.boot_storm={at_s: 20400, outage_s: 3600, site_groups: [hubei_hotel]}"]
                ) == 0
    return out


@pytest.fixture(scope="module")
def twin_root(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A twin of the base run fed with the STB status reports of that run."""
    tmp = tmp_path_factory.mktemp("iptv_drift_twin")
    root = tmp / "twin"
    init_from_run(root, runs / "base")
    stream = tmp / "stb.jsonl"
    with stream.open("w", encoding="utf-8") as fh:
        write_jsonl(generate(read_truth(runs / "base"), EmitOptions()), fh)
    with Twin(root) as twin:
        rep = twin.ingest([stream])
    assert rep.accepted == 1200 and rep.quarantined == 0
    return root


@pytest.mark.parametrize("name", ["base", "storm"])
def test_series_counts_boxes_not_offline_per_node(runs: Path, name: str) -> None:
    series = read_table(runs / name, "timeseries/online_by_node.parquet", 0)
    boxes = read_table(runs / name, "tables/boxes.parquet", 0).to_pandas()
    t = np.asarray(series.column("t_s"))
    assert np.unique(t).tolist() == [300.0 * k for k in range(1, 73)]  # every record interval
    last = series.filter(series.column("t_s").to_numpy() == t.max()).to_pandas()
    expect = boxes[boxes.state != "offline"].groupby("access_node").size()
    got = last.set_index("access_node")["online"]
    assert got.sum() == len(boxes) - int((boxes.state == "offline").sum())
    assert (got.reindex(expect.index) == expect).all()
    assert set(series.column("access_node").to_pylist()) == set(boxes.access_node)
    hotel = got.reindex(sorted(HOTEL_PORTS)).to_numpy()
    assert (hotel == 0).all() if name == "storm" else (hotel == 60).all()


def test_predictions_close_the_window_of_the_last_count(runs: Path) -> None:
    pred = predictions_from_run(runs / "base", 600.0)
    # 18:00 + 6 h: the last count (t = 21,600 s, midnight) predicts the window 23:50-24:00
    assert pred.column("t_s").to_numpy().max() == 86400.0 - 600.0
    assert set(pred.column("measure").to_pylist()) == {"boxes_online"}
    t_s = pred.column("t_s").to_numpy()
    assert t_s.min() == 18 * 3600.0 and len(pred) == 25 * 36  # 25 nodes, 36 windows


def test_drift_against_its_own_run_finds_nothing(twin_root: Path, runs: Path) -> None:
    with Twin(twin_root, read_only=True) as twin:
        explicit = measure_drift(twin, predictions=runs / "base")
        default = measure_drift(twin)  # the twin's reference run is the base run
        assert findings(explicit, twin) == [] and findings(default, twin) == []
    online = {m.key: m for m in explicit if m.measure == "boxes_online"}
    assert len(online) == 25 and [m.key for m in default] == [m.key for m in explicit]
    assert all(abs(m.drift) < 0.1 for m in online.values())


def test_drift_against_a_smaller_population_names_the_nodes(twin_root: Path, runs: Path,
                                                            capsys: pytest.CaptureFixture) -> None:
    with Twin(twin_root, read_only=True) as twin:
        found = findings(measure_drift(twin, predictions=runs / "fewer"), twin)
    assert {f.key for f in found} == HOTEL_PORTS
    assert all(f.measure == "boxes_online" and f.drift > 0.4 for f in found)
    assert all("boxes_per_site" in f.recalibrate and "tianyi_hd_stb" in f.recalibrate
               for f in found)
    assert main(["twin", "drift", str(twin_root), "--predictions", str(runs / "fewer")]) == 1
    assert "recalibrate scenario site_groups[].boxes_per_site" in capsys.readouterr().out


def test_run_without_boxes_has_no_series_and_drift_says_so(tmp_path: Path,
                                                           twin_root: Path) -> None:
    assert main(["run", str(SCENARIO), "--out", str(tmp_path), "--name", "quiet", "--quiet",
                 "--set", "record_boxes=false", "--set", "horizon_s=1200"]) == 0
    assert not (tmp_path / "quiet" / "timeseries" / "online_by_node.parquet").exists()
    assert main(["twin", "drift", str(twin_root), "--predictions",
                 str(tmp_path / "quiet")]) == 2
