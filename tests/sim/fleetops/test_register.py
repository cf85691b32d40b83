"""The vehicle register: plates carried through, extra columns kept, bad rows all named."""

from __future__ import annotations

import copy

import pytest
import yaml

from sim.cli.main import main
from sim.engine.simulation import run_scenario
from sim.errors import DataError
from sim.fleetops.register import write_register

from .conftest import BASE, rows, write_profile


def test_plates_and_extra_columns_carry_through_the_tables(make_fleet):
    rep = run_scenario(make_fleet()).replications[0]
    v = rep.tables["vehicles"].to_pandas()
    assert list(v.plate) == [r["plate"] for r in rows()]
    assert list(v.register_colour) == ["white"] * 4 + ["blue"] * 4
    assert list(v.odometer_start_km) == [r["odometer_km"] for r in rows()]
    assert (v.odometer_km > v.odometer_start_km).all()
    assert list(v.purchase_date) == [r["purchase_date"] for r in rows()]
    assert list(v.warranty_end) == [r.get("warranty_end", "") for r in rows()]
    t = rep.tables["tasks"].to_pandas()
    assert set(t[t.status == "started"].plate) == set(v.plate)


def _bad_rows():
    good = rows(n_van=2, n_ev=1)
    return good + [
        {"plate": "京A90001", "profile": "hovercraft", "purchase_date": "2024-01-01"},
        {"plate": "京A90002", "profile": "van_diesel", "purchase_date": "2027-01-01"},
        {"plate": "京A90003", "profile": "van_diesel", "purchase_date": "2024-01-01",
         "odometer_km": -12},
        {"plate": good[0]["plate"], "profile": "van_diesel", "purchase_date": "2024-01-01"},
        {"plate": "京A90005", "profile": "coach", "purchase_date": "2024-01-01"},
    ]


def test_every_bad_register_row_is_named_at_once(make_fleet, tmp_path):
    write_profile(tmp_path, "coach", fuel_l_per_100km=25, licence_class="A1", seats=50)
    with pytest.raises(DataError) as exc:
        make_fleet(_bad_rows(), profile_dirs=["profiles"])
    text = str(exc.value)
    assert "register.csv: 5 problems" in text
    assert "row 5 profile: unknown vehicle profile" in text and "(got 'hovercraft')" in text
    assert "row 6 purchase_date: purchase date after the run starts (2026-03-02)" in text
    assert "(got '2027-01-01')" in text
    assert "row 7 odometer_km: must be a finite number >= 0 (got '-12')" in text
    assert "row 8 plate: duplicate plate (first on row 2) (got '京A00000')" in text
    assert "row 9 profile: needs a class A1 licence; no driver at depot north" in text
    assert "(got 'coach')" in text


def test_the_cli_reports_a_bad_register_with_exit_2_and_no_traceback(tmp_path, capsys):
    write_profile(tmp_path, "coach", fuel_l_per_100km=25, licence_class="A1", seats=50)
    write_register(tmp_path / "register.csv", _bad_rows())
    raw = copy.deepcopy(BASE)
    raw["profile_dirs"] = ["profiles"]
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    code = main(["run", "--quiet", str(path), "--out", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert str(tmp_path / "register.csv") in err
    for where in ("row 5 profile", "row 6 purchase_date", "row 7 odometer_km", "row 8 plate",
                  "row 9 profile"):
        assert where in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize(("text", "expect"), [
    ("plate,profile\nX,van_diesel\n", "header: missing column(s) purchase_date"),
    ("plate,profile,purchase_date\nX,van_diesel,2024-01-01,extra\n", "row 2: 4 cells"),
    ("plate,profile,purchase_date\nX,van_diesel,1st May\n",
     "row 2 purchase_date: not a date (YYYY-MM-DD) (got '1st May')"),
    ("plate,profile,purchase_date,depot\nX,van_diesel,2024-01-01,east\n",
     "row 2 depot: not a depot of the scenario"),
    ("plate,profile,purchase_date,odometer_km\nX,van_diesel,2024-01-01,nan\n",
     "row 2 odometer_km: must be a finite number >= 0"),
    ("plate,profile,purchase_date\n", "the register has no vehicles"),
    ("plate,profile,purchase_date,warranty_end\nX,van_diesel,2024-01-01,2023-01-01\n",
     "row 2 warranty_end: warranty ends before the purchase"),
])
def test_malformed_registers(make_fleet, tmp_path, text, expect):
    make_fleet()  # writes a good register; replaced below
    (tmp_path / "register.csv").write_text(text, encoding="utf-8")
    from sim.engine.loading import load_scenario_data

    raw = copy.deepcopy(BASE)
    with pytest.raises(DataError, match=None) as exc:
        load_scenario_data(raw, str(tmp_path / "scenario.yaml"))
    assert expect in str(exc.value)


def test_a_missing_register_file_is_named(make_fleet, tmp_path):
    from sim.errors import ScenarioError

    # the scenario's field and value, not an anonymous "data file" problem
    with pytest.raises(ScenarioError, match=r"register_csv: no such register file .*"
                       r"\(got 'nowhere\.csv'\)"):
        make_fleet(register_csv="nowhere.csv")
