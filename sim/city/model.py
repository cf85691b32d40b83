"""The city fleet model: SimPy orders requests, dispatch rounds, pickups and drop-offs.

Vehicles live in NumPy arrays (state, node, counters); each trip is a chain of two SimPy
timeouts (reach pickup, reach drop-off). Dispatchers see open requests and idle vehicles as
arrays and return assignments. KPIs are computed at the end from the request arrays and the
vehicle state log, over requests created in ``[warmup_s, horizon_s)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from sim.city import demand as demand_mod
from sim.city.fleet import FleetArrays, build_fleet
from sim.city.kpis import KPI_MEANINGS, compute_kpis
from sim.city.network import RoadNetwork, osm_network, synthetic_city
from sim.city.paths import default_cache_dir, travel_table
from sim.city.schema import CityScenario, SyntheticCity
from sim.city.state import (
    BUSY,
    IDLE,
    MAINTENANCE,
    OFF_SHIFT,
    REPOSITIONING,
    STATES,
    TO_PICKUP,
)
from sim.dispatch import DISPATCHERS, FleetView, RequestView, get_dispatcher
from sim.dispatch.rebalance import DemandForecast
from sim.engine.registry import Context, ModelKind, register_model
from sim.errors import Problem, ScenarioError
from sim.schema.distributions import sample
from sim.schema.profiles import ProfileBase, ProfileCatalog

OPEN, ASSIGNED, SERVED, ABANDONED = range(4)
STATUS_NAMES = np.array(["open", "assigned", "served", "abandoned"], dtype=object)


class CityModel:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        sc: CityScenario = ctx.scenario
        self.sc = sc
        self.env: simpy.Environment = ctx.env
        t0 = time.perf_counter()
        net_cfg = sc.world.network
        if isinstance(net_cfg, SyntheticCity):
            graph = synthetic_city(net_cfg, ctx.rng.stream("network"))
        else:
            graph = osm_network(net_cfg, ctx.source)
        self.graph = graph
        self.net = RoadNetwork.from_graph(graph, sc.world.origin_lonlat)
        ctx.timings["network_build_s"] = time.perf_counter() - t0
        cache = (ctx.cache_dir or default_cache_dir()) if sc.world.cache_paths else None
        self.table = travel_table(self.net, cache, ctx.timings)
        self.T = self.table.time_s
        self.D = self.table.dist_m

        start_clock = sc.start_time_s
        init = ctx.initial_state
        if init is not None:
            start_clock = float(init.t0_s) % 86400.0
        self.start_clock = start_clock
        zones, problems = demand_mod.zone_nodes(sc.demand, self.net)
        problems += self._check_nodes()
        if problems:
            raise ScenarioError(ctx.source, problems)
        t0 = time.perf_counter()
        self.req = demand_mod.generate(sc.demand, self.net, self.table, zones, sc.horizon_s,
                                       start_clock, ctx.rng.stream("demand"))
        ctx.timings["demand_s"] = time.perf_counter() - t0
        self.fleet: FleetArrays = build_fleet(sc, ctx.profiles, self.net, zones, start_clock,
                                              init, ctx.rng.stream("placement"))
        disp = sc.policies.dispatch
        params: dict[str, Any] = dict(disp.params)
        if disp.batch_window_s is not None:
            params["batch_window_s"] = disp.batch_window_s
        if disp.max_pickup_s is not None:
            params["max_pickup_s"] = disp.max_pickup_s
        self.dispatcher = get_dispatcher(disp.algorithm, **params)
        self.immediate = self.dispatcher.batch_window_s <= 0
        self.rebalancing = hasattr(self.dispatcher, "reposition") and sc.demand.requests is None
        if self.rebalancing:
            w = demand_mod.node_weights(sc.demand, self.net.n_nodes, zones, dest=False)
            self.cells = demand_mod.cell_grid(self.net, w, int(getattr(self.dispatcher, "cells",
                                                                      8)))
        self.moves: list[tuple[float, int, float]] = []  # (start, vehicle, km) repositioning

        m = len(self.req)
        self.status = np.zeros(m, dtype=np.int8)
        self.vehicle_of = np.full(m, -1, dtype=np.int64)
        self.assigned_s = np.full(m, np.nan)
        self.pickup_s = np.full(m, np.nan)
        self.dropoff_s = np.full(m, np.nan)
        self.abandon_s = np.full(m, np.nan)
        self.pickup_km = np.full(m, np.nan)
        self.open: list[int] = []
        self.next_req = 0
        self.events_processed = 0
        self.log_t: list[float] = []
        self.log_v: list[int] = []
        self.log_state: list[int] = []
        self.log_node: list[int] = []
        self.log_req: list[int] = []
        self.log_odo: list[float] = []
        self.log_fuel: list[float] = []
        self.samples: list[tuple[Any, ...]] = []
        self.repair_rng = ctx.rng.stream("repairs")
        self.failure_rng = ctx.rng.stream("failures")

    # ----------------------------------------------------------------- checks
    def _check_nodes(self) -> list[Problem]:
        n = self.net.n_nodes
        problems = []
        for i, r in enumerate(self.sc.demand.requests or []):
            for field in ("origin", "destination"):
                node = getattr(r, field)
                if node >= n:
                    problems.append(Problem(f"demand.requests[{i}].{field}",
                                            f"no such road node (the network has {n})", node))
        for name, f in self.sc.fleets.items():
            for i, node in enumerate(f.start_nodes or []):
                if not 0 <= node < n:
                    problems.append(Problem(f"fleets.{name}.start_nodes[{i}]",
                                            f"no such road node (the network has {n})", node))
        return problems

    # ------------------------------------------------------------- the engine
    def end_time(self) -> float:
        last = float(self.req.latest_pickup_s.max()) if len(self.req) else 0.0
        return max(self.sc.horizon_s, last) + 2 * float(self.T.max()) \
            + 2 * self.sc.demand.dwell_s + 1.0

    def start(self) -> None:
        f = self.fleet
        for v in range(f.n):
            self._log(v, int(f.state[v]), -1)
        if self.immediate:
            self.env.process(self._arrivals())
        else:
            self.env.process(self._batch_loop())
        self.env.process(self._sampler())
        if self.rebalancing:
            self.env.process(self._rebalance_loop())
        for proc in f.shift_processes(self.env, self):
            self.env.process(proc)
        for v in range(f.n):
            if f.state[v] == MAINTENANCE:  # a forked fleet may start with cars in the shop
                hours = float(sample(f.repair_time_h[v], self.repair_rng))
                self._after(max(0.0, hours) * 3600.0, self._repaired, v)
            else:
                self._schedule_failure(v, 0.0)

    def _after(self, delay: float, fn: Callable[..., None], *args: int) -> None:
        """Call ``fn(*args)`` ``delay`` seconds from now, as a SimPy event."""
        ev = self.env.timeout(delay)

        def fire(_event: simpy.Event) -> None:
            fn(*args)

        ev.callbacks.append(fire)

    def _log(self, v: int, state: int, r: int) -> None:
        f = self.fleet
        self.log_t.append(self.env.now)
        self.log_v.append(v)
        self.log_state.append(state)
        self.log_node.append(int(f.node[v]))
        self.log_req.append(r)
        self.log_odo.append(float(f.odometer_km[v]))
        self.log_fuel.append(float(f.fuel_l[v]))

    def set_state(self, v: int, state: int, r: int = -1) -> None:
        self.fleet.state[v] = state
        self._log(v, state, r)

    def _admit(self) -> None:
        now = self.env.now
        created = self.req.created_s
        while self.next_req < created.size and created[self.next_req] <= now:
            self.open.append(self.next_req)
            self.next_req += 1

    def _expire(self) -> None:
        now = self.env.now
        latest = self.req.latest_pickup_s
        keep = []
        for r in self.open:
            if self.status[r] != OPEN:
                continue
            if latest[r] < now:
                self.status[r] = ABANDONED
                self.abandon_s[r] = latest[r]
            else:
                keep.append(r)
        self.open = keep

    def decide(self) -> None:
        """One dispatch decision over all open requests and idle vehicles."""
        self._expire()
        if not self.open:
            return
        idle = np.flatnonzero(self.fleet.state == IDLE)
        if idle.size == 0:
            return
        now = self.env.now
        ids = np.asarray(self.open, dtype=np.int64)
        q = self.req
        rv = RequestView(ids, q.origin[ids], q.created_s[ids], q.latest_pickup_s[ids],
                         q.deadline_s[ids], q.trip_s[ids], q.urgent[ids], q.priority[ids])
        fv = FleetView(idle, self.fleet.node[idle], np.full(idle.size, now))
        for r, v in self.dispatcher.assign(now, rv, fv, self.table):
            self._assign(r, v)
        self.open = [r for r in self.open if self.status[r] == OPEN]

    def _arrivals(self):  # type: ignore[no-untyped-def]
        created = self.req.created_s
        for i in range(created.size):
            dt = created[i] - self.env.now
            if dt > 0:
                yield self.env.timeout(dt)
            self.events_processed += 1
            self._admit()
            self.decide()

    def _batch_loop(self):  # type: ignore[no-untyped-def]
        window = self.dispatcher.batch_window_s
        while True:
            self._admit()
            self.decide()
            self.events_processed += 1
            if self.next_req >= len(self.req) and not self.open:
                return
            yield self.env.timeout(window)

    def _assign(self, r: int, v: int) -> None:
        f = self.fleet
        if self.status[r] != OPEN or f.state[v] != IDLE:
            raise RuntimeError(f"dispatcher {self.dispatcher.name} returned an unavailable "
                               f"pair (request {r}, vehicle {v})")
        now = self.env.now
        a, o = int(f.node[v]), int(self.req.origin[r])
        self.status[r] = ASSIGNED
        self.vehicle_of[r] = v
        self.assigned_s[r] = now
        self.set_state(v, TO_PICKUP, r)
        self._after(float(self.T[a, o]), self._pickup, v, r, a)

    def _drive(self, v: int, a: int, b: int) -> float:
        f = self.fleet
        km = float(self.D[a, b]) / 1000.0
        f.odometer_km[v] += km
        f.fuel_l[v] += km * f.fuel_l_per_km[v]
        f.driving_s[v] += float(self.T[a, b])
        f.node[v] = b
        return km

    def _pickup(self, v: int, r: int, a: int) -> None:
        self.events_processed += 1
        o, d = int(self.req.origin[r]), int(self.req.destination[r])
        self.pickup_km[r] = km = self._drive(v, a, o)
        self.fleet.empty_km[v] += km
        self.pickup_s[r] = self.env.now
        self.set_state(v, BUSY, r)
        dwell = self.sc.demand.dwell_s
        self._after(2 * dwell + float(self.T[o, d]), self._dropoff, v, r, o)

    def _dropoff(self, v: int, r: int, o: int) -> None:
        self.events_processed += 1
        f = self.fleet
        d = int(self.req.destination[r])
        f.busy_km[v] += self._drive(v, o, d)
        self.dropoff_s[r] = self.env.now
        self.status[r] = SERVED
        self.release(v)

    def release(self, v: int) -> None:
        """A vehicle finished its task: maintenance, end of shift, or idle again."""
        f = self.fleet
        if f.failure_pending[v]:
            f.failure_pending[v] = False
            self._start_repair(v)
        elif not f.on_duty[v] or f.driving_s[v] >= f.max_driving_s[v]:
            self.set_state(v, OFF_SHIFT)
        else:
            self.set_state(v, IDLE)
            if self.immediate and self.open:
                self.decide()

    # ------------------------------------------------------------ rebalancing
    def _rebalance_loop(self):  # type: ignore[no-untyped-def]
        d: Any = self.dispatcher
        cell, share, anchor = self.cells
        while self.env.now < self.sc.horizon_s:
            yield self.env.timeout(d.rebalance_interval_s)
            idle = np.flatnonzero(self.fleet.state == IDLE)
            if idle.size < 2:
                continue
            now = self.env.now
            expected = share * demand_mod.expected_requests(
                self.sc.demand, self.start_clock + now, d.lookahead_s)
            forecast = DemandForecast(cell, expected, anchor)
            fv = FleetView(idle, self.fleet.node[idle], np.full(idle.size, now))
            for v, dest in d.reposition(now, fv, forecast, self.table):
                a = int(self.fleet.node[v])
                if dest < 0 or dest == a or self.fleet.state[v] != IDLE:
                    continue
                self.set_state(v, REPOSITIONING)
                self._after(float(self.T[a, dest]), self._repositioned, v, a, int(dest))

    def _repositioned(self, v: int, a: int, b: int) -> None:
        self.events_processed += 1
        km = self._drive(v, a, b)
        self.fleet.empty_km[v] += km
        self.fleet.reposition_km[v] += km
        self.moves.append((self.env.now, v, km))
        self.release(v)

    # --------------------------------------------------------- reliability
    def _schedule_failure(self, v: int, after: float) -> None:
        rate = self.fleet.failure_rate_per_s[v]
        if rate <= 0:
            return
        at = after + self.failure_rng.exponential(1.0 / rate)
        if at >= self.sc.horizon_s:
            return
        self._after(at - self.env.now, self._fail, v)

    def _fail(self, v: int) -> None:
        self.events_processed += 1
        s = self.fleet.state[v]
        if s in (TO_PICKUP, BUSY, REPOSITIONING):
            self.fleet.failure_pending[v] = True
        elif s == MAINTENANCE:
            pass
        else:
            self._start_repair(v)

    def _start_repair(self, v: int) -> None:
        self.set_state(v, MAINTENANCE)
        hours = float(sample(self.fleet.repair_time_h[v], self.repair_rng))
        self._after(max(0.0, hours) * 3600.0, self._repaired, v)

    def _repaired(self, v: int) -> None:
        self.events_processed += 1
        f = self.fleet
        ok = f.on_duty[v] and f.driving_s[v] < f.max_driving_s[v]
        self.set_state(v, IDLE if ok else OFF_SHIFT)
        if ok and self.immediate and self.open:
            self.decide()
        self._schedule_failure(v, self.env.now)

    # ------------------------------------------------------------ recording
    def _sampler(self):  # type: ignore[no-untyped-def]
        step = self.sc.record_interval_s
        t = 0.0
        while t <= self.sc.horizon_s:
            self._expire()
            counts = np.bincount(self.fleet.state, minlength=len(STATES))
            self.samples.append((t, *counts.tolist(), len(self.open)))
            t += step
            yield self.env.timeout(step)

    def finish(self) -> dict[str, float]:
        self._expire()
        still_open = self.status == OPEN
        late = still_open & (self.req.latest_pickup_s <= self.env.now)
        self.status[late] = ABANDONED
        self.abandon_s[late] = self.req.latest_pickup_s[late]
        return compute_kpis(self)


def _prepare(sc: CityScenario, catalog: ProfileCatalog, source: str
             ) -> tuple[dict[str, ProfileBase], list[Problem]]:
    profiles: dict[str, ProfileBase] = {}
    problems: list[Problem] = []
    for name, f in sc.fleets.items():
        for kind, ref, ov, key in (("vehicle", f.vehicle_profile, f.vehicle_overrides, "vehicle"),
                                   ("vehicle_terminal", f.terminal_profile, f.terminal_overrides,
                                    "terminal")):
            try:
                profiles[f"{name}.{key}"] = catalog.resolve(
                    kind, ref, ov, f"fleets.{name}.{key}_profile", source,
                    overrides_field=f"fleets.{name}.{key}_overrides")
            except ScenarioError as exc:
                problems += exc.problems
    disp = sc.policies.dispatch
    if disp.algorithm not in DISPATCHERS:
        problems.append(Problem("policies.dispatch.algorithm",
                                f"unknown dispatcher (known: {', '.join(sorted(DISPATCHERS))})",
                                disp.algorithm))
    else:
        try:
            get_dispatcher(disp.algorithm, **disp.params)
        except TypeError as exc:
            problems.append(Problem("policies.dispatch.params",
                                    f"not accepted by {disp.algorithm}: {exc}", disp.params))
    return profiles, problems


register_model(ModelKind(
    kind="city_fleet",
    scenario_cls=CityScenario,
    build=CityModel,
    kpis=KPI_MEANINGS,
    prepare=_prepare,
    description="vehicles, drivers and dispatch on a city road network",
))
