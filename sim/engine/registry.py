"""Model kinds: what a scenario's ``kind`` builds, its schema and its KPIs."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import simpy

from sim.engine.recorder import Recorder
from sim.engine.rng import RngStreams
from sim.errors import Problem
from sim.schema.profiles import ProfileBase, ProfileCatalog
from sim.schema.scenario import ScenarioBase

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Modules that register model kinds when imported.
MODEL_MODULES = [
    "sim.city.model",
    "sim.iptv.model",
    "sim.hotline.model",
    "sim.rollout.model",
]


@dataclass
class Context:
    """Everything a model gets from the engine for one replication."""

    scenario: Any
    env: simpy.Environment
    rng: RngStreams
    recorder: Recorder
    profiles: dict[str, ProfileBase]
    timings: dict[str, float] = field(default_factory=dict)
    cache_dir: Path | None = None
    initial_state: Any = None
    source: str = "<scenario>"


class Model(Protocol):
    """A model registers its SimPy processes in ``start`` and returns KPIs in ``finish``."""

    def start(self) -> None: ...

    def end_time(self) -> float: ...

    def finish(self) -> dict[str, float]: ...


@dataclass(frozen=True)
class ModelKind:
    kind: str
    scenario_cls: type[ScenarioBase]
    build: Callable[[Context], Model]
    kpis: Mapping[str, str]
    """KPI name -> one-line meaning with unit."""
    prepare: Callable[[Any, ProfileCatalog, str], tuple[dict[str, ProfileBase], list[Problem]]]
    """Resolve profile references and check what the schema alone cannot."""
    description: str = ""


MODEL_KINDS: dict[str, ModelKind] = {}


def register_model(kind: ModelKind) -> ModelKind:
    MODEL_KINDS[kind.kind] = kind
    return kind


def model_kinds() -> dict[str, ModelKind]:
    for mod in MODEL_MODULES:
        importlib.import_module(mod)
    return MODEL_KINDS
