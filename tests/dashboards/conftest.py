"""A results folder made by the real city model (small), plus broken and synthetic entries.

- ``taxi-nearest``: city_taxi, small city, one replication.
- ``taxi-batch``: the same with batch matching and two replications (confidence intervals).
- ``iptv-hotel``: the IPTV hotel district scenario, one hour (per-port, per-OLT and
  per-province tables, long-format series).
- ``hotline``: the support hotline (queue), four hours, two replications (an UNCERTAIN SLA).
- ``sweep-taxi/``: a sweep folder, two fleet sizes x two replications.
- ``national-synthetic``: a run directory in ``write_run``'s layout with a per-province and a
  per-access-node table, written here (no model of that kind is needed to test the views).
- problem entries: a corrupt manifest, a half-written ``.tmp-`` directory, a run without
  KPIs, a run whose Parquet files are damaged, and an older-schema run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.cli.main import main

SMALL = [
    "--set", "fleets.taxis.count=60",
    "--set", "demand.requests_per_day=2000",
    "--set", "world.network.rows=12",
    "--set", "world.network.cols=12",
    "--set", "horizon_s=21600",
    "--set", "start_time_s=25200",
    "--set", "warmup_s=1800",
    "--set", "demand.zones={downtown: {center_km: [2.2, 2.2], radius_km: 1.0, weight: 2.0}}",
    "--quiet",
]
GOOD = ["taxi-nearest", "taxi-batch", "iptv-hotel", "hotline", "national-synthetic"]
PROBLEMS = ["broken-manifest", ".tmp-halfway-1234abcd", "no-kpis", "bad-parquet", "old-schema"]


def _synthetic_national(root: Path) -> Path:
    run = root / "national-synthetic"
    (run / "tables").mkdir(parents=True)
    (run / "timeseries").mkdir()
    provinces = ["Guangdong", "Sichuan", "Jiangsu", "Tibet", "Beijing", "Inner Mongolia"]
    rng = np.random.default_rng(7)
    peak = rng.uniform(0.3, 0.95, len(provinces))
    pq.write_table(pa.table({"province": provinces, "peak_util": peak,
                             "boxes": rng.integers(1000, 5000, len(provinces)),
                             "sla_pass": peak <= 0.8,
                             "replication": [0] * len(provinces)}),
                   run / "tables" / "provinces.parquet")
    pq.write_table(pa.table({"access_node": [f"olt-{i}" for i in range(40)],
                             "peak_util": rng.uniform(0.1, 1.0, 40),
                             "mean_mbps": rng.uniform(100, 900, 40),
                             "replication": [0] * 40}),
                   run / "tables" / "access_nodes.parquet")
    t = np.arange(0, 86400, 900.0)
    pq.write_table(pa.table({"t_s": t, "pon_util": 0.4 + 0.3 * np.sin(t / 86400 * 2 * np.pi),
                             "viewers": 1000 + 500 * np.cos(t / 86400 * 2 * np.pi),
                             "replication": np.zeros(t.size, np.int32)}),
                   run / "timeseries" / "network.parquet")
    manifest = {"schema_version": 1, "run_id": run.name, "scenario": "national_synthetic",
                "kind": "iptv_synthetic", "seed": 1, "replications": 1,
                "created_utc": "2026-01-01T00:00:00+00:00", "wall_s": 1.0}
    (run / "manifest.json").write_text(json.dumps(manifest))
    (run / "kpis.json").write_text(json.dumps({"pon_peak_util": float(peak.max()),
                                               "vod_blocking": 0.004}))
    (run / "sla.json").write_text(json.dumps([
        {"kpi": "pon_peak_util", "op": "<=", "threshold": 0.8, "name": "PON peak <= 80%",
         "passed": bool(peak.max() <= 0.8), "value": float(peak.max())}]))
    (run / "scenario.yaml").write_text("name: national_synthetic\nkind: iptv_synthetic\n")
    return run


def _problems(root: Path, good: Path) -> None:
    (root / "broken-manifest").mkdir()
    (root / "broken-manifest" / "manifest.json").write_text("{not json")
    (root / ".tmp-halfway-1234abcd").mkdir()
    (root / ".tmp-halfway-1234abcd" / "scenario.yaml").write_text("name: x\n")
    nokpi = root / "no-kpis"
    shutil.copytree(good, nokpi)
    (nokpi / "kpis.json").unlink()
    bad = root / "bad-parquet"
    shutil.copytree(good, bad)
    (bad / "timeseries" / "fleet.parquet").write_bytes(b"PAR1 this is not parquet")
    data = (bad / "tables" / "requests.parquet").read_bytes()
    (bad / "tables" / "requests.parquet").write_bytes(data[: len(data) // 2])
    (bad / "tables" / "vehicle_events.parquet").unlink()
    old = root / "old-schema"
    shutil.copytree(good, old)
    manifest = json.loads((old / "manifest.json").read_text())
    for key in ("schema_version", "kind", "replications"):
        manifest.pop(key, None)
    (old / "manifest.json").write_text(json.dumps(manifest))
    for name in ("kpis_ci.json", "sla.json", "replications.parquet"):
        (old / name).unlink()


@pytest.fixture(scope="session")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture results folder (see the module docstring)."""
    root = tmp_path_factory.mktemp("results")
    assert main(["run", "city_taxi", "--out", str(root), "--name", "taxi-nearest", *SMALL]) == 0
    assert main(["run", "city_taxi", "--out", str(root), "--name", "taxi-batch", *SMALL,
                 "--set", "policies.dispatch.algorithm=batch_matching",
                 "--set", "policies.dispatch.batch_window_s=30", "--replications", "2"]) == 0
    assert main(["run", "iptv_hotel_district", "--out", str(root), "--name", "iptv-hotel",
                 "--set", "horizon_s=3600", "--set", "warmup_s=0", "--quiet"]) == 0
    assert main(["run", "hotline_support", "--out", str(root), "--name", "hotline",
                 "--set", "horizon_s=14400", "--set", "warmup_s=1800", "--replications", "2",
                 "--quiet"]) == 0
    assert main(["sweep", "city_taxi", "--out", str(root / "sweep-taxi"), "--workers", "0",
                 "--grid", "fleets.taxis.count=40,60", "--replications", "2",
                 *SMALL]) == 0
    _synthetic_national(root)
    _problems(root, root / "taxi-nearest")
    return root


@pytest.fixture()
def empty_results(tmp_path: Path) -> Path:
    root = tmp_path / "empty"
    root.mkdir()
    return root
