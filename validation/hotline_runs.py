"""Running the hotline scenarios at a chosen load and estimating with batch means.

A load overrides the shipped scenario file (agents, call rate, handling, queue or loss) and
sets its length by the number of calls to simulate. Each replication's measured window is
cut into batches; the batch means of all replications give the estimate and its 95%
Student-t interval. The run goes through the real engine: scenario file, schema, model
registry and :func:`~sim.engine.simulation.run_scenario`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.engine.loading import load_scenario
from sim.engine.simulation import confidence_interval, run_scenario
from validation.registry import CheckResult

#: Measured quantities kept per batch by the hotline model (tables/batches).
BATCH_KPIS = ("blocking_rate", "wait_prob", "wait_mean_s", "service_level", "queue_mean",
              "busy_mean")


@dataclass(frozen=True)
class HotlineLoad:
    """One operating point of the hotline."""

    agents: int
    per_h: float
    calls: int
    """calls to simulate in the measured windows of all replications together"""
    when_busy: str = "queue"
    handle_mean_s: float = 240.0
    handle_sigma: float | None = None
    """None: exponential handling; a number: lognormal with this sigma of the log"""
    seed: int = 1
    replications: int = 4
    batches: int = 10
    warmup_s: float = 6 * 3600.0
    answer_within_s: float = 20.0

    @property
    def scenario(self) -> str:
        return "hotline_support" if self.when_busy == "queue" else "hotline_blocking"

    @property
    def rho(self) -> float:
        return self.per_h / 3600.0 * self.handle_mean_s / self.agents

    @property
    def label(self) -> str:
        dist = "exp" if self.handle_sigma is None else f"lognormal s={self.handle_sigma:g}"
        return f"rho={self.rho:.2f} c={self.agents} {dist}"

    def overrides(self) -> list[tuple[str, Any]]:
        window = self.calls / self.replications / (self.per_h / 3600.0)
        if self.handle_sigma is None:
            handle: dict[str, Any] = {"family": "exponential", "mean": self.handle_mean_s}
        else:
            median = self.handle_mean_s / math.exp(self.handle_sigma**2 / 2)
            handle = {"family": "lognormal", "median": median, "sigma": self.handle_sigma}
        return [
            ("agents", self.agents), ("calls.per_h", self.per_h), ("calls.handle_s", handle),
            ("when_busy", self.when_busy), ("seed", self.seed),
            ("replications", self.replications), ("batches", self.batches),
            ("warmup_s", self.warmup_s), ("horizon_s", self.warmup_s + window),
            ("record_interval_s", 3600.0 * 24), ("answer_within_s", self.answer_within_s),
            ("slas", []), ("record_calls", False),
        ]


@dataclass(frozen=True)
class Estimate:
    """Grand mean of batch means and its 95% interval."""

    mean: float
    low: float
    high: float
    n: int

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass
class HotlineRun:
    load: HotlineLoad
    batches: dict[str, np.ndarray]
    """batch means of every replication, one array per quantity"""
    calls: int
    arrival_per_s: float
    kpis: dict[str, float] = field(default_factory=dict)

    def estimate(self, kpi: str, level: float = 0.95) -> Estimate:
        return batch_estimate(self.batches[kpi], level)


def batch_estimate(values: np.ndarray, level: float = 0.95) -> Estimate:
    """Mean of (approximately independent) batch means and its Student-t interval."""
    values = np.asarray(values, float)
    mean, lo, hi = confidence_interval(values, level)
    n = int(np.sum(~np.isnan(values)))
    return Estimate(mean, math.nan if lo is None else lo, math.nan if hi is None else hi, n)


@functools.lru_cache(maxsize=32)
def simulate(load: HotlineLoad) -> HotlineRun:
    """Run the hotline scenario at ``load``; cached so checks sharing a load run it once."""
    loaded = load_scenario(load.scenario, load.overrides())
    result = run_scenario(loaded)
    per_batch: dict[str, list[np.ndarray]] = {k: [] for k in BATCH_KPIS}
    for rep in result.replications:
        table = rep.tables["batches"]
        for k in BATCH_KPIS:
            per_batch[k].append(table.column(k).to_numpy(zero_copy_only=False))
    batches = {k: np.concatenate(v) for k, v in per_batch.items()}
    calls = int(sum(r.kpis["calls"] for r in result.replications))
    window = (loaded.scenario.horizon_s - loaded.scenario.warmup_s) * len(result.replications)
    return HotlineRun(load, batches, calls, calls / window, dict(result.kpis))


def compare(check: str, expected: float, est: Estimate, rel_tol: float, detail: str = "",
            need_cover: bool = True, ci_label: str = "95% CI") -> CheckResult:
    """Pass when the interval covers ``expected`` and the relative error is within tol."""
    signed = est.mean / expected - 1.0 if expected else est.mean
    rel = abs(signed)
    covered = est.covers(expected)
    passed = bool(rel <= rel_tol and (covered or not need_cover))
    info = f"{ci_label} [{est.low:.5g}, {est.high:.5g}] from {est.n} batch means; " \
           f"rel. error {signed:+.2%}"
    if need_cover and not covered:
        info += "; interval misses the closed form"
    return CheckResult(
        check=check,
        expected=float(expected),
        simulated=float(est.mean),
        tolerance=f"CI covers, <= {rel_tol:.0%}" if need_cover else f"<= {rel_tol:.0%}",
        passed=passed,
        detail=f"{info}; {detail}" if detail else info,
    )
