"""Calibration plot functions: data in, figure out; PNGs written for a report."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from dashboards.calibration_plots import plot_survival, write_profile_plots


def _data():
    rng = np.random.default_rng(0)
    t = 100 * rng.weibull(1.5, 300)
    w = rng.uniform(20, 250, 300)
    return np.minimum(t, w), t > w


def test_profile_plots_draw_into_given_axes():
    # What the figures look like is checked against stored images (test_plot_images.py).
    x, c = _data()
    fits = [("weibull", stats.weibull_min(1.5, scale=100)), ("exponential", stats.expon(scale=90))]
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_survival(x, c, fits, "weibull", ax=ax) is fig
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "weibull (chosen)" in labels and "Kaplan–Meier" in labels


def test_write_profile_plots(tmp_path):
    x, c = _data()
    fits = [("weibull", stats.weibull_min(1.5, scale=100))]
    paths = write_profile_plots(tmp_path, x, c, fits, "weibull", "h", "test")
    assert {p.name for p in paths} == {"histogram.png", "qq.png", "survival.png"}
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    (tmp_path / "uncensored").mkdir()
    paths = write_profile_plots(tmp_path / "uncensored", x, None, fits, "weibull")
    assert {p.name for p in paths} == {"histogram.png", "qq.png"}
