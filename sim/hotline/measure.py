"""Statistics of one hotline replication, computed once from the call arrays (no per-event cost).

Call-based figures (wait, service level, blocking) count calls by arrival time; time-based
figures (agents busy, callers waiting) integrate the step functions over the window.
"""

from __future__ import annotations

import math

import numpy as np


def step_integral(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Integral over each bin ``[edges[k], edges[k+1])`` of the number of open intervals.

    Each interval ``[starts[i], ends[i])`` counts one while open (e.g. one busy agent).

    Parameters
    ----------
    starts, ends : numpy.ndarray
        Interval bounds in seconds; ``ends >= starts``.
    edges : numpy.ndarray
        Increasing bin edges in seconds.

    Returns
    -------
    numpy.ndarray
        ``len(edges) - 1`` integrals in count x seconds.
    """
    times = np.concatenate([starts, ends])
    deltas = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
    order = np.argsort(times, kind="stable")
    times, deltas = times[order], deltas[order]
    cum_d = np.concatenate([[0.0], np.cumsum(deltas)])
    cum_dt = np.concatenate([[0.0], np.cumsum(deltas * times)])
    k = np.searchsorted(times, edges, side="right")
    # F(t) = integral_0^t N(u) du = t * (sum of deltas before t) - sum(delta * time before t)
    area = edges * cum_d[k] - cum_dt[k]
    return np.diff(area)


def window_stats(
    arrival_s: np.ndarray,
    answered_s: np.ndarray,
    handle_s: np.ndarray,
    blocked: np.ndarray,
    end_s: float,
    within_s: float,
    edges: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per-bin statistics of calls arriving in each bin and of the system state during it.

    Parameters
    ----------
    arrival_s, answered_s, handle_s : numpy.ndarray
        Per call: arrival time, time an agent picked it up (NaN if never), handling time.
    blocked : numpy.ndarray
        Per call: turned away because every agent was busy.
    end_s : float
        End of the simulation; calls still waiting then count as waiting until ``end_s``.
    within_s : float
        Service-level target time.
    edges : numpy.ndarray
        Bin edges in seconds.

    Returns
    -------
    dict of numpy.ndarray
        ``calls``, ``blocked``, ``answered``, ``waited``, ``wait_sum_s``, ``within`` (answered
        within the target), ``busy_s`` and ``queue_s`` (integrals, count x seconds).
    """
    nbins = edges.size - 1
    idx = np.searchsorted(edges, arrival_s, side="right") - 1
    inside = (idx >= 0) & (idx < nbins)
    idx = idx[inside]
    ans = answered_s[inside]
    arr = arrival_s[inside]
    blk = blocked[inside]
    got = ~np.isnan(ans)
    wait = np.where(got, ans - arr, np.where(blk, 0.0, end_s - arr))

    def count(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
        return np.bincount(idx, weights=w, minlength=nbins)[:nbins]

    served = ~np.isnan(answered_s)
    queued_end = np.where(served, answered_s, np.where(blocked, arrival_s, end_s))
    return {
        "calls": count(np.ones(idx.size, bool)),
        "blocked": count(blk),
        "answered": count(got),
        "waited": count(~blk & (wait > 0)),
        "wait_sum_s": count(~blk, wait),
        "within": count(got & (wait <= within_s)),
        "busy_s": step_integral(answered_s[served], answered_s[served] + handle_s[served], edges),
        "queue_s": step_integral(arrival_s, queued_end, edges),
    }


def ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else math.nan
