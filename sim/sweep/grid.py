"""Grid specifications (``path=v1,v2,...``), the sweep plan, and its validation up front.

Every grid point's scenario is validated before anything runs: a grid naming a field that
does not exist or giving a value of the wrong type fails at once, with the field path, the
bad value and the grid point, like any other scenario error.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.engine.loading import find_scenario, load_scenario_data
from sim.errors import Problem, ScenarioError
from sim.results.rundir import scenario_hash
from sim.schema.loader import apply_overrides, load_yaml, parse_override

#: Most grid points one sweep may have (each is validated before any run starts).
MAX_POINTS = 10_000
#: Most runs (grid points x replications) one sweep may have.
MAX_RUNS = 100_000


@dataclass(frozen=True)
class GridAxis:
    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class RunSpec:
    """One run of the sweep: a grid point and a replication index."""

    name: str
    point: int
    replication: int


@dataclass
class GridPoint:
    index: int
    overrides: list[tuple[str, Any]]
    raw: dict[str, Any]
    key: str
    """deterministic run-name stem of this point"""
    seed: int

    @property
    def label(self) -> str:
        return ", ".join(f"{p}={_show(v)}" for p, v in self.overrides) or "(base)"


@dataclass
class SweepPlan:
    scenario: str
    source: str
    seed: int
    replications: int
    axes: list[GridAxis]
    base_overrides: list[str]
    points: list[GridPoint] = field(default_factory=list)

    def runs(self) -> list[RunSpec]:
        return [RunSpec(f"{p.key}-r{r:03d}", p.index, r)
                for p in self.points for r in range(self.replications)]

    def describe(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "source": self.source,
            "seed": self.seed,
            "replications": self.replications,
            "grid": {a.path: list(a.values) for a in self.axes},
            "set": list(self.base_overrides),
            "points": [{"point": p.index, "overrides": dict(p.overrides), "key": p.key,
                        "seed": p.seed} for p in self.points],
        }


def _show(value: Any) -> str:
    return value if isinstance(value, str) else yaml.safe_dump(
        value, default_flow_style=True).strip().removesuffix("...").strip()


def split_values(text: str) -> list[str]:
    """Split ``text`` at commas outside brackets, braces and quotes."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def parse_grid(specs: Sequence[str]) -> list[GridAxis]:
    """Parse ``--grid path=v1,v2,...`` options; values are read as YAML (numbers, lists)."""
    axes, problems = _parse_grid(specs)
    if problems:
        raise ScenarioError("--grid", problems)
    return axes


def _parse_grid(specs: Sequence[str]) -> tuple[list[GridAxis], list[Problem]]:
    axes: list[GridAxis] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for spec in specs:
        path, eq, rest = spec.partition("=")
        path = path.strip()
        if not eq or not path:
            problems.append(Problem(spec, "grid must look like path=v1,v2,...", spec))
            continue
        if path in seen:
            problems.append(Problem(path, "field appears in more than one --grid", spec))
            continue
        seen.add(path)
        raw_values = split_values(rest)
        if any(v == "" for v in raw_values):
            problems.append(Problem(path, "empty value in grid", rest))
            continue
        values = []
        for v in raw_values:
            try:
                values.append(parse_override(f"{path}={v}")[1])
            except ScenarioError as exc:
                problems += exc.problems
        axes.append(GridAxis(path, tuple(values)))
    return axes, [Problem(f"--grid {p.field}", p.message, p.value, p.has_value)
                  for p in problems]


def _slug(overrides: Iterable[tuple[str, Any]]) -> str:
    parts = [f"{path.split('.')[-1]}{_show(v)}" for path, v in overrides]
    text = re.sub(r"[^A-Za-z0-9.\-]+", "_", "_".join(parts)).strip("_")
    return text[:48] or "base"


def build_plan(
    scenario_ref: str | Path,
    grid: Sequence[str],
    replications: int | None = None,
    seed: int | None = None,
    base_overrides: Sequence[str] = (),
) -> SweepPlan:
    """Expand the grid, apply it to the scenario and validate every point.

    Raises
    ------
    ScenarioError
        Listing every problem of every grid point (deduplicated), before any run starts.
    """
    path = find_scenario(scenario_ref)
    source = str(path)
    base = load_yaml(path)
    if base_overrides:
        base = apply_overrides(base, list(base_overrides))
    axes, problems = _parse_grid(grid)
    size = math.prod(len(a.values) for a in axes)
    if size > MAX_POINTS:
        raise ScenarioError("--grid", [Problem(
            " x ".join(a.path for a in axes),
            f"{size:,} grid points; at most {MAX_POINTS:,} (split the sweep)", size)])
    points: list[GridPoint] = []
    first = None
    combos = itertools.product(*[[(a.path, v) for v in a.values] for a in axes])
    for i, combo in enumerate(combos):
        overrides = list(combo)
        label = ", ".join(f"{p}={_show(v)}" for p, v in overrides)
        try:
            raw = apply_overrides(base, overrides, source="--grid")
            loaded = load_scenario_data(raw, source)
        except ScenarioError as exc:
            for p in exc.problems:
                where = f" (grid point {label})" if label else ""
                prob = Problem(p.field, p.message + where, p.value, p.has_value)
                unknown = p.message.startswith("unknown field")
                if not any(q.field == p.field and q.message.startswith(p.message)
                           and (unknown or q.value == p.value) for q in problems):
                    problems.append(prob)
            continue
        first = first or loaded
        run_seed = int(loaded.scenario.seed if seed is None else seed)
        digest = scenario_hash({"raw": raw, "seed": run_seed})[:8]
        key = f"{loaded.scenario.name}-{_slug(overrides)}-{digest}"
        points.append(GridPoint(i, overrides, raw, key, run_seed))
    if problems or first is None:
        raise ScenarioError(source, problems or [Problem("--grid", "no grid point", grid)])
    reps = int(replications or first.scenario.replications)
    if not 1 <= reps <= 1000:
        raise ScenarioError(source, [Problem("--replications", "must be 1 to 1000", reps)])
    if len(points) * reps > MAX_RUNS:
        raise ScenarioError(source, [Problem(
            "--replications", f"{len(points):,} grid points x {reps} replications = "
            f"{len(points) * reps:,} runs; at most {MAX_RUNS:,}", reps)])
    return SweepPlan(
        scenario=first.scenario.name,
        source=source,
        seed=int(first.scenario.seed if seed is None else seed),
        replications=reps,
        axes=axes,
        base_overrides=list(base_overrides),
        points=points,
    )
