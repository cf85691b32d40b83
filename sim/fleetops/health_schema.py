"""Scenario sections of the health part: workshops, maintenance, early warning, economics.

Placeholders the health part fills in; the fleet-year scenario schema has one field of
each type, defaulted, so a scenario without them is valid.
"""

from __future__ import annotations

from pydantic import Field

from sim.schema.base import StrictModel


class WorkshopSpec(StrictModel):
    """A workshop: a dealer 4S store or an independent one, with bays, at a place."""

    id: str = Field(min_length=1, max_length=100)
    kind: str = Field(default="independent", pattern=r"^(4s|independent)$")
    x_km: float = Field(default=0.0, ge=-1e4, le=1e4)
    y_km: float = Field(default=0.0, ge=-1e4, le=1e4)
    bays: int = Field(default=2, ge=1, le=1000)


class MaintenanceSpec(StrictModel):
    """Preventive service and repairs."""


class WarningSpec(StrictModel):
    """Fault early warning."""


class EconomicsSpec(StrictModel):
    """Capital, insurance, platform and running costs of the fleet."""
