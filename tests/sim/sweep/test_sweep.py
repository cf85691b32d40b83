"""Sweeps: determinism across worker counts, resume after interruption, bad grids, summary."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario
from sim.errors import ScenarioError
from sim.results.rundir import is_run_dir
from sim.results.store import find_runs, query
from sim.sweep.grid import build_plan, split_values
from sim.sweep.runner import run_sweep
from sim.sweep.summary import summarise

SMALL = ["horizon_s=5400", "warmup_s=600", "batches=3", "record_interval_s=1800"]


def _plan(grid: list[str], reps: int = 2):  # type: ignore[no-untyped-def]
    return build_plan("hotline_support", grid, replications=reps, base_overrides=SMALL)


def _kpis(out: Path) -> dict[str, dict]:
    return {r.name: json.loads((r / "kpis.json").read_text()) for r in find_runs([out])}


def test_same_runs_on_one_worker_or_two(tmp_path: Path) -> None:
    plan = _plan(["agents=20,23"])
    one = run_sweep(plan, tmp_path / "one", workers=1, progress=False)
    two = run_sweep(plan, tmp_path / "two", workers=2, progress=False)
    assert not one.failed and not two.failed
    a, b = _kpis(tmp_path / "one"), _kpis(tmp_path / "two")
    assert sorted(a) == sorted(s.name for s in plan.runs()) == sorted(b)
    assert a == b
    for name in a:
        t1 = pq.read_table(tmp_path / "one" / name / "tables" / "calls.parquet")
        t2 = pq.read_table(tmp_path / "two" / name / "tables" / "calls.parquet")
        assert t1.equals(t2)
    # run r of a point is replication r of the plain scenario run with the same overrides
    loaded = load_scenario("hotline_support", SMALL + ["agents=23"])
    direct = run_scenario(loaded, replications=2)
    for r in range(2):
        name = next(s.name for s in plan.runs() if "agents23" in s.name and s.replication == r)
        assert a[name] == pytest.approx(direct.replications[r].kpis, nan_ok=True)


def test_resume_after_interruption_has_no_duplicate_or_missing_runs(tmp_path: Path) -> None:
    plan = _plan(["agents=20,22,24"], reps=2)  # 6 runs
    out = tmp_path / "sweep"
    seen: list[str] = []

    def stop_after_two(name: str) -> None:
        seen.append(name)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, out, workers=1, progress=False, on_done=stop_after_two)
    first = {r.name: (r / "manifest.json").stat().st_mtime_ns for r in find_runs([out])}
    assert 2 <= len(first) < 6
    # a worker killed mid-write leaves a hidden temporary; it is not a run and gets cleaned
    stale = out / f".tmp-{plan.runs()[-1].name}-deadbeef"
    stale.mkdir()
    again = run_sweep(plan, out, workers=1, progress=False)
    assert sorted(again.skipped) == sorted(first)
    assert sorted(again.ran + again.skipped) == sorted(s.name for s in plan.runs())
    assert not set(again.ran) & set(first)
    runs = find_runs([out])
    assert sorted(r.name for r in runs) == sorted(s.name for s in plan.runs())
    assert not stale.exists()
    for r in runs:
        if r.name in first:  # finished runs were not redone
            assert (r / "manifest.json").stat().st_mtime_ns == first[r.name]
    # a third start has nothing to do
    third = run_sweep(plan, out, workers=0, progress=False)
    assert third.ran == [] and len(third.skipped) == 6


def test_bad_grid_is_reported_before_anything_runs(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "never"
    code = main(["sweep", "hotline_support", "--grid", "agentz=1,2", "--grid", "agents=20,x",
                 "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "hotline_support.yaml" in err
    assert "agentz: unknown field" in err and err.count("agentz: unknown field") == 1
    assert "agents: Input should be a valid integer" in err and "(got 'x')" in err
    assert "grid point agentz=1, agents=x" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_bad_grid_syntax_and_types() -> None:
    with pytest.raises(ScenarioError, match=r"--grid agents: empty value in grid"):
        _plan(["agents=20,"])
    with pytest.raises(ScenarioError, match=r"grid must look like path=v1,v2"):
        _plan(["agents"])
    with pytest.raises(ScenarioError, match=r"calls\.per_h: Input should be a valid number"):
        _plan(["calls.per_h=100,lots"])
    with pytest.raises(ScenarioError, match=r"cannot set inside a plain value"):
        _plan(["agents.count=3"])
    assert split_values("1,[2,3],{a: 4, b: 5},'x,y'") == ["1", "[2,3]", "{a: 4, b: 5}", "'x,y'"]


def test_names_are_deterministic_and_follow_the_scenario() -> None:
    a, b = _plan(["agents=20,22"]), _plan(["agents=20,22"])
    assert [s.name for s in a.runs()] == [s.name for s in b.runs()]
    other = build_plan("hotline_support", ["agents=20,22"], replications=2,
                       base_overrides=SMALL + ["calls.per_h=200"])
    assert not {s.name for s in a.runs()} & {s.name for s in other.runs()}
    seeded = build_plan("hotline_support", ["agents=20,22"], replications=2, seed=99,
                        base_overrides=SMALL)
    assert not {s.name for s in a.runs()} & {s.name for s in seeded.runs()}


def test_cli_summary_compare_and_duckdb_over_the_sweep(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "s"
    args = ["sweep", "hotline_blocking", "--grid", "agents=18,26", "--replications", "3",
            "--workers", "0", "--out", str(out), "--quiet", "--json"]
    for s in SMALL:
        args += ["--set", s]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ran"] == 6 and doc["skipped"] == 0
    lo, hi = doc["points"]
    assert lo["n"] == hi["n"] == 3
    assert lo["kpis"]["blocking_rate"]["mean"] > hi["kpis"]["blocking_rate"]["mean"]
    assert lo["kpis"]["blocking_rate"]["ci_low"] < lo["kpis"]["blocking_rate"]["mean"]
    summary = json.loads((out / "summary.json").read_text())
    assert [p["n"] for p in summary["points"]] == [3, 3]
    plan = json.loads((out / "sweep.json").read_text())
    assert len(plan["runs"]) == 6 and plan["grid"] == {"agents": [18, 26]}
    assert all(is_run_dir(out / n) for n in plan["runs"])
    manifest = json.loads((out / plan["runs"][0] / "manifest.json").read_text())
    assert manifest["sweep"]["overrides"] == {"agents": 18}
    assert main(["compare", str(out)]) == 0
    assert "blocking_rate" in capsys.readouterr().out
    rows = query("SELECT count(DISTINCT replication), count(*) FROM b", b=out / "*" / "tables"
                 / "batches.parquet")
    assert rows == [(3, 6 * 3)]
    # summary recomputed from the folder agrees with the JSON
    again = summarise(build_plan("hotline_blocking", ["agents=18,26"], 3, None, SMALL), out)
    assert again[0]["kpis"]["blocking_rate"]["mean"] == pytest.approx(
        lo["kpis"]["blocking_rate"]["mean"])


def test_dry_run_lists_runs_without_running(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "dry"
    args = ["sweep", "hotline_support", "--grid", "agents=20,22", "--replications", "2",
            "--out", str(out), "--dry-run"]
    for s in SMALL:
        args += ["--set", s]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "4 runs, 0 done, 4 to do" in text and text.count("todo") == 4
    assert not out.exists()
