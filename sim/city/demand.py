"""Trip and task requests: Poisson arrivals from a time-of-day profile over zones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.city.network import RoadNetwork
from sim.city.paths import TravelTable
from sim.city.schema import Demand
from sim.errors import Problem
from sim.schema.distributions import sample


@dataclass
class RequestArrays:
    created_s: np.ndarray
    origin: np.ndarray
    destination: np.ndarray
    urgent: np.ndarray
    priority: np.ndarray
    latest_pickup_s: np.ndarray
    deadline_s: np.ndarray
    trip_s: np.ndarray
    trip_km: np.ndarray
    riders: np.ndarray  # seats taken
    goods_kg: np.ndarray
    pickup_service_s: np.ndarray
    dropoff_service_s: np.ndarray
    pickup_early_s: np.ndarray  # earliest start of the pickup (request time, or a window)
    dropoff_early_s: np.ndarray
    dropoff_late_s: np.ndarray  # inf unless a window or a maximum travel time says otherwise
    origin_stop: np.ndarray  # stop index (-1: door to door)
    destination_stop: np.ndarray

    def __len__(self) -> int:
        return int(self.created_s.size)


def zone_nodes(demand: Demand, net: RoadNetwork) -> tuple[dict[str, np.ndarray], list[Problem]]:
    """Nodes of each named zone; a zone with no road node is unreachable (a problem)."""
    out: dict[str, np.ndarray] = {}
    problems: list[Problem] = []
    for name, z in demand.zones.items():
        nodes = net.nodes_within(z.center_km[0] * 1000, z.center_km[1] * 1000, z.radius_km * 1000)
        if nodes.size == 0:
            w = net.xy_m[:, 0].max() / 1000
            h = net.xy_m[:, 1].max() / 1000
            problems.append(Problem(
                f"demand.zones.{name}.center_km",
                f"zone is unreachable: no road node within {z.radius_km:g} km of it "
                f"(the network spans 0..{w:.1f} km x 0..{h:.1f} km)", list(z.center_km)))
        out[name] = nodes
    return out, problems


def node_weights(demand: Demand, n: int, zones: dict[str, np.ndarray], dest: bool) -> np.ndarray:
    w = np.full(n, demand.background_weight / n)
    for name, z in demand.zones.items():
        mass = z.weight if not dest or z.dest_weight is None else z.dest_weight
        nodes = zones[name]
        if nodes.size:
            w[nodes] += mass / nodes.size
    total = w.sum()
    return w / total if total > 0 else np.full(n, 1.0 / n)


def arrival_times(demand: Demand, horizon_s: float, start_time_s: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Non-homogeneous Poisson arrivals, piecewise constant per clock hour."""
    prof = np.asarray(demand.hourly_profile, dtype=float)
    rate_per_s = demand.requests_per_day * prof / prof.sum() / 3600.0
    out = []
    t = 0.0
    while t < horizon_s:
        clock = start_time_s + t
        hour = int(clock // 3600) % 24
        seg_end = min(horizon_s, (np.floor(clock / 3600) + 1) * 3600 - start_time_s)
        k = rng.poisson(rate_per_s[hour] * (seg_end - t))
        out.append(np.sort(rng.uniform(t, seg_end, k)))
        t = seg_end
    return np.concatenate(out) if out else np.empty(0)


def generate(demand: Demand, net: RoadNetwork, table: TravelTable, zones: dict[str, np.ndarray],
             horizon_s: float, start_time_s: float, rng: np.random.Generator,
             stop_nodes: dict[str, int] | None = None) -> RequestArrays:
    """Requests: the explicit list, or Poisson arrivals over the zones. ``stop_nodes`` maps
    stop names to road nodes (explicit requests may name a stop instead of a node)."""
    n = net.n_nodes
    stop_nodes = stop_nodes or {}
    stop_index = {name: i for i, name in enumerate(stop_nodes)}
    pu_svc = demand.pickup_service_s if demand.pickup_service_s is not None else demand.dwell_s
    do_svc = demand.dropoff_service_s if demand.dropoff_service_s is not None else demand.dwell_s
    if demand.requests is not None:
        reqs = sorted(demand.requests, key=lambda r: r.t_s)
        m = len(reqs)
        created = np.array([r.t_s for r in reqs], dtype=float)

        def end(node: int | None, stop: str | None) -> int:
            return int(stop_nodes[stop]) if stop is not None else int(node)  # type: ignore[arg-type]

        origin = np.array([end(r.origin, r.origin_stop) for r in reqs], dtype=np.int64)
        dest = np.array([end(r.destination, r.destination_stop) for r in reqs], dtype=np.int64)
        o_stop = np.array([stop_index.get(r.origin_stop or "", -1) for r in reqs], np.int64)
        d_stop = np.array([stop_index.get(r.destination_stop or "", -1) for r in reqs], np.int64)
        urgent = np.array([r.urgent for r in reqs], dtype=bool)
        patience = np.array([
            r.patience_s if r.patience_s is not None else _patience(demand, r.urgent, rng)
            for r in reqs], dtype=float)
        deadline_in = np.array([r.deadline_s if r.deadline_s is not None else np.nan
                                for r in reqs], dtype=float)
        riders = np.array([r.riders for r in reqs], dtype=float)
        goods = np.array([r.goods_kg for r in reqs], dtype=float)
        svc = [r.service_s for r in reqs]
        pu_s = np.array([pu_svc if x is None else x for x in svc], dtype=float)
        do_s = np.array([do_svc if x is None else x for x in svc], dtype=float)
        pw = [r.pickup_window_s for r in reqs]
        dw = [r.dropoff_window_s for r in reqs]
        pe = np.array([created[i] if w is None else w[0] for i, w in enumerate(pw)])
        pl_in = np.array([np.nan if w is None else w[1] for w in pw])
        de = np.array([0.0 if w is None else w[0] for w in dw])
        dl = np.array([np.inf if w is None else w[1] for w in dw])
    else:
        created = arrival_times(demand, horizon_s, start_time_s, rng)
        m = created.size
        origin = rng.choice(n, size=m, p=node_weights(demand, n, zones, dest=False))
        pd = node_weights(demand, n, zones, dest=True)
        dest = rng.choice(n, size=m, p=pd)
        min_m = demand.min_trip_km * 1000
        for _ in range(20):  # redraw trips shorter than the minimum
            short = np.flatnonzero(table.dist_m[origin, dest] < min_m)
            if short.size == 0:
                break
            dest[short] = rng.choice(n, size=short.size, p=pd)
        urgent = rng.random(m) < demand.urgent_share
        patience = np.where(
            urgent,
            _patience_many(demand, True, m, rng),
            _patience_many(demand, False, m, rng),
        )
        deadline_in = np.full(m, np.nan)
        riders, goods = _loads(demand, m, rng)
        pu_s, do_s = np.full(m, float(pu_svc)), np.full(m, float(do_svc))
        pe, pl_in = created.copy(), np.full(m, np.nan)
        de, dl = np.zeros(m), np.full(m, np.inf)
        o_stop = d_stop = np.full(m, -1, dtype=np.int64)
    base_deadline = np.where(
        urgent,
        demand.urgent_deadline_s if demand.urgent_deadline_s is not None else np.inf,
        demand.deadline_s if demand.deadline_s is not None else np.inf,
    )
    deadline = created + np.where(np.isnan(deadline_in), base_deadline, deadline_in)
    priority = np.where(urgent, demand.urgent_priority, 0).astype(np.int64)
    visit = dest < 0
    to = np.where(visit, origin, dest)
    trip_s = np.where(visit, 0.0, table.time_s[origin, to].astype(float))
    trip_km = np.where(visit, 0.0, table.dist_m[origin, to].astype(float) / 1000.0)
    latest = np.where(np.isnan(pl_in), created + patience, pl_in)
    return RequestArrays(created, origin.astype(np.int64), dest.astype(np.int64), urgent,
                         priority, latest, deadline, trip_s, trip_km, riders, goods, pu_s, do_s,
                         pe, de, dl, o_stop, d_stop)


def snap_to_stops(r: RequestArrays, net: RoadNetwork, table: TravelTable,
                  stops_km: dict[str, tuple[float, float]], stop_nodes: dict[str, int],
                  max_walk_m: float, walk_speed_mps: float) -> tuple[np.ndarray, np.ndarray]:
    """Stop-based service: each request's pickup and drop-off moved to the nearest stop (its
    trip retimed), the walk to the pickup stop (s), and which requests have no stop within
    ``max_walk_m`` at either end (to be rejected)."""
    m = len(r)
    names = list(stop_nodes)
    sxy = np.array([stops_km[n] for n in names]) * 1000.0
    snode = np.array([stop_nodes[n] for n in names], dtype=np.int64)
    walk = np.zeros(m)
    no_stop = np.zeros(m, dtype=bool)
    for end in ("origin", "destination"):
        xy = net.xy_m[getattr(r, end)]
        d = np.linalg.norm(xy[:, None, :] - sxy[None, :, :], axis=2)
        k = np.argmin(d, axis=1)
        best = d[np.arange(m), k]
        no_stop |= best > max_walk_m
        getattr(r, end)[:] = snode[k]
        if end == "origin":
            walk = best / walk_speed_mps
            r.origin_stop[:] = k
        else:
            r.destination_stop[:] = k
    r.trip_s[:] = table.time_s[r.origin, r.destination]
    r.trip_km[:] = table.dist_m[r.origin, r.destination] / 1000.0
    return walk, no_stop


def _loads(demand: Demand, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Party size and goods of each request (drawn after everything else, so that a single
    party size and a fixed payload leave the other draws as they were)."""
    sizes = np.array(sorted(demand.riders), dtype=float)
    shares = np.array([demand.riders[int(k)] for k in sizes], dtype=float)
    riders = np.full(m, sizes[0]) if sizes.size == 1 else \
        rng.choice(sizes, size=m, p=shares / shares.sum())
    q = demand.goods_kg
    goods = np.full(m, float(q)) if isinstance(q, int | float) else \
        np.asarray(sample(q, rng, m), dtype=float)
    return riders, np.maximum(goods, 0.0)


def _patience(demand: Demand, urgent: bool, rng: np.random.Generator) -> float:
    q = demand.urgent_patience_s if urgent and demand.urgent_patience_s is not None \
        else demand.patience_s
    return float(sample(q, rng))


def _patience_many(demand: Demand, urgent: bool, m: int, rng: np.random.Generator) -> np.ndarray:
    q = demand.urgent_patience_s if urgent and demand.urgent_patience_s is not None \
        else demand.patience_s
    return np.asarray(sample(q, rng, m), dtype=float)


def expected_requests(demand: Demand, clock_s: float, duration_s: float) -> float:
    """Expected number of Poisson requests in ``[clock_s, clock_s + duration_s)`` (time of day)."""
    prof = np.asarray(demand.hourly_profile, dtype=float)
    rate_per_s = demand.requests_per_day * prof / prof.sum() / 3600.0
    total, t, end = 0.0, clock_s, clock_s + duration_s
    while t < end:
        seg_end = min(end, (np.floor(t / 3600) + 1) * 3600)
        total += rate_per_s[int(t // 3600) % 24] * (seg_end - t)
        t = seg_end
    return float(total)


def cell_grid(net: RoadNetwork, weights: np.ndarray, cells: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut the map into ``cells x cells`` squares: cell per node, demand share and anchor node.

    The anchor of a cell is its node with the highest demand weight (-1 for an empty cell).
    """
    xy = net.xy_m
    span = np.maximum(xy.max(axis=0) - xy.min(axis=0), 1.0)
    ij = np.minimum(((xy - xy.min(axis=0)) / span * cells).astype(np.int64), cells - 1)
    cell = ij[:, 1] * cells + ij[:, 0]
    share = np.bincount(cell, weights=weights, minlength=cells * cells)
    anchor = np.full(cells * cells, -1, dtype=np.int64)
    order = np.lexsort((np.arange(cell.size), -weights))  # heaviest node first per cell
    for node in order:
        if anchor[cell[node]] < 0:
            anchor[cell[node]] = node
    return cell, share / share.sum(), anchor
