"""Modules imported on first use.

``lazy_import(name)`` returns the module at once and runs it when one of its attributes is
first read (the standard library's :class:`importlib.util.LazyLoader`), so that a module
holding compiled kernels costs nothing to a run that never calls them.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_import(name: str) -> ModuleType:
    """The module ``name``: already imported, or set to load on first attribute access."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
