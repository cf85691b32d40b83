"""95% intervals over replications that respect the range of the quantity.

A bare Student-t interval around a rate near 0 or 1, or a count near 0, runs outside the values
the quantity can take (a service rate of 1.02, a negative number of calls) and reads as more
certain than it is on the side that matters. So:

* **rates and shares** in [0, 1] get the Wilson score interval with the *effective* sample size
  of the replication means, ``n_eff = p(1 - p) / Var(p̂)``, and the Student-t quantile for
  ``R - 1`` degrees of freedom (Korn & Graubard 1998, *Survey Methodology* 24(2), 193-201);
  it always lies in [0, 1] and tends to the t interval when the rate is far from the edges;
* **non-negative quantities** (counts, times, km, money, loads) get the interval of the mean on
  the log scale (delta method): ``mean ×/÷ exp(t · se / mean)``, always positive;
* anything else (a value seen below zero) gets the Student-t interval.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

Scale = Literal["proportion", "nonnegative", "real"]

#: KPI names that are shares of a whole, in [0, 1].
_PROPORTION = re.compile(
    r"(_rate|_share|_prob|_ratio|_blocking|^utilisation|^service_level)$"
)


def kpi_scale(name: str, values: np.ndarray) -> Scale:
    """The range a KPI's values live in: by its name, confirmed by the values seen."""
    if values.size and _PROPORTION.search(name) and values.min() >= 0 and values.max() <= 1:
        return "proportion"
    if values.size == 0 or values.min() >= 0:
        return "nonnegative"
    return "real"


@dataclass(frozen=True)
class Interval:
    """Mean over replications and its 95% interval (None with fewer than two values)."""

    mean: float | None
    low: float | None
    high: float | None
    n: int
    method: str

    def as_dict(self) -> dict[str, float | int | str | None]:
        return {"mean": self.mean, "ci_low": self.low, "ci_high": self.high, "n": self.n,
                "method": self.method}


def kpi_interval(name: str, values: np.ndarray | list[float], level: float = 0.95) -> Interval:
    """Mean and ``level`` interval of one KPI over replications; NaN values do not count."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return Interval(None, None, None, 0, "n/a")
    mean = float(x.mean())
    scale = kpi_scale(name, x)
    if x.size < 2:
        return Interval(mean, None, None, 1, scale)
    from scipy import stats  # only with replications: it costs a second of start-up

    t = float(stats.t.ppf(0.5 + level / 2, x.size - 1))
    var_mean = float(x.var(ddof=1)) / x.size
    if scale == "proportion":
        lo, hi = wilson_effective(mean, var_mean, t)
        method = "wilson"
    elif scale == "nonnegative":
        lo, hi = log_scale(mean, var_mean, t)
        method = "log"
    else:
        half = t * math.sqrt(var_mean)
        lo, hi = mean - half, mean + half
        method = "t"
    return Interval(mean, lo, hi, int(x.size), method)


def wilson_effective(p: float, var_mean: float, z: float) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` whose estimate has variance ``var_mean``."""
    if var_mean <= 0.0 or p <= 0.0 or p >= 1.0:
        return p, p  # every replication gave the same value: nothing to widen
    n_eff = p * (1.0 - p) / var_mean
    denom = 1.0 + z * z / n_eff
    centre = (p + z * z / (2.0 * n_eff)) / denom
    half = z * math.sqrt(var_mean + z * z / (4.0 * n_eff * n_eff)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def log_scale(mean: float, var_mean: float, t: float) -> tuple[float, float]:
    """Interval of a positive mean on the log scale: ``mean ×/÷ exp(t · se / mean)``."""
    if mean <= 0.0 or var_mean <= 0.0:
        return mean, mean
    factor = math.exp(min(t * math.sqrt(var_mean) / mean, 700.0))
    return mean / factor, mean * factor


def student_t(values: np.ndarray, level: float = 0.95) -> tuple[float, float | None, float | None]:
    """Mean and Student-t interval (for quantities with no range to respect)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, None, None
    mean = float(x.mean())
    if x.size < 2:
        return mean, None, None
    from scipy import stats

    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half
