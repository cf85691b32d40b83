"""The CI regression gate: `fleettwin bench --fast --compare` against the committed baseline."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from sim.cli.main import main
from sim.dispatch import DISPATCHERS, FleetView, RequestView, TravelTimes
from sim.dispatch.base import arrival_times
from validation.bench import baseline_path

BASELINE = baseline_path("fast")


class FarthestIdle:
    """A deliberately bad dispatcher: each request gets the farthest vehicle that can still
    reach it in time."""

    name: ClassVar[str] = "nearest_idle"

    def __init__(self, batch_window_s: float = 0.0, max_pickup_s: float = float("inf")):
        self.batch_window_s = float(batch_window_s)
        self.max_pickup_s = float(max_pickup_s)

    def assign(self, now_s: float, requests: RequestView, fleet: FleetView,
               tt: TravelTimes) -> list[tuple[int, int]]:
        if len(requests) == 0 or len(fleet) == 0:
            return []
        arrive = arrival_times(now_s, requests, fleet, tt)
        free = np.ones(len(fleet), dtype=bool)
        out = []
        for j in np.argsort(requests.created_s, kind="stable"):
            ok = free & (arrive[:, j] <= requests.latest_pickup_s[j])
            if ok.any():
                i = int(np.argmax(np.where(ok, arrive[:, j], -np.inf)))
                free[i] = False
                out.append((int(requests.ids[j]), int(fleet.ids[i])))
        return out


def test_gate_passes_on_the_committed_baseline(tmp_path):
    exe = shutil.which("fleettwin", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "sim.cli.main"]
    proc = subprocess.run([*cmd, "bench", "--fast", "--quiet", "--compare", str(BASELINE),
                           "--out", str(tmp_path / "bench.json")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "PASS" in proc.stdout
    doc = json.loads((tmp_path / "bench.json").read_text())
    base = json.loads(BASELINE.read_text())
    assert doc["benchmark_set"]["id"] == base["benchmark_set"]["id"]
    assert set(base["results"]) <= set(doc["results"])


def test_gate_fails_on_a_worsened_dispatcher(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(DISPATCHERS, "nearest_idle", FarthestIdle)
    rc = main(["bench", "--fast", "--quiet", "--compare", str(BASELINE), "--dispatcher",
               "nearest_idle", "--out", str(tmp_path / "bench.json")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "FAIL" in err and "nearest_idle" in err and "WORSE" in err
    assert "wait_mean_s" in err


def _run_bad(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["bench", "--fast", "--quiet", *args]) == 2
    return capsys.readouterr().err


def test_baseline_from_another_benchmark_set_is_refused(tmp_path, capsys):
    doc = json.loads(BASELINE.read_text())
    doc["benchmark_set"]["id"] = "0123456789abcdef"
    doc["benchmark_set"]["seeds"] = [7, 8]
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc))
    err = _run_bad(["--compare", str(other)], capsys)
    assert "other.json" in err and "benchmark_set.id" in err
    assert "different benchmark set" in err and "0123456789abcdef" in err
    assert "Traceback" not in err


def test_full_mode_refuses_the_fast_baseline(capsys):
    assert main(["bench", "--compare", str(BASELINE), "--quiet"]) == 2
    assert "different benchmark set (mode 'fast'" in capsys.readouterr().err


def test_malformed_baselines_give_clear_errors(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "fleettwin-bench/1", "results": ')
    err = _run_bad(["--compare", str(broken)], capsys)
    assert "broken.json" in err and "not JSON" in err
    doc = json.loads(BASELINE.read_text())
    doc["format"] = "other/9"
    doc["results"]["priority"]["online_lc101"]["kpis"]["distance"]["values"] = ["far"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    err = _run_bad(["--compare", str(bad)], capsys)
    assert "2 problems" in err and "format: must be 'fleettwin-bench/1' (got 'other/9')" in err
    assert "results.priority.online_lc101.kpis.distance.values" in err
    err = _run_bad(["--compare", str(tmp_path / "missing.json")], capsys)
    assert "missing.json" in err and "cannot read" in err


def test_bad_options_are_refused(capsys):
    assert "unknown dispatcher 'nope'" in _run_bad(["--dispatcher", "nope"], capsys)
    assert "--tolerance 'x'" in _run_bad(["--tolerance", "x"], capsys)
    assert "unknown KPI 'speed'" in _run_bad(["--tolerance", "speed=0.1"], capsys)
