"""Fields every scenario has, whatever it models; SLAs and their verdicts."""

from __future__ import annotations

import operator
from typing import Any, Literal

from pydantic import Field, model_validator

from sim.schema.base import StrictModel

_OPS = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}


class SLA(StrictModel):
    """A threshold a decision must meet, e.g. ``wait_p95_s <= 480``."""

    kpi: str
    op: Literal["<=", "<", ">=", ">"] = "<="
    threshold: float
    name: str | None = None

    @property
    def label(self) -> str:
        return self.name or f"{self.kpi} {self.op} {self.threshold:g}"

    def verdict(self, kpis: dict[str, Any]) -> dict[str, Any]:
        value = kpis.get(self.kpi)
        ok = value is not None and value == value and bool(_OPS[self.op](value, self.threshold))
        return {
            "name": self.label,
            "kpi": self.kpi,
            "op": self.op,
            "threshold": self.threshold,
            "value": value,
            "passed": ok,
        }


class ScenarioBase(StrictModel):
    """Common header of every scenario. Model kinds subclass it with their sections."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-\.]+$")
    description: str = ""
    kind: str
    seed: int = Field(default=1, ge=0)
    horizon_s: float = Field(gt=0, description="simulated time after which no new work arrives")
    warmup_s: float = Field(default=0.0, ge=0, description="KPIs ignore what starts before it")
    replications: int = Field(default=1, ge=1, le=1000)
    record_interval_s: float = Field(default=300.0, gt=0)
    profile_dirs: list[str] = Field(default_factory=list)
    slas: list[SLA] = Field(default_factory=list)

    @model_validator(mode="after")
    def _warmup_before_horizon(self) -> ScenarioBase:
        if self.warmup_s >= self.horizon_s:
            raise ValueError(
                f"warmup_s ({self.warmup_s:g}) must be shorter than horizon_s ({self.horizon_s:g})"
            )
        return self
