"""Hardware profile kinds of IPTV deployments: set-top boxes, links and servers."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from sim.schema.distributions import Quantity
from sim.schema.profiles import ProfileBase, register_profile_kind


@register_profile_kind
class StbProfile(ProfileBase):
    """A set-top box model: boot, zapping, decoding, firmware and reliability."""

    KIND: ClassVar[str] = "stb"

    boot_time_s: Quantity = Field(description="power-on to network requests")
    boot_splash_s: float = Field(default=0.0, ge=0, le=600, description="splash frames shown "
                                 "after the EPG answers, before the desktop (on air later)")
    channel_change_s: Quantity = Field(default=1.0, description="channel-change latency")
    decodes: list[Literal["sd", "hd", "uhd"]] = Field(
        default_factory=lambda: ["sd", "hd"], min_length=1)  # type: ignore[arg-type]
    codecs: list[str] = Field(default_factory=lambda: ["h264"])
    firmware_mb: float = Field(default=300.0, gt=0, description="firmware image size")
    download_mbps: Quantity = Field(default=20.0, description="max firmware download rate")
    install_s: Quantity = Field(default=120.0, description="flash and reboot after download")
    upgrade_failure_prob: float = Field(default=0.002, ge=0, le=1,
                                        description="share of installs that fail")
    brick_share: float = Field(default=0.1, ge=0, le=1,
                               description="share of failed installs that brick (rest roll back)")
    failure_rate_per_1000h: float = Field(default=0.05, ge=0)
    wifi_hotspot: bool = False
    wifi_clients: int = Field(default=0, ge=0, description="guest devices on the hotspot")
    wifi_client_mbps: float = Field(default=0.0, ge=0, description="mean load per guest device")
    usb_camera: bool = Field(default=False, description="takes a USB camera: multi-party "
                             "video calls (the vertical's call_share of sessions)")

    @model_validator(mode="after")
    def _wifi(self) -> StbProfile:
        if not self.wifi_hotspot and self.wifi_clients:
            raise ValueError("wifi_clients needs wifi_hotspot: true")
        return self


@register_profile_kind
class LinkProfile(ProfileBase):
    """A link class: PON port, OLT uplink, metro ring or CDN edge egress."""

    KIND: ClassVar[str] = "link"

    layer: Literal["pon", "olt_uplink", "metro", "cdn_egress"]
    down_gbps: float = Field(gt=0)
    up_gbps: float = Field(gt=0)
    split_ratio: int | None = Field(default=None, ge=1, le=256,
                                    description="ONTs per PON port (pon layer only)")
    usable_share: float = Field(default=0.92, gt=0, le=1,
                                description="share of line rate left after framing overhead")

    @model_validator(mode="after")
    def _split(self) -> LinkProfile:
        if self.layer == "pon" and self.split_ratio is None:
            raise ValueError("a pon link needs split_ratio")
        return self


#: Most concurrent streams of one VoD server (a large CDN cluster serves tens of thousands;
#: the run keeps a slot per stream, so 1e18 asked for exabytes).
MAX_SERVER_STREAMS = 10_000_000


@register_profile_kind
class ServerProfile(ProfileBase):
    """A server class: VoD/CDN streaming or a request server (DHCP, auth, EPG)."""

    KIND: ClassVar[str] = "server"

    role: Literal["vod", "dhcp", "auth", "epg"]
    streams: int | None = Field(default=None, ge=1, le=MAX_SERVER_STREAMS,
                                description="concurrent streams (vod); each is a slot the "
                                "run allocates")
    egress_gbps: float | None = Field(default=None, gt=0, description="egress cap (vod)")
    requests_per_s: float | None = Field(default=None, gt=0,
                                         description="service capacity (request servers)")
    workers: int = Field(default=8, ge=1, le=100_000,
                         description="requests served in parallel (a slot each in the run)")
    queue_limit: int = Field(default=1000, ge=0, le=10_000_000,
                             description="waiting requests before rejects (a slot each)")
    service_time_cv: float = Field(default=1.0, ge=0, le=3,
                                   description="coefficient of variation of service time")

    @model_validator(mode="after")
    def _role_fields(self) -> ServerProfile:
        if self.role == "vod" and self.streams is None:
            raise ValueError("a vod server needs streams")
        if self.role != "vod" and self.requests_per_s is None:
            raise ValueError(f"a {self.role} server needs requests_per_s")
        return self
