"""Fields every scenario has, whatever it models; SLAs and their verdicts."""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.schema.base import FieldError, StrictModel

#: Largest root seed (numpy's SeedSequence takes any, the kernels take 63 bits).
MAX_SEED = 2**63 - 1
#: Longest horizon: five years of simulated time.
MAX_HORIZON_S = 5 * 365 * 86400.0
#: Most records a time series may get (horizon_s / record_interval_s).
MAX_RECORDS = 1_000_000

_OPS = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}


class SLA(StrictModel):
    """A threshold a decision must meet, e.g. ``wait_p95_s <= 480``."""

    kpi: str = Field(max_length=100)
    op: Literal["<=", "<", ">=", ">"] = "<="
    threshold: float
    name: str | None = Field(default=None, max_length=200)

    @property
    def label(self) -> str:
        return self.name or f"{self.kpi} {self.op} {self.threshold:g}"

    def verdict(
        self, kpis: Mapping[str, Any], ci: Mapping[str, Mapping[str, Any]] | None = None
    ) -> dict[str, Any]:
        """PASS, FAIL or UNCERTAIN for this SLA.

        With a 95% interval over replications, PASS needs the whole interval to meet the
        threshold and FAIL the whole interval to miss it; an interval across the threshold is
        UNCERTAIN (more replications may decide it). Without an interval (one replication)
        the value decides. A KPI with no value (it does not apply, or was not measured) is
        UNCERTAIN: nothing shows the threshold is met.
        """
        value = kpis.get(self.kpi)
        if value is None or not math.isfinite(value):
            return self._row(None, "UNCERTAIN", None, None)
        interval = (ci or {}).get(self.kpi) or {}
        lo, hi = interval.get("ci_low"), interval.get("ci_high")
        check = _OPS[self.op]
        if lo is None or hi is None:
            verdict = "PASS" if check(value, self.threshold) else "FAIL"
        else:
            both = (bool(check(lo, self.threshold)), bool(check(hi, self.threshold)))
            verdict = {(True, True): "PASS", (False, False): "FAIL"}.get(both, "UNCERTAIN")
        return self._row(value, verdict, lo, hi)

    def _row(self, value: Any, verdict: str, lo: Any, hi: Any) -> dict[str, Any]:
        return {
            "name": self.label,
            "kpi": self.kpi,
            "op": self.op,
            "threshold": self.threshold,
            "value": value,
            "ci_low": lo,
            "ci_high": hi,
            "verdict": verdict,
            "passed": verdict == "PASS",
        }


class ScenarioBase(StrictModel):
    """Common header of every scenario. Model kinds subclass it with their sections."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-\.]+$", max_length=100)
    description: str = Field(default="", max_length=20_000)
    kind: str
    seed: int = Field(default=1, ge=0, le=MAX_SEED)
    horizon_s: float = Field(gt=0, le=MAX_HORIZON_S,
                             description="simulated time after which no new work arrives")
    warmup_s: float = Field(default=0.0, ge=0, description="KPIs ignore what starts before it")
    replications: int = Field(default=1, ge=1, le=1000)
    record_interval_s: float = Field(default=300.0, gt=0)
    profile_dirs: list[str] = Field(default_factory=list, max_length=50)
    slas: list[SLA] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _warmup_before_horizon(self) -> ScenarioBase:
        if self.warmup_s >= self.horizon_s:
            raise FieldError("warmup_s", f"must be shorter than horizon_s ({self.horizon_s:g})",
                             self.warmup_s)
        return self

    @field_validator("horizon_s")
    @classmethod
    def _horizon_bounded(cls, value: float) -> float:
        # Also here, not only in the Field: a model kind that redeclares horizon_s (to give it
        # a default) keeps the bound.
        if value > MAX_HORIZON_S:
            raise ValueError(f"Input should be less than or equal to {MAX_HORIZON_S:.0f} "
                             "(five years)")
        return value

    @field_validator("record_interval_s")
    @classmethod
    def _records_bounded(cls, value: float, info: ValidationInfo) -> float:
        horizon_s = info.data.get("horizon_s")
        if horizon_s is not None and horizon_s / value > MAX_RECORDS:
            raise ValueError(
                f"horizon_s / record_interval_s = {horizon_s / value:.3g} records per series; "
                f"at most {MAX_RECORDS:,} (use at least {horizon_s / MAX_RECORDS:.3g} s)"
            )
        return value
