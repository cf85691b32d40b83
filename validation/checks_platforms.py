"""Device platforms against closed forms: the vehicle terminals' gateway.

- **Connections vs Erlang B**: ignition-on sessions of 100,000 terminals (flat day, one
  behaviour) hold a connection on one gateway node of ``C`` places; the share refused is
  compared with Erlang B at the matched load (measured session starts per second x the
  mean session length; Erlang B does not depend on the log-normal length's shape). With
  terminals far more than connections the starts are close to Poisson.
- **Message queue vs M/M/c**: the node's workers (exponential service) at each window's
  measured message rate; the simulated wait probability and mean wait are compared with
  M/M/c evaluated window by window and weighted by the window's messages (matched load).
- **Buffer loss vs M/M/c/K**: a small buffer near saturation, messages sampled (fewer
  simulated one by one than arrive, see :mod:`sim.kernels.terminals_gateway`): the share
  lost against M/M/c/K's blocking at each window's load.

Estimates are ratios of simulated to expected over batches of windows with a Student-t
interval; a quantity passes when the interval covers the closed form and the relative error
is within the tolerance.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from validation.analytic import erlang_b, mmc
from validation.hotline_runs import Estimate, batch_estimate, compare
from validation.registry import CheckResult, register_check

TOL = 0.05
LEVEL = 1.0 - 0.05 / 4  # four comparisons, jointly 95%
CI_LABEL = f"joint 95% CI ({LEVEL:.2%} each)"
BATCH_WINDOWS = 20


@dataclass(frozen=True)
class GatewayLoad:
    """A terminals run shaped for a closed form (see the module's docstring)."""

    terminals: int = 100_000
    connections: int = 8_200
    workers: int = 4
    service_ms: float = 5.7
    buffer: int = 1_000_000
    sample: int = 100_000
    horizon_s: float = 6 * 3600.0
    seed: int = 7

    def overrides(self) -> list[tuple[str, Any]]:
        fleet = {"count": self.terminals, "profile": "jt808_basic", "sessions_per_day": 4.0,
                 "session_median_s": 1800.0, "session_sigma": 0.5, "diurnal": [1.0] * 24}
        return [
            ("seed", self.seed), ("horizon_s", self.horizon_s), ("slas", []),
            ("fleets", {"fleet": fleet}),
            ("behaviour", {"profiles": {"all": {"share": 1.0}}}),
            ("cells", {"cells": 100, "cell_uplink_mbps": 1000.0, "apn_mbps": 1e6}),
            ("gateway", {"nodes": 1, "max_connections_per_node": self.connections,
                         "workers_per_node": self.workers, "service_ms": self.service_ms,
                         "buffer_messages": self.buffer, "sample_messages": self.sample}),
            ("ingest", {"messages_per_s": 1e8}),
            ("record_terminals", 0),
        ]

    @property
    def mean_session_s(self) -> float:
        return 1800.0 * math.exp(0.5**2 / 2)


@functools.lru_cache(maxsize=8)
def simulate(load: GatewayLoad) -> dict[str, np.ndarray]:
    """The per-window series of a run at ``load``."""
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import run_scenario

    loaded = load_scenario("vehicle_terminals", load.overrides())
    res = run_scenario(loaded, replications=1)
    table = res.replications[0].series["terminals"]
    out = {c: table.column(c).to_numpy(zero_copy_only=False).astype(float)
           for c in table.column_names}
    out["window_s"] = np.array([float(loaded.scenario.window_s)])
    return out


def mmck_blocking(arrival_per_s: float, service_s: float, servers: int, buffer: int) -> float:
    """Blocking of M/M/c/K with ``buffer`` waiting places (K = servers + buffer)."""
    a = arrival_per_s * service_s
    rho = a / servers
    log_terms = []
    for n in range(servers + buffer + 1):
        if n <= servers:
            log_terms.append(n * math.log(a) - math.lgamma(n + 1) if a > 0 else
                             (0.0 if n == 0 else -math.inf))
        else:
            log_terms.append(servers * math.log(a) - math.lgamma(servers + 1)
                             + (n - servers) * math.log(rho))
    m = max(log_terms)
    total = sum(math.exp(x - m) for x in log_terms)
    return math.exp(log_terms[-1] - m) / total


def _ratio(sim: np.ndarray, exp: np.ndarray, level: float) -> tuple[float, float, Estimate]:
    """Totals of ``sim`` and ``exp`` and the batch estimate of their ratio."""
    n = sim.size // BATCH_WINDOWS * BATCH_WINDOWS
    s = sim[:n].reshape(-1, BATCH_WINDOWS).sum(axis=1)
    e = exp[:n].reshape(-1, BATCH_WINDOWS).sum(axis=1)
    est = batch_estimate(s / e, level)
    return float(sim[:n].sum()), float(exp[:n].sum()), est


def _scaled(total_exp: float, est: Estimate) -> Estimate:
    return Estimate(est.mean * total_exp, est.low * total_exp, est.high * total_exp, est.n)


@register_check("platforms.gateway_erlang_b", "platforms")
def check_connections(full: bool) -> list[CheckResult]:
    """Sessions refused by a gateway node's connection limit vs Erlang B at matched load."""
    load = GatewayLoad(horizon_s=(24 if full else 6) * 3600.0)
    s = simulate(load)
    dt = float(s["window_s"][0])
    starts = s["sessions"]
    rate = starts.sum() / (starts.size * dt)
    a = rate * load.mean_session_s
    expected = erlang_b(load.connections, a)
    # per window: refused vs expected refused at the overall matched load
    _, _, est = _ratio(s["sessions_refused"], starts * expected, LEVEL)
    return [compare(f"platforms.gateway_erlang_b C={load.connections} A={a:.0f} blocking",
                    expected, Estimate(est.mean * expected, est.low * expected,
                                       est.high * expected, est.n), TOL,
                    f"{int(starts.sum()):,} sessions", ci_label=CI_LABEL)]


@register_check("platforms.gateway_mmc", "platforms")
def check_queue(full: bool) -> list[CheckResult]:
    """Gateway message queue vs M/M/c window by window: wait probability, mean wait."""
    load = GatewayLoad(horizon_s=(24 if full else 6) * 3600.0)
    s = simulate(load)
    dt = float(s["window_s"][0])
    service_s = load.service_ms / 1000.0
    lam = s["gateway_offered"] / dt
    models = [mmc(x, service_s, load.workers) for x in lam]
    served = s["gateway_served"]
    exp_waited = served * np.array([m.wait_prob for m in models])
    exp_wait = served * np.array([m.wait_mean_s for m in models])
    sim_wait = s["message_wait_mean_s"] * served
    rho = float(lam.max() * service_s / load.workers)
    out = []
    for name, sim, exp in (("wait_prob", s["gateway_waited"], exp_waited),
                           ("wait_mean_s", sim_wait, exp_wait)):
        tot_sim, tot_exp, est = _ratio(sim, exp, LEVEL)
        denom = served[: served.size // BATCH_WINDOWS * BATCH_WINDOWS].sum()
        out.append(compare(f"platforms.gateway_mmc c={load.workers} rho<={rho:.2f} {name}",
                           tot_exp / denom, _scaled(tot_exp / denom, est), TOL,
                           f"{denom:,.0f} messages, M/M/c per window", ci_label=CI_LABEL))
    return out


@register_check("platforms.gateway_mmck", "platforms")
def check_buffer_loss(full: bool) -> list[CheckResult]:
    """Messages lost at a full gateway buffer vs M/M/c/K per window (sampled messages)."""
    load = GatewayLoad(horizon_s=(24 if full else 6) * 3600.0, connections=50_000,
                       service_ms=6.6, buffer=12, sample=4_000, seed=8)
    s = simulate(load)
    dt = float(s["window_s"][0])
    service_s = load.service_ms / 1000.0
    lam = s["gateway_offered"] / dt
    exp = s["gateway_offered"] * np.array([mmck_blocking(x, service_s, load.workers,
                                                         load.buffer) for x in lam])
    tot_sim, tot_exp, est = _ratio(s["gateway_lost"], exp, LEVEL)
    n = s["gateway_offered"][: lam.size // BATCH_WINDOWS * BATCH_WINDOWS].sum()
    return [compare(f"platforms.gateway_mmck c={load.workers} K={load.buffer} loss",
                    tot_exp / n, _scaled(tot_exp / n, est), TOL,
                    f"{n:,.0f} messages, {load.sample:,} simulated per window",
                    ci_label=CI_LABEL)]


#: Known driver behaviour for the twin check: every driver alike (no spread), short speeding
#: episodes (so that two rarely overlap and merge into one).
TWIN_RATES = {"harsh_braking": 20.0, "harsh_acceleration": 15.0, "speeding": 10.0}


@register_check("platforms.twin_alarm_rates", "platforms")
def check_twin_alarm_rates(full: bool) -> list[CheckResult]:
    """Alarm rates per 100 km recovered by a twin from JT/T 808 telemetry (with duplicates
    and reordering) within Poisson sampling error of the rates the drivers were given."""
    import tempfile
    from pathlib import Path

    from sim.engine.loading import load_scenario
    from sim.engine.simulation import run_scenario
    from sim.results.rundir import write_run
    from sim.terminals.schema import Behaviour, BehaviourProfile
    from twins.behaviour import measured
    from twins.emit import EmitOptions, generate, read_truth, write_jt808
    from twins.ingest import Twin
    from twins.setup import init_from_run

    hours = 6 if full else 2
    behaviour = Behaviour(driver_sigma=0.0, profiles={"all": BehaviourProfile(
        share=1.0, harsh_braking_per_100km=TWIN_RATES["harsh_braking"],
        harsh_acceleration_per_100km=TWIN_RATES["harsh_acceleration"],
        speeding_per_100km=TWIN_RATES["speeding"], speeding_s=5.0)})
    loaded = load_scenario("city_taxi", [("horizon_s", hours * 3600.0), ("warmup_s", 0.0),
                                         ("replications", 1), ("start_time_s", 8 * 3600.0),
                                         ("slas", [])])
    with tempfile.TemporaryDirectory() as tmp:
        run = write_run(run_scenario(loaded), Path(tmp), name="city")
        init_from_run(Path(tmp) / "twin", run)
        table = generate(read_truth(run), EmitOptions(behaviour=behaviour, duplicate=0.02,
                                                      reorder_s=5.0))
        with (Path(tmp) / "s.808").open("wb") as fh:
            write_jt808(table, fh)
        with Twin(Path(tmp) / "twin") as twin:
            twin.ingest([Path(tmp) / "s.808"])
        got = measured(Path(tmp) / "twin")
    km = float(np.sum(got.column("km").to_numpy()))
    out = []
    z = 3.0  # about 99.7% for each of the three
    for kind, rate in TWIN_RATES.items():
        n = float(np.sum(got.column(kind).to_numpy()))
        sim = n / km * 100.0
        half = z * math.sqrt(max(n, 1.0)) / km * 100.0
        ok = abs(sim - rate) <= half
        out.append(CheckResult(
            check=f"platforms.twin_alarm_rates {kind}_per_100km", expected=rate,
            simulated=sim, tolerance=f"+-{z:g} Poisson SE ({half:.3g})", passed=bool(ok),
            detail=f"{n:.0f} events over {km:,.0f} km from the twin's store"))
    return out
