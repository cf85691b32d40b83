"""A simulation built from a scenario on a :class:`simpy.Environment`, and replications."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import simpy

from sim.engine.intervals import kpi_interval, student_t
from sim.engine.loading import LoadedScenario
from sim.engine.recorder import Recorder
from sim.engine.registry import Context, Model
from sim.engine.rng import RngStreams
from sim.errors import FleetTwinError

_PROGRESS_STEPS = 200


@dataclass
class ReplicationResult:
    replication: int
    seed: int
    kpis: dict[str, float]
    series: dict[str, pa.Table]
    tables: dict[str, pa.Table]
    timings: dict[str, float]
    events_processed: int = 0


@dataclass
class RunResult:
    loaded: LoadedScenario
    seed: int
    replications: list[ReplicationResult]
    wall_s: float
    kpis: dict[str, float] = field(default_factory=dict)
    kpis_ci: dict[str, dict[str, Any]] = field(default_factory=dict)
    sla: list[dict[str, Any]] = field(default_factory=list)

    def summarise(self) -> None:
        """Mean and range-respecting 95% interval of each KPI; SLA verdicts on the interval.

        A KPI that does not apply (NaN in every replication) has mean NaN, written ``null``
        and shown ``n/a``; its interval has ``mean`` None.
        """
        names = list(self.replications[0].kpis)
        self.kpis, self.kpis_ci = {}, {}
        for name in names:
            values = np.array([r.kpis.get(name, math.nan) for r in self.replications], float)
            ci = kpi_interval(name, values)
            self.kpis[name] = math.nan if ci.mean is None else ci.mean
            self.kpis_ci[name] = ci.as_dict()
        self.sla = [s.verdict(self.kpis, self.kpis_ci) for s in self.loaded.scenario.slas]


def confidence_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, Any, Any]:
    """Mean and Student-t interval; the interval is None with fewer than two values.

    For KPIs use :func:`sim.engine.intervals.kpi_interval`, which respects their range.
    """
    return student_t(values, level)


class Simulation:
    """One replication of a scenario."""

    def __init__(
        self,
        loaded: LoadedScenario,
        seed: int | None = None,
        replication: int = 0,
        cache_dir: Path | None = None,
        initial_state: Any = None,
    ):
        self.loaded = loaded
        self.seed = int(loaded.scenario.seed if seed is None else seed)
        self.replication = replication
        self.env = simpy.Environment()
        self.recorder = Recorder()
        self.ctx = Context(
            scenario=loaded.scenario,
            env=self.env,
            rng=RngStreams(self.seed, replication),
            recorder=self.recorder,
            profiles=loaded.profiles,
            cache_dir=cache_dir,
            initial_state=initial_state,
            source=loaded.source,
        )
        t0 = time.perf_counter()
        self.model: Model = loaded.model.build(self.ctx)
        self.ctx.timings.setdefault("build_s", time.perf_counter() - t0)

    def run(self, progress: Any = None) -> ReplicationResult:
        """Run to the model's end time; ``progress`` is a tqdm-like bar over simulated time."""
        t0 = time.perf_counter()
        self.model.start()
        end = float(self.model.end_time())
        if not math.isfinite(end) or end < 0:
            raise FleetTwinError(f"{self.loaded.source}: the model's end time is {end!r}; a "
                                 "run needs a finite horizon")
        step = end / _PROGRESS_STEPS
        now = 0.0
        while now < end:
            now = min(end, now + step)
            self.env.run(until=now)
            if progress is not None:
                progress.update(step)
        t1 = time.perf_counter()
        kpis = self.model.finish()
        t2 = time.perf_counter()
        timings = dict(self.ctx.timings)
        timings["simulate_s"] = t1 - t0
        timings["kpis_s"] = t2 - t1
        events = int(getattr(self.model, "events_processed", 0))
        return ReplicationResult(
            replication=self.replication,
            seed=self.seed,
            kpis={k: float(v) for k, v in kpis.items()},
            series=self.recorder.series_tables(),
            tables=self.recorder.event_tables(),
            timings=timings,
            events_processed=events,
        )


def run_scenario(
    loaded: LoadedScenario,
    seed: int | None = None,
    replications: int | None = None,
    progress: bool = False,
    cache_dir: Path | None = None,
    initial_state: Any = None,
) -> RunResult:
    """Run every replication of a scenario and summarise KPIs and SLAs."""
    seed = int(loaded.scenario.seed if seed is None else seed)
    n = int(replications or loaded.scenario.replications)
    t0 = time.perf_counter()
    results: list[ReplicationResult] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n * _PROGRESS_STEPS, unit="step", desc=loaded.scenario.name,
                   bar_format="{l_bar}{bar}| {percentage:3.0f}% [{elapsed}<{remaining}]")
    try:
        for r in range(n):
            sim = Simulation(loaded, seed, r, cache_dir=cache_dir, initial_state=initial_state)
            scale = _Scaled(bar, _PROGRESS_STEPS / float(sim.model.end_time())) if bar else None
            results.append(sim.run(scale))
    finally:
        if bar is not None:
            bar.close()
    out = RunResult(loaded, seed, results, time.perf_counter() - t0)
    out.summarise()
    return out


class _Scaled:
    """Adapts a bar counted in steps to updates in simulated seconds (never past its share)."""

    def __init__(self, bar: Any, factor: float):
        self.bar, self.factor, self.acc, self.done = bar, factor, 0.0, 0

    def update(self, dt: float) -> None:
        self.acc += dt * self.factor
        whole = min(int(self.acc), _PROGRESS_STEPS - self.done)
        if whole > 0:
            self.bar.update(whole)
            self.acc -= whole
            self.done += whole
