"""Rebalancing idle vehicles toward forecast demand, on top of batch matching.

Every ``rebalance_interval_s`` the engine hands the dispatcher the idle vehicles and a demand
forecast per map cell (expected requests in the next ``lookahead_s``). Cells whose idle supply
is short of their share of forecast demand draw vehicles from cells with a surplus; which
vehicle goes where is an assignment problem solved with ``linear_sum_assignment`` (minimum
total empty driving time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from sim.dispatch.base import FleetView, TravelTimes, register_dispatcher
from sim.dispatch.params import DispatcherParams
from sim.dispatch.policies import BatchMatching, _BatchParams


class RebalanceParams(_BatchParams):
    rebalance_interval_s: float = Field(default=300.0, gt=0, le=86400)
    lookahead_s: float = Field(default=900.0, gt=0, le=86400)
    max_move_share: float = Field(default=0.3, ge=0, le=1)
    max_move_s: float = Field(default=900.0, gt=0, le=86400)
    cells: int = Field(default=8, ge=1, le=256)


@dataclass(frozen=True)
class DemandForecast:
    """Expected requests per cell over the look-ahead, and where to wait in each cell."""

    cell_of_location: np.ndarray  # int64 per location index
    expected: np.ndarray  # float64 per cell
    anchor: np.ndarray  # int64 per cell: location a repositioned vehicle drives to


@register_dispatcher
class Rebalance(BatchMatching):
    """Batch matching plus moves of surplus idle vehicles to under-supplied cells."""

    name: ClassVar[str] = "rebalance"
    Params: ClassVar[type[DispatcherParams]] = RebalanceParams

    def __init__(self, **params: Any):
        super().__init__(**params)
        p: Any = self.params
        self.cells = int(p.cells)
        self.rebalance_interval_s = float(p.rebalance_interval_s)
        self.lookahead_s = float(p.lookahead_s)
        self.max_move_share = float(p.max_move_share)
        self.max_move_s = float(p.max_move_s)

    def reposition(self, now_s: float, idle: FleetView, forecast: DemandForecast,
                   tt: TravelTimes) -> list[tuple[int, int]]:
        """Return ``(vehicle_id, location)`` moves."""
        n = len(idle)
        total = forecast.expected.sum()
        if n < 2 or total <= 0:
            return []
        cells = forecast.cell_of_location[idle.location]
        supply = np.bincount(cells, minlength=forecast.expected.size).astype(float)
        target = forecast.expected / total * n
        surplus = supply - target
        budget = int(self.max_move_share * n)
        # Deficit slots: whole vehicles each short cell is missing, largest gaps first.
        slots: list[int] = []
        for c in np.argsort(surplus, kind="stable"):
            if surplus[c] > -1:
                break
            slots += [int(c)] * int(np.floor(-surplus[c]))
        slots = slots[:budget]
        if not slots:
            return []
        # Donors: any vehicle in a cell holding at least one whole vehicle more than its share;
        # the assignment picks the nearest ones, then no cell gives more than its spare.
        spare = np.floor(np.maximum(surplus, 0)).astype(int)
        donors = np.flatnonzero(spare[cells] > 0)
        if donors.size == 0:
            return []
        dest = forecast.anchor[np.asarray(slots)]
        cost = tt.times(idle.location[donors], dest)
        from scipy.optimize import linear_sum_assignment  # 0.1 s to import

        r, c = linear_sum_assignment(np.minimum(cost, 1e9))
        moves: list[tuple[int, int]] = []
        for k in np.argsort(cost[r, c], kind="stable"):
            i, j = donors[r[k]], c[k]
            if cost[r[k], j] > self.max_move_s or spare[cells[i]] <= 0:
                continue
            spare[cells[i]] -= 1
            moves.append((int(idle.ids[i]), int(dest[j])))
        return moves
