"""Bad schedule inputs of a city scenario: clear messages naming the request, exit code 2."""

from __future__ import annotations

import pytest
import yaml

from sim.cli.main import main

BASE = {
    "name": "bad_requests", "kind": "city_fleet", "horizon_s": 3600, "warmup_s": 0,
    "world": {"network": {"source": "synthetic", "rows": 5, "cols": 5}, "cache_paths": False},
    "fleets": {"taxis": {"count": 2, "vehicle_profile": "sedan_ice",
                         "terminal_profile": "jt808_basic"}},
    "policies": {"dispatch": {"algorithm": "insertion"},
                 "service": {"stops": {"Station": [0.4, 0.4]}}},
}


def run(tmp_path, capsys, requests):
    doc = dict(BASE, demand={"requests": requests})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    code = main(["run", str(path), "--out", str(tmp_path / "runs"), "--quiet"])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("request_doc, field, value", [
    ({"t_s": 0, "origin": 1, "destination": 3, "pickup_window_s": [600, 100]},
     "demand.requests[0].pickup_window_s", "600 > 100"),
    ({"t_s": 0, "origin": 1, "destination": 3, "service_s": -5},
     "demand.requests[0].service_s", "-5"),
    ({"t_s": 0, "origin": 1, "destination": 3, "riders": 9},
     "demand.requests[0].riders", "9"),
    ({"t_s": 0, "origin": 1, "destination": 3, "goods_kg": 50},
     "demand.requests[0].goods_kg", "50"),
    ({"t_s": 0, "origin_stop": "Nowhere", "destination": 3},
     "demand.requests[0].origin_stop", "Nowhere"),
])
def test_bad_request_is_named_with_its_value(tmp_path, capsys, request_doc, field, value):
    code, text = run(tmp_path, capsys, [request_doc])
    assert code == 2
    assert "Traceback" not in text
    assert field in text, text
    assert value in text, text


def test_every_problem_of_a_stage_is_listed_at_once(tmp_path, capsys):
    code, text = run(tmp_path, capsys, [
        {"t_s": 0, "origin": 1, "destination": 3, "riders": 9},
        {"t_s": 5, "origin_stop": "Nowhere", "destination": 3},
        {"t_s": 9, "origin": 1, "destination": 3, "goods_kg": 50},
    ])
    assert code == 2
    assert "3 problems" in text
    for field in ("requests[0].riders", "requests[1].origin_stop", "requests[2].goods_kg"):
        assert field in text


def test_stop_based_request_is_served_from_the_stop(tmp_path, capsys):
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import run_scenario

    doc = dict(BASE, demand={"requests": [{"t_s": 0, "origin_stop": "Station",
                                           "destination": 3}]})
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(doc))
    rep = run_scenario(load_scenario(str(path))).replications[0]
    t = rep.tables["requests"].to_pydict()
    assert t["status"] == ["served"]
    assert t["origin"] == [6]  # the node nearest (0.4 km, 0.4 km) on a 400 m grid: (1, 1)


@pytest.mark.parametrize("policy, expect_home", [("stay", False), ("depot", True)])
def test_idle_policy(tmp_path, policy, expect_home):
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import run_scenario

    doc = dict(BASE, demand={"requests": [{"t_s": 0, "origin": 1, "destination": 23}]})
    doc["fleets"] = {"taxis": {"count": 1, "vehicle_profile": "sedan_ice",
                               "terminal_profile": "jt808_basic", "start_nodes": [0]}}
    doc["policies"] = {"dispatch": {"algorithm": "nearest_idle"}, "idle": {"policy": policy}}
    path = tmp_path / "idle.yaml"
    path.write_text(yaml.safe_dump(doc))
    rep = run_scenario(load_scenario(str(path))).replications[0]
    ev = rep.tables["vehicle_events"].to_pydict()
    states = ev["state"]
    assert ("repositioning" in states) == expect_home
    assert ev["node"][-1] == (0 if expect_home else 23)


@pytest.mark.parametrize("max_walk_m, no_stop", [(1200.0, [False, False, False]),
                                                 (900.0, [True, True, False])])
def test_generated_requests_walk_to_the_nearest_stop(max_walk_m, no_stop):
    """Stop-based service: both ends moved to the nearest stop (the first named among equally
    near ones), the trip retimed between the stops, the walk to the pickup stop at walking
    speed, and requests with no stop within the walking distance marked for rejection."""
    import numpy as np

    from sim.city.demand import RequestArrays, snap_to_stops
    from sim.city.network import RoadNetwork
    from sim.city.paths import compute_tables

    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [2000.0, 0.0]])
    u, v = np.array([0, 1, 1, 2]), np.array([1, 0, 2, 1])
    length = np.full(4, 1000.0)
    net = RoadNetwork.from_arrays(xy, u, v, length, np.full(4, 36.0), length / 10.0,
                                  np.full(4, "local", dtype=object), (104.0, 30.0))
    table = compute_tables(net)
    m = 3
    zeros = np.zeros(m)
    r = RequestArrays(zeros.copy(), np.array([1, 0, 2]), np.array([2, 1, 0]),
                      np.zeros(m, bool), np.zeros(m, np.int64), zeros.copy(), zeros.copy(),
                      zeros.copy(), zeros.copy(), np.ones(m, np.int64), zeros.copy(),
                      zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy(),
                      np.full(m, np.inf), np.full(m, -1), np.full(m, -1))
    walk, rejected = snap_to_stops(r, net, table, {"A": (0.0, 0.0), "B": (2.0, 0.0)},
                                   {"A": 0, "B": 2}, max_walk_m, 1.25)
    assert r.origin.tolist() == [0, 0, 2] and r.destination.tolist() == [2, 0, 0]
    assert r.origin_stop.tolist() == [0, 0, 1] and r.destination_stop.tolist() == [1, 0, 0]
    np.testing.assert_allclose(walk, [800.0, 0.0, 0.0])  # 1000 m at 1.25 m/s
    np.testing.assert_allclose(r.trip_s, [200.0, 0.0, 200.0])  # 2 km at 10 m/s
    np.testing.assert_allclose(r.trip_km, [2.0, 0.0, 2.0])
    assert rejected.tolist() == no_stop
