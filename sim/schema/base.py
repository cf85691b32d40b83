"""Base model: unknown keys are errors, values are validated on assignment.

No float field anywhere accepts NaN or infinity (YAML's ``.nan`` and ``.inf``, or a number too
large for a float): a horizon of ``.inf`` would run forever and a NaN threshold would make every
comparison false. A field that needs an open bound says so with :data:`UpperBound`.
"""

from __future__ import annotations

import functools
import math
import types
import typing
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AllowInfNan,
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    model_validator,
)


class StrictModel(BaseModel):
    """A pydantic model that refuses unknown keys (typos must not pass silently) and NaN/inf."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False,
                              allow_inf_nan=False)

    @model_validator(mode="wrap")
    @classmethod
    def _no_bool_for_number(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        """Refuse ``true``/``false`` where a number belongs (pydantic would read them as 1
        and 0: ``count: yes`` would run one vehicle), also as an item of a list or mapping
        of numbers. Such a value is handed on as :class:`_NotANumber`, which every number
        type refuses, so it is reported with the file's other problems, by its path and
        its value."""
        if isinstance(data, dict) and any(isinstance(v, bool | list | tuple | dict)
                                          for v in data.values()):
            fixed = None
            for key, value in data.items():
                annotation = _annotations(cls).get(key) if isinstance(key, str) else None
                if annotation is None:
                    continue
                new = _flag_bools(value, annotation)
                if new is not value:
                    fixed = dict(data) if fixed is None else fixed
                    fixed[key] = new
            if fixed is not None:
                data = fixed
        return handler(data)


def _not_nan_nor_minus_inf(value: float) -> float:
    if math.isnan(value) or value == -math.inf:
        raise ValueError("must be a number or .inf (no bound)")
    return value


#: A float that may be ``+inf`` (an open upper bound) but never NaN or ``-inf``.
UpperBound = Annotated[float, AllowInfNan(True), AfterValidator(_not_nan_nor_minus_inf)]


_NO_VALUE: Any = object()


class FieldError(ValueError):
    """A model validator's complaint about one field of the model, not the model as a whole.

    ``field`` is the path below the model (``"depots"``, ``("tasks", 0, "depot_share")``);
    the error formatter (:func:`sim.schema.loader.problems_from_validation`) appends it to the
    model's own place in the file, so the message names the field and ``value``, as a field
    validator's would, instead of the whole section.
    """

    def __init__(self, field: str | Sequence[str | int], message: str, value: Any = _NO_VALUE):
        self.loc: tuple[str | int, ...] = (field,) if isinstance(field, str) else tuple(field)
        self.message = message
        self.value = value
        self.has_value = value is not _NO_VALUE
        super().__init__(message)


_NUMBERS = (int, float)


def _flat(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _flat(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _flat(arg)]
    if origin is typing.Literal:
        return [type(a) for a in typing.get_args(annotation)]
    return [annotation]


def _numbers_only(members: list[Any]) -> bool:
    """True if the members take a number and none takes a bool (or anything)."""
    if any(m is bool or m is Any or m is object for m in members):
        return False
    return any(m in _NUMBERS for m in members)


@functools.lru_cache(maxsize=4096)
def _number_shape(annotation: Any) -> tuple[bool, bool]:
    """(a bool is refused as the value, a bool is refused as an item of the value) for a
    field's annotation: number fields, and lists, tuples and mappings of numbers."""
    members = _flat(annotation)
    outer = _numbers_only(members)
    inner: list[Any] = []
    for m in members:
        origin = typing.get_origin(m)
        args = typing.get_args(m)
        if origin in (list, tuple, set, frozenset, Sequence):
            inner += [a for arg in args if arg is not Ellipsis for a in _flat(arg)]
        elif origin is dict and len(args) == 2:
            inner += _flat(args[1])
    return outer, bool(inner) and _numbers_only(inner)


@functools.lru_cache(maxsize=1024)
def _annotations(cls: type[BaseModel]) -> dict[str, Any]:
    """A model's field annotations by input key (field name and alias)."""
    found: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        found[name] = info.annotation
        if info.alias:
            found[info.alias] = info.annotation
    return found


class _NotANumber:
    """Stands in for a ``true``/``false`` given where a number belongs: no number type
    accepts it (the message shows the value of the file, not this object)."""

    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


def _flag_bools(value: Any, annotation: Any) -> Any:
    """``value`` with each bool that stands where a number belongs replaced by
    :class:`_NotANumber` (``value`` itself when there is none)."""
    if not isinstance(value, bool | list | tuple | dict):
        return value
    outer, items = _number_shape(annotation)
    if isinstance(value, bool):
        return _NotANumber(value) if outer else value
    if not items:
        return value
    if isinstance(value, dict):
        if not any(isinstance(v, bool) for v in value.values()):
            return value
        return {k: _NotANumber(v) if isinstance(v, bool) else v for k, v in value.items()}
    if not any(isinstance(v, bool) for v in value):
        return value
    return type(value)(_NotANumber(v) if isinstance(v, bool) else v for v in value)
