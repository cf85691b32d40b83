"""The fleet-year benchmark: its world is what it says (a small one in the normal suite), and
the full run is opt-in (``pytest -m benchmark``)."""

from __future__ import annotations

import pytest

from validation.bench_fleet_year import bare_simpy, fleet, write_world


def test_the_benchmark_world_has_the_stated_fleet_roster_and_sites(tmp_path):
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import Simulation

    loaded = load_scenario(write_world(tmp_path, months=12))
    s = loaded.scenario
    assert len(s.charging.stations) == 100 and len(s.workshops) == 20
    assert s.days == 365
    model = Simulation(loaded).model  # built, not run
    assert len(model.vehicles) == sum(n for _, n, _ in fleet()) == 2000
    drivers = model.roster.drivers
    assert len(drivers) == 2400
    assert sum(r.vehicle is not None for r in drivers) == 2 * 700  # taxi pairs


def test_the_reference_loop_runs_one_timeout_per_task():
    assert bare_simpy(1000) > 0


@pytest.mark.benchmark
def test_bench_fleet_year():
    from validation.bench_fleet_year import main

    assert main([]) == 0
