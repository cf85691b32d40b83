"""Goodness of fit: Kolmogorov–Smirnov and Anderson–Darling, with a parametric bootstrap.

When the parameters were estimated from the same data, the textbook KS and AD p-values are
wrong (too large: the fitted curve has been pulled towards the data). The honest p-value comes
from a parametric bootstrap (Stute, Gonzales Manteiga & Presedo Quindimil 1993): draw data
sets from the fitted law, *refit each one*, and compare the statistic of the data with the
statistics of the refitted simulations. Both p-values are reported, the naive one labelled.

For right-censored data the statistic is the largest distance between the Kaplan–Meier
estimate and the fitted CDF; bootstrap data sets are censored by observation windows drawn
from the reverse Kaplan–Meier estimate of the data's censoring times.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats
from tqdm import tqdm

from sim.calibration.fit import FitResult, mle
from sim.calibration.survival import kaplan_meier, sample_from_km

Array = np.ndarray

CAVEAT = ("parameters were estimated from the same data: the naive p-value is too large; "
          "use the parametric-bootstrap p-value (refit on every simulated data set)")


@dataclass
class GofResult:
    """Goodness-of-fit statistics of one fit."""

    statistic: str  # "ks" or "km_ks" (censored)
    d: float
    p_naive: float  # textbook p-value (parameters assumed known); NaN when censored
    p_boot: float  # parametric-bootstrap p-value; NaN if not run
    a2: float  # Anderson–Darling statistic (uncensored only)
    p_boot_a2: float
    n_boot: int
    caveat: str = CAVEAT

    def as_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in asdict(self).items()}


def ks_statistic(x: Array, cdf: Any) -> float:
    """Kolmogorov–Smirnov distance between the sample ``x`` and a CDF callable."""
    xs = np.sort(np.asarray(x, dtype=float))
    n = xs.size
    f = cdf(xs)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - f), np.max(f - (i - 1) / n)))


def ad_statistic(x: Array, cdf: Any) -> float:
    """Anderson–Darling statistic A² of the sample ``x`` against a CDF callable."""
    xs = np.sort(np.asarray(x, dtype=float))
    n = xs.size
    f = np.clip(cdf(xs), 1e-300, 1 - 1e-16)
    i = np.arange(1, n + 1)
    return float(-n - np.mean((2 * i - 1) * (np.log(f) + np.log1p(-f[::-1]))))


def km_distance(x: Array, censored: Array, cdf: Any) -> float:
    """Largest gap between the Kaplan–Meier CDF and a fitted CDF, over observed failures."""
    km = kaplan_meier(x, censored)
    if km.times.size == 0:
        return math.nan
    f = cdf(km.times)
    after = 1.0 - km.surv
    before = np.concatenate([[0.0], after[:-1]])
    return float(max(np.max(np.abs(after - f)), np.max(np.abs(before - f))))


def _stats(fit: FitResult, x: Array, cens: Array) -> tuple[float, float]:
    cdf = fit.frozen().cdf
    if cens.any():
        return km_distance(x, cens, cdf), math.nan
    return ks_statistic(x, cdf), ad_statistic(x, cdf)


def goodness_of_fit(fit: FitResult, x: Array, censored: Array | None,
                    rng: np.random.Generator, n_boot: int = 200,
                    progress: bool = False) -> GofResult:
    """KS (or Kaplan–Meier KS) and AD statistics with naive and bootstrap p-values.

    Parameters
    ----------
    fit
        The fit to test (its family is refitted on every bootstrap data set).
    x, censored
        The data it was fitted to.
    rng
        Random stream for the bootstrap.
    n_boot
        Bootstrap data sets; 0 skips the bootstrap.
    """
    x = np.asarray(x, dtype=float)
    cens = np.zeros(x.size, bool) if censored is None else np.asarray(censored, bool)
    d, a2 = _stats(fit, x, cens)
    is_cens = bool(cens.any())
    p_naive = math.nan if is_cens else float(stats.kstwo.sf(d, x.size))
    windows = kaplan_meier(x, ~cens) if is_cens else None
    law = fit.frozen()
    ds, a2s = [], []
    for _ in tqdm(range(n_boot), desc=f"goodness of fit {fit.family.name}",
                  disable=not progress, leave=False):
        t = np.asarray(law.rvs(size=x.size, random_state=rng), dtype=float)
        t = np.maximum(t, np.finfo(float).tiny)
        c_b = np.zeros(x.size, bool)
        if windows is not None:
            w = sample_from_km(windows, rng, x.size)
            c_b = t > w
            t = np.where(c_b, w, t)
            if c_b.all():
                continue
        try:
            r = mle(fit.family, t, c_b, start=fit.params, information=False)
        except ValueError:
            continue
        if not r.converged:
            continue
        db, ab = _stats(r, t, c_b)
        ds.append(db)
        a2s.append(ab)
    nb = len(ds)
    p_boot = (1 + sum(v >= d for v in ds)) / (nb + 1) if nb else math.nan
    p_boot_a2 = ((1 + sum(v >= a2 for v in a2s)) / (nb + 1)
                 if nb and not is_cens else math.nan)
    return GofResult("km_ks" if is_cens else "ks", d, p_naive, float(p_boot), a2,
                     float(p_boot_a2), nb)
