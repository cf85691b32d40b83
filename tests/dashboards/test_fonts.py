"""Chinese labels render: the shipped CJK font for matplotlib and HTML, and the fallback."""

from __future__ import annotations

import base64
import io
import re
import warnings

import pytest
from fontTools.ttLib import TTFont

from dashboards import fonts
from dashboards.figures import new_axes, to_png


@pytest.fixture()
def no_cjk_font(monkeypatch):
    monkeypatch.setattr(fonts, "_shipped_font", lambda: None)
    monkeypatch.setattr(fonts, "_system_font", lambda: None)
    monkeypatch.delenv("FLEETTWIN_CJK_FONT", raising=False)
    fonts.cjk_font_path.cache_clear()
    fonts.register_cjk_font.cache_clear()
    yield
    fonts.cjk_font_path.cache_clear()
    fonts.register_cjk_font.cache_clear()


def test_the_project_ships_a_cjk_font():
    path = fonts.cjk_font_path()
    assert path is not None and path.name == fonts.SHIPPED_FILE
    assert fonts.register_cjk_font() == "Noto Sans CJK SC"


def test_chinese_text_draws_without_missing_glyphs():
    fonts.register_cjk_font()
    fig, ax = new_axes()
    ax.set_title(fonts.cjk_label("空驶率", "Empty-running ratio"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing" for boxes
        assert to_png(fig)[:4] == b"\x89PNG"
    assert ax.get_title() == "Empty-running ratio (空驶率)"


def test_without_any_cjk_font_labels_keep_their_english(no_cjk_font):
    assert fonts.register_cjk_font() is None
    assert fonts.cjk_label("空驶率", "Empty-running ratio") == "Empty-running ratio"
    assert fonts.safe_text("空驶率", "deadhead") == "deadhead"
    assert fonts.safe_text("plain", "x") == "plain"
    assert fonts.font_face_css("空驶率") == ""


def test_a_configured_font_file_that_is_missing_falls_back(monkeypatch, tmp_path):
    monkeypatch.setenv("FLEETTWIN_CJK_FONT", str(tmp_path / "none.otf"))
    fonts.cjk_font_path.cache_clear()
    try:
        assert fonts.cjk_font_path() is not None  # the shipped font, not the missing file
    finally:
        fonts.cjk_font_path.cache_clear()


def _embedded(css: str) -> TTFont:
    data = re.search(r"base64,([A-Za-z0-9+/=]+)", css)
    assert data, css[:200]
    return TTFont(io.BytesIO(base64.b64decode(data.group(1))))


def test_html_embeds_only_the_cjk_glyphs_used():
    css = fonts.font_face_css("Operating cost (运营成本) and 空驶率")
    font = _embedded(css)
    cmap = font.getBestCmap()
    assert {ord(c) for c in "运营成本空驶率"} <= set(cmap)
    assert ord("O") not in cmap  # Latin text keeps the page's own face
    assert len(css) < 60_000  # a few kB, not the 16 MB font
    assert fonts.HTML_FONT_STACK.startswith(f"'{fonts.HTML_FAMILY}'")


def test_page_css_adds_cjk_to_the_pages_own_family():
    css = fonts.page_font_css("空驶率", families=("Source Sans",))
    assert "font-family: 'Source Sans'" in css and "unicode-range: U+2E80" in css
    assert {ord(c) for c in "空驶率"} <= set(_embedded(css).getBestCmap())
