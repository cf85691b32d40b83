"""Candidate families for a fit: parameters, censored log-likelihood, profile distribution.

Each family is written in the parameters the profile schema uses (``mean`` for exponential,
``median``/``sigma`` for lognormal, ``shape``/``scale`` for gamma and Weibull, ``mean``/``sd``
for the normal truncated at 0), so a fit becomes a profile value without translation.
Optimisation works on a transformed vector ``theta`` (log of every positive parameter), where
the likelihood surface is closer to quadratic and Wald intervals behave better.

The log-likelihood of right-censored data sums the log density of observed values and the log
survival function of censored ones (devices still working when observation ended).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special, stats

from sim.schema.distributions import FAMILIES

Array = np.ndarray


@dataclass(frozen=True)
class Family:
    """A parametric family that can be fitted by maximum likelihood.

    Attributes
    ----------
    name
        The profile family name (a key of :data:`sim.schema.distributions.FAMILIES`).
    params
        Parameter names as written in a profile.
    log_scale
        Per parameter: optimised on the log scale (positive parameters).
    loglik
        ``loglik(params, x_obs, x_cens) -> float``: censored log-likelihood.
    start
        ``start(x_obs, x_cens) -> params``: a rough starting point.
    frozen
        ``frozen(params) -> scipy.stats frozen distribution``.
    fixed
        Settings held fixed, written with the fit (the truncated normal's bounds).
    direct
        ``direct(x_obs, x_cens) -> params``: the MLE in closed form or by a one-dimensional
        profile likelihood, when the family has one (None: optimise numerically).
    """

    name: str
    params: tuple[str, ...]
    log_scale: tuple[bool, ...]
    loglik: Callable[[Array, Array, Array], float]
    start: Callable[[Array, Array], Array]
    frozen: Callable[[Array], Any]
    fixed: dict[str, float] = field(default_factory=dict)
    direct: Callable[[Array, Array], Array | None] | None = None

    @property
    def k(self) -> int:
        """Number of free parameters."""
        return len(self.params)

    def to_theta(self, params: Array) -> Array:
        p = np.asarray(params, dtype=float)
        return np.where(self.log_scale, np.log(np.where(self.log_scale, p, 1.0)), p)

    def from_theta(self, theta: Array) -> Array:
        t = np.asarray(theta, dtype=float)
        return np.where(self.log_scale, np.exp(np.clip(t, -700, 700)), t)

    def distribution(self, params: Array, unit: str = "") -> Any:
        """The profile distribution object (a :mod:`sim.schema.distributions` model)."""
        values = {n: float(v) for n, v in zip(self.params, params, strict=True)}
        return FAMILIES[self.name].model_validate(
            {"family": self.name, "unit": unit, **values, **self.fixed})


def _mean_start(xo: Array, xc: Array) -> Array:
    total = xo.sum() + xc.sum()
    return np.array([total / max(xo.size, 1)])


def _exp_loglik(p: Array, xo: Array, xc: Array) -> float:
    m = p[0]
    return float(-xo.size * np.log(m) - (xo.sum() + xc.sum()) / m)


def _exp_direct(xo: Array, xc: Array) -> Array:
    return np.array([(xo.sum() + xc.sum()) / xo.size])


def _lognorm_direct(xo: Array, xc: Array) -> Array | None:
    if xc.size or xo.size < 2:
        return None
    lx = np.log(xo)
    return np.array([float(np.exp(lx.mean())), float(lx.std())])


def _bounded_max(f: Callable[[float], float], lo: float = -7.0,
                 hi: float = 7.0) -> float | None:
    """Maximiser of a smooth unimodal ``f`` inside ``(lo, hi)``; None if on a bound."""
    from scipy.optimize import minimize_scalar

    r = minimize_scalar(lambda u: -f(u), bounds=(lo, hi), method="bounded",
                        options={"xatol": 1e-10})
    u = float(r.x)
    return None if min(u - lo, hi - u) < 1e-3 else u


def _weibull_direct(xo: Array, xc: Array) -> Array | None:
    # Profile likelihood: for a given shape k the scale MLE is (sum x^k / d)^(1/k), which
    # leaves a one-dimensional problem in log k.
    lx = np.log(np.concatenate([xo, xc]))
    m = lx.max()
    d = xo.size
    slo = np.log(xo).sum()

    def prof(u: float) -> float:
        k = math.exp(u)
        # log sum x^k, shifted by the largest value to avoid overflow
        lse = k * m + math.log(float(np.exp(k * (lx - m)).sum()))
        return d * u - d * (lse - math.log(d)) + (k - 1.0) * slo

    u = _bounded_max(prof)
    if u is None:
        return None
    k = math.exp(u)
    lse = k * m + math.log(float(np.exp(k * (lx - m)).sum()))
    return np.array([k, math.exp((lse - math.log(d)) / k)])


def _gamma_direct(xo: Array, xc: Array) -> Array | None:
    if xc.size:
        return None
    n, mean, slx = xo.size, float(xo.mean()), float(np.log(xo).sum())

    def prof(u: float) -> float:  # scale = mean / shape
        a = math.exp(u)
        return float(-n * special.gammaln(a) - n * a * math.log(mean / a) + (a - 1) * slx - n * a)

    u = _bounded_max(prof, -7.0, 12.0)
    if u is None:
        return None
    a = math.exp(u)
    return np.array([a, mean / a])


def _lognorm_loglik(p: Array, xo: Array, xc: Array) -> float:
    mu, s = np.log(p[0]), p[1]
    zo = (np.log(xo) - mu) / s
    out = np.sum(-0.5 * zo * zo) - xo.size * (np.log(s) + 0.5 * np.log(2 * np.pi))
    out -= np.log(xo).sum()
    if xc.size:
        out += special.log_ndtr(-(np.log(xc) - mu) / s).sum()
    return float(out)


def _lognorm_start(xo: Array, xc: Array) -> Array:
    lx = np.log(np.concatenate([xo, xc]))
    return np.array([float(np.exp(np.mean(lx))), max(float(np.std(lx)), 1e-3)])


def _gamma_loglik(p: Array, xo: Array, xc: Array) -> float:
    a, th = p
    out = (-xo.size * (special.gammaln(a) + a * np.log(th))
           + (a - 1) * np.log(xo).sum() - xo.sum() / th)
    if xc.size:
        out += stats.gamma.logsf(xc, a, scale=th).sum()
    return float(out)


def _moment_start(xo: Array, xc: Array) -> Array:
    x = np.concatenate([xo, xc])
    m, v = float(np.mean(x)), float(np.var(x))
    shape = m * m / v if v > 0 else 1.0
    return np.array([shape, m / shape])


def _weibull_loglik(p: Array, xo: Array, xc: Array) -> float:
    k, lam = p
    lxo = np.log(xo) - np.log(lam)
    out = xo.size * (np.log(k) - np.log(lam)) + (k - 1) * lxo.sum() - np.exp(k * lxo).sum()
    if xc.size:
        out -= np.exp(k * (np.log(xc) - np.log(lam))).sum()
    return float(out)


def _weibull_start(xo: Array, xc: Array) -> Array:
    lx = np.log(np.concatenate([xo, xc]))
    sd = float(np.std(lx))
    k = 1.28 / sd if sd > 0 else 1.0  # sd of log Weibull = pi / (k sqrt 6)
    return np.array([k, float(np.exp(np.mean(lx) + 0.5772 / k))])


def _log_mass(lo: Array | float, hi: Array | float) -> Array:
    """``log(Phi(hi) - Phi(lo))`` computed in the tail where it is accurate."""
    lo_a, hi_a = np.broadcast_arrays(np.asarray(lo, float), np.asarray(hi, float))
    flip = lo_a > 0  # both in the upper tail: use the mirror image
    a = np.where(flip, -hi_a, lo_a)
    b = np.where(flip, -lo_a, hi_a)
    lb, la = special.log_ndtr(b), special.log_ndtr(a)
    with np.errstate(divide="ignore"):
        return lb + np.log1p(-np.exp(la - lb))


def normal_family(low: float = 0.0, high: float = math.inf) -> Family:
    """The normal family truncated to ``[low, high]`` (bounds fixed, not fitted)."""

    def loglik(p: Array, xo: Array, xc: Array) -> float:
        mu, sd = p
        if np.any(xo < low) or np.any(xo > high) or np.any(xc > high):
            return -math.inf
        a, b = (low - mu) / sd, (high - mu) / sd
        norm = float(_log_mass(a, b))
        zo = (xo - mu) / sd
        out = np.sum(-0.5 * zo * zo) - xo.size * (np.log(sd) + 0.5 * np.log(2 * np.pi) + norm)
        if xc.size:
            out += (_log_mass(np.maximum((xc - mu) / sd, a), b) - norm).sum()
        return float(out)

    def start(xo: Array, xc: Array) -> Array:
        x = np.concatenate([xo, xc])
        return np.array([float(np.mean(x)), max(float(np.std(x)), 1e-9)])

    def frozen(p: Array) -> Any:
        mu, sd = float(p[0]), float(p[1])
        return stats.truncnorm((low - mu) / sd, (high - mu) / sd, loc=mu, scale=sd)

    fixed = {} if (low == 0.0 and high == math.inf) else {"low": low, "high": high}
    if fixed and high == math.inf:
        fixed = {"low": low}
    return Family("normal", ("mean", "sd"), (False, True), loglik, start, frozen, fixed)


FIT_FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("exponential", ("mean",), (True,), _exp_loglik, _mean_start,
               lambda p: stats.expon(scale=float(p[0])), direct=_exp_direct),
        Family("lognormal", ("median", "sigma"), (True, True), _lognorm_loglik, _lognorm_start,
               lambda p: stats.lognorm(s=float(p[1]), scale=float(p[0])),
               direct=_lognorm_direct),
        Family("gamma", ("shape", "scale"), (True, True), _gamma_loglik, _moment_start,
               lambda p: stats.gamma(a=float(p[0]), scale=float(p[1])), direct=_gamma_direct),
        Family("weibull", ("shape", "scale"), (True, True), _weibull_loglik, _weibull_start,
               lambda p: stats.weibull_min(c=float(p[0]), scale=float(p[1])),
               direct=_weibull_direct),
        normal_family(),
    )
}

#: Families tried by ``--family auto``.
AUTO_FAMILIES = ("exponential", "lognormal", "gamma", "weibull", "normal")
#: Families tried by ``--family auto`` for lifetimes (censored data, ``*_rate_per_*`` fields):
#: a normal truncated at 0 can mimic a decreasing hazard yet is no model of wear-out.
LIFETIME_FAMILIES = ("exponential", "weibull", "gamma", "lognormal")
