"""Validated schemas for scenarios and hardware profiles (pydantic v2, from YAML)."""

from sim.schema.base import StrictModel
from sim.schema.distributions import Distribution, Quantity, as_distribution
from sim.schema.loader import apply_overrides, load_yaml, validate_model

__all__ = [
    "Distribution",
    "Quantity",
    "StrictModel",
    "apply_overrides",
    "as_distribution",
    "load_yaml",
    "validate_model",
]
