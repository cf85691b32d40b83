"""When a vehicle leaves for its next stop: the departure rules of the dispatch engine.

Waiting where it is rather than at the next stop keeps a vehicle free to take a stop revealed
meanwhile before that one. The rules are those compared by Mitrović-Minić and Laporte,
"Waiting strategies for the dynamic pickup and delivery problem with time windows",
Transportation Research B 38 (2004), plus Branke et al.'s balanced waiting, "Waiting
strategies for dynamic vehicle routing", Transportation Science 39 (2005).
"""

from __future__ import annotations

import numpy as np

from sim.dispatch.schedule import Schedules

#: The rules (:attr:`sim.dispatch.engine.DispatchEngine.departure`).
DEPARTURES = ("at_once", "for_window", "wait_first", "dynamic", "advanced_dynamic",
              "balanced")
_EPS = 1e-6


def departure_wait_s(rule: str, s: Schedules, T: np.ndarray, v: int, node: int,
                     now: float) -> float:
    """How long vehicle ``v``, at ``node`` and free at ``now``, waits there before leaving
    for its first stop (``s.n[v] > 0``).

    - ``"at_once"``: no wait (drive first; it waits at the stop if early).
    - ``"for_window"``: arrive as the first stop's window opens.

    The others use the schedule's slack. From here and now, leaving at once: ``idle`` is the
    wait the plan has before the first stop's window opens, ``slack`` the latest the vehicle
    may leave and keep every later window and its return to the end depot (the forward slack
    of the first stop; ``slack >= idle``). A *zone* is a run of stops the vehicle drives
    through without waiting for a window; a new zone starts at each stop that would be
    reached before its window opens.

    - ``"wait_first"``: leave at the latest moment, ``slack``.
    - ``"dynamic"``: drive first within a zone (no wait), wait first between zones (``slack``
      when the first stop starts a new zone, else 0).
    - ``"advanced_dynamic"``: as ``"dynamic"``, but between zones wait only the window's
      ``idle`` plus an equal share of the slack beyond it for each zone still ahead and one
      for the time after the last stop (where tasks not known yet will go), so that the slack
      is spread along the schedule instead of spent at its first gap.
    - ``"balanced"``: at every stop, the window's ``idle`` plus an equal share of the slack
      beyond it for each stop still ahead and the way home.
    """
    if rule not in DEPARTURES:
        raise ValueError(f"departure {rule!r} is not one of {', '.join(DEPARTURES)}")
    if rule == "at_once":
        return 0.0
    if rule == "for_window":
        return float(s.early[v, 0]) - float(T[node, int(s.node[v, 0])]) - now
    k = int(s.n[v])
    x, t = node, now
    idle, margin = np.empty(k), np.empty(k)
    for i in range(k):
        y = int(s.node[v, i])
        arrive = t + float(T[x, y])
        start = max(arrive, float(s.early[v, i]))
        idle[i], margin[i] = start - arrive, float(s.late[v, i]) - start
        t, x = start + float(s.svc[v, i]), y
    end = int(s.end_node[v])
    slack = float(s.end_late[v]) - (t + float(T[x, end])) if end >= 0 else np.inf
    for i in range(k - 1, -1, -1):
        slack = idle[i] + min(margin[i], slack)
    if not np.isfinite(slack):  # nothing binds: wait for the window only
        return float(idle[0])
    if rule == "wait_first":
        return slack
    if rule == "balanced":
        return float(idle[0] + (slack - idle[0]) / (k + 1))
    if idle[0] <= _EPS:
        return 0.0  # within a zone: drive first
    if rule == "dynamic":
        return slack
    zones = 1 + int((idle[1:] > _EPS).sum())
    return float(idle[0] + (slack - idle[0]) / (zones + 1))
