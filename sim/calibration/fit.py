"""Maximum-likelihood fits with right censoring, intervals and the AIC choice.

The fit maximises the censored log-likelihood of :mod:`sim.calibration.families` with
``scipy.optimize`` (BFGS, Nelder-Mead as a fallback) on the data rescaled by their median, so
the same tolerances work whether the data are in milliseconds or thousands of hours.

Two kinds of 95 % interval are offered:

- *asymptotic* (Wald, from the observed Fisher information, on the log scale for positive
  parameters): cheap, and what the coverage tests use;
- *bootstrap* (percentile intervals from refits to data resampled with replacement, rows kept
  with their censoring flag): no normal approximation, valid with censoring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, stats
from tqdm import tqdm

from sim.calibration.families import FIT_FAMILIES, Family

Array = np.ndarray

# Parameters that scale with the data (everything but shapes and the lognormal sigma).
_SCALE_PARAMS = {"mean", "median", "scale", "sd"}


@dataclass
class FitResult:
    """One family fitted to one data set."""

    family: Family
    params: Array
    loglik: float
    n: int
    n_censored: int
    converged: bool
    cov_theta: Array | None = None
    boot: Array | None = field(default=None, repr=False)

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``2 k - 2 log L``."""
        return 2.0 * self.family.k - 2.0 * self.loglik

    @property
    def named(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.family.params, self.params, strict=True)}

    def frozen(self) -> Any:
        """The fitted law as a frozen ``scipy.stats`` distribution."""
        return self.family.frozen(self.params)

    def asymptotic_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Wald intervals from the observed information (log scale for positive parameters)."""
        if self.cov_theta is None:
            return {n: (math.nan, math.nan) for n in self.family.params}
        z = float(stats.norm.ppf(0.5 + level / 2.0))
        theta = self.family.to_theta(self.params)
        se = np.sqrt(np.clip(np.diag(self.cov_theta), 0.0, None))
        lo = self.family.from_theta(theta - z * se)
        hi = self.family.from_theta(theta + z * se)
        return {n: (float(a), float(b)) for n, a, b in zip(self.family.params, lo, hi, strict=True)}

    def bootstrap_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Percentile intervals from :func:`bootstrap`; NaN if it was not run."""
        if self.boot is None or len(self.boot) == 0:
            return {n: (math.nan, math.nan) for n in self.family.params}
        q = np.quantile(self.boot, [0.5 - level / 2.0, 0.5 + level / 2.0], axis=0)
        return {n: (float(q[0, i]), float(q[1, i])) for i, n in enumerate(self.family.params)}


def _split(x: Array, censored: Array) -> tuple[Array, Array]:
    return x[~censored], x[censored]


def _negll(family: Family, xo: Array, xc: Array):  # type: ignore[no-untyped-def]
    def f(theta: Array) -> float:
        p = family.from_theta(theta)
        if family.name == "normal" and not p[1] > 0:
            return 1e300
        with np.errstate(all="ignore"):
            v = -family.loglik(p, xo, xc)
        return v if math.isfinite(v) else 1e300

    return f


def _scale_params(family: Family, params: Array, c: float) -> Array:
    out = np.array(params, dtype=float)
    for i, name in enumerate(family.params):
        if name in _SCALE_PARAMS:
            out[i] *= c
    return out


def hessian(f: Any, theta: Array, rel_step: float = 1e-4) -> Array:
    """Central finite-difference Hessian of ``f`` at ``theta``."""
    k = theta.size
    h = rel_step * (1.0 + np.abs(theta))
    out = np.empty((k, k))
    f0 = f(theta)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        out[i, i] = (f(theta + ei) - 2.0 * f0 + f(theta - ei)) / (h[i] * h[i])
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            v = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                 + f(theta - ei - ej)) / (4.0 * h[i] * h[j])
            out[i, j] = out[j, i] = v
    return out


def mle(family: Family | str, x: Array, censored: Array | None = None,
        start: Array | None = None, information: bool = True) -> FitResult:
    """Maximum-likelihood fit of ``family`` to ``x`` with optional right-censoring flags.

    Parameters
    ----------
    family
        A :class:`Family` or its name.
    x
        Positive values (times, sizes); censored entries are lower bounds.
    censored
        Boolean mask, True where the value is right-censored. Default: none censored.
    start
        Starting parameters (profile scale); default: the family's moment guess.
    information
        Also compute the observed information (needed for asymptotic intervals).

    Returns
    -------
    FitResult
    """
    fam = FIT_FAMILIES[family] if isinstance(family, str) else family
    x = np.asarray(x, dtype=float)
    cens = np.zeros(x.size, bool) if censored is None else np.asarray(censored, bool)
    xo, xc = _split(x, cens)
    if xo.size == 0:
        raise ValueError("no uncensored observation: the likelihood has no maximum")
    c = float(np.median(x))
    # Fixed settings (truncation bounds) are in data units: fit those families unscaled.
    c = c if c > 0 and not fam.fixed else 1.0
    yo, yc = xo / c, xc / c
    f_scaled = _negll(fam, yo, yc)
    direct = fam.direct(yo, yc) if fam.direct is not None else None
    if direct is not None and np.all(np.isfinite(direct)) and math.isfinite(
            f_scaled(fam.to_theta(direct))) and f_scaled(fam.to_theta(direct)) < 1e299:
        return _result(fam, _scale_params(fam, direct, c), x, cens, xo, xc, information,
                       optimiser_ok=True)
    p0 = fam.start(yo, yc) if start is None else _scale_params(fam, start, 1.0 / c)
    theta0 = fam.to_theta(p0)
    best = optimize.minimize(f_scaled, theta0, method="BFGS", options={"gtol": 1e-7})
    # "Precision loss" (status 2) with a flat gradient is the optimum reached within the
    # accuracy of finite differences, typically when starting from a nearby fit.
    flat = best.status == 2 and bool(np.all(np.abs(best.jac) < 1e-3))
    if not (best.success or flat) or not np.all(np.isfinite(best.x)):
        nm = optimize.minimize(f_scaled, theta0, method="Nelder-Mead",
                               options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 4000})
        if nm.fun <= best.fun or not np.all(np.isfinite(best.x)):
            best = nm
    params = _scale_params(fam, fam.from_theta(best.x), c)
    return _result(fam, params, x, cens, xo, xc, information, optimiser_ok=best.fun < 1e299)


def _result(fam: Family, params: Array, x: Array, cens: Array, xo: Array, xc: Array,
            information: bool, optimiser_ok: bool) -> FitResult:
    f_orig = _negll(fam, xo, xc)
    theta = fam.to_theta(params)
    ll = -f_orig(theta)
    cov = None
    if information:
        h = hessian(f_orig, theta)
        try:
            cov = np.linalg.inv(h)
            if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0):
                cov = None
        except np.linalg.LinAlgError:
            cov = None
    converged = bool(math.isfinite(ll) and ll > -1e299 and optimiser_ok)
    return FitResult(fam, params, float(ll), int(x.size), int(cens.sum()), converged, cov)


def fit_candidates(x: Array, censored: Array | None,
                   families: list[str] | list[Family]) -> list[FitResult]:
    """Fit every family (objects or names); return the converged fits, lowest AIC first."""
    fits = []
    for fam in families:
        try:
            r = mle(fam, x, censored)
        except (ValueError, FloatingPointError):
            continue
        if r.converged:
            fits.append(r)
    return sorted(fits, key=lambda r: r.aic)


def akaike_weights(fits: list[FitResult]) -> list[float]:
    """Relative likelihood of each model, ``exp(-dAIC/2)`` normalised."""
    if not fits:
        return []
    a = np.array([f.aic for f in fits])
    w = np.exp(-(a - a.min()) / 2.0)
    return [float(v) for v in w / w.sum()]


def bootstrap(fit: FitResult, x: Array, censored: Array | None, rng: np.random.Generator,
              n_boot: int = 200, progress: bool = False) -> FitResult:
    """Refit ``fit.family`` to ``n_boot`` resamples of the rows; store the draws in ``fit.boot``.

    Resamples without any uncensored value are skipped (they have no MLE).
    """
    x = np.asarray(x, dtype=float)
    cens = np.zeros(x.size, bool) if censored is None else np.asarray(censored, bool)
    draws = []
    for _ in tqdm(range(n_boot), desc=f"bootstrap {fit.family.name}", disable=not progress,
                  leave=False):
        idx = rng.integers(0, x.size, x.size)
        if cens[idx].all():
            continue
        r = mle(fit.family, x[idx], cens[idx], start=fit.params, information=False)
        if r.converged:
            draws.append(r.params)
    fit.boot = np.array(draws).reshape(-1, fit.family.k)
    return fit
