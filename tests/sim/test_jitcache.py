import os
import subprocess
import sys
from pathlib import Path

from sim._jitcache import cache_dir, sources_key


def test_key_follows_every_module_that_uses_numba(tmp_path: Path) -> None:
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "a.py").write_text("from numba import njit\n")
    (tmp_path / "k" / "b.py").write_text("import numba\nX = 1\n")
    (tmp_path / "c.py").write_text("print('no kernels here')\n")
    key = sources_key(tmp_path)
    (tmp_path / "c.py").write_text("print('still none')\n")
    assert sources_key(tmp_path) == key  # a module without numba does not count
    (tmp_path / "k" / "b.py").write_text("import numba\nX = 2\n")  # a helper changes
    assert sources_key(tmp_path) != key


def test_cache_dir_goes_under_the_users_numba_cache_dir(tmp_path: Path) -> None:
    d = cache_dir(tmp_path, str(tmp_path / "cache"))
    assert d.parent == tmp_path / "cache" and d.name.startswith("fleettwin-")


def test_numba_uses_the_keyed_directory() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "FLEETTWIN_NUMBA_CACHE_DIR")}
    out = subprocess.run([sys.executable, "-c",
                          "import sim, numba; print(numba.config.CACHE_DIR)"],
                         capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert Path(out).name.startswith("fleettwin-")
    assert Path(out).name == "fleettwin-" + sources_key(Path(sim_dir()))


def sim_dir() -> str:
    import sim

    return os.path.dirname(sim.__file__)


def test_the_sources_are_hashed_only_when_numba_is_imported() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "FLEETTWIN_NUMBA_CACHE_DIR")}
    code = ("import os, sim; before = os.environ.get('NUMBA_CACHE_DIR'); "
            "from numba import config; print(before, os.environ['NUMBA_CACHE_DIR'] == "
            "config.CACHE_DIR)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    assert out == ["None", "True"]
