"""`fleettwin dashboard` on a fresh machine: no terminal, no ~/.streamlit, a new HOME.

The server must answer its health check within 30 s (Streamlit's first-run e-mail prompt
would stop it), and open a browser only when asked (``--open``). The browser is a script
given as ``$BROWSER`` that records the URL it was asked to open.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

HEALTH_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fresh_env(tmp_path: Path, marker: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> "{marker}"\n')
    browser.chmod(0o755)
    keep = ("PATH", "LANG", "LC_ALL", "FLEETTWIN_CACHE", "NUMBA_CACHE_DIR", "VIRTUAL_ENV",
            "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(HOME=str(home), BROWSER=str(browser), PYTHONUNBUFFERED="1")
    return env


def _start(tmp_path: Path, runs: Path, port: int, *extra: str) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / "opened.txt"
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli.main", "dashboard", "--runs", str(runs), "--port",
         str(port), "--address", "127.0.0.1", *extra],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        env=_fresh_env(tmp_path, marker), start_new_session=True,  # no controlling terminal
        cwd=Path(__file__).parents[2])
    return proc, marker


def _health_within(url: str, proc: subprocess.Popen, timeout_s: float) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.25)
    return None


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.mark.parametrize("open_browser", [False, True], ids=["default", "open"])
def test_dashboard_serves_headless_without_terminal(tmp_path, open_browser):
    runs = tmp_path / "runs"  # missing on purpose: the first page says how to make a run
    port = _free_port()
    extra = ("--open",) if open_browser else ()
    proc, marker = _start(tmp_path, runs, port, *extra)
    try:
        took = _health_within(f"http://127.0.0.1:{port}", proc, HEALTH_TIMEOUT_S)
        log = (tmp_path / "server.log").read_text()
        assert took is not None, f"no health answer within {HEALTH_TIMEOUT_S:.0f} s:\n{log}"
        assert "Email" not in log and "Traceback" not in log
        assert not (tmp_path / "home" / ".streamlit" / "credentials.toml").exists()
        if open_browser:
            end = time.monotonic() + 10
            while not marker.exists() and time.monotonic() < end:
                time.sleep(0.2)
            assert marker.read_text().strip() == f"http://127.0.0.1:{port}"
        else:
            time.sleep(1.0)
            assert not marker.exists(), "a browser was opened without --open"
    finally:
        _stop(proc)
