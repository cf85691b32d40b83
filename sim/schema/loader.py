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

import numpy as np
import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import InputError, Problem, ScenarioError, bounded_repr

M = TypeVar("M", bound=BaseModel)


#: Largest input file read (a scenario or profile is kilobytes; this is a typo or an attack).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Deepest nesting of mappings and lists accepted (the schemas need fewer than ten levels).
MAX_DEPTH = 64
#: Most values a document may expand to once YAML aliases are followed (an "alias bomb" of a
#: few lines expands to billions, which validation, copying or hashing would then walk).
MAX_NODES = 1_000_000


#: PyYAML's safe loader on libyaml's C parser when PyYAML was built with it (ten times
#: faster; the values are the same, built by the same Python constructor and resolver).
_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):  # type: ignore[misc]
    """PyYAML's safe loader, refusing a key that appears twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            try:
                first = seen.get(key)
            except TypeError:
                continue  # unhashable: the base class reports it
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key {bounded_repr(key, 40)} (first at line "
                    f"{first.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def parse_yaml_text(text: str) -> Any:
    """Parse YAML with the strict loader; raise ``yaml.YAMLError`` or ``RecursionError``."""
    if _bracket_depth(text) > 4 * MAX_DEPTH:
        raise RecursionError  # refused before the parser recurses that deep
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except ValueError as exc:  # an integer of more than 4300 digits (Python's own limit)
        raise yaml.YAMLError(f"a number too long to read ({exc})".split(";")[0]) from None


def _yaml_problem(exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Problem("", f"malformed YAML at {where}: {what}", has_value=False)


def structure_problem(data: Any) -> Problem | None:
    """A problem if ``data`` nests deeper than :data:`MAX_DEPTH`, refers to itself or expands
    (following YAML aliases) to more than :data:`MAX_NODES` values; else None.

    Shared sub-structures are sized once, so the check is linear in the text, not in the
    expansion.
    """
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def size(node: Any, path: list[Any]) -> int:
        if not isinstance(node, dict | list):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_ids:
            raise _Bad(path, "refers to itself (a YAML alias inside its own anchor)")
        if len(path) >= MAX_DEPTH:
            raise _Bad(path, f"nested deeper than {MAX_DEPTH} levels")
        open_ids.add(key)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        total = 1
        for k, child in items:
            total += size(child, [*path, k])
            if total > MAX_NODES:
                raise _Bad(path, f"expands to more than {MAX_NODES:,} values "
                           "(YAML aliases repeated inside each other?)")
        open_ids.discard(key)
        sizes[key] = total
        return total

    try:
        size(data, [])
    except _Bad as bad:
        shown = bad.path[:8]
        where = format_path(shown) + ("..." if len(bad.path) > len(shown) else "")
        return Problem(where, bad.message, has_value=False)
    return None


def _bracket_depth(text: str) -> int:
    """Deepest nesting of flow brackets, counted fast over the raw text (an upper bound on
    the flow nesting; brackets inside quoted strings count too)."""
    raw = np.frombuffer(text.encode("utf-8", "replace"), dtype=np.uint8)
    if raw.size == 0:
        return 0
    step = (np.isin(raw, _OPENERS).astype(np.int32) - np.isin(raw, _CLOSERS).astype(np.int32))
    return int(np.cumsum(step).max())


_OPENERS = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSERS = np.frombuffer(b"]}", dtype=np.uint8)


class _Bad(Exception):
    def __init__(self, path: list[Any], message: str):
        super().__init__(message)
        self.path, self.message = path, message


def load_yaml(path: str | Path, error_cls: type[InputError] = ScenarioError) -> Any:
    """Read a YAML file; syntax errors become an ``error_cls`` naming line and column.

    Duplicate keys, nesting deeper than :data:`MAX_DEPTH`, alias bombs and files larger than
    :data:`MAX_FILE_BYTES` are refused with the same kind of error.
    """
    p = Path(path)
    try:
        if p.is_file() and p.stat().st_size > MAX_FILE_BYTES:
            raise error_cls(p, [Problem("", f"file is larger than {MAX_FILE_BYTES >> 20} MB",
                                        has_value=False)])
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_cls(p, [Problem("", "file not found", has_value=False)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error_cls(p, [Problem("", f"cannot read file: {exc}", has_value=False)]) from None
    try:
        data = parse_yaml_text(text)
    except yaml.YAMLError as exc:
        raise error_cls(p, [_yaml_problem(exc)]) from None
    except RecursionError:
        raise error_cls(p, [Problem("", f"nested deeper than {MAX_DEPTH} levels",
                                    has_value=False)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise error_cls(p, [Problem("", "top level must be a mapping of fields", data)])
    bad = structure_problem(data)
    if bad is not None:
        raise error_cls(p, [bad])
    return data


def format_path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _data_path(data: Any, loc: tuple[Any, ...], etype: str) -> tuple[list[Any], Any, bool, bool]:
    """Follow ``loc`` through the input, dropping pydantic's union/tag segments.

    Returns the cleaned path, the value found there, whether it was found, and whether the
    error comes from one branch of a union *about the value at the path itself* (a union
    member's segment was dropped and no field of the input follows it: the error is about
    the shape of that value, as when a mapping meets the ``number`` member of
    ``number | distribution``). An error inside a member's fields (``mean`` of a
    distribution given as a mapping) is not a branch error: it names a field of the input.
    """
    node = data
    path: list[Any] = []
    found = True
    branch = False
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, Mapping) and part in node:
            node = node[part]
            path.append(part)
            branch = False
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
            branch = False
        elif last and etype == "missing":
            path.append(part)
            found = False
        else:
            # A union member or discriminator tag, not a field of the input (a missing field
            # has type "missing"; an unknown key is in the input).
            branch = True
    return path, node, found, branch


def _follow(node: Any, loc: Iterable[Any]) -> tuple[Any, bool]:
    """The value at ``loc`` below ``node`` and whether it is there."""
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node):
            node = node[part]
        else:
            return None, False
    return node, True


#: Errors saying "this is not a plain value": noise when the input is a mapping for a
#: ``number | distribution`` union; and the converse for a plain value.
_SCALAR_TYPES = {"float_type", "float_parsing", "int_type", "int_parsing", "int_from_float",
                 "string_type", "bool_type", "bool_parsing", "finite_number"}
_MAPPING_TYPES = {"model_attributes_type", "model_type", "dict_type"}


def _other_branch(value: Any, etype: str) -> bool:
    """True if a union branch's error is about a shape the input does not have."""
    if isinstance(value, Mapping):
        return etype in _SCALAR_TYPES
    return etype in _MAPPING_TYPES


def problems_from_validation(exc: ValidationError, data: Any) -> list[Problem]:
    problems = _problems(exc, data, drop_other_branches=True)
    if not problems:
        # Every error was taken for another union member's: say them all rather than
        # report "0 problems" (an error never passes unreported).
        problems = _problems(exc, data, drop_other_branches=False)
    return problems


def _problems(exc: ValidationError, data: Any, drop_other_branches: bool) -> list[Problem]:
    from sim.schema.base import FieldError

    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    branch_paths: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        etype = err.get("type", "")
        path, value, found, branch = _data_path(data, loc, etype)
        if drop_other_branches and branch and _other_branch(value, etype):
            continue
        if branch and format_path(path) in branch_paths:
            continue  # one message per value for a union of plain types (number | text | ...)
        if branch:
            branch_paths.add(format_path(path))
        msg = err.get("msg", "invalid")
        ctx = err.get("ctx") or {}
        inner = ctx.get("error")
        if isinstance(inner, FieldError):
            # A model validator naming one of the model's fields: point at that field.
            below, there = _follow(value, inner.loc)
            path = [*path, *inner.loc]
            # A plain value as the file gives it (10, not the validated 10.0); a section or
            # list as the validator chose to show it (the repeated ids, not every item).
            plain = there and not isinstance(below, Mapping | list)
            value = below if plain or not inner.has_value else inner.value
            found = inner.has_value or there
            msg = inner.message
            etype = "field_error"
        elif etype == "extra_forbidden":
            msg = "unknown field (not allowed here; check spelling)"
        elif etype == "missing":
            msg = "required field is missing"
        elif etype == "union_tag_not_found":
            msg = "a distribution needs a 'family' key (" + ", ".join(_families()) + ")"
        elif etype == "union_tag_invalid":
            # pydantic's text repeats the tag whole (a 5,000-character family would be
            # printed whole): name the tag's field and show its value cut short instead.
            tag = str(ctx.get("discriminator", "")).strip("'\"")
            if tag and isinstance(value, Mapping) and tag in value:
                path = [*path, tag]
                value = value[tag]
            msg = f"unknown {tag or 'kind'} (known: {ctx.get('expected_tags', '?')})"
        msg = msg.removeprefix("Value error, ")
        key = (format_path(path), msg)
        if key in seen:
            continue
        seen.add(key)
        # A check of the whole file has no single value worth printing.
        has_value = found and etype != "missing" and bool(path)
        problems.append(
            Problem(format_path(path), msg, value if has_value else None, has_value=has_value)
        )
    return problems


def _families() -> list[str]:
    from sim.schema.distributions import FAMILIES

    return list(FAMILIES)


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
        value = parse_yaml_text(raw) if raw.strip() else ""
    except yaml.constructor.ConstructorError as exc:
        # Well-formed YAML the loader refuses (a duplicate key): not a plain string either.
        raise ScenarioError("--set", [Problem(path, _yaml_problem(exc).message, raw)]) from None
    except yaml.YAMLError:
        value = raw
    except RecursionError:
        raise ScenarioError(
            "--set", [Problem(path, f"value nested deeper than {MAX_DEPTH} levels", raw)]
        ) from None
    bad = structure_problem(value)
    if bad is not None:
        field = path + ("." + bad.field if bad.field and not bad.field.startswith("[") else
                        bad.field)
        raise ScenarioError("--set", [Problem(field, bad.message, raw)])
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
