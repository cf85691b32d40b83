"""Shared fixtures: an isolated travel-table cache and small scenario helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    # Keep test runs from writing into the user's cache; one folder per test session.
    if "FLEETTWIN_CACHE" not in os.environ:
        import tempfile

        os.environ["FLEETTWIN_CACHE"] = tempfile.mkdtemp(prefix="fleettwin-test-cache-")
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


#: Overrides that make the default taxi scenario small and quick (a few hours, small city).
SMALL_TAXI = [
    "world.network.rows=12",
    "world.network.cols=12",
    "fleets.taxis.count=40",
    "demand.requests_per_day=3000",
    "demand.zones={}",
    "horizon_s=14400",
    "warmup_s=1800",
    "start_time_s=25200",
]


@pytest.fixture
def small_taxi() -> list[str]:
    return list(SMALL_TAXI)
