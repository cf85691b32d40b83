"""KPIs, series and tables of a terminals run, from a plain record of arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.economics.insurance import EVENT_KINDS, premiums
from sim.engine.recorder import Recorder
from sim.kernels.terminals_gateway import H_DECADES, H_LO, H_PER_DECADE
from sim.terminals.network import BUSY, DELAY_SUM, LOST, OFFERED, SERVED, WAIT_SUM, WAITED
from sim.terminals.schema import TerminalsScenario

KPIS = {
    "terminals": "terminals simulated",
    "messages": "messages the terminals sent in the horizon (reports, alarms, sleep reports)",
    "messages_per_s_peak": "largest messages/s offered to the gateway in a window",
    "messages_per_s_p95": "95th percentile over windows of messages/s offered to the gateway",
    "gateway_utilisation_peak": "largest busy share of the gateway's workers in a window",
    "gateway_utilisation_mean": "busy share of the gateway's workers over the horizon",
    "message_delay_mean_s": "mean time from a message reaching the gateway to its processing "
                            "end (wait plus service), s",
    "message_delay_p95_s": "95th percentile of that delay, s",
    "message_wait_prob": "share of messages that waited for a worker",
    "messages_lost": "messages lost: refused sessions, full cells, full gateway uplinks and "
                     "buffers, ingest overflow",
    "messages_lost_share": "messages_lost / messages offered",
    "connections_peak": "most connections open at once, all nodes",
    "session_blocking": "share of ignition-on sessions the gateway refused (no connection)",
    "gateway_mbps_peak": "largest Mbit/s into one gateway node in a window",
    "gateway_link_utilisation_peak": "largest use of a gateway node's uplink in a window "
                                     "(share of uplink_mbps)",
    "ingest_backlog_peak": "largest backlog of messages at the ingest servers",
    "cell_utilisation_peak": "largest uplink use of a cell in a window (share of its capacity)",
    "cell_utilisation_p95": "95th percentile of cell uplink use over cells and windows",
    "apn_utilisation_peak": "largest APN Mbit/s in a window / apn_mbps",
    "video_gb_per_day": "dashcam clips and on-demand video uploaded, GB per day",
    "km_per_vehicle_day": "km driven per vehicle per day",
    "night_km_share": "share of km driven 22:00-06:00",
    "alarms_per_day": "alarm events per day, all kinds",
    "harsh_braking_per_100km": "harsh braking events per 100 km",
    "harsh_acceleration_per_100km": "harsh acceleration events per 100 km",
    "speeding_per_100km": "speeding episodes per 100 km",
    "fatigue_alarms_per_day": "fatigue alarms (4 h without a 20-min rest) per day",
    "premium_mean_cny": "mean usage-based yearly premium per vehicle, yuan",
    "moving_mean": "terminals moving, time average",
}

#: Per-terminal truth columns (tables/terminals).
TRUTH = ("km", "night_km", "move_s", "msgs", "video_mb")


@dataclass
class TerminalsRecord:
    """What a run leaves for its KPIs: per window, per terminal and the gateway's histogram."""

    window_s: float
    horizon_s: float
    workers: int
    nodes: int
    apn_mbps: float
    queue: np.ndarray  # [W, nodes, 7] gateway queue results
    refused: np.ndarray  # [W, nodes]
    radio_lost: np.ndarray  # [W]
    link_lost: np.ndarray  # [W] beyond the gateway nodes' uplinks
    link_util_max: np.ndarray  # [W]
    ingest_lost: np.ndarray  # [W]
    ingest_backlog: np.ndarray  # [W]
    ingest_in: np.ndarray  # [W]
    conn_peak: np.ndarray  # [nodes, W]
    node_mbit: np.ndarray  # [W, nodes]
    apn_mbit: np.ndarray  # [W]
    cell_util_max: np.ndarray  # [W]
    cell_util_hist: np.ndarray  # [202] cell-windows by use, 1% bins
    hist: np.ndarray  # delay histogram
    sessions: int
    sessions_blocked: int
    sessions_w: np.ndarray  # [W] sessions starting in the window
    blocked_w: np.ndarray  # [W] of those, refused
    alarm_w: np.ndarray  # [W, 4]
    video_w: np.ndarray  # [W] MB
    state_w: np.ndarray  # [W, 3] mean terminals off, moving, parked
    msgs_w: np.ndarray  # [W] to the gateway
    refused_w: np.ndarray  # [W]
    terminals: dict[str, np.ndarray]  # per terminal: fleet, behaviour, truth, alarms
    premium: dict[str, np.ndarray]


def quantile_from_hist(hist: np.ndarray, q: float) -> float:
    """The ``q`` quantile of the delay histogram (log-linear inside a bin)."""
    total = hist.sum()
    if total <= 0:
        return math.nan
    cum = np.cumsum(hist)
    b = int(np.searchsorted(cum, q * total))
    if b == 0:
        return 0.0
    lo = 10 ** (H_LO + (b - 1) / H_PER_DECADE)
    if b >= hist.size - 1:
        return 10 ** (H_LO + H_DECADES)
    before = cum[b - 1]
    frac = (q * total - before) / max(hist[b], 1e-300)
    return float(lo * 10 ** (frac / H_PER_DECADE))


def compute_kpis(sc: TerminalsScenario, r: TerminalsRecord) -> dict[str, float]:
    dt = r.window_s
    days = r.horizon_s / 86400.0
    offered = r.queue[:, :, OFFERED].sum(axis=1) + r.radio_lost + r.link_lost
    rate = offered / dt
    served = r.queue[:, :, SERVED].sum()
    lost = (r.refused.sum() + r.radio_lost.sum() + r.link_lost.sum()
            + r.queue[:, :, LOST].sum() + r.ingest_lost.sum())
    total_offered = r.refused.sum() + offered.sum()
    util_w = r.queue[:, :, BUSY].sum(axis=1) / (r.workers * r.nodes * dt)
    t = r.terminals
    n = t["km"].size
    km = float(t["km"].sum())

    def per_100km(x: float) -> float:
        return x / km * 100.0 if km > 0 else math.nan

    alarms = t["alarms"].sum(axis=0) if n else np.zeros(4)
    cum = np.cumsum(r.cell_util_hist)
    p95_bin = int(np.searchsorted(cum, 0.95 * cum[-1])) if cum[-1] > 0 else 0
    return {
        "terminals": float(n),
        "messages": float(t["msgs"].sum() + r.refused.sum()),
        "messages_per_s_peak": float(rate.max(initial=0.0)),
        "messages_per_s_p95": float(np.quantile(rate, 0.95)) if rate.size else math.nan,
        "gateway_utilisation_peak": float(util_w.max(initial=0.0)),
        "gateway_utilisation_mean": float(util_w.mean()) if util_w.size else math.nan,
        "message_delay_mean_s": float(r.queue[:, :, DELAY_SUM].sum() / served)
        if served > 0 else math.nan,
        "message_delay_p95_s": quantile_from_hist(r.hist, 0.95),
        "message_wait_prob": float(r.queue[:, :, WAITED].sum() / served)
        if served > 0 else math.nan,
        "messages_lost": float(lost),
        "messages_lost_share": float(lost / total_offered) if total_offered > 0 else math.nan,
        "connections_peak": float(r.conn_peak.max(axis=1).sum()) if r.conn_peak.size else 0.0,
        "session_blocking": r.sessions_blocked / r.sessions if r.sessions else math.nan,
        "gateway_mbps_peak": float((r.node_mbit / dt).max(initial=0.0)),
        "gateway_link_utilisation_peak": float(r.link_util_max.max(initial=0.0)),
        "ingest_backlog_peak": float(r.ingest_backlog.max(initial=0.0)),
        "cell_utilisation_peak": float(r.cell_util_max.max(initial=0.0)),
        "cell_utilisation_p95": (p95_bin + 0.5) / 100.0,
        "apn_utilisation_peak": float((r.apn_mbit / dt).max(initial=0.0) / r.apn_mbps),
        "video_gb_per_day": float(r.video_w.sum() / 1000.0 / days),
        "km_per_vehicle_day": km / n / days if n else math.nan,
        "night_km_share": float(t["night_km"].sum() / km) if km > 0 else math.nan,
        "alarms_per_day": float(alarms.sum() / days),
        "harsh_braking_per_100km": per_100km(float(alarms[0])),
        "harsh_acceleration_per_100km": per_100km(float(alarms[1])),
        "speeding_per_100km": per_100km(float(alarms[2])),
        "fatigue_alarms_per_day": float(alarms[3] / days),
        "premium_mean_cny": float(r.premium["premium_cny"].mean()) if n else math.nan,
        "moving_mean": float(r.state_w[:, 1].mean()) if r.state_w.size else math.nan,
    }


def terminal_premiums(sc: TerminalsScenario, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each vehicle's premium from its simulated truth."""
    events = {k: t["alarms"][:, j] for j, k in enumerate(EVENT_KINDS)}
    return premiums(sc.insurance, t["km"], t["night_km"], events, sc.horizon_s / 86400.0)


def record_tables(rec: Recorder, sc: TerminalsScenario, r: TerminalsRecord,
                  names: dict[str, list[str]]) -> None:
    """Series ``terminals`` (per window) and, for small populations, per-terminal tables."""
    dt = r.window_s
    w = np.arange(r.queue.shape[0])
    q = r.queue
    served = q[:, :, SERVED].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        series: dict[str, Any] = {
            "t_s": w * dt,
            "messages_sent": r.msgs_w,
            "messages_per_s": (q[:, :, OFFERED].sum(axis=1) + r.radio_lost + r.link_lost) / dt,
            "refused_per_s": r.refused.sum(axis=1) / dt,
            "gateway_utilisation": q[:, :, BUSY].sum(axis=1) / (r.workers * r.nodes * dt),
            "message_wait_mean_s": q[:, :, WAIT_SUM].sum(axis=1) / served,
            "message_delay_mean_s": q[:, :, DELAY_SUM].sum(axis=1) / served,
            "gateway_offered": q[:, :, OFFERED].sum(axis=1),
            "gateway_served": served,
            "gateway_waited": q[:, :, WAITED].sum(axis=1),
            "gateway_lost": q[:, :, LOST].sum(axis=1),
            "sessions": r.sessions_w,
            "sessions_refused": r.blocked_w,
            "radio_lost": r.radio_lost,
            "link_lost": r.link_lost,
            "gateway_link_utilisation": r.link_util_max,
            "ingest_backlog": r.ingest_backlog,
            "connections": r.conn_peak.sum(axis=0),
            "cell_utilisation_max": r.cell_util_max,
            "apn_mbps": r.apn_mbit / dt,
            "video_mbps": r.video_w * 8 / dt,
            "off": r.state_w[:, 0], "moving": r.state_w[:, 1], "parked": r.state_w[:, 2],
        }
    for j, k in enumerate(EVENT_KINDS):
        series[f"alarms_{k}"] = r.alarm_w[:, j]
    rec.add_series("terminals", series)
    t = r.terminals
    n = t["km"].size
    if n == 0 or n > sc.record_terminals:
        return
    table: dict[str, Any] = {
        "terminal": np.arange(n, dtype=np.int64),
        "fleet": np.asarray(names["fleets"], object)[t["fleet"]],
        "behaviour": np.asarray(names["behaviours"], object)[t["beh"]],
        "driver_multiplier": t["mult"],
    }
    for c in TRUTH:
        table[c] = t[c]
    for j, k in enumerate(EVENT_KINDS):
        table[k] = t["alarms"][:, j]
    rec.add_table("terminals", table)
    rec.add_table("premiums", {"terminal": np.arange(n, dtype=np.int64),
                               **{k: v for k, v in r.premium.items()}})
