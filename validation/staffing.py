"""How many agents does a hotline need? Erlang C staffing for a service-level target.

The planner's question, "how many agents so that 80% of calls are answered within 20 s?",
is answered by the smallest agent count whose M/M/c service level
``P(W <= t) = 1 - C(c, A) exp(-(c mu - lambda) t)`` meets the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from validation.analytic import MMc, mmc


@dataclass(frozen=True)
class StaffingOption:
    """One agent count and what callers get with it."""

    agents: int
    utilisation: float
    wait_prob: float
    wait_mean_s: float
    service_level: float
    meets_target: bool


@dataclass(frozen=True)
class StaffingAnswer:
    """The smallest agent count meeting the target, and the options around it."""

    calls_per_h: float
    handle_s: float
    target: float
    within_s: float
    agents: int
    options: list[StaffingOption]

    @property
    def offered_erlangs(self) -> float:
        return self.calls_per_h / 3600.0 * self.handle_s

    @property
    def chosen(self) -> StaffingOption:
        return next(o for o in self.options if o.agents == self.agents)


def option(queue: MMc, within_s: float, target: float) -> StaffingOption:
    sl = queue.service_level(within_s)
    return StaffingOption(
        agents=queue.servers,
        utilisation=queue.utilisation,
        wait_prob=queue.wait_prob,
        wait_mean_s=queue.wait_mean_s,
        service_level=sl,
        meets_target=sl >= target,
    )


def agents_for_service_level(
    calls_per_h: float,
    handle_s: float,
    target: float = 0.8,
    within_s: float = 20.0,
    around: int = 2,
    max_agents: int = 100_000,
) -> StaffingAnswer:
    """Smallest number of agents answering ``target`` of calls within ``within_s``.

    Parameters
    ----------
    calls_per_h : float
        Poisson call arrival rate, calls per hour.
    handle_s : float
        Mean handling time (talk plus wrap-up, exponential), seconds.
    target : float
        Required share of calls answered within ``within_s``, in (0, 1).
    within_s : float
        Answer-time threshold, seconds.
    around : int
        How many agent counts below and above the answer to tabulate.
    max_agents : int
        Give up above this many agents.

    Returns
    -------
    StaffingAnswer
        The answer and a table of options around it.
    """
    if calls_per_h <= 0 or handle_s <= 0:
        raise ValueError("calls_per_h and handle_s must be > 0")
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be a share in (0, 1), got {target!r}")
    if within_s < 0:
        raise ValueError("within_s must be >= 0")
    rate = calls_per_h / 3600.0
    c = max(1, math.floor(rate * handle_s) + 1)  # the fewest agents that keep the queue stable
    while mmc(rate, handle_s, c).service_level(within_s) < target:
        c += 1
        if c > max_agents:
            raise ValueError(f"no staffing up to {max_agents} agents meets the target")
    options = [option(mmc(rate, handle_s, k), within_s, target)
               for k in range(max(1, c - around), c + around + 1)]
    return StaffingAnswer(calls_per_h, handle_s, target, within_s, c, options)
