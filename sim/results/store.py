"""Queries across run directories with DuckDB (no server)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from sim.errors import RunError, bounded_repr
from sim.results.rundir import is_run_dir, read_json


def find_runs(paths: Iterable[str | Path]) -> list[Path]:
    """Run directories named directly or found one level inside the given folders."""
    runs: list[Path] = []
    for p in map(Path, paths):
        if is_run_dir(p):
            runs.append(p)
        elif p.is_dir():
            runs += sorted(c for c in p.iterdir() if c.is_dir() and is_run_dir(c))
        else:
            raise RunError(f"{p}: not a run directory or a folder of runs")
    return runs


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def kpi_rows(runs: list[Path]) -> list[dict[str, Any]]:
    """One dict per run: ``run`` (dir name), ``path`` and every KPI (union of names)."""
    if not runs:
        return []
    files = [r / "kpis.json" for r in runs]
    for r, f in zip(runs, files, strict=True):
        if not f.is_file():
            raise RunError(f"{f}: missing; the run directory is incomplete")
        if f.is_symlink() or not f.resolve().is_relative_to(r.resolve()):
            raise RunError(f"{f}: refused, it points outside its run directory")
        check_run_files(r)
    con = duckdb.connect()
    try:
        rel = con.sql(
            f"SELECT * FROM read_json_auto({_sql_list(files)}, filename=true, "
            "union_by_name=true, format='auto')"
        )
        cols = rel.columns
        data = rel.fetchall()
    except duckdb.Error as exc:
        raise RunError(f"cannot read KPIs: {exc}") from None
    finally:
        con.close()
    by_file = {}
    for row in data:
        d = dict(zip(cols, row, strict=True))
        by_file[str(Path(d.pop("filename")).parent)] = d
    out = []
    for r in runs:
        d = by_file.get(str(r), {})
        out.append({"run": r.name, "path": str(r), **d})
    return out


def check_run_files(run: Path) -> None:
    """Refuse a run whose manifest is not a JSON object or whose ``kpis.json`` is not an
    object of numbers (``null``: not applicable), naming the file, the KPI and the value.

    A run writes no NaN or infinity (they become ``null``), so such a value, text or a list
    is a damaged or hand-edited file; compared as it was, it showed as a run of "n/a" KPIs.
    """
    manifest = read_json(run / "manifest.json")
    if not isinstance(manifest, dict):
        raise RunError(f"{run / 'manifest.json'}: not a JSON object (got "
                       f"{bounded_repr(manifest)}); the run directory is damaged")
    kpis = read_json(run / "kpis.json")
    if not isinstance(kpis, dict):
        raise RunError(f"{run / 'kpis.json'}: not a JSON object of KPI values (got "
                       f"{bounded_repr(kpis)}); the run directory is damaged")
    for name, value in kpis.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise RunError(f"{run / 'kpis.json'}: {bounded_repr(name, 60)}: not a number "
                           f"(got {bounded_repr(value)}); the run directory is damaged")


def sla_verdicts(run: Path) -> list[dict[str, Any]]:
    """A run's ``sla.json``: a list of verdicts, each an object with a text ``name``."""
    path = run / "sla.json"
    verdicts = read_json(path)
    if not isinstance(verdicts, list):
        raise RunError(f"{path}: not a JSON list of SLA verdicts (got "
                       f"{bounded_repr(verdicts)}); the run directory is damaged")
    for i, v in enumerate(verdicts):
        if not isinstance(v, dict) or not isinstance(v.get("name"), str):
            raise RunError(f"{path}: [{i}]: not an SLA verdict with a name (got "
                           f"{bounded_repr(v)}); the run directory is damaged")
    return verdicts


def run_summary(run: Path) -> dict[str, Any]:
    """Manifest, KPIs and SLA verdicts of one run."""
    return {
        "manifest": read_json(run / "manifest.json"),
        "kpis": read_json(run / "kpis.json"),
        "sla": read_json(run / "sla.json"),
    }


def query(sql: str, **tables: Path) -> list[tuple[Any, ...]]:
    """Run SQL with each keyword bound as a view over a Parquet glob or file.

    The paths are passed to DuckDB as values, never spliced into SQL text; view names must
    be plain identifiers.
    """
    con = duckdb.connect()
    try:
        for name, path in tables.items():
            if not _IDENTIFIER.match(name):
                raise RunError(f"query: {name!r} is not a plain table name")
            con.read_parquet(str(path), union_by_name=True).create_view(name)
        return con.sql(sql).fetchall()
    finally:
        con.close()


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
