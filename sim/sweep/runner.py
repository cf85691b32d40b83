"""Running a sweep plan: on a Dask cluster (local by default) or in this process.

Each task loads its grid point's scenario from the resolved data, runs replication ``r``
with the point's seed (so run ``r`` equals replication ``r`` of ``fleettwin run``) and
writes one run directory atomically. Runs whose directory already exists are skipped, so
an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import FleetTwinError, RunError
from sim.results.rundir import dump_json, is_run_dir
from sim.sweep.grid import RunSpec, SweepPlan

log = logging.getLogger(__name__)

PLAN_FILE = "sweep.json"


@dataclass
class SweepOutcome:
    out_dir: Path
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0


def run_one(raw: dict[str, Any], source: str, seed: int, replication: int, out_dir: str,
            name: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Run one replication of one grid point and write its run directory (a Dask task)."""
    from sim.engine.loading import load_scenario_data
    from sim.engine.simulation import RunResult, Simulation
    from sim.results.rundir import write_run

    t0 = time.perf_counter()
    final = Path(out_dir) / name
    if is_run_dir(final):
        return {"name": name, "skipped": True, "wall_s": 0.0}
    loaded = load_scenario_data(raw, source)
    rep = Simulation(loaded, seed, replication).run()
    result = RunResult(loaded, seed, [rep], time.perf_counter() - t0)
    result.summarise()
    try:
        write_run(result, out_dir, name=name, extra_manifest=extra)
    except (RunError, OSError):
        if is_run_dir(final):  # a duplicate attempt of the same task finished first
            return {"name": name, "skipped": True, "wall_s": time.perf_counter() - t0}
        raise
    return {"name": name, "skipped": False, "wall_s": time.perf_counter() - t0}


def _task_args(plan: SweepPlan, spec: RunSpec, out_dir: Path) -> tuple[Any, ...]:
    point = plan.points[spec.point]
    extra = {"sweep": {
        "scenario": plan.scenario,
        "point": spec.point,
        "overrides": {p: v for p, v in point.overrides},
        "set": list(plan.base_overrides),
        "replication": spec.replication,
        "key": point.key,
    }}
    return (point.raw, plan.source, point.seed, spec.replication, str(out_dir), spec.name,
            extra)


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    dump_json(tmp, data)
    os.replace(tmp, path)


def _clean_stale(out_dir: Path, names: set[str]) -> None:
    """Remove half-written temporaries of this sweep's runs left by a killed worker."""
    for tmp in out_dir.glob(".tmp-*"):
        stem = tmp.name[len(".tmp-"):].rsplit("-", 1)[0]
        if stem in names:
            shutil.rmtree(tmp, ignore_errors=True)


def run_sweep(
    plan: SweepPlan,
    out_dir: str | Path,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    on_done: Callable[[str], None] | None = None,
) -> SweepOutcome:
    """Run every missing run of ``plan`` into ``out_dir``.

    Parameters
    ----------
    plan : SweepPlan
        Validated plan from :func:`sim.sweep.grid.build_plan`.
    out_dir : path
        Folder holding one run directory per grid point x replication (and ``sweep.json``).
    workers : int, optional
        Worker processes of the local cluster (default: CPU count, at most the number of
        runs). ``0`` runs in this process without Dask.
    scheduler : str, optional
        Address of an existing Dask scheduler (workers must see ``out_dir``).
    progress : bool
        Show a progress bar.
    on_done : callable, optional
        Called with each finished run's name (as runs complete).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specs = plan.runs()
    names = {s.name for s in specs}
    _clean_stale(out, names)
    write_json_atomic(out / PLAN_FILE, {**plan.describe(), "runs": [s.name for s in specs]})
    outcome = SweepOutcome(out)
    todo = []
    for s in specs:
        if is_run_dir(out / s.name):
            outcome.skipped.append(s.name)
        else:
            todo.append(s)
    t0 = time.perf_counter()
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="run", desc=f"sweep {plan.scenario}")
        if outcome.skipped:
            bar.set_postfix_str(f"{len(outcome.skipped)} done before")

    def done(name: str, error: str | None) -> None:
        if error is None:
            outcome.ran.append(name)
        else:
            outcome.failed[name] = error
        if bar is not None:
            bar.update(1)
        if on_done is not None and error is None:
            on_done(name)

    try:
        if todo and (workers == 0 and scheduler is None):
            for s in todo:
                try:
                    run_one(*_task_args(plan, s, out))
                except FleetTwinError as exc:
                    done(s.name, str(exc))
                else:
                    done(s.name, None)
        elif todo:
            _run_dask(plan, todo, out, workers, scheduler, done)
    finally:
        if bar is not None:
            bar.close()
    outcome.wall_s = time.perf_counter() - t0
    return outcome


def _run_dask(plan: SweepPlan, todo: list[RunSpec], out: Path, workers: int | None,
              scheduler: str | None, done: Callable[[str, str | None], None]) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    if not log.isEnabledFor(logging.INFO):
        # dask configures its loggers at INFO; keep a sweep's output to the progress bar
        for name in ("distributed", "dask"):
            logging.getLogger(name).setLevel(logging.WARNING)
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise FleetTwinError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    else:
        n = workers or min(os.cpu_count() or 1, len(todo))
        cluster = LocalCluster(n_workers=max(1, n), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        futures = {}
        for s in todo:
            fut = client.submit(run_one, *_task_args(plan, s, out), key=f"sweep-{s.name}",
                                pure=False, retries=0)
            futures[fut.key] = (fut, s.name)
        for fut in as_completed([f for f, _ in futures.values()]):
            name = futures[fut.key][1]
            try:
                fut.result()
            except FleetTwinError as exc:
                done(name, str(exc))
            except Exception as exc:  # a broken run must not stop the others
                done(name, f"{type(exc).__name__}: {exc}")
            else:
                done(name, None)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
