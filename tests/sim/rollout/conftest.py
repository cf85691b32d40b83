"""A small rollout scenario (three provinces, to 30 September) run once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.engine.loading import load_scenario
from sim.engine.simulation import Simulation

SMALL = Path(__file__).parent / "data" / "small_rollout.yaml"


@pytest.fixture(scope="session")
def small_run():  # type: ignore[no-untyped-def]
    """The model after a full replication of the small scenario, and its KPIs."""
    loaded = load_scenario(SMALL)
    sim = Simulation(loaded)
    result = sim.run()
    return sim.model, result
