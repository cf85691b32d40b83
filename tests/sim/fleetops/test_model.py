"""The fleet-year model: reproducible, runs without the health part, honours its hooks."""

from __future__ import annotations

import types

import numpy as np
import pytest

from sim.engine.simulation import run_scenario
from sim.fleetops import model as fy_model
from sim.fleetops.state import FleetState, Vehicle

from .conftest import rows

DAY = 86400.0


def test_same_scenario_and_seed_give_the_same_results(make_fleet):
    a = run_scenario(make_fleet()).kpis
    b = run_scenario(make_fleet()).kpis
    assert a == b
    c = run_scenario(make_fleet(seed=4)).kpis
    assert c["tasks"] != a["tasks"]


class Recording:
    """Hooks that take the first vehicle down for its first 10 days and log every task."""

    def __init__(self) -> None:
        self.done: list[tuple[str, float, float, float]] = []

    def on_start(self, state: FleetState) -> None:
        self.state = state
        v = state.vehicles[0]
        state.take_down(v, "repair", 0.0)
        state.env.process(self._back(v))

    def _back(self, v: Vehicle):
        yield self.state.env.timeout(10 * DAY)
        self.state.bring_up(v, self.state.env.now)

    def on_task_done(self, v: Vehicle, t_s: float, km: float, h: float) -> None:
        assert not v.on_task and t_s == self.state.env.now
        self.done.append((v.plate, t_s, km, h))

    def kpis(self) -> dict[str, float]:
        return {}


@pytest.fixture
def recording(monkeypatch):
    hooks = Recording()
    fake = types.SimpleNamespace(build_hooks=lambda *a: hooks, HEALTH_KPIS={})
    monkeypatch.setattr(fy_model, "_health_module", lambda: fake)
    return hooks


def test_hooks_see_every_task_and_a_vehicle_taken_down_is_not_dispatched(make_fleet,
                                                                          recording):
    run = run_scenario(make_fleet())
    rep = run.replications[0]
    t = rep.tables["tasks"].to_pandas()
    served = t[t.status == "started"]
    assert len(recording.done) == len(served)
    assert sum(d[2] for d in recording.done) == pytest.approx(run.kpis["vehicle_km"])
    first = rows()[0]["plate"]
    mine = served[served.plate == first]
    assert len(mine) > 0
    assert mine.start_s.min() >= 10 * DAY  # down for repair until day 10
    v = rep.tables["vehicles"].to_pandas().set_index("plate")
    assert v.loc[first, "down_repair_h"] == pytest.approx(240.0)
    assert run.kpis["availability"] == pytest.approx(1 - 240.0 / (len(v) * 31 * 24))


def test_the_model_runs_without_the_health_part(make_fleet, monkeypatch):
    monkeypatch.setattr(fy_model, "_health_module", lambda: None)
    run = run_scenario(make_fleet())
    assert run.kpis["availability"] == 1.0
    assert run.kpis["tasks_served"] > 500
    assert "breakdowns" not in run.kpis


def test_odometer_and_operating_hours_advance_by_the_tasks(make_fleet, recording):
    rep = run_scenario(make_fleet()).replications[0]
    v = rep.tables["vehicles"].to_pandas()
    start = np.array([r["odometer_km"] for r in rows()], float)
    np.testing.assert_allclose(v.odometer_km - start, v.km)
    t = rep.tables["tasks"].to_pandas()
    by_plate = t[t.status == "started"].groupby("plate").drive_s.sum() / 3600.0
    np.testing.assert_allclose(v.set_index("plate").operating_h[by_plate.index], by_plate)


def test_dispatcher_policies_pick_among_the_compatible_pairs(make_fleet):
    from sim.fleetops.operations import pick

    class _Energy:
        def soc(self, v):
            return {"a": 0.3, "b": 0.8, "c": 0.5}[v.plate]

    def car(plate, km):
        return types.SimpleNamespace(plate=plate, odometer_km=km)

    cands = [(car("a", 90_000), "r1", 0, 0.0), (car("b", 120_000), "r2", 0, 0.0),
             (car("c", 30_000), "r3", 0, 0.0)]
    assert pick("longest_idle", cands, _Energy())[1] == "r1"
    assert pick("least_km", cands, _Energy())[1] == "r3"
    assert pick("most_charge", cands, _Energy())[1] == "r2"


def test_least_km_dispatch_spreads_the_km_more_evenly_than_longest_idle(make_fleet):
    reg = rows(n_van=4, n_ev=0)
    for k, r in enumerate(reg):
        r.update(depot="north", odometer_km=2000 * k)

    def spread(policy):
        rep = run_scenario(make_fleet(reg, dispatcher=policy, charging={})).replications[0]
        v = rep.tables["vehicles"].to_pandas()
        return float(v.odometer_km.max() - v.odometer_km.min())

    assert spread("least_km") < 0.5 * 6000 < spread("longest_idle")
