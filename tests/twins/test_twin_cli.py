"""The ``fleettwin twin`` commands, end to end, and their errors (exit 2, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.results.rundir import is_run_dir

DATA = Path(__file__).parent / "data"


def test_init_emit_ingest_status_drift_fork(small_run: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    twin = tmp_path / "twin"
    assert main(["twin", "init", str(twin), "--from-run", str(small_run)]) == 0
    stream = tmp_path / "s.808"
    assert main(["twin", "emit", str(small_run), "--format", "jt808", "--out", str(stream),
                 "--loss", "0.01", "--duplicate", "0.02", "--reorder-s", "4"]) == 0
    capsys.readouterr()
    assert main(["twin", "ingest", str(twin), str(stream), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "accepted + quarantined = read: yes" in out and "duplicate" in out
    assert main(["twin", "status", str(twin), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    c = status["counters"]
    assert c["read"] == c["accepted"] + c["quarantined"] > 10000
    assert status["seen"] == 60 and sum(status["states"].values()) == 60
    assert main(["twin", "status", str(twin), "--devices", "3"]) == 0
    assert "013800000000" in capsys.readouterr().out
    assert main(["twin", "drift", str(twin)]) == 0
    assert "message_rate" in capsys.readouterr().out
    assert main(["twin", "fork", str(twin), "--set", "horizon_s=1800", "--out",
                 str(tmp_path / "runs"), "--name", "f", "--quiet"]) == 0
    assert "60 vehicles" in capsys.readouterr().out
    assert is_run_dir(tmp_path / "runs" / "f")


def test_stdin_stream(small_run: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    assert main(["twin", "init", str(twin), "--from-run", str(small_run)]) == 0
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    cli = [sys.executable, "-m", "sim.cli.main"]
    emit = subprocess.Popen(cli + ["twin", "emit", str(small_run), "--until-s", "1800"],
                            stdout=subprocess.PIPE, env=env)
    ingest = subprocess.run(cli + ["twin", "ingest", str(twin), "-", "--quiet"],
                            stdin=emit.stdout, capture_output=True, text=True, env=env,
                            timeout=120)
    emit.wait()
    assert ingest.returncode == 0, ingest.stderr
    assert "quarantined 0 " in ingest.stdout and "read: yes" in ingest.stdout


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Exit code and standard error (an uncaught exception would fail the test)."""
    capsys.readouterr()
    code = main(list(args))
    return code, capsys.readouterr().err


def test_errors_name_the_file_field_and_value(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(capsys, "twin", "ingest", str(tmp_path / "none"),
                        str(tmp_path / "x.jsonl"))
    assert code == 2 and "twin.yaml" in err and "fleettwin twin init" in err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "twin.yaml").write_text(
        "name: bad\nlateness_s: -5\nregion: {lon_min: 117, lon_max: 116, lat_min: 39, "
        "lat_max: 40}\nlatenes_s: 3\ndevices:\n  - {id: a, kind: tractor}\n")
    code, err = run_cli(capsys, "twin", "status", str(bad))
    assert code == 2
    for text in ("lateness_s", "-5", "latenes_s: unknown field", "devices[0].kind",
                 "tractor", "lon_min < lon_max"):
        assert text in err, text
    good = tmp_path / "good"
    assert run_cli(capsys, "twin", "init", str(good), "--region", "116,39,117,40")[0] == 0
    code, err = run_cli(capsys, "twin", "ingest", str(good), str(tmp_path / "missing.jsonl"))
    assert code == 2 and "telemetry file not found" in err
    (tmp_path / "x.dat").write_text("{}\n")
    code, err = run_cli(capsys, "twin", "ingest", str(good), str(tmp_path / "x.dat"))
    assert code == 2 and "--format" in err
    code, err = run_cli(capsys, "twin", "fork", str(good), str(DATA / "small_city.yaml"))
    assert code == 2 and "no road node table" in err
    code, err = run_cli(capsys, "twin", "init", str(tmp_path / "other"), "--region", "a,b")
    assert code == 2 and "lon_min,lat_min,lon_max,lat_max" in err
    code, err = run_cli(capsys, "twin", "init", str(good), "--region", "116,39,117,40")
    assert code == 2 and "a twin already exists here" in err


def test_no_traceback_from_the_console(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    r = subprocess.run([sys.executable, "-m", "sim.cli.main", "twin", "status",
                        str(tmp_path / "nowhere")], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "twin.yaml" in r.stderr


def test_emit_rejects_bad_shares(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(capsys, "twin", "emit", str(small_run), "--loss", "1.5")
    assert code == 2 and "must be in [0, 1)" in err and "1.5" in err


def test_validation_checks_pass_in_fast_mode() -> None:
    from validation.registry import discover

    checks = discover()
    for name in ("twins.jt808_escape", "twins.recovery"):
        results = checks[name].fn(False)
        assert results and all(r.passed for r in results), [r for r in results if not r.passed]
