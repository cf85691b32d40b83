"""``fleettwin compare`` of fleet-year runs: savings, ROI, payback, NPV and IRR."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.cli.main import main
from sim.engine.simulation import run_scenario
from sim.fleetops.appraisal import appraise_runs, monthly_costs
from sim.results.rundir import write_run

from .conftest import rows

WORKSHOPS = [{"id": "dealer", "kind": "4s", "x_km": 3, "bays": 2},
             {"id": "corner", "x_km": -1, "y_km": 2, "bays": 2}]


@pytest.fixture
def two_runs(make_fleet, tmp_path):
    """A baseline of six vans and four EVs without the platform; four vans and four EVs
    with it and early warning (each run right after it is made: they share a folder)."""
    out = tmp_path / "runs"
    base = make_fleet(rows(6, 4), months=2, workshops=WORKSHOPS,
                      economics={"platform_cny_per_vehicle_month": 0})
    first = write_run(run_scenario(base), out, name="base")
    with_platform = make_fleet(rows(4, 4), months=2, workshops=WORKSHOPS,
                               warning={"enabled": True},
                               economics={"platform_cny_per_vehicle_month": 40,
                                          "platform_setup_cny": 2000})
    return [first, write_run(run_scenario(with_platform), out, name="platform")]


def test_compare_prints_the_economics_against_the_baseline(two_runs, capsys):
    assert main(["compare", *map(str, two_runs)]) == 0
    out = capsys.readouterr().out
    assert "Economics against the baseline [0]" in out
    for label in ("ROI", "Payback month", "Cost-benefit ratio", "NPV", "IRR"):
        assert label in out


def test_saving_is_the_difference_of_the_monthly_totals(two_runs, capsys):
    assert main(["compare", "--json", *map(str, two_runs)]) == 0
    comp = json.loads(capsys.readouterr().out)
    (econ,) = comp["economics"]
    base, run = (monthly_costs(r) for r in two_runs)
    assert base is not None and run is not None
    assert econ["saving_cny"] == pytest.approx(float(np.sum(base["total_cny"]
                                                            - run["total_cny"])))
    # the platform (8 vehicles x 40 a month, 2,000 set-up) is the investment
    assert econ["investment_cny"] == pytest.approx(8 * 40 * 2 + 2000)
    # two fewer vans: less capital, insurance, energy and maintenance
    assert econ["return_cny"] > 0
    kpis = [json.loads((r / "kpis.json").read_text()) for r in two_runs]
    assert econ["saving_cny"] == pytest.approx(kpis[0]["cost_total_cny"]
                                               - kpis[1]["cost_total_cny"])


def test_no_economics_for_a_single_run(two_runs):
    assert appraise_runs(two_runs[:1]) == []


def test_dashboard_compare_page_shows_the_economics(two_runs, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from dashboards import data as dashboards_data

    monkeypatch.setenv("FLEETTWIN_RUNS", str(two_runs[0].parent))
    at = AppTest.from_file(str(Path(dashboards_data.__file__).parent / "app.py"),
                           default_timeout=120)
    at.session_state["selected_runs"] = [two_runs[0].name, two_runs[1].name]
    at.run()
    at.switch_page("views/compare.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Economics against the baseline" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "figure" in d.value.columns)
    (econ,) = appraise_runs(two_runs)
    shown = table.set_index("figure").iloc[:, 0]
    assert shown["Payback month"] == (str(int(econ["payback_month"]))
                                      if econ["payback_month"] == econ["payback_month"]
                                      else "n/a")
    assert shown["Investment (platform above the baseline)"] == "¥2,640"


def test_saving_by_cost_line_adds_up(two_runs):
    from sim.fleetops.economics import COST_COLUMNS

    (econ,) = appraise_runs(two_runs)
    parts = [econ[f"saving_{c}"] for c in COST_COLUMNS]
    assert sum(parts) == pytest.approx(econ["saving_cny"])
    assert econ["saving_capital_cny"] > 0  # two vans fewer
    assert econ["saving_platform_cny"] == pytest.approx(-(8 * 40 * 2 + 2000))


def test_a_huge_irr_is_shown_as_a_bound():
    from sim.fleetops.appraisal import show_figure

    assert show_figure("irr_yearly", "percent", 3.2e6) == "> 1000%"
    assert show_figure("irr_yearly", "percent", 0.125) == "12.5%"
    assert show_figure("npv_cny", "yuan", 1234.0) == "¥1,234"
