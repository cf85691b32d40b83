"""Scenario schema of kind ``iptv``: sites, access network, viewing behaviour and events."""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.schema.base import FieldError, StrictModel
from sim.schema.distributions import Quantity, mean_of
from sim.schema.scenario import ScenarioBase

VERTICALS = ("hotel", "school", "dormitory", "barracks", "hospital", "chain_store",
             "residential")
Vertical = Literal["hotel", "school", "dormitory", "barracks", "hospital", "chain_store",
                   "residential"]


log = logging.getLogger(__name__)

class ServiceSpec(StrictModel):
    """The product: channel line-up, VoD catalogue and encodings."""

    live_channels: int = Field(default=165, ge=1, le=2000)
    hd_channels: int = Field(default=27, ge=0)
    sd_mbps: float = Field(default=2.5, gt=0)
    hd_mbps: float = Field(default=8.0, gt=0)
    uhd_mbps: float = Field(default=25.0, gt=0)
    vod_titles: int = Field(default=100_000, ge=1, le=10_000_000, description="catalogue size (titles)")
    vod_zipf: float = Field(default=0.8, ge=0, description="title popularity exponent")
    edge_cache_titles: int = Field(default=5000, ge=0, le=10_000_000, description="titles cached at the edge")
    fcc_burst_s: float = Field(default=2.0, ge=0, description="fast-channel-change burst")
    fcc_rate_factor: float = Field(default=1.5, ge=0, description="burst rate / channel rate")

    @model_validator(mode="after")
    def _hd(self) -> ServiceSpec:
        if self.hd_channels > self.live_channels:
            raise ValueError(f"hd_channels ({self.hd_channels}) exceeds live_channels "
                             f"({self.live_channels})")
        return self


class ClientSpec(StrictModel):
    """Box-side request behaviour during a boot storm."""

    timeout_s: float = Field(default=10.0, ge=0.01, le=3600)
    backoff_base_s: float = Field(default=4.0, ge=0.01, le=3600)
    backoff_max_s: float = Field(default=120.0, ge=0.01, le=86400)
    jitter: float = Field(default=0.5, ge=0, le=1, description="+- share of random backoff")

    @model_validator(mode="after")
    def _backoff(self) -> ClientSpec:
        if self.backoff_base_s > self.backoff_max_s:
            raise FieldError("backoff_base_s", f"must not exceed backoff_max_s "
                             f"({self.backoff_max_s:g})", self.backoff_base_s)
        return self


class BootServersSpec(StrictModel):
    """The servers a booting box asks in turn (DHCP, then auth, then EPG, by profile id), how
    the box retries, and the resolution of the boot time series."""

    dhcp: str = "dhcp_standard"
    auth: str = "auth_standard"
    epg: str = "epg_standard"
    client: ClientSpec = Field(default_factory=ClientSpec)
    bin_s: float = Field(default=5.0, ge=0.1, le=3600, description="time-series resolution")


class BootStormSpec(BootServersSpec):
    """A power cut to a set of sites; when power returns every box boots at once."""

    at_s: float = Field(ge=0, description="power lost (snapped to a window boundary)")
    outage_s: float = Field(default=600.0, gt=0)
    site_groups: list[str] = Field(default_factory=list, description="empty: every group")
    provinces: list[str] = Field(default_factory=list)


class PowerScheduleSpec(StrictModel):
    """Boxes switched off and on centrally at fixed clock times every day (a hospital's ward
    TV on in the morning and off at lights-out). A box on the schedule is offline from
    ``off_h`` to ``on_h``; at ``on_h`` it gets power at a uniformly spread instant within
    ``jitter_s`` and boots through DHCP, auth and EPG (``network.boot_servers``)."""

    on_h: float = Field(default=7.0, ge=0, lt=24, description="clock hour of the power-on")
    off_h: float = Field(default=22.0, ge=0, lt=24, description="clock hour of the power-off")
    jitter_s: float = Field(default=600.0, ge=0, le=7200, description="power-on instants "
                            "spread uniformly over this many seconds after on_h")
    share: float = Field(default=0.8, ge=0, le=1, description="share of the vertical's boxes "
                         "on the central switch (drawn per box; 0: no schedule)")

    @model_validator(mode="after")
    def _times(self) -> PowerScheduleSpec:
        if self.on_h == self.off_h:
            raise ValueError(f"on_h and off_h are the same hour ({self.on_h:g})")
        return self


class NetworkSpec(StrictModel):
    """Access and aggregation network, by profile id, and how it is dimensioned."""

    pon: str = "gpon_port"
    olt_uplink: str = "olt_uplink_10g"
    metro: str = "metro_100g"
    cdn_egress: str = "cdn_edge_40g"
    vod_server: str = "vod_edge"
    ports_per_olt: int = Field(default=16, ge=1, le=256)
    vod_servers_per_province: int = Field(default=1, ge=1, le=10_000)
    vod_streams_per_1000_boxes: float | None = Field(
        default=None, gt=0, le=1000, description="size each VoD server by its boxes (else the profile's)")
    core_boxes_per_link: int | None = Field(
        default=None, ge=1, description="one metro and CDN edge link per this many boxes "
        "of a province (else one each)")
    overload_threshold: float = Field(default=0.8, gt=0, le=1.5,
                                      description="utilisation above which a link is overloaded")
    boot_servers: BootServersSpec = Field(
        default_factory=BootServersSpec, description="servers and client behaviour of boxes "
        "switched on by a power schedule (a boot storm names its own)")
    profile_overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per role (pon, metro, ...): profile field overrides")


class ViewingSpec(StrictModel):
    """How the boxes of one vertical are used (all optional; defaults per vertical)."""

    diurnal: list[float] | None = Field(default=None, min_length=24, max_length=24,
                                        description="target share of boxes in use per hour")
    session_mean_s: float | None = Field(default=None, gt=0)
    zap_share: float | None = Field(default=None, ge=0, le=1)
    zap_mean_s: float | None = Field(default=None, gt=0)
    watch_mean_s: float | None = Field(default=None, gt=0)
    channel_zipf: float | None = Field(default=None, ge=0)
    vod_share: float | None = Field(default=None, ge=0, le=1)
    vod_median_s: float | None = Field(default=None, gt=0)
    vod_sigma: float | None = Field(default=None, ge=0, le=3)
    vod_then_live: float | None = Field(default=None, ge=0, le=1)
    uhd_share: float | None = Field(default=None, ge=0, le=1)
    call_share: float | None = Field(default=None, ge=0, le=1)
    call_mean_s: float | None = Field(default=None, gt=0)
    call_up_mbps: float | None = Field(default=None, ge=0)
    call_down_mbps: float | None = Field(default=None, ge=0)
    ads_share: float | None = Field(default=None, ge=0, le=1,
                                    description="share of boxes on the comprehensive package")
    ad_idle_s: float | None = Field(default=None, gt=0)
    ad_refresh_mb: float | None = Field(default=None, ge=0, description="playlist refresh "
                                        "fetched from the CDN each time the carousel starts")
    power_schedule: PowerScheduleSpec | None = Field(
        default=None, description="central power-on and -off times (hospitals by default, "
        "see sim.iptv.viewing; share 0 turns it off)")

    @model_validator(mode="after")
    def _ranges(self) -> ViewingSpec:
        if self.diurnal is not None and any(not 0 <= a <= 0.98 for a in self.diurnal):
            raise ValueError("diurnal shares must be within [0, 0.98]")
        if self.diurnal is not None and max(self.diurnal) <= 0:
            raise ValueError("diurnal needs at least one hour with a positive share")
        if (self.vod_share or 0) + (self.call_share or 0) > 1:
            raise ValueError("vod_share + call_share must not exceed 1")
        return self


class SiteGroup(StrictModel):
    """Sites of one vertical in one province, with their boxes."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-\.]+$")
    vertical: Vertical
    province: str
    sites: int = Field(ge=1, le=1_000_000)
    boxes_per_site: Quantity = Field(description="boxes per site (rounded, at least 1)")
    stb: str = Field(description="stb profile id")
    uhd_box_share: float = Field(default=0.0, ge=0, le=1,
                                 description="share of boxes replaced by the 4K profile")
    uhd_stb: str = "tianyi_4k_stb"
    boxes_per_port: int | None = Field(default=None, ge=1, le=512,
                                       description="boxes per PON port (default: split ratio)")

    @field_validator("boxes_per_site")
    @classmethod
    def _site_size(cls, q: Quantity) -> Quantity:
        if mean_of(q) > 100_000:
            raise ValueError(f"a site of {mean_of(q):g} boxes on average: at most 100,000")
        return q


class WaveSpec(StrictModel):
    size: int | None = Field(default=None, ge=1, description="boxes in the wave")
    share: float | None = Field(default=None, gt=0, le=1,
                                description="share of the boxes the campaign targets")

    @model_validator(mode="after")
    def _one(self) -> WaveSpec:
        if (self.size is None) == (self.share is None):
            raise ValueError("give exactly one of size or share")
        return self


class FirmwareSpec(StrictModel):
    """A staged firmware campaign with start-next and abort thresholds."""

    start_s: float = Field(default=0.0, ge=0)
    waves: list[WaveSpec] = Field(min_length=1)
    start_next_at: float = Field(default=0.95, gt=0, le=1,
                                 description="share of a wave done before the next opens")
    abort_failure_share: float = Field(default=0.02, gt=0, le=1,
                                       description="failed share of finished boxes that aborts")
    abort_min_finished: int = Field(default=200, ge=1)
    egress_cap_gbps: float = Field(gt=0, description="CDN egress reserved for the campaign")
    checkin_s: float = Field(default=3600.0, gt=0, description="boxes poll for updates this often")
    image_mb: float | None = Field(default=None, gt=0, description="default: the stb profile's")
    order: Literal["random", "province"] = "random"
    version: str = Field(default="2.0", min_length=1, max_length=40,
                         description="firmware version of the image; boxes already on it "
                         "(from an initial state) are not targeted")
    upgrades_from: list[str] = Field(default_factory=list, description="versions the image "
                                     "installs over (empty: any); an initial state with "
                                     "other versions is an error")


class EventsSpec(StrictModel):
    boot_storm: BootStormSpec | None = None
    firmware_campaign: FirmwareSpec | None = None


class IptvScenario(ScenarioBase):
    """An IPTV deployment: who watches what, through which network, and what happens."""

    kind: Literal["iptv"] = "iptv"
    window_s: float = Field(default=60.0, ge=1, le=3600, description="population window")
    start_hour: float = Field(default=0.0, ge=0, lt=24, description="clock time at t = 0")
    viewing_enabled: bool = True
    steady_start: bool = Field(default=True, description="start viewing from the steady state "
                               "of the start hour: two mean sessions are simulated before "
                               "t = 0, unrecorded (false: every box idle or live at t = 0)")
    threads: int | None = Field(default=None, ge=1, le=256,
                                description="kernel threads (None: all)")
    firmware_version: str = Field(default="1.0", min_length=1, max_length=40,
                                  description="firmware every box runs at t = 0 (unless the "
                                  "run starts from an initial state)")
    record_boxes: bool | None = Field(default=None, description="write tables/boxes.parquet "
                                      "(device id, site, port, end state per box); None: "
                                      "only up to 200,000 boxes")
    service: ServiceSpec = Field(default_factory=ServiceSpec)
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    viewing: dict[Vertical, ViewingSpec] = Field(default_factory=dict)
    site_groups: list[SiteGroup] = Field(min_length=1)
    events: EventsSpec = Field(default_factory=EventsSpec)

    @model_validator(mode="after")
    def _names(self) -> IptvScenario:
        if self.horizon_s < self.window_s:
            raise FieldError("horizon_s", f"must hold at least one window (window_s "
                             f"{self.window_s:g})", self.horizon_s)
        names = [g.name for g in self.site_groups]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise FieldError("site_groups", "site group names must be unique; these repeat",
                             dup)
        storm, campaign = self.events.boot_storm, self.events.firmware_campaign
        warn_after_end("events.boot_storm.at_s", storm.at_s if storm else None, self.horizon_s)
        warn_after_end("events.firmware_campaign.start_s",
                       campaign.start_s if campaign else None, self.horizon_s)
        return self


def warn_after_end(field: str, when: float | None, horizon_s: float) -> None:
    """Say so when an event is set at or after the horizon: it never happens in the run (a
    horizon shortened for a quick look may mean it; a typo in the time may not)."""
    if when is not None and when >= horizon_s:
        log.warning("%s (%g) is not before horizon_s (%g): that event does not happen in "
                    "this run", field, when, horizon_s)
