"""Plot functions against stored PNGs, with a tolerance (matplotlib's ``compare_images``).

Each case draws a figure from fixed, seeded data and compares it with
``tests/dashboards/baseline_images/NAME.png`` (RMS difference of the pixels, tolerance
:data:`TOL`). A changed plot fails here; when the change is deliberate, regenerate the
baselines with ``FLEETTWIN_UPDATE_BASELINES=1 pytest tests/dashboards/test_plot_images.py``
and look at them before committing. Text is drawn with matplotlib's own DejaVu Sans and no
hinting, so the images do not depend on the machine's fonts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images
from scipy import stats

from dashboards import calibration_plots as cp
from dashboards import iptv_plots as ip
from dashboards.city import CityMap
from dashboards.plot_city import plot_city_map, plot_demand, plot_fleet_state, plot_wait
from dashboards.plot_compare import plot_cdfs, plot_kpi_ci, plot_series_overlay
from dashboards.plot_series import plot_series

BASELINE = Path(__file__).parent / "baseline_images"
TOL = 3.0
UPDATE = os.environ.get("FLEETTWIN_UPDATE_BASELINES") == "1"
#: matplotlib's own test settings: its bundled font, no hinting, fixed DPI.
RC = {"font.family": "DejaVu Sans", "text.hinting": "none",
      "savefig.dpi": 60, "figure.dpi": 60, "axes.unicode_minus": True,
      "svg.hashsalt": "fleettwin"}
SLA = [{"kpi": "wait_p95_s", "op": "<=", "threshold": 480.0, "name": "p95 wait <= 8 min",
        "passed": False},
       {"kpi": "service_rate", "op": ">=", "threshold": 0.95, "passed": True}]


def _rng() -> np.random.Generator:
    return np.random.default_rng(20261207)


def _by_hour() -> pd.DataFrame:
    h = np.arange(24)
    req = 600 + 500 * np.sin((h - 6) / 24 * 2 * np.pi).clip(0)
    return pd.DataFrame({"t_s": h * 3600.0, "requests": req, "served": req * 0.95,
                         "abandoned": req * 0.05, "wait_mean_s": 150 + 80 * (req / req.max()),
                         "wait_p95_s": 400 + 200 * (req / req.max())})


def _fleet(open_requests: bool) -> pd.DataFrame:
    t = np.arange(0, 86400, 1800.0)
    busy = 200 + 150 * np.sin(t / 86400 * 2 * np.pi).clip(0)
    return pd.DataFrame({"t_s": t, "idle": 600 - busy - 40, "to_pickup": np.full(t.size, 30.0),
                         "busy": busy, "off_shift": np.full(t.size, 10.0),
                         "open_requests": (busy / 20 if open_requests else np.zeros(t.size))})


def _city_map() -> CityMap:
    xs, ys = np.meshgrid(np.arange(6.0), np.arange(6.0))
    nodes = pd.DataFrame({"node": np.arange(36), "x_km": xs.ravel() * 0.4,
                          "y_km": ys.ravel() * 0.4})
    edges = [((x, y), (x + 0.4, y)) for x, y in zip(nodes.x_km, nodes.y_km, strict=True)
             if x < 2.0] + [((x, y), (x, y + 0.4)) for x, y in
                            zip(nodes.x_km, nodes.y_km, strict=True) if y < 2.0]
    rng = _rng()
    pickups = pd.Series(rng.integers(1, 40, 36), index=np.arange(36))
    abandoned = pd.Series([5, 3, 1], index=[14, 15, 21])
    legs = rng.uniform(0, 2.0, (30, 2, 2))
    return CityMap(nodes, np.asarray(edges), np.array(["local"] * len(edges), dtype=object),
                   pickups, abandoned, legs, 30, 0)


def _network() -> pd.DataFrame:
    t = np.arange(0, 21600, 600.0)
    x = t / t.max()
    return pd.DataFrame({"t_s": t, "pon_peak_util": 0.3 + 0.6 * x, "olt_peak_util": 0.2 + 0.3 * x,
                         "live": 100 + 400 * x, "vod": 50 * x, "standby": 500 - 300 * x,
                         "fw_gbps": 10 * x})


def _censored() -> tuple[np.ndarray, np.ndarray]:
    rng = _rng()
    t = 100 * rng.weibull(1.5, 300)
    w = rng.uniform(20, 250, 300)
    return np.minimum(t, w), t > w


def _fits() -> list[tuple[str, object]]:
    return [("weibull", stats.weibull_min(1.5, scale=100)), ("exponential", stats.expon(scale=90))]


def _series_frame() -> pd.DataFrame:
    t = np.tile(np.arange(0, 7200, 300.0), 2)
    rep = np.repeat([0, 1], t.size // 2)
    wave = np.sin(t / 7200 * 2 * np.pi)
    return pd.DataFrame({"t_s": t, "replication": rep, "wait_mean_s": 200 + 100 * wave + 20 * rep,
                         "service_rate": 0.96 - 0.02 * wave})


CASES: dict[str, Callable[[], Figure]] = {
    "demand": lambda: plot_demand(_by_hour()),
    "wait": lambda: plot_wait(_by_hour(), SLA),
    "fleet_state": lambda: plot_fleet_state(_fleet(True)),
    "fleet_state_no_open_requests": lambda: plot_fleet_state(_fleet(False)),
    "city_map": lambda: plot_city_map(_city_map()),
    "series_with_sla": lambda: plot_series(_series_frame(), ["wait_mean_s"], SLA,
                                           title="waits"),
    "cdfs": lambda: plot_cdfs({"a": _rng().exponential(100, 500),
                               "b": _rng().exponential(80, 3000)}, thresholds=[("SLA", 480.0)]),
    "kpi_ci": lambda: plot_kpi_ci(["a", "b"], [{"mean": 1.0, "ci_low": 0.9, "ci_high": 1.1,
                                                "n": 3}, None], "x", [[0.95, 1.0, 1.05], []],
                                  SLA[1]),
    "series_overlay": lambda: plot_series_overlay({"a": _series_frame(),
                                                   "b": _series_frame().assign(
                                                       wait_mean_s=lambda d: d.wait_mean_s * 1.2)},
                                                  "wait_mean_s", SLA),
    "iptv_convergence": lambda: ip.plot_convergence(
        [{"window_s": w, "ratio": 1 + w / 1000, "vod_blocking": 0.05} for w in (10, 60, 600)]),
    "iptv_link_utilisation": lambda: ip.plot_link_utilisation(_network()),
    "iptv_occupancy": lambda: ip.plot_occupancy(_network()),
    "iptv_firmware": lambda: ip.plot_firmware(_network(), 40),
    "iptv_boot_storm": lambda: ip.plot_boot_storm(pd.DataFrame(
        {"t_s": [0, 5, 10, 15], "on_air": [0, 50, 90, 100], "dhcp_rps": [10, 5, 1, 0],
         "auth_rps": [0, 5, 2, 1], "epg_rps": [0, 2, 3, 1]}), 100),
    "iptv_province_bars": lambda: ip.plot_province_bars(pd.DataFrame(
        {"province": ["A", "B", "C"], "metro_peak_util": [0.3, 0.6, 0.9]})),
    "calibration_histogram": lambda: cp.plot_fit_histogram(*_censored(), _fits(), "weibull", "h"),
    "calibration_qq": lambda: cp.plot_qq(*_censored(), _fits()[0][1], "weibull", "h"),
    "calibration_survival": lambda: cp.plot_survival(*_censored(), _fits(), "weibull", "h"),
    "calibration_zipf": lambda: cp.plot_zipf(
        np.arange(1, 51) ** -0.9 * 1000, np.arange(1, 51) ** -0.9 * 1000,
        np.arange(1, 51) ** -0.9 * 800, np.arange(1, 51) ** -0.9 * 1200, 0.9),
    "calibration_hourly_rates": lambda: cp.plot_hourly_rates(
        np.linspace(10, 50, 24), np.linspace(7, 47, 24), np.linspace(13, 53, 24),
        np.tile(np.linspace(10, 50, 24), (3, 1))),
}


def _render(make: Callable[[], Figure], path: Path) -> None:
    with matplotlib.rc_context(RC):
        fig = make()
        fig.savefig(path, format="png", dpi=60)


@pytest.mark.parametrize("name", sorted(CASES))
def test_plot_matches_stored_image(name, tmp_path):
    expected = BASELINE / f"{name}.png"
    actual = tmp_path / f"{name}.png"
    _render(CASES[name], actual)
    if UPDATE:
        BASELINE.mkdir(exist_ok=True)
        actual.replace(expected)
        pytest.skip(f"baseline {expected.name} written")
    assert expected.is_file(), f"no baseline {expected}: run with FLEETTWIN_UPDATE_BASELINES=1"
    diff = compare_images(str(expected), str(actual), tol=TOL)
    assert diff is None, diff


def test_the_comparison_fails_for_a_changed_plot(tmp_path):
    # A different SLA threshold moves one dashed line: the check must see it.
    actual = tmp_path / "wait.png"
    moved = [dict(SLA[0], threshold=300.0), SLA[1]]
    _render(lambda: plot_wait(_by_hour(), moved), actual)
    if UPDATE:
        pytest.skip("baselines being written")
    assert compare_images(str(BASELINE / "wait.png"), str(actual), tol=TOL) is not None


def test_a_fleet_without_open_requests_has_no_second_axis():
    fig = plot_fleet_state(_fleet(False))
    assert len(fig.axes) == 1
    assert len(plot_fleet_state(_fleet(True)).axes) == 2
