"""The command line never shows a traceback, checks options before working, and stops quietly
when its reader goes away."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sim.cli.run as run_cmd
from sim.cli.main import main

#: A hotline scenario that runs in about a second.
QUICK = ["hotline_support", "--set", "horizon_s=7200", "--set", "warmup_s=600",
         "--set", "replications=1", "--quiet"]


def _closed_pipe_run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run ``fleettwin ARGS`` with standard output a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "sim.cli.main", *args], stdout=write_end,
                              stderr=subprocess.PIPE, cwd=cwd, timeout=120, check=False)
    finally:
        os.close(write_end)


def test_closed_pipe_ends_quietly(tmp_path):
    proc = _closed_pipe_run(["scenarios"], tmp_path)
    assert proc.stderr == b""
    assert proc.returncode == 141


def test_closed_pipe_after_a_run_keeps_the_run(tmp_path):
    proc = _closed_pipe_run(["run", *QUICK, "--out", str(tmp_path / "runs"), "--name", "r"],
                            tmp_path)
    assert b"Traceback" not in proc.stderr
    assert proc.returncode == 141
    assert (tmp_path / "runs" / "r" / "manifest.json").is_file()


def test_unexpected_error_is_one_line_with_a_debug_hint(monkeypatch, capsys, tmp_path):
    def boom(*args, **kwargs):
        raise RuntimeError("kernel exploded")

    monkeypatch.setattr(run_cmd, "run_scenario", boom)
    code = main(["run", *QUICK, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert "RuntimeError: 'kernel exploded'" in err and "--debug" in err


def test_debug_shows_the_traceback(monkeypatch, capsys, tmp_path):
    def boom(*args, **kwargs):
        raise RuntimeError("kernel exploded")

    monkeypatch.setattr(run_cmd, "run_scenario", boom)
    assert main(["--debug", "run", *QUICK, "--out", str(tmp_path)]) == 1
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize("out", ["{tmp}/afile", "{tmp}/afile/sub", "/proc/fleettwin-runs"])
def test_unwritable_out_is_reported_before_the_run(out, monkeypatch, capsys, tmp_path):
    (tmp_path / "afile").write_text("x")
    calls = []
    monkeypatch.setattr(run_cmd, "run_scenario", lambda *a, **k: calls.append(a))
    code = main(["run", *QUICK, "--out", out.replace("{tmp}", str(tmp_path))])
    assert code == 2
    assert calls == []
    assert "option --out" in capsys.readouterr().err


def test_existing_run_name_is_reported_before_the_run(monkeypatch, capsys, tmp_path):
    (tmp_path / "taken").mkdir()
    calls = []
    monkeypatch.setattr(run_cmd, "run_scenario", lambda *a, **k: calls.append(a))
    code = main(["run", *QUICK, "--out", str(tmp_path), "--name", "taken"])
    assert code == 2 and calls == []
    assert "option --name: run directory" in capsys.readouterr().err


def test_usage_errors_return_an_exit_code_in_process(capsys):
    assert main(["run", "--seed", "x"]) == 2
    assert main(["--version"]) == 0
    capsys.readouterr()


def test_kpi_that_does_not_apply_prints_na_and_its_sla_is_uncertain(capsys, tmp_path):
    # No request has a deadline in the taxi scenario: on_time_rate does not apply.
    code = main(["run", "city_taxi", "--quiet", "--out", str(tmp_path), "--set",
                 "world.network.rows=8", "--set", "world.network.cols=8", "--set",
                 "fleets.taxis.count=10", "--set", "demand.requests_per_day=500", "--set",
                 "demand.zones={}", "--set", "horizon_s=3600", "--set", "warmup_s=600",
                 "--set", "slas=[{kpi: on_time_rate, op: '>=', threshold: 0.9}]"])
    out = capsys.readouterr().out
    assert code == 0
    assert not re.search(r"\bnan\b", out, re.IGNORECASE)
    row = next(line for line in out.splitlines() if line.startswith("on_time_rate"))
    assert "n/a" in row
    assert "UNCERTAIN" in out and "on_time_rate >= 0.9" in out


def test_out_of_memory_is_one_line_naming_the_cause(monkeypatch, capsys, tmp_path):
    def too_big(*args, **kwargs):
        raise MemoryError("Unable to allocate 104. TiB")

    monkeypatch.setattr(run_cmd, "run_scenario", too_big)
    code = main(["run", *QUICK, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("fleettwin: out of memory") and err.count("\n") == 1
    assert "104. TiB" in err
