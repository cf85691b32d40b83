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
