"""Hourly demand rates from trip counts per hour over several days.

Model: trips in clock hour ``h`` of any day are Poisson with rate ``λ_h`` (per hour), the
model of the city demand generator (:func:`sim.city.demand.arrival_times`, piecewise constant
per clock hour). The MLE is the count per observed hour, ``λ_h = x_h / e_h`` (``e_h`` = days in
which hour ``h`` was observed), with exact (Garwood) 95 % intervals from the chi-square
quantiles. The Poisson assumption is tested per hour by the index of dispersion
``Σ_d (x_hd - x̄_h)² / x̄_h ~ χ²(e_h - 1)``.

The fit is then checked by simulating the city demand generator itself with the fitted
``requests_per_day`` and ``hourly_profile`` for the same number of days, many times: the share
of hours whose measured count lies inside the simulated central 95 % range should be near 95 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from tqdm import tqdm

from sim.calibration.data import read_columns
from sim.errors import DataError, Problem

Array = np.ndarray


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def load_hourly_counts(path: str | Path, column: str | None = None) -> Array:
    """A days x 24 matrix of trip counts (NaN where an hour was not observed).

    Accepts a table with ``day``, ``hour`` (0-23) and a count column (default ``trips``), or a
    table of trips with ``created_s`` (seconds from midnight of day 0; e.g. a city run's
    ``tables/requests.parquet``), whose observation is taken to end at the last full hour
    containing a trip.
    """
    p = Path(path)
    file, cols, rows = read_columns(p, "created_s" if p.is_dir() else None)
    if "created_s" in cols and (column is None or column == "created_s"):
        t = np.array([_num(v) for v in cols["created_s"]])
        bad = [Problem(f"created_s (row {r})", "must be a finite time >= 0", v)
               for r, v, x in zip(rows, cols["created_s"], t, strict=True)
               if not (math.isfinite(x) and x >= 0)]
        if bad or t.size == 0:
            raise DataError(file, bad[:10] or [Problem("created_s", "no trips", has_value=False)])
        hour_idx = np.floor(t / 3600.0).astype(np.int64)
        n_hours = int(hour_idx.max()) + 1
        n_days = math.ceil(n_hours / 24)
        flat = np.full(n_days * 24, np.nan)
        flat[:n_hours] = np.bincount(hour_idx, minlength=n_hours)
        return flat.reshape(n_days, 24)
    col = column or "trips"
    missing = [c for c in ("day", "hour", col) if c not in cols]
    if missing:
        raise DataError(file, [Problem(c, f"no such column (columns: {list(cols)}); expected "
                                       f"day, hour, {col} or a created_s column", c)
                               for c in missing])
    days: dict[str, int] = {}
    problems: list[Problem] = []
    cells: dict[tuple[int, int], float] = {}
    for r, d, h, x in zip(rows, cols["day"], cols["hour"], cols[col], strict=True):
        hv, xv = _num(h), _num(x)
        if not (math.isfinite(hv) and hv == int(hv) and 0 <= hv <= 23):
            problems.append(Problem(f"hour (row {r})", "must be a whole hour 0-23", h))
            continue
        if not (math.isfinite(xv) and xv >= 0 and xv == int(xv)):
            problems.append(Problem(f"{col} (row {r})", "must be a whole count >= 0", x))
            continue
        di = days.setdefault(str(d), len(days))
        if (di, int(hv)) in cells:
            problems.append(Problem(f"row {r}", f"day {d} hour {int(hv)} appears twice", x))
        cells[(di, int(hv))] = xv
    if not rows:
        problems.append(Problem(col, "file has no data rows", has_value=False))
    if problems:
        raise DataError(file, problems[:10])
    out = np.full((len(days), 24), np.nan)
    for (di, h), x in cells.items():
        out[di, h] = x
    return out


@dataclass
class HourlyFit:
    """Fitted hourly Poisson rates with intervals, dispersion tests and the generator check."""

    rates_per_h: Array
    low: Array
    high: Array
    exposure_days: Array
    dispersion: Array  # variance / mean per hour
    dispersion_p: Array  # upper-tail p of the index of dispersion
    overall_p: float
    counts: Array  # days x 24
    check: dict[str, Any] | None

    @property
    def days(self) -> int:
        return int(self.counts.shape[0])

    def scenario_settings(self) -> dict[str, Any]:
        """The city scenario's demand fields that reproduce the fitted rates."""
        total = float(self.rates_per_h.sum())
        return {"requests_per_day": round(total, 1),
                "hourly_profile": [round(float(r / total * 24), 4) for r in self.rates_per_h]}

    def as_dict(self) -> dict[str, Any]:
        return {
            "behaviour": "demand", "days": self.days,
            "rates_per_h": self.rates_per_h.tolist(), "low_95": self.low.tolist(),
            "high_95": self.high.tolist(), "interval_method": "exact Poisson (Garwood)",
            "exposure_days": self.exposure_days.tolist(),
            "variance_to_mean": self.dispersion.tolist(),
            "dispersion_p": self.dispersion_p.tolist(), "overall_dispersion_p": self.overall_p,
            "scenario": {"demand": self.scenario_settings()}, "check": self.check,
        }


def poisson_interval(count: Array, exposure: Array, level: float = 0.95) -> tuple[Array, Array]:
    """Exact (Garwood) interval for a Poisson rate from ``count`` events in ``exposure``."""
    a = 1.0 - level
    x = np.asarray(count, float)
    lo = np.where(x > 0, stats.chi2.ppf(a / 2, 2 * x) / 2.0, 0.0)
    hi = stats.chi2.ppf(1 - a / 2, 2 * x + 2) / 2.0
    return lo / exposure, hi / exposure


def fit_hourly_rates(counts: Array, check: bool = True, n_sim: int = 200, seed: int = 0,
                     progress: bool = False) -> HourlyFit:
    """Poisson MLE per clock hour, exact intervals, dispersion tests, generator check.

    Parameters
    ----------
    counts
        Days x 24 trip counts, NaN where not observed.
    check
        Simulate the city demand generator with the fit (skipped if it is not available).
    n_sim
        Simulated observation periods for the check.
    """
    c = np.asarray(counts, float)
    seen = np.isfinite(c)
    e = seen.sum(axis=0).astype(float)
    if np.any(e == 0):
        missing = [int(h) for h in np.flatnonzero(e == 0)]
        raise DataError("demand", [Problem("hour", "no observation for these hours", missing)])
    x = np.where(seen, c, 0.0).sum(axis=0)
    rates = x / e
    lo, hi = poisson_interval(x, e)
    mean = np.where(rates > 0, rates, np.nan)
    ss = np.where(seen, (c - rates) ** 2, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = ss / mean
        disp = np.where(e > 1, ss / np.maximum(e - 1, 1) / mean, np.nan)
        p = np.where((e > 1) & (rates > 0), stats.chi2.sf(index, e - 1), np.nan)
    ok = (e > 1) & (rates > 0)
    overall = float(stats.chi2.sf(index[ok].sum(), (e[ok] - 1).sum())) if ok.any() else math.nan
    fit = HourlyFit(rates, lo, hi, e, disp, p, overall, c, None)
    if check:
        fit.check = generator_check(fit, n_sim, seed, progress)
    return fit


def generator_check(fit: HourlyFit, n_sim: int = 200, seed: int = 0,
                    progress: bool = False) -> dict[str, Any] | None:
    """Simulate the city demand generator with the fit; compare with the measured counts."""
    try:
        from sim.city.demand import arrival_times
        from sim.city.schema import Demand
    except ImportError:
        return {"note": "city demand generator not available; Poisson fit only"}
    s = fit.scenario_settings()
    if s["requests_per_day"] <= 0:
        return {"note": "no trips: nothing to simulate"}
    demand = Demand(requests_per_day=s["requests_per_day"], hourly_profile=s["hourly_profile"])
    days = fit.days
    rng = np.random.default_rng(seed)
    sims = np.empty((n_sim, 24))
    refit_cover = np.zeros(24)
    for i in tqdm(range(n_sim), desc="demand generator", disable=not progress, leave=False):
        t = arrival_times(demand, days * 86400.0, 0.0, rng)
        per = np.bincount((t // 3600).astype(np.int64) % 24, minlength=24)[:24].astype(float)
        sims[i] = per
        lo, hi = poisson_interval(per, np.full(24, float(days)))
        refit_cover += (lo <= fit.rates_per_h) & (fit.rates_per_h <= hi)
    measured = np.where(np.isfinite(fit.counts), fit.counts, 0.0).sum(axis=0)
    q_lo, q_hi = np.quantile(sims, [0.025, 0.975], axis=0)
    inside = (measured >= q_lo) & (measured <= q_hi)
    full = bool(np.all(fit.exposure_days == days))
    return {
        "simulations": n_sim,
        "hours_inside_simulated_95": int(inside.sum()),
        "share_inside": float(inside.mean()),
        "refit_interval_coverage": float((refit_cover / n_sim).mean()),
        "note": f"{int(inside.sum())}/24 measured hourly totals inside the generator's central "
                f"95% range over {n_sim} simulated {days}-day periods; refitting simulated data "
                f"covers the fitted rates {float((refit_cover / n_sim).mean()):.1%} of the time"
                + ("" if full else " (some hours observed on fewer days: totals not comparable)"),
    }
