"""The platform's signalling servers and the cameras' registration client.

Every platform function (self-registration, video parameter query and set, token check,
reboot or upgrade command) is a request to one pool of FIFO workers (a
:class:`simpy.Resource`) with an exponential service time per operation type. A camera that
powers up registers; an attempt not answered within ``register_timeout_s`` is given up and
retried after a backoff doubled per attempt with full jitter (as device SDKs do), so a power
cut that brings thousands of cameras back at once shows as a registration storm: a queue,
timeouts, retries, and a recovery time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from sim.cameras.schema import Platform

OPS = ("register", "query", "set", "token", "reboot")


class SignallingServers:
    """FIFO workers; records every operation's wait (seconds) by type."""

    def __init__(self, env: simpy.Environment, spec: Platform, rng: np.random.Generator):
        self.env, self.spec, self.rng = env, spec, rng
        self.res = simpy.Resource(env, capacity=spec.workers)
        self.mean_s = {"register": spec.register_s, "query": spec.query_s, "set": spec.set_s,
                       "token": spec.token_s, "reboot": spec.reboot_s}
        self.op_t: list[float] = []
        self.op_kind: list[int] = []
        self.op_wait: list[float] = []
        self.busy_s = 0.0

    def submit(self, op: str, done: Callable[[], None] | None = None) -> simpy.Event:
        """Queue one operation; ``done`` is called when it has been served."""
        env, t = self.env, self.env.now
        req = self.res.request()
        code = OPS.index(op)

        def granted(_: simpy.Event) -> None:
            self.op_t.append(t)
            self.op_kind.append(code)
            self.op_wait.append(env.now - t)
            service = float(self.rng.exponential(self.mean_s[op]))
            self.busy_s += service
            end = env.timeout(service)

            def finished(_e: simpy.Event) -> None:
                self.res.release(req)  # type: ignore[arg-type]
                if done is not None:
                    done()

            end.callbacks.append(finished)

        req.callbacks.append(granted)
        return req

    def waits(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(submit time, operation code, wait) of every operation served."""
        return (np.asarray(self.op_t, float), np.asarray(self.op_kind, np.int64),
                np.asarray(self.op_wait, float))


def _succeed(event: simpy.Event) -> Callable[[], None]:
    def done() -> None:
        event.succeed()

    return done


class Registrar:
    """Cameras registering with the platform (with timeouts and jittered backoff)."""

    def __init__(self, env: simpy.Environment, servers: SignallingServers,
                 registered: np.ndarray, online: np.ndarray, rng: np.random.Generator):
        self.env, self.servers, self.rng = env, servers, rng
        self.registered, self.online = registered, online
        self.attempt_t: list[float] = []
        self.done_cam: list[int] = []
        self.done_t: list[float] = []
        self.retries = 0

    def start(self, cam: int, delay_s: float) -> None:
        """Camera ``cam`` powers up now and sends its first attempt after ``delay_s``."""
        self.registered[cam] = False
        self.env.process(self._register(cam, delay_s))

    def _register(self, cam: int, delay_s: float) -> Any:
        env, spec = self.env, self.servers.spec
        yield env.timeout(delay_s)
        self.online[cam] = True
        attempt = 0
        while True:
            self.attempt_t.append(env.now)
            answered = env.event()
            req = self.servers.submit("register", _succeed(answered))
            got = yield answered | env.timeout(spec.register_timeout_s)
            if answered in got:
                self.registered[cam] = True
                self.done_cam.append(cam)
                self.done_t.append(env.now)
                return
            if not req.triggered:
                req.cancel()  # type: ignore[attr-defined]
            attempt += 1
            self.retries += 1
            cap = min(spec.max_backoff_s, spec.retry_backoff_s * 2.0 ** (attempt - 1))
            yield env.timeout(float(self.rng.random()) * cap)
