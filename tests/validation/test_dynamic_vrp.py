"""The online routing engine, the instance reader, the verifier and the dispatch checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.dispatch import DISPATCHERS, get_dispatcher
from sim.errors import DataError
from validation.dynamic_vrp.instances import Instance, load_instance, read_instance
from validation.dynamic_vrp.online import ReleaseRule, Stop, run_online
from validation.dynamic_vrp.verify import verify_routes


def tiny(due2: float = 30.0) -> Instance:
    """Depot at 0; customers at x=10, 20 and 100 on a line; capacity fits one customer."""
    xy = np.array([[0, 0], [10, 0], [20, 0], [100, 0]], dtype=float)
    return Instance(
        name="tiny", kind="vrptw", vehicles=1, capacity=10, xy=xy,
        demand=np.array([0, 6, 6, 1]), ready=np.array([0.0, 0, 0, 0]),
        due=np.array([1000.0, 100, due2, 110]), service=np.array([0.0, 5, 5, 5]),
        delivery_of=np.zeros(4, dtype=np.int64), best_vehicles=1, best_distance=60.0)


def test_reader_and_best_known():
    inst = load_instance("c1_2_1")
    assert (inst.kind, inst.vehicles, inst.capacity, inst.xy.shape) == ("vrptw", 50, 200,
                                                                        (201, 2))
    assert (inst.best_vehicles, inst.best_distance) == (20, 2704.5678)
    assert inst.horizon == 1351
    pd = load_instance("lc101")
    origin, dest = pd.task_nodes()
    assert origin.size == 53 and np.all(pd.demand[origin] == pd.demand[dest])
    assert (pd.best_vehicles, pd.best_distance) == (10, 828.9369)


def test_bad_instance_file_names_file_and_line(tmp_path):
    bad = tmp_path / "x1.txt"
    bad.write_text("x1\n\n50 200\n0 35 35 0 0 230 0\n1 41 49 10 161 171\n")
    with pytest.raises(DataError, match=r"(?s)x1\.txt.*line 3: expected 7 numbers"):
        read_instance(bad, "vrptw")
    with pytest.raises(DataError, match=r"instance: no such instance .*'nope'"):
        load_instance("nope")


def test_release_rule_reveals_before_window_and_keeps_depot_reachable():
    inst = load_instance("rc1_2_1")
    rule = ReleaseRule(lead_fraction=0.05)
    rel = rule.release_times(inst)
    o, _ = inst.task_nodes()
    lead = 0.05 * inst.horizon
    assert np.all(rel >= 0)
    assert np.all((rel <= inst.ready[o] - lead + 1e-9) | (rel == 0))
    reach = rel + inst.dist[0, o]
    assert np.all((reach <= inst.due[o] - lead + 1e-9) | ((rel == 0) & (reach <= inst.due[o])))
    jit = ReleaseRule(0.05, jitter=0.5)
    a, b, c = jit.release_times(inst, 1), jit.release_times(inst, 1), jit.release_times(inst, 2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_exact_trace_with_reload_lateness_and_a_rejection():
    inst = tiny()
    res = run_online(inst, get_dispatcher("nearest_idle"), ReleaseRule(0.05))
    assert res.trace == [
        (0.0, 0, "assign", 0, 0),
        (600.0, 0, "arrive", 1, 0),
        (900.0, 0, "done", 1, 0),
        (900.0, 0, "assign", 1, 1),  # customer 2 fits the window from node 1 ...
        (1500.0, 0, "arrive", 0, -1),  # ... but not the load: unload at the depot first
        (2700.0, 0, "arrive", 2, 1),
        (3000.0, 0, "done", 2, 1),
        (4200.0, 0, "home", 0, -1),
    ]
    k = res.kpis
    assert (k["served"], k["missed"], k["late"], k["reloads"]) == (2, 1, 1, 1)
    assert k["lateness_mean"] == pytest.approx(45 - 30)
    assert k["distance"] == pytest.approx(10 + 10 + 20 + 20)
    assert k["vehicles_used"] == 1
    v = verify_routes(inst, res.routes)
    assert v.ok and (v.distance, v.served, v.late) == (60.0, 2, 1)


def test_verifier_catches_broken_routes():
    inst = tiny(due2=200.0)
    good = [[Stop(1, "service", 0, 10, 10, 15), Stop(2, "service", 1, 25, 25, 30)]]
    assert verify_routes(inst, good).problems == ["vehicle 0: load 12 over capacity 10"]
    too_fast = [[Stop(1, "service", 0, 5, 5, 10)]]
    assert "before it can" in verify_routes(inst, too_fast).problems[0]
    twice = [[Stop(1, "service", 0, 10, 10, 15)], [Stop(1, "service", 0, 10, 10, 15)]]
    assert "served twice" in verify_routes(inst, twice).problems[-1]
    short = [[dataclasses.replace(good[0][0], end=12)]]
    assert "lasts" in verify_routes(inst, short).problems[0]


@pytest.mark.parametrize("name", ["c1_2_1", "lc101"])
def test_every_dispatcher_serves_online_and_verifies(name):
    inst = load_instance(name)
    for disp in sorted(DISPATCHERS):
        d = get_dispatcher(disp)
        res = run_online(inst, d)
        v = verify_routes(inst, res.routes, single_load=not getattr(d, "pooling", False))
        assert v.ok, (disp, v.problems[:3])
        assert v.distance == pytest.approx(res.kpis["distance"], rel=1e-9)
        assert (v.served, v.late, v.vehicles) == (res.kpis["served"], res.kpis["late"],
                                                  res.kpis["vehicles_used"])
        # Nobody online beats the best-known static vehicle count here.
        assert res.kpis["vehicles_used"] >= inst.best_vehicles


def test_online_run_is_deterministic():
    inst = load_instance("lc101")
    rule = ReleaseRule(0.05, jitter=0.5)
    a = run_online(inst, get_dispatcher("batch_matching"), rule, seed=3)
    b = run_online(inst, get_dispatcher("batch_matching"), rule, seed=3)
    assert a.trace == b.trace and a.kpis == b.kpis


def test_registered_dispatch_checks_pass_in_fast_mode():
    """Includes real PyVRP solves (2 s each) and the engine replay of PyVRP's plan."""
    from validation.registry import discover

    checks = {n: c for n, c in discover().items() if c.group == "dispatch"}
    assert {"dispatch.offline_reference", "dispatch.engine_replay",
            "dispatch.online"} <= set(checks)
    for check in checks.values():
        for r in check.fn(False):
            assert r.passed, r
