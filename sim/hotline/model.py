"""The hotline model: Poisson calls, agents as a :class:`simpy.Resource`, FCFS queue or loss.

Arrival times and handling times are drawn up front from their own named streams, call by
call in arrival order, so two scenarios that differ only in staffing see the same calls
(common random numbers) and adding agents never shifts the demand.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import simpy

from sim.engine.registry import Context, ModelKind, register_model
from sim.errors import Problem
from sim.hotline.measure import ratio, window_stats
from sim.hotline.schema import HotlineScenario
from sim.schema.distributions import mean_of, sample
from sim.schema.profiles import ProfileBase, ProfileCatalog

KPIS = {
    "calls": "calls arriving in the measured window [warmup_s, horizon_s)",
    "answered": "of those, calls an agent picked up",
    "blocked": "of those, calls turned away because every agent was busy",
    "blocking_rate": "blocked / calls (Erlang B for when_busy: lost)",
    "wait_prob": "share of calls that waited for an agent (Erlang C for when_busy: queue)",
    "wait_mean_s": "mean wait of calls not turned away, seconds",
    "wait_p95_s": "95th percentile of the wait of calls not turned away, seconds",
    "service_level": "share of calls answered within answer_within_s",
    "queue_mean": "time-average number of callers waiting",
    "busy_mean": "time-average number of busy agents",
    "utilisation": "busy_mean / agents",
    "unanswered": "calls still waiting when the simulation ended (should be 0)",
    "arrival_rate_per_h": "measured call arrivals per hour in the window",
}


def poisson_arrivals(rng: np.random.Generator, rate_per_s: float, horizon_s: float) -> np.ndarray:
    """Arrival times of a Poisson process on ``[0, horizon_s)``, drawn in vector chunks."""
    out: list[np.ndarray] = []
    t = 0.0
    chunk = max(16, int(rate_per_s * horizon_s * 1.05) + 16)
    while t < horizon_s:
        times = t + np.cumsum(rng.exponential(1.0 / rate_per_s, chunk))
        out.append(times)
        t = float(times[-1])
    arr = np.concatenate(out) if out else np.empty(0)
    return arr[arr < horizon_s]


class HotlineModel:
    """One replication of the hotline."""

    def __init__(self, ctx: Context):
        s: HotlineScenario = ctx.scenario
        self.ctx, self.s, self.env = ctx, s, ctx.env
        self.agents = simpy.Resource(ctx.env, capacity=s.agents)
        self.arrival_s = poisson_arrivals(
            ctx.rng.stream("hotline.arrivals"), s.calls.per_h / 3600.0, s.horizon_s
        )
        n = self.arrival_s.size
        self.handle_s = np.maximum(
            np.asarray(sample(s.calls.handle_s, ctx.rng.stream("hotline.handling"), n), float),
            0.0,
        )
        self.answered_s = np.full(n, math.nan)
        self.blocked = np.zeros(n, bool)
        self.events_processed = 0
        self._lost = s.when_busy == "lost"

    def start(self) -> None:
        self.env.process(self._arrivals())

    def end_time(self) -> float:
        return self.s.horizon_s + self.s.drain_s

    def _arrivals(self) -> Any:
        env, agents = self.env, self.agents
        prev = 0.0
        for i, t in enumerate(self.arrival_s.tolist()):
            yield env.timeout(t - prev)
            prev = t
            if self._lost and agents.count >= agents.capacity:
                self.blocked[i] = True
                continue
            req = agents.request()
            req.callbacks.append(self._answer_cb(i, req))

    def _answer_cb(self, i: int, req: simpy.Event) -> Any:
        def answered(_: simpy.Event) -> None:
            self.answered_s[i] = self.env.now
            done = self.env.timeout(self.handle_s[i])
            done.callbacks.append(lambda _e: self.agents.release(req))  # type: ignore[arg-type]

        return answered

    def finish(self) -> dict[str, float]:
        s = self.s
        end = self.end_time()
        # a call answered after the end never happened in this replication
        self.answered_s[self.answered_s > end] = math.nan
        answered = ~np.isnan(self.answered_s)
        # SimPy events that moved a call: arrival, answer, end of handling
        self.events_processed = int(self.arrival_s.size + answered.sum() + np.sum(
            self.answered_s[answered] + self.handle_s[answered] <= end))
        edges = np.linspace(s.warmup_s, s.horizon_s, s.batches + 1)
        b = window_stats(self.arrival_s, self.answered_s, self.handle_s, self.blocked, end,
                         s.answer_within_s, edges)
        self._record_batches(edges, b)
        if s.record_calls:
            self._record_calls(end)
        self._record_series(end)
        width = s.horizon_s - s.warmup_s
        tot = {k: float(v.sum()) for k, v in b.items()}
        waits = self._waits(end, s.warmup_s, s.horizon_s)
        unanswered = int(np.sum(np.isnan(self.answered_s) & ~self.blocked))
        return {
            "calls": tot["calls"],
            "answered": tot["answered"],
            "blocked": tot["blocked"],
            "blocking_rate": ratio(tot["blocked"], tot["calls"]),
            "wait_prob": ratio(tot["waited"], tot["calls"]),
            "wait_mean_s": ratio(tot["wait_sum_s"], tot["calls"] - tot["blocked"]),
            "wait_p95_s": float(np.quantile(waits, 0.95)) if waits.size else math.nan,
            "service_level": ratio(tot["within"], tot["calls"]),
            "queue_mean": tot["queue_s"] / width,
            "busy_mean": tot["busy_s"] / width,
            "utilisation": tot["busy_s"] / width / s.agents,
            "unanswered": float(unanswered),
            "arrival_rate_per_h": tot["calls"] / width * 3600.0,
        }

    def _waits(self, end: float, t0: float, t1: float) -> np.ndarray:
        inside = (self.arrival_s >= t0) & (self.arrival_s < t1) & ~self.blocked
        ans = self.answered_s[inside]
        arr = self.arrival_s[inside]
        return np.where(np.isnan(ans), end - arr, ans - arr)

    def _record_batches(self, edges: np.ndarray, b: dict[str, np.ndarray]) -> None:
        width = np.diff(edges)
        offered = b["calls"]
        with np.errstate(invalid="ignore", divide="ignore"):
            self.ctx.recorder.add_table("batches", {
                "batch": np.arange(edges.size - 1),
                "t_start_s": edges[:-1],
                "t_end_s": edges[1:],
                "calls": offered.astype(np.int64),
                "blocked": b["blocked"].astype(np.int64),
                "blocking_rate": b["blocked"] / offered,
                "wait_prob": b["waited"] / offered,
                "wait_mean_s": b["wait_sum_s"] / (offered - b["blocked"]),
                "service_level": b["within"] / offered,
                "queue_mean": b["queue_s"] / width,
                "busy_mean": b["busy_s"] / width,
            })

    def _record_calls(self, end: float) -> None:
        status = np.where(self.blocked, "blocked",
                          np.where(np.isnan(self.answered_s), "waiting", "answered"))
        wait = np.where(self.blocked, 0.0, np.where(np.isnan(self.answered_s),
                                                    end - self.arrival_s,
                                                    self.answered_s - self.arrival_s))
        self.ctx.recorder.add_table("calls", {
            "call": np.arange(self.arrival_s.size),
            "arrival_s": self.arrival_s,
            "answered_s": self.answered_s,
            "wait_s": wait,
            "handle_s": self.handle_s,
            "status": status.astype(object),
        })

    def _record_series(self, end: float) -> None:
        s = self.s
        edges = np.arange(0.0, end + s.record_interval_s, s.record_interval_s)
        edges[-1] = max(edges[-1], end)
        b = window_stats(self.arrival_s, self.answered_s, self.handle_s, self.blocked, end,
                         s.answer_within_s, edges)
        width = np.diff(edges)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.ctx.recorder.add_series("hotline", {
                "t_s": edges[:-1],
                "calls": b["calls"].astype(np.int64),
                "blocked": b["blocked"].astype(np.int64),
                "answered_within": b["within"].astype(np.int64),
                "wait_mean_s": b["wait_sum_s"] / (b["calls"] - b["blocked"]),
                "busy_mean": b["busy_s"] / width,
                "queue_mean": b["queue_s"] / width,
            })


def prepare(
    scenario: HotlineScenario, catalog: ProfileCatalog, source: str
) -> tuple[dict[str, ProfileBase], list[Problem]]:
    """The hotline uses no hardware profiles; check what the schema alone cannot."""
    problems: list[Problem] = []
    handle = scenario.calls.handle_s
    mean = mean_of(handle)
    if not mean > 0:
        problems.append(Problem("calls.handle_s", "mean handling time must be > 0 s",
                                handle if isinstance(handle, float | int) else mean))
    return {}, problems


register_model(ModelKind(
    kind="hotline",
    scenario_cls=HotlineScenario,
    build=HotlineModel,
    kpis=KPIS,
    prepare=prepare,
    description="7x24 customer-service hotline: Poisson calls, agents, queue or blocked calls lost",
))
