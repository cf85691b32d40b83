"""Base model: unknown keys are errors, values are validated on assignment."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A pydantic model that refuses unknown keys (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)
