"""Kaplan–Meier estimates for right-censored data, and draws from them.

Used to compare a fitted survival function with the data (goodness of fit and plots), and, as
the *reverse* Kaplan–Meier estimate (censorings taken as the events), to simulate the
observation windows in a parametric bootstrap of censored data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class KaplanMeier:
    """Step function ``S(t)``: ``surv[i]`` holds on ``[times[i], times[i+1])``, 1 before."""

    times: Array  # distinct event times, increasing
    surv: Array  # survival just after each time
    var: Array  # Greenwood variance of surv
    at_risk: Array
    events: Array

    def __call__(self, t: Array) -> Array:
        idx = np.searchsorted(self.times, np.asarray(t, dtype=float), side="right") - 1
        return np.where(idx >= 0, self.surv[np.clip(idx, 0, None)], 1.0)


def kaplan_meier(x: Array, censored: Array | None = None) -> KaplanMeier:
    """Kaplan–Meier survival estimate with Greenwood variance.

    Parameters
    ----------
    x
        Times (failure or censoring).
    censored
        True where the time is a censoring (the unit was still alive).
    """
    x = np.asarray(x, dtype=float)
    cens = np.zeros(x.size, bool) if censored is None else np.asarray(censored, bool)
    order = np.argsort(x, kind="stable")
    xs, ev = x[order], ~cens[order]
    times, first = np.unique(xs, return_index=True)
    # Events and removals per distinct time; at risk = everyone with time >= t.
    d = np.add.reduceat(ev.astype(float), first) if x.size else np.array([])
    at_risk = xs.size - first
    keep = d > 0
    times, d, at_risk = times[keep], d[keep], at_risk[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = 1.0 - d / at_risk
        surv = np.cumprod(factor)
        gw = np.cumsum(np.where(at_risk > d, d / (at_risk * (at_risk - d)), 0.0))
    return KaplanMeier(times, surv, surv * surv * gw, at_risk.astype(float), d)


def sample_from_km(km: KaplanMeier, rng: np.random.Generator, size: int) -> Array:
    """Draw from the step distribution ``1 - S``; mass beyond the last step becomes +inf."""
    u = rng.random(size)
    cdf = 1.0 - km.surv
    idx = np.searchsorted(cdf, u, side="right")
    out = np.full(size, np.inf)
    ok = idx < km.times.size
    out[ok] = km.times[idx[ok]]
    return out
