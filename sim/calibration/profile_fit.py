"""Calibrate one field of a hardware profile from measured samples.

:func:`calibrate_field` fits the candidate families, picks one (AIC, or the family asked
for), tests the fit, computes intervals and returns a :class:`Calibration` holding the new
field value and everything the provenance record and the report need.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.calibration.data import Samples
from sim.calibration.families import (
    AUTO_FAMILIES,
    FIT_FAMILIES,
    LIFETIME_FAMILIES,
    Family,
    normal_family,
)
from sim.calibration.fields import KNOWN_UNITS, FieldTarget, get_path, unit_for
from sim.calibration.fit import (
    FitResult,
    akaike_weights,
    bootstrap,
    fit_candidates,
)
from sim.calibration.gof import GofResult, goodness_of_fit
from sim.errors import DataError, Problem
from sim.schema.distributions import Empirical

#: Families accepted by ``--family`` (``auto`` = lowest AIC among the parametric ones).
FAMILY_CHOICES = ("auto", *AUTO_FAMILIES, "empirical")
EMPIRICAL_PROBS = tuple(float(p) for p in np.linspace(0.0, 1.0, 21))
MIN_OBSERVED = 5


@dataclass
class Calibration:
    """The outcome of calibrating one profile field."""

    kind: str
    profile_ref: str  # id@version calibrated from
    target: FieldTarget
    samples: Samples
    family: str
    fits: list[FitResult]
    chosen: FitResult | None  # None for the empirical family
    value: Any  # the new field value (distribution mapping or number)
    unit: str
    interval_method: str
    intervals: dict[str, tuple[float, float]]
    gof: GofResult | None
    seed: int
    date: str = field(default_factory=lambda: _dt.date.today().isoformat())

    @property
    def method(self) -> str:
        cens = " with right-censoring" if self.samples.n_censored else ""
        if self.chosen is None:
            return "empirical quantiles (21 points)"
        how = ("lowest AIC among " + ", ".join(f.family.name for f in self.fits)
               if self.family == "auto" else f"family {self.family} as requested")
        text = f"maximum likelihood{cens}; {how}; {self.interval_method} 95% intervals"
        if self.target.kind == "float":
            text += f"; field value = {self.target.describe()}"
        return text

    def candidates(self) -> list[dict[str, Any]]:
        """Every fitted family: parameters, log-likelihood, AIC, dAIC, Akaike weight."""
        if not self.fits:
            return []
        best = self.fits[0].aic
        return [
            {"family": f.family.name, "params": f.named, "loglik": f.loglik, "aic": f.aic,
             "delta_aic": f.aic - best, "weight": w}
            for f, w in zip(self.fits, akaike_weights(self.fits), strict=True)
        ]

    def fit_summary(self) -> dict[str, Any]:
        """Compact fit statistics for the provenance record."""
        out: dict[str, Any] = {"family": self.family if self.chosen is None
                               else self.chosen.family.name, "field": self.target.path}
        if self.chosen is not None:
            out["params"] = _round(self.chosen.named)
            out["loglik"] = _r(self.chosen.loglik)
            out["aic"] = _r(self.chosen.aic)
            out["intervals_95"] = {k: [_r(a), _r(b)] for k, (a, b) in self.intervals.items()}
            out["interval_method"] = self.interval_method
            out["aic_by_family"] = {c["family"]: _r(c["aic"]) for c in self.candidates()}
        if self.gof is not None:
            g = self.gof
            out["gof"] = {"statistic": g.statistic, "d": _r(g.d),
                          "p_bootstrap": _r(g.p_boot), "p_naive": _r(g.p_naive),
                          "n_bootstrap": g.n_boot, "note": "naive p ignores that parameters "
                          "were estimated from these data; trust p_bootstrap"}
            if not math.isnan(g.a2):
                out["gof"]["anderson_darling"] = _r(g.a2)
                out["gof"]["p_bootstrap_ad"] = _r(g.p_boot_a2)
        if self.target.kind == "float":
            out["value"] = _r(float(self.value))
        out["seed"] = self.seed
        return out

    def provenance(self) -> dict[str, Any]:
        """A :class:`~sim.schema.profiles.Provenance` mapping for the new version."""
        return {
            "source": "calibration",
            "derived_from": self.profile_ref,
            "data_file": str(self.samples.source),
            "data_sha256": self.samples.sha256,
            "sample_size": self.samples.n,
            "censored": self.samples.n_censored,
            "method": self.method,
            "fit": self.fit_summary(),
            "date": self.date,
            "note": f"field {self.target.path} from column {self.samples.column}"
            + (f" (censoring flag {self.samples.censor_column})"
               if self.samples.censor_column else ""),
        }


def _r(v: float) -> float | None:
    v = float(v)
    return None if not math.isfinite(v) else float(f"{v:.6g}")


def _round(d: dict[str, float]) -> dict[str, float | None]:
    return {k: _r(v) for k, v in d.items()}


def _derived(target: FieldTarget, fit: FitResult, params: np.ndarray) -> float:
    law = fit.family.frozen(params)
    m = float(law.mean())
    if target.derive == "rate" and target.rate_per:
        return target.rate_per / m
    if target.derive == "cv":
        return float(law.std()) / m
    return m


def _float_interval(target: FieldTarget, fit: FitResult, rng: np.random.Generator,
                    method: str) -> tuple[float, float]:
    if method == "bootstrap" and fit.boot is not None and len(fit.boot):
        draws = fit.boot
    elif fit.cov_theta is not None:
        theta = rng.multivariate_normal(fit.family.to_theta(fit.params), fit.cov_theta, 2000)
        draws = np.array([fit.family.from_theta(t) for t in theta])
    else:
        return (math.nan, math.nan)
    vals = np.array([_derived(target, fit, p) for p in draws])
    lo, hi = np.quantile(vals[np.isfinite(vals)], [0.025, 0.975])
    return float(lo), float(hi)


def family_for(name: str, current: Any) -> Family:
    """The family to fit; a truncated normal keeps the bounds of the field's current value."""
    if name == "normal" and isinstance(current, dict) and current.get("family") == "normal":
        low = float(current.get("low", 0.0))
        high = float(current.get("high", math.inf))
        return normal_family(low, high)
    return FIT_FAMILIES[name]


def calibrate_field(kind: str, profile_ref: str, current: dict[str, Any], target: FieldTarget,
                    samples: Samples, family: str = "auto", interval: str = "bootstrap",
                    n_boot: int = 200, seed: int = 0, progress: bool = False) -> Calibration:
    """Fit ``samples`` and build the new value of ``target``.

    Parameters
    ----------
    kind, profile_ref
        Profile kind and the ``id@version`` calibrated from.
    current
        The profile's raw data (for the field's current unit).
    target
        The field (see :func:`sim.calibration.fields.field_target`).
    samples
        Measured values with censoring flags.
    family
        ``auto`` (lowest AIC), a family name, or ``empirical``.
    interval
        ``bootstrap`` (percentile, ``n_boot`` resamples) or ``asymptotic`` (Wald).
    n_boot
        Resamples for the intervals and the goodness-of-fit bootstrap.
    seed
        Seed of the bootstrap streams (recorded in the provenance).
    """
    from sim.engine.rng import RngStreams

    rng = RngStreams(seed)
    src = str(samples.source)
    col = samples.column
    n_obs = samples.n - samples.n_censored
    if n_obs < MIN_OBSERVED:
        raise DataError(src, [Problem(col, f"only {n_obs} uncensored values; at least "
                                      f"{MIN_OBSERVED} are needed for a fit", n_obs)])
    if family not in FAMILY_CHOICES:
        raise DataError(src, [Problem("--family", f"unknown family; choose from "
                                      f"{', '.join(FAMILY_CHOICES)}", family)])
    unit = unit_for(target, get_path(current, target.path))
    if target.kind == "float":  # the data are not in the field's unit: use the column's
        suffix = col.rsplit("_", 1)[-1].lower() if "_" in col else ""
        unit = suffix if suffix in KNOWN_UNITS else target.rate_unit
    x, cens = samples.values, samples.censored
    if family == "empirical":
        if samples.n_censored:
            raise DataError(src, [Problem(col, "the empirical family needs uncensored data; "
                                          "use a parametric family for censored times",
                                          samples.n_censored)])
        if target.kind != "quantity":
            raise DataError(src, [Problem(target.path, "an empirical distribution needs a "
                                          "Quantity field", target.path)])
        q = np.quantile(x, EMPIRICAL_PROBS)
        dist = Empirical(values=[float(f"{v:.6g}") for v in q], unit=unit)
        quantiles = dist.model_dump(by_alias=True, exclude_none=True)
        quantiles.pop("probs", None)
        return Calibration(kind, profile_ref, target, samples, family, [], None, quantiles, unit,
                           "none", {}, None, seed)
    lifetimes = samples.n_censored > 0 or target.derive == "rate"
    names = (list(LIFETIME_FAMILIES if lifetimes else AUTO_FAMILIES) if family == "auto"
             else [family])
    fits = fit_candidates(x, cens, [family_for(n, get_path(current, target.path))
                                    for n in names])
    if not fits:
        raise DataError(src, [Problem(col, f"no family among {names} could be fitted "
                                      "(likelihood did not converge)", has_value=False)])
    best = fits[0]
    if interval == "bootstrap" and n_boot > 0:
        bootstrap(best, x, cens, rng.stream("calibration.bootstrap"), n_boot, progress)
        intervals = best.bootstrap_intervals()
    else:
        interval = "asymptotic"
        intervals = best.asymptotic_intervals()
    gof = goodness_of_fit(best, x, cens, rng.stream("calibration.gof"), n_boot, progress)
    value: Any
    if target.kind == "quantity":
        law = best.family.distribution(best.params, unit)
        value = {k: (float(f"{v:.6g}") if isinstance(v, float) else v)
                 for k, v in law.model_dump(by_alias=True, exclude_none=True).items()}
        for k in ("low", "high"):  # default bounds of the truncated normal stay implicit
            if k not in best.family.fixed:
                value.pop(k, None)
    else:
        value = float(f"{_derived(target, best, best.params):.6g}")
        lo, hi = _float_interval(target, best, rng.stream("calibration.derived"), interval)
        intervals = {**intervals, target.name: (lo, hi)}
    return Calibration(kind, profile_ref, target, samples, family, fits, best, value, unit,
                       interval, intervals, gof, seed)
