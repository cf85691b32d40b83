"""Usage-based insurance: a vehicle's yearly premium from how much, when and how it is driven.

Seed 000 names "insurance industry risk pricing" from driving behaviour and gives no
formula; this one is stated here and used the same way for simulated truth and for a twin's
ingested telemetry::

    annual_km    = km / days x 365
    f_km         = clip((annual_km / reference_km) ** km_elasticity, km_factor_min, km_factor_max)
    night_share  = night_km / km                       (22:00-06:00; 0 without km)
    f_night      = 1 + night_loading x night_share
    events_100km = sum(weight_k x events_k) / km x 100  (0 without km)
    f_events     = min(1 + event_loading x events_100km, event_factor_max)
    premium_cny  = round(base_cny x f_km x f_night x f_events, 2)

Events are harsh braking, harsh acceleration, speeding episodes and fatigue alarms.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import Field, model_validator

from sim.schema.base import StrictModel

EVENT_KINDS: tuple[str, ...] = ("harsh_braking", "harsh_acceleration", "speeding", "fatigue")


class InsuranceTariff(StrictModel):
    """The pricing formula's parameters (see the module's docstring)."""

    base_cny: float = Field(default=3000.0, gt=0, le=1e7, description="yearly base premium")
    reference_km: float = Field(default=30_000.0, gt=0, le=1e7, description="km a year "
                                "at which f_km = 1")
    km_elasticity: float = Field(default=0.5, ge=0, le=5)
    km_factor_min: float = Field(default=0.5, gt=0, le=100)
    km_factor_max: float = Field(default=2.0, gt=0, le=100)
    night_loading: float = Field(default=0.5, ge=0, le=100)
    event_loading: float = Field(default=0.1, ge=0, le=100, description="per weighted event "
                                 "per 100 km")
    event_factor_max: float = Field(default=2.5, ge=1, le=100)
    event_weights: dict[str, float] = Field(default_factory=lambda: {
        "harsh_braking": 1.0, "harsh_acceleration": 1.0, "speeding": 1.0, "fatigue": 2.0})

    @model_validator(mode="after")
    def _check(self) -> InsuranceTariff:
        if self.km_factor_min > self.km_factor_max:
            raise ValueError(f"km_factor_min ({self.km_factor_min:g}) above km_factor_max "
                             f"({self.km_factor_max:g})")
        unknown = sorted(set(self.event_weights) - set(EVENT_KINDS))
        if unknown:
            raise ValueError(f"event_weights: unknown event kind {unknown[0]!r} (known: "
                             f"{', '.join(EVENT_KINDS)})")
        if any(not 0 <= w <= 1e3 for w in self.event_weights.values()):
            raise ValueError("event_weights must be between 0 and 1000")
        return self


def premiums(tariff: InsuranceTariff, km: np.ndarray, night_km: np.ndarray,
             events: Mapping[str, np.ndarray], days: float) -> dict[str, np.ndarray]:
    """Each vehicle's yearly premium and its factors.

    Parameters
    ----------
    km, night_km
        Kilometres driven in the observed span, and of those between 22:00 and 06:00.
    events
        Counts per vehicle by kind (:data:`EVENT_KINDS`; a missing kind counts 0).
    days
        Length of the observed span, days (> 0).
    """
    if not days > 0:
        raise ValueError(f"days must be > 0 (got {days!r})")
    km = np.asarray(km, float)
    night_km = np.asarray(night_km, float)
    weighted = np.zeros_like(km)
    for kind, w in tariff.event_weights.items():
        if kind in events:
            weighted += w * np.asarray(events[kind], float)
    annual_km = km / days * 365.0
    f_km = np.clip((annual_km / tariff.reference_km) ** tariff.km_elasticity,
                   tariff.km_factor_min, tariff.km_factor_max)
    has_km = km > 0
    safe = np.where(has_km, km, 1.0)
    night_share = np.where(has_km, night_km / safe, 0.0)
    per_100km = np.where(has_km, weighted / safe * 100.0, 0.0)
    f_night = 1.0 + tariff.night_loading * night_share
    f_events = np.minimum(1.0 + tariff.event_loading * per_100km, tariff.event_factor_max)
    premium = np.round(tariff.base_cny * f_km * f_night * f_events, 2)
    return {"annual_km": annual_km, "night_share": night_share, "events_per_100km": per_100km,
            "f_km": f_km, "f_night": f_night, "f_events": f_events, "premium_cny": premium}
