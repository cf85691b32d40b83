"""Determinism, KPI sanity and the golden KPIs of a small city scenario."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.cli.main import main
from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario

GOLDEN = Path(__file__).parent / "golden_small_taxi.json"


def _kpis(overrides, seed=None):
    return run_scenario(load_scenario("city_taxi", overrides), seed=seed).kpis


def test_same_seed_same_kpis_json(tmp_path, small_taxi, capsys):
    for name in ("a", "b"):
        assert main(["run", "--quiet", "--out", str(tmp_path), "--name", name, "--seed", "5",
                     *sum((["--set", o] for o in small_taxi), [])]) == 0
    a = (tmp_path / "a" / "kpis.json").read_text()
    b = (tmp_path / "b" / "kpis.json").read_text()
    assert a == b
    assert main(["run", "--quiet", "--out", str(tmp_path), "--name", "c", "--seed", "6",
                 *sum((["--set", o] for o in small_taxi), [])]) == 0
    assert (tmp_path / "c" / "kpis.json").read_text() != a
    capsys.readouterr()


def test_golden_small_scenario(small_taxi):
    """Any change to these KPIs must be deliberate: regenerate with FLEETTWIN_GOLDEN=1."""
    import os

    kpis = _kpis(small_taxi)
    if os.environ.get("FLEETTWIN_GOLDEN"):
        GOLDEN.write_text(json.dumps(kpis, indent=2, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert set(golden) == set(kpis)
    for k, v in golden.items():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            assert np.isnan(kpis[k]), k
        else:
            assert kpis[k] == pytest.approx(v, rel=1e-9, abs=1e-9), k


def test_doubling_the_fleet_never_raises_mean_wait(small_taxi):
    seeds = range(5)
    base = [_kpis(small_taxi + ["fleets.taxis.count=20"], s) for s in seeds]
    double = [_kpis(small_taxi + ["fleets.taxis.count=40"], s) for s in seeds]
    wait_base = np.mean([k["wait_mean_s"] for k in base])
    wait_double = np.mean([k["wait_mean_s"] for k in double])
    assert wait_double <= wait_base
    assert np.mean([k["service_rate"] for k in double]) >= np.mean(
        [k["service_rate"] for k in base])


def test_kpis_are_consistent(small_taxi):
    k = _kpis(small_taxi)
    assert k["served"] + k["abandoned"] == k["requests"]
    assert k["service_rate"] == pytest.approx(k["served"] / k["requests"])
    assert 0 <= k["deadhead_ratio"] <= 1 and 0 <= k["utilisation"] <= 1
    assert k["wait_p95_s"] >= k["wait_mean_s"] > 0
    assert k["fuel_l"] == pytest.approx(k["km_total"] * 8.5 / 100)


def test_urgent_tasks_are_on_time_more_often_under_priority():
    over = ["world.network.rows=14", "world.network.cols=14", "fleets.vans.count=25",
            "demand.requests_per_day=900", "horizon_s=43200", "start_time_s=25200",
            "demand.urgent_share=0.3", "demand.zones={}"]
    res = {}
    for algo in ("priority", "nearest_idle"):
        reps = [run_scenario(load_scenario("city_logistics",
                                           over + [f"policies.dispatch.algorithm={algo}"]),
                             seed=s).replications[0] for s in range(3)]
        rates = []
        for r in reps:
            t = r.tables["requests"].to_pydict()
            urgent = np.array(t["urgent"])
            ok = np.array(t["dropoff_s"], dtype=float) <= np.array(t["deadline_s"])
            rates.append(ok[urgent].mean())
        res[algo] = np.mean(rates)
    assert res["priority"] > res["nearest_idle"]


def test_warmup_excludes_early_requests(small_taxi):
    k0 = _kpis(small_taxi + ["warmup_s=0"])
    k1 = _kpis(small_taxi + ["warmup_s=7200"])
    assert k1["requests"] < k0["requests"]


def test_replications_give_intervals(small_taxi):
    res = run_scenario(load_scenario("city_taxi", small_taxi + ["horizon_s=7200"]),
                       replications=3)
    ci = res.kpis_ci["wait_mean_s"]
    assert ci["n"] == 3 and ci["ci_low"] <= ci["mean"] <= ci["ci_high"]
    seeds = {r.replication for r in res.replications}
    assert seeds == {0, 1, 2}
    assert len({r.kpis["requests"] for r in res.replications}) > 1
