"""Where compiled kernels are cached, keyed by the sources of every kernel module.

numba's on-disk cache (``cache=True``) checks a function against its own source file only,
not against the files of the functions it inlines or calls: a change in ``sim/kernels/rng.py``
would leave the machine code of ``sim/kernels/boxes.py``'s kernels stale, and results
silently wrong. The cache is therefore kept in a directory named by a hash of every module
of the package that uses numba; a change to any of them starts a fresh cache (compilation,
about a minute, on the first run after the change).

Set before numba reads its configuration (the ``NUMBA_CACHE_DIR`` variable), or on its
config if numba is already imported. A ``NUMBA_CACHE_DIR`` set by the user is the root the
keyed directory goes under.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import os
import sys
from pathlib import Path
from typing import Any

_PKG = Path(__file__).resolve().parent


def sources_key(root: Path) -> str:
    """A hash of the ``.py`` files under ``root`` that use numba (paths and contents)."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        data = path.read_bytes()
        if b"numba" in data:
            h.update(path.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(data)
    return h.hexdigest()[:16]


def user_cache_dir() -> Path:
    """fleettwin's cache directory: ``$FLEETTWIN_CACHE``, else ``~/.cache/fleettwin``."""
    env = os.environ.get("FLEETTWIN_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fleettwin"


def _writable(d: Path) -> bool:
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


def cache_dir(root: Path = _PKG, base: str | None = None) -> Path:
    """The cache directory for the kernels under ``root``: ``<base>/fleettwin-<key>``, with
    ``base`` the user's ``NUMBA_CACHE_DIR``, else ``__pycache__/numba`` in the package if it
    can be written, else ``numba`` in :func:`user_cache_dir`."""
    key = "fleettwin-" + sources_key(root)
    if base:
        return Path(base) / key
    local = root / "__pycache__" / "numba"
    if _writable(local):
        return local / key
    return user_cache_dir() / "numba" / key


def _point_cache() -> None:
    if os.environ.get("FLEETTWIN_NUMBA_CACHE_DIR"):
        return  # already set by this process (or a parent that passed its environment)
    base = os.environ.get("NUMBA_CACHE_DIR") or None
    d = str(cache_dir(_PKG, base))
    os.environ["FLEETTWIN_NUMBA_CACHE_DIR"] = d
    os.environ["NUMBA_CACHE_DIR"] = d
    config = getattr(sys.modules.get("numba"), "config", None)
    if config is not None:
        config.CACHE_DIR = d


class _BeforeNumba(importlib.abc.MetaPathFinder):
    """Points the cache just before numba is first imported (numba reads its configuration
    then), so that a run which never loads numba does not hash the kernel sources."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "numba":
            _point_cache()
        return None  # the regular finders import it


def configure() -> None:
    """Point numba's cache at :func:`cache_dir` (once per process): now if numba is
    imported already, else just before it is."""
    if "numba" in sys.modules or os.environ.get("FLEETTWIN_NUMBA_CACHE_DIR"):
        _point_cache()
    elif not any(isinstance(f, _BeforeNumba) for f in sys.meta_path):
        sys.meta_path.insert(0, _BeforeNumba())
