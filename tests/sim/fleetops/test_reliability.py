"""Breakdowns on the operating clock: the Weibull law, its sampling, and counts in a run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.fleetops.reliability import ExpBuffer, FailureLaw, breakdowns_between
from validation.checks_fleetops import _poisson_p
from validation.fleetops_world import Car, profile, run, world


def test_constant_hazard_expects_rate_times_hours():
    law = FailureLaw.of(profile(failure_rate_per_1000h=2.0))
    assert law.expected(1000.0, 1500.0) == pytest.approx(2.0 / 1000 * 500)


def test_wear_out_hazard_grows_with_age():
    law = FailureLaw.of(profile(failure_rate_per_1000h=1.0, failure_shape=2.0,
                                failure_ref_h=10_000.0))
    # the stated rate is the mean hazard over the reference: H(ref) = rate x ref
    assert law.cumulative(10_000.0) == pytest.approx(10.0)
    assert law.expected(15_000.0, 16_000.0) > 2.5 * law.expected(1_000.0, 2_000.0)


def test_inverse_undoes_the_cumulative_hazard():
    law = FailureLaw.of(profile(failure_rate_per_1000h=3.0, failure_shape=1.7,
                                failure_ref_h=5000.0))
    for x in (1.0, 250.0, 7000.0):
        assert law.inverse(float(law.cumulative(x))) == pytest.approx(x)


def test_km_clock_reads_the_odometer():
    law = FailureLaw.of(profile(failure_clock="km", failures_per_100000km=20.0))
    assert law.reading(odometer_km=1234.0, operating_h=5.0) == 1234.0
    assert law.expected(0.0, 100_000.0) == pytest.approx(20.0)


def test_no_rate_no_breakdown():
    law = FailureLaw.of(profile(failure_rate_per_1000h=0.0))
    assert math.isinf(law.next_after(100.0, 1.0))


def test_counts_between_readings_are_poisson_with_the_hazard_mean():
    law = FailureLaw.of(profile(failure_rate_per_1000h=50.0, failure_shape=2.0,
                                failure_ref_h=1000.0))
    draws = ExpBuffer(np.random.default_rng(5))
    counts = []
    for _ in range(3000):
        nxt = law.next_after(400.0, draws.next())
        hits, _ = breakdowns_between(law, 400.0, 500.0, nxt, draws)
        counts.append(len(hits))
    mean = float(law.expected(400.0, 500.0))  # 50/1000 * 1000 * (0.25 - 0.16) = 4.5
    assert mean == pytest.approx(4.5)
    # Poisson: mean and variance both equal the hazard increment
    assert np.mean(counts) == pytest.approx(mean, rel=0.05)
    assert np.var(counts) == pytest.approx(mean, rel=0.12)


def test_run_count_matches_stated_rate_times_operating_hours():
    p = profile(failure_rate_per_1000h=20.0)
    w = world([Car(p) for _ in range(30)], months=1, seed=4)
    k = run(w)
    hours = sum(v.operating_h for v in w.state.vehicles)
    expected = 20.0 / 1000 * hours
    assert k["breakdowns_expected"] == pytest.approx(expected)
    assert _poisson_p(int(k["breakdowns"]), expected) > 0.001
    assert k["breakdowns"] == pytest.approx(expected, rel=0.15)


def test_idle_calendar_time_does_not_wear_the_vehicle():
    """A vehicle on a 1 h shift fails per operating hour, not per hour of the calendar."""
    p = profile(failure_rate_per_1000h=50.0)
    w = world([Car(p) for _ in range(40)], months=1, seed=6, shift_h=(8.0, 9.0))
    k = run(w)
    hours = sum(v.operating_h for v in w.state.vehicles)
    calendar_h = 40 * w.horizon_s / 3600.0
    assert hours < calendar_h / 20
    assert _poisson_p(int(k["breakdowns"]), 0.05 * hours) > 0.001
    assert k["breakdowns"] < 0.05 * calendar_h / 10


def test_validate_check_of_the_failure_rate_passes_in_fast_mode():
    from validation.registry import discover

    results = discover()["fleetops.failure_rate"].fn(False)
    assert [r.check.split(" ", 1)[1] for r in results] == [
        "constant hazard", "Weibull shape 2, mixed ages", "km clock, shape 1.5",
        "fleet-year model"]
    assert all(r.passed for r in results), [r.detail for r in results]


def test_fleet_year_model_breakdowns_follow_the_operating_hours(make_fleet, tmp_path):
    """Through the operations model: the count follows the rate x the hours vehicles drove,
    whatever the calendar (off-shift nights and Sundays do not wear the vans)."""
    from sim.engine.simulation import run_scenario

    from .conftest import write_profile

    write_profile(tmp_path, "fragile_van", fuel_l_per_100km=11, failure_rate_per_1000h=40.0,
                  repair_time_h=1.0)
    reg = [{"plate": f"京F{k:05d}", "profile": "fragile_van", "purchase_date": "2024-01-01",
            "odometer_km": 1000 * k, "depot": "north"} for k in range(8)]
    shift = {"start_h": 7, "hours": 10}
    pools = [{"depot": "north", "count": 8, "licence": "C1", "shift": shift,
              "days_per_week": 6}]
    tasks = [{"id": "job", "profiles": ["fragile_van"], "per_vehicle_day": 4, "start_h": 8,
              "end_h": 16, "duration_s": 3600}]
    res = run_scenario(make_fleet(reg, months=2, profile_dirs=["profiles"],
                                  drivers={"pools": pools}, tasks=tasks, charging={},
                                  workshops=[{"id": "g", "bays": 2}]))
    k = res.kpis
    hours = res.replications[0].tables["vehicles"].to_pandas().operating_h.sum()
    calendar_h = 8 * res.loaded.scenario.horizon_s / 3600.0
    assert hours < calendar_h / 4
    assert k["breakdowns_expected"] == pytest.approx(0.040 * hours, rel=1e-6)
    assert _poisson_p(int(k["breakdowns"]), 0.040 * hours) > 0.001
