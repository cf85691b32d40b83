"""First-come-first-served agents with impatient callers, computed call by call (no SimPy).

For long, many-queue runs (a year of provincial hotlines) the SimPy model is too slow; this
gives the same answer times as :class:`sim.hotline.model.HotlineModel` with
``when_busy: queue`` when nobody abandons (tested call for call), and adds abandonment: a
caller whose wait would exceed their patience hangs up and takes no agent (M/M/c+G).
"""

from __future__ import annotations

import heapq

import numpy as np


def fcfs_abandon(arrival_s: np.ndarray, handle_s: np.ndarray, patience_s: np.ndarray,
                 agents: int) -> tuple[np.ndarray, np.ndarray]:
    """Answer time of each call (NaN if abandoned) and whether it abandoned.

    Calls are served in arrival order (``arrival_s`` sorted) by ``agents`` identical agents;
    each call gets the agent that frees up first. A call whose wait would exceed its
    patience abandons at ``arrival + patience`` without using an agent.
    """
    n = arrival_s.size
    answered = np.full(n, np.nan)
    abandoned = np.zeros(n, bool)
    if agents <= 0:
        abandoned[:] = True
        return answered, abandoned
    free = [0.0] * agents
    heapq.heapify(free)
    arr = arrival_s.tolist()
    hdl = handle_s.tolist()
    pat = patience_s.tolist()
    for i in range(n):
        f = free[0]
        a = arr[i]
        start = a if f <= a else f
        if start - a > pat[i]:
            abandoned[i] = True
            continue
        answered[i] = start
        heapq.heapreplace(free, start + hdl[i])
    return answered, abandoned
