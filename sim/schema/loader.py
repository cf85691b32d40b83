"""YAML loading, error collection and dotted-path overrides.

Every problem in a file is collected and raised at once as one :class:`InputError`,
each problem with its field path (``fleets.taxis.count``, ``slas[0].threshold``) and the bad
value.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import InputError, Problem, ScenarioError

M = TypeVar("M", bound=BaseModel)


def load_yaml(path: str | Path, error_cls: type[InputError] = ScenarioError) -> Any:
    """Read a YAML file; syntax errors become an ``error_cls`` naming line and column."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_cls(p, [Problem("", "file not found", has_value=False)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error_cls(p, [Problem("", f"cannot read file: {exc}", has_value=False)]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error_cls(
            p, [Problem("", f"malformed YAML at {where}: {what}", has_value=False)]
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise error_cls(p, [Problem("", "top level must be a mapping of fields", data)])
    return data


def format_path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[list[Any], Any, bool]:
    """Follow ``loc`` through the input, dropping pydantic's union/tag segments.

    Returns the cleaned path, the value found there and whether it was found.
    """
    node = data
    path: list[Any] = []
    found = True
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, Mapping) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif last:
            path.append(part)
            found = False
        # else: a union member or discriminator tag, not a field of the input
    return path, node, found


def problems_from_validation(exc: ValidationError, data: Any) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        path, value, found = _data_path(data, loc)
        msg = err.get("msg", "invalid")
        etype = err.get("type", "")
        if etype == "extra_forbidden":
            msg = "unknown field (not allowed here; check spelling)"
        elif etype == "missing":
            msg = "required field is missing"
        msg = msg.removeprefix("Value error, ")
        key = (format_path(path), msg)
        if key in seen:
            continue
        seen.add(key)
        has_value = found and etype != "missing"
        problems.append(
            Problem(format_path(path), msg, value if has_value else None, has_value=has_value)
        )
    return problems


def validate_model(
    model_cls: type[M],
    data: Any,
    source: str | Path | None,
    error_cls: type[InputError] = ScenarioError,
) -> M:
    """Validate ``data`` into ``model_cls`` or raise one error listing every problem."""
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        raise error_cls(source, problems_from_validation(exc, data)) from None


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for raw in path.replace("[", ".").replace("]", "").split("."):
        if raw == "":
            continue
        parts.append(int(raw) if raw.lstrip("-").isdigit() else raw)
    return parts


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``path=value``; the value is read as YAML (numbers, bools, lists)."""
    if "=" not in text:
        raise ScenarioError(
            "--set", [Problem(text, "override must look like path=value", text)]
        )
    path, raw = text.split("=", 1)
    path = path.strip()
    if not path:
        raise ScenarioError("--set", [Problem(text, "override has an empty path", text)])
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return path, value


def apply_overrides(
    data: dict[str, Any], overrides: Iterable[str | tuple[str, Any]], source: str = "--set"
) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``path=value`` override applied.

    Missing intermediate mappings are created, so optional sections can be set from the
    command line; the schema then decides whether the field exists.
    """
    out = copy.deepcopy(data)
    problems: list[Problem] = []
    for item in overrides:
        path, value = parse_override(item) if isinstance(item, str) else item
        parts = _split_path(path)
        node: Any = out
        ok = True
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not isinstance(part, int) or not -len(node) <= part < len(node):
                    problems.append(Problem(path, f"no list item {part!r} here", value))
                    ok = False
                    break
                if last:
                    node[part] = value
                else:
                    node = node[part]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    if part not in node or node[part] is None:
                        node[part] = {}
                    node = node[part]
            else:
                problems.append(
                    Problem(path, f"cannot set inside a plain value at {part!r}", value)
                )
                ok = False
                break
        del ok
    if problems:
        raise ScenarioError(source, problems)
    return out
