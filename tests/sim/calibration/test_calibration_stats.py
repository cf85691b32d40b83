"""Kaplan–Meier, goodness of fit, Zipf and demand calibration against known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.calibration.demand import fit_hourly_rates, load_hourly_counts, poisson_interval
from sim.calibration.fit import mle
from sim.calibration.gof import ad_statistic, goodness_of_fit, ks_statistic
from sim.calibration.survival import kaplan_meier, sample_from_km
from sim.calibration.zipf import fit_zipf, mean_log_rank, naive_mle, zipf_probs


def test_kaplan_meier_matches_hand_computation():
    # Times 1, 2+, 3, 3, 4+, 5: S(1) = 5/6; S(3) = 5/6 * (1 - 2/4) = 5/12; S(5) = 0.
    x = np.array([1, 2, 3, 3, 4, 5], float)
    c = np.array([0, 1, 0, 0, 1, 0], bool)
    km = kaplan_meier(x, c)
    np.testing.assert_allclose(km.times, [1, 3, 5])
    np.testing.assert_allclose(km.surv, [5 / 6, 5 / 12, 0.0])
    np.testing.assert_allclose(km([0.5, 1, 2.9, 3, 4.5, 9]), [1, 5 / 6, 5 / 6, 5 / 12, 5 / 12, 0])
    # Greenwood at t = 1: S^2 * d / (n (n - d)) = (5/6)^2 * 1 / 30.
    assert km.var[0] == pytest.approx((5 / 6) ** 2 / 30)


def test_kaplan_meier_without_censoring_is_the_empirical_survival():
    x = np.random.default_rng(0).exponential(1.0, 50)
    km = kaplan_meier(x)
    np.testing.assert_allclose(km.surv, 1 - np.arange(1, 51) / 50, atol=1e-12)


def test_draws_from_reverse_km_reproduce_the_window_law():
    rng = np.random.default_rng(1)
    w = rng.uniform(0, 10, 4000)
    km = kaplan_meier(w)  # every window "observed"
    d = sample_from_km(km, rng, 4000)
    assert stats.ks_2samp(w, d).pvalue > 0.01


def test_ks_and_ad_statistics_match_scipy():
    x = np.random.default_rng(2).normal(size=300)
    law = stats.norm()
    assert ks_statistic(x, law.cdf) == pytest.approx(stats.kstest(x, law.cdf).statistic)
    # Under the true law E[A^2] = 1 for every n (Anderson & Darling 1954).
    rng = np.random.default_rng(3)
    a2 = [ad_statistic(rng.normal(size=40), law.cdf) for _ in range(400)]
    assert np.mean(a2) == pytest.approx(1.0, abs=0.1)
    assert ad_statistic(x + 0.5, law.cdf) > 5


def test_bootstrap_gof_accepts_the_true_family_and_rejects_a_wrong_one():
    rng = np.random.default_rng(4)
    x = rng.lognormal(0.0, 0.4, 400)
    good = goodness_of_fit(mle("lognormal", x), x, None, np.random.default_rng(0), 99)
    bad = goodness_of_fit(mle("exponential", x), x, None, np.random.default_rng(0), 99)
    assert good.p_boot > 0.05 and good.n_boot == 99
    assert bad.p_boot <= 0.02
    # The naive p-value ignores estimation and is larger than the honest one here.
    assert good.p_naive >= good.p_boot * 0.5


def test_censored_gof_uses_kaplan_meier_distance():
    rng = np.random.default_rng(6)
    t = 100 * rng.weibull(2.0, 400)
    w = rng.uniform(30, 250, 400)
    x, c = np.minimum(t, w), t > w
    g = goodness_of_fit(mle("weibull", x, c), x, c, np.random.default_rng(0), 49)
    assert g.statistic == "km_ks" and np.isnan(g.p_naive)
    assert 0 < g.d < 0.2 and g.p_boot > 0.05


def test_zipf_naive_mle_solves_the_score_equation():
    p = zipf_probs(0.8, 50)
    counts = np.round(p * 1_000_000).astype(int)  # ranks already sorted: no sorting noise
    s, se = naive_mle(counts)
    assert s == pytest.approx(0.8, abs=2e-3)
    assert 0 < se < 0.01
    assert mean_log_rank(counts) == pytest.approx(p @ np.log(np.arange(1, 51)), rel=1e-4)


def test_zipf_fit_recovers_the_exponent_with_covering_intervals():
    rng = np.random.default_rng(8)
    covered = 0
    estimates = []
    for rep in range(20):
        counts = rng.multinomial(3000, zipf_probs(1.1, 200))
        fit = fit_zipf(rng.permutation(counts), n_sim=150, seed=rep, grid_points=25)
        covered += fit.low <= 1.1 <= fit.high
        estimates.append(fit.exponent)
        assert fit.low < fit.exponent < fit.high
    assert covered >= 17
    assert np.mean(estimates) == pytest.approx(1.1, abs=0.02)


def test_poisson_interval_matches_exact_values():
    lo, hi = poisson_interval(np.array([0, 10]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(lo, [0.0, 4.795389 / 2], rtol=1e-5)
    np.testing.assert_allclose(hi, [3.688879, 18.390356 / 2], rtol=1e-5)


def test_hourly_rates_recovered_and_checked_with_the_city_generator(tmp_path):
    rng = np.random.default_rng(12)
    rate = 20 + 80 * np.exp(-0.5 * ((np.arange(24) - 17) / 2.5) ** 2)
    counts = rng.poisson(rate, size=(10, 24))
    rows = ["day,hour,trips"] + [f"d{d},{h},{counts[d, h]}" for d in range(10) for h in range(24)]
    f = tmp_path / "trips.csv"
    f.write_text("\n".join(rows))
    m = load_hourly_counts(f)
    assert m.shape == (10, 24)
    fit = fit_hourly_rates(m, n_sim=60)
    assert np.mean((fit.low <= rate) & (rate <= fit.high)) >= 0.85
    np.testing.assert_allclose(fit.rates_per_h, counts.mean(axis=0))
    assert fit.scenario_settings()["requests_per_day"] == pytest.approx(counts.sum() / 10, rel=1e-3)
    assert fit.check is not None
    if "share_inside" in fit.check:  # the city demand generator is available
        assert fit.check["share_inside"] >= 0.75
        assert 0.9 <= fit.check["refit_interval_coverage"] <= 0.99


def test_hourly_counts_from_trip_times(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = np.array([10.0, 3700.0, 3800.0, 86400 + 5.0, 2 * 86400 - 1.0])
    pq.write_table(pa.table({"created_s": t}), tmp_path / "requests.parquet")
    m = load_hourly_counts(tmp_path / "requests.parquet")
    assert m.shape == (2, 24)
    assert m[0, 0] == 1 and m[0, 1] == 2 and m[1, 0] == 1 and m[1, 23] == 1
    # Folder input (a run directory's tables) finds the Parquet file with created_s.
    assert np.array_equal(load_hourly_counts(tmp_path), m, equal_nan=True)


def test_empirical_quantiles_have_the_same_law_in_scipy():
    from sim.schema.distributions import Empirical

    e = Empirical(values=[0.0, 1.0, 10.0], probs=[0.0, 0.5, 1.0])
    law = e.scipy()  # unequal bins: the mass per bin, not a density
    np.testing.assert_allclose(law.cdf([0.5, 1.0, 5.5, 10.0]), [0.25, 0.5, 0.75, 1.0])
    assert law.mean() == pytest.approx(e.mean())
