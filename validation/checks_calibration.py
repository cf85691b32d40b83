"""Calibration checks: interval coverage on known laws, AIC choice, Zipf exponent recovery.

- ``calibration.coverage``: 95 % asymptotic intervals of maximum-likelihood fits (right-
  censored Weibull and exponential, uncensored lognormal and gamma; n = 200 and 5,000) cover
  the true parameters in at least 90 % of 100 repetitions. ``full`` adds the other study cases.
- ``calibration.aic``: AIC picks the true family on clearly separable cases (n = 5,000).
- ``calibration.zipf``: the simulation-matched Zipf exponent's interval covers the truth.

The full study, bootstrap intervals included, is ``validation/calibration_study.py``.
"""

from __future__ import annotations

from validation.calibration_study import CASES, aic_choice, coverage, zipf_coverage
from validation.registry import CheckResult, register_check

FAST_CASES = [0, 1, 3, 5]  # censored Weibull, censored exponential, lognormal, gamma
MIN_COVERAGE = 0.90


@register_check("calibration.coverage", "calibration")
def check_coverage(full: bool) -> list[CheckResult]:
    """95 % intervals cover the true parameters in >= 90 % of 100 repetitions."""
    cases = CASES if full else [CASES[i] for i in FAST_CASES]
    out = []
    for case in cases:
        for n in (200, 5000):
            for r in coverage(case, n, reps=100):
                out.append(CheckResult(
                    f"{r.case} n={n}: {r.parameter} interval coverage", 0.95,
                    round(r.coverage, 2), f">= {MIN_COVERAGE:.2f}",
                    r.coverage >= MIN_COVERAGE,
                    f"asymptotic 95% intervals, {r.reps} repetitions, mean estimate "
                    f"{r.mean_estimate:.4g} (truth {r.truth:g}), censored "
                    f"{r.censored_share:.0%}"))
    return out


@register_check("calibration.aic", "calibration")
def check_aic(full: bool) -> list[CheckResult]:
    """AIC picks the true family on clearly separable cases."""
    shares = aic_choice(n=5000, reps=20 if full else 5)
    return [CheckResult(f"AIC picks {fam} (n=5000)", 1.0, share, ">= 0.90", share >= 0.9,
                        "candidates: " + ", ".join(("exponential", "lognormal", "gamma",
                                                    "weibull", "normal")))
            for fam, share in shares.items()]


@register_check("calibration.zipf", "calibration")
def check_zipf(full: bool) -> list[CheckResult]:
    """Zipf exponent from viewers per channel: interval coverage and bias."""
    z = zipf_coverage(reps=100 if full else 20, n_sim=200 if full else 100)
    return [
        CheckResult("Zipf exponent 0.9 interval coverage", 0.95, z["coverage"],
                    ">= 0.85" if not full else ">= 0.90",
                    z["coverage"] >= (0.90 if full else 0.85),
                    f"{z['reps']} repetitions, 150 channels, 12000 viewers; naive ranked-count "
                    f"MLE covers {z['naive_coverage']:.2f}"),
        CheckResult("Zipf exponent 0.9 mean estimate", 0.9, round(z["mean_estimate"], 4),
                    "+-0.01", abs(z["mean_estimate"] - 0.9) <= 0.01,
                    "mean over repetitions of the simulation-matched estimate"),
    ]
