"""Which profile fields can be calibrated, and how a fit becomes a field value.

A field is looked up generically in the profile kind's pydantic model (dotted paths reach into
nested models), so every registered profile kind works. Calibratable fields are:

- :data:`~sim.schema.distributions.Quantity` fields (number or distribution): they receive
  the fitted distribution;
- plain ``float`` fields: they receive one number derived from the fitted distribution:
  its mean by default; ``N / mean`` for fields named ``..._rate_per_<N><unit>`` (e.g.
  ``failure_rate_per_1000h``: the data are times between events, here times to failure in
  hours); the coefficient of variation (sd / mean) for fields named ``..._cv`` (e.g.
  ``service_time_cv`` from measured service times).
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim.errors import Problem, ProfileError
from sim.schema.distributions import _Dist

_RATE = re.compile(r"_rate_per_(\d*)([a-z]+)$")
#: Field-name suffixes taken as the unit of a fitted distribution.
KNOWN_UNITS = {"s", "ms", "us", "min", "h", "d", "m", "km", "kb", "mb", "gb", "bytes", "kbps",
               "mbps", "gbps", "pct", "l", "kg", "kwh", "cny"}


@dataclass(frozen=True)
class FieldTarget:
    """A calibratable field of a profile kind."""

    path: str
    kind: str  # "quantity" (distribution allowed) or "float" (one number)
    derive: str = "distribution"  # float fields: "mean", "rate" or "cv" of the fit
    rate_per: float | None = None  # for ``*_rate_per_<N><unit>`` floats
    rate_unit: str = ""

    def describe(self) -> str:
        """How the field's new value is obtained from the fitted distribution."""
        if self.derive == "rate":
            return f"{self.rate_per:g} / mean of the fitted distribution (data: times in " \
                f"{self.rate_unit})"
        if self.derive == "cv":
            return "coefficient of variation (sd / mean) of the fitted distribution"
        if self.derive == "mean":
            return "mean of the fitted distribution"
        return "the fitted distribution"

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def _flatten(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flatten(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _flatten(arg)]
    return [annotation]


def _is_dist(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, _Dist)


def _submodel(annotation: Any) -> type[BaseModel] | None:
    for t in _flatten(annotation):
        if isinstance(t, type) and issubclass(t, BaseModel) and not _is_dist(t):
            return t
    return None


def field_target(model: type[BaseModel], path: str, source: str) -> FieldTarget:
    """Find ``path`` in ``model`` and check that it can take a fitted value.

    Raises
    ------
    ProfileError
        The field does not exist (the message lists the candidates) or is not a Quantity or
        float field.
    """
    cls: type[BaseModel] = model
    parts = path.split(".")
    for i, part in enumerate(parts):
        info = cls.model_fields.get(part)
        if info is None:
            here = ".".join(parts[:i])
            cands = calibratable_fields(cls)
            raise ProfileError(source, [Problem(
                path, f"{model.__name__} has no field {part!r}"
                + (f" under {here!r}" if here else "")
                + f" (calibratable fields: {', '.join(cands) or 'none'})", path)])
        if i < len(parts) - 1:
            sub = _submodel(info.annotation)
            if sub is None:
                raise ProfileError(source, [Problem(path, f"{part!r} is not a nested section",
                                                    path)])
            cls = sub
            continue
        types_ = _flatten(info.annotation)
        if any(_is_dist(t) for t in types_):
            return FieldTarget(path, "quantity")
        if float in types_ and int not in types_:
            m = _RATE.search(part)
            if m:
                return FieldTarget(path, "float", "rate", float(m.group(1) or 1), m.group(2))
            if part.endswith("_cv"):
                return FieldTarget(path, "float", "cv")
            return FieldTarget(path, "float", "mean")
        raise ProfileError(source, [Problem(
            path, f"field is not a quantity or a float (type {info.annotation}); only "
            f"measured quantities can be calibrated (calibratable: "
            f"{', '.join(calibratable_fields(model))})", path)])
    raise AssertionError("unreachable")  # pragma: no cover


def calibratable_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted names of every Quantity or float field of ``model`` (nested models included)."""
    out = []
    for name, info in model.model_fields.items():
        types_ = _flatten(info.annotation)
        if any(_is_dist(t) for t in types_) or (float in types_ and int not in types_):
            out.append(prefix + name)
        else:
            sub = _submodel(info.annotation)
            if sub is not None:
                out += calibratable_fields(sub, prefix + name + ".")
    return out


def unit_for(target: FieldTarget, current: Any) -> str:
    """Unit for a fitted distribution: the current distribution's, else the name's suffix."""
    if isinstance(current, dict) and current.get("unit"):
        return str(current["unit"])
    if isinstance(current, _Dist) and current.unit:
        return current.unit
    suffix = target.name.rsplit("_", 1)[-1].lower() if "_" in target.name else ""
    return suffix if suffix in KNOWN_UNITS else ""


def get_path(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value
