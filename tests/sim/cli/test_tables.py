"""Terminal tables: columns aligned by display width (Chinese catalogue terms take two cells
per character)."""

from __future__ import annotations

from sim.cli.tables import display_width, ljust, render, rjust
from sim.results.catalogue import catalogue


def test_display_width_counts_wide_characters_twice():
    assert display_width("abc") == 3
    assert display_width("空驶率") == 6
    assert display_width("ＡＢ") == 4  # fullwidth Latin
    assert display_width("e\u0301") == 1  # a combining accent takes no cell
    assert ljust("空驶", 6) == "空驶  " and rjust("空驶", 5) == " 空驶"
    assert ljust("空驶率", 2) == "空驶率"  # never cut


def test_columns_align_with_chinese_labels():
    terms = [e for kind in catalogue().values() for e in kind.values() if e.zh]
    assert terms, "the catalogue gives Chinese terms"
    rows = [[e.title(), 0.125, "share"] for e in terms[:6]] + [["plain label", 12345.0, "km"]]
    text = render(["KPI", "value", "unit"], rows)
    lines = text.splitlines()
    assert any("(" in ln and any(ord(c) > 0x3000 for c in ln) for ln in lines)
    assert len({display_width(ln) for ln in lines}) == 1, text  # right edges line up
    ends = {display_width(ln[:ln.rindex("  ") + 2].rstrip()) for ln in lines[2:]}
    assert len(ends) == 1, text  # the value column ends in the same cell on every row
