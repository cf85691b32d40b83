"""The truncated normal's mass and mean in closed form agree with ``scipy.stats``."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from sim.schema.distributions import Normal


@pytest.mark.parametrize("mean, sd, low, high", [
    (30, 2, 20, 40),           # jt808_basic's report interval
    (150, 30, 60, math.inf),   # a one-sided window
    (0, 1, 3, 4),              # far in the upper tail
    (0, 1, -7, -6),            # far in the lower tail
    (5, 10, 0, math.inf),      # a quarter of the mass cut off
])
def test_mass_and_mean_equal_scipy_truncnorm(mean: float, sd: float, low: float,
                                             high: float) -> None:
    d = Normal.model_validate({"mean": mean, "sd": sd, "low": low, "high": high})
    a, b = (low - mean) / sd, (high - mean) / sd
    law = stats.truncnorm(a, b, loc=mean, scale=sd)
    assert d.mean() == pytest.approx(float(law.mean()), rel=1e-12)
    ref_mass = (stats.norm.sf(a) - stats.norm.sf(b)) if a > 0 else \
        (stats.norm.cdf(b) - stats.norm.cdf(a))
    assert d.mass() == pytest.approx(float(ref_mass), rel=1e-12)


def test_shipped_symmetric_window_keeps_its_mean_exactly() -> None:
    assert Normal.model_validate({"mean": 30, "sd": 2, "low": 20, "high": 40}).mean() == 30.0
