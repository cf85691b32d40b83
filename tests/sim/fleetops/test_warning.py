"""Early warning: the wear monitor, its closed form, and warning-triggered maintenance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.fleetops.health_schema import WarningSpec, WorkshopSpec
from sim.fleetops.warning import Fault, WearMonitor, first_passage_law
from validation.checks_fleetops import passage_times
from validation.fleetops_world import Car, profile, run, world


def test_first_passage_law_is_inverse_gaussian_with_mean_a_over_mu():
    law = first_passage_law(0.6, 1 / 150, 0.04)
    assert law.mean() == pytest.approx(0.6 * 150)
    # variance of the inverse Gaussian: mean^3 / shape, shape = a^2 / sigma^2
    assert law.var() == pytest.approx(90.0**3 / (0.36 / 0.0016))


def test_monitor_passage_times_follow_the_inverse_gaussian():
    spec = WarningSpec(enabled=True, threshold=0.5, pf_interval_h=100.0,
                       diffusion_per_sqrt_h=0.05, reading_sd=0.0)
    times = passage_times(spec, 0.5, 600, seed=2)
    law = first_passage_law(0.5, 0.01, 0.05, 0.5)
    assert stats.kstest(times[np.isfinite(times)] - 0.25, law.cdf).pvalue > 0.001
    assert np.mean(times) == pytest.approx(law.mean(), rel=0.08)


def test_false_alarm_probability_is_the_noise_tail():
    spec = WarningSpec(enabled=True, threshold=0.6, reading_sd=0.2)
    mon = WearMonitor(spec, np.random.default_rng(1))
    assert mon.p_false == pytest.approx(stats.norm.sf(3.0))
    gaps = [mon.healthy_readings_until_false() for _ in range(4000)]
    assert np.mean(gaps) == pytest.approx(1 / mon.p_false, rel=0.08)
    assert min(mon.false_reading() for _ in range(50)) > 0.6


def test_undetectable_faults_have_no_onset():
    mon = WearMonitor(WarningSpec(enabled=True, detectable_share=0.0),
                      np.random.default_rng(1))
    assert math.isinf(mon.fault(100.0, "operating_h", 0.0).onset)
    off = WearMonitor(WarningSpec(enabled=False, detectable_share=1.0),
                      np.random.default_rng(1))
    assert math.isinf(off.fault(100.0, "operating_h", 0.0).onset)


def test_fault_begun_before_it_was_drawn_is_watched_from_then():
    mon = WearMonitor(WarningSpec(enabled=True, detectable_share=1.0, pf_interval_h=50.0),
                      np.random.default_rng(1))
    f = mon.fault(120.0, "operating_h", 100.0)
    assert f.onset == 100.0 and not f.full
    g = mon.fault(300.0, "operating_h", 100.0)
    assert g.onset == 250.0 and g.full


def test_wear_rises_to_one_on_average_at_the_breakdown():
    spec = WarningSpec(enabled=True, pf_interval_h=40.0, diffusion_per_sqrt_h=0.05,
                       reading_sd=0.0)
    mon = WearMonitor(spec, np.random.default_rng(3))
    at_failure = [mon.read(Fault(100.0, 60.0), 100.0, "operating_h") for _ in range(2000)]
    assert np.mean(at_failure) == pytest.approx(1.0, abs=0.03)  # 4 standard errors
    assert np.std(at_failure) == pytest.approx(0.05 * math.sqrt(40.0), rel=0.08)


def test_warnings_avoid_breakdowns_and_are_scored():
    p = profile(failure_rate_per_1000h=15.0)
    cars = [Car(p) for _ in range(40)]
    shop = [WorkshopSpec(id="w", bays=6, open_h=0.0, close_h=24.0)]
    base = run(world(cars, shop, months=1, seed=8))
    spec = WarningSpec(enabled=True, detectable_share=1.0, reading_sd=0.1, pf_interval_h=60.0,
                       diffusion_per_sqrt_h=0.05)
    w = world(cars, shop, months=1, seed=8, warning=spec)
    k = run(w)
    assert k["failures_avoided"] > 0
    assert k["breakdowns"] < base["breakdowns"] * 0.7
    assert 0 < k["warning_precision"] <= 1 and 0 < k["warning_recall"] <= 1
    n = w.health.n
    assert k["warnings"] == n.warnings_true + n.warnings_false
    assert k["warning_lead_mean_h"] > 0
    tel = w.recorder.event_tables()["health_telemetry"].to_pandas()
    assert (tel.fault_code == spec.fault_code).sum() == k["warnings"]
    assert math.isnan(base["warnings"])


def test_validate_checks_of_the_warning_pass_in_fast_mode():
    from validation.registry import discover

    results = discover()["fleetops.warning_first_passage"].fn(False)
    assert len(results) == 2
    assert all(r.passed for r in results), [r.detail for r in results]


def test_warnings_reach_a_twin_as_fault_codes():
    import datetime as dt

    from sim.fleetops.warning import twin_reports
    from twins.records import VehicleReport

    rows = [{"plate": "京A00001", "t_s": 3600.0, "x_km": 0.0, "y_km": 0.0,
             "odometer_km": 12_000.5, "wear_index": 0.4, "fault_code": 0},
            {"plate": "京A00001", "t_s": 7200.0, "x_km": 11.132, "y_km": 0.0,
             "odometer_km": 12_030.0, "wear_index": 0.7, "fault_code": 0x0A01}]
    reports = twin_reports(rows, dt.date(2026, 1, 5))
    parsed = [VehicleReport.model_validate(r) for r in reports]
    assert [p.fault_code for p in parsed] == [0, 0x0A01]
    assert (reports[0]["lon"], reports[0]["lat"]) == pytest.approx((116.397, 39.909))
    # 11.132 km east at 39.909 degrees north: 11.132 / (111.32 cos 39.909) degrees
    assert reports[1]["lon"] - reports[0]["lon"] == pytest.approx(0.13037, abs=1e-5)
    # 2026-01-05 01:00 in China (UTC+8) is 2026-01-04 17:00 UTC
    assert parsed[0].ts_s == dt.datetime(2026, 1, 4, 17, tzinfo=dt.UTC).timestamp()
