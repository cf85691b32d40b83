"""Vehicle terminals under load (kind ``vehicle_terminals``): the model and its registration.

A SimPy process wakes once per epoch (``epoch_s``, a whole number of windows): the session
plan of every terminal for the epoch (:func:`sim.kernels.terminals.plan_sessions`), the
gateway's answer to each session (admitted or refused, in time order), then the kernel
advances every terminal through the epoch (:func:`sim.kernels.terminals.advance`) and the
network serves the epoch's windows (cells, gateway queue, ingest;
:class:`sim.terminals.network.Network`). ``preroll_s`` of simulated time before t = 0 is run
and not recorded, so sessions are under way at the start.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from sim.engine.registry import Context, ModelKind, register_model
from sim.errors import Problem
from sim.kernels.terminals import N_ALARMS, N_CHUNKS, Acc, advance, first_starts, plan_sessions
from sim.schema.profiles import ProfileBase, ProfileCatalog, VehicleTerminalProfile
from sim.terminals.kpis import (
    KPIS,
    TerminalsRecord,
    compute_kpis,
    record_tables,
    terminal_premiums,
)
from sim.terminals.network import Network
from sim.terminals.population import build_population
from sim.terminals.schema import TerminalsScenario


class TerminalsModel:
    """One replication of a terminal population and the servers it loads."""

    def __init__(self, ctx: Context):
        sc: TerminalsScenario = ctx.scenario
        self.ctx, self.sc, self.env = ctx, sc, ctx.env
        if sc.threads:
            numba.set_num_threads(min(sc.threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
        profiles = {f: ctx.profiles[f"vehicle_terminal:{f}"] for f in sc.fleets}
        self.pop = build_population(sc, profiles, ctx.rng)  # type: ignore[arg-type]
        self.n_w = int(math.ceil(sc.horizon_s / sc.window_s - 1e-9))
        seeds = ctx.rng.stream("terminals.gateway").integers(1, 2**62, sc.gateway.nodes)
        self.net = Network(sc, self.n_w, seeds)
        tm, pr = self.pop.tm, self.pop.pr
        self.msg_bytes = float(np.mean(pr.msg_bytes[tm.prof])) if tm.prof.size else 0.0
        k = int(round(sc.epoch_s / sc.window_s))
        nodes, cells = sc.gateway.nodes, sc.cells.cells
        self.acc = Acc(np.zeros((N_CHUNKS, nodes, k, 2)), np.zeros((N_CHUNKS, nodes, k + 1, 2)),
                       np.zeros((N_CHUNKS, cells, k, 2)), np.zeros((N_CHUNKS, cells, k + 1, 2)),
                       np.zeros((N_CHUNKS, N_ALARMS, k)), np.zeros((N_CHUNKS, k)),
                       np.zeros((N_CHUNKS, 3, k)), np.zeros((N_CHUNKS, 3, k + 1)))
        self.alarm_w = np.zeros((self.n_w, N_ALARMS))
        self.video_w = np.zeros(self.n_w)
        self.state_w = np.zeros((self.n_w, 3))
        self.msgs_w = np.zeros(self.n_w)
        self.refused_w = np.zeros(self.n_w)

    def start(self) -> None:
        self.env.process(self._run())

    def end_time(self) -> float:
        return self.n_w * self.sc.window_s

    def _run(self) -> Any:
        sc, acc = self.sc, self.acc
        k_ep = acc.video_w.shape[1]
        # the pre-roll in whole epochs ending at 0, then the recorded epochs
        n_pre = int(math.ceil(sc.preroll_s / sc.epoch_s - 1e-9))
        t0 = -n_pre * sc.epoch_s
        self.pop.tm.t_cur[:] = t0
        first_starts(self.pop.tm, self.pop.pr, t0)
        end = self.end_time()
        while t0 < end - 1e-9:
            self._epoch(t0, k_ep)
            t0 += k_ep * sc.window_s
            yield self.env.timeout(max(min(t0, end) - self.env.now, 0.0))

    def _epoch(self, t0: float, k_ep: int) -> None:
        sc, tm, pr, acc = self.sc, self.pop.tm, self.pop.pr, self.acc
        dt = sc.window_s
        t1 = t0 + k_ep * dt
        s_term, s_start, s_end = plan_sessions(tm, pr, t1)
        blocked = self.net.admit(s_term, s_start, s_end, tm.node, t0)
        s_off = np.zeros(tm.fleet.size + 1, np.int64)
        np.cumsum(np.bincount(s_term, minlength=tm.fleet.size), out=s_off[1:])
        for a in acc:
            a.fill(0.0)
        advance(acc, tm, pr, s_start, s_end, blocked, s_off, t0, dt, k_ep)
        if t1 <= 0.0:
            return
        j0 = max(0, int(round(-t0 / dt)))  # first recorded window of the epoch
        k0 = int(round((t0 + j0 * dt) / dt))
        m = min(k_ep - j0, self.n_w - k0)
        if m <= 0:
            return
        sl = slice(j0, j0 + m)
        ks = slice(k0, k0 + m)
        node = _spread(acc.node_w, acc.node_d, k_ep)[:, sl]
        msg_node, ref_node = node[..., 0], node[..., 1]
        self.net.serve(k0, msg_node, ref_node, _spread(acc.cell_w, acc.cell_d, k_ep)[:, sl],
                       msg_node * self.msg_bytes)
        self.alarm_w[ks] = acc.alarm_w.sum(axis=0)[:, sl].T
        self.video_w[ks] = acc.video_w.sum(axis=0)[sl]
        self.state_w[ks] = _spread(acc.state_w, acc.state_d, k_ep)[:, sl].T / dt
        self.msgs_w[ks] = msg_node.sum(axis=0)
        self.refused_w[ks] = ref_node.sum(axis=0)

    def record(self) -> TerminalsRecord:
        """The plain record the KPIs and tables are computed from."""
        sc, net, tm = self.sc, self.net, self.pop.tm
        terminals = {"fleet": tm.fleet, "beh": tm.beh, "mult": tm.mult, "km": tm.km,
                     "night_km": tm.night_km, "move_s": tm.move_s, "msgs": tm.msgs,
                     "video_mb": tm.video_mb, "alarms": tm.alarms}
        return TerminalsRecord(
            window_s=sc.window_s, horizon_s=self.end_time(),
            workers=sc.gateway.workers_per_node, nodes=sc.gateway.nodes,
            apn_mbps=sc.cells.apn_mbps, queue=net.queue, refused=net.refused,
            radio_lost=net.radio_lost, link_lost=net.link_lost,
            link_util_max=net.link_util_max, ingest_lost=net.ingest_lost,
            ingest_backlog=net.ingest_backlog, ingest_in=net.ingest_in,
            conn_peak=net.conn_peak, node_mbit=net.node_mbit, apn_mbit=net.apn_mbit,
            cell_util_max=net.cell_util_max, cell_util_hist=net.cell_util_hist,
            hist=net.hist, sessions=net.sessions, sessions_blocked=net.sessions_blocked,
            sessions_w=net.sessions_w, blocked_w=net.blocked_w,
            alarm_w=self.alarm_w, video_w=self.video_w, state_w=self.state_w,
            msgs_w=self.msgs_w, refused_w=self.refused_w, terminals=terminals,
            premium=terminal_premiums(sc, terminals))

    def finish(self) -> dict[str, float]:
        r = self.record()
        record_tables(self.ctx.recorder, self.sc, r, {"fleets": self.pop.fleet_names,
                                                      "behaviours": self.pop.behaviour_names})
        return compute_kpis(self.sc, r)


def _spread(direct: np.ndarray, diff: np.ndarray, k: int) -> np.ndarray:
    """Chunks summed; the whole windows (running sum of the differences) added."""
    return direct.sum(axis=0) + np.cumsum(diff.sum(axis=0), axis=1)[:, :k]


def prepare(sc: TerminalsScenario, catalog: ProfileCatalog, source: str
            ) -> tuple[dict[str, ProfileBase], list[Problem]]:
    """Resolve each fleet's terminal profile (with its overrides)."""
    from sim.errors import ScenarioError

    out: dict[str, ProfileBase] = {}
    problems: list[Problem] = []
    for name, f in sc.fleets.items():
        field = f"fleets.{name}.profile"
        try:
            prof = catalog.resolve("vehicle_terminal", f.profile, f.profile_overrides or None,
                                   field, source)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        assert isinstance(prof, VehicleTerminalProfile)
        out[f"vehicle_terminal:{name}"] = prof
    return out, problems


register_model(ModelKind(
    kind="vehicle_terminals",
    scenario_cls=TerminalsScenario,
    build=TerminalsModel,
    kpis=KPIS,
    prepare=prepare,
    description="vehicle terminals over cells to a JT/T 808 gateway and ingest: load, "
                "delay, loss, alarms, video, usage-based insurance",
))
