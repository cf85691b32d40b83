"""A dispatcher that follows a fixed plan: used to check that the online engine, fed a known
static solution with every task released at time zero, reproduces it exactly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from sim.dispatch import FleetView, RequestView, TravelTimes


class PlanDispatcher:
    """Gives each idle vehicle the next task of its planned route, in order."""

    name: ClassVar[str] = "replay_plan"

    def __init__(self, plans: Sequence[Sequence[int]]):
        self.batch_window_s = 0.0
        self.plans = [list(p) for p in plans]
        self.pos = [0] * len(self.plans)

    def assign(self, now_s: float, requests: RequestView, fleet: FleetView,
               tt: TravelTimes) -> list[tuple[int, int]]:
        open_ids = set(requests.ids.tolist())
        out = []
        for v in np.asarray(fleet.ids).tolist():
            if v < len(self.plans) and self.pos[v] < len(self.plans[v]):
                k = self.plans[v][self.pos[v]]
                if k in open_ids:
                    out.append((k, v))
                    self.pos[v] += 1
        return out
