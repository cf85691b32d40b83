"""Finding, reading, overriding and validating scenarios."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.engine.registry import ModelKind, model_kinds
from sim.errors import Problem, ScenarioError, bounded_repr
from sim.schema.loader import apply_overrides, load_yaml, structure_problem, validate_model
from sim.schema.profiles import ProfileBase, ProfileCatalog, default_profile_dirs

DEFAULT_SCENARIO = "city_taxi"


def scenarios_dir() -> Path:
    import scenarios

    return Path(scenarios.__file__).parent


def available_scenarios() -> list[Path]:
    return sorted(scenarios_dir().glob("*.yaml"))


def find_scenario(ref: str | Path) -> Path:
    """A path to a scenario file, or the name of a shipped scenario."""
    p = Path(ref)
    for cand in (p, scenarios_dir() / f"{ref}.yaml", scenarios_dir() / str(ref)):
        if _is_file(cand):
            return cand
    known = ", ".join(s.stem for s in available_scenarios())
    raise ScenarioError(
        bounded_repr(str(ref), 200).strip("'"),
        [Problem("", f"no such scenario file or shipped scenario (shipped: {known})", str(ref))],
    )


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for names the system refuses (too long, NUL bytes)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


@dataclass
class LoadedScenario:
    scenario: Any
    raw: dict[str, Any]
    source: str
    model: ModelKind
    profiles: dict[str, ProfileBase]


def load_scenario(
    ref: str | Path,
    overrides: Iterable[str | tuple[str, Any]] = (),
    catalog: ProfileCatalog | None = None,
) -> LoadedScenario:
    """Load and fully check a scenario: schema, SLA KPI names, profile references."""
    path = find_scenario(ref)
    source = str(path)
    raw = load_yaml(path)
    overrides = list(overrides)
    if overrides:
        raw = apply_overrides(raw, overrides)
    return load_scenario_data(raw, source, catalog)


def load_scenario_data(
    raw: dict[str, Any], source: str, catalog: ProfileCatalog | None = None
) -> LoadedScenario:
    if not isinstance(raw, dict):
        raise ScenarioError(source, [Problem("", "top level must be a mapping of fields", raw)])
    bad = structure_problem(raw)  # data built in code (sweeps, twins) gets the file's checks
    if bad is not None:
        raise ScenarioError(source, [bad])
    kinds = model_kinds()
    kind_name = raw.get("kind")
    if not isinstance(kind_name, str | None):
        raise ScenarioError(source, [Problem("kind", "must be a name", kind_name)])
    if kind_name not in kinds:
        problem = (
            Problem("kind", "required field is missing", has_value=False)
            if kind_name is None
            else Problem("kind", f"unknown scenario kind (known: {', '.join(sorted(kinds))})",
                         kind_name)
        )
        raise ScenarioError(source, [problem])
    model = kinds[str(kind_name)]
    scenario = validate_model(model.scenario_cls, raw, source)
    problems: list[Problem] = []
    for i, sla in enumerate(scenario.slas):
        if sla.kpi not in model.kpis:
            problems.append(
                Problem(f"slas[{i}].kpi", f"unknown KPI for {model.kind} "
                        f"(known: {', '.join(sorted(model.kpis))})", sla.kpi)
            )
    if catalog is None:
        base = Path(source).parent
        extra = [(base / d) if not Path(d).is_absolute() else Path(d)
                 for d in scenario.profile_dirs]
        catalog = ProfileCatalog(default_profile_dirs() + extra)
    profiles, more = model.prepare(scenario, catalog, source)
    problems += more
    if problems:
        raise ScenarioError(source, problems)
    return LoadedScenario(scenario, raw, source, model, profiles)
