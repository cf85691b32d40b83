"""IPTV twins: devices from a run, STB telemetry from a run, forks of a firmware campaign."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from sim.errors import DataError
from sim.results.rundir import read_json, read_table
from twins.emit import EmitOptions, generate, read_truth, write_jsonl
from twins.fork import fork, iptv_fork_point
from twins.ingest import Twin
from twins.setup import init_from_run

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "iptv_small_campaign.yaml"
N_BOXES = 1200
T_END = 1_704_124_800.0  # 2024-01-02 00:00 +08:00: the end of the base run (18:00 + 6 h)


@pytest.fixture(scope="module")
def iptv_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small campaign scenario without its campaign: evening viewing, boxes recorded."""
    out = tmp_path_factory.mktemp("iptv_runs")
    assert main(["run", str(SCENARIO), "--out", str(out), "--name", "base", "--quiet",
                 "--set", "events.firmware_campaign=null"]) == 0
    return out / "base"


def write_reports(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


def box_reports() -> tuple[list[dict], dict[str, np.ndarray]]:
    """Status reports: every 6th box offline, every 4th on 2.0, every 3rd watching a
    channel, every 50th (from 7) silent; box 1 watched a channel, then went to standby."""
    box = np.arange(N_BOXES)
    offline = box % 6 == 0
    upgraded = box % 4 == 0
    viewing = (box % 3 == 0) & ~offline
    silent = box % 50 == 7
    rows = [{"device": "stb-00000001", "ts_s": T_END - 500, "seq": 1, "msg": "status",
             "online": True, "channel": 5, "firmware": "1.0"}]
    for b in box[~silent].tolist():
        r = {"device": f"stb-{b:08d}", "ts_s": T_END - 60 + b % 50, "seq": 2,
             "msg": "status", "online": not offline[b],
             "firmware": "2.0" if upgraded[b] else "1.0", "access_node": f"port:{b // 64}"}
        if viewing[b]:
            r["channel"] = int(b % 40)
        rows.append(r)
    return rows, {"offline": offline & ~silent, "upgraded": upgraded & ~silent,
                  "viewing": viewing & ~silent, "silent": silent}


@pytest.fixture
def fed_twin(iptv_run: Path, tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    root = tmp_path / "twin"
    init_from_run(root, iptv_run)
    rows, truth = box_reports()
    with Twin(root) as twin:
        rep = twin.ingest([write_reports(tmp_path / "stb.jsonl", rows)])
    assert rep.accepted == len(rows) and rep.quarantined == 0
    return root, truth


def test_twin_from_an_iptv_run_knows_its_boxes(iptv_run: Path, tmp_path: Path) -> None:
    root = tmp_path / "t"
    init_from_run(root, iptv_run)
    with Twin(root, read_only=True) as twin:
        devices = twin.loaded.devices
    assert len(devices) == N_BOXES
    assert devices[17].id == "stb-00000017" and devices[17].entity == 17
    assert {d.kind for d in devices} == {"stb"} and devices[0].profile == "tianyi_hd_stb"


def test_fork_point_reads_box_states(fed_twin: tuple[Path, dict[str, np.ndarray]]) -> None:
    root, truth = fed_twin
    with Twin(root, read_only=True) as twin:
        point = iptv_fork_point(twin)
    init = point.initial_state
    assert point.twin_time_s == T_END - 11  # the latest report
    assert point.t0_s == pytest.approx(86400 - 11)  # 23:59:49 local time
    state = init.box_state(N_BOXES)
    assert (state[truth["offline"]] == 0).all()
    assert (state[truth["viewing"]] == 2).all()
    assert state[1] == 1  # the later standby report wins over the older channel
    assert (state[truth["silent"]] == -1).all()
    assert point.boxes is not None and point.boxes["boxes"] == N_BOXES - truth["silent"].sum()
    assert point.boxes["firmware"]["2.0"] == truth["upgraded"].sum()


def test_fork_upgrades_only_the_rest(fed_twin: tuple[Path, dict[str, np.ndarray]],
                                     tmp_path: Path) -> None:
    root, truth = fed_twin
    run = fork(root, str(SCENARIO), ["horizon_s=14400"], out=tmp_path / "runs", name="f")
    origin = read_json(run / "manifest.json")["forked_from"]
    assert origin["offline"] == truth["offline"].sum()
    assert origin["viewing"] == truth["viewing"].sum()
    assert origin["t0_s"] == pytest.approx(86400 - 11)  # the reports end before midnight
    kpis = read_json(run / "kpis.json")
    expected = ~truth["offline"] & ~truth["upgraded"]  # silent boxes: 1.0, online
    assert kpis["fw_boxes"] == expected.sum()
    assert kpis["fw_done_share"] > 0.99
    boxes = read_table(run, "tables/boxes.parquet", 0).to_pandas().sort_values("box")
    targeted = (boxes["fw_outcome"] != "not_targeted").to_numpy()
    assert (targeted == expected).all()
    assert (boxes["firmware"].to_numpy()[truth["upgraded"]] == "2.0").all()
    net = pq.read_table(run / "timeseries/network.parquet").to_pandas()
    assert net["offline"].iloc[0] == pytest.approx(truth["offline"].sum())
    online = net[["standby", "live", "vod", "ad", "call"]].iloc[0].sum()
    assert online == pytest.approx(N_BOXES - truth["offline"].sum())
    again = fork(root, str(SCENARIO), ["horizon_s=14400"], out=tmp_path / "runs", name="g")
    assert read_json(again / "kpis.json") == kpis


def test_emitted_stb_stream_recovers_the_run_end_state(iptv_run: Path, tmp_path: Path) -> None:
    root = tmp_path / "twin"
    init_from_run(root, iptv_run)
    table = generate(read_truth(iptv_run), EmitOptions(duplicate=0.05, reorder_s=5.0))
    with (tmp_path / "s.jsonl").open("w", encoding="utf-8") as fh:
        write_jsonl(table, fh)
    with Twin(root) as twin:
        rep = twin.ingest([tmp_path / "s.jsonl"])
        st = twin.device_states().to_pandas().set_index("device")
        point = iptv_fork_point(twin)
    assert rep.read == table.num_rows and rep.accepted == N_BOXES
    truth = read_table(iptv_run, "tables/boxes.parquet", 0).to_pandas().set_index("device")
    st = st.loc[truth.index]
    assert ((st["online"] > 0.5) == (truth["state"] != "offline")).all()
    assert (st["firmware"] == truth["firmware"]).all()
    live = truth["state"] == "live"
    assert (st["channel"][live] == truth["channel"][live]).all()
    assert (st["access_node"] == truth["access_node"]).all()
    state = point.initial_state.box_state(N_BOXES)[truth["box"].to_numpy()]
    assert ((state == 2) == truth["state"].isin(["live", "vod"]).to_numpy()).all()


def test_bad_twin_state_is_a_clear_error(iptv_run: Path, tmp_path: Path) -> None:
    from tests.twins.conftest import make_twin

    root = make_twin(tmp_path / "t", [("stb-00000003", "stb", None, None),
                                      ("box-far", "stb", None, 5000),
                                      ("box-old", "stb", None, 4)],
                     clock="none")
    write_reports(tmp_path / "r.jsonl", [
        {"device": "stb-00000003", "ts_s": T_END, "online": True, "firmware": "1.0"},
        {"device": "box-far", "ts_s": T_END, "online": True, "firmware": "1.0"},
        {"device": "box-old", "ts_s": T_END, "online": True, "firmware": "0.9"}])
    with Twin(root) as twin:
        twin.ingest([tmp_path / "r.jsonl"])
    with pytest.raises(DataError, match=r"box: 1 box indices outside the population "
                       r"\(0\.\.1199\), e\.g\. stb-00005000"):
        fork(root, str(SCENARIO), out=tmp_path / "runs")
    assert main(["twin", "fork", str(root), str(SCENARIO), "--out", str(tmp_path / "runs"),
                 "--quiet", "--set", "horizon_s=600"]) == 2


def test_unknown_firmware_is_a_clear_error(tmp_path: Path) -> None:
    from tests.twins.conftest import make_twin

    root = make_twin(tmp_path / "t", [("stb-00000003", "stb", None, None),
                                      ("box-old", "stb", None, 4)], clock="none")
    write_reports(tmp_path / "r.jsonl", [
        {"device": "stb-00000003", "ts_s": T_END, "online": True, "firmware": "1.0"},
        {"device": "box-old", "ts_s": T_END, "online": True, "firmware": "0.9"}])
    with Twin(root) as twin:
        twin.ingest([tmp_path / "r.jsonl"])
    with pytest.raises(DataError, match=r"firmware: 1 boxes run firmware the campaign does not "
                       r"upgrade from .*stb-00000004.*0\.9"):
        fork(root, str(SCENARIO), out=tmp_path / "runs")


def test_cli_fork_and_emit(fed_twin: tuple[Path, dict[str, np.ndarray]], iptv_run: Path,
                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, truth = fed_twin
    assert main(["twin", "fork", str(root), str(SCENARIO), "--out", str(tmp_path / "runs"),
                 "--name", "cli", "--quiet", "--set", "horizon_s=3600"]) == 0
    out = capsys.readouterr().out
    assert f"{N_BOXES - truth['silent'].sum()} boxes ({truth['offline'].sum()} offline" in out
    assert main(["twin", "emit", str(iptv_run), "--out", str(tmp_path / "s.jsonl")]) == 0
    lines = (tmp_path / "s.jsonl").read_text().splitlines()
    assert len(lines) == N_BOXES and json.loads(lines[0])["kind"] == "stb"
    assert main(["twin", "emit", str(iptv_run), "--format", "jt808",
                 "--out", str(tmp_path / "s.bin")]) == 2
    assert "JT/T 808 frames carry vehicle terminal reports only" in capsys.readouterr().err


def test_random_site_sizes_fork_with_one_replication(
        fed_twin: tuple[Path, dict[str, np.ndarray]], tmp_path: Path) -> None:
    root, _ = fed_twin
    sets = ["site_groups[0].boxes_per_site=" + json.dumps(
        {"family": "normal", "mean": 60, "sd": 5}), "horizon_s=600"]
    with pytest.raises(DataError, match=r"replications: site groups with random "
                       r"boxes_per_site \(hubei_hotel\) .* one replication"):
        fork(root, str(SCENARIO), sets, out=tmp_path / "runs", replications=2)


def test_fork_from_a_runs_own_telemetry_continues_like_the_run(tmp_path: Path) -> None:
    """Run 18:00-21:00, feed a twin with its STB reports, fork 21:00-24:00; compare with
    the same scenario run 18:00-24:00 (last three hours)."""
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import run_scenario
    from sim.results.rundir import write_run

    base = ["events.firmware_campaign=null", "site_groups[0].sites=60",
            "site_groups[1].sites=90"]
    first = write_run(run_scenario(load_scenario(SCENARIO, base + ["horizon_s=10800"])),
                      tmp_path, name="first")
    whole = run_scenario(load_scenario(SCENARIO, base + ["horizon_s=21600"]))
    init_from_run(tmp_path / "twin", first)
    with (tmp_path / "s.jsonl").open("w", encoding="utf-8") as fh:
        write_jsonl(generate(read_truth(first), EmitOptions()), fh)
    with Twin(tmp_path / "twin") as twin:
        twin.ingest([tmp_path / "s.jsonl"])
    run = fork(tmp_path / "twin", str(SCENARIO), base + ["horizon_s=10800"],
               out=tmp_path, name="fork")
    cols = ["live", "vod", "standby", "ad", "call"]
    got = pq.read_table(run / "timeseries/network.parquet").to_pandas()[cols]
    ref = whole.replications[0].series["network"].to_pandas()
    ref = ref[ref.t_s >= 10800][cols].reset_index(drop=True)
    end = read_table(first, "tables/boxes.parquet", 0).to_pandas()["state"]
    viewing_end = end.isin(["live", "vod"]).sum()
    assert abs(got.iloc[0][["live", "vod"]].sum() - viewing_end) < 0.05 * viewing_end
    for name, fork_mean, run_mean in (
            ("viewing", (got.live + got.vod).mean(), (ref.live + ref.vod).mean()),
            ("standby", got.standby.mean(), ref.standby.mean())):
        assert abs(fork_mean / run_mean - 1) < 0.05, (name, fork_mean, run_mean)
