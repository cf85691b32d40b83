"""Quality gates run by the test suite (CI runs ``pytest -q``): ruff and mypy clean on the
whole tree, and the IPTV kernels free of out-of-bounds accesses on small cases.

A finding fails the build; the message lists every finding by area (top-level folder), so
whoever owns it sees it at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], env: dict[str, str] | None = None,
         timeout_s: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=timeout_s, check=False)


def _by_area(lines: list[str]) -> str:
    """Findings grouped by top-level folder (``sim/iptv``, ``dashboards``, ...)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        parts = Path(line.split(":", 1)[0]).parts
        area = "/".join(parts[:2]) if parts[:1] == ("sim",) else (parts[0] if parts else "?")
        groups[area].append(line)
    out = []
    for area in sorted(groups):
        out.append(f"{area}: {len(groups[area])} finding(s)")
        out += [f"    {x}" for x in groups[area]]
    return "\n".join(out)


def test_ruff_finds_nothing() -> None:
    res = _run([sys.executable, "-m", "ruff", "check", ".", "--output-format", "concise"])
    findings = [x for x in res.stdout.splitlines() if x and ":" in x and not x.startswith(
        ("Found", "[*]", "No fixes"))]
    assert res.returncode == 0, "ruff check . has findings:\n" + _by_area(findings) + (
        "\n" + res.stderr if res.stderr else "")


@pytest.fixture(scope="module")
def mypy_findings() -> list[str]:
    """mypy over the packages in pyproject's [tool.mypy] files (sim, twins, validation,
    dashboards), run once for the area tests below."""
    res = _run([sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context"])
    findings = [x for x in res.stdout.splitlines() if ": error:" in x]
    if res.returncode != 0 and not findings:  # mypy itself failed
        findings = [f"mypy exited {res.returncode}: {res.stderr.strip()[-2000:]}"]
    return findings


#: Areas of the tree checked one by one, so that a finding names whose it is.
MYPY_AREAS = ["sim", "twins", "dashboards", "validation"]


@pytest.mark.parametrize("area", MYPY_AREAS)
def test_mypy_finds_nothing(mypy_findings: list[str], area: str) -> None:
    mine = [x for x in mypy_findings if x.startswith(area + "/") or x.startswith("mypy exited")]
    assert not mine, f"mypy has findings in {area}/:\n" + _by_area(mine)


def _boundscheck_env() -> dict[str, str]:
    """The environment of a child process that compiles the kernels with bounds checks, into
    a cache of its own (numba's cache index does not tell checked code from unchecked)."""
    env = dict(os.environ)
    env.pop("FLEETTWIN_NUMBA_CACHE_DIR", None)
    env["NUMBA_BOUNDSCHECK"] = "1"
    env["NUMBA_CACHE_DIR"] = str(ROOT / "sim" / "__pycache__" / "numba-boundscheck")
    return env


_PROBE = """
import numpy as np
from numba import njit

@njit
def f(a, i):
    return a[i]

try:
    f(np.zeros(3), 5)
except IndexError:
    print("checked")
"""


def test_boundscheck_child_really_checks_bounds() -> None:
    """The bounds-checked job below could otherwise pass by reading past an array."""
    res = _run([sys.executable, "-c", _PROBE], env=_boundscheck_env(), timeout_s=300)
    assert res.stdout.strip() == "checked", res.stderr


@pytest.mark.slow
def test_iptv_kernels_under_boundscheck() -> None:
    """The IPTV kernel tests and the small golden scenarios, every array access checked
    (``NUMBA_BOUNDSCHECK=1``): an index past an array is an IndexError, not a silent read of
    the neighbouring memory."""
    args = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
            "tests/sim/iptv/test_kernels.py", "tests/golden/iptv"]
    res = _run(args, env=_boundscheck_env(), timeout_s=1500)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-3000:]
