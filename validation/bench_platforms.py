"""Benchmark: 1,000,000 vehicle terminals for a day vs one SimPy process per terminal.

Usage::

    python -m validation.bench_platforms            # 1,000,000 terminals, 2,000 in SimPy
    python -m validation.bench_platforms --quick    # 50,000 and 500, a smoke test

The population run is the ``vehicle_terminals`` model (30 s reports moving, 60 s parked,
300 s asleep, alarms from the default behaviour profiles, 10 gateway nodes, 5,000 cells,
24 h in 60 s windows) through the ordinary engine; its wall and CPU time are measured after
a small warm-up run (compilation or cache load). The reference is the same terminal model
(sessions, legs, stops, every report and alarm a SimPy event, connections per gateway node)
with one SimPy process per terminal, run in the same process; the ratio is terminal-days
per second of the population against the reference. Both report messages and alarms per
terminal-day, which must agree within sampling error.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
from typing import Any

import numpy as np
import simpy

from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario
from sim.schema.distributions import mean_of
from sim.schema.profiles import VehicleTerminalProfile

NIGHT = (22, 23, 0, 1, 2, 3, 4, 5)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def overrides(n: int, seed: int = 1) -> list[tuple[str, Any]]:
    nodes = 10
    return [
        ("seed", seed), ("horizon_s", 86400.0), ("slas", []), ("record_terminals", 0),
        ("fleets", {"fleet": {"count": n, "profile": "jt808_basic",
                              "profile_overrides": {"report_interval_s": 30.0}}}),
        ("cells", {"cells": max(1, n // 200), "cell_uplink_mbps": 5.0, "apn_mbps": 10_000}),
        ("gateway", {"nodes": nodes, "max_connections_per_node": max(1000, n // nodes),
                     "workers_per_node": 16, "service_ms": 1.0, "buffer_messages": 100_000,
                     "sample_messages": 2_000}),
        ("ingest", {"messages_per_s": 50_000.0}),
    ]


def population(n: int) -> dict[str, Any]:
    loaded = load_scenario("vehicle_terminals", overrides(n))
    w0, c0 = time.perf_counter(), _cpu_s()
    res = run_scenario(loaded, replications=1)
    wall, cpu = time.perf_counter() - w0, _cpu_s() - c0
    k = res.replications[0].kpis
    return {"terminals": n, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": _maxrss_mb(),
            "messages": k["messages"],
            # the SimPy reference has no fatigue rule: compare the other alarms
            "alarms_per_day": k["alarms_per_day"] - k["fatigue_alarms_per_day"],
            "messages_per_s_peak": k["messages_per_s_peak"],
            "gateway_utilisation_peak": k["gateway_utilisation_peak"],
            "message_delay_p95_s": k["message_delay_p95_s"],
            "km_per_vehicle_day": k["km_per_vehicle_day"]}


class SimpyTerminals:
    """The terminal model with one SimPy process per terminal (every report an event)."""

    def __init__(self, n: int, seed: int):
        loaded = load_scenario("vehicle_terminals", overrides(n, seed))
        sc = loaded.scenario
        self.sc = sc
        self.f = sc.fleets["fleet"]
        self.behs = list(sc.behaviour.profiles.values())
        prof = loaded.profiles["vehicle_terminal:fleet"]
        assert isinstance(prof, VehicleTerminalProfile)
        self.prof = prof
        self.t0 = -sc.preroll_s
        self.env = simpy.Environment(initial_time=self.t0)
        self.rng = np.random.default_rng(seed)
        self.n = n
        nodes = sc.gateway.nodes
        self.conn = [simpy.Resource(self.env, sc.gateway.max_connections_per_node)
                     for _ in range(nodes)]
        self.windows = np.zeros(int(sc.horizon_s // sc.window_s) + 1)
        self.messages = 0
        self.alarms = 0
        self.km = 0.0
        self.refused = 0

    def _rate(self, b: Any, t: float) -> float:
        w = np.asarray(self.f.diurnal, float)
        h = int((t % 86400.0) // 3600)
        x = w[h] * (b.night_factor if h in NIGHT else 1.0)
        return self.f.sessions_per_day * x / w.sum() * 24.0 / 86400.0

    def _next_start(self, b: Any, t: float) -> float:
        lam = max(self._rate(b, h * 3600.0) for h in range(24))
        while True:
            t += self.rng.exponential(1.0 / lam)
            if self.rng.random() * lam < self._rate(b, t):
                return t

    def _report(self, t: float) -> None:
        if t >= 0.0:
            self.messages += 1
            k = int(t // self.sc.window_s)
            if k < self.windows.size:
                self.windows[k] += 1

    def terminal(self, i: int) -> Any:
        env, f = self.env, self.f
        b = self.behs[int(self.rng.choice(len(self.behs), p=[x.share for x in self.behs]))]
        node = self.conn[int(self.rng.integers(len(self.conn)))]
        iv = 30.0
        park = self.prof.report_interval_parked_s
        iv_park = float(mean_of(park)) if park is not None else iv
        iv_off = float(self.prof.report_interval_off_s)
        rates = np.array([b.harsh_braking_per_100km, b.harsh_acceleration_per_100km,
                          b.speeding_per_100km]) / 100.0 * f.speed_kmh / 3600.0
        t = self.t0
        nxt = self._next_start(b, t)
        while True:
            # asleep: a report every iv_off until the session starts
            while t + iv_off < nxt:
                yield env.timeout(iv_off)
                t = env.now
                self._report(t)
            yield env.timeout(nxt - t)
            t = env.now
            end = t + max(self.rng.lognormal(math.log(f.session_median_s), f.session_sigma),
                          1.0)
            req = node.request() if node.count < node.capacity else None
            if req is None and t >= 0:
                self.refused += 1
            moving = True
            while t < end:
                seg = min(t + self.rng.exponential(f.leg_s if moving
                                                   else f.stop_s * b.rest_factor), end)
                every = iv if moving else iv_park
                alarm_t = t + self.rng.exponential(1.0 / rates.sum()) if moving else math.inf
                rep_t = t
                while min(rep_t, alarm_t) < seg:
                    if alarm_t < rep_t:
                        yield env.timeout(alarm_t - env.now)
                        if req is not None and alarm_t >= 0:
                            self.alarms += 1
                            self._report(alarm_t)
                        alarm_t += self.rng.exponential(1.0 / rates.sum())
                    else:
                        yield env.timeout(rep_t - env.now)
                        if req is not None:
                            self._report(rep_t)
                        rep_t += every
                if moving and seg > 0:
                    self.km += f.speed_kmh * (seg - max(t, 0.0)) / 3600.0
                yield env.timeout(seg - env.now)
                t = env.now
                moving = not moving
            if req is not None:
                node.release(req)
            nxt = self._next_start(b, t)

    def run(self) -> dict[str, Any]:
        for i in range(self.n):
            self.env.process(self.terminal(i))
        w0, c0 = time.perf_counter(), _cpu_s()
        self.env.run(until=self.sc.horizon_s)
        wall, cpu = time.perf_counter() - w0, _cpu_s() - c0
        return {"terminals": self.n, "wall_s": wall, "cpu_s": cpu, "messages": self.messages,
                "alarms_per_day": self.alarms, "km_per_vehicle_day": self.km / self.n}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="50,000 terminals, 500 in SimPy")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    n_big, n_ref = (50_000, 500) if args.quick else (1_000_000, 2_000)
    population(2_000)  # warm-up: compilation or cache load
    big = population(n_big)
    ref = SimpyTerminals(n_ref, seed=2).run()
    per_big = big["messages"] / n_big
    per_ref = ref["messages"] / n_ref
    out = {
        "population": big, "simpy": ref,
        "ratio_wall": (n_big / big["wall_s"]) / (n_ref / ref["wall_s"]),
        "ratio_cpu": (n_big / big["cpu_s"]) / (n_ref / ref["cpu_s"]),
        "messages_per_terminal_day": [per_big, per_ref],
        "alarms_per_terminal_day": [big["alarms_per_day"] / n_big,
                                    ref["alarms_per_day"] / n_ref],
        "km_per_terminal_day": [big["km_per_vehicle_day"], ref["km_per_vehicle_day"]],
    }
    if args.json:
        print(json.dumps(out, indent=2))  # noqa: T201
        return 0
    lines = [
        f"population: {n_big:,} terminals x 24 h in {big['wall_s']:.1f} s wall, "
        f"{big['cpu_s']:.1f} s CPU, peak RSS {big['peak_rss_mb']:,.0f} MB "
        f"(targets < 30 s, < 2 GB); {big['messages']:,.0f} messages, peak "
        f"{big['messages_per_s_peak']:,.0f}/s, gateway peak {big['gateway_utilisation_peak']:.1%}, "
        f"p95 delay {big['message_delay_p95_s'] * 1000:.2f} ms",
        f"SimPy reference: {n_ref:,} terminals in {ref['wall_s']:.1f} s wall, "
        f"{ref['cpu_s']:.1f} s CPU",
        f"ratio (terminal-days per second): {out['ratio_wall']:,.0f}x wall, "
        f"{out['ratio_cpu']:,.0f}x CPU (target >= 100x)",
        f"per terminal-day, population vs SimPy: messages {per_big:,.1f} vs {per_ref:,.1f}, "
        f"alarms (fatigue aside) {out['alarms_per_terminal_day'][0]:.3f} vs "
        f"{out['alarms_per_terminal_day'][1]:.3f}, km {out['km_per_terminal_day'][0]:.1f} vs "
        f"{out['km_per_terminal_day'][1]:.1f}",
    ]
    print("\n".join(lines))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
