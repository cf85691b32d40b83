"""Vehicles and drivers as arrays: placement, profiles, shifts and driving-time limits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.city.network import RoadNetwork
from sim.city.schema import CityScenario, Fleet
from sim.city.state import IDLE, MAINTENANCE, OFF_SHIFT, STATES, CityInitialState
from sim.schema.distributions import mean_of
from sim.schema.profiles import ProfileBase

if TYPE_CHECKING:
    import simpy

    from sim.city.model import CityModel


@dataclass
class ShiftGroup:
    vehicles: np.ndarray
    start_h: float
    hours: float


@dataclass
class FleetArrays:
    n: int
    fleet: np.ndarray  # object: fleet name per vehicle
    vehicle_profile: np.ndarray
    terminal_profile: np.ndarray
    driver: np.ndarray
    state: np.ndarray  # int8, see sim.city.state
    node: np.ndarray  # int64
    on_duty: np.ndarray  # bool
    driving_s: np.ndarray
    max_driving_s: np.ndarray
    odometer_km: np.ndarray
    fuel_l: np.ndarray
    empty_km: np.ndarray
    busy_km: np.ndarray
    reposition_km: np.ndarray
    fuel_l_per_km: np.ndarray
    maintenance_cny_per_km: np.ndarray
    failure_rate_per_s: np.ndarray
    failure_pending: np.ndarray
    repair_time_h: list[Any]
    seats: np.ndarray  # riders each vehicle may carry
    payload_kg: np.ndarray  # goods each vehicle may carry
    report_interval_s: np.ndarray  # mean, for telemetry volume
    message_bytes: np.ndarray  # mean
    groups: list[ShiftGroup]
    start_clock: float
    horizon_s: float

    def shift_processes(self, env: simpy.Environment, model: CityModel) -> Iterator[Any]:
        for g in self.groups:
            yield _shift_process(env, model, g, self.start_clock, self.horizon_s)


def _on_duty(clock_s: float, start_h: float, hours: float) -> bool:
    return hours >= 24 or (clock_s - start_h * 3600.0) % 86400.0 < hours * 3600.0


def _shift_process(env: simpy.Environment, model: CityModel, g: ShiftGroup,
                   start_clock: float, horizon_s: float) -> Any:
    first = (g.start_h * 3600.0 - start_clock) % 86400.0
    events: list[tuple[float, int]] = []  # (time, 0=end / 1=start): ends first on ties
    for j in range(-1, int(horizon_s // 86400) + 2):
        s = first + j * 86400.0
        if 0 < s < horizon_s:
            events.append((s, 1))
        e = s + g.hours * 3600.0
        if g.hours < 24 and 0 < e < horizon_s:
            events.append((e, 0))
    f = model.fleet
    for t, kind in sorted(events):
        yield env.timeout(t - env.now)
        model.events_processed += 1
        for v in g.vehicles:
            if kind == 1:
                f.on_duty[v] = True
                f.driving_s[v] = 0.0  # a new driving day
                if f.state[v] == OFF_SHIFT:
                    model.set_state(int(v), IDLE)
            else:
                f.on_duty[v] = False
                if f.state[v] == IDLE:
                    model.set_state(int(v), OFF_SHIFT)
        model.sync_available()
        if kind == 1 and model.immediate and model.open:
            model.decide()


def _split(count: int, shares: list[float]) -> list[int]:
    """Largest-remainder split of ``count`` by ``shares``."""
    w = np.asarray(shares, dtype=float)
    raw = count * w / w.sum()
    out = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - out), kind="stable")[: count - out.sum()]:
        out[i] += 1
    return out.tolist()


def _placement(f: Fleet, net: RoadNetwork, weights: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    if f.start_nodes is not None:
        return np.asarray(f.start_nodes, dtype=np.int64)
    if f.placement == "depot":
        assert f.depot_km is not None
        node = net.nearest_node(f.depot_km[0] * 1000, f.depot_km[1] * 1000)
        return np.full(f.count, node, dtype=np.int64)
    if f.placement == "demand":
        return rng.choice(net.n_nodes, size=f.count, p=weights).astype(np.int64)
    return rng.integers(0, net.n_nodes, size=f.count).astype(np.int64)


def build_fleet(sc: CityScenario, profiles: dict[str, ProfileBase], net: RoadNetwork,
                zones: dict[str, np.ndarray], start_clock: float,
                init: CityInitialState | None, rng: np.random.Generator) -> FleetArrays:
    from sim.city.demand import node_weights

    weights = node_weights(sc.demand, net.n_nodes, zones, dest=False)
    cols: dict[str, list[Any]] = {k: [] for k in (
        "fleet", "vp", "tp", "driver", "node", "maxd", "fuel", "maint", "fail", "repair",
        "report", "msg", "on", "seats", "payload")}
    groups: list[ShiftGroup] = []
    base = 0
    for name, f in sc.fleets.items():
        vp: Any = profiles[f"{name}.vehicle"]
        tp: Any = profiles[f"{name}.terminal"]
        nodes = _placement(f, net, weights, rng)
        sizes = _split(f.count, [s.share for s in f.shifts])
        idx = 0
        for shift, size in zip(f.shifts, sizes, strict=True):
            members = np.arange(base + idx, base + idx + size)
            groups.append(ShiftGroup(members, shift.start_h, shift.hours))
            cols["on"] += [_on_duty(start_clock, shift.start_h, shift.hours)] * size
            idx += size
        for i in range(f.count):
            cols["fleet"].append(name)
            cols["vp"].append(f"{vp.id}@{vp.version}")
            cols["tp"].append(f"{tp.id}@{tp.version}")
            cols["driver"].append(f"{name}-{i:05d}")
            cols["repair"].append(vp.repair_time_h)
        cols["node"].append(nodes)
        cols["maxd"] += [f.max_driving_h * 3600.0] * f.count
        cols["fuel"] += [vp.fuel_l_per_100km / 100.0] * f.count
        cols["maint"] += [vp.maintenance_cny_per_km] * f.count
        cols["seats"] += [float(vp.seats)] * f.count
        cols["payload"] += [float(vp.payload_kg)] * f.count
        cols["fail"] += [vp.failure_rate_per_1000h / 1000.0 / 3600.0] * f.count
        cols["report"] += [mean_of(tp.report_interval_s)] * f.count
        cols["msg"] += [mean_of(tp.message_size_bytes)] * f.count
        base += f.count
    n = base
    node = np.concatenate(cols["node"]).astype(np.int64)
    on_duty = np.array(cols["on"], dtype=bool)
    state = np.where(on_duty, IDLE, OFF_SHIFT).astype(np.int8)
    odo = np.zeros(n)
    fuel = np.zeros(n)
    if init is not None:
        for v, vi in init.vehicles.items():
            if not 0 <= v < n:
                continue
            node[v] = int(vi.node)
            code = STATES.index(vi.state) if vi.state in STATES else IDLE
            if code == MAINTENANCE:
                state[v] = MAINTENANCE
            elif code == OFF_SHIFT:
                state[v], on_duty[v] = OFF_SHIFT, False
            else:
                state[v], on_duty[v] = IDLE, True
            odo[v], fuel[v] = vi.odometer_km, vi.fuel_l
    return FleetArrays(
        n=n,
        fleet=np.array(cols["fleet"], dtype=object),
        vehicle_profile=np.array(cols["vp"], dtype=object),
        terminal_profile=np.array(cols["tp"], dtype=object),
        driver=np.array(cols["driver"], dtype=object),
        state=state,
        node=node,
        on_duty=on_duty,
        driving_s=np.zeros(n),
        max_driving_s=np.array(cols["maxd"]),
        odometer_km=odo,
        fuel_l=fuel,
        empty_km=np.zeros(n),
        busy_km=np.zeros(n),
        reposition_km=np.zeros(n),
        fuel_l_per_km=np.array(cols["fuel"]),
        maintenance_cny_per_km=np.array(cols["maint"]),
        failure_rate_per_s=np.array(cols["fail"]),
        failure_pending=np.zeros(n, dtype=bool),
        repair_time_h=cols["repair"],
        seats=np.array(cols["seats"], dtype=float),
        payload_kg=np.array(cols["payload"], dtype=float),
        report_interval_s=np.array(cols["report"]),
        message_bytes=np.array(cols["msg"]),
        groups=groups,
        start_clock=start_clock,
        horizon_s=sc.horizon_s,
    )
