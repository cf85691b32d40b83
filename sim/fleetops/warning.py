"""Fault early warning: a wear index that rises before a breakdown, and a threshold rule.

Seed 000 asks for vehicle fault identification and early warning. The model is the P-F
interval of reliability-centred maintenance: a *detectable* fault (share
``detectable_share`` of breakdowns) becomes visible ``pf_interval_h`` operating hours
before the breakdown the reliability law drew for it (on a km clock, the same interval in
km at 30 km/h, :data:`KM_PER_H`). From that onset the vehicle's wear index is a Brownian
motion with drift ``mu = 1 / pf_interval`` (1.0 is reached on average at the breakdown) and
diffusion ``sigma``; each reading (one per task, carried by telemetry as ``wear_index``
and, on a warning, ``fault_code``) adds Gaussian sensor noise ``reading_sd``. Before any
fault the index is 0 and only the sensor noise shows.

Rule: a reading above ``threshold`` raises a warning. With no sensor noise and continuous
readings the onset-to-warning time is the first passage of a Brownian motion with drift
over a fixed level ``a``: inverse Gaussian with mean ``a / mu`` and shape ``a^2 / sigma^2``
(Schroedinger 1915); readings every ``dt`` shift the level by ``0.5826 sigma sqrt(dt)``
(Siegmund's correction, ``-zeta(1/2) / sqrt(2 pi)``). ``validation/checks_fleetops.py``
tests the monitor against that law. A warning before the onset is a false alarm; it
happens on a healthy reading with probability ``1 - Phi(threshold / reading_sd)``, so the
number of healthy readings until one is geometric (drawn once, not per reading).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from sim.fleetops.health_schema import WarningSpec

#: km per operating hour that turns the P-F interval into km for vehicles on a km clock.
KM_PER_H = 30.0
#: Siegmund's continuity correction for a Brownian first passage read every dt.
SIEGMUND = 0.5826


def advance(wear: np.ndarray | float, dt: np.ndarray | float, mu: float, sigma: float,
            z: np.ndarray | float) -> np.ndarray | float:
    """Wear after ``dt`` more clock units: the exact Brownian-with-drift increment."""
    return wear + mu * dt + sigma * np.sqrt(dt) * z  # type: ignore[no-any-return]


def first_passage_law(threshold: float, mu: float, sigma: float,
                      dt: float = 0.0) -> stats.rv_continuous:
    """Inverse Gaussian law of the first passage over ``threshold`` (read every ``dt``)."""
    a = threshold + SIEGMUND * sigma * math.sqrt(dt)
    mean, shape = a / mu, a * a / (sigma * sigma)
    return stats.invgauss(mu=mean / shape, scale=shape)


@dataclass(slots=True)
class Fault:
    """A pending breakdown and what can be seen of it."""

    fail_at: float  # failure clock reading of the breakdown
    onset: float  # clock reading where wear starts (inf: not detectable)
    wear: float = 0.0
    last: float = -math.inf  # clock of the last wear update
    warned_at: float | None = None  # clock reading of its first warning
    full: bool = True  # watched from its onset (False: the onset came before it was drawn)


class WearMonitor:
    """Draws faults' onsets and turns clock readings into wear readings and warnings."""

    def __init__(self, spec: WarningSpec, rng: np.random.Generator, block: int = 4096):
        self.spec = spec
        self.rng = rng
        self.block = block
        self._z = rng.standard_normal(block)
        self._i = 0
        sd = spec.reading_sd
        self.p_false = float(stats.norm.sf(spec.threshold / sd)) if sd > 0 else 0.0

    def _normal(self) -> float:
        if self._i >= self.block:
            self._z = self.rng.standard_normal(self.block)
            self._i = 0
        z = float(self._z[self._i])
        self._i += 1
        return z

    def false_reading(self) -> float:
        """A healthy reading above the threshold (the sensor noise, conditioned)."""
        sd = self.spec.reading_sd
        a = self.spec.threshold / sd
        return float(stats.truncnorm.rvs(a, np.inf, scale=sd, random_state=self.rng))

    def pf_interval(self, clock: str) -> float:
        return self.spec.pf_interval_h * (KM_PER_H if clock == "km" else 1.0)

    def fault(self, fail_at: float, clock: str, now: float) -> Fault:
        """A new pending breakdown at ``fail_at``, drawn at clock ``now``.

        Detectable with ``detectable_share``. A fault whose onset would fall before ``now``
        (it began while another was pending, or before the run) starts its wear at ``now``:
        one indicator shows one fault at a time.
        """
        if not self.spec.enabled or self.rng.random() >= self.spec.detectable_share:
            return Fault(fail_at, math.inf)
        onset = fail_at - self.pf_interval(clock)
        return Fault(fail_at, max(onset, now), full=onset >= now)

    def healthy_readings_until_false(self) -> int:
        """Healthy readings until the next false alarm (geometric; huge when impossible)."""
        if not self.spec.enabled or self.p_false <= 0.0:
            return 2**62
        return int(self.rng.geometric(self.p_false))

    def read(self, f: Fault, clock_now: float, clock: str) -> float:
        """The wear reading of a vehicle with fault ``f`` at ``clock_now`` (after onset)."""
        start = max(f.last, f.onset)
        dt = clock_now - start
        if dt > 0.0:
            mu = 1.0 / self.pf_interval(clock)
            sigma = self.spec.diffusion_per_sqrt_h * (math.sqrt(KM_PER_H) if clock == "km"
                                                      else 1.0)
            f.wear = float(advance(f.wear, dt, mu, sigma, self._normal()))
            f.last = clock_now
        return f.wear + self.spec.reading_sd * self._normal()


def twin_reports(rows: Iterable[Mapping[str, Any]], start: dt.date,
                 origin: tuple[float, float] = (116.397, 39.909),
                 utc_offset_h: float = 8.0) -> list[dict[str, Any]]:
    """``health_telemetry`` rows as vehicle location records a twin ingests (JSONL).

    ``device`` is the plate, ``ts_s`` Unix seconds (run time from local midnight of
    ``start``, UTC+8 by default), the position the row's plane km around ``origin``
    (lon, lat; Tian'anmen by default) on a local flat projection, ``fault_code`` the
    warning's code (0: no fault); the wear index itself has no field in the record.
    """
    tz = dt.timezone(dt.timedelta(hours=utc_offset_h))
    epoch = dt.datetime.combine(start, dt.time(), tzinfo=tz).timestamp()
    lon0, lat0 = origin
    km_per_lon = 111.320 * math.cos(math.radians(lat0))
    return [{"device": str(r["plate"]), "ts_s": epoch + float(r["t_s"]), "kind": "vehicle",
             "msg": "location", "lon": lon0 + float(r.get("x_km", 0.0)) / km_per_lon,
             "lat": lat0 + float(r.get("y_km", 0.0)) / 110.574,
             "odometer_km": round(float(r["odometer_km"]), 3),
             "fault_code": int(r["fault_code"])} for r in rows]
