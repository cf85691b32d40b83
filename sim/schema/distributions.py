"""Probability distributions for hardware-profile quantities that vary.

A profile field typed :data:`Quantity` accepts either a plain number (deterministic) or a
mapping with a ``family`` key, e.g. ``{family: lognormal, median: 40, sigma: 0.3, unit: s}``.
Every family samples through a caller-supplied :class:`numpy.random.Generator` (a named
stream of the run), and exposes the equivalent frozen ``scipy.stats`` distribution for
plotting and fitting (``scipy.stats`` is imported only then: it costs a second of start-up).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, Field, model_validator

from sim.schema.base import StrictModel, UpperBound

#: Largest magnitude of a distribution parameter (1e12 s is 30,000 years): beyond it a value
#: is a typo or an attack, and samples would overflow what the models hold.
_MAX = 1e12
#: Below this share of the normal's mass inside ``[low, high]``, sample by inverse CDF.
_MIN_ACCEPT = 0.05
#: A window holding less than this share of the mass is an error, not a distribution.
_MIN_MASS = 1e-12


def _norm_sf(z: float) -> float:
    """The standard normal's survival function, ``P(Z > z)`` (``scipy.stats.norm.sf``),
    by the complementary error function: accurate in the far tails too."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _norm_pdf(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) if math.isfinite(z) else 0.0


class _Dist(StrictModel):
    unit: str = ""

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        raise NotImplementedError

    def scipy(self) -> Any:
        """Frozen ``scipy.stats`` distribution with the same law."""
        raise NotImplementedError

    def mean(self) -> float:
        return float(self.scipy().mean())


class Deterministic(_Dist):
    family: Literal["deterministic"] = "deterministic"
    value: float = Field(ge=-_MAX, le=_MAX)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return self.value if size is None else np.full(size, self.value, dtype=float)

    def scipy(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.value, scale=0.0)

    def mean(self) -> float:
        return self.value


class Exponential(_Dist):
    family: Literal["exponential"] = "exponential"
    mean_value: float = Field(gt=0, le=_MAX, alias="mean")

    model_config = {"populate_by_name": True, "extra": "forbid"}

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.exponential(self.mean_value, size)

    def scipy(self) -> Any:
        from scipy import stats

        return stats.expon(scale=self.mean_value)


class LogNormal(_Dist):
    """Log-normal by its median (= exp(mu)) and sigma of the log."""

    family: Literal["lognormal"] = "lognormal"
    median: float = Field(gt=0, le=_MAX)
    sigma: float = Field(gt=0, le=10)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.lognormal(math.log(self.median), self.sigma, size)

    def scipy(self) -> Any:
        from scipy import stats

        return stats.lognorm(s=self.sigma, scale=self.median)


class Gamma(_Dist):
    family: Literal["gamma"] = "gamma"
    shape: float = Field(ge=0.01, le=1e4)
    scale: float = Field(gt=0, le=_MAX)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.gamma(self.shape, self.scale, size)

    def scipy(self) -> Any:
        from scipy import stats

        return stats.gamma(a=self.shape, scale=self.scale)


class Weibull(_Dist):
    family: Literal["weibull"] = "weibull"
    shape: float = Field(ge=0.01, le=1e4)
    scale: float = Field(gt=0, le=_MAX)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return self.scale * rng.weibull(self.shape, size)

    def scipy(self) -> Any:
        from scipy import stats

        return stats.weibull_min(c=self.shape, scale=self.scale)


class Normal(_Dist):
    """Normal truncated to ``[low, high]`` (by default non-negative)."""

    family: Literal["normal"] = "normal"
    mean_value: float = Field(ge=-_MAX, le=_MAX, alias="mean")
    sd: float = Field(gt=0, le=_MAX)
    low: float = Field(default=0.0, ge=-_MAX, le=_MAX)
    high: UpperBound = Field(default=math.inf, ge=-_MAX)

    model_config = {"populate_by_name": True, "extra": "forbid"}

    @model_validator(mode="after")
    def _bounds(self) -> Normal:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.mass() < _MIN_MASS:
            raise ValueError(
                f"[low, high] = [{self.low:g}, {self.high:g}] holds almost none of the "
                f"normal's mass (mean {self.mean_value:g}, sd {self.sd:g}): move the window "
                "or the mean"
            )
        return self

    def _ab(self) -> tuple[float, float]:
        return (self.low - self.mean_value) / self.sd, (self.high - self.mean_value) / self.sd

    def mass(self) -> float:
        """Probability of the untruncated normal falling in ``[low, high]``."""
        a, b = self._ab()
        # Upper tail by the survival function, so far tails do not round to 1 - 1 = 0.
        if a > 0:
            return _norm_sf(a) - _norm_sf(b)
        return _norm_sf(-b) - _norm_sf(-a)

    def mean(self) -> float:
        """The truncated normal's mean, ``mean + sd (phi(a) - phi(b)) / mass`` (closed form;
        equal to ``scipy.stats.truncnorm``'s to within 1e-12, without importing it)."""
        a, b = self._ab()
        return self.mean_value + self.sd * (_norm_pdf(a) - _norm_pdf(b)) / self.mass()

    def scipy(self) -> Any:
        from scipy import stats

        a, b = self._ab()
        return stats.truncnorm(a, b, loc=self.mean_value, scale=self.sd)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        n = 1 if size is None else int(size)
        if self.mass() < _MIN_ACCEPT:
            # Rejection would need 1/mass draws per value: sample by inverse CDF instead.
            out = np.asarray(self.scipy().ppf(rng.random(n)), dtype=float)
            out = np.clip(out, self.low, self.high)
            return float(out[0]) if size is None else out
        out = np.empty(n)
        filled = 0
        while filled < n:  # rejection: exact, and at least 5% of draws are kept
            draw = rng.normal(self.mean_value, self.sd, max(16, 2 * (n - filled)))
            ok = draw[(draw >= self.low) & (draw <= self.high)][: n - filled]
            out[filled : filled + ok.size] = ok
            filled += ok.size
        return float(out[0]) if size is None else out


class Empirical(_Dist):
    """Piecewise-linear quantile function through ``values`` at probabilities ``probs``.

    ``probs`` defaults to evenly spaced points from 0 to 1.
    """

    family: Literal["empirical"] = "empirical"
    values: list[float] = Field(min_length=2, max_length=100_000)
    probs: list[float] | None = Field(default=None, max_length=100_000)

    @model_validator(mode="after")
    def _check(self) -> Empirical:
        if any(abs(v) > _MAX for v in self.values):
            raise ValueError(f"values must be within +-{_MAX:g}")
        if any(b < a for a, b in zip(self.values, self.values[1:], strict=False)):
            raise ValueError("values must be non-decreasing quantiles")
        if self.probs is not None:
            p = self.probs
            if len(p) != len(self.values):
                raise ValueError("probs and values must have the same length")
            if p[0] != 0.0 or p[-1] != 1.0 or any(b <= a for a, b in zip(p, p[1:], strict=False)):
                raise ValueError("probs must increase strictly from 0 to 1")
        return self

    def _probs(self) -> np.ndarray:
        if self.probs is not None:
            return np.asarray(self.probs)
        return np.linspace(0.0, 1.0, len(self.values))

    def ppf(self, u: Any) -> Any:
        return np.interp(u, self._probs(), np.asarray(self.values))

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        u = rng.random(size)
        out = self.ppf(u)
        return float(out) if size is None else out

    def scipy(self) -> Any:
        from scipy import stats

        # A histogram distribution with the same piecewise-linear CDF.
        edges = np.asarray(self.values, dtype=float)
        mass = np.diff(self._probs())
        keep = np.diff(edges) > 0
        return stats.rv_histogram((mass[keep], np.concatenate([edges[:1], edges[1:][keep]])),
                                  density=False)  # mass per bin, not a density

    def mean(self) -> float:
        v = np.asarray(self.values)
        p = self._probs()
        return float(np.sum(np.diff(p) * (v[1:] + v[:-1]) / 2.0))


Distribution = Annotated[
    Deterministic | Exponential | LogNormal | Gamma | Weibull | Normal | Empirical,
    Field(discriminator="family"),
]

#: A plain number standing for a deterministic quantity (bounded like ``Deterministic``).
PlainNumber = Annotated[float, Field(ge=-_MAX, le=_MAX)]


def _lowest(q: Any) -> float:
    """The smallest value ``q`` (a number or a distribution) can take."""
    if isinstance(q, Deterministic):
        return q.value
    if isinstance(q, Normal):
        return q.low
    if isinstance(q, Empirical):
        return q.values[0]
    if isinstance(q, _Dist):
        return 0.0  # exponential, lognormal, gamma, weibull: positive by nature
    return float(q)


def _not_negative(q: Any) -> Any:
    """Every quantity of the models is a time, a size, a rate, a speed or a count: a value
    below zero (a plain -1, a normal truncated below 0, an empirical list starting below 0)
    is a typo, and a model would otherwise take it as it comes (a negative patience, a
    negative task duration, a site of -1 boxes)."""
    low = _lowest(q)
    if low < 0:
        what = "" if not isinstance(q, _Dist) else \
            f" ({getattr(q, 'family', 'a')} distribution reaching {low:g})"
        raise ValueError(f"must not be negative{what}")
    return q


def _positive_mean(q: Any) -> Any:
    if not mean_of(q) > 0:
        raise ValueError("must be greater than 0 on average")
    return q


#: A profile or scenario quantity: a plain number or a distribution, never below zero.
Quantity = Annotated[PlainNumber | Distribution, AfterValidator(_not_negative)]
#: A quantity that is divided by (a speed): never below zero and above zero on average.
PositiveQuantity = Annotated[Quantity, AfterValidator(_positive_mean)]

FAMILIES: dict[str, type[_Dist]] = {
    c.model_fields["family"].default: c
    for c in (Deterministic, Exponential, LogNormal, Gamma, Weibull, Normal, Empirical)
}


def as_distribution(q: Any) -> _Dist:
    """Return ``q`` as a distribution object (numbers become deterministic)."""
    if isinstance(q, _Dist):
        return q
    return Deterministic(value=float(q))


def sample(q: Any, rng: np.random.Generator, size: int | None = None) -> Any:
    """Sample a :data:`Quantity` (number or distribution)."""
    return as_distribution(q).sample(rng, size)


def mean_of(q: Any) -> float:
    return as_distribution(q).mean()
