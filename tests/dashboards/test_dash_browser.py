"""End to end in a real headless browser: `fleettwin dashboard` on a copy of the fixture folder
(city, IPTV, hotline and sweep runs, and broken entries).

Opens every page, hovers a chart until its tooltip shows the values, moves the shared time
range and sees the map follow, downloads the HTML report, launches a what-if and reaches its
comparison. Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package
(test extra); skipped with a message when one is missing. With
``FLEETTWIN_UPDATE_SCREENSHOTS=1`` the screenshots also replace ``docs/img/dashboard_*.png``
(the README shows them).
"""

from __future__ import annotations

import json
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
    folder = tmp_path / "results"
    shutil.copytree(results, folder, symlinks=True)  # the what-if writes into it
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli.main", "dashboard", "--runs", str(folder),
         "--port", str(port), "--address", "127.0.0.1", "--no-browser"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url, folder
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
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def _load(driver, url: str, *texts: str, timeout_s: float = 90.0) -> str:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)

    def ready(d):  # type: ignore[no-untyped-def]
        body = d.find_element(By.TAG_NAME, "body").text
        busy = d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
        return body if all(t in body for t in texts) and not busy else False

    try:
        body = WebDriverWait(driver, timeout_s, 0.5).until(ready)
    except TimeoutException:
        raise AssertionError(f"{url} did not show {texts} within {timeout_s:.0f} s; it "
                             f"shows:\n{driver.find_element(By.TAG_NAME, 'body').text[-2000:]}"
                             ) from None
    time.sleep(1.0)  # let images finish painting before a screenshot
    return str(body)


def _screenshot(driver, path: Path) -> None:
    driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("FLEETTWIN_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / path.name)


def _wait(driver, what, timeout_s: float = 120.0):  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s, 0.5).until(what)


def _body(driver) -> str:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "body").text)


def _tab(driver, name: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    tab = next(t for t in driver.find_elements(By.CSS_SELECTOR, '[role="tab"]')
               if t.text.strip() == name)
    driver.execute_script("arguments[0].click()", tab)
    time.sleep(1.0)
    return next(p for p in driver.find_elements(By.CSS_SELECTOR, '[role="tabpanel"]')
                if p.is_displayed())


def _hover_tooltip(driver, chart) -> str:  # type: ignore[no-untyped-def]
    """Move the pointer across a chart; the text of the tooltip that shows, or ''."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", chart)
    marks = chart.find_element(By.CSS_SELECTOR, "svg.marks, canvas.marks")
    width = marks.size["width"]
    for frac in (0.5, 0.3, 0.7):
        chain = ActionChains(driver).move_to_element_with_offset(
            marks, int(width * (frac - 0.5)), -20)
        for _ in range(5):
            chain.move_by_offset(3, 1)
        chain.perform()
        time.sleep(0.8)
        tip = driver.execute_script(
            "var e = document.getElementById('vg-tooltip-element');"
            "return e && e.className.indexOf('visible') >= 0 ? e.innerText : '';")
        if tip:
            return str(tip)
    return ""


def _charts_drawn(driver, n: int = 3):  # type: ignore[no-untyped-def]
    """The page's Vega charts once ``n`` are drawn (charts draw on a canvas: a painted pixel
    on its middle row)."""
    from selenium.webdriver.common.by import By

    painted = ("var c = arguments[0], w = c.width, h = c.height; if (!w || !h) return false;"
               "var row = c.getContext('2d').getImageData(0, Math.floor(h / 2), w, 1).data;"
               "for (var i = 3; i < row.length; i += 4) if (row[i]) return true; return false;")

    def drawn(d):  # type: ignore[no-untyped-def]
        charts = d.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"]')
        canvases = [c for ch in charts for c in ch.find_elements(By.CSS_SELECTOR,
                                                                 "canvas.marks")]
        return (charts if len(canvases) >= n and len(canvases) == len(charts) and
                all(d.execute_script(painted, c) for c in canvases) else False)

    return _wait(driver, drawn)


def _map_counts(driver) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    import re

    text = _body(driver)
    m = re.search(r"Requests made in the time range: ([\d,]+) served .*?([\d,]+) deadhead",
                  text, re.S)
    assert m, text[-800:]
    return int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))


def test_dashboard_in_a_browser(server, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, folder = server
    # Runs: every entry, problems labelled. (Table cells are drawn on a canvas: assert the
    # page's text, captions and problem rows.)
    body = _load(browser, url + "/", "Runs", "entries in", "broken-manifest")
    assert "corrupt manifest" in body and "Compare" in body and "Rollout map" in body
    _screenshot(browser, tmp_path / "dashboard_runs.png")

    # Run page of a city run: KPI cards in words, interactive charts with a tooltip on hover.
    body = _load(browser, url + "/run?run=taxi-batch", "SLA verdict", "KPIs",
                 "Empty-running ratio (空驶率)")
    assert "deadhead_ratio" not in body
    charts = _charts_drawn(browser)
    tip = _hover_tooltip(browser, charts[1])
    assert "time [h]" in tip and "95th-percentile wait" in tip, tip
    _screenshot(browser, tmp_path / "dashboard_run.png")

    # The shared time range drives the map: fewer requests once its start moves right.
    _tab(browser, "Map")
    _wait(browser, lambda d: "Requests made in the time range" in _body(d))
    served_all, legs_all = _map_counts(browser)
    assert served_all > 0 and legs_all > 0
    _screenshot(browser, tmp_path / "dashboard_map.png")
    start = browser.find_elements(By.CSS_SELECTOR,
                                  '[data-testid="stSlider"] input[type="range"]')[0]
    browser.execute_script("arguments[0].focus()", start)  # the range's start thumb
    chain = ActionChains(browser)
    for _ in range(40):
        chain.send_keys(Keys.ARROW_RIGHT)
    chain.perform()
    _wait(browser, lambda d: _map_counts(d)[0] < served_all)
    assert float(start.get_attribute("value")) > 0
    assert _map_counts(browser)[1] < legs_all

    # The HTML report, as a download.
    button = next(b for b in browser.find_elements(By.CSS_SELECTOR, "button")
                  if "Download report" in b.text)
    browser.execute_script("arguments[0].click()", button)
    report = _wait(browser, lambda d: next(iter(d.downloads.glob("*.html")), False), 180)
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "SLA verdict" in html
    assert "Empty-running ratio (空驶率)" in html and "data:image/png;base64," in html

    # Other kinds' Run pages, Compare (chosen runs and a sweep), Rollout map, profiles.
    body = _load(browser, url + "/run?run=iptv-hotel", "PON port peak utilisation", "KPIs")
    body = _load(browser, url + "/run?run=hotline", "Service level", "KPIs")
    assert "UNCERTAIN" in body
    body = _load(browser, url + "/compare?run=taxi-nearest&run=taxi-batch",
                 "Scenario fields that differ", "Confidence intervals", "Time series")
    assert "Δ[1] vs [0]" in body or "KPIs" in body
    _screenshot(browser, tmp_path / "dashboard_compare.png")
    radio = next(e for e in browser.find_elements(By.CSS_SELECTOR, "label")
                 if e.text.strip() == "a sweep folder")
    radio.click()
    _wait(browser, lambda d: "Sweep points" in _body(d))
    _load(browser, url + "/rollout", "Rollout")
    _load(browser, url + "/profiles", "Hardware profiles")

    # A what-if from the Run page: change the fleet, run it, land on the comparison.
    _load(browser, url + "/run?run=taxi-nearest", "KPIs")
    _charts_drawn(browser)
    _tab(browser, "What if")
    field = _wait(browser, lambda d: next(iter(d.find_elements(
        By.CSS_SELECTOR, 'input[aria-label="Fleet size: taxis"]')), False))
    panel = next(p for p in browser.find_elements(By.CSS_SELECTOR, '[role="tabpanel"]')
                 if p.is_displayed())
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("45")
    button = next(b for b in panel.find_elements(By.CSS_SELECTOR, "button")
                  if "Run what-if" in b.text)
    button.click()
    body = _wait(browser, lambda d: (lambda b: b if "Scenario fields that differ" in b
                                     and "whatif/" in b else False)(_body(d)), 400)
    made = [p for p in (folder / "whatif").iterdir() if (p / "manifest.json").is_file()]
    assert len(made) == 1 and f"whatif/{made[0].name}" in body
    manifest = json.loads((made[0] / "manifest.json").read_text())
    assert manifest["overrides"][-1] == "fleets.taxis.count=45"  # an ordinary run folder
    _screenshot(browser, tmp_path / "dashboard_whatif_compare.png")
