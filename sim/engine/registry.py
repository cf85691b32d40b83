"""Registries of pluggable parts (model kinds, profile kinds, dispatchers), one mechanism.

A :class:`Registry` maps names to plug-ins of one kind. Plug-ins register themselves when
their module is imported (``REGISTRY.register`` as a decorator or a call); the modules are
found one way, by :func:`load_plugins`: every ``sim.<package>.<module>`` that exists (a
model kind lives in ``sim/<package>/model.py``, profile kinds in ``.../profiles.py``), plus
the modules other distributions name under the ``fleettwin.plugins`` entry-point group.
No list of modules is kept by hand. Looking up one name imports the modules one at a time,
those whose package the name points at first (``city_fleet``: ``sim.city``), and stops when
the name is found: a run imports its own model, not every model's libraries. Listing the
registry (or a name nobody registered) imports them all.

Model kinds: what a scenario's ``kind`` builds, its schema and its KPIs (:data:`MODEL_KINDS`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import simpy

from sim.engine.recorder import Recorder
from sim.engine.rng import RngStreams

if TYPE_CHECKING:
    from sim.errors import Problem
    from sim.schema.profiles import ProfileBase, ProfileCatalog
    from sim.schema.scenario import ScenarioBase

T = TypeVar("T")

#: Entry-point group under which other distributions name their plug-in modules.
ENTRY_POINT_GROUP = "fleettwin.plugins"

_loaded: set[str] = set()


def plugin_modules(module: str) -> list[str]:
    """The ``sim.<package>.<module>`` modules that exist, in package order (found on disk:
    no package is imported to find them)."""
    import sim

    names = []
    for info in sorted(pkgutil.iter_modules(sim.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        inside = [str(Path(p) / info.name) for p in sim.__path__]
        if any(m.name == module for m in pkgutil.iter_modules(inside)):
            names.append(f"sim.{info.name}.{module}")
    return names


def load_plugins(module: str) -> None:
    """Import every plug-in module named ``module`` (once per process): the package's
    ``sim.<package>.<module>`` and the entry points of :data:`ENTRY_POINT_GROUP` whose name
    is ``module``."""
    if module in _loaded:
        return
    _loaded.add(module)
    for name in plugin_modules(module):
        importlib.import_module(name)
    from importlib.metadata import entry_points  # a few hundredths of a second; only here

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == module:
            importlib.import_module(ep.value)


def _words(name: str) -> list[str]:
    return [w for w in name.lower().replace("-", "_").split("_") if w]


def _pointed_at(module: str, name: str) -> int:
    """How directly plug-in ``module`` (``sim.<package>.<module>``) is named by ``name``:
    2 when a word of the name is the package, 1 when one starts the other, else 0."""
    parts = module.split(".")
    package = parts[1] if len(parts) > 2 else ""
    words = _words(name)
    if package in words:
        return 2
    return int(any(package.startswith(w) or w.startswith(package) for w in words if package))


def find_plugin(module: str, name: str, found: Callable[[], bool]) -> None:
    """Import the plug-in modules named ``module`` one at a time, those ``name`` points at
    first (:func:`_pointed_at`), until ``found()``; then, if still not found, all of them
    (:func:`load_plugins`)."""
    if module in _loaded or found():
        return
    candidates = plugin_modules(module)
    order = sorted(range(len(candidates)), key=lambda i: (-_pointed_at(candidates[i], name), i))
    for i in order:
        importlib.import_module(candidates[i])
        if found():
            return
    load_plugins(module)


class Registry(MutableMapping[str, T], Generic[T]):
    """Named plug-ins of one kind, as a mapping (``name in reg``, ``reg[name]``,
    ``sorted(reg)``; ``reg[name] = obj`` registers under an explicit name, as a test's
    ``monkeypatch.setitem`` does).

    ``key`` gives a plug-in's name (its ``name`` attribute, a ``KIND`` class variable, ...);
    :meth:`register` adds one and returns it, so it works as a class decorator. ``plugins``
    is the module name under which plug-ins live (:func:`load_plugins`): a look-up by name
    imports them until the name is found (:func:`find_plugin`), listing imports them all. Registering a second plug-in under a taken name is
    an error unless it replaces the same object (a module imported again).
    """

    def __init__(self, what: str, key: Callable[[T], str], plugins: str | None = None):
        self.what = what
        self._key = key
        self._plugins = plugins
        self._items: dict[str, T] = {}

    def register(self, obj: T) -> T:
        name = self._key(obj)
        old = self._items.get(name)
        if old is not None and old is not obj and _qualname(old) != _qualname(obj):
            raise ValueError(f"{self.what} {name!r} is registered twice "
                             f"({_qualname(old)} and {_qualname(obj)})")
        self._items[name] = obj
        return obj

    __call__ = register

    def _load(self) -> dict[str, T]:
        if self._plugins is not None:
            load_plugins(self._plugins)
        return self._items

    def _find(self, name: object) -> dict[str, T]:
        """The items, with the plug-in that registers ``name`` imported if there is one."""
        if self._plugins is not None and isinstance(name, str):
            find_plugin(self._plugins, name, lambda: name in self._items)
            if name in self._items:
                return self._items
        return self._load()

    def __getitem__(self, name: str) -> T:
        items = self._find(name)
        if name not in items:
            raise KeyError(f"unknown {self.what} {name!r} (known: {', '.join(sorted(items))})")
        return items[name]

    def __setitem__(self, name: str, obj: T) -> None:
        self._items[name] = obj

    def __delitem__(self, name: str) -> None:
        del self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __contains__(self, name: object) -> bool:
        return name in self._find(name)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}: {', '.join(sorted(self._items))})"


def _qualname(obj: Any) -> str:
    target = obj if isinstance(obj, type) else type(obj)
    return f"{target.__module__}.{target.__qualname__}"


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


MODEL_KINDS: Registry[ModelKind] = Registry("scenario kind", key=lambda k: k.kind,
                                           plugins="model")


def register_model(kind: ModelKind) -> ModelKind:
    return MODEL_KINDS.register(kind)


def model_kinds() -> Registry[ModelKind]:
    """Every model kind (the plug-ins are imported on first use)."""
    return MODEL_KINDS


def __getattr__(name: str) -> Any:
    if name == "MODEL_MODULES":  # the plug-in modules, found (kept for older callers)
        return plugin_modules("model")
    raise AttributeError(name)
