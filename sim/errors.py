"""One exception family for the whole project.

Library code raises these; only the CLI turns them into a message and an exit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


class FleetTwinError(Exception):
    """Base class of every error the project raises on purpose."""

    exit_code = 2


#: Longest problem text printed (values are cut to 80 characters on their own).
MAX_MESSAGE = 600


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where, what, and the bad value."""

    field: str
    message: str
    value: Any = None
    has_value: bool = True

    def render(self) -> str:
        where = self.field or "<file>"
        if len(where) > 200:  # a field path typed on the command line can be any length
            where = where[:197] + "..."
        message = self.message
        if len(message) > MAX_MESSAGE:  # a message that quotes its input at length
            message = message[: MAX_MESSAGE - 3] + "..."
        if self.has_value:
            return f"{where}: {message} (got {_short(self.value)})"
        return f"{where}: {message}"


def _short(value: Any, limit: int = 80) -> str:
    return bounded_repr(value, limit)


def bounded_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, in time bounded by ``limit``.

    Never walks more of a nested value than it prints, so a YAML alias bomb, a 20,000-deep
    list or a self-referencing structure renders in microseconds; integers too long for
    ``repr`` (Python limits int-to-text conversion) are shown by their size.
    """
    parts: list[str] = []
    budget = [limit + 1]
    _emit(value, parts, budget, depth=0)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_MAX_DEPTH = 4


def _put(parts: list[str], budget: list[int], text: str) -> bool:
    """Append ``text`` (cut to the budget left); False once the budget is spent."""
    if budget[0] <= 0:
        return False
    parts.append(text[: budget[0]])
    budget[0] -= len(text)
    return budget[0] > 0


def _emit(value: Any, parts: list[str], budget: list[int], depth: int) -> bool:
    if isinstance(value, bool) or value is None:
        return _put(parts, budget, repr(value))
    if isinstance(value, int):
        if value.bit_length() > 200:
            sign = "-" if value < 0 else ""
            return _put(parts, budget, f"{sign}<integer of {value.bit_length()} bits>")
        return _put(parts, budget, repr(value))
    if isinstance(value, str | bytes):
        return _put(parts, budget, repr(value[: budget[0] + 2]))
    if isinstance(value, dict):
        return _emit_items(list(value.items())[: budget[0]], "{", "}", parts, budget, depth,
                           pairs=True)
    if isinstance(value, list | tuple | set | frozenset):
        opener, closer = {list: ("[", "]"), tuple: ("(", ")")}.get(type(value), ("{", "}"))
        items = list(value)[: budget[0]] if not isinstance(value, list) else value
        return _emit_items(items, opener, closer, parts, budget, depth, pairs=False)
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real problem
        text = f"<{type(value).__name__}>"
    return _put(parts, budget, text[: budget[0] + 1])


def _emit_items(items: Any, opener: str, closer: str, parts: list[str], budget: list[int],
                depth: int, pairs: bool) -> bool:
    if depth >= _MAX_DEPTH and len(items):
        return _put(parts, budget, f"{opener}...{closer}")
    if not _put(parts, budget, opener):
        return False
    for i, item in enumerate(items):
        if budget[0] <= 0:
            return False
        if i and not _put(parts, budget, ", "):
            return False
        if pairs:
            key, val = item
            if not (_emit(key, parts, budget, depth + 1) and _put(parts, budget, ": ")):
                return False
            item = val
        if not _emit(item, parts, budget, depth + 1):
            return False
    return _put(parts, budget, closer)


class InputError(FleetTwinError):
    """A file (scenario, profile, telemetry, data) has one or more problems."""

    kind = "input"

    def __init__(self, source: str | Path | None, problems: list[Problem]):
        self.source = str(source) if source is not None else "<input>"
        if len(self.source) > 300:
            self.source = self.source[:297] + "..."
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{self.kind} file {self.source}: {n} problem{'s' if n != 1 else ''}"
        lines = [head] + [f"  - {p.render()}" for p in self.problems]
        return "\n".join(lines)


class ScenarioError(InputError):
    kind = "scenario"


class ProfileError(InputError):
    kind = "hardware profile"


class DataError(InputError):
    kind = "data"


class RunError(FleetTwinError):
    """A run directory is missing, incomplete or unreadable."""


class OptionError(FleetTwinError):
    """A command-line option has a value that cannot be used."""

    def __init__(self, option: str, message: str, value: Any = None, has_value: bool = True):
        self.option, self.message, self.value = option, message, value
        got = f" (got {bounded_repr(value)})" if has_value else ""
        super().__init__(f"option {option}: {message}{got}")
