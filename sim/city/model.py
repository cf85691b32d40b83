"""The city fleet model: SimPy orders requests, dispatch rounds and every stop of every vehicle.

Vehicles live in NumPy arrays (state, node, counters); their schedules and the requests are
kept by the dispatch engine (:mod:`sim.dispatch.engine`), which executes the schedules as
chains of SimPy timeouts (leg to the next stop, service there, next leg) and diverts vehicles
when a dispatcher re-plans them. This model adds what a city fleet has beyond dispatch:
drivers' shifts and driving limits, breakdowns and repairs, what idle vehicles do, the state
log and the KPIs, computed at the end over requests created in ``[warmup_s, horizon_s)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim.city import demand as demand_mod
from sim.city.fleet import FleetArrays, build_fleet
from sim.city.kpis import KPI_MEANINGS, compute_kpis
from sim.city.network import RoadNetwork, osm_network, synthetic_network
from sim.city.paths import default_cache_dir
from sim.city.prepare import check_network, prepare_scenario
from sim.city.schema import CityScenario, SumoNetwork, SyntheticCity
from sim.city.state import (
    BUSY,
    IDLE,
    MAINTENANCE,
    OFF_SHIFT,
    REPOSITIONING,
    STATES,
    TO_PICKUP,
)
from sim.city.travel import build_travel_times
from sim.dispatch import engine as eng
from sim.dispatch import get_dispatcher
from sim.dispatch.rebalance import DemandForecast
from sim.dispatch.schedule import GOODS, N_LOAD, REQUESTS, RIDERS, Requests
from sim.engine.registry import Context, ModelKind, register_model
from sim.errors import Problem, ScenarioError
from sim.schema.distributions import sample

if TYPE_CHECKING:
    import networkx as nx

OPEN, ASSIGNED, SERVED, ABANDONED, REJECTED = 1, 2, 3, 4, 5
STATUS_NAMES = np.array(eng.STATUS_NAMES, dtype=object)
_ENGINE_STATE = {eng.IDLE: IDLE, eng.TO_PICKUP: TO_PICKUP, eng.BUSY: BUSY,
                 eng.REPOSITIONING: REPOSITIONING}


class CityModel:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        sc: CityScenario = ctx.scenario
        self.sc = sc
        self.env: simpy.Environment = ctx.env
        t0, c0 = time.perf_counter(), time.process_time()
        net_cfg = sc.world.network
        self.sumo_case = None
        self._graph: nx.DiGraph | None = None
        if isinstance(net_cfg, SyntheticCity):  # arrays only; the graph if someone asks
            self.net = synthetic_network(net_cfg, ctx.rng.stream("network"),
                                         sc.world.origin_lonlat)
        else:
            if isinstance(net_cfg, SumoNetwork):
                from sim.sumo.case import apply_case, load_case

                self.sumo_case = load_case(net_cfg.path, net_cfg.routes, ctx.source)
                sc = self.sc = apply_case(sc, self.sumo_case)
                self.net = self.sumo_case.road_network(sc.world.origin_lonlat)
            else:
                self._graph = osm_network(net_cfg, ctx.source)
                self.net = RoadNetwork.from_graph(self._graph, sc.world.origin_lonlat)
        ctx.timings["network_build_s"] = time.perf_counter() - t0
        ctx.timings["network_build_cpu_s"] = time.process_time() - c0
        cache = (ctx.cache_dir or default_cache_dir()) if sc.world.cache_paths else None
        c0 = time.process_time()
        self.travel = build_travel_times(self.net, sc.world, ctx.source, cache, ctx.timings)
        ctx.timings["shortest_paths_cpu_s"] = time.process_time() - c0

        start_clock = sc.start_time_s
        init = ctx.initial_state
        if init is not None:
            start_clock = float(init.t0_s) % 86400.0
        self.start_clock = start_clock
        self._use_period(start_clock)
        zones, problems = demand_mod.zone_nodes(sc.demand, self.net)
        problems += check_network(self.sc, self.net)
        if problems:
            raise ScenarioError(ctx.source, problems)
        svc = sc.policies.service
        self.stop_nodes = {name: self.net.nearest_node(x * 1000, y * 1000)
                           for name, (x, y) in svc.stops.items()}
        t0, c0 = time.perf_counter(), time.process_time()
        self.req = demand_mod.generate(sc.demand, self.net, self.table, zones, sc.horizon_s,
                                       start_clock, ctx.rng.stream("demand"), self.stop_nodes)
        ctx.timings["demand_s"] = time.perf_counter() - t0
        ctx.timings["demand_cpu_s"] = time.process_time() - c0  # CPU of every thread
        self.fleet: FleetArrays = build_fleet(sc, ctx.profiles, self.net, zones, start_clock,
                                              init, ctx.rng.stream("placement"))
        disp = sc.policies.dispatch
        params: dict[str, Any] = dict(disp.params)
        if disp.batch_window_s is not None:
            params["batch_window_s"] = disp.batch_window_s
        if disp.max_pickup_s is not None:
            params["max_pickup_s"] = disp.max_pickup_s
        self.dispatcher = get_dispatcher(disp.algorithm, **params)
        self._check_routing(disp.algorithm)
        self.rebalancing = hasattr(self.dispatcher, "reposition") and sc.demand.requests is None
        if self.rebalancing:
            w = demand_mod.node_weights(sc.demand, self.net.n_nodes, zones, dest=False)
            self.cells = demand_mod.cell_grid(self.net, w, int(getattr(self.dispatcher, "cells",
                                                                      8)))
        self.engine = self._build_engine()
        self.events_processed = 0
        self.log_t: list[float] = []
        self.log_v: list[int] = []
        self.log_state: list[int] = []
        self.log_node: list[int] = []
        self.log_req: list[int] = []
        self.log_odo: list[float] = []
        self.log_fuel: list[float] = []
        # Driven legs: start, end, vehicle, km, request of the stop it led to (-1: a move),
        # riders on board, empty (nothing on board).
        self.legs: list[tuple[float, float, int, float, int, float, bool]] = []
        self.stop_times: list[float] = []
        self.pickup_km = np.zeros(len(self.req))
        self.samples: list[tuple[Any, ...]] = []
        self.repair_rng = ctx.rng.stream("repairs")
        self.failure_rng = ctx.rng.stream("failures")
        self.cruise_rng = ctx.rng.stream("cruise")
        idle = sc.policies.idle
        self.stand_nodes = np.array([self.net.nearest_node(x * 1000, y * 1000)
                                     for x, y in idle.stands], dtype=np.int64)
        self.home = self.fleet.node.copy()

    @property
    def graph(self) -> nx.DiGraph:
        """The road network as a graph (made from the arrays on first use for synthetic
        cities)."""
        if self._graph is None:
            self._graph = self.net.to_graph()
        return self._graph

    # ------------------------------------------------------------ travel times
    def _use_period(self, clock_s: float) -> None:
        """Travel times of the speed period in force at ``clock_s`` (time of day)."""
        self.table = self.travel.at(clock_s)
        self.T = self.table.time_s
        self.D = self.table.dist_m

    def _check_routing(self, algorithm: str) -> None:
        """Networks answered by search serve the dispatchers over idle vehicles only."""
        if self.travel.kind != "search":
            return
        if bool(getattr(self.dispatcher, "uses_schedules", False)) or \
                hasattr(self.dispatcher, "reposition"):
            raise ScenarioError(self.ctx.source, [Problem(
                "policies.dispatch.algorithm",
                f"plans over schedules and rebalancing need travel-time tables, which this "
                f"network ({self.net.n_nodes:,} nodes) is too large for: use nearest_idle or "
                f"batch_matching", algorithm)])

    def _retime_trips(self) -> None:
        """Direct ride times at each request's own time of day (when speeds vary)."""
        tt, r = self.travel, self.req
        if len(tt.backends) == 1 or not len(r):
            return
        period = tt.period_of(self.start_clock + r.created_s)
        to = np.where(r.destination >= 0, r.destination, r.origin)
        for p in np.unique(period).tolist():
            k = np.flatnonzero(period == p)
            b = tt.backends[p]
            r.trip_s[k] = np.where(r.destination[k] >= 0,
                                   b.time_s[r.origin[k], to[k]].astype(float), 0.0)
            r.trip_km[k] = np.where(r.destination[k] >= 0,
                                    b.dist_m[r.origin[k], to[k]].astype(float) / 1000.0, 0.0)

    def _speed_changes(self):  # type: ignore[no-untyped-def]
        """Swap the travel times at every hour boundary where the speed period changes."""
        while True:
            wait = self.travel.speeds.next_change_s(self.start_clock + self.env.now)
            if not np.isfinite(wait) or self.env.now + wait > self.sc.horizon_s:
                return
            yield self.env.timeout(wait)
            self._use_period(self.start_clock + self.env.now)
            self.engine.set_travel_times(self.T, self.table)

    def _build_engine(self) -> eng.DispatchEngine:
        sc, r, f = self.sc, self.req, self.fleet
        T = self.T
        svc = sc.policies.service
        latest = r.latest_pickup_s
        if svc.max_wait_s is not None:
            latest = np.minimum(latest, r.created_s + svc.max_wait_s)
        drop_late = r.dropoff_late_s
        if svc.max_travel_time_alpha is not None:
            beta = float(svc.max_travel_time_beta_s or 0.0)
            drop_late = np.minimum(drop_late, r.created_s + svc.max_travel_time_alpha * r.trip_s
                                   + beta)
        self.no_stop = np.zeros(len(r), dtype=bool)
        walk = np.zeros(len(r))
        if svc.stops and sc.demand.requests is None:
            walk, self.no_stop = demand_mod.snap_to_stops(r, self.net, self.table, svc.stops,
                                                          self.stop_nodes, svc.max_walk_m,
                                                          svc.walk_speed_mps)
        self._retime_trips()
        q = Requests.build(
            r.created_s, r.origin, r.destination, T,
            pickup_window=(np.maximum(r.pickup_early_s, r.created_s + walk), latest),
            dropoff_window=(r.dropoff_early_s, drop_late),
            pickup_service_s=r.pickup_service_s, dropoff_service_s=r.dropoff_service_s,
            riders=r.riders, goods=r.goods_kg, deadline_s=r.deadline_s, urgent=r.urgent,
            priority=r.priority)
        if len(self.travel.backends) > 1:  # direct rides at each request's time of day
            q.direct_s[:] = np.where(q.destination >= 0, r.trip_s, 0.0)
        cap = np.zeros((f.n, N_LOAD))
        cap[:, RIDERS] = f.seats
        cap[:, GOODS] = f.payload_kg
        pooling = bool(getattr(self.dispatcher, "pooling", False))
        cap[:, REQUESTS] = np.inf if pooling else 1.0
        csr = self.net.time_csr
        graph = (csr.indptr.astype(np.int64), csr.indices.astype(np.int64),
                 np.asarray(csr.data, dtype=np.float64))
        e = eng.DispatchEngine(self.env, T, q, self.dispatcher, self, f.n, cap, f.node,
                               graph=graph, tt=self.table)
        if self.travel.kind == "search":  # no pair a dispatcher could accept is cut off
            self.travel.set_bound(self._longest_pickup_s(q))
        if self.no_stop.any():
            e.status[self.no_stop] = eng.REJECTED
            e.closed_s[self.no_stop] = r.created_s[self.no_stop]
        return e

    def _longest_pickup_s(self, q: Requests) -> float:
        if not len(q):
            return 0.0
        longest = float(np.max(q.pickup_late_s - q.created_s))
        return min(longest, float(getattr(self.dispatcher, "max_pickup_s", np.inf)))

    # ------------------------------------------------------------- the engine
    @property
    def open(self) -> list[int]:
        return self.engine.open

    @property
    def immediate(self) -> bool:
        return self.engine.immediate

    @property
    def status(self) -> np.ndarray:
        return self.engine.status

    @property
    def vehicle_of(self) -> np.ndarray:
        return self.engine.vehicle_of

    @property
    def pickup_s(self) -> np.ndarray:
        return self.engine.pickup_s

    @property
    def dropoff_s(self) -> np.ndarray:
        return self.engine.dropoff_s

    def end_time(self) -> float:
        q = self.engine.q
        last = float(np.max(np.minimum(q.pickup_late_s, self.sc.horizon_s + 86400.0))) \
            if len(q) else 0.0
        svc = float(np.max(q.pickup_service_s + q.dropoff_service_s)) if len(q) else 0.0
        return max(self.sc.horizon_s, last) + 2 * float(self.T.max()) + 2 * svc + 1.0

    def start(self) -> None:
        f = self.fleet
        for v in range(f.n):
            self._log(v, int(f.state[v]), -1)
            self.engine.set_state(v, STATES[int(f.state[v])])
        self.sync_available()
        self.engine.start(self.sc.horizon_s)
        if len(self.travel.backends) > 1:
            self.env.process(self._speed_changes())
        self.env.process(self._sampler())
        for proc in f.shift_processes(self.env, self):
            self.env.process(proc)
        for v in range(f.n):
            if f.state[v] == MAINTENANCE:  # a forked fleet may start with cars in the shop
                hours = float(sample(f.repair_time_h[v], self.repair_rng))
                self._after(max(0.0, hours) * 3600.0, self._repaired, v)
            else:
                self._schedule_failure(v, 0.0)

    def _after(self, delay: float, fn: Callable[..., None], *args: int) -> None:
        self.engine.after(delay, fn, *args)

    def _log(self, v: int, state: int, r: int) -> None:
        f = self.fleet
        self.log_t.append(self.env.now)
        self.log_v.append(v)
        self.log_state.append(state)
        self.log_node.append(int(self.engine.node[v]) if hasattr(self, "engine")
                             else int(f.node[v]))
        self.log_req.append(r)
        self.log_odo.append(float(f.odometer_km[v]))
        self.log_fuel.append(float(f.fuel_l[v]))

    def set_state(self, v: int, state: int, r: int = -1) -> None:
        self.fleet.state[v] = state
        self.engine.set_state(v, STATES[state], r)
        self._log(v, state, r)
        self.sync_available(v)

    def sync_available(self, v: int | None = None) -> None:
        f, e = self.fleet, self.engine
        if v is None:
            e.available[:] = f.on_duty & ~f.failure_pending & (f.state != MAINTENANCE) \
                & (f.state != OFF_SHIFT) & (f.driving_s < f.max_driving_s)
            return
        state = f.state[v]
        e.available[v] = bool(f.on_duty[v]) and not f.failure_pending[v] \
            and state != MAINTENANCE and state != OFF_SHIFT \
            and f.driving_s[v] < f.max_driving_s[v]

    def decide(self) -> None:
        self.engine.decide()

    # ---------------------------------------------------- the engine's callbacks
    def vehicle_state(self, v: int, state: str, r: int) -> None:
        self.events_processed += 1
        code = _ENGINE_STATE[state]
        self.fleet.state[v] = code
        self._log(v, code, r)

    def on_leg(self, v: int, a: int, b: int, t0: float, t1: float, r: int,
               load: np.ndarray) -> None:
        f = self.fleet
        km = float(self.D[a, b]) / 1000.0
        f.odometer_km[v] += km
        f.fuel_l[v] += km * f.fuel_l_per_km[v]
        f.driving_s[v] += max(0.0, t1 - t0)
        f.node[v] = b
        empty = load[RIDERS] <= 0 and load[GOODS] <= 0
        if r < 0:
            f.reposition_km[v] += km
        if empty:
            f.empty_km[v] += km
            if r >= 0:
                self.pickup_km[r] += km
        else:
            f.busy_km[v] += km
        self.legs.append((t0, t1, v, km, r, float(load[RIDERS]), bool(empty)))

    def on_stop(self, v: int, kind: int, r: int, node: int, arrive: float, start: float,
                end: float) -> None:
        self.events_processed += 1
        self.fleet.node[v] = node
        self.stop_times.append(start)

    def on_free(self, v: int) -> None:
        """A vehicle finished its schedule: maintenance, end of shift, or idle again."""
        f = self.fleet
        if f.failure_pending[v]:
            f.failure_pending[v] = False
            self._start_repair(v)
        elif not f.on_duty[v] or f.driving_s[v] >= f.max_driving_s[v]:
            self.set_state(v, OFF_SHIFT)
        else:
            if f.state[v] != IDLE:
                self.set_state(v, IDLE)
            if self.immediate and self.engine.open:
                self.decide()
            if f.state[v] == IDLE and self.engine.schedules.n[v] == 0 \
                    and self.engine.mode[v] == 0:
                self._idle_move(v)

    def _idle_move(self, v: int) -> None:
        """What an idle vehicle does, by ``policies.idle``."""
        pol = self.sc.policies.idle
        if pol.policy == "stay" or self.env.now >= self.sc.horizon_s:
            return
        here = int(self.engine.node[v])
        if pol.policy == "depot":
            dest = int(self.home[v])
        elif pol.policy == "stand":
            dest = int(self.stand_nodes[np.argmin(self.T[here, self.stand_nodes])])
        else:
            near = np.flatnonzero(self.T[here] <= pol.cruise_radius_s)
            dest = int(near[self.cruise_rng.integers(near.size)]) if near.size else here
        if dest != here:
            self.engine.move(v, dest)

    # ------------------------------------------------------------ rebalancing
    def forecast(self, now: float, lookahead_s: float) -> DemandForecast | None:
        """Expected requests per map cell over the next ``lookahead_s`` (the engine's
        rebalancing asks; explicit request lists give no forecast)."""
        if not self.rebalancing:
            return None
        cell, share, anchor = self.cells
        expected = share * demand_mod.expected_requests(self.sc.demand,
                                                        self.start_clock + now, lookahead_s)
        return DemandForecast(cell, expected, anchor)

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
            self.sync_available(v)
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
        if ok and self.immediate and self.engine.open:
            self.decide()
        self._schedule_failure(v, self.env.now)

    # ------------------------------------------------------------ recording
    def _sampler(self):  # type: ignore[no-untyped-def]
        step = self.sc.record_interval_s
        t = 0.0
        while t <= self.sc.horizon_s:
            self.engine.expire()
            counts = np.bincount(self.fleet.state, minlength=len(STATES))
            self.samples.append((t, *counts.tolist(), len(self.engine.open)))
            t += step
            yield self.env.timeout(step)

    def finish(self) -> dict[str, float]:
        e = self.engine
        self.ctx.timings["dispatch_s"] = e.decide_s
        self.ctx.timings["insertion_search_s"] = e.search_s
        self.ctx.timings["dispatch_decisions"] = float(e.rounds)
        self.ctx.timings["requests_decided"] = float(e.decided)
        self.ctx.timings["travel_memory_bytes"] = float(self.travel.memory_bytes())
        e.expire()
        still_open = e.status == eng.OPEN
        late = still_open & (e.q.pickup_late_s <= self.env.now)
        e.status[late] = eng.ABANDONED
        e.closed_s[late] = e.q.pickup_late_s[late]
        return compute_kpis(self)


register_model(ModelKind(
    kind="city_fleet",
    scenario_cls=CityScenario,
    build=CityModel,
    kpis=KPI_MEANINGS,
    prepare=prepare_scenario,
    description="vehicles, drivers and dispatch on a city road network",
))
