"""A small shop-camera trial: the shipped scenario scaled down to run in about a second."""

from __future__ import annotations

from typing import Any

import pytest

from sim.engine.loading import LoadedScenario, load_scenario

SMALL = [
    "horizon_s=14400", "warmup_s=600", "start_hour=8",
    "provinces[0].shops=150", "provinces[1].shops=120", "provinces[2].shops=100",
    "provinces[3].shops=80", "provinces[4].shops=60",
    "power_cut.at_s=3600", "power_cut.duration_s=600",
    "reboot.at_s=1800", "reboot.share=0.05",
    "firmware_campaign.start_s=600", "firmware_campaign.abort_min_finished=20",
    "firmware_campaign.checkin_s=1200",
    "streaming.servers=1", "streaming.sessions_per_server=20",
]


def small(*extra: str) -> LoadedScenario:
    return load_scenario("shop_cameras_trial", [*SMALL, *extra])


@pytest.fixture(scope="module")
def small_run() -> Any:
    from sim.engine.simulation import run_scenario

    return run_scenario(small())
