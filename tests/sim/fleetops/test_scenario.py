"""The shipped city_fleet_year scenario, and demand that does not grow with the fleet."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from sim.engine.loading import find_scenario, load_scenario
from sim.engine.simulation import run_scenario
from sim.fleetops.schema import FleetYearScenario
from sim.fleetops.tasks import daily_means


def test_the_shipped_scenario_runs_a_month_with_its_register_and_slas():
    loaded = load_scenario("city_fleet_year", ["months=1"])
    run = run_scenario(loaded)
    rep = run.replications[0]
    register = find_scenario("city_fleet_year").parent / "data/city_fleet_year/register.csv"
    with register.open(encoding="utf-8") as fh:
        plates = [r["plate"] for r in csv.DictReader(fh)]
    assert list(rep.tables["vehicles"].column("plate").to_pylist()) == plates
    assert {s["kpi"] for s in run.sla} == {"availability", "on_time_rate",
                                           "drivers_over_daily_cap"}
    assert run.kpis["tasks_served"] > 5000
    assert run.kpis["energy_kwh"] > 0 and run.kpis["fuel_l"] > 0
    assert run.kpis["drivers_over_daily_cap"] == 0


def test_per_day_demand_is_split_by_depot_share_and_ignores_fleet_size():
    loaded = load_scenario("city_fleet_year")
    s: FleetYearScenario = loaded.scenario
    more = np.array([40.0, 20.0])
    np.testing.assert_allclose(daily_means(s, 0, np.array([24.0, 12.0])), [84.0, 42.0])
    np.testing.assert_allclose(daily_means(s, 0, more), [84.0, 42.0])


def test_per_vehicle_demand_grows_with_the_eligible_vehicles():
    loaded = load_scenario("city_fleet_year", ["tasks[0].per_day=null",
                                               "tasks[0].depot_share=null",
                                               "tasks[0].per_vehicle_day=3"])
    np.testing.assert_allclose(daily_means(loaded.scenario, 0, np.array([4.0, 2.0])),
                               [12.0, 6.0])


@pytest.mark.parametrize(("changes", "expect"), [
    (["tasks[0].per_vehicle_day=2"], "exactly one of per_vehicle_day and per_day"),
    (["tasks[0].depot_share={nowhere: 1}"], "depot_share: names unknown depots nowhere"),
    (["tasks[0].depot_share={baiyun: 0}"], "positive sum"),
    (["tasks[0].per_day=60000"], r"tasks: about 21,9\d\d,\d\d\d tasks over the run"),
    (["months=60"], r"months: Input should be less than or equal to 59"),
    (["drivers.pools[0].count=199999"], "drivers.pools hold 200,049 drivers; at most 200,000"),
    (["tasks[0].profiles=[sedan_ice]", "tasks[0].depot_share={baiyun: 1, tianhe: 1}",
      "register_csv=data/city_fleet_year/register.csv",
      "depots=[{id: baiyun}, {id: tianhe}, {id: haizhu}]",
      "tasks[0].depot_share={haizhu: 1}"],
     r"tasks\[0\]\.depot_share\.haizhu: no vehicle of sedan_ice is registered"),
])
def test_bad_demand_settings_are_named(changes, expect):
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=expect):
        load_scenario("city_fleet_year", changes)
