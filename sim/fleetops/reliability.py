"""Breakdowns on the vehicle's own clock: operating hours (or km), Weibull hazard.

A vehicle profile states ``failure_rate_per_1000h``: breakdowns per 1000 *operating* hours
(or ``failures_per_100000km`` with ``failure_clock: km``). With ``failure_shape`` beta the
hazard at clock reading ``x`` (the vehicle's lifetime operating hours or odometer) is a
power law (Weibull)::

    h(x) = lam * beta * (x / R) ** (beta - 1)        cumulative  H(x) = lam * R * (x / R) ** beta

with ``lam`` the stated rate and ``R`` the reference (``failure_ref_h`` or
``failure_ref_km``): the stated rate is the mean hazard over the first ``R`` of the
vehicle's life, so an older or higher-mileage vehicle fails more often when beta > 1
(wear-out) and less when beta < 1; beta = 1 is a constant rate whatever the age.

A repair is *minimal* (the vehicle is as old after it as before), so breakdowns form a
non-homogeneous Poisson process on the clock: the expected count between readings ``x0``
and ``x1`` is ``H(x1) - H(x0)``, which is ``lam * (x1 - x0)`` for beta = 1. Each vehicle
carries the clock reading of its next breakdown, drawn by inverting ``H``
(``x_next = H^-1(H(x) + E)``, ``E`` exponential), and a task that carries the clock past it
is a task during which the vehicle broke down: nothing polls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.schema.profiles import VehicleProfile


@dataclass(frozen=True)
class FailureLaw:
    """The power-law (Weibull) hazard of one vehicle profile on its failure clock."""

    rate_per_unit: float  # stated mean hazard per clock unit (per operating h or per km)
    shape: float
    ref: float  # clock units over which ``rate_per_unit`` is the mean hazard
    clock: str  # "operating_h" or "km"

    @classmethod
    def of(cls, profile: VehicleProfile) -> FailureLaw:
        if profile.failure_clock == "km":
            per_100000km = profile.failures_per_100000km or 0.0
            return cls(per_100000km / 1e5, profile.failure_shape, profile.failure_ref_km, "km")
        return cls(profile.failure_rate_per_1000h / 1000.0, profile.failure_shape,
                   profile.failure_ref_h, "operating_h")

    def cumulative(self, x: float | np.ndarray) -> float | np.ndarray:
        """Expected breakdowns from clock 0 to ``x`` (the cumulative hazard H)."""
        xs = np.maximum(np.asarray(x, float), 0.0)
        out = self.rate_per_unit * self.ref * (xs / self.ref) ** self.shape
        return float(out) if np.ndim(out) == 0 else out

    def inverse(self, cum: float) -> float:
        """The clock reading at which the cumulative hazard reaches ``cum``."""
        if self.rate_per_unit <= 0.0:
            return math.inf
        return self.ref * (cum / (self.rate_per_unit * self.ref)) ** (1.0 / self.shape)

    def expected(self, x0: float | np.ndarray, x1: float | np.ndarray) -> float | np.ndarray:
        """Expected breakdowns while the clock runs from ``x0`` to ``x1``."""
        return self.cumulative(x1) - self.cumulative(x0)  # type: ignore[operator]

    def next_after(self, x: float, exp_draw: float) -> float:
        """Clock reading of the next breakdown after ``x`` given a unit exponential draw."""
        if self.rate_per_unit <= 0.0:
            return math.inf
        return self.inverse(float(self.cumulative(x)) + exp_draw)

    def reading(self, odometer_km: float, operating_h: float) -> float:
        """The clock reading of a vehicle with this odometer and these operating hours."""
        return odometer_km if self.clock == "km" else operating_h


class ExpBuffer:
    """Unit exponential draws from one named stream, drawn in blocks (cheap per call)."""

    def __init__(self, rng: np.random.Generator, block: int = 4096):
        self.rng, self.block = rng, block
        self._buf = rng.standard_exponential(block)
        self._i = 0

    def next(self) -> float:
        if self._i >= self.block:
            self._buf = self.rng.standard_exponential(self.block)
            self._i = 0
        value = float(self._buf[self._i])
        self._i += 1
        return value


def breakdowns_between(law: FailureLaw, start: float, end: float, next_at: float,
                       draws: ExpBuffer) -> tuple[list[float], float]:
    """Breakdown clock readings in ``(start, end]`` and the next one after them.

    ``next_at`` is the vehicle's pending breakdown reading; each one passed is followed by
    a fresh draw from it (minimal repair), so the count is exactly Poisson with mean
    ``law.expected(start, end)`` whatever the task lengths.
    """
    hits: list[float] = []
    while next_at <= end:
        if next_at > start:
            hits.append(next_at)
        next_at = law.next_after(max(next_at, start), draws.next())
    return hits, next_at
