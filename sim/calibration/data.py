"""Read measured samples: one numeric column (and an optional censoring flag) from a file.

Accepted inputs: a CSV file (``#`` lines are comments), a Parquet file, or a folder (a twin's
data folder or a run directory) whose Parquet files are searched for the column. Every
problem in the file is collected and raised at once as a :class:`~sim.errors.DataError`
naming the file, the column, the row and the bad value.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import DataError, Problem

#: Values accepted in a censoring column (case-insensitive).
_TRUE = {"1", "true", "yes", "y", "t", "censored"}
_FALSE = {"0", "false", "no", "n", "f", "failed", "observed", ""}
#: Largest measured value accepted (the bound of every profile quantity).
MAX_VALUE = 1e12
_MAX_ROW_PROBLEMS = 10


@dataclass(frozen=True)
class Samples:
    """Measured values of one quantity, with right-censoring flags."""

    values: np.ndarray
    censored: np.ndarray
    source: Path
    column: str
    censor_column: str | None
    sha256: str

    @property
    def n(self) -> int:
        return int(self.values.size)

    @property
    def n_censored(self) -> int:
        return int(self.censored.sum())


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, or of a folder's files (sorted relative paths and contents)."""
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _read_csv(path: Path) -> tuple[dict[str, list[Any]], list[int]]:
    """Columns of a CSV file and the file line number of each row."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(path, [Problem("", f"cannot read file: {exc}", has_value=False)]) from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines())
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise DataError(path, [Problem("", "file is empty (no header, no rows)", has_value=False)])
    reader = csv.reader([ln for _, ln in lines])
    rows = list(reader)
    header = [h.strip() for h in rows[0]]
    cols: dict[str, list[Any]] = {h: [] for h in header}
    problems = []
    for (lineno, _), row in zip(lines[1:], rows[1:], strict=True):
        if len(row) != len(header):
            problems.append(Problem(f"line {lineno}",
                                    f"has {len(row)} fields, header has {len(header)}", row))
            continue
        for h, v in zip(header, row, strict=True):
            cols[h].append(v.strip())
    if problems:
        raise DataError(path, problems[:_MAX_ROW_PROBLEMS])
    return cols, [ln for ln, _ in lines[1:]]


def _read_parquet(path: Path) -> tuple[dict[str, list[Any]], list[int]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DataError(path, [Problem("", f"not a readable Parquet file: {exc}",
                                       has_value=False)]) from None
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    return cols, list(range(1, table.num_rows + 1))


def _pick_parquet(folder: Path, column: str, table: str | None) -> Path:
    files = sorted(folder.rglob("*.parquet"))
    if table:
        files = [f for f in files if f.stem == table or str(f.relative_to(folder)) == table
                 or str(f.relative_to(folder).with_suffix("")) == table]
        if not files:
            raise DataError(folder, [Problem("--table", "no Parquet file of this name", table)])
    import pyarrow.parquet as pq

    having = [f for f in files if column in pq.read_schema(f).names]
    if len(having) == 1:
        return having[0]
    names = [str(f.relative_to(folder)) for f in (having or files)]
    if not having:
        msg = f"no Parquet file in the folder has this column (files: {names or 'none'})"
    else:
        msg = f"several Parquet files have this column, choose one with --table: {names}"
    raise DataError(folder, [Problem(column, msg, column)])


def read_columns(path: Path, column: str | None = None,
                 table: str | None = None) -> tuple[Path, dict[str, list[Any]], list[int]]:
    """Read a CSV/Parquet file or a folder's Parquet file; returns (file, columns, row numbers)."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, [Problem("", "file not found", has_value=False)])
    if path.is_dir():
        if column is None:
            raise DataError(path, [Problem("--column", "a folder needs --column (or --field)",
                                           has_value=False)])
        path = _pick_parquet(path, column, table)
    if path.suffix.lower() in (".parquet", ".pq"):
        cols, rows = _read_parquet(path)
    else:
        cols, rows = _read_csv(path)
    return path, cols, rows


def _number(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _flag(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    s = str(v).strip().lower() if v is not None else ""
    return True if s in _TRUE else False if s in _FALSE else None


def choose_column(cols: dict[str, list[Any]], wanted: str | None, fallback: str | None,
                  exclude: set[str]) -> str:
    """The value column: ``wanted`` if given, else ``fallback`` if present, else the only one."""
    if wanted:
        return wanted
    if fallback and fallback in cols:
        return fallback
    rest = [c for c in cols if c not in exclude]
    if len(rest) == 1:
        return rest[0]
    return fallback or (rest[0] if rest else "")


def load_samples(path: str | Path, column: str | None = None, censor_column: str | None = None,
                 table: str | None = None, default_column: str | None = None) -> Samples:
    """Read positive measured values and optional right-censoring flags.

    Parameters
    ----------
    path
        CSV file, Parquet file, or a folder holding Parquet files.
    column
        Column with the values; default ``default_column`` (usually the profile field name) if
        the file has it, else the only column other than the censoring column.
    censor_column
        Column flagging right-censored rows: ``1``/``true``/``censored`` = still working at the
        end of observation (the value is a lower bound), ``0``/``false``/``failed`` = observed.
    table
        In a folder, the Parquet file to read (stem or relative path).

    Raises
    ------
    DataError
        Empty file, missing column, non-numeric or non-positive values, bad flags, or every row
        censored; all problems listed at once.
    """
    src = Path(path)
    want = column or default_column if src.is_dir() else column
    file, cols, rows = read_columns(src, want, table)
    col = choose_column(cols, column, default_column, {censor_column or ""})
    problems: list[Problem] = []
    if col not in cols:
        raise DataError(file, [Problem(col or "--column", f"no such column (columns: "
                                       f"{list(cols)}); choose one with --column", col)])
    if censor_column and censor_column not in cols:
        raise DataError(file, [Problem(censor_column, f"no such censoring column (columns: "
                                       f"{list(cols)})", censor_column)])
    raw = cols[col]
    if not raw:
        raise DataError(file, [Problem(col, "file has no data rows", has_value=False)])
    values = np.empty(len(raw))
    bad = 0
    for i, v in enumerate(raw):
        f = _number(v)
        msg = None
        if f is None:
            msg = "not a finite number"
        elif f < 0:
            msg = "negative value (durations and sizes must be > 0)"
        elif f == 0:
            msg = "zero value (the families fitted here need values > 0)"
        elif f > MAX_VALUE:
            msg = f"larger than {MAX_VALUE:g} (a profile quantity cannot hold it)"
        if msg:
            bad += 1
            if bad <= _MAX_ROW_PROBLEMS:
                problems.append(Problem(f"{col} (row {rows[i]})", msg, v))
        values[i] = f if f is not None else math.nan
    flags = np.zeros(len(raw), bool)
    if censor_column:
        for i, v in enumerate(cols[censor_column]):
            b = _flag(v)
            if b is None:
                bad += 1
                if bad <= _MAX_ROW_PROBLEMS:
                    problems.append(Problem(f"{censor_column} (row {rows[i]})",
                                            "censoring flag must be 0/1 or true/false", v))
            else:
                flags[i] = b
    if bad > _MAX_ROW_PROBLEMS:
        problems.append(Problem(col, f"... {bad - _MAX_ROW_PROBLEMS} more bad rows",
                                has_value=False))
    seen = values[~flags]
    if not problems and seen.size > 1 and np.all(seen == seen[0]):
        problems.append(Problem(col, f"all {seen.size} observed values are equal: no spread "
                                "to fit a distribution to (set the field to that number)",
                                float(seen[0])))
    if not problems and flags.all():
        problems.append(Problem(censor_column or col, f"all {flags.size} rows are censored: no "
                                "failure observed, so the distribution cannot be fitted",
                                has_value=False))
    if problems:
        raise DataError(file, problems)
    return Samples(values, flags, file, col, censor_column, sha256_of(src))
