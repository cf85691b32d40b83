"""Electric vehicles: SoC never below zero, too-low vehicles not offered, kWh, chargers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.simulation import run_scenario

from .conftest import write_profile

H = 3600.0


def _small_battery(make_fleet, tmp_path, policy: str = "threshold", **charging):
    write_profile(tmp_path, "city_ev", powertrain="ev", battery_kwh=12.0, kwh_per_km=0.2,
                  licence_class="C2")
    reg = [{"plate": f"粤B{k:04d}D", "profile": "city_ev", "purchase_date": "2025-01-01",
            "depot": "north"} for k in range(6)]
    tasks = [{"id": "trip", "profiles": ["city_ev"], "per_vehicle_day": 8, "start_h": 7,
              "end_h": 20, "duration_s": {"family": "lognormal", "median": 2700, "sigma": 0.5},
              "speed_kmh": 30, "max_wait_s": 1800}]
    pools = [{"depot": "north", "count": 6, "licence": "C1",
              "shift": {"start_h": 7, "hours": 14}, "days_per_week": 7}]
    spec = {"stations": [{"id": "near", "x_km": 1, "y_km": 0, "chargers": 1, "power_kw": 20},
                         {"id": "far", "x_km": 8, "y_km": 0, "chargers": 4, "power_kw": 20}],
            "policy": policy, "charge_below": 0.4, "charge_to": 0.9, "reserve": 0.1, **charging}
    return run_scenario(make_fleet(reg, profile_dirs=["profiles"], tasks=tasks,
                                   drivers={"pools": pools}, charging=spec))


def test_soc_never_goes_below_zero_and_low_vehicles_are_not_offered(make_fleet, tmp_path):
    run = _small_battery(make_fleet, tmp_path)
    k = run.kpis
    assert k["soc_clamps"] == 0
    assert 0.0 <= k["soc_min"]
    # a task may not take a battery below the reserve; only the drive to a charger may
    assert k["soc_min"] >= 0.1 - 8 * 1.3 * 0.2 / 12.0 - 1e-9
    assert k["tasks_refused_charge"] > 0
    v = run.replications[0].tables["vehicles"].to_pandas()
    assert (v.soc_min >= 0).all()
    t = run.replications[0].tables["tasks"].to_pandas()
    s = t[t.status == "started"]
    # 12 kWh at 0.2 kWh/km from at most 90%: no task longer than 54 km was ever given
    assert s.km.max() <= 0.9 * 12.0 / 0.2 + 1e-9
    assert (t[t.status == "lost"].km > 0.9 * 12.0 / 0.2).any()


def test_energy_is_in_kwh_and_an_ev_burns_no_fuel(make_fleet, tmp_path):
    run = _small_battery(make_fleet, tmp_path)
    k = run.kpis
    assert k["fuel_l"] == 0.0
    assert k["energy_kwh"] > 0
    assert k["ev_kwh_per_100km"] == pytest.approx(20.0)  # 0.2 kWh/km
    v = run.replications[0].tables["vehicles"].to_pandas()
    assert (v.energy_kwh > v.km * 0.2).all()  # tasks and the drives to chargers
    sessions = run.replications[0].tables["charging_sessions"].to_pandas()
    assert len(sessions) == k["charging_sessions"] > 0
    assert sessions.battery_kwh.sum() == pytest.approx(k["grid_kwh"] * 0.92)
    assert (sessions.soc_in < 0.4 + 1e-9).all()  # threshold policy: only below charge_below


def test_the_nearest_free_charger_is_used_and_a_busy_one_is_passed_by(make_fleet, tmp_path):
    run = _small_battery(make_fleet, tmp_path)
    s = run.replications[0].tables["charging_sessions"].to_pandas()
    assert set(s.station) == {"near", "far"}
    near = s[s.station == "near"].sort_values("start_s")
    # one charger at "near": its sessions never overlap
    assert (near.start_s.to_numpy()[1:] >= near.end_s.to_numpy()[:-1] - 1e-6).all()
    # a vehicle sent to "far" left while "near" was busy
    far = s[s.station == "far"]
    busy = [((near.start_s <= t) & (near.end_s > t)).any()
            or ((near.arrived_s <= t) & (near.start_s > t)).any() for t in far.left_s]
    assert all(busy)
    hours = (s.end_s - s.start_s).sum() / H
    assert run.kpis["charger_utilisation"] == pytest.approx(hours / (5 * 31 * 24))


def test_off_peak_policy_charges_at_night_unless_below_min_soc(make_fleet, tmp_path):
    run = _small_battery(make_fleet, tmp_path, policy="off_peak", min_soc=0.25,
                         off_peak={"start_h": 22, "end_h": 6})
    s = run.replications[0].tables["charging_sessions"].to_pandas()
    hour = (s.left_s % 86400) / H
    night = (hour >= 22) | (hour < 6)
    assert night.sum() > 0
    assert (s[~night].soc_in < 0.25 + 1e-9).all()
    assert run.kpis["soc_clamps"] == 0


def test_charging_counts_as_downtime_but_not_against_availability(make_fleet, tmp_path):
    run = _small_battery(make_fleet, tmp_path)
    k = run.kpis
    assert k["charging_down_h"] > k["charging_h"]  # travel and queue on top of charging
    assert k["availability"] == pytest.approx(1.0 - (k["downtime_h"] - k["charging_down_h"])
                                              * 3600 / (6 * 31 * 86400.0))
    v = run.replications[0].tables["vehicles"].to_pandas()
    np.testing.assert_allclose(v.down_charging_h.sum(), k["charging_down_h"])
