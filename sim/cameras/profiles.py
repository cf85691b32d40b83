"""Hardware profile kind ``camera``: a shop IP camera as the platform sees it."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim.schema.distributions import Quantity
from sim.schema.profiles import ProfileBase, register_profile_kind

#: Pixels per frame of each resolution (for the dashboard and sanity checks).
RESOLUTIONS: dict[str, tuple[int, int]] = {
    "720p": (1280, 720), "1080p": (1920, 1080), "3mp": (2304, 1296), "4mp": (2560, 1440),
    "4k": (3840, 2160),
}


@register_profile_kind
class CameraProfile(ProfileBase):
    """A shop camera: its streams, motion recording, cloud upload, firmware and price.

    The main stream is what is recorded and uploaded to cloud storage; the mobile app's live
    view pulls the sub stream through the platform's streaming servers.
    """

    KIND: ClassVar[str] = "camera"

    resolution: Literal["720p", "1080p", "3mp", "4mp", "4k"] = Field(
        description="main-stream resolution")
    bitrate_kbps: float = Field(gt=0, le=50_000, description="main-stream bitrate (recorded "
                                "and uploaded), kbit/s")
    substream_kbps: float = Field(default=512.0, gt=0, le=20_000,
                                  description="sub-stream bitrate of a live view, kbit/s")
    motion_share: float = Field(ge=0, le=1, description="share of shop opening hours with "
                                "motion, when motion-triggered recording runs")
    cloud_upload: bool = Field(default=True, description="motion recordings are uploaded to "
                               "the group's cloud storage")
    firmware_mb: float = Field(default=16.0, gt=0, le=4096, description="firmware image size")
    download_mbps: Quantity = Field(default=4.0, description="max firmware download rate")
    install_s: Quantity = Field(default=90.0, description="flash and reboot after download")
    boot_time_s: Quantity = Field(default=40.0, description="power-on to first registration "
                                  "attempt")
    upgrade_failure_prob: float = Field(default=0.003, ge=0, le=1,
                                        description="an upgrade fails (rolled back or bricked)")
    brick_share: float = Field(default=0.05, ge=0, le=1,
                               description="failed upgrades that leave the camera bricked")
    serial_prefix: str = Field(pattern=r"^[A-Z0-9]{2,8}$", description="vendor code that "
                               "starts the camera's serial (SERIAL = PREFIX-XXXXXXXX...)")
    price_cny: float = Field(default=300.0, ge=0, le=100_000, description="device price")
