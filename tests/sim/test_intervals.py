"""KPI intervals respect the quantity's range and cover the truth; SLA verdicts use them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.cli.tables import fmt
from sim.engine.intervals import kpi_interval, kpi_scale, student_t
from sim.schema.scenario import SLA


def test_rate_near_one_stays_in_unit_interval_where_student_t_does_not():
    values = np.array([0.99, 1.0, 1.0, 0.97])
    _, _, t_high = student_t(values)
    assert t_high > 1.0  # the failure this guards against
    iv = kpi_interval("service_rate", values)
    assert iv.method == "wilson"
    assert 0.0 <= iv.low <= iv.mean <= iv.high <= 1.0


def test_count_near_zero_stays_non_negative_where_student_t_does_not():
    values = np.array([0.0, 0.0, 5.0])
    _, t_low, _ = student_t(values)
    assert t_low < 0.0
    iv = kpi_interval("boot_timeouts", values)
    assert iv.method == "log"
    assert 0.0 < iv.low <= iv.mean <= iv.high


def test_rate_far_from_the_edges_matches_student_t():
    values = np.array([0.50, 0.501, 0.499, 0.5005, 0.4995])
    mean, lo, hi = student_t(values)
    iv = kpi_interval("service_rate", values)
    np.testing.assert_allclose([iv.low, iv.high], [lo, hi], rtol=1e-4)


@pytest.mark.parametrize(("p", "n", "reps"), [(0.97, 400, 5), (0.995, 1000, 10), (0.9, 50, 3)])
def test_rate_interval_covers_the_true_rate_95_percent(p, n, reps):
    rng = np.random.default_rng(20261207)
    trials = 1000
    hits = 0
    for _ in range(trials):
        iv = kpi_interval("service_rate", rng.binomial(n, p, reps) / n)
        hits += iv.low <= p <= iv.high
    # binomial sd of the coverage over 1000 trials is 0.007: 3.5 sd either side
    assert 0.925 <= hits / trials <= 0.975


@pytest.mark.parametrize(("lam", "reps"), [(3.0, 5), (0.5, 10), (100.0, 3)])
def test_count_interval_covers_the_true_mean_95_percent(lam, reps):
    rng = np.random.default_rng(7)
    trials = 1000
    hits = 0
    for _ in range(trials):
        iv = kpi_interval("calls", rng.poisson(lam, reps).astype(float))
        hits += iv.low <= lam <= iv.high
    assert 0.925 <= hits / trials <= 0.985  # discrete counts: slightly conservative


def test_scale_follows_name_and_values():
    assert kpi_scale("vod_blocking", np.array([0.01, 0.02])) == "proportion"
    assert kpi_scale("arrival_rate_per_h", np.array([290.0, 310.0])) == "nonnegative"
    assert kpi_scale("deadhead_ratio", np.array([0.1, 1.2])) == "nonnegative"  # not a share
    assert kpi_scale("profit_cny", np.array([-5.0, 3.0])) == "real"


def test_kpi_that_does_not_apply_has_no_value_and_prints_na():
    iv = kpi_interval("on_time_rate", [math.nan, math.nan])
    assert iv.mean is None and iv.low is None and iv.n == 0
    assert fmt(math.nan) == "n/a"


def test_one_replication_has_no_interval():
    iv = kpi_interval("service_rate", [0.9])
    assert (iv.mean, iv.low, iv.high, iv.n) == (0.9, None, None, 1)


def _verdict(op: str, threshold: float, mean: float | None, lo=None, hi=None) -> str:
    sla = SLA(kpi="k", op=op, threshold=threshold)
    ci = {"k": {"mean": mean, "ci_low": lo, "ci_high": hi}}
    return sla.verdict({"k": mean}, ci)["verdict"]


@pytest.mark.parametrize(("op", "thr", "mean", "lo", "hi", "expected"), [
    ("<=", 480, 400, 350, 450, "PASS"),
    ("<=", 480, 470, 440, 500, "UNCERTAIN"),  # the mean alone would pass
    ("<=", 480, 520, 490, 550, "FAIL"),
    (">=", 0.95, 0.96, 0.955, 0.965, "PASS"),
    (">=", 0.95, 0.96, 0.93, 0.97, "UNCERTAIN"),
    (">", 0.95, 0.90, 0.88, 0.92, "FAIL"),
    ("<", 10, 9, 8, 10, "UNCERTAIN"),  # the interval reaches the strict bound
    ("<=", 480, 400, None, None, "PASS"),  # one replication: the value decides
    ("<=", 480, 500, None, None, "FAIL"),
])
def test_sla_verdict_uses_the_interval(op, thr, mean, lo, hi, expected):
    assert _verdict(op, thr, mean, lo, hi) == expected


def test_sla_on_missing_or_nan_kpi_is_uncertain_not_pass():
    assert _verdict("<=", 480, None) == "UNCERTAIN"
    sla = SLA(kpi="k", op=">=", threshold=0.9)
    row = sla.verdict({"k": math.nan})
    assert row["verdict"] == "UNCERTAIN" and row["passed"] is False and row["value"] is None
