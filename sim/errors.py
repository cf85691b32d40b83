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


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where, what, and the bad value."""

    field: str
    message: str
    value: Any = None
    has_value: bool = True

    def render(self) -> str:
        where = self.field or "<file>"
        if self.has_value:
            return f"{where}: {self.message} (got {_short(self.value)})"
        return f"{where}: {self.message}"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputError(FleetTwinError):
    """A file (scenario, profile, telemetry, data) has one or more problems."""

    kind = "input"

    def __init__(self, source: str | Path | None, problems: list[Problem]):
        self.source = str(source) if source is not None else "<input>"
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
