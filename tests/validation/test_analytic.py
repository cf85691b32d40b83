"""Closed forms against textbook values at known points (each value cites its source)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.special import hyp2f1

from validation.analytic import (
    engset_blocking,
    engset_time_congestion,
    erlang_b,
    erlang_c,
    expected_distinct,
    expected_distinct_zipf,
    littles_law,
    mmc,
    zipf_probabilities,
)

# Erlang B tables: traffic (erlangs) a group of n servers carries at a given blocking.
# Source: any Erlang B table, e.g. V. B. Iversen, "Teletraffic Engineering and Network
# Planning", Technical University of Denmark (2015), table of Erlang's B-formula; the values
# are printed to three decimals, hence the tolerance.
ERLANG_B_TABLE = [
    # (servers, blocking, offered erlangs)
    (5, 0.01, 1.361),
    (10, 0.01, 4.461),
    (20, 0.01, 12.031),
    (30, 0.01, 20.337),
    (50, 0.01, 37.901),
    (100, 0.01, 84.064),
    (10, 0.001, 3.092),
    (10, 0.05, 6.216),
]


@pytest.mark.parametrize(("servers", "blocking", "erlangs"), ERLANG_B_TABLE)
def test_erlang_b_matches_table(servers: int, blocking: float, erlangs: float) -> None:
    assert erlang_b(servers, erlangs) == pytest.approx(blocking, rel=2e-3)


def test_erlang_b_small_closed_forms() -> None:
    # B(1, A) = A / (1 + A); B(2, A) = (A^2/2) / (1 + A + A^2/2) (Erlang's formula written out)
    for a in (0.1, 1.0, 3.7):
        assert erlang_b(1, a) == pytest.approx(a / (1 + a), rel=1e-14)
        assert erlang_b(2, a) == pytest.approx(a * a / 2 / (1 + a + a * a / 2), rel=1e-14)
    assert erlang_b(0, 5.0) == 1.0
    assert erlang_b(10, 0.0) == 0.0


def test_erlang_b_stable_for_large_groups() -> None:
    # A**c / c! overflows a float near c = 170; the recursion does not. Compare with the
    # exact rational value of the defining sum at a size where both are computable.
    c, a = 150, Fraction(140)
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    exact = float(terms[-1] / sum(terms))
    assert erlang_b(c, 140.0) == pytest.approx(exact, rel=1e-12)
    big = erlang_b(5000, 4900.0)
    assert 0.0 < big < 0.02 and math.isfinite(big)


def test_erlang_b_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="servers"):
        erlang_b(2.5, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="offered_erlangs"):
        erlang_b(3, -1.0)


def test_erlang_c_call_centre_worked_example() -> None:
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example":
    # 100 calls in 30 min with 180 s handling = 10 erlangs; with 11 agents the probability
    # of waiting is 0.6821 and 39.0% of calls are answered within 20 s; 14 agents give
    # a probability of waiting of 0.1741.
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=1e-4)
    assert erlang_c(14, 10.0) == pytest.approx(0.1741, abs=1e-4)
    q = mmc(100 / 1800, 180.0, 11)
    assert q.service_level(20.0) == pytest.approx(0.390, abs=1e-3)


def test_mm1_and_mm2_closed_forms() -> None:
    # L. Kleinrock, Queueing Systems Vol. 1 (1975), section 3.2 (M/M/1) and 3.5 (M/M/m):
    # M/M/1: P(W>0) = rho, Wq = rho / (mu - lambda), Lq = rho^2 / (1 - rho),
    # P(W > t) = rho exp(-(mu - lambda) t). M/M/2: C = A^2 / (2 + A).
    q = mmc(0.9, 1.0, 1)
    assert q.wait_prob == pytest.approx(0.9, rel=1e-12)
    assert q.wait_mean_s == pytest.approx(9.0, rel=1e-12)
    assert q.queue_mean == pytest.approx(8.1, rel=1e-12)
    assert q.response_mean_s == pytest.approx(10.0, rel=1e-12)
    assert q.in_system_mean == pytest.approx(9.0, rel=1e-12)
    assert q.wait_quantile(0.95) == pytest.approx(math.log(0.9 / 0.05) / 0.1, rel=1e-12)
    assert q.wait_quantile(0.05) == 0.0
    assert q.service_level(10.0) == pytest.approx(1 - 0.9 * math.exp(-1.0), rel=1e-12)
    for a in (0.5, 1.0, 1.6):
        assert erlang_c(2, a) == pytest.approx(a * a / (2 + a), rel=1e-12)


def test_mmc_quantile_inverts_service_level() -> None:
    q = mmc(300 / 3600, 240.0, 24)
    for p in (0.5, 0.8, 0.95, 0.99):
        t = q.wait_quantile(p)
        if t > 0:
            assert q.service_level(t) == pytest.approx(p, rel=1e-12)
        else:
            assert q.service_level(0.0) >= p


def test_mmc_unstable_and_little() -> None:
    q = mmc(1.0, 1.0, 1)
    assert not q.stable and q.wait_prob == 1.0 and math.isinf(q.wait_mean_s)
    stable = mmc(300 / 3600, 240.0, 22)
    assert stable.queue_mean == pytest.approx(stable.arrival_per_s * stable.wait_mean_s)
    assert stable.offered_erlangs == pytest.approx(20.0)


def test_engset_closed_forms() -> None:
    # T. O. Engset (1918); Iversen (2015) ch. 8: with S sources and c servers the call
    # congestion is the time congestion with S - 1 sources. With S = c + 1 the remaining c
    # sources never see a full group unless all are busy: B = beta^c / (1 + beta)^c.
    for c, beta in ((1, 0.5), (4, 0.2), (10, 0.05)):
        assert engset_blocking(c, c + 1, beta) == pytest.approx(beta**c / (1 + beta) ** c,
                                                                rel=1e-12)
    assert engset_blocking(5, 5, 1.0) == 0.0
    assert engset_time_congestion(5, 3, 1.0) == 0.0


def test_engset_matches_defining_sum_and_hypergeometric_form() -> None:
    # Definition: E = C(S, c) b^c / sum_k C(S, k) b^k. The blocking also equals
    # 1 / 2F1(1, -c; S - c; -1/b) with S sources ("Engset formula", Wikipedia, citing
    # the hypergeometric form of the call congestion).
    for c, sources, beta in ((4, 12, 0.1), (10, 40, 0.3), (30, 200, 0.12)):
        b = Fraction(beta)
        terms = [math.comb(sources - 1, k) * b**k for k in range(c + 1)]
        exact = float(terms[-1] / sum(terms))
        got = engset_blocking(c, sources, beta)
        assert got == pytest.approx(exact, rel=1e-12)
        assert got == pytest.approx(1.0 / hyp2f1(1, -c, sources - c, -1.0 / beta), rel=1e-9)


def test_engset_tends_to_erlang_b() -> None:
    # Many sources offering the same total traffic behave like Poisson arrivals.
    total, c = 8.0, 10
    near = engset_blocking(c, 200_000, total / 200_000)
    assert near == pytest.approx(erlang_b(c, total), rel=1e-3)
    # with few sources blocking is lower: a busy source stops calling
    assert engset_blocking(c, 20, total / 20) < erlang_b(c, total)


def test_littles_law() -> None:
    # J. D. C. Little, "A proof for the queuing formula L = lambda W", Oper. Res. 9 (1961).
    # 300 calls/h held 4 minutes each: 20 calls in progress on average.
    assert littles_law(arrival_rate=300 / 60, time_in_system=4.0) == pytest.approx(20.0)
    assert littles_law(arrival_rate=5.0, number_in_system=20.0) == pytest.approx(4.0)
    assert littles_law(time_in_system=4.0, number_in_system=20.0) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="exactly two"):
        littles_law(arrival_rate=1.0)


def test_expected_distinct_uniform_is_the_classical_occupancy() -> None:
    # W. Feller, An Introduction to Probability Theory, Vol. I, ch. II (occupancy problems):
    # N uniform draws from n cells occupy n (1 - (1 - 1/n)^N) cells on average. For the
    # birthday setting (n = 365, N = 23) evaluate it exactly with rationals.
    exact = float(365 * (1 - Fraction(364, 365) ** 23))
    assert expected_distinct_zipf(365, 0.0, 23) == pytest.approx(exact, rel=1e-12)
    assert 22.3 < exact < 22.4


def test_expected_distinct_zipf_small_case_by_hand() -> None:
    # n = 2, s = 1: p = (2/3, 1/3); two draws: (1 - 1/9) + (1 - 4/9) = 13/9.
    assert zipf_probabilities(2, 1.0) == pytest.approx([2 / 3, 1 / 3])
    assert expected_distinct_zipf(2, 1.0, 2) == pytest.approx(13 / 9, rel=1e-12)
    assert expected_distinct_zipf(165, 0.8, 0) == 0.0
    assert expected_distinct_zipf(165, 0.8, 1) == pytest.approx(1.0)
    assert expected_distinct(np.array([1.0, 0.0]), 3) == pytest.approx(1.0)


def test_expected_distinct_zipf_against_sampling() -> None:
    # 165 live channels (the IPTV service's line-up), Zipf 0.8, 60 viewers at a node
    rng = np.random.default_rng(20160611)
    p = zipf_probabilities(165, 0.8)
    draws = rng.choice(165, size=(4000, 60), p=p)
    distinct = np.array([np.unique(row).size for row in draws])
    expected = expected_distinct_zipf(165, 0.8, 60)
    se = distinct.std(ddof=1) / math.sqrt(distinct.size)
    assert abs(distinct.mean() - expected) < 4 * se
