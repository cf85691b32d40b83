"""Run listing, safe paths and readers of the dashboard (no streamlit)."""

from __future__ import annotations

import os

import pytest

from dashboards.data import (
    flatten,
    list_runs,
    read_frame,
    read_head,
    safe_run_path,
    scenario_diff,
)
from dashboards.kinds import access_node_tables, load_columns, province_tables
from dashboards.rollout_targets import PROVINCES, lookup, total_target_10k
from sim.errors import RunError

from .conftest import GOOD, PROBLEMS


def test_listing_has_every_entry_and_labels_problems(results):
    runs = {r.name: r for r in list_runs(results)}
    assert set(GOOD) | set(PROBLEMS) <= set(runs)
    for name in GOOD:
        assert runs[name].ok, runs[name].problem
    assert "corrupt manifest" in runs["broken-manifest"].problem
    assert runs[".tmp-halfway-1234abcd"].problem.startswith("incomplete")
    assert "KPIs unreadable" in runs["no-kpis"].problem
    old = runs["old-schema"]
    assert old.ok and "older schema (no schema_version)" in old.notes
    assert old.verdict == "-" and "no sla.json" in old.notes
    taxi = runs["taxi-batch"]
    assert taxi.kind == "city_fleet" and taxi.replications == 2 and taxi.seed == 42
    assert taxi.verdict in ("PASS", "FAIL", "UNCERTAIN") and "wait_p95_s" in taxi.kpis


def test_listing_of_missing_or_empty_folder(tmp_path):
    assert list_runs(tmp_path / "nope") == []
    assert list_runs(tmp_path) == []


def test_sweep_folders_are_listed_one_level_down(results, tmp_path):
    import shutil

    shutil.copytree(results / "taxi-nearest", tmp_path / "sweep-a" / "point-1")
    (tmp_path / "stray").mkdir()
    runs = {r.name: r for r in list_runs(tmp_path)}
    assert runs["sweep-a/point-1"].ok and runs["sweep-a/point-1"].group == "sweep-a"
    assert runs["stray"].problem.startswith("not a run directory")


@pytest.mark.parametrize("name", ["../x", "..", "/etc", "a/../../b", "a/b/c", "", ".",
                                  "x\x00y", "a\\b", "taxi-nearest/.."])
def test_safe_run_path_rejects_names_that_leave_the_folder(results, name):
    with pytest.raises(RunError):
        safe_run_path(results, name)


def test_safe_run_path_rejects_symlinks_out(results, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    link = results / "link-out"
    os.symlink(outside, link)
    try:
        with pytest.raises(RunError, match="not a run inside"):
            safe_run_path(results, "link-out")
        assert "link-out" not in {r.name for r in list_runs(results)}
    finally:
        link.unlink()
    assert safe_run_path(results, "taxi-nearest") == (results / "taxi-nearest").resolve()


def test_readers_select_columns_and_label_bad_files(results):
    run = results / "taxi-nearest"
    df = read_frame(run, "tables/requests.parquet", ["created_s", "status", "not_there"])
    assert list(df.columns) == ["created_s", "status"] and len(df) > 100
    head, total = read_head(run, "tables/requests.parquet", 10)
    assert len(head) == 10 and total == len(df)
    with pytest.raises(RunError, match="unreadable Parquet"):
        read_frame(results / "bad-parquet", "timeseries/fleet.parquet")
    with pytest.raises(RunError, match="missing"):
        read_frame(run, "tables/nothing.parquet")
    with pytest.raises(RunError, match="outside"):
        read_frame(run, "../taxi-batch/kpis.json")


def test_scenario_diff_lists_only_differing_fields():
    a = {"name": "x", "policies": {"dispatch": {"algorithm": "nearest_idle"}}, "slas": [
        {"kpi": "w", "threshold": 1}]}
    b = {"name": "x", "policies": {"dispatch": {"algorithm": "batch_matching"}}, "slas": [
        {"kpi": "w", "threshold": 2}], "extra": 1, "newer_field": None}
    assert flatten(a)["slas[0].threshold"] == 1
    diff = dict(scenario_diff([a, b]))
    assert diff == {"policies.dispatch.algorithm": ["nearest_idle", "batch_matching"],
                    "slas[0].threshold": [1, 2], "extra": [None, 1]}
    assert "newer_field" not in diff  # missing in one run and null in the other: the same


def test_specific_views_found_from_tables(results):
    assert province_tables(results / "national-synthetic") == [("provinces", "province")]
    assert access_node_tables(results / "national-synthetic") == [("access_nodes",
                                                                   "access_node")]
    assert province_tables(results / "iptv-hotel") == [("provinces", "province")]
    assert sorted(access_node_tables(results / "iptv-hotel")) == [("olts", "olt"),
                                                                  ("ports", "port")]
    assert province_tables(results / "taxi-nearest") == []
    assert access_node_tables(results / "taxi-nearest") == []
    assert load_columns(["access_node", "mean_mbps", "peak_util"]) == ["peak_util", "mean_mbps"]


def test_rollout_targets_match_the_plan():
    assert len(PROVINCES) == 31 and len({p.adcode for p in PROVINCES}) == 31
    assert total_target_10k() == pytest.approx(451.6)
    assert sum(p.batch == 1 for p in PROVINCES) == 8
    assert lookup("Guangdong").target_10k == 53.2
    assert lookup("广东省").name == lookup("guangdong province").name == "Guangdong"
    assert lookup("Xizang").name == "Tibet" and lookup("内蒙古").name == "Inner Mongolia"
    assert lookup("Atlantis") is None


def test_sweep_statistics(results):
    from dashboards.sweeps import by_point, mean_ci

    runs = [r for r in list_runs(results) if r.group == "sweep-taxi"]
    groups = by_point(runs)
    assert len(runs) == 4 and len(groups) == 2
    assert all(len(g) == 2 for g in groups.values())
    ci = mean_ci([1.0, 2.0, 3.0])
    assert ci["mean"] == 2.0 and ci["ci_high"] - 2.0 == pytest.approx(2.4841, rel=1e-3)
    assert mean_ci([5.0])["ci_low"] is None and mean_ci([])["mean"] is None


def test_forked_run_origin(results, tmp_path):
    import json
    import shutil

    run = tmp_path / "fork"
    shutil.copytree(results / "taxi-nearest", run)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["forked_from"] = {"twin": "/data/twins/city-a", "t0_s": 36000.0}
    (run / "manifest.json").write_text(json.dumps(manifest))
    (info,) = list_runs(tmp_path)
    assert info.origin.startswith("fork of twin city-a at t=36000.0 s")
