"""The twin's 10-minute operations stream and the abnormal-event monitor."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from sim.opsstream.catalogue import STATISTICS
from tests.twins.conftest import make_twin
from twins.ingest import Twin
from twins.opsstream import TWIN_STATISTICS, read_stream

EPOCH = 1704038400.0  # 2024-01-01 00:00 +08:00
T0 = EPOCH + 8 * 3600  # 08:00 local, a window start


def _records() -> list[dict]:
    v1, v2 = "013800000001", "013800000002"
    recs = []
    for k in range(20):  # two vehicles every 30 s through the first window
        t = T0 + 30 * k
        recs.append({"device": v1, "ts_s": t, "seq": k, "lon": 116.4, "lat": 39.9,
                     "speed_kmh": 40.0, "odometer_km": 100 + 0.333 * k, "state": "busy",
                     "alarm": 2 if k < 3 else 0, "driver": "d1"})
        recs.append({"device": v2, "ts_s": t, "seq": k, "lon": 116.4, "lat": 39.9,
                     "speed_kmh": 0.0, "odometer_km": 50.0, "state": "idle",
                     "alarm": 1 if k == 5 else 0, "driver": "d2"})
    recs += [
        {"device": "stb-1", "ts_s": T0 + 10, "online": True, "channel": 5},
        {"device": "stb-2", "ts_s": T0 + 20, "online": True, "channel": 7},
        {"device": "stb-2", "ts_s": T0 + 400, "online": True, "channel": 5,
         "error_code": "E12"},
        {"device": "TYC-NEW0000001", "ts_s": T0 + 30, "msg": "register", "kind": "camera",
         "model": "shop_1080p"},
        {"device": "TYC-NEW0000001", "ts_s": T0 + 90, "kind": "camera", "streaming": True,
         "bitrate_kbps": 2000.0, "upload_mb": 150.0},
        {"device": "cam-1", "ts_s": T0 + 60, "kind": "camera", "streaming": False,
         "bitrate_kbps": 1000.0, "upload_mb": 50.0},
        # the next window: one vehicle only, so the first is complete
        {"device": v1, "ts_s": T0 + 610, "seq": 99, "lon": 116.4, "lat": 39.9,
         "speed_kmh": 30.0},
        {"device": v1, "ts_s": T0 + 1210, "seq": 100, "lon": 116.4, "lat": 39.9,
         "speed_kmh": 30.0},
    ]
    return recs


@pytest.fixture
def fed_twin(tmp_path: Path) -> Path:
    root = make_twin(tmp_path / "twin", [
        ("013800000001", "vehicle", "jt808_basic", 1),
        ("013800000002", "vehicle", "jt808_basic", 2),
        ("013800000003", "vehicle", "jt808_basic", 3),
        ("stb-1", "stb", "tianyi_hd_stb", None),
        ("stb-2", "stb", "tianyi_hd_stb", None),
        ("cam-1", "camera", None, None),
    ], clock="none")
    (root / "districts.csv").write_text(
        "device,district\n013800000001,Xicheng\n013800000002,Xicheng\n"
        "013800000003,Dongcheng\nstb-1,Xicheng\nstb-2,Dongcheng\ncam-1,Dongcheng\n",
        encoding="utf-8")
    src = tmp_path / "feed.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in _records()), encoding="utf-8")
    with Twin(root) as twin:
        rep = twin.ingest([src])
    assert rep.quarantined == 0
    return root


def _value(df: pd.DataFrame, district: str, stat: str, t: float = T0) -> float:
    sel = df[(df.district == district) & (df.statistic == stat) & (df.window_start_s == t)]
    assert len(sel) == 1, (district, stat)
    return float(sel["value"].iloc[0])


def test_the_stream_has_at_least_30_named_statistics() -> None:
    assert len(TWIN_STATISTICS) >= 30
    assert set(TWIN_STATISTICS) <= set(STATISTICS)


def test_window_statistics_per_district(fed_twin: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["twin", "opsstream", str(fed_twin), "--quiet"]) == 0
    assert "2 windows of 600 s written" in capsys.readouterr().out
    df = read_stream(fed_twin).to_pandas()  # type: ignore[union-attr]
    assert set(df.district) == {"Xicheng", "Dongcheng", "(unassigned)"}
    x = "Xicheng"
    assert _value(df, x, "vehicles_online") == 2
    assert _value(df, x, "vehicles_moving") == 1
    assert _value(df, x, "vehicles_idle") == 1
    assert _value(df, x, "vehicles_busy") == 1
    assert _value(df, x, "location_reports") == 40
    assert _value(df, x, "km_driven") == pytest.approx(19 * 0.333)
    assert _value(df, x, "mean_speed_kmh") == pytest.approx(40.0)
    assert _value(df, x, "alarms_overspeed") == 3
    assert _value(df, x, "alarms_emergency") == 1
    assert _value(df, x, "alarms_total") == 4
    assert _value(df, x, "drivers_active") == 2
    assert _value(df, x, "boxes_online") == 1
    d = "Dongcheng"
    assert _value(df, d, "vehicles_online") == 0
    assert _value(df, d, "devices_silent") == 1  # the third vehicle never reported
    assert _value(df, d, "channels_watched") == 1  # stb-2's latest status: channel 5
    assert _value(df, d, "stb_errors") == 1
    assert _value(df, d, "cameras_online") == 1
    assert _value(df, d, "camera_upload_gb") == pytest.approx(0.05)
    u = "(unassigned)"  # the self-registered camera is in no district yet
    assert _value(df, u, "camera_registrations") == 1
    assert _value(df, u, "cameras_streaming") == 1
    assert _value(df, u, "camera_upload_gb") == pytest.approx(0.15)
    assert _value(df, x, "vehicles_online", T0 + 600) == 1
    # nothing new: nothing written again
    assert main(["twin", "opsstream", str(fed_twin), "--quiet"]) == 0
    assert "0 windows" in capsys.readouterr().out


def _run_with_prediction(tmp_path: Path, cams: float) -> Path:
    run = tmp_path / "run"
    (run / "timeseries").mkdir(parents=True)
    (run / "scenario.yaml").write_text("start_hour: 8\n", encoding="utf-8")
    rows = {"t_s": [0.0, 0.0, 600.0], "window_s": [600.0] * 3,
            "district": ["Dongcheng", "Xicheng", "Dongcheng"],
            "statistic": ["cameras_online", "cameras_online", "cameras_online"],
            "value": [cams, 0.0, cams], "replication": [0, 0, 0]}
    pq.write_table(pa.table(rows), run / "timeseries" / "opsstream.parquet")
    return run


def test_monitor_flags_a_statistic_outside_its_band(fed_twin: Path, tmp_path: Path,
                                                    capsys) -> None:  # type: ignore[no-untyped-def]
    main(["twin", "opsstream", str(fed_twin), "--quiet"])
    capsys.readouterr()
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {statistic: cameras_online, absolute: 2, sigmas: 0}\n",
                     encoding="utf-8")
    out = tmp_path / "incidents.csv"
    run = _run_with_prediction(tmp_path, cams=40.0)
    code = main(["twin", "monitor", str(fed_twin), "--rules", str(rules), "--run", str(run),
                 "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 1
    assert "Cameras online (cameras)" in text  # a label, not the raw name
    found = pd.read_csv(out)
    assert found[["district", "statistic"]].values.tolist() == [
        ["Dongcheng", "cameras_online"], ["Dongcheng", "cameras_online"]]
    assert found["observed"].tolist() == [1.0, 0.0]
    assert found["departure"].tolist() == [-39.0, -40.0]
    assert found["departure_bands"].iloc[0] == pytest.approx(-19.5)
    # within the band: no incident
    run = _run_with_prediction(tmp_path / "b", cams=2.0)
    assert main(["twin", "monitor", str(fed_twin), "--rules", str(rules), "--run",
                 str(run)]) == 0


def test_unknown_statistic_in_a_rule_exits_2(fed_twin: Path, tmp_path: Path,
                                             capsys) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {statistic: cameras_onlien, relative: 0.1}\n",
                     encoding="utf-8")
    code = main(["twin", "monitor", str(fed_twin), "--rules", str(rules), "--run",
                 str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "rules.yaml" in err
    assert "rules[0].statistic" in err
    assert "cameras_onlien" in err


def test_bad_districts_file_exits_2(fed_twin: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "d.csv"
    bad.write_text("id,area\nx,y\n", encoding="utf-8")
    code = main(["twin", "opsstream", str(fed_twin), "--districts", str(bad), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "d.csv" in err and "device,district" in err


def test_ingest_writes_windows_as_they_complete(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    root = make_twin(tmp_path / "twin", [
        ("013800000001", "vehicle", "jt808_basic", 1),
        ("013800000002", "vehicle", "jt808_basic", 2),
        ("stb-1", "stb", "tianyi_hd_stb", None), ("stb-2", "stb", "tianyi_hd_stb", None),
        ("cam-1", "camera", None, None)], clock="none")
    src = tmp_path / "feed.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in _records()), encoding="utf-8")
    assert main(["twin", "ingest", str(root), str(src), "--quiet", "--opsstream"]) == 0
    # the latest report is 1210 s after the first window's start; with 600 s of lateness
    # only the first window is complete
    assert "operations stream: 1 windows written" in capsys.readouterr().out
    df = read_stream(root).to_pandas()  # type: ignore[union-attr]
    assert set(df["window_start_s"]) == {T0}
    assert _value(df, "(unassigned)", "vehicles_online") == 2


def test_parts_from_before_the_camera_columns_are_read(tmp_path: Path) -> None:
    import numpy as np

    from twins.opsstream import window_statistics
    from twins.records import COLUMNS
    from twins.store import Store

    store = Store(tmp_path / "twin.duckdb")
    old = pa.table({c: pa.nulls(2, t) for c, t in COLUMNS.items()
                    if c not in ("model", "upload_mb")})
    old = old.set_column(0, "device", pa.array(["cam-old", "cam-old"]))
    old = old.set_column(1, "ts_s", pa.array([T0 + 1.0, T0 + 2.0]))
    old = old.set_column(3, "kind", pa.array(["camera", "camera"]))
    new = pa.table({c: pa.nulls(1, t) for c, t in COLUMNS.items()})
    new = new.set_column(0, "device", pa.array(["cam-new"]))
    new = new.set_column(1, "ts_s", pa.array([T0 + 3.0]))
    new = new.set_column(3, "kind", pa.array(["camera"]))
    new = new.set_column(list(COLUMNS).index("upload_mb"), "upload_mb", pa.array([500.0]))
    for table in (old, new):
        with store.transaction():
            store.add_records(table, 1, np.arange(table.num_rows))
    empty = pa.table({"device": pa.array([], pa.string()),
                      "district": pa.array([], pa.string())})
    df = window_statistics(store, empty, {}, T0, 600.0).to_pandas()
    assert _value(df, "(unassigned)", "cameras_online") == 2
    assert _value(df, "(unassigned)", "camera_upload_gb") == pytest.approx(0.5)
