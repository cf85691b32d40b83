"""Rebalancing idle vehicles toward forecast demand."""

from __future__ import annotations

import numpy as np

from sim.dispatch import FleetView, get_dispatcher
from sim.dispatch.rebalance import DemandForecast
from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario


class Line:
    """Locations on a line, 10 s apart."""

    def times(self, src, dst):
        return np.abs(np.asarray(src)[:, None] - np.asarray(dst)[None, :]) * 10.0


def test_surplus_moves_to_deficit_cells():
    # Locations 0..9; cell 0 = locations 0-4, cell 1 = 5-9. All 6 idle cars sit in cell 0,
    # but cell 1 expects two thirds of the demand: 4 cars should go, capped by the share.
    forecast = DemandForecast(cell_of_location=np.array([0] * 5 + [1] * 5),
                              expected=np.array([10.0, 20.0]), anchor=np.array([2, 7]))
    idle = FleetView(ids=np.arange(6) + 100, location=np.array([0, 1, 2, 3, 4, 4]),
                     available_s=np.zeros(6))
    d = get_dispatcher("rebalance", max_move_share=1.0, max_move_s=86400)
    moves = d.reposition(0.0, idle, forecast, Line())
    assert len(moves) == 4 and all(dest == 7 for _, dest in moves)
    # The cars nearest to the deficit go (minimum total empty driving).
    assert sorted(v for v, _ in moves) == [102, 103, 104, 105]
    capped = get_dispatcher("rebalance", max_move_share=0.34).reposition(0.0, idle, forecast,
                                                                         Line())
    assert len(capped) == 2


def test_balanced_fleet_stays_put():
    forecast = DemandForecast(np.array([0, 0, 1, 1]), np.array([5.0, 5.0]), np.array([0, 2]))
    idle = FleetView(np.arange(4), np.array([0, 1, 2, 3]), np.zeros(4))
    assert get_dispatcher("rebalance").reposition(0.0, idle, forecast, Line()) == []


def test_rebalancing_in_the_city_model(small_taxi):
    res = run_scenario(load_scenario("city_taxi", small_taxi + [
        "policies.dispatch.algorithm=rebalance",
        "policies.dispatch.params={rebalance_interval_s: 600, cells: 4}",
        "demand.zones={hot: {center_km: [1, 1], radius_km: 1, weight: 5}}"]))
    rep = res.replications[0]
    states = rep.tables["vehicle_events"].column("state").to_pylist()
    assert "repositioning" in states
    k = rep.kpis
    assert k["served"] + k["abandoned"] == k["requests"]
    veh = rep.tables["vehicles"].to_pydict()
    assert sum(veh["reposition_km"]) > 0
    assert 0 < k["deadhead_ratio"] < 1
