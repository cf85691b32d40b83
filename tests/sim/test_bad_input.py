"""Bad scenarios and profiles: one clear message naming file and field, exit code 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sim.cli.main import main
from sim.engine.loading import find_scenario, load_scenario
from sim.errors import ScenarioError


def _taxi() -> dict:
    return yaml.safe_load(find_scenario("city_taxi").read_text())


def _write(tmp_path: Path, data: dict | str, name: str = "bad.yaml") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return p


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(["run", "--quiet", *args])
    err = capsys.readouterr().err
    return code, err


def test_malformed_yaml(tmp_path, capsys):
    p = _write(tmp_path, "name: x\nkind: city_fleet\nfleets: [unclosed\n")
    code, err = _run(capsys, str(p), "--out", str(tmp_path / "runs"))
    assert code == 2
    assert str(p) in err and "malformed YAML at line" in err
    assert "Traceback" not in err


def test_unknown_key_is_named_with_its_path(tmp_path, capsys):
    data = _taxi()
    data["fleets"]["taxis"]["colour"] = "yellow"
    code, err = _run(capsys, str(_write(tmp_path, data)), "--out", str(tmp_path / "r"))
    assert code == 2
    assert "fleets.taxis.colour: unknown field" in err


def test_negative_count(tmp_path, capsys):
    data = _taxi()
    data["fleets"]["taxis"]["count"] = -5
    code, err = _run(capsys, str(_write(tmp_path, data)), "--out", str(tmp_path / "r"))
    assert code == 2
    assert re.search(r"fleets\.taxis\.count: .*greater than 0 \(got -5\)", err)


def test_missing_profile_id(tmp_path, capsys):
    data = _taxi()
    data["fleets"]["taxis"]["vehicle_profile"] = "hover_car"
    code, err = _run(capsys, str(_write(tmp_path, data)), "--out", str(tmp_path / "r"))
    assert code == 2
    assert "fleets.taxis.vehicle_profile: no vehicle profile with this id" in err
    assert "'hover_car'" in err and "sedan_ice" in err


def test_unreachable_zone(tmp_path, capsys):
    data = _taxi()
    data["demand"]["zones"]["airport"] = {"center_km": [40.0, 40.0], "radius_km": 1.0,
                                          "weight": 1.0}
    code, err = _run(capsys, str(_write(tmp_path, data)), "--out", str(tmp_path / "r"))
    assert code == 2
    assert "demand.zones.airport.center_km: zone is unreachable" in err
    assert "[40.0, 40.0]" in err
    assert not any((tmp_path / "r").glob("*")), "no run directory for a failed scenario"


def test_all_problems_reported_at_once(tmp_path):
    data = _taxi()
    data["seed"] = -1
    data["fleets"]["taxis"]["count"] = 0
    data["demand"]["urgent_share"] = 2
    data["slas"][0]["op"] = "=~"
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_write(tmp_path, data))
    fields = {p.field for p in exc.value.problems}
    assert {"seed", "fleets.taxis.count", "demand.urgent_share", "slas[0].op"} <= fields
    assert "4 problems" in str(exc.value)


def test_unknown_sla_kpi_and_dispatcher(tmp_path):
    data = _taxi()
    data["slas"].append({"kpi": "happiness", "threshold": 1})
    data["policies"]["dispatch"]["algorithm"] = "telepathy"
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_write(tmp_path, data))
    text = str(exc.value)
    assert "slas[3].kpi: unknown KPI for city_fleet" in text
    assert "policies.dispatch.algorithm: unknown dispatcher" in text and "'telepathy'" in text


def test_bad_override_value_names_field(capsys, tmp_path):
    code = main(["run", "--quiet", "--out", str(tmp_path), "--set", "fleets.taxis.count=many"])
    err = capsys.readouterr().err
    assert code == 2
    assert "fleets.taxis.count" in err and "'many'" in err


def test_unknown_scenario_name(capsys):
    code = main(["run", "--quiet", "no_such_scenario"])
    err = capsys.readouterr().err
    assert code == 2 and "no such scenario" in err and "city_taxi" in err


def test_broken_profile_file_is_reported(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "vehicle"
    bad.mkdir()
    (bad / "broken.yaml").write_text("id: broken\nkind: vehicle\nfuel_l_per_100km: -3\n")
    monkeypatch.setenv("FLEETTWIN_PROFILES", str(tmp_path))
    code = main(["profiles"])
    err = capsys.readouterr().err
    assert code == 2
    assert "broken.yaml" in err and "fuel_l_per_100km" in err and "(got -3)" in err
    assert "failure_rate_per_1000h: required field is missing" in err
