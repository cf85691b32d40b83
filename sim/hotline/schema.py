"""Scenario schema of the customer-service hotline (kind ``hotline``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.schema.base import StrictModel
from sim.schema.distributions import Quantity
from sim.schema.scenario import ScenarioBase


class CallDemand(StrictModel):
    """Calls reaching the hotline: a Poisson stream and the time an agent spends on each."""

    per_h: float = Field(gt=0, description="mean call arrival rate (Poisson), calls per hour")
    handle_s: Quantity = Field(description="talk plus wrap-up time per call, seconds")


class HotlineScenario(ScenarioBase):
    """A support line staffed by ``agents`` identical agents serving calls first come first served.

    ``when_busy: queue`` holds callers until an agent frees up (M/M/c with exponential handling,
    Erlang C); ``when_busy: lost`` turns them away (M/G/c/c, Erlang B).
    """

    kind: Literal["hotline"]
    calls: CallDemand
    agents: int = Field(ge=1, le=100_000, description="agents on duty")
    when_busy: Literal["queue", "lost"] = Field(
        default="queue", description="what a caller meets when every agent is busy"
    )
    answer_within_s: float = Field(
        default=20.0, ge=0, description="service-level target: answered within this many seconds"
    )
    drain_s: float = Field(
        default=3600.0, ge=0, description="time after horizon_s to let queued calls finish"
    )
    record_calls: bool = Field(
        default=True, description="write the per-call table (tables/calls); off for long runs"
    )
    batches: int = Field(
        default=20, ge=2, le=10_000,
        description="batches the measured window [warmup_s, horizon_s) is cut into "
        "(batch means for confidence intervals)",
    )
