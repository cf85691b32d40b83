"""Base model: unknown keys are errors, values are validated on assignment.

No float field anywhere accepts NaN or infinity (YAML's ``.nan`` and ``.inf``, or a number too
large for a float): a horizon of ``.inf`` would run forever and a NaN threshold would make every
comparison false. A field that needs an open bound says so with :data:`UpperBound`.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, AllowInfNan, BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A pydantic model that refuses unknown keys (typos must not pass silently) and NaN/inf."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False,
                              allow_inf_nan=False)


def _not_nan_nor_minus_inf(value: float) -> float:
    if math.isnan(value) or value == -math.inf:
        raise ValueError("must be a number or .inf (no bound)")
    return value


#: A float that may be ``+inf`` (an open upper bound) but never NaN or ``-inf``.
UpperBound = Annotated[float, AllowInfNan(True), AfterValidator(_not_nan_nor_minus_inf)]
