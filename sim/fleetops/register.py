"""The vehicle register: a CSV with one row per vehicle, read and checked.

Columns (header names, any order): ``plate``, ``profile`` and ``purchase_date`` are
required; ``odometer_km`` (default 0), ``warranty_end`` (ISO date, empty: none),
``depot`` (a scenario depot id; empty: the first depot) and ``home_node`` are optional. Any
other column is kept as text in ``Vehicle.extra`` and carried to the per-vehicle table.

Every problem of the file is reported at once, each with its row (the header is row 1, so
row numbers match a spreadsheet's), the column and the bad value.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import DataError, Problem

REQUIRED = ("plate", "profile", "purchase_date")
KNOWN = REQUIRED + ("odometer_km", "warranty_end", "depot", "home_node")
#: Most rows read (a register beyond this is a mistake or an attack).
MAX_ROWS = 200_000


@dataclass
class RegisterRow:
    """One vehicle as written in the register."""

    row: int
    plate: str
    profile: str
    purchase_date: dt.date
    odometer_km: float
    warranty_end: dt.date | None
    depot: str | None
    home_node: str | None
    extra: dict[str, str] = field(default_factory=dict)


def read_register(path: Path, *, known_profiles: Iterable[str], depots: Iterable[str],
                  start_date: dt.date,
                  licence_ok: Callable[[str, str | None], str | None] | None = None,
                  ) -> list[RegisterRow]:
    """Read and check the register at ``path``; :class:`DataError` lists every problem.

    ``licence_ok(profile, depot)`` returns ``None`` when some driver can drive a vehicle of
    ``profile`` at ``depot``, else the reason (the class needed and the classes held).
    """
    problems: list[Problem] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(_rows(csv.reader(fh), problems))
    except FileNotFoundError:
        raise DataError(path, [Problem("", "no such register file", str(path))]) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(path, [Problem("", f"cannot read the register: {exc}",
                                       has_value=False)]) from None
    if problems:
        raise DataError(path, problems)
    if not rows:
        raise DataError(path, [Problem("", "the register has no vehicles", has_value=False)])
    out = _check_rows(rows, set(known_profiles), list(depots), start_date, licence_ok,
                      problems)
    if problems:
        raise DataError(path, problems)
    return out


def _rows(reader: Iterable[list[str]], problems: list[Problem]
          ) -> Iterable[tuple[int, dict[str, str]]]:
    it = iter(reader)
    header = [h.strip() for h in next(it, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(Problem("header", f"missing column(s) {', '.join(missing)}", header))
        return
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        problems.append(Problem("header", f"repeated column(s) {', '.join(dup)}", header))
        return
    for n, cells in enumerate(it, start=2):
        if n - 1 > MAX_ROWS:
            problems.append(Problem("", f"more than {MAX_ROWS:,} vehicles", has_value=False))
            return
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem(f"row {n}", f"{len(cells)} cells, the header has "
                                    f"{len(header)}", cells))
            continue
        yield n, {h: c.strip() for h, c in zip(header, cells, strict=True)}


def _check_rows(rows: list[tuple[int, dict[str, str]]], profiles: set[str], depots: list[str],
                start: dt.date, licence_ok: Callable[[str, str | None], str | None] | None,
                problems: list[Problem]) -> list[RegisterRow]:
    out: list[RegisterRow] = []
    first_row: dict[str, int] = {}
    for n, cells in rows:
        bad = len(problems)

        def problem(col: str, msg: str, value: object, n: int = n) -> None:
            problems.append(Problem(f"row {n} {col}", msg, value))

        plate = cells["plate"]
        if not plate:
            problem("plate", "a vehicle needs a plate", plate)
        elif plate in first_row:
            problem("plate", f"duplicate plate (first on row {first_row[plate]})", plate)
        else:
            first_row[plate] = n
        prof = cells["profile"]
        if prof.partition("@")[0] not in profiles:
            problem("profile", f"unknown vehicle profile (known: {', '.join(sorted(profiles))})",
                    prof)
        bought = _date(cells["purchase_date"], "purchase_date", problem)
        if bought is not None and bought > start:
            problem("purchase_date", f"purchase date after the run starts ({start})",
                    cells["purchase_date"])
        odo = _km(cells.get("odometer_km", ""), problem)
        warranty = _date(cells.get("warranty_end", ""), "warranty_end", problem, optional=True)
        if warranty is not None and bought is not None and warranty < bought:
            problem("warranty_end", f"warranty ends before the purchase ({bought})",
                    cells["warranty_end"])
        depot = cells.get("depot") or None
        if depot is not None and depot not in depots:
            problem("depot", f"not a depot of the scenario (depots: {', '.join(depots)})", depot)
        depot = depot or depots[0]
        if licence_ok is not None and prof.partition("@")[0] in profiles and depot in depots:
            why = licence_ok(prof, depot)
            if why is not None:
                problem("profile", why, prof)
        if len(problems) > bad:
            continue
        assert bought is not None
        extra = {k: v for k, v in cells.items() if k not in KNOWN}
        out.append(RegisterRow(n, plate, prof, bought, odo, warranty, depot,
                               cells.get("home_node") or None, extra))
    return out


def _date(text: str, col: str, problem: Callable[[str, str, object], None],
          optional: bool = False) -> dt.date | None:
    if not text:
        if not optional:
            problem(col, "a date is required (YYYY-MM-DD)", text)
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problem(col, "not a date (YYYY-MM-DD)", text)
        return None


def _km(text: str, problem: Callable[[str, str, object], None]) -> float:
    if not text:
        return 0.0
    try:
        km = float(text)
    except ValueError:
        problem("odometer_km", "not a number", text)
        return 0.0
    if not math.isfinite(km) or km < 0:
        problem("odometer_km", "must be a finite number >= 0", text)
        return 0.0
    if km > 1e7:
        problem("odometer_km", "more than 10,000,000 km", text)
        return 0.0
    return km


def write_register(path: Path, rows: Iterable[Mapping[str, object]]) -> None:
    """Write a register CSV (plate, profile, purchase_date, ... and any extra columns)."""
    rows = list(rows)
    cols = list(KNOWN)
    for r in rows:
        cols += [c for c in r if c not in cols]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in cols})
