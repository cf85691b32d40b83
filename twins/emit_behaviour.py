"""Driving behaviour in emitted telemetry: per-report speeds on the road's links and alarms.

Each driver of a city run gets a behaviour profile (:class:`sim.terminals.schema.Behaviour`,
by the profiles' shares) and a log-normal multiplier of its rates (mean 1). Along every
moving leg of the run (consecutive events of a vehicle in ``to_pickup`` or ``busy``), the
vehicle follows the fastest path between the leg's nodes (the edges of the run's
``tables/edges.parquet``, by free-flow time), stretched to the leg's duration:

- **Speed** of a report: the speed limit of the link it is on x the leg's congestion
  (free-flow time of the path / the leg's time) x (1 + ``speed_sd`` x N(0, 1)), kept at
  most 98% of the limit outside speeding episodes.
- **Speeding episodes**: Poisson per km (``speeding_per_100km``), lengths exponential
  (``speeding_s``), overlaps merged; the speed is the limit x (1 + ``speeding_excess`` x
  U(0.5, 1.5)) and the overspeed bit (1) is set. The terminal reports when an episode starts
  and when it ends (a change of alarm state).
- **Harsh braking and acceleration**: Poisson per km; each is a report of its own with a
  pulse bit: JT/T 808 has no standard bit for them, so the vendor bits 16 (braking) and 15
  (acceleration) of the reserved range 15-17 are used.
- **Fatigue**: 4 h of driving without a rest of 20 min sets the fatigue bit (2), with a
  report at the moment, until the next such rest.

Night driving (22:00-06:00 local) needs no bit: the report times say it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.kernels.terminals import FATIGUE_S, REST_S
from sim.terminals.schema import Behaviour, BehaviourProfile

ALARM_OVERSPEED = 1 << 1
ALARM_FATIGUE = 1 << 2
ALARM_HARSH_ACCELERATION = 1 << 15
ALARM_HARSH_BRAKING = 1 << 16
EVENT_BITS = {"harsh_braking": ALARM_HARSH_BRAKING,
              "harsh_acceleration": ALARM_HARSH_ACCELERATION}
_CHUNK = 256


class LinkPaths:
    """Fastest paths between road nodes, as (fraction of free-flow time, speed limit)."""

    def __init__(self, edges: pa.Table):
        def col(name: str) -> np.ndarray:
            return np.asarray(edges.column(name).to_numpy(zero_copy_only=False))

        u, v = col("u").astype(np.int64), col("v").astype(np.int64)
        self.limit = col("speed_kmh").astype(float)
        self.time_s = col("length_m").astype(float) / np.maximum(self.limit, 1e-6) * 3.6
        n = int(max(u.max(initial=0), v.max(initial=0))) + 1
        self.graph = csr_matrix((self.time_s, (u, v)), shape=(n, n))
        self.edge_of = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(u, v, strict=True))}
        self._pred: dict[int, np.ndarray] = {}
        self._cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, float]] = {}

    def prepare(self, origins: np.ndarray) -> None:
        todo = np.array(sorted({int(o) for o in origins} - set(self._pred)), np.int64)
        for s in range(0, todo.size, _CHUNK):
            idx = todo[s:s + _CHUNK]
            _, pred = dijkstra(self.graph, directed=True, indices=idx, return_predecessors=True)
            for row, o in zip(pred, idx, strict=True):
                self._pred[int(o)] = row

    def path(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Cumulative fraction of free-flow time at each link's end, the links' limits and
        the free-flow time; one pseudo-link at the mean limit when there is no path."""
        key = (a, b)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if a not in self._pred:
            self.prepare(np.array([a]))
        pred = self._pred[a]
        links: list[int] = []
        node = b
        while node != a and node >= 0 and len(links) <= pred.size:
            p = int(pred[node])
            if p < 0:
                links = []
                break
            links.append(self.edge_of[(p, node)])
            node = p
        if not links:
            out = (np.array([1.0]), np.array([float(np.mean(self.limit))]), 0.0)
        else:
            links.reverse()
            t = self.time_s[links]
            total = float(t.sum())
            out = (np.cumsum(t) / total, self.limit[links].astype(float), total)
        self._cache[key] = out
        return out


@dataclass
class DriverPlan:
    """What one vehicle's driver does over the emitted span."""

    extra_t: np.ndarray  # times of the extra reports (alarm changes and pulses)
    extra_bits: np.ndarray  # pulse bits of those reports (harsh events), else 0
    speeding: np.ndarray  # [m, 2] merged speeding episodes (start, end)
    excess: np.ndarray  # [m] over the limit in each episode, share
    fatigue: np.ndarray  # [f, 2] fatigue spells (from the 4 h mark to the next rest)
    counts: dict[str, int] = field(default_factory=dict)


def assign(drivers: list[str], behaviour: Behaviour, rng: np.random.Generator
           ) -> dict[str, tuple[str, float]]:
    """Each driver's behaviour profile and rate multiplier (mean 1), in sorted driver order."""
    names = list(behaviour.profiles)
    shares = np.array([behaviour.profiles[n].share for n in names])
    out: dict[str, tuple[str, float]] = {}
    sig = behaviour.driver_sigma
    for d in sorted(set(drivers)):
        k = int(rng.choice(len(names), p=shares / shares.sum()))
        mult = float(np.exp(rng.normal(-0.5 * sig * sig, sig))) if sig > 0 else 1.0
        out[d] = (names[k], mult)
    return out


def plan_driver(t: np.ndarray, moving_leg: np.ndarray, odo: np.ndarray, end: float,
                prof: BehaviourProfile, mult: float, rng: np.random.Generator) -> DriverPlan:
    """Events and episodes along a vehicle's moving legs (``moving_leg[i]``: event ``i`` to
    ``i + 1`` is driven) up to ``end``."""
    extra_t: list[float] = []
    extra_bits: list[int] = []
    counts = dict.fromkeys(("harsh_braking", "harsh_acceleration", "speeding", "fatigue"), 0)
    episodes: list[tuple[float, float]] = []
    for i in np.flatnonzero(moving_leg):
        a, b = float(t[i]), float(min(t[i + 1], end))
        km = float(odo[i + 1] - odo[i]) * (b - a) / max(float(t[i + 1] - t[i]), 1e-9)
        if b <= a or km <= 0:
            continue
        for kind, rate in (("harsh_braking", prof.harsh_braking_per_100km),
                           ("harsh_acceleration", prof.harsh_acceleration_per_100km)):
            n = int(rng.poisson(rate / 100.0 * mult * km))
            for x in np.sort(rng.uniform(a, b, n)):
                extra_t.append(float(x))
                extra_bits.append(EVENT_BITS[kind])
            counts[kind] += n
        n = int(rng.poisson(prof.speeding_per_100km / 100.0 * mult * km))
        for x in np.sort(rng.uniform(a, b, n)):
            episodes.append((float(x), float(min(x + rng.exponential(prof.speeding_s), b))))
    merged = _merge(episodes)
    counts["speeding"] = len(merged)
    for s, e in merged:
        extra_t += [s, e]
        extra_bits += [0, 0]
    fatigue = _fatigue(t, moving_leg, end)
    counts["fatigue"] = len(fatigue)
    extra_t += [s for s, _ in fatigue]
    extra_bits += [0] * len(fatigue)
    excess = prof.speeding_excess * rng.uniform(0.5, 1.5, len(merged))
    return DriverPlan(np.asarray(extra_t, float), np.asarray(extra_bits, np.int64),
                      np.asarray(merged, float).reshape(-1, 2), excess,
                      np.asarray(fatigue, float).reshape(-1, 2), counts)


def _merge(episodes: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in sorted(episodes):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _fatigue(t: np.ndarray, moving_leg: np.ndarray, end: float) -> list[tuple[float, float]]:
    """Spells from the moment 4 h of driving are reached without a 20-minute rest to the
    next such rest (or ``end``)."""
    spells: list[tuple[float, float]] = []
    driven = 0.0
    last_end = -np.inf
    start: float | None = None
    for i in np.flatnonzero(moving_leg):
        a, b = float(t[i]), float(min(t[i + 1], end))
        if b <= a:
            continue
        if a - last_end >= REST_S:
            if start is not None:
                spells.append((start, last_end + REST_S))
                start = None
            driven = 0.0
        if start is None and driven + (b - a) >= FATIGUE_S:
            start = a + (FATIGUE_S - driven)
        driven += b - a
        last_end = b
    if start is not None:
        spells.append((start, min(end, last_end + REST_S)))
    return [(s, e) for s, e in spells if s <= end]


def inside(times: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Index of the span of ``spans`` ([m, 2], sorted, disjoint) holding each time, or -1."""
    if spans.size == 0:
        return np.full(times.size, -1)
    k = np.searchsorted(spans[:, 0], times, side="right") - 1
    ok = (k >= 0) & (times < spans[np.maximum(k, 0), 1])
    return np.where(ok, k, -1)
