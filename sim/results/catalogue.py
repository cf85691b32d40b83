"""The KPI catalogue: label, Chinese term, unit, display format, better direction and meaning.

One YAML file per model kind in ``sim/results/kpis/`` (``city_fleet.yaml``, ``iptv.yaml``,
...) lists every KPI that kind writes. The CLI (``run``, ``compare``), the dashboard and the
reports all label and format KPIs through this module, so a KPI reads the same everywhere:
``deadhead_ratio = 0.1742`` is shown as *Empty-running ratio (空驶率): 17.4%*.

A new model kind adds its own file (``kind: NAME`` and ``kpis: {...}``); a new KPI adds an
entry. ``tests/sim/results/test_catalogue.py`` fails for any KPI a registered model kind
declares without an entry. A KPI the catalogue does not know (a run of an older or foreign
version) still gets a readable label and a format guessed from its name's unit suffix.

Formats: ``percent`` (a share in [0, 1]), ``duration`` (seconds, shown in s, min or h),
``count``, ``yuan``, ``km``, ``litres``, ``mb``, ``gbps``, ``ratio``, ``number``, ``flag``
(0/1 shown as no/yes).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import FleetTwinError

Format = Literal["percent", "duration", "count", "yuan", "km", "litres", "mb", "gbps", "ratio",
                 "number", "flag"]
Better = Literal["higher", "lower", "none"]
NA = "n/a"


class _EntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    zh: str | None = None
    unit: str = ""
    format: Format = "number"
    better: Better = "none"
    meaning: str = Field(min_length=1)


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1)
    kpis: dict[str, _EntryModel]


@dataclass(frozen=True)
class KpiEntry:
    """One KPI of one model kind."""

    name: str
    kind: str
    label: str
    zh: str | None
    unit: str
    format: Format
    better: Better
    meaning: str
    known: bool = True  # False: guessed from the name (not in the catalogue)

    @property
    def direction(self) -> int:
        """+1 when higher is better, -1 when lower is, 0 when neither."""
        return {"higher": 1, "lower": -1}.get(self.better, 0)

    def title(self, zh: bool = True) -> str:
        """The label, with the Chinese term in brackets when there is one and ``zh``."""
        return f"{self.label} ({self.zh})" if zh and self.zh else self.label

    def show(self, value: Any) -> str:
        """``value`` formatted for a page or a table (``n/a`` for none or NaN)."""
        return format_as(self.format, value)

    def show_delta(self, base: Any, value: Any) -> str:
        """``value - base`` in the KPI's own format, signed (percent shares in points)."""
        b, v = _number(base), _number(value)
        if b is None or v is None:
            return ""
        d = v - b
        if self.format == "percent":
            return f"{d * 100:+.1f} pp"
        if self.format == "flag":
            return "changed" if d else "same"
        sign = "+" if d >= 0 else "-"
        return sign + format_as(self.format, abs(d))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _general(v: float, digits: int = 3) -> str:
    """Thousands separated above 1,000; ``digits`` significant digits below."""
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v)}"
    return f"{v:.{digits}g}"


def _duration(v: float) -> str:
    a = abs(v)
    if a < 60:
        return f"{v:.1f} s" if a < 10 and v != int(v) else f"{v:.0f} s"
    if a < 7200:
        return f"{v / 60:.1f} min"
    return f"{v / 3600:,.1f} h"


def format_as(fmt: str, value: Any) -> str:
    """``value`` in display format ``fmt`` (see the module docstring)."""
    v = _number(value)
    if v is None:
        return NA if value is None or isinstance(value, float) else str(value)
    if fmt == "percent":
        return f"{v:.2%}" if 0 < abs(v) < 0.001 else f"{v:.1%}"
    if fmt == "duration":
        return _duration(v)
    if fmt == "count":
        return f"{v:,.0f}" if v == round(v) or abs(v) >= 1000 else f"{v:,.1f}"
    if fmt == "yuan":
        return f"¥{v:,.0f}" if abs(v) >= 100 else f"¥{v:,.2f}"
    if fmt == "km":
        return f"{v:,.0f} km" if abs(v) >= 100 else f"{v:.1f} km"
    if fmt == "litres":
        return f"{v:,.0f} L" if abs(v) >= 100 else f"{v:.1f} L"
    if fmt == "mb":
        return f"{v:,.1f} MB"
    if fmt == "gbps":
        return f"{v:,.2f} Gbit/s"
    if fmt == "ratio":
        return f"{v:.2f}"
    if fmt == "flag":
        return "yes" if v else "no"
    return _general(v)


#: PyYAML's safe loader, on libyaml's C parser when there is one (ten times faster).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_file(name: str, text: str) -> _FileModel:
    where = f"KPI catalogue file sim/results/kpis/{name}"
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise FleetTwinError(f"{where}: not valid YAML ({exc})") from None
    try:
        return _FileModel.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {str(e.get('input'))[:60]!r})"
            for e in exc.errors())
        raise FleetTwinError(f"{where}: {problems}") from None


@functools.cache
def catalogue() -> dict[str, dict[str, KpiEntry]]:
    """Every catalogue entry: kind -> KPI name -> entry."""
    out: dict[str, dict[str, KpiEntry]] = {}
    folder = resources.files("sim.results") / "kpis"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith((".yaml", ".yml")):
            continue
        parsed = _read_file(item.name, item.read_text(encoding="utf-8"))
        kind = out.setdefault(parsed.kind, {})
        for name, e in parsed.kpis.items():
            kind[name] = KpiEntry(name=name, kind=parsed.kind, label=e.label, zh=e.zh,
                                  unit=e.unit, format=e.format, better=e.better,
                                  meaning=e.meaning)
    return out


#: Name suffixes and words that fix a guessed format: (test, format, unit).
_GUESSES: tuple[tuple[str, Format, str], ...] = (
    ("_s", "duration", "s"), ("_cny", "yuan", "CNY"), ("_km", "km", "km"),
    ("_l", "litres", "L"), ("_mb", "mb", "MB"), ("_gbps", "gbps", "Gbit/s"),
    ("_rate", "percent", "share"), ("_share", "percent", "share"),
    ("_util", "percent", "share"), ("_ratio", "percent", "share"),
)


def _guess(name: str, kind: str) -> KpiEntry:
    fmt: Format = "number"
    unit = ""
    for suffix, f, u in _GUESSES:
        if name.endswith(suffix):
            fmt, unit = f, u
            break
    words = name
    if fmt != "number" and unit in ("s", "CNY", "km", "L", "MB", "Gbit/s"):
        words = name.rsplit("_", 1)[0]
    label = words.replace("_", " ").strip().capitalize() or name
    return KpiEntry(name=name, kind=kind, label=label, zh=None, unit=unit, format=fmt,
                    better="none", meaning=f"{label} (not in the KPI catalogue).", known=False)


def entry(name: str, kind: str | None = None) -> KpiEntry:
    """The catalogue entry of KPI ``name`` of model ``kind``.

    Without ``kind`` (or for a kind the catalogue lacks) the first kind that has the name is
    used; a name no kind has gets an entry guessed from its unit suffix (``known`` False).
    """
    cat = catalogue()
    if kind and name in cat.get(kind, {}):
        return cat[kind][name]
    for entries in cat.values():
        if name in entries:
            return entries[name]
    return _guess(name, kind or "")


def label(name: str, kind: str | None = None, zh: bool = True) -> str:
    """The human label of a KPI (with its Chinese term when ``zh`` and there is one)."""
    return entry(name, kind).title(zh)


def show(name: str, value: Any, kind: str | None = None) -> str:
    """A KPI's value formatted for display."""
    return entry(name, kind).show(value)


def missing(declared: dict[str, list[str]]) -> list[tuple[str, str]]:
    """``(kind, kpi)`` pairs of ``declared`` (kind -> KPI names) without a catalogue entry."""
    cat = catalogue()
    return [(kind, name) for kind, names in declared.items() for name in names
            if name not in cat.get(kind, {})]
