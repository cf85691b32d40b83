"""Fixtures for calibration tests: a test-only profile kind with a nested section."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field

from sim.schema.base import StrictModel
from sim.schema.distributions import Quantity
from sim.schema.profiles import PROFILE_KINDS, ProfileBase

FIXTURES = Path(__file__).parents[2] / "fixtures" / "calibration"


class StreamSpec(StrictModel):
    bitrate_mbps: Quantity = 2.0
    reconnect_s: float = Field(default=5.0, gt=0, le=60)


class TestCameraProfile(ProfileBase):
    """A profile kind no shipped model defines: calibration must work on it generically."""

    __test__ = False
    KIND: ClassVar[str] = "test_camera"

    boot_time_s: Quantity = 20.0
    failure_rate_per_1000h: float = Field(default=0.1, ge=0)
    channels: int = Field(default=1, ge=1)
    stream: StreamSpec = Field(default_factory=StreamSpec)


@pytest.fixture
def camera_kind(monkeypatch: pytest.MonkeyPatch) -> type[ProfileBase]:
    monkeypatch.setitem(PROFILE_KINDS, "test_camera", TestCameraProfile)
    return TestCameraProfile


@pytest.fixture
def profile_dir(tmp_path: Path, camera_kind: type[ProfileBase],
                monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the fixture profiles, added to the catalog's folders."""
    d = tmp_path / "profiles"
    shutil.copytree(FIXTURES / "profiles", d)
    monkeypatch.setenv("FLEETTWIN_PROFILES", str(d))
    return d
