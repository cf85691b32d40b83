"""Reading a results folder for the dashboard: run listing, safe paths, columns on demand.

Nothing here imports streamlit, so the same functions serve the CLI report and the tests.
Every reader either returns data or raises :class:`~sim.errors.RunError` with a message fit for
a labelled problem row; the listing never raises for one bad run directory.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sim.errors import RunError
from sim.results.rundir import SCHEMA_VERSION

#: Environment variable naming the results folder the app serves.
RUNS_ENV = "FLEETTWIN_RUNS"
#: Prefix :func:`sim.results.rundir.write_run` gives a run directory while it is written.
TMP_PREFIX = ".tmp-"


@dataclass
class RunInfo:
    """One entry of the run listing: a readable run, or a problem row."""

    name: str  # path relative to the results folder, e.g. "city_taxi-..." or "sweep/run-3"
    path: Path
    problem: str | None = None
    kind: str = ""
    scenario: str = ""
    created: str = ""
    seed: int | None = None
    replications: int | None = None
    wall_s: float | None = None
    kpis: dict[str, Any] = field(default_factory=dict)
    sla: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # overrides, sweep, forked_from, ...
    mtime_ns: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def verdict(self) -> str:
        """``FAIL`` when an SLA failed, else ``UNCERTAIN`` when one's interval straddles its
        threshold, else ``PASS``; ``-`` without SLAs."""
        if not self.sla:
            return "-"
        words = {sla_word(v) for v in self.sla}
        return next(w for w in ("FAIL", "UNCERTAIN", "PASS") if w in words or w == "PASS")

    @property
    def group(self) -> str:
        return self.name.rpartition("/")[0]

    @property
    def origin(self) -> str:
        """How the run was made, in a few words: overrides, sweep point or twin fork."""
        parts = []
        fork = self.extra.get("forked_from")
        if isinstance(fork, dict):
            parts.append(f"fork of twin {Path(str(fork.get('twin', '?'))).name} at "
                         f"t={fork.get('t0_s', '?')} s")
        sweep = self.extra.get("sweep")
        if isinstance(sweep, dict):
            parts.append(f"sweep point {sweep.get('key', sweep.get('point', '?'))}, "
                         f"replication {sweep.get('replication', '?')}")
        overrides = self.extra.get("overrides")
        if isinstance(overrides, list) and overrides:
            parts.append("--set " + " ".join(map(str, overrides)))
        return "; ".join(parts)


def sla_word(verdict: dict[str, Any]) -> str:
    """One SLA verdict as PASS, FAIL or UNCERTAIN (runs with replications say UNCERTAIN when
    the interval straddles the threshold; older runs only have ``passed``)."""
    word = str(verdict.get("verdict") or "").upper()
    if word in ("PASS", "FAIL", "UNCERTAIN"):
        return word
    return "PASS" if verdict.get("passed") else "FAIL"


def show_time(stamp: Any) -> str:
    """An ISO time stamp as ``2026-12-07 02:46 UTC`` (unchanged when it is not one)."""
    import datetime as dt

    try:
        t = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp or "")
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC)
    return t.strftime("%Y-%m-%d %H:%M") + (" UTC" if t.tzinfo is not None else "")


def sla_label(verdict: dict[str, Any], kind: str | None = None) -> str:
    """An SLA in words from the KPI catalogue, e.g. "Service rate >= 95.0%"."""
    from sim.results.catalogue import entry

    e = entry(str(verdict.get("kpi")), kind)
    return f"{e.title()} {verdict.get('op', '')} {e.show(verdict.get('threshold'))}"


_STANDARD_MANIFEST = {
    "schema_version", "run_id", "scenario", "kind", "scenario_source", "scenario_hash", "seed",
    "replications", "fleettwin_version", "created_utc", "wall_s", "timings",
    "events_processed", "host", "files",
}


def resolve_root(root: str | Path) -> Path:
    """Absolute, symlink-free path of the results folder (it need not exist)."""
    return Path(root).expanduser().resolve()


def safe_run_path(root: Path, name: str) -> Path:
    """The directory ``name`` inside ``root``, or RunError when it would leave ``root``.

    ``name`` comes from a URL query parameter or a widget: it must be a relative path of at
    most two parts (a run, or a run inside a sweep folder), and after resolving symlinks it
    must still lie inside ``root``.
    """
    root = resolve_root(root)
    if not isinstance(name, str) or not name or "\x00" in name or "\\" in name:
        raise RunError(f"not a run name: {name!r}")
    rel = Path(name)
    if rel.is_absolute() or any(p in ("", ".", "..") for p in rel.parts) or len(rel.parts) > 2:
        raise RunError(f"not a run name: {name!r}")
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or path == root:
        raise RunError(f"not a run inside the results folder: {name!r}")
    if not path.is_dir():
        raise RunError(f"no run named {name!r} in {root}")
    return path


def run_mtime_ns(run: Path) -> int:
    """Modification stamp of a run: the newest of the directory and its manifest."""
    stamps = []
    for p in (run, run / "manifest.json", run / "kpis.json"):
        try:
            stamps.append(p.stat().st_mtime_ns)
        except OSError:
            continue
    return max(stamps, default=0)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_run_info(root: Path, run: Path) -> RunInfo:
    """Manifest, KPIs and SLA verdicts of one directory, problems recorded, never raising."""
    name = run.relative_to(root).as_posix()
    info = RunInfo(name=name, path=run, mtime_ns=run_mtime_ns(run))
    if run.name.startswith(TMP_PREFIX):
        info.problem = "incomplete: still being written, or its writer stopped"
        return info
    if not (run / "manifest.json").is_file() and not (run / "manifest.json").is_symlink():
        info.problem = "not a run directory: manifest.json is missing"
        return info
    try:
        manifest = read_run_json(run, "manifest.json")
        if not isinstance(manifest, dict):
            raise RunError(f"{run / 'manifest.json'}: not a JSON object")
    except RunError as exc:
        info.problem = f"corrupt manifest: {exc}"
        return info
    info.kind = str(manifest.get("kind") or "")
    info.scenario = str(manifest.get("scenario") or "")
    info.created = str(manifest.get("created_utc") or "")
    seed = manifest.get("seed")
    info.seed = seed if isinstance(seed, int) else None
    reps = manifest.get("replications")
    info.replications = reps if isinstance(reps, int) else None
    wall = manifest.get("wall_s")
    info.wall_s = float(wall) if isinstance(wall, int | float) else None
    info.extra = {k: v for k, v in manifest.items() if k not in _STANDARD_MANIFEST}
    version = manifest.get("schema_version")
    if version is None:
        info.notes.append("older schema (no schema_version)")
    elif isinstance(version, int) and version > SCHEMA_VERSION:
        info.notes.append(f"newer schema {version} than this dashboard ({SCHEMA_VERSION})")
    if not info.kind:
        info.notes.append("manifest has no model kind")
    try:
        kpis = read_run_json(run, "kpis.json")
        if not isinstance(kpis, dict):
            raise RunError(f"{run / 'kpis.json'}: not a JSON object")
        info.kpis = {str(k): _finite(v) for k, v in kpis.items()}
    except RunError as exc:
        info.problem = f"KPIs unreadable: {exc}"
    if (run / "sla.json").is_file() or (run / "sla.json").is_symlink():
        try:
            sla = read_run_json(run, "sla.json")
            if isinstance(sla, list):
                info.sla = [v for v in sla if isinstance(v, dict)]
            else:
                info.notes.append("sla.json is not a list")
        except RunError as exc:
            info.notes.append(f"SLA verdicts unreadable: {exc}")
    else:
        info.notes.append("no sla.json")
    return info


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(c for c in folder.iterdir() if c.is_dir())
    except OSError:
        return []


def list_runs(root: str | Path) -> list[RunInfo]:
    """Every run directory in ``root`` (and one level down, for sweep folders).

    A folder without a manifest that holds run directories is a group (a sweep); a folder
    with neither becomes a problem row. Hidden folders other than half-written runs are
    skipped.
    """
    root = resolve_root(root)
    if not root.is_dir():
        return []
    out: list[RunInfo] = []
    for child in _children(root):
        if child.name.startswith(".") and not child.name.startswith(TMP_PREFIX):
            continue
        if not child.resolve().is_relative_to(root):
            continue  # a symlink leading out of the results folder is not followed
        if (child / "manifest.json").is_file() or child.name.startswith(TMP_PREFIX):
            out.append(read_run_info(root, child))
            continue
        inner = [c for c in _children(child)
                 if (c / "manifest.json").is_file() or c.name.startswith(TMP_PREFIX)]
        if inner:
            out += [read_run_info(root, c) for c in inner if c.resolve().is_relative_to(root)]
        else:
            out.append(read_run_info(root, child))
    return out


def files_of(run: Path, group: str) -> list[str]:
    """Names (without ``.parquet``) of the Parquet files in ``run/group`` (timeseries, tables)."""
    folder = run / group
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.parquet") if p.is_file())


def shared_files(runs: list[Path], group: str) -> list[str]:
    """Names of the ``group`` files (``tables`` or ``timeseries``) every run has, sorted."""
    if not runs:
        return []
    common = set(files_of(runs[0], group))
    for run in runs[1:]:
        common &= set(files_of(run, group))
    return sorted(common)


def parquet_columns(run: Path, rel: str) -> list[str]:
    """Column names of a Parquet file of a run (its footer only)."""
    path = _inside(run, rel)
    try:
        return list(pq.read_schema(path).names)
    except (OSError, pa.ArrowInvalid) as exc:
        raise RunError(f"{rel}: unreadable Parquet ({exc})") from None


#: Largest JSON or text file of a run a page reads (a manifest, KPIs, SLA, scenario).
MAX_TEXT_BYTES = 20_000_000


def inside_run(run: Path, rel: str) -> Path:
    """The file ``run/rel`` after the folder check, or RunError saying why it is refused.

    Every file a page reads goes through here: a symlink (or ``..``) that leads out of the
    run directory is refused and labelled, so a link to ``/etc/passwd`` is never read.
    """
    path = (run / rel).resolve()
    if not path.is_relative_to(run.resolve()):
        raise RunError(f"{rel}: refused, it leads outside the run directory "
                       f"(a link to {str(path)[:120]})")
    if not path.is_file():
        raise RunError(f"{rel}: missing from run {run.name}")
    return path


_inside = inside_run  # the older private name, still used by dashboards.city


def read_run_text(run: Path, rel: str, limit: int = MAX_TEXT_BYTES) -> str:
    """A text file of a run after the folder check (UTF-8, at most ``limit`` bytes)."""
    path = inside_run(run, rel)
    try:
        size = path.stat().st_size
        if size > limit:
            raise RunError(f"{rel}: too large to show ({size:,} bytes; limit {limit:,})")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunError(f"{rel}: missing from run {run.name} (deleted while open?)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunError(f"{rel}: unreadable ({exc})") from None


def read_run_json(run: Path, rel: str) -> Any:
    """A JSON file of a run after the folder check; RunError names the file and the fault."""
    text = read_run_text(run, rel)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise RunError(f"{run / rel}: unreadable ({str(exc)[:200]})") from None


def read_run_bytes(run: Path, rel: str, limit: int = MAX_TEXT_BYTES) -> bytes:
    """A binary file of a run (a PNG of ``plots/``) after the folder check."""
    path = inside_run(run, rel)
    try:
        if path.stat().st_size > limit:
            raise RunError(f"{rel}: too large to show")
        return path.read_bytes()
    except OSError as exc:
        raise RunError(f"{rel}: unreadable ({exc})") from None


def read_frame(run: Path, rel: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Selected columns of a run's Parquet file as a DataFrame (only those are read).

    Columns that the file lacks (an older schema) are left out rather than failing; the
    caller checks for what it needs.
    """
    path = _inside(run, rel)
    try:
        if columns is not None:
            have = set(pq.read_schema(path).names)
            columns = [c for c in columns if c in have]
        table = pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise RunError(f"{rel}: unreadable Parquet ({exc})") from None
    return table.to_pandas()


def read_scenario(run: Path) -> dict[str, Any]:
    """The resolved scenario of a run as a dict (empty when absent)."""
    path = run / "scenario.yaml"
    if not path.is_file() and not path.is_symlink():
        return {}
    try:
        data = yaml.safe_load(read_run_text(run, "scenario.yaml"))
    except yaml.YAMLError as exc:
        raise RunError(f"{path}: unreadable ({str(exc)[:200]})") from None
    return data if isinstance(data, dict) else {}


def read_kpis_ci(run: Path) -> dict[str, dict[str, Any]]:
    """``kpis_ci.json`` (KPI -> mean, ci_low, ci_high, n); empty for older runs."""
    path = run / "kpis_ci.json"
    if not path.is_file() and not path.is_symlink():
        return {}
    data = read_run_json(run, "kpis_ci.json")
    return data if isinstance(data, dict) else {}


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as ``{"a.b[0].c": value}``."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(data, list) and data and any(isinstance(v, dict | list) for v in data):
        for i, v in enumerate(data):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = data
    return out


def scenario_diff(scenarios: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """Dotted scenario fields whose values differ between runs, with each run's value.

    A field one run lacks (an older schema) and another has as null is not a difference.
    """
    flats = [flatten(s) for s in scenarios]
    keys: list[str] = []
    for f in flats:
        keys += [k for k in f if k not in keys]
    out = []
    for k in keys:
        values = [f.get(k) for f in flats]
        if any(v != values[0] for v in values[1:]):
            out.append((k, values))
    return out


def read_head(run: Path, rel: str, n: int = 200,
              columns: list[str] | None = None) -> tuple[pd.DataFrame, int]:
    """The first ``n`` rows of a run's Parquet file and its total row count (footer only)."""
    path = _inside(run, rel)
    try:
        f = pq.ParquetFile(path)
        total = f.metadata.num_rows
        rows = []
        got = 0
        for batch in f.iter_batches(batch_size=min(max(n, 1), 65536), columns=columns):
            rows.append(batch)
            got += batch.num_rows
            if got >= n:
                break
        table = pa.Table.from_batches(rows, schema=rows[0].schema) if rows else \
            f.schema_arrow.empty_table()
    except (OSError, pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise RunError(f"{rel}: unreadable Parquet ({exc})") from None
    return table.slice(0, n).to_pandas(), total
