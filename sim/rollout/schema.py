"""Scenario schema of the IPTV rollout year (kind ``iptv_rollout``).

Dates are calendar dates of ``year``; simulated time is seconds from 1 January 00:00.
Cross-field checks (known provinces and packages, launch dates inside the year, discount
bands covering every group size) are made by :func:`sim.rollout.checks.check_scenario`,
which names the field path and the bad value of each problem.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.schema.base import FieldError, StrictModel
from sim.schema.distributions import Exponential, Quantity
from sim.schema.scenario import ScenarioBase


class ProvinceSpec(StrictModel):
    target_10k: float = Field(ge=0, le=1000, description="2016 target, 10,000 accounts (one "
                              "box each; the largest province's is 57.9)")
    crews: int | None = Field(default=None, ge=0, description="installer crews (default: "
                              "installation.crews_per_10k x target)")


class Batch(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    label: str = ""
    on_sale: dt.date
    provinces: list[str] = Field(default_factory=list)
    rest: bool = Field(default=False, description="every province not in an earlier batch")


class Launch(StrictModel):
    teams_ready: dt.date = Field(default=dt.date(2016, 6, 10),
                                 description="sales and installer teams formed (costs start)")
    batches: list[Batch] = Field(min_length=1)


#: A share of a mix (normalised over the mix): never negative.
Share = Annotated[float, Field(ge=0, le=1e6)]


class VerticalSpec(StrictModel):
    share: float = Field(ge=0, le=1, description="share of each province's target")
    p_per_month: float = Field(gt=0, le=1, description="Bass innovation coefficient")
    q_per_month: float = Field(ge=0, le=5, description="Bass imitation coefficient")
    group_boxes: Quantity = Field(description="boxes per group order (enterprise)")
    min_boxes: int = Field(default=1, ge=1, le=100_000)
    max_boxes: int = Field(default=1000, ge=1, le=100_000)
    packages: dict[str, Share] = Field(min_length=1, description="package -> share")
    segments: dict[int, Share] = Field(min_length=1,
                                       description="3-level segment code -> share")
    window_h: tuple[float, float] = Field(default=(8.5, 17.5),
                                          description="visits start and end inside")

    @model_validator(mode="after")
    def _ranges(self) -> VerticalSpec:
        if self.max_boxes < self.min_boxes:
            raise ValueError(f"max_boxes ({self.max_boxes}) must be >= min_boxes "
                             f"({self.min_boxes})")
        if not 0 <= self.window_h[0] < self.window_h[1] <= 24:
            raise ValueError(f"window_h must be 0 <= start < end <= 24 (got {self.window_h})")
        for name in ("packages", "segments"):
            if not sum(getattr(self, name).values()) > 0:
                raise FieldError(name, "shares must have a positive sum", getattr(self, name))
        return self


class Adoption(StrictModel):
    potential_factor: float = Field(default=1.0, gt=0, le=10,
                                    description="market potential / target")
    verticals: dict[str, VerticalSpec] = Field(min_length=1)


class Installation(StrictModel):
    crews_per_10k: float = Field(default=3.0, ge=0, le=1000)
    crew_factor: float = Field(default=1.0, ge=0, le=10, description="what-if: crews x this")
    team_size: int = Field(default=8, ge=1, le=200, description="crews sharing a depot "
                           "and a daily plan (one city district)")
    shift_h: tuple[float, float] = (8.5, 17.5)
    working_weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4, 5], min_length=1, max_length=7,
        description="0 Monday .. 6 Sunday")
    setup_min: float = Field(default=20.0, ge=0, description="per visit")
    install_min_per_box: float = Field(default=6.0, gt=0)
    activation_min_per_box: float = Field(default=2.0, ge=0)
    id_entry_min_per_box: float = Field(default=1.5, ge=0,
                                        description="enterprise ID and installer phone")
    max_boxes_per_visit: int = Field(default=40, ge=1)
    district_radius_km: float = Field(default=25.0, gt=0)
    travel_kmh: float = Field(default=30.0, gt=0)
    detour: float = Field(default=1.3, ge=1)
    iterations: int = Field(default=20, ge=1, le=100_000, description="PyVRP iterations")
    plan_factor: float = Field(default=1.3, ge=1, description="candidate work / crew time")
    workers: int = Field(default=1, ge=1, le=64, description="processes planning the teams' "
                         "days in parallel (the plans do not depend on it)")

    @model_validator(mode="after")
    def _shift(self) -> Installation:
        if not 0 <= self.shift_h[0] < self.shift_h[1] <= 24:
            raise FieldError("shift_h", "must be 0 <= start < end <= 24", list(self.shift_h))
        return self

    @property
    def per_box_min(self) -> float:
        return self.install_min_per_box + self.activation_min_per_box + \
            self.id_entry_min_per_box


class Platform(StrictModel):
    capacity_per_h: float = Field(default=30_000.0, gt=0,
                                  description="activations + ID reports per hour")
    transactions_per_box: int = Field(default=2, ge=1)


class Tier(StrictModel):
    handle_s: Quantity = 300.0
    patience_s: Quantity = Field(default_factory=lambda: Exponential(mean_value=180.0, unit="s"),
                                 description="caller patience, seconds")


class ProvinceLine(Tier):
    agents_per_100k: float = Field(default=4.0, ge=0, description="per 100,000 target boxes")
    min_agents: int = Field(default=2, ge=1)


class CentreLine(Tier):
    agents: int = Field(default=20, ge=1)


class Hotline(StrictModel):
    province: ProvinceLine = Field(default_factory=ProvinceLine)
    centre: CentreLine = Field(default_factory=CentreLine)
    escalation_share: float = Field(default=0.15, ge=0, le=1,
                                    description="answered calls forwarded to the centre")
    install_call_prob: float = Field(default=0.04, ge=0, le=1,
                                     description="calls per newly activated box")
    install_call_delay_h: float = Field(default=24.0, gt=0)
    calls_per_box_month: float = Field(default=0.01, ge=0, description="installed base")
    hourly_profile: list[float] = Field(
        default_factory=lambda: [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.3, 1.5, 1.5, 1.3,
                                 1.1, 1.3, 1.5, 1.5, 1.4, 1.3, 1.3, 1.5, 1.6, 1.4, 0.9, 0.4],
        min_length=24, max_length=24)
    answer_within_s: float = Field(default=20.0, ge=0)


class Band(StrictModel):
    from_boxes: int = Field(ge=1)
    to_boxes: int | None = Field(default=None, ge=2, description="exclusive; none: no limit")
    factor: float = Field(gt=0, le=1)


class Economics(StrictModel):
    months: int = Field(default=36, ge=12, le=240, description="cash-flow horizon from January")
    discount_rate_yearly: float = Field(default=0.08, ge=0, le=1)
    box_cost_cny: float = Field(default=360.0, ge=0)
    crew_cost_cny_per_day: float = Field(default=450.0, ge=0)
    agent_cost_cny_per_h: float = Field(default=35.0, ge=0)
    prices_cny: dict[str, float] = Field(default_factory=dict,
                                         description="package -> monthly price (>= floor)")
    vas_take: float = Field(default=0.1, ge=0, le=1)
    vas_price_cny: float = Field(default=30.0, ge=0)
    renewal_rate: float = Field(default=0.85, ge=0, le=1)
    yearly_payment_share: float = Field(default=0.5, ge=0, le=1)
    discounts: list[Band] = Field(default_factory=lambda: [
        Band(from_boxes=10, to_boxes=30, factor=0.95), Band(from_boxes=30, to_boxes=50, factor=0.9),
        Band(from_boxes=50, to_boxes=100, factor=0.85), Band(from_boxes=100, factor=0.8)])
    no_discount_below: int = Field(default=10, ge=1)
    incentive_pool_cny: float = Field(default=100_000_000.0, ge=0)
    incentive_per_box_cny: float = Field(default=50.0, gt=0)
    north_bundle_share: float = Field(default=0.3, ge=0, le=1)


class Contract(StrictModel):
    fee_cny_per_year: float = Field(default=20_000_000.0, ge=0)
    fixed_share: float = Field(default=0.6, ge=0, le=1)
    slope: float = Field(default=2.0, ge=0)
    credit_days: int = Field(default=30, ge=0)
    quarter_targets: list[float] | None = Field(default=None, min_length=4, max_length=4,
                                                description="new activations per quarter "
                                                "(default: 0, 0, 40%, 60% of the plan)")


class RolloutScenario(ScenarioBase):
    """The rollout year: launch calendar, adoption, installers, platform, hotline and money."""

    kind: Literal["iptv_rollout"] = "iptv_rollout"
    year: int = Field(default=2016, ge=2000, le=2100)
    horizon_s: float = Field(default=366 * 86400.0, gt=0)
    provinces: dict[str, ProvinceSpec] = Field(min_length=1)
    launch: Launch
    adoption: Adoption
    installation: Installation = Field(default_factory=Installation)
    platform: Platform = Field(default_factory=Platform)
    hotline: Hotline = Field(default_factory=Hotline)
    economics: Economics = Field(default_factory=Economics)
    contract: Contract = Field(default_factory=Contract)
    handover_date: dt.date | None = Field(default=None, description="installed base written "
                                          "as IPTV site groups (tables/handover)")
    record_visits: bool = True

    @model_validator(mode="after")
    def _some_market(self) -> RolloutScenario:
        boxes = sum(round(p.target_10k * 1e4 * self.adoption.potential_factor)
                    for p in self.provinces.values())
        if boxes < 1:
            raise FieldError("provinces", "targets x adoption.potential_factor "
                             f"({self.adoption.potential_factor:g}) leave no box to install: "
                             "the year would have no order")
        return self

    def date_s(self, day: dt.date) -> float:
        """Seconds from 1 January of ``year`` to ``day`` 00:00."""
        return float((day - dt.date(self.year, 1, 1)).days * 86400)
