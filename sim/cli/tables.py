"""Plain-text tables for the terminal.

Columns are padded by display width, not by code points: an East Asian wide or fullwidth
character (the catalogue's Chinese terms, e.g. 空驶率) takes two terminal cells, a combining
mark none, so columns stay aligned when a label is Chinese.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any


def fmt(value: Any) -> str:
    """A cell: numbers to 4 significant digits, ``n/a`` for NaN (never ``nan``)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"  # a KPI that does not apply (or was not measured)
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def display_width(text: str) -> int:
    """Terminal cells ``text`` takes: wide and fullwidth characters 2, combining marks and
    zero-width characters 0, everything else 1."""
    n = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


def ljust(text: str, width: int) -> str:
    """``text`` padded on the right to ``width`` terminal cells."""
    return text + " " * max(width - display_width(text), 0)


def rjust(text: str, width: int) -> str:
    """``text`` padded on the left to ``width`` terminal cells."""
    return " " * max(width - display_width(text), 0) + text


def render(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A table: the first column left-aligned, the others right-aligned, by display width."""
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in r] for r in rows]
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(ljust(c, w) if i == 0 else rjust(c, w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_kpis(
    kpis: Mapping[str, float],
    ci: Mapping[str, Mapping[str, Any]] | None = None,
    meanings: Mapping[str, str] | None = None,
) -> str:
    rows = []
    for k, v in kpis.items():
        c = (ci or {}).get(k, {})
        interval = (
            f"[{fmt(c['ci_low'])}, {fmt(c['ci_high'])}]" if c and c.get("ci_low") is not None
            else ""
        )
        rows.append([k, v, interval, (meanings or {}).get(k, "")])
    return render(["kpi", "value", "95% CI", "meaning"], rows)
