"""Scenario schema of the customer-service hotline (kind ``hotline``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.schema.base import StrictModel
from sim.schema.distributions import Quantity
from sim.schema.scenario import MAX_HORIZON_S, ScenarioBase

#: Most calls one replication may expect (each call is a SimPy process and a table row).
MAX_CALLS = 20_000_000


class CallDemand(StrictModel):
    """Calls reaching the hotline: a Poisson stream and the time an agent spends on each."""

    per_h: float = Field(gt=0, le=1e6,
                         description="mean call arrival rate (Poisson), calls per hour")
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
        default=20.0, ge=0, le=86400.0, description="service-level target: answered within this many seconds"
    )
    drain_s: float = Field(
        default=3600.0, ge=0, le=MAX_HORIZON_S, description="time after horizon_s to let queued calls finish"
    )
    record_calls: bool = Field(
        default=True, description="write the per-call table (tables/calls); off for long runs"
    )
    batches: int = Field(
        default=20, ge=2, le=10_000,
        description="batches the measured window [warmup_s, horizon_s) is cut into "
        "(batch means for confidence intervals)",
    )

    @model_validator(mode="after")
    def _calls_bounded(self) -> HotlineScenario:
        expected = self.calls.per_h * self.horizon_s / 3600.0
        if expected > MAX_CALLS:
            raise ValueError(
                f"calls.per_h x horizon_s = {expected:.3g} expected calls per replication; "
                f"at most {MAX_CALLS:,} (shorten horizon_s or lower calls.per_h)"
            )
        return self
