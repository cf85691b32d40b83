"""The live-view loss system against Erlang B (the registered check, on a small load)."""

from __future__ import annotations

import numpy as np

from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario
from validation.analytic import erlang_b
from validation.checks_cameras import ViewLoad, batch_blocking, overrides
from validation.hotline_runs import batch_estimate
from validation.registry import discover


def test_check_is_registered() -> None:
    assert discover()["cameras.erlang_b"].group == "cameras"


def test_batches_count_only_attempts_reaching_the_servers() -> None:
    arrival = np.array([0.5, 1.5, 1.6, 2.5, 3.5, 9.0])
    outcome = np.array(["served", "blocked", "hotlink", "served", "blocked", "blocked"],
                       dtype=object)
    got = batch_blocking(arrival, outcome, 0.0, 4.0, 2)
    assert got.tolist() == [0.5, 0.5]


def test_small_load_matches_erlang_b() -> None:
    load = ViewLoad(slots=10, erlangs=8.0, hold_median_s=60.0, hold_sigma=0.5,
                    sessions=30_000, seed=7)
    loaded = load_scenario("shop_cameras_trial", overrides(load, False))
    rep = run_scenario(loaded).replications[0]
    t = rep.tables["sessions"]
    outcome = np.asarray(t.column("outcome").to_pylist(), dtype=object)
    per_batch = batch_blocking(t.column("arrival_s").to_numpy(), outcome,
                               loaded.scenario.warmup_s, loaded.scenario.horizon_s, 20)
    est = batch_estimate(per_batch, 0.99)
    expected = erlang_b(10, 8.0)
    assert est.low <= expected <= est.high
    assert abs(est.mean / expected - 1) < 0.08
