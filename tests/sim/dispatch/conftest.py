"""A minimal host for the dispatch engine on a travel-time matrix, for tests."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
import simpy

from sim.dispatch.engine import DispatchEngine
from sim.dispatch.schedule import N_LOAD, Requests


@dataclass
class Host:
    log: list[tuple[float, int, str, int]] = field(default_factory=list)
    stops: list[tuple[int, int, int, int, float, float]] = field(default_factory=list)
    km: float = 0.0
    engine: DispatchEngine | None = None
    T: np.ndarray | None = None

    def vehicle_state(self, v, state, r):
        self.log.append((self.engine.env.now, v, state, r))

    def on_leg(self, v, a, b, t0, t1, r, load):
        self.km += float(self.T[a, b])

    def on_stop(self, v, kind, r, node, arrive, start, end):
        self.stops.append((v, kind, r, node, start, end))

    def on_free(self, v):
        self.log.append((self.engine.env.now, v, "idle", -1))
        if self.engine.immediate and self.engine.open:
            self.engine.decide()


def make_engine(T, dispatcher, start_nodes, requests: Requests, seats=1.0, pooling=False,
                graph=None):
    env = simpy.Environment()
    T = np.asarray(T, dtype=float)
    host = Host(T=T)
    n = len(start_nodes)
    cap = np.zeros((n, N_LOAD))
    cap[:, 0] = seats
    cap[:, 1] = np.inf
    cap[:, 2] = seats if pooling else 1
    e = DispatchEngine(env, T, requests, dispatcher, host, n, cap, np.asarray(start_nodes),
                       graph=graph)
    host.engine = e
    return env, e, host


@pytest.fixture
def engine_factory():
    return make_engine
