"""Parameter schemas of the dispatchers: every dispatcher's ``params`` are checked at the edge.

A dispatcher class names its schema in ``Params`` (a pydantic model refusing unknown keys);
:func:`check_params` turns a bad value into problems with the field path and the value, so a
zero decision window (an endless loop) or a typo is an input error, not a hang.
"""

from __future__ import annotations

import inspect
from typing import Any

from pydantic import Field, ValidationError

from sim.errors import Problem
from sim.schema.base import StrictModel


class DispatcherParams(StrictModel):
    """Settings every dispatcher takes."""


class WindowedParams(DispatcherParams):
    batch_window_s: float = Field(default=30.0, ge=0, le=3600,
                                  description="decision window; 0 decides at every event")
    max_pickup_s: float | None = Field(default=None, gt=0, le=86400,
                                       description="longest acceptable drive to a pickup")


class PlannerParams(DispatcherParams):
    """Settings of the dispatchers that plan over schedules."""

    batch_window_s: float = Field(default=0.0, ge=0, le=3600,
                                  description="0: decide at every request")
    candidates: int = Field(default=30, ge=1, le=10000,
                            description="vehicles priced per request (nearest first)")
    wait_weight: float = Field(default=0.0, ge=0, le=100,
                               description="cost per second of pickup delay, on top of the "
                                           "added driving time")
    reoptimise_s: float | None = Field(
        default=None, gt=0, le=86400,
        description="re-optimise the visits not started with PyVRP this often (None: the "
                    "model's choice, by default never)")
    reoptimise_iterations: int = Field(default=300, ge=1, le=100000)
    vehicle_cost_s: float = Field(default=0.0, ge=0, le=86400,
                                  description="cost of putting a vehicle to use that has not "
                                              "taken a request yet (fewer vehicles)")
    pooling: bool = Field(default=True, description="requests may share a vehicle")


def split_params(cls: Any, params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``params`` that ``cls`` takes, and the names it does not take but another registered
    dispatcher does (so a what-if that only switches the algorithm keeps working; those are
    ignored with a warning). Names no dispatcher knows stay in, to be reported as errors."""
    from sim.dispatch.base import DISPATCHERS

    schema = getattr(cls, "Params", None)
    if schema is not None:
        own = set(schema.model_fields)
    else:  # a dispatcher without a schema: the keywords its constructor takes
        try:
            sig = inspect.signature(cls)
        except (TypeError, ValueError):
            return dict(params), []
        if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
            return dict(params), []
        own = set(sig.parameters)
    schemas = [getattr(c, "Params", None) for c in DISPATCHERS.values()]
    others = {f for sc in schemas if sc is not None for f in sc.model_fields}
    ignored = sorted(k for k in params if k not in own and k in others)
    return {k: v for k, v in params.items() if k not in ignored}, ignored


def check_params(cls: Any, params: dict[str, Any], path: str) -> list[Problem]:
    """Problems of ``params`` against ``cls.Params`` (none if it has no schema)."""
    schema = getattr(cls, "Params", None)
    if schema is None:
        return []
    params, _ = split_params(cls, params)
    try:
        schema(**params)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            value = err.get("input")
            msg = "unknown parameter (not allowed here; check spelling)" \
                if err["type"] == "extra_forbidden" else err["msg"]
            out.append(Problem(f"{path}.{loc}" if loc else path, msg, value))
        return out
    return []
