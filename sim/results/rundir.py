"""Writing one run directory atomically, and reading it back.

Layout::

    RUN/
      manifest.json         version, seed, timings, host, files
      scenario.yaml         the resolved scenario (after --set overrides)
      profiles.yaml         the resolved hardware profiles (after scenario overrides)
      kpis.json             KPI -> mean over replications
      kpis_ci.json          KPI -> {mean, ci_low, ci_high, n}
      sla.json              SLA verdicts
      replications.parquet  one row of KPIs per replication
      timeseries/NAME.parquet, tables/NAME.parquet   (column ``replication`` added)

The directory is written under a hidden temporary name and renamed when complete, so a crash
never leaves a half-written run that looks finished.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import platform
import shutil
import socket
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

import sim
from sim.engine.arrow import to_arrow
from sim.engine.simulation import RunResult
from sim.errors import RunError

SCHEMA_VERSION = 1
DEFAULT_RUNS_DIR = Path("runs")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def dump_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(_clean(data), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def scenario_hash(raw: dict[str, Any]) -> str:
    text = json.dumps(raw, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def default_run_name(result: RunResult) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{result.loaded.scenario.name}-{stamp}-s{result.seed}-{scenario_hash(result.loaded.raw)}"


def _concat(tables: list[tuple[int, pa.Table]]) -> pa.Table:
    parts = []
    for rep, table in tables:
        col = to_arrow(np.full(table.num_rows, rep, dtype=np.int32))
        parts.append(table.append_column("replication", col))
    return pa.concat_tables(parts, promote_options="permissive")


def write_run(
    result: RunResult,
    out_dir: str | Path = DEFAULT_RUNS_DIR,
    name: str | None = None,
    extra_manifest: dict[str, Any] | None = None,
) -> Path:
    """Write ``result`` as a run directory under ``out_dir``; return its final path.
    (Plots are made from the written directory by the CLI: the core never reaches the
    views.)"""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or default_run_name(result)
    final = out_dir / name
    if final.exists():
        raise RunError(f"run directory {final} already exists; choose another --out or name")
    tmp = out_dir / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        files = _write_contents(tmp, result)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "run_id": name,
            "scenario": result.loaded.scenario.name,
            "kind": result.loaded.model.kind,
            "scenario_source": result.loaded.source,
            "scenario_hash": scenario_hash(result.loaded.raw),
            "seed": result.seed,
            "replications": len(result.replications),
            "fleettwin_version": sim.__version__,
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "wall_s": result.wall_s,
            "timings": [r.timings for r in result.replications],
            "events_processed": sum(r.events_processed for r in result.replications),
            "host": {
                "hostname": socket.gethostname(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            },
            "files": files,
        }
        manifest.update(extra_manifest or {})
        dump_json(tmp / "manifest.json", manifest)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _write_contents(tmp: Path, result: RunResult) -> list[str]:
    loaded = result.loaded
    (tmp / "scenario.yaml").write_text(
        yaml.safe_dump(loaded.scenario.model_dump(mode="json", by_alias=True), sort_keys=False,
                       allow_unicode=True),
        encoding="utf-8",
    )
    profiles = {
        key: p.model_dump(mode="json", by_alias=True, exclude_none=True)
        for key, p in sorted(loaded.profiles.items())
    }
    (tmp / "profiles.yaml").write_text(yaml.safe_dump(profiles, sort_keys=False),
                                       encoding="utf-8")
    dump_json(tmp / "kpis.json", result.kpis)
    dump_json(tmp / "kpis_ci.json", result.kpis_ci)
    dump_json(tmp / "sla.json", result.sla)
    reps: dict[str, list[Any]] = {
        "replication": [r.replication for r in result.replications],
        "seed": [r.seed for r in result.replications],
    }
    for k in result.kpis:
        reps[k] = [r.kpis.get(k) for r in result.replications]
    pq.write_table(pa.table({k: to_arrow(v) for k, v in reps.items()}),
                   tmp / "replications.parquet")
    files = ["scenario.yaml", "profiles.yaml", "kpis.json", "kpis_ci.json", "sla.json",
             "replications.parquet"]
    for group, attr in (("timeseries", "series"), ("tables", "tables")):
        names: dict[str, list[tuple[int, pa.Table]]] = {}
        for r in result.replications:
            for tname, table in getattr(r, attr).items():
                names.setdefault(tname, []).append((r.replication, table))
        if names:
            (tmp / group).mkdir()
        for tname, tables in names.items():
            rel = f"{group}/{tname}.parquet"
            pq.write_table(_concat(tables), tmp / rel, compression="zstd")
            files.append(rel)
    return files


def is_run_dir(path: Path) -> bool:
    return (path / "manifest.json").is_file() and not path.name.startswith(".")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{path}: missing; the run directory is incomplete") from None
    except (OSError, ValueError) as exc:
        raise RunError(f"{path}: unreadable ({exc})") from None
    except RecursionError:  # a hand-edited file of [[[[...]]]]: not one of ours
        raise RunError(f"{path}: unreadable (nested too deeply)") from None


def read_table(run: Path, rel: str, replication: int | None = None) -> pa.Table:
    path = run / rel
    if not path.is_file():
        raise RunError(f"{path}: missing from run {run.name}")
    try:
        filters = [("replication", "=", replication)] if replication is not None else None
        return pq.read_table(path, filters=filters)
    except (OSError, pa.ArrowInvalid) as exc:
        raise RunError(f"{path}: unreadable Parquet ({exc})") from None
