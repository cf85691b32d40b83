"""Scenario schema of the shop-camera platform (kind ``cameras``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sim.iptv.scenario import FirmwareSpec, warn_after_end
from sim.schema.base import FieldError, StrictModel
from sim.schema.distributions import Quantity
from sim.schema.scenario import ScenarioBase

#: Most cameras one replication may hold (arrays per camera, a SimPy process per registration).
MAX_CAMERAS = 2_000_000
#: Most live-view sessions one replication may expect (each is a SimPy event chain).
MAX_SESSIONS = 5_000_000

#: Shop activity by hour of day (relative), used for live views and motion: shops open
#: around 9:00, busiest at noon and in the evening, closed at night. An assumption: the
#: seed gives no usage curve.
SHOP_HOURS = [0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 1.0, 1.3, 1.4, 1.5,
              1.6, 1.4, 1.3, 1.3, 1.4, 1.6, 1.8, 1.9, 1.8, 1.4, 0.8, 0.3]


class ProvinceShops(StrictModel):
    """Shops of one trial province and their cameras."""

    name: str = Field(min_length=1, max_length=60)
    shops: int = Field(ge=1, le=1_000_000)
    cameras_per_shop: float = Field(default=1.5, ge=1, le=64, description="mean; every shop "
                                    "has at least one (1 + Poisson(mean - 1))")
    camera: str = Field(description="camera profile id")
    profile_overrides: dict[str, Any] = Field(default_factory=dict)
    rented_share: float = Field(default=0.5, ge=0, le=1,
                                description="shops renting their cameras (the rest buy them)")


class LiveView(StrictModel):
    """The mobile app's live views: Poisson sessions, held for ``hold_s``."""

    sessions_per_shop_per_day: float = Field(ge=0, le=10_000)
    hold_s: Quantity = Field(description="length of a live-view session, seconds")
    hourly_profile: list[float] | None = Field(
        default=None, min_length=24, max_length=24,
        description="relative intensity by hour of day (default: shop hours); all equal "
        "gives a stationary stream")

    @model_validator(mode="after")
    def _weights(self) -> LiveView:
        prof = self.hourly_profile
        if prof is not None and (min(prof) < 0 or sum(prof) <= 0):
            raise ValueError("hourly_profile weights must be >= 0 with a positive sum")
        return self


class Streaming(StrictModel):
    """Streaming servers relaying live views: a loss system with servers x sessions slots."""

    servers: int = Field(ge=1, le=10_000)
    sessions_per_server: int = Field(ge=1, le=100_000)


class Tokens(StrictModel):
    """Anti-leech (hotlink) tokens: every viewing session presents one to the platform."""

    hotlink_share: float = Field(default=0.02, ge=0, le=1, description="share of viewing "
                                 "attempts with a forged, expired or replayed token (rejected)")
    ttl_s: float = Field(default=300.0, ge=1, le=86400, description="token lifetime (a "
                         "token renewed every microsecond would never let the run end)")


class Platform(StrictModel):
    """The platform's signalling servers (registration, parameters, tokens, reboots): FIFO
    workers with exponential service times."""

    workers: int = Field(ge=1, le=10_000)
    register_s: float = Field(default=0.05, gt=0, le=600, description="mean service time "
                              "of a registration (authentication, device record)")
    query_s: float = Field(default=0.01, gt=0, le=600, description="video parameter query")
    set_s: float = Field(default=0.03, gt=0, le=600, description="video parameter set")
    token_s: float = Field(default=0.005, gt=0, le=600, description="token check")
    reboot_s: float = Field(default=0.02, gt=0, le=600, description="reboot or upgrade command")
    register_timeout_s: float = Field(default=10.0, gt=0, le=3600, description="a camera "
                                      "gives up a registration attempt after this long")
    retry_backoff_s: float = Field(default=5.0, gt=0, le=3600, description="first retry "
                                   "delay; doubled per attempt, with full jitter")
    max_backoff_s: float = Field(default=300.0, gt=0, le=86400)


class ParamOps(StrictModel):
    """Video parameter queries and settings from the app and the operations console."""

    queries_per_camera_per_day: float = Field(default=2.0, ge=0, le=10_000)
    sets_per_camera_per_day: float = Field(default=0.2, ge=0, le=10_000)


class PowerCut(StrictModel):
    """A power cut: cameras of a province go dark and all register again when it ends."""

    province: str
    at_s: float = Field(ge=0)
    duration_s: float = Field(gt=0, le=7 * 86400)
    share: float = Field(default=1.0, gt=0, le=1, description="share of the province's "
                         "cameras on the cut feeders")


class RebootCampaign(StrictModel):
    """Remote reboot of a share of the cameras, commands spread evenly over ``spread_s``."""

    at_s: float = Field(ge=0)
    share: float = Field(gt=0, le=1)
    spread_s: float = Field(default=600.0, gt=0, le=86400)


class Storage(StrictModel):
    """Cloud storage: upload capacity and retention."""

    upload_gbps: float = Field(gt=0, le=10_000, description="ingest capacity of the group's "
                               "cloud storage for this platform")
    retention_days: float = Field(default=7.0, gt=0, le=3650)


class Economics(StrictModel):
    """Money per shop per month under the two business models of seed 004.

    ``buyout``: the operator buys the platform outright and keeps the monthly function fee;
    ``revenue_share``: the partner provides platform, devices and maintenance and gets a
    share of the fee; the device payment is passed to the partner in full. Figures are
    assumptions (the seed gives none): see the scenario file.
    """

    business_model: Literal["buyout", "revenue_share"] = "buyout"
    function_fee_cny: float = Field(ge=0, le=10_000, description="monthly function fee per shop")
    rent_cny_per_camera: float = Field(ge=0, le=10_000, description="monthly rent of a rented "
                                       "camera (folded into the fee)")
    platform_price_cny: float = Field(ge=0, le=1e10, description="buyout: one-off platform "
                                      "purchase")
    amortisation_months: int = Field(default=36, ge=1, le=240)
    device_life_months: int = Field(default=36, ge=1, le=240)
    platform_opex_cny_per_month: float = Field(default=0.0, ge=0, le=1e9,
                                               description="buyout: platform operation")
    partner_share: float = Field(default=0.4, ge=0, le=1, description="revenue_share: the "
                                 "partner's share of the function fee")
    storage_cny_per_gb_month: float = Field(default=0.1, ge=0, le=1000)
    network_cny_per_shop_month: float = Field(default=3.0, ge=0, le=10_000,
                                              description="access network, billing, support")
    streaming_cny_per_server_month: float = Field(default=1500.0, ge=0, le=1e7)


class CameraScenario(ScenarioBase):
    """A camera platform serving the shops of several provinces for ``horizon_s``."""

    kind: Literal["cameras"] = "cameras"
    window_s: float = Field(default=600.0, ge=10, le=3600, description="population window: "
                            "uploads, storage and the 10-minute statistics")
    start_hour: float = Field(default=0.0, ge=0, lt=24, description="clock time at t = 0")
    provinces: list[ProvinceShops] = Field(min_length=1, max_length=64)
    live_view: LiveView
    streaming: Streaming
    tokens: Tokens = Field(default_factory=Tokens)
    platform: Platform
    params: ParamOps = Field(default_factory=ParamOps)
    storage: Storage
    economics: Economics
    power_cut: PowerCut | None = None
    reboot: RebootCampaign | None = None
    firmware_campaign: FirmwareSpec | None = None
    record_sessions: bool = Field(default=False, description="write tables/sessions")

    @model_validator(mode="after")
    def _bounded(self) -> CameraScenario:
        if self.horizon_s < self.window_s:
            raise FieldError("horizon_s", f"must hold at least one window (window_s "
                             f"{self.window_s:g})", self.horizon_s)
        names = [p.name for p in self.provinces]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise FieldError("provinces", "province names must be unique; these repeat", dup)
        cams = sum(p.shops * p.cameras_per_shop for p in self.provinces)
        if cams > MAX_CAMERAS:
            raise ValueError(f"provinces hold {cams:,.0f} cameras; at most {MAX_CAMERAS:,}")
        shops = sum(p.shops for p in self.provinces)
        sessions = shops * self.live_view.sessions_per_shop_per_day * self.horizon_s / 86400
        if sessions > MAX_SESSIONS:
            raise ValueError(f"live_view: {sessions:,.0f} expected sessions; at most "
                             f"{MAX_SESSIONS:,} (shorten horizon_s or lower the rate)")
        for field, event, key in (("power_cut", self.power_cut, "at_s"),
                                  ("reboot", self.reboot, "at_s"),
                                  ("firmware_campaign", self.firmware_campaign, "start_s")):
            when = getattr(event, key, None) if event is not None else None
            warn_after_end(f"{field}.{key}", when, self.horizon_s)
        return self
