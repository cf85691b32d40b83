"""Support calls of the rollout: provincial first line, escalation to the operations centre.

Calls come from newly activated boxes (a share of them call within about a day) and from
the installed base (a rate per box per month, shaped by the hour of the day). Each province
answers its own calls first come first served with impatient callers
(:func:`sim.hotline.abandon.fcfs_abandon`); a share of answered calls needs the operations
centre's 7x24 line and is forwarded to it when the provincial agent finishes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.rng import RngStreams
from sim.hotline.abandon import fcfs_abandon
from sim.hotline.measure import ratio
from sim.rollout.schema import RolloutScenario, Tier
from sim.schema.distributions import sample


@dataclass
class LineResult:
    calls: int
    answered: int
    abandoned: int
    within: int  # answered within the target
    wait_mean_s: float
    agents: int

    @property
    def service_level(self) -> float:
        return ratio(self.within, self.calls)

    @property
    def abandon_rate(self) -> float:
        return ratio(self.abandoned, self.calls)


def province_agents(s: RolloutScenario, target_boxes: np.ndarray) -> np.ndarray:
    line = s.hotline.province
    return np.maximum(line.min_agents,
                      np.ceil(line.agents_per_100k * target_boxes / 1e5)).astype(np.int64)


def _base_calls(rng: np.random.Generator, box_t_s: np.ndarray, per_box_h: float,
                profile: np.ndarray, hours: int) -> np.ndarray:
    """Installed-base calls: Poisson per hour with the active boxes of that hour."""
    h = np.clip((box_t_s // 3600).astype(np.int64), 0, hours - 1)
    active = np.cumsum(np.bincount(h, minlength=hours))
    shape = profile[np.arange(hours) % 24] / profile.mean()
    n = rng.poisson(active * per_box_h * shape)
    hour = np.repeat(np.arange(hours), n)
    return (hour + rng.random(hour.size)) * 3600.0


def _serve(rng: np.random.Generator, arrival: np.ndarray, tier: Tier, agents: int,
           within_s: float) -> tuple[LineResult, np.ndarray, np.ndarray]:
    n = arrival.size
    handle = np.maximum(np.asarray(sample(tier.handle_s, rng, n), float), 0.0)
    patience = np.maximum(np.asarray(sample(tier.patience_s, rng, n), float), 0.0)
    ans, ab = fcfs_abandon(arrival, handle, patience, agents)
    wait = ans - arrival
    got = ~np.isnan(ans)
    res = LineResult(n, int(got.sum()), int(ab.sum()), int(np.sum(got & (wait <= within_s))),
                     float(wait[got].mean()) if got.any() else float("nan"), agents)
    return res, ans, handle


def simulate_support(s: RolloutScenario, names: list[str], box_t_s: np.ndarray,
                     box_prov: np.ndarray, target_boxes: np.ndarray, hours: int,
                     streams: RngStreams) -> tuple[list[LineResult], LineResult]:
    """Every province's line and the centre's over the year."""
    hl = s.hotline
    profile = np.asarray(hl.hourly_profile, float)
    agents = province_agents(s, target_boxes)
    per_box_h = hl.calls_per_box_month / (365.25 * 24 / 12)
    lines: list[LineResult] = []
    escalated: list[np.ndarray] = []
    end_s = hours * 3600.0
    for i, name in enumerate(names):
        rng = streams.stream(f"hotline.{name}")
        mine = np.sort(box_t_s[box_prov == i])
        calls_new = mine[rng.random(mine.size) < hl.install_call_prob]
        calls_new = calls_new + rng.exponential(hl.install_call_delay_h * 3600.0,
                                                calls_new.size)
        arrivals = np.sort(np.concatenate([calls_new, _base_calls(rng, mine, per_box_h,
                                                                  profile, hours)]))
        arrivals = arrivals[arrivals < end_s]
        res, ans, handle = _serve(rng, arrivals, hl.province, int(agents[i]),
                                  hl.answer_within_s)
        lines.append(res)
        got = np.flatnonzero(~np.isnan(ans))
        up = got[rng.random(got.size) < hl.escalation_share]
        escalated.append(ans[up] + handle[up])
    rng = streams.stream("hotline.centre")
    centre_calls = np.sort(np.concatenate(escalated)) if escalated else np.zeros(0)
    centre_calls = centre_calls[centre_calls < end_s]
    centre, _, _ = _serve(rng, centre_calls, hl.centre, hl.centre.agents, hl.answer_within_s)
    return lines, centre
