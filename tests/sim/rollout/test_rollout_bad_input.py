"""Bad rollout scenarios: one message naming file, field and value, exit code 2, no traceback.

Each case goes through the CLI (``fleettwin run``) as a user would, on a copy of the small
test scenario with one thing broken, and must fail fast (before any simulation).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.cli.main import main

from .conftest import SMALL


def _broken(tmp_path: Path, change: Any) -> Path:
    data = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
    change(data)
    p = tmp_path / "bad_rollout.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def _run(capsys: pytest.CaptureFixture[str], path: Path, tmp_path: Path) -> tuple[int, str]:
    t0 = time.perf_counter()
    code = main(["run", "--quiet", str(path), "--out", str(tmp_path / "runs")])
    assert time.perf_counter() - t0 < 30
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    return code, err


def _set(path: list[Any], value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return change


CASES = [
    ("launch date outside the year", _set(["launch", "batches", 1, "on_sale"], "2017-08-01"),
     r"launch\.batches\[1\]\.on_sale: launch date outside the year 2016 \(got '2017-08-01'\)"),
    ("negative target", _set(["provinces", "Beijing", "target_10k"], -3),
     r"provinces\.Beijing\.target_10k: .*greater than or equal to 0 \(got -3\)"),
    ("unknown province", _set(["provinces", "Atlantis"], {"target_10k": 1.0}),
     r"provinces\.Atlantis: unknown province .*\(got 'Atlantis'\)"),
    ("unknown province in a batch", _set(["launch", "batches", 0, "provinces"], ["Tibbet"]),
     r"launch\.batches\[0\]\.provinces\[0\]: unknown province \(got 'Tibbet'\)"),
    ("unknown package",
     _set(["adoption", "verticals", "hotel", "packages"], {"hotel_basic": 0.5, "gold": 0.5}),
     r"adoption\.verticals\.hotel\.packages\.gold: unknown package .*\(got 'gold'\)"),
    ("discount band gap",
     _set(["economics", "discounts"], [{"from_boxes": 10, "to_boxes": 30, "factor": 0.95},
                                       {"from_boxes": 50, "factor": 0.8}]),
     r"economics\.discounts: no band covers a group of 30 boxes .*\(got 30\)"),
    ("price under the floor", _set(["economics", "prices_cny"], {"standard_custom": 20}),
     r"economics\.prices_cny\.standard_custom: below the suggested floor of 23 yuan "
     r"\(got 20(\.0)?\)"),
]


@pytest.mark.parametrize(("what", "change", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_bad_rollout_input(what: str, change: Any, pattern: str, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    path = _broken(tmp_path, change)
    code, err = _run(capsys, path, tmp_path)
    assert code == 2
    assert str(path) in err
    assert re.search(pattern, err), err


def test_every_problem_reported_at_once(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    def change(data: dict[str, Any]) -> None:
        data["launch"]["batches"][0]["on_sale"] = "2015-12-31"
        data["provinces"]["Atlantis"] = {"target_10k": 1.0}
        data["adoption"]["verticals"]["school"]["packages"] = {"platinum": 1.0}
    code, err = _run(capsys, _broken(tmp_path, change), tmp_path)
    assert code == 2
    assert "3 problems" in err


def test_cli_process_exit_code_and_no_traceback(tmp_path: Path) -> None:
    path = _broken(tmp_path, _set(["launch", "batches", 1, "on_sale"], "2017-08-01"))
    proc = subprocess.run([sys.executable, "-m", "sim.cli.main", "run", str(path), "--out",
                           str(tmp_path / "runs")], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "launch.batches[1].on_sale" in proc.stderr and "2017-08-01" in proc.stderr
