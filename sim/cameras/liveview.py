"""The mobile app's live views: a loss system on the streaming servers.

Viewing attempts arrive as a Poisson stream (rate by hour of day). Each presents an
anti-leech token to the platform (a token check on the signalling servers; a forged,
expired or replayed token is rejected, and a session longer than the token's lifetime
presents a new one every ``ttl_s``), needs its camera online, and takes one of
``servers x sessions_per_server`` relay slots for its holding time (and its camera's
sub-stream bitrate of the servers' bandwidth); an attempt that finds
every slot taken is blocked and lost (M/G/c/c: Erlang B, whatever the holding-time law).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import simpy

from sim.cameras.platform import SignallingServers

#: Outcome codes of a viewing attempt.
SERVED, BLOCKED, HOTLINK, OFFLINE = range(4)
OUTCOMES = ("served", "blocked", "hotlink", "camera_offline")


class LiveViews:
    """Arrivals drawn up front (common random numbers across capacity what-ifs)."""

    def __init__(self, env: simpy.Environment, servers: SignallingServers, slots: int,
                 arrival_s: np.ndarray, camera: np.ndarray, forged: np.ndarray,
                 hold_s: np.ndarray, online: np.ndarray, token_ttl_s: float,
                 kbps: np.ndarray):
        self.env, self.servers, self.slots = env, servers, slots
        self.arrival_s, self.camera, self.forged, self.hold_s = arrival_s, camera, forged, hold_s
        self.online = online
        self.token_ttl_s = token_ttl_s
        self.kbps = kbps
        self.relay_kbps = 0.0
        self.relay_peak_kbps = 0.0
        self.renewals = 0
        self.outcome = np.full(arrival_s.size, -1, np.int8)
        self.busy = 0
        self.busy_area = 0.0
        self.busy_peak = 0
        self._last = 0.0

    def start(self) -> None:
        self.env.process(self._arrivals())

    def _account(self) -> None:
        now = self.env.now
        self.busy_area += self.busy * (now - self._last)
        self._last = now

    def _arrivals(self) -> Any:
        env = self.env
        prev = 0.0
        for i, t in enumerate(self.arrival_s.tolist()):
            yield env.timeout(t - prev)
            prev = t
            self.servers.submit("token")
            if self.forged[i]:
                self.outcome[i] = HOTLINK
            elif not self.online[self.camera[i]]:
                self.outcome[i] = OFFLINE
            elif self.busy >= self.slots:
                self.outcome[i] = BLOCKED
            else:
                self.outcome[i] = SERVED
                self._account()
                self.busy += 1
                self.busy_peak = max(self.busy_peak, self.busy)
                rate = float(self.kbps[i])
                self.relay_kbps += rate
                self.relay_peak_kbps = max(self.relay_peak_kbps, self.relay_kbps)
                hold = float(self.hold_s[i])
                env.timeout(hold).callbacks.append(self._leaver(rate))
                # a session outliving its token presents a fresh one every ttl_s
                for k in range(1, int(hold // self.token_ttl_s) + 1):
                    env.timeout(k * self.token_ttl_s).callbacks.append(self._renew)

    def _renew(self, _: simpy.Event) -> None:
        self.renewals += 1
        self.servers.submit("token")

    def _leaver(self, kbps: float) -> Any:
        def leave(_: simpy.Event) -> None:
            self._account()
            self.busy -= 1
            self.relay_kbps -= kbps

        return leave

    def busy_mean(self, until_s: float) -> float:
        """Time-average busy slots over ``[0, until_s)``."""
        self._account()
        return self.busy_area / until_s if until_s > 0 else 0.0
