"""Link loads per window, from the population's aggregates, and their summaries.

Downstream load of a PON port = multicast groups watched on it during the window x bitrate
+ unicast (VoD, ads, fast-channel-change bursts, video calls, firmware) averaged over the
window + hotspot guests. An OLT uplink carries its own multicast union plus its ports'
unicast; a metro the union of its OLTs' groups plus their unicast; a CDN edge the unicast it
serves (VoD, ads, bursts, firmware). Utilisation is load / (line rate x usable share).

Every link is a loss system at its capacity: VoD streams that do not fit the CDN edge are
blocked at admission (:mod:`sim.kernels.admission`); whatever else is offered beyond a link's
capacity (channel-change bursts, ads, firmware, multicast) is not carried but degraded, and
counted (offered/capacity peak, degraded Gbit and minutes), so utilisation never exceeds 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.engine.arrays import resident_zeros
from sim.iptv.population import PortLoadSink
from sim.iptv.profiles import LinkProfile
from sim.iptv.topology import Population
from sim.kernels import links as nk

UTIL_BIN = 0.005
N_UTIL_BINS = 300


def hist_quantile(hist: np.ndarray, q: float) -> np.ndarray:
    """Upper bin edge of the ``q`` quantile of each row of a utilisation histogram."""
    h = np.ascontiguousarray(hist)
    rows = h.reshape(-1, h.shape[-1])
    res = nk.hist_quantile_rows(rows, float(q), UTIL_BIN)
    return res.reshape(h.shape[:-1]) if h.ndim > 1 else np.asarray(res[0])


def usable_mbps(link: LinkProfile, direction: str = "down") -> float:
    """Usable capacity of a link in Mbit/s."""
    gbps = link.down_gbps if direction == "down" else link.up_gbps
    return gbps * 1000.0 * link.usable_share


@dataclass
class LoadTracker:
    """Link capacities, and the per-window loads the summaries need (the epoch kernel fills
    the per-port statistics through :attr:`sink`)."""

    pop: Population
    port_wifi_mbps: np.ndarray
    n_windows: int
    threshold: float = 0.8
    warmup_s: float = 0.0
    core_links: Any = 1
    """Parallel metro links per province (scalar or array over provinces)."""
    edge_links: Any = None
    """Parallel CDN edge links per province (None: as ``core_links``)."""
    port_util_hist: np.ndarray = field(init=False)
    olt_down_hist: np.ndarray = field(init=False)
    metro_down_hist: np.ndarray = field(init=False)
    cdn_hist: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        p = self.pop
        # Per-port histogram of window utilisation (bins of UTIL_BIN), for percentiles in
        # bounded memory whatever the horizon.
        self.port_util_hist = resident_zeros((p.n_ports, N_UTIL_BINS), np.uint16)
        self.port_peak = np.zeros(p.n_ports)
        self.port_up_peak = np.zeros(p.n_ports)
        self.port_over = np.zeros(p.n_ports)
        self.olt_down_hist = np.zeros((self.n_windows, p.n_olts), np.float32)
        self.metro_down_hist = np.zeros((self.n_windows, p.n_metros))
        self.cdn_hist = np.zeros((self.n_windows, p.n_metros))
        self.cap: dict[str, Any] = {role: usable_mbps(link) for role, link in p.links.items()}
        # Metro and CDN edge: parallel links per province when the scenario scales the core.
        self.cap["metro"] = self.cap["metro"] * self.core_links
        edge = self.core_links if self.edge_links is None else self.edge_links
        self.cap["cdn_egress"] = self.cap["cdn_egress"] * edge
        self.cap_up_pon = usable_mbps(p.links["pon"], "up")
        layers = ("olt_uplink", "metro", "cdn_egress")
        self.offered_peak = dict.fromkeys(layers, 0.0)
        self.degraded_mbit = dict.fromkeys(layers, 0.0)
        self.degraded_s = dict.fromkeys(layers, 0.0)
        self.sink = PortLoadSink(self.port_wifi_mbps, float(self.cap["pon"]), self.threshold,
                                 UTIL_BIN, self.port_util_hist, self.port_peak,
                                 self.port_up_peak, self.port_over, self.warmup_s)

    def record(self, w: int, olt_down: np.ndarray, metro_down: np.ndarray,
               cdn: np.ndarray, dt: float, counted: bool) -> dict[str, float]:
        """Keep window ``w``'s OLT uplink, metro and CDN edge loads (Mbit/s) as carried: a
        link carries at most its capacity; what is offered beyond it is not carried
        (delayed or dropped: degraded) and is counted here (windows ``counted`` only).
        Returns the window's offered/capacity peaks and degraded Mbit/s per link layer."""
        out: dict[str, float] = {}
        for name, load, hist, cap in (
                ("olt_uplink", olt_down, self.olt_down_hist, self.cap["olt_uplink"]),
                ("metro", metro_down, self.metro_down_hist, self.cap["metro"]),
                ("cdn_egress", cdn, self.cdn_hist, self.cap["cdn_egress"])):
            hist[w] = np.minimum(load, cap)
            over = np.maximum(load - cap, 0.0)
            out[name] = float((load / cap).max(initial=0.0))
            out[name + "_degraded_mbps"] = float(over.sum())
            if counted:
                self.offered_peak[name] = max(self.offered_peak[name], out[name])
                self.degraded_mbit[name] += out[name + "_degraded_mbps"] * dt
                self.degraded_s[name] += dt if out[name + "_degraded_mbps"] > 0 else 0.0
        return out
