"""The rollout year as a SimPy model: launch waves open provinces, crews work day by day.

Processes: one per launch batch (a province may take orders from its on-sale date) and a
daily one that, every working morning, hands each installer team of every open province the
visits of the orders placed so far and lets it plan its day (:mod:`sim.rollout.crews`). Orders come from the
Bass model up front (:mod:`sim.rollout.adoption`); platform load, hotline and money are
worked out from the record at the end (:mod:`sim.rollout.outcome`).
"""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from sim.economics.tariffs import PACKAGES
from sim.engine.registry import Context, ModelKind, register_model
from sim.errors import Problem
from sim.rollout.adoption import generate_orders
from sim.rollout.checks import check_scenario
from sim.rollout.crews import DayPlan, Travel, solve_job
from sim.rollout.kpis import KPIS
from sim.rollout.outcome import finish_record
from sim.rollout.plan import BY_NAME
from sim.rollout.record import DAY_S, RolloutRecord
from sim.rollout.schema import RolloutScenario
from sim.rollout.visits import make_visits
from sim.schema.profiles import ProfileBase, ProfileCatalog


def province_crews(s: RolloutScenario) -> np.ndarray:
    """Crews per province after the what-if factor (at least one where there is a target)."""
    out = []
    for spec in s.provinces.values():
        base = spec.crews if spec.crews is not None else \
            s.installation.crews_per_10k * spec.target_10k
        c = int(round(base * s.installation.crew_factor))
        out.append(max(c, 1 if spec.target_10k > 0 and s.installation.crew_factor > 0 else 0))
    return np.array(out, np.int64)


def launch_table(s: RolloutScenario) -> tuple[np.ndarray, list[str]]:
    """On-sale time (s) and batch label of each province."""
    on_sale = np.full(len(s.provinces), np.nan)
    label = [""] * len(s.provinces)
    names = list(s.provinces)
    for b in s.launch.batches:
        members = [p for p in names if p in b.provinces] if not b.rest else \
            [p for i, p in enumerate(names) if np.isnan(on_sale[i]) or p in b.provinces]
        for p in members:
            i = names.index(p)
            if np.isnan(on_sale[i]):
                on_sale[i] = s.date_s(b.on_sale)
                label[i] = b.label or b.name
    return on_sale, label


class RolloutModel:
    """One replication of the rollout year."""

    def __init__(self, ctx: Context):
        s: RolloutScenario = ctx.scenario
        self.ctx, self.s, self.env = ctx, s, ctx.env
        self.names = list(s.provinces)
        self.on_sale_s, self.batch = launch_table(s)
        self.crews = province_crews(s)
        size = s.installation.team_size
        self.teams = np.maximum(1, -(-self.crews // size))
        self.packages = list(PACKAGES)
        t0 = time.perf_counter()
        self.orders = generate_orders(s, self.on_sale_s, self.teams, self.packages, ctx.rng)
        self.visits = make_visits(s, self.orders)
        ctx.timings["adoption_s"] = time.perf_counter() - t0
        v, o = self.visits, self.orders
        self.release_s = o.t_s[v.order]
        key = o.province[v.order].astype(np.int64) * 100_000 + o.team[v.order]
        order = np.argsort(key, kind="stable")  # visits of a team, by release time
        self.team_visits: dict[int, np.ndarray] = {}
        bounds = np.flatnonzero(np.diff(key[order])) + 1
        for chunk in np.split(order, bounds):
            if chunk.size:
                self.team_visits[int(key[chunk[0]])] = chunk
        self.pending: dict[int, list[int]] = {k: [] for k in self.team_visits}
        self.next_i: dict[int, int] = dict.fromkeys(self.team_visits, 0)
        self.days = int(math.ceil(s.horizon_s / DAY_S))
        self.busy_s = np.zeros((len(self.names), self.days))
        inst = s.installation
        self.shift = (int(round(inst.shift_h[0] * 3600)), int(round(inst.shift_h[1] * 3600)))
        self.travel = Travel(inst.travel_kmh, inst.detour)
        self.rejected = 0
        self.routing_s = 0.0
        self.worker_cpu_s = 0.0  # CPU time of the plans made in worker processes
        self.events_processed = 0
        self.launch_log: list[tuple[float, str]] = []
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        for b in self.s.launch.batches:
            self.env.process(self._launch(b.name, self.s.date_s(b.on_sale)))
        self.env.process(self._days())

    def end_time(self) -> float:
        return self.s.horizon_s

    def _launch(self, name: str, at_s: float) -> Any:
        yield self.env.timeout(at_s)
        self.launch_log.append((at_s, name))
        self.events_processed += 1

    def _team_crews(self, i: int, team: int) -> int:
        c, n = int(self.crews[i]), int(self.teams[i])
        return c // n + (1 if team < c % n else 0)

    def _days(self) -> Any:
        """Every working morning, each open province's teams plan their day (in parallel
        processes when ``installation.workers`` > 1; the plans do not depend on it)."""
        s = self.s
        year0 = dt.date(s.year, 1, 1)
        open_i = [i for i in range(len(self.names))
                  if self.crews[i] > 0 and not np.isnan(self.on_sale_s[i])]
        if not open_i:
            return
        first = {i: int(self.on_sale_s[i] // DAY_S) for i in open_i}
        seeds = {i: self.ctx.rng.seed_for(f"routing.{self.names[i]}") for i in open_i}
        for d in range(min(first.values()), self.days):
            yield self.env.timeout(max(0.0, d * DAY_S + self.shift[0] - self.env.now))
            self.events_processed += 1
            if (year0 + dt.timedelta(days=d)).weekday() not in s.installation.working_weekdays:
                continue
            jobs: list[tuple[Any, ...]] = []
            meta: list[tuple[int, int, np.ndarray]] = []
            for i in open_i:
                if d < first[i]:
                    continue
                for team in range(int(self.teams[i])):
                    key = i * 100_000 + team
                    if key not in self.team_visits:
                        continue
                    job = self._job(i, team, key, (seeds[i] + 7919 * d + team) % (2**31 - 1))
                    if job is not None:
                        jobs.append(job[1])
                        meta.append((i, key, job[0]))
            t0 = time.perf_counter()
            plans = self._map(jobs)
            self.routing_s += time.perf_counter() - t0
            for (i, key, cand), plan in zip(meta, plans, strict=True):
                self._apply(i, key, d, cand, plan)
                if s.installation.workers > 1:
                    self.worker_cpu_s += plan.cpu_s

    def _map(self, jobs: list[tuple[Any, ...]]) -> list[DayPlan]:
        workers = self.s.installation.workers
        # a daemonic process (e.g. a sweep worker) may not start processes: plan here
        if workers <= 1 or len(jobs) < 2 or multiprocessing.current_process().daemon:
            return [solve_job(j) for j in jobs]
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        chunk = max(1, len(jobs) // (4 * workers))
        return list(self._pool.map(solve_job, jobs, chunksize=chunk))

    def _job(self, i: int, team: int, key: int,
             seed: int) -> tuple[np.ndarray, tuple[Any, ...]] | None:
        """The team's candidates today (oldest first) and the arguments of its plan."""
        s, v = self.s, self.visits
        mine, pending = self.team_visits[key], self.pending[key]
        now = self.env.now
        j = self.next_i[key]
        stop = int(np.searchsorted(self.release_s[mine], now, side="right"))
        pending.extend(mine[j:stop].tolist())
        self.next_i[key] = stop
        if not pending:
            return None
        crews = self._team_crews(i, team)
        budget = s.installation.plan_factor * crews * (self.shift[1] - self.shift[0])
        cand = np.array(pending, np.int64)
        k = max(1, int(np.searchsorted(np.cumsum(v.service_s[cand]), budget)))
        cand = cand[:k]
        xy = np.column_stack([self.orders.x_km[v.order[cand]], self.orders.y_km[v.order[cand]]])
        age = np.floor((now - self.release_s[cand]) / DAY_S)
        return cand, (xy, v.service_s[cand], v.early_s[cand], v.late_s[cand], age, crews,
                      self.shift, self.travel, s.installation.iterations, seed)

    def _apply(self, i: int, key: int, day: int, cand: np.ndarray, plan: DayPlan) -> None:
        v = self.visits
        self.rejected += plan.rejected_routes
        done: set[int] = set()
        base = day * DAY_S
        for r, route in enumerate(plan.routes):
            for st in route:
                g = int(cand[st.visit])
                v.start_s[g] = base + st.start_s
                v.end_s[g] = base + st.end_s
                v.crew[g] = r
                done.add(g)
        self.busy_s[i, day] += plan.busy_s
        if done:
            self.pending[key] = [g for g in self.pending[key] if g not in done]

    def finish(self) -> dict[str, float]:
        s = self.s
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self.ctx.timings["routing_s"] = self.routing_s
        self.ctx.timings["routing_worker_cpu_s"] = self.worker_cpu_s
        ready = s.date_s(s.launch.teams_ready)
        year0 = dt.date(s.year, 1, 1)
        work = np.array([(year0 + dt.timedelta(days=d)).weekday() in
                         s.installation.working_weekdays for d in range(self.days)])
        first = int(ready // DAY_S)
        rec = RolloutRecord(
            year=s.year, provinces=self.names, batch=self.batch, on_sale_s=self.on_sale_s,
            target_boxes=np.array([round(p.target_10k * 1e4) for p in s.provinces.values()],
                                  np.int64),
            north=np.array([BY_NAME[p].north for p in self.names]), crews=self.crews,
            working_days=np.full(len(self.names), int(work[first:].sum())),
            shift_s=float(self.shift[1] - self.shift[0]), orders=self.orders,
            visits=self.visits, busy_s=self.busy_s, packages=self.packages,
            rejected_routes=self.rejected, days=self.days)
        return finish_record(s, rec, self.ctx)


def prepare(scenario: RolloutScenario, catalog: ProfileCatalog,
            source: str) -> tuple[dict[str, ProfileBase], list[Problem]]:
    """The rollout uses no hardware profiles; check what the schema alone cannot."""
    return {}, check_scenario(scenario)


register_model(ModelKind(
    kind="iptv_rollout",
    scenario_cls=RolloutScenario,
    build=RolloutModel,
    kpis=KPIS,
    prepare=prepare,
    description="IPTV rollout year: launch batches, Bass adoption, installer crews (PyVRP), "
                "platform, hotline, money",
))
