"""Channel-popularity exponent from viewers per channel, by matching simulated aggregates.

Model: each of ``N`` viewers watches channel ``k`` (popularity rank ``1..K``) with probability
``p_k ∝ k^-s``. Only the counts per channel are measured, and the ranks are unknown: sorting
the counts to rank them makes the tail look steeper or flatter than it is when counts are small.
The sufficient statistic of the multinomial with known ranks is the mean log rank
``T = Σ c_(k) log k / N`` (counts sorted in decreasing order); its *naive* MLE solves
``E_s[log k] = T``. The calibrated estimate instead matches ``T`` of the data with the mean of
``T`` over data sets simulated from ``Zipf(s)`` with the same ``N`` and ``K`` (and sorted the
same way), on a grid of ``s`` with common random numbers. The 95 % interval inverts the
simulated 2.5 % and 97.5 % quantiles of ``T`` (a Neyman belt from the parametric bootstrap):
every ``s`` under which the measured ``T`` is not extreme.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize
from tqdm import tqdm

from sim.calibration.data import read_columns
from sim.errors import DataError, Problem

Array = np.ndarray
#: Most channels (rows) a data file may give: the bound of ``--channels``.
MAX_CHANNELS = 100_000
#: Most viewers counted (per channel and in all): far beyond any line-up, and a sum that
#: the simulations' 64-bit counts hold.
MAX_VIEWERS = 10**12


def load_counts(path: str | Path, column: str = "viewers", channels: int | None = None) -> Array:
    """Viewer counts per channel (one row per channel), padded with zeros to ``channels``."""
    file, cols, rows = read_columns(Path(path), column)
    if column not in cols:
        raise DataError(file, [Problem(column, f"no such column (columns: {list(cols)}); "
                                       "choose one with --column", column)])
    raw = cols[column]
    problems = []
    values = []
    for r, v in zip(rows, raw, strict=True):
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = math.nan
        if not math.isfinite(f) or f < 0 or f != int(f):
            problems.append(Problem(f"{column} (row {r})", "must be a whole number >= 0", v))
        elif f > MAX_VIEWERS:
            problems.append(Problem(f"{column} (row {r})", f"more than {MAX_VIEWERS:.0e} "
                                    "viewers on one channel", v))
        else:
            values.append(int(f))
    if not raw:
        problems.append(Problem(column, "file has no data rows", has_value=False))
    elif len(raw) > MAX_CHANNELS:
        problems.append(Problem(column, f"{len(raw):,} rows (channels); at most "
                                f"{MAX_CHANNELS:,}", has_value=False))
    elif sum(values) > MAX_VIEWERS:
        problems.append(Problem(column, f"more than {MAX_VIEWERS:.0e} viewers in all",
                                sum(values)))
    if problems:
        raise DataError(file, problems[:10])
    counts = np.array(values, dtype=np.int64)
    if channels is not None:
        if channels < counts.size:
            raise DataError(file, [Problem("--channels", f"fewer than the {counts.size} channels "
                                           "in the file", channels)])
        counts = np.concatenate([counts, np.zeros(channels - counts.size, np.int64)])
    if counts.size < 2 or counts.sum() < 2:
        raise DataError(file, [Problem(column, "need at least 2 channels and 2 viewers",
                                       int(counts.sum()))])
    return counts


def zipf_probs(s: float, k: int) -> Array:
    """Popularity of ranks ``1..k`` under exponent ``s``."""
    w = np.arange(1, k + 1, dtype=float) ** -s
    return w / w.sum()


def mean_log_rank(counts: Array) -> Array:
    """``T``: mean log rank of the viewers, counts sorted decreasing (last axis)."""
    c = -np.sort(-np.asarray(counts), axis=-1)
    logk = np.log(np.arange(1, c.shape[-1] + 1))
    return (c * logk).sum(axis=-1) / c.sum(axis=-1)


def naive_mle(counts: Array) -> tuple[float, float]:
    """MLE of ``s`` taking the sorted order as the true ranks, and its standard error."""
    k, n = counts.size, int(counts.sum())
    t = float(mean_log_rank(counts))
    logk = np.log(np.arange(1, k + 1))

    def g(s: float) -> float:
        return float(zipf_probs(s, k) @ logk) - t

    hi = 1.0
    while g(hi) > 0 and hi < 50:
        hi *= 2
    s = optimize.brentq(g, -5.0, hi) if g(-5.0) > 0 else -5.0
    p = zipf_probs(s, k)
    var = float(p @ logk**2 - (p @ logk) ** 2)
    return s, 1.0 / math.sqrt(n * var) if var > 0 else math.nan


@dataclass
class ZipfFit:
    """Fitted Zipf exponent, interval and the simulated rank-frequency band."""

    exponent: float
    low: float
    high: float
    naive: float
    naive_low: float
    naive_high: float
    boot_low: float
    boot_high: float
    p_value: float
    channels: int
    total: int
    n_sim: int
    counts: Array
    expected: Array
    band_low: Array
    band_high: Array

    def as_dict(self) -> dict[str, Any]:
        return {
            "behaviour": "zipf", "exponent": self.exponent,
            "interval_95": [self.low, self.high],
            "interval_method": "inversion of simulated 2.5%/97.5% quantiles of the mean log "
                               "rank (parametric bootstrap Neyman belt)",
            "bootstrap_percentile_95": [self.boot_low, self.boot_high],
            "naive_mle": self.naive, "naive_interval_95": [self.naive_low, self.naive_high],
            "gof_p": self.p_value, "channels": self.channels, "viewers": self.total,
            "simulations": self.n_sim,
        }


def _simulate_t(s: float, k: int, n: int, n_sim: int, seed: int) -> Array:
    rng = np.random.default_rng(seed)  # same seed at every s: common random numbers
    return mean_log_rank(rng.multinomial(n, zipf_probs(s, k), size=n_sim))


def _crossing(grid: Array, curve: Array, target: float) -> float:
    """``s`` where a decreasing ``curve`` over ``grid`` equals ``target`` (NaN if outside)."""
    c = np.minimum.accumulate(curve)  # enforce monotone decrease against simulation noise
    if target > c[0] or target < c[-1]:
        return math.nan
    return float(np.interp(target, c[::-1], grid[::-1]))


def fit_zipf(counts: Array, n_sim: int = 400, seed: int = 0, grid_points: int = 41,
             progress: bool = False) -> ZipfFit:
    """Fit the Zipf exponent to viewer counts per channel by simulated moment matching.

    Parameters
    ----------
    counts
        Viewers per channel (any order; zero counts included).
    n_sim
        Simulated data sets per grid point.
    seed
        Seed of the simulations.
    grid_points
        Grid size; the grid is widened until it brackets the interval.
    """
    counts = np.asarray(counts, dtype=np.int64)
    k, n = counts.size, int(counts.sum())
    t_obs = float(mean_log_rank(counts))
    s0, se = naive_mle(counts)
    half = max(6 * (se if math.isfinite(se) else 0.1), 0.15)
    for _ in range(6):
        grid = np.linspace(s0 - half, s0 + half, grid_points)
        sims = np.array([_simulate_t(s, k, n, n_sim, seed)
                         for s in tqdm(grid, desc="zipf simulations", disable=not progress,
                                       leave=False)])
        mean = sims.mean(axis=1)
        q_lo, q_hi = np.quantile(sims, [0.025, 0.975], axis=1)
        est = _crossing(grid, mean, t_obs)
        lo = _crossing(grid, q_lo, t_obs)
        hi = _crossing(grid, q_hi, t_obs)
        if all(math.isfinite(v) for v in (est, lo, hi)):
            break
        s0 = est if math.isfinite(est) else s0
        half *= 2
    else:
        raise DataError("zipf", [Problem("viewers", "no Zipf exponent reproduces the measured "
                                         "rank-frequency statistic", t_obs)])
    # Parametric bootstrap at the estimate, each draw mapped back through the mean curve.
    t_boot = _simulate_t(est, k, n, n_sim, seed + 1)
    boot = np.array([_crossing(grid, mean, t) for t in t_boot])
    boot = boot[np.isfinite(boot)]
    b_lo, b_hi = (np.quantile(boot, [0.025, 0.975]) if boot.size else (math.nan, math.nan))
    # Rank-frequency band and a distance test at the estimate.
    rng = np.random.default_rng(seed + 2)
    sim_counts = -np.sort(-rng.multinomial(n, zipf_probs(est, k), size=n_sim), axis=1)
    expected = sim_counts.mean(axis=0)
    band = np.quantile(sim_counts, [0.025, 0.975], axis=0)
    obs_sorted = -np.sort(-counts)

    def dist(c: Array) -> Array:
        return (((c - expected) ** 2) / np.maximum(expected, 0.5)).sum(axis=-1)

    p = float((1 + np.sum(dist(sim_counts) >= dist(obs_sorted))) / (n_sim + 1))
    z = 1.959963984540054
    return ZipfFit(est, lo, hi, s0, s0 - z * se, s0 + z * se, float(b_lo), float(b_hi), p, k, n,
                   n_sim, obs_sorted, expected, band[0], band[1])
