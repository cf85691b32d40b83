"""Run directories: atomic writes, contents, compare with DuckDB, listings."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario
from sim.results.rundir import write_run
from sim.results.store import find_runs, kpi_rows


@pytest.fixture
def result(small_taxi):
    return run_scenario(load_scenario("city_taxi", small_taxi + ["horizon_s=7200"]))


def test_run_directory_contents(tmp_path, result):
    run = write_run(result, tmp_path, name="r1")
    names = {p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()}
    assert {"manifest.json", "scenario.yaml", "profiles.yaml", "kpis.json", "kpis_ci.json",
            "sla.json", "replications.parquet", "timeseries/fleet.parquet",
            "tables/requests.parquet", "tables/vehicle_events.parquet", "tables/vehicles.parquet",
            "tables/nodes.parquet", "tables/edges.parquet"} <= names
    man = json.loads((run / "manifest.json").read_text())
    assert man["seed"] == 42 and man["scenario"] == "city_taxi" and man["host"]["hostname"]
    assert man["wall_s"] > 0 and man["fleettwin_version"]
    fleet = pq.read_table(run / "timeseries/fleet.parquet")
    assert {"t_s", "idle", "busy", "wait_mean_s", "replication"} <= set(fleet.column_names)
    sla = json.loads((run / "sla.json").read_text())
    assert {s["kpi"] for s in sla} == {"wait_p95_s", "service_rate", "deadhead_ratio"}


def test_crash_leaves_no_finished_looking_run(tmp_path, result, monkeypatch):
    import sim.results.rundir as rd

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rd, "dump_json", boom)
    with pytest.raises(RuntimeError):
        write_run(result, tmp_path, name="crashed")
    assert list(tmp_path.iterdir()) == []


def test_compare_prints_deltas_and_sla(tmp_path, small_taxi, capsys):
    sets = sum((["--set", o] for o in small_taxi), [])
    assert main(["run", "--quiet", "--out", str(tmp_path), "--name", "greedy", *sets]) == 0
    assert main(["run", "--quiet", "--out", str(tmp_path), "--name", "batch", *sets,
                 "--set", "policies.dispatch.algorithm=batch_matching"]) == 0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "greedy"), str(tmp_path / "batch")]) == 0
    out = capsys.readouterr().out
    assert "wait_mean_s" in out and "Δ[1]-[0]" in out and "SLA p95 wait <= 8 min" in out
    assert "%" in out
    rows = kpi_rows(find_runs([tmp_path]))
    assert [r["run"] for r in rows] == ["batch", "greedy"]
    assert all(r["requests"] > 0 for r in rows)


def test_compare_runs_a_scenario_given_by_name(tmp_path, small_taxi, capsys):
    sets = sum((["--set", o] for o in small_taxi + ["horizon_s=3600", "warmup_s=0"]), [])
    assert main(["compare", "city_taxi", "--quiet", "--out", str(tmp_path), *sets,
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["runs"]) == 1 and "wait_p95_s" in data["kpis"]


def test_listings(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "city_taxi" in out and "city_logistics" in out
    assert main(["profiles", "--kind", "vehicle"]) == 0
    out = capsys.readouterr().out
    assert "sedan_ice@1" in out and "jt808" not in out
