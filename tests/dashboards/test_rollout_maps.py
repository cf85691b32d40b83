"""The rollout map: standard national map, batch categories, thresholds, cash flow."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from dashboards.fonts import cjk_available
from dashboards.plot_maps import (
    SCS_EXTENT,
    category_colours,
    plot_cashflow,
    plot_standard_map,
    threshold_colours,
)
from dashboards.provinces import maritime_boundary, province_frame, territory_frame
from dashboards.rollout_targets import SHARE_COLOURS, SHARE_EDGES, SHARE_LABELS


def test_territories_and_maritime_boundary_are_read() -> None:
    t = territory_frame()
    assert set(t["adcode"]) == {710000, 810000, 820000}
    line = maritime_boundary().iloc[0]
    assert line.geom_type == "MultiLineString"
    lo_lon, lo_lat, hi_lon, hi_lat = line.bounds
    assert lo_lat < 5.0 and hi_lat > 20.0  # reaches the southern islands
    hainan = province_frame().set_index("adcode").loc[460000].geometry
    assert hainan.bounds[1] < 10.0  # Hainan's boundary holds the South China Sea islands


@pytest.mark.parametrize(("value", "colour"), [(0.2, 0), (0.5, 1), (0.79, 1), (0.8, 2),
                                               (0.999, 2), (1.0, 3), (1.7, 3)])
def test_threshold_bands(value: float, colour: int) -> None:
    got, handles = threshold_colours(pd.Series([value]), SHARE_EDGES, SHARE_LABELS,
                                     SHARE_COLOURS)
    assert got == [SHARE_COLOURS[colour]]
    assert [h[0] for h in handles] == SHARE_LABELS


def test_batches_are_categories_with_a_legend() -> None:
    order = ["first five", "batch 1", "batch 2"]
    colours, handles = category_colours(pd.Series(["batch 2", "first five", None]), order)
    assert [h[0] for h in handles] == [*order, "no value"]
    assert colours[0] == handles[2][1] and colours[1] == handles[0][1]
    assert len({h[1] for h in handles}) == 4


def _map():  # type: ignore[no-untyped-def]
    gdf = province_frame().copy()
    gdf["share"] = np.linspace(0.0, 1.3, len(gdf))
    colours, handles = threshold_colours(gdf["share"], SHARE_EDGES, SHARE_LABELS, SHARE_COLOURS)
    return plot_standard_map(gdf, colours, handles, "t", "activated / target",
                             territory_frame(), maritime_boundary(),
                             names="name_zh" if cjk_available() else "name")


def test_standard_map_has_the_south_china_sea_inset_and_a_legend() -> None:
    fig = _map()
    main = fig.axes[0]
    inset = next(a for a in main.child_axes if a.get_gid() == "scs_inset")
    assert inset.get_xlim() == SCS_EXTENT[:2] and inset.get_ylim() == SCS_EXTENT[2:]
    legend = main.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == SHARE_LABELS
    # provinces, Taiwan/Hong Kong/Macau and the maritime line are drawn in both axes
    assert len(main.collections) >= 3 and len(inset.collections) >= 3


def test_province_names_are_chinese_when_a_cjk_font_is_there() -> None:
    fig = _map()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == 31
    if cjk_available():
        assert "广东省" in texts
        fig.canvas.draw()  # no missing-glyph warning (warnings are errors in this suite)
    else:
        assert "Guangdong" in texts


def test_cashflow_plot_shows_net_and_cumulative_in_million_yuan() -> None:
    df = pd.DataFrame({"province": ["X"] * 4, "month": [1, 2, 3, 4],
                       "net_cny": [-3e6, 1e6, 1e6, 2e6],
                       "cumulative_cny": [-3e6, -2e6, -1e6, 1e6]})
    fig = plot_cashflow(df, "X")
    ax = fig.axes[0]
    bars = [p.get_height() for p in ax.patches]
    assert bars == pytest.approx([-3.0, 1.0, 1.0, 2.0])
    line = ax.lines[0].get_ydata()
    assert list(line) == pytest.approx([-3.0, -2.0, -1.0, 1.0])
    assert any("payback: month 4" in t.get_text() for t in ax.texts)
    assert ax.get_ylabel() == "million yuan"
    assert matplotlib.colors.to_hex(ax.patches[0].get_facecolor()) != \
        matplotlib.colors.to_hex(ax.patches[1].get_facecolor())


def test_every_province_map_is_the_standard_map_with_bands_and_units() -> None:
    from dashboards.plot_maps import plot_province_map, value_bands

    gdf = province_frame().copy()
    gdf["u"] = np.linspace(0.2, 1.1, len(gdf))
    fig = plot_province_map(gdf, "u", "peak", "share", threshold=0.8)
    main = fig.axes[0]
    assert any(a.get_gid() == "scs_inset" for a in main.child_axes)
    labels = [t.get_text() for t in main.get_legend().get_texts()]
    assert all(lab.endswith("share") or "SLA" in lab for lab in labels)
    assert any(lab.startswith("0.8 to") and "SLA threshold" in lab for lab in labels)
    assert 0.8 in value_bands(gdf["u"], threshold=0.8)
    fig = plot_province_map(gdf.assign(ok=[bool(i % 2) for i in range(len(gdf))]), "ok")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["pass", "fail"]


def test_progress_plot_sums_provinces_for_the_nation() -> None:
    from dashboards.plot_maps import plot_progress

    daily = pd.DataFrame({"t_s": [0.0, 86400.0] * 2, "province": ["A", "A", "B", "B"],
                          "ordered_boxes": [10, 30, 5, 5], "activated_boxes": [0, 20, 0, 5],
                          "backlog_boxes": [10, 10, 5, 0]})
    ax = plot_progress(daily, "national", 50.0).axes[0]
    assert list(ax.lines[0].get_ydata()) == [15, 35]
    assert list(ax.lines[1].get_ydata()) == [0, 25]
    assert list(ax.lines[2].get_ydata()) == [50.0, 50.0]  # the target
    ax = plot_progress(daily, "B", 5.0).axes[0]
    assert list(ax.lines[1].get_ydata()) == [0, 5]
