"""End to end in a real headless browser: `fleettwin dashboard` on the fixture folder.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package (test extra);
skipped with a message when one is missing. With ``FLEETTWIN_UPDATE_SCREENSHOTS=1`` the Run
and Compare screenshots also replace ``docs/img/dashboard_run.png`` and
``docs/img/dashboard_compare.png`` (the README shows them).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
DOCS_IMG = Path(__file__).parents[2] / "docs" / "img"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,2000"]


def _needs() -> None:
    if not Path(CHROMIUM).is_file():
        pytest.skip("headless browser test skipped: chromium is not installed "
                    "(apt-get install chromium chromium-driver)")
    if not Path(CHROMEDRIVER).is_file():
        pytest.skip("headless browser test skipped: chromedriver is not installed "
                    "(apt-get install chromium-driver)")
    pytest.importorskip("selenium", reason="headless browser test skipped: selenium is not "
                        "installed (pip install -e '.[test]')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 90.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"fleettwin dashboard exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("the dashboard did not become healthy in time")


@pytest.fixture()
def server(results, tmp_path):
    _needs()
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli.main", "dashboard", "--runs", str(results),
         "--port", str(port), "--address", "127.0.0.1", "--no-browser"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the command and the server it started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture()
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def _load(driver, url: str, *texts: str, timeout_s: float = 90.0) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)

    def ready(d):  # type: ignore[no-untyped-def]
        body = d.find_element(By.TAG_NAME, "body").text
        busy = d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
        return body if all(t in body for t in texts) and not busy else False

    body = WebDriverWait(driver, timeout_s, 0.5).until(ready)
    time.sleep(1.0)  # let images finish painting before a screenshot
    return str(body)


def _screenshot(driver, path: Path) -> None:
    driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("FLEETTWIN_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / path.name)


def test_dashboard_in_a_browser(server, browser, tmp_path):
    # Table cells are drawn on a canvas: assert the page's text, captions and problem rows.
    body = _load(browser, server + "/", "Runs", "entries in", "broken-manifest")
    assert "corrupt manifest" in body and "Compare" in body and "Rollout map" in body
    body = _load(browser, server + "/compare?run=taxi-nearest&run=taxi-batch",
                 "Scenario fields that differ", "policies.dispatch.algorithm",
                 "Confidence intervals")
    assert "batch_matching" in body and "KPIs" in body
    _screenshot(browser, tmp_path / "dashboard_compare.png")
    body = _load(browser, server + "/run?run=taxi-batch", "SLA verdict", "KPIs",
                 "demand over the day")
    assert "p95 wait" in body and "city_fleet" in body
    _screenshot(browser, tmp_path / "dashboard_run.png")
