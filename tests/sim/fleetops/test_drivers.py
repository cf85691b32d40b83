"""Drivers: licence coverage, rests after 4 h of continuous driving, daily cap, double shifts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.simulation import run_scenario
from sim.fleetops.drivers import PERMITS, Driver, Rules, covers, holders_of, plan_breaks

from .conftest import one_task_a_day, rows, write_profile

H = 3600.0


def test_a_4h10_drive_from_rest_forces_one_break_at_4h():
    assert plan_breaks(0.0, 4 * H + 600, 4 * H) == (1, 600.0)


def test_a_drive_of_exactly_4h_needs_no_break_inside_it():
    assert plan_breaks(0.0, 4 * H, 4 * H) == (0, 4 * H)


def test_continuous_driving_carries_over_and_breaks_repeat_every_4h():
    # 3 h already driven: a 9 h drive rests after 1 h and after 5 h, and ends 4 h after that
    assert plan_breaks(3 * H, 9 * H, 4 * H) == (2, 4 * H)
    # at the limit already: rest before moving
    assert plan_breaks(4 * H, 60.0, 4 * H) == (1, 60.0)


def _driver(cont_s: float, last_end_s: float, day_s: float = 0.0) -> Driver:
    return Driver(0, "d", "north", "C1", 7, 10, 7, on_shift=True, shift_end_s=20 * H,
                  day_drive_s=day_s, cont_drive_s=cont_s, last_end_s=last_end_s)


def test_a_pause_shorter_than_20_min_does_not_reset_continuous_driving():
    rules = Rules(4 * H, 20 * 60.0, 8 * H)
    now = 10 * H
    assert rules.fit(_driver(3.5 * H, now - 600), now, H) == (1, 0.5 * H)
    assert rules.fit(_driver(3.5 * H, now - 1200), now, H) == (0, H)


def test_daily_cap_and_shift_end_refuse_a_task():
    rules = Rules(4 * H, 1200.0, 8 * H)
    assert rules.fit(_driver(0, -math.inf, day_s=7.5 * H), 10 * H, H) is None
    assert rules.fit(_driver(0, -math.inf), 19.5 * H, H) is None  # shift ends at 20 h
    assert rules.fit(_driver(0, -math.inf, day_s=7 * H), 10 * H, H) == (0, H)


def test_licence_coverage_follows_the_permitted_classes_table():
    assert covers("A1", "B1") and covers("A1", "A3") and covers("A2", "B2")
    assert not covers("C1", "B1")
    assert not covers("B1", "B2")  # a medium-bus licence does not permit a large truck
    assert not covers("A3", "B1")
    assert covers("C1", "C2") and not covers("C2", "C1")
    assert set(holders_of("C1")) == {"A1", "A2", "A3", "B1", "B2", "C1"}
    assert holders_of("A1") == ("A1",)
    assert set(PERMITS) == {"A1", "A2", "A3", "B1", "B2", "C1", "C2"}


def _solo(make_fleet, drive_s: float, **changes):
    reg = [{"plate": "京B00001", "profile": "van_diesel", "purchase_date": "2024-01-01",
            "depot": "north"}]
    pools = [{"depot": "north", "count": 1, "licence": "C1",
              "shift": {"start_h": 7, "hours": 12}, "days_per_week": 7}]
    return make_fleet(reg, months=1, tasks=one_task_a_day(drive_s), drivers={"pools": pools},
                      charging={}, **changes)


def test_a_4h10_task_takes_4h30_with_the_rest_and_the_driver_record_shows_it(make_fleet):
    run = run_scenario(_solo(make_fleet, 4 * H + 600))
    rep = run.replications[0]
    tasks = rep.tables["tasks"].to_pandas()
    started = tasks[tasks.status == "started"]
    # one a day at most: a second 4 h 10 min task would pass the 8 h daily cap
    assert len(started) == (tasks.release_s // 86400).nunique() > 15
    np.testing.assert_allclose(started.end_s - started.start_s, 4 * H + 600 + 1200)
    assert (started.breaks == 1).all()
    drivers = rep.tables["drivers"].to_pandas()
    assert drivers.breaks.iloc[0] == len(started)
    assert drivers.max_continuous_drive_h.iloc[0] == pytest.approx(4.0)
    assert run.kpis["rest_breaks"] == len(started)


def test_a_task_longer_than_the_daily_cap_is_never_given(make_fleet):
    run = run_scenario(_solo(make_fleet, 8.5 * H))
    assert run.kpis["tasks"] > 20
    assert run.kpis["tasks_served"] == 0
    assert run.kpis["drivers_over_daily_cap"] == 0


def test_the_daily_cap_holds_under_heavy_demand(make_fleet):
    run = run_scenario(make_fleet(tasks=[{
        "id": "busy", "profiles": ["van_diesel", "sedan_ev"], "per_vehicle_day": 12,
        "start_h": 7, "end_h": 17, "duration_s": 5400, "speed_kmh": 20}]))
    drivers = run.replications[0].tables["drivers"].to_pandas()
    assert run.kpis["tasks_lost"] > 0  # demand beyond what the drivers may drive
    assert drivers.max_day_drive_h.max() <= 8.0 + 1e-9
    assert drivers.max_day_drive_h.max() > 6.0
    assert run.kpis["max_continuous_drive_h"] <= 4.0 + 1e-9


def test_dispatcher_pairs_a_b1_vehicle_only_with_a_driver_whose_licence_covers_b1(
        make_fleet, tmp_path):
    write_profile(tmp_path, "minibus", fuel_l_per_100km=14, licence_class="B1", seats=19)
    reg = rows(n_van=2, n_ev=0) + [
        {"plate": f"京C{k:05d}", "profile": "minibus", "purchase_date": "2024-01-01",
         "depot": "north"} for k in range(3)]
    shift = {"start_h": 7, "hours": 10}
    pools = [{"depot": "north", "count": 4, "licence": "C1", "shift": shift, "days_per_week": 7},
             {"depot": "north", "count": 2, "licence": "A1", "shift": shift, "days_per_week": 7},
             {"depot": "south", "count": 2, "licence": "C1", "shift": shift, "days_per_week": 7}]
    tasks = [{"id": "any", "profiles": ["minibus", "van_diesel"], "per_vehicle_day": 3,
              "start_h": 8, "end_h": 16, "duration_s": 2400}]
    run = run_scenario(make_fleet(reg, profile_dirs=["profiles"], drivers={"pools": pools},
                                  tasks=tasks, charging={}))
    t = run.replications[0].tables["tasks"].to_pandas()
    on_bus = t[t.plate.str.startswith("京C")]
    assert len(on_bus) > 50
    assert set(on_bus.driver.str.split("-").str[1]) == {"A1"}
    on_van = t[t.plate.str.startswith("京A") & (t.status == "started")]
    assert len(on_van) > 50 and {"C1", "A1"} >= set(on_van.driver.str.split("-").str[1])


def test_double_shift_vehicles_are_driven_by_their_own_two_drivers(make_fleet):
    shifts = [{"start_h": 6, "hours": 9}, {"start_h": 15, "hours": 9}]
    drivers = {"pools": [{"depot": "north", "count": 3, "licence": "C1",
                          "shift": {"start_h": 7, "hours": 10}, "days_per_week": 7}],
               "double_shift": [{"profile": "sedan_ev", "licence": "C1", "shifts": shifts,
                                 "days_per_week": 7}]}
    tasks = [{"id": "ride", "profiles": ["sedan_ev"], "per_vehicle_day": 10, "start_h": 6,
              "end_h": 23.5, "duration_s": 1500}]
    run = run_scenario(make_fleet(rows(n_van=0, n_ev=4), drivers=drivers, tasks=tasks))
    t = run.replications[0].tables["tasks"].to_pandas()
    t = t[t.status == "started"]
    assert len(t) > 500
    assert (t.driver.str.rsplit("-", n=1).str[0] == t.plate).all()
    late = t[(t.start_s % 86400) >= 15.5 * H]
    assert set(late.driver.str[-1]) == {"B"}
    early = t[(t.start_s % 86400) < 14 * H]
    assert set(early.driver.str[-1]) == {"A"}


def test_double_shift_limited_to_depots_leaves_the_other_vehicles_to_the_pools(make_fleet):
    shifts = [{"start_h": 6, "hours": 9}, {"start_h": 15, "hours": 9}]
    reg = rows(n_van=0, n_ev=4)
    reg[2]["depot"] = reg[3]["depot"] = "south"
    drivers = {"pools": [{"depot": "south", "count": 2, "licence": "C1",
                          "shift": {"start_h": 7, "hours": 10}, "days_per_week": 7}],
               "double_shift": [{"profile": "sedan_ev", "depots": ["north"], "licence": "C1",
                                 "shifts": shifts, "days_per_week": 7}]}
    run = run_scenario(make_fleet(reg, drivers=drivers))
    d = run.replications[0].tables["drivers"].to_pandas()
    assert sorted(d.driver[d.double_shift]) == sorted(
        f"{r['plate']}-{x}" for r in reg[:2] for x in "AB")
    t = run.replications[0].tables["tasks"].to_pandas()
    south = t[t.plate.isin([reg[2]["plate"], reg[3]["plate"]]) & (t.status == "started")]
    assert len(south) > 50 and south.driver.str.startswith("south-C1-").all()
