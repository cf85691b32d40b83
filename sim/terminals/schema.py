"""Scenario schema of vehicle terminals under load (kind ``vehicle_terminals``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.economics.insurance import InsuranceTariff
from sim.schema.base import FieldError, StrictModel
from sim.schema.scenario import ScenarioBase

#: Most terminals one run may hold (arrays of a few hundred bytes each).
MAX_TERMINALS = 20_000_000
#: Most windows (horizon / window) and cells x windows one run may record.
MAX_WINDOWS = 200_000
MAX_CELL_WINDOWS = 400_000_000


class BehaviourProfile(StrictModel):
    """How a group of drivers drives: alarm rates and habits."""

    share: float = Field(gt=0, le=1, description="share of the fleet's drivers")
    harsh_braking_per_100km: float = Field(default=0.5, ge=0, le=1000)
    harsh_acceleration_per_100km: float = Field(default=0.5, ge=0, le=1000)
    speeding_per_100km: float = Field(default=0.5, ge=0, le=1000,
                                      description="speeding episodes (over the link's limit)")
    speeding_excess: float = Field(default=0.2, gt=0, le=2,
                                   description="speed over the limit in an episode, share")
    speeding_s: float = Field(default=60.0, gt=0, le=3600,
                              description="mean length of a speeding episode, s")
    night_factor: float = Field(default=1.0, ge=0, le=100,
                                description="trip starts 22:00-06:00 x this factor")
    rest_factor: float = Field(default=1.0, gt=0, le=100,
                               description="stop lengths x this factor (< 1: fewer rests)")
    speed_sd: float = Field(default=0.08, ge=0, le=1,
                            description="report-to-report variation of speed, share")


class Behaviour(StrictModel):
    """Driver behaviour profiles (shares add up to 1) and the spread between drivers."""

    profiles: dict[str, BehaviourProfile] = Field(min_length=1, max_length=50)
    driver_sigma: float = Field(default=0.3, ge=0, le=3,
                                description="sigma of the log of a driver's rate multiplier "
                                "(mean 1)")

    @model_validator(mode="after")
    def _shares(self) -> Behaviour:
        total = sum(p.share for p in self.profiles.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"behaviour profile shares add up to {total:g}, not 1")
        return self


DEFAULT_BEHAVIOUR = Behaviour(profiles={
    "calm": BehaviourProfile(share=0.6, harsh_braking_per_100km=0.3,
                             harsh_acceleration_per_100km=0.2, speeding_per_100km=0.2,
                             night_factor=0.5, rest_factor=1.5),
    "average": BehaviourProfile(share=0.3, harsh_braking_per_100km=1.0,
                                harsh_acceleration_per_100km=0.8, speeding_per_100km=1.0),
    "aggressive": BehaviourProfile(share=0.1, harsh_braking_per_100km=3.0,
                                   harsh_acceleration_per_100km=2.5, speeding_per_100km=4.0,
                                   speeding_excess=0.35, night_factor=2.0, rest_factor=0.3),
})


class TerminalFleet(StrictModel):
    """A group of vehicles with one terminal profile and one way of being used."""

    count: int = Field(ge=1, le=MAX_TERMINALS)
    profile: str = Field(min_length=1, max_length=100, description="vehicle_terminal profile")
    profile_overrides: dict[str, Any] = Field(default_factory=dict)
    sessions_per_day: float = Field(default=3.0, gt=0, le=200,
                                    description="ignition-on sessions started per day off")
    session_median_s: float = Field(default=7200.0, gt=0, le=7 * 86400.0)
    session_sigma: float = Field(default=0.6, ge=0, le=3)
    leg_s: float = Field(default=1200.0, gt=0, le=86400.0, description="mean leg, s")
    stop_s: float = Field(default=300.0, gt=0, le=86400.0,
                          description="mean stop with the ignition on, s")
    speed_kmh: float = Field(default=35.0, gt=0, le=200, description="mean moving speed")
    diurnal: list[float] = Field(
        default_factory=lambda: [0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.0, 2.0, 1.5, 1.2, 1.2,
                                 1.3, 1.3, 1.3, 1.4, 1.6, 1.8, 1.5, 1.0, 0.8, 0.6, 0.4, 0.3],
        min_length=24, max_length=24, description="relative trip-start rate by hour")
    video_per_on_h: float = Field(default=0.0, ge=0, le=100,
                                  description="on-demand video requests per ignition-on hour")
    video_s: float = Field(default=120.0, gt=0, le=86400.0, description="mean video length")

    @field_validator("diurnal")
    @classmethod
    def _diurnal(cls, v: list[float]) -> list[float]:
        if any(not x >= 0 for x in v) or sum(v) <= 0:
            raise ValueError("hourly weights must be >= 0 with a positive sum")
        return v


class Cells(StrictModel):
    """The cellular access: terminals spread evenly over cells, through one APN."""

    cells: int = Field(default=100, ge=1, le=1_000_000)
    cell_uplink_mbps: float = Field(default=5.0, gt=0, le=100_000,
                                    description="uplink a cell gives the fleet's APN")
    apn_mbps: float = Field(default=1000.0, gt=0, le=10_000_000)


class Gateway(StrictModel):
    """The JT/T 808 access gateway: nodes of workers behind a load balancer."""

    nodes: int = Field(default=2, ge=1, le=10_000)
    max_connections_per_node: int = Field(default=100_000, ge=1, le=50_000_000)
    workers_per_node: int = Field(default=8, ge=1, le=1024)
    service_ms: float = Field(default=0.5, gt=0, le=60_000, description="mean time to "
                              "process one message (decode, ack, forward), ms")
    service: Literal["exponential", "deterministic"] = "exponential"
    buffer_messages: int = Field(default=50_000, ge=0, le=10_000_000,
                                 description="waiting places per node")
    uplink_mbps: float = Field(default=1000.0, gt=0, le=10_000_000, description="per node")
    sample_messages: int = Field(default=20_000, ge=100, le=100_000_000, description="most "
                                 "messages simulated one by one per node and window")


class Ingest(StrictModel):
    """The ingest servers behind the gateway (parse, store): a capacity and a buffer."""

    messages_per_s: float = Field(default=100_000.0, gt=0, le=1e9)
    buffer_messages: float = Field(default=10_000_000.0, ge=0, le=1e12)


class TerminalsScenario(ScenarioBase):
    """Vehicle terminals reporting over cellular cells to a JT/T 808 gateway and ingest."""

    kind: Literal["vehicle_terminals"]
    window_s: float = Field(default=60.0, ge=1, le=86400.0)
    epoch_s: float = Field(default=3600.0, ge=1, le=86400.0, description="windows handed "
                           "to the kernels at once (a multiple of window_s)")
    preroll_s: float = Field(default=43200.0, ge=0, le=7 * 86400.0, description="simulated "
                             "before t = 0, unrecorded (sessions under way at the start)")
    fleets: dict[str, TerminalFleet] = Field(min_length=1, max_length=100)
    behaviour: Behaviour = DEFAULT_BEHAVIOUR
    cells: Cells = Cells()
    gateway: Gateway = Gateway()
    ingest: Ingest = Ingest()
    insurance: InsuranceTariff = InsuranceTariff()
    record_terminals: int = Field(default=200_000, ge=0, le=MAX_TERMINALS, description="write "
                                  "tables/terminals and premiums when there are at most this "
                                  "many terminals")
    threads: int | None = Field(default=None, ge=1, le=256)

    @model_validator(mode="after")
    def _bounds(self) -> TerminalsScenario:
        if self.horizon_s < self.window_s:
            raise FieldError("horizon_s", f"must hold at least one window (window_s "
                             f"{self.window_s:g})", self.horizon_s)
        n = sum(f.count for f in self.fleets.values())
        if n > MAX_TERMINALS:
            raise ValueError(f"{n:,} terminals in all fleets; at most {MAX_TERMINALS:,}")
        windows = self.horizon_s / self.window_s
        if windows > MAX_WINDOWS:
            raise ValueError(f"horizon_s / window_s = {windows:,.0f} windows; at most "
                             f"{MAX_WINDOWS:,}")
        if windows * self.cells.cells > MAX_CELL_WINDOWS:
            raise ValueError(f"cells.cells x windows = {windows * self.cells.cells:,.0f}; at "
                             f"most {MAX_CELL_WINDOWS:,} (fewer cells or longer windows)")
        ratio = self.epoch_s / self.window_s
        if abs(ratio - round(ratio)) > 1e-9:
            raise ValueError(f"epoch_s ({self.epoch_s:g}) must be a multiple of window_s "
                             f"({self.window_s:g})")
        return self
