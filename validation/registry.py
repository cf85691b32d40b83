"""Registry of validation checks, run by tests and by ``fleettwin validate``.

A check module is any module in this package whose name starts with ``checks_``; it registers
functions with :func:`register_check`. Each function takes ``full`` (tighter tolerances, more
replications) and returns one or more :class:`CheckResult`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class CheckResult:
    check: str
    expected: float | str
    simulated: float | str
    tolerance: str
    passed: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


CheckFn = Callable[[bool], list[CheckResult]]


@dataclass(frozen=True)
class Check:
    name: str
    group: str
    fn: CheckFn
    description: str = ""


CHECKS: dict[str, Check] = {}


def register_check(name: str, group: str, description: str = "") -> Callable[[CheckFn], CheckFn]:
    def deco(fn: CheckFn) -> CheckFn:
        CHECKS[name] = Check(name, group, fn, description or (fn.__doc__ or "").strip())
        return fn

    return deco


def discover() -> dict[str, Check]:
    import validation

    for mod in pkgutil.iter_modules(validation.__path__):
        if mod.name.startswith("checks_"):
            importlib.import_module(f"validation.{mod.name}")
    return CHECKS
