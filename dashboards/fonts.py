"""Chinese text that renders: a CJK font for matplotlib and for HTML, or a fallback without boxes.

The project installs ``mplfonts``, a PyPI package that ships Noto Sans CJK SC
(``NotoSansCJKsc-Regular.otf``, SIL Open Font License), so Chinese labels render on a fresh
machine with no system fonts. The font is looked for in this order:

1. ``$FLEETTWIN_CJK_FONT`` (a path to a ``.otf``/``.ttf``/``.ttc`` file);
2. the Noto Sans CJK SC file shipped by ``mplfonts``;
3. a system font matplotlib knows (Noto Sans CJK SC/JP, Source Han Sans SC, WenQuanYi Micro
   Hei / Zen Hei, SimHei, Microsoft YaHei, PingFang SC, Droid Sans Fallback).

When none is found, :func:`cjk_label` drops the Chinese part of a label and keeps the English,
so a figure never shows empty boxes. Usage::

    from dashboards.fonts import register_cjk_font, cjk_label
    register_cjk_font()                    # once, before drawing; returns the family or None
    ax.set_title(cjk_label("空驶率", "empty-running ratio"))

For HTML, :func:`font_face_css` returns an ``@font-face`` rule with the font subset to the
characters of the given text and embedded as base64 (a few kB, not the 16 MB file), so a
self-contained report shows its Chinese labels in any browser.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io
import logging
import os
import re
from pathlib import Path

from matplotlib import font_manager, rcParams

log = logging.getLogger(__name__)

#: The CSS/matplotlib family name the embedded HTML font is given.
HTML_FAMILY = "FleetTwin CJK"
#: System families tried when no file is shipped or configured, best first.
SYSTEM_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Droid Sans Fallback",
)
#: The file ``mplfonts`` ships (Noto Sans CJK, simplified Chinese).
SHIPPED_FILE = "NotoSansCJKsc-Regular.otf"
#: Latin text keeps matplotlib's default face; the CJK face only fills in missing glyphs.
LATIN_FAMILY = "DejaVu Sans"

_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a CJK character (ideographs, CJK punctuation, full-width forms)."""
    return bool(_CJK.search(text))


def _shipped_font() -> Path | None:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        path = Path(root) / "fonts" / SHIPPED_FILE
        if path.is_file():
            return path
    return None


def _system_font() -> Path | None:
    for family in SYSTEM_FAMILIES:
        try:
            found = font_manager.findfont(font_manager.FontProperties(family=family),
                                          fallback_to_default=False)
        except ValueError:
            continue
        if found:
            return Path(found)
    return None


@functools.cache
def cjk_font_path() -> Path | None:
    """The file of the CJK font used, or None when this machine has none."""
    env = os.environ.get("FLEETTWIN_CJK_FONT", "").strip()
    if env:
        path = Path(env).expanduser()
        if path.is_file():
            return path
        log.warning("FLEETTWIN_CJK_FONT=%s: no such file; looking for another CJK font", env)
    return _shipped_font() or _system_font()


@functools.cache
def register_cjk_font() -> str | None:
    """Make matplotlib draw CJK text with the CJK font; return its family name, or None.

    Latin text keeps the default face (the CJK face is a fallback for glyphs the default
    lacks; matplotlib >= 3.6 falls back per glyph). Safe to call more than once.
    """
    path = cjk_font_path()
    if path is None:
        log.info("no CJK font found: Chinese labels fall back to English")
        return None
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    # matplotlib falls back glyph by glyph along the font.family list, not within the
    # generic "sans-serif" (that resolves to one face), so both faces are named there.
    rcParams["font.family"] = ["sans-serif", family]
    rcParams["axes.unicode_minus"] = False  # CJK faces often lack U+2212
    return family


def cjk_available() -> bool:
    """Whether Chinese text can be drawn (registers the font on first call)."""
    return register_cjk_font() is not None


def cjk_label(zh: str | None, en: str) -> str:
    """``"en (zh)"`` when a CJK font is available and ``zh`` is given, else ``en`` alone."""
    if zh and cjk_available():
        return f"{en} ({zh})"
    return en


def safe_text(text: str, fallback: str) -> str:
    """``text`` when it can be drawn here, else ``fallback`` (never a row of empty boxes)."""
    if has_cjk(text) and not cjk_available():
        return fallback
    return text


def _subset(path: Path, text: str) -> bytes:
    """The font at ``path`` cut down to the glyphs of ``text``, as OpenType bytes."""
    from fontTools import subset  # shipped with matplotlib

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.font_number = 0  # the first face of a .ttc collection
    font = subset.load_font(str(path), options)
    subsetter = subset.Subsetter(options)
    try:
        subsetter.populate(unicodes={ord(c) for c in text})
        subsetter.subset(font)
        buf = io.BytesIO()
        font.save(buf)
    finally:
        font.close()
    return buf.getvalue()


@functools.lru_cache(maxsize=32)
def _font_face_css(chars: str) -> str:
    path = cjk_font_path()
    if path is None or not chars:
        return ""
    data = base64.b64encode(_subset(path, chars)).decode("ascii")
    return (f"@font-face {{ font-family: '{HTML_FAMILY}'; "
            f"src: url(data:font/otf;base64,{data}) format('opentype'); "
            f"font-display: block; }}")


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the CJK glyphs of ``text``; empty when none are needed.

    Use the family with :data:`HTML_FONT_STACK`; Latin text keeps the page's own face. The
    font is subset to CJK glyphs only, so it never replaces the Latin face.
    """
    chars = "".join(sorted({c for c in text if has_cjk(c)}))
    return _font_face_css(chars)


#: A CSS ``font-family`` value. The embedded CJK face comes first: it holds only CJK glyphs,
#: so Latin text falls through to the system faces, and the browser loads it before the first
#: paint (listed later, Chromium drew the first CJK run as empty boxes).
HTML_FONT_STACK = (f"'{HTML_FAMILY}', system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', "
                   f"Arial, 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif")


#: Unicode ranges the CJK face covers in a page whose own face lacks them.
CJK_UNICODE_RANGE = "U+2E80-2FFF, U+3000-303F, U+3040-9FFF, U+F900-FAFF, U+FF00-FFEF"


@functools.lru_cache(maxsize=8)
def _unicode_range_css(families: tuple[str, ...], chars: str) -> str:
    path = cjk_font_path()
    if path is None or not chars:
        return ""
    data = base64.b64encode(_subset(path, chars)).decode("ascii")
    return "\n".join(
        f"@font-face {{ font-family: '{family}'; src: url(data:font/otf;base64,{data}) "
        f"format('opentype'); unicode-range: {CJK_UNICODE_RANGE}; font-display: block; }}"
        for family in families)


def page_font_css(text: str, families: tuple[str, ...] = ("Source Sans", "Source Sans Pro")
                  ) -> str:
    """``@font-face`` rules that add the CJK glyphs of ``text`` to a page's own font families.

    Each rule reuses a family name the page already uses (Streamlit's "Source Sans") with a
    ``unicode-range`` of CJK code points, so the browser takes Chinese characters from the
    embedded subset and everything else from the page's face: the look stays the same.
    """
    chars = "".join(sorted({c for c in text if has_cjk(c)}))
    return _unicode_range_css(families, chars)
