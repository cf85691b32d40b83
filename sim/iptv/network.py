"""Link loads per window, from the population's aggregates, and their summaries.

Downstream load of a PON port = multicast groups watched on it during the window x bitrate
+ unicast (VoD, ads, fast-channel-change bursts, video calls, firmware) averaged over the
window + hotspot guests. An OLT uplink carries its own multicast union plus its ports'
unicast; a metro the union of its OLTs' groups plus their unicast; a CDN edge the unicast it
serves (VoD, ads, bursts, firmware). Utilisation is load / (line rate x usable share).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.iptv.population import WindowStats
from sim.iptv.profiles import LinkProfile
from sim.iptv.topology import Population
from sim.kernels import network as nk
from sim.kernels import viewing as vk

UTIL_BIN = 0.005
N_UTIL_BINS = 300


def hist_quantile(hist: np.ndarray, q: float) -> np.ndarray:
    """Upper bin edge of the ``q`` quantile of each row of a utilisation histogram."""
    c = np.cumsum(hist.astype(np.int64), axis=-1)
    n = c[..., -1:]
    idx = np.argmax(c >= np.maximum(1, np.ceil(q * n)), axis=-1)
    return np.where(n[..., 0] > 0, (idx + 1) * UTIL_BIN, np.nan)


def usable_mbps(link: LinkProfile, direction: str = "down") -> float:
    """Usable capacity of a link in Mbit/s."""
    gbps = link.down_gbps if direction == "down" else link.up_gbps
    return gbps * 1000.0 * link.usable_share


@dataclass
class WindowLoads:
    port_down: np.ndarray
    port_up: np.ndarray
    olt_down: np.ndarray
    metro_down: np.ndarray
    metro_multicast: np.ndarray
    cdn_egress: np.ndarray
    multicast_now_metro: np.ndarray
    viewers_per_group: np.ndarray


@dataclass
class LoadTracker:
    """Computes loads each window and keeps what the summaries need."""

    pop: Population
    gbit: np.ndarray
    port_wifi_mbps: np.ndarray
    n_windows: int
    threshold: float = 0.8
    warmup_s: float = 0.0
    core_links: Any = 1
    """Parallel metro / CDN edge links per province (scalar or array over provinces)."""
    port_util_hist: np.ndarray = field(init=False)
    olt_down_hist: np.ndarray = field(init=False)
    metro_down_hist: np.ndarray = field(init=False)
    cdn_hist: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        p = self.pop
        # Per-port histogram of window utilisation (bins of UTIL_BIN), for percentiles in
        # bounded memory whatever the horizon.
        self.port_util_hist = np.zeros((p.n_ports, N_UTIL_BINS), np.uint16)
        self._rows = np.arange(p.n_ports)
        self.port_peak = np.zeros(p.n_ports)
        self.port_up_peak = np.zeros(p.n_ports)
        self.port_over = np.zeros(p.n_ports)
        self.olt_down_hist = np.zeros((self.n_windows, p.n_olts), np.float32)
        self.metro_down_hist = np.zeros((self.n_windows, p.n_metros))
        self.cdn_hist = np.zeros((self.n_windows, p.n_metros))
        self._now = np.zeros(p.n_metros)
        self._union = np.zeros(p.n_metros)
        self._viewers = np.zeros(self.gbit.shape[0], np.int64)
        self.cap: dict[str, Any] = {role: usable_mbps(link) for role, link in p.links.items()}
        # Metro and CDN edge: parallel links per province when the scenario scales the core.
        self.cap["metro"] = self.cap["metro"] * self.core_links
        self.cap["cdn_egress"] = self.cap["cdn_egress"] * self.core_links
        self.cap_up_pon = usable_mbps(p.links["pon"], "up")

    def window(self, w: int, ws: WindowStats, dt: float, cnt_o: np.ndarray, stp_o: np.ndarray,
               fw_port_mbit: np.ndarray | None) -> WindowLoads:
        p = self.pop
        out = ws.out
        uni_mbit = out[:, vk.O_VOD] + out[:, vk.O_AD] + out[:, vk.O_CALL_DN] + out[:, vk.O_FCC]
        cdn_mbit = out[:, vk.O_VOD] + out[:, vk.O_AD] + out[:, vk.O_FCC]
        if fw_port_mbit is not None:
            uni_mbit = uni_mbit + fw_port_mbit
            cdn_mbit = cdn_mbit + fw_port_mbit
        in_use = (out[:, vk.O_OCC + vk.LIVE] + out[:, vk.O_OCC + vk.VOD]
                  + out[:, vk.O_OCC + vk.CALL])
        boxes = np.maximum(p.port_boxes, 1)
        wifi = self.port_wifi_mbps * in_use / (boxes * dt)
        port_down = ws.union_port_mbps + uni_mbit / dt + wifi
        port_up = out[:, vk.O_CALL_UP] / dt
        uni_olt = np.bincount(p.port_olt, weights=uni_mbit + wifi * dt, minlength=p.n_olts) / dt
        olt_down = ws.union_olt_mbps + uni_olt
        nk.multicast_above(w, p.olt_metro, p.n_metros, cnt_o, stp_o, self.gbit, self._now,
                           self._union, self._viewers)
        metro_down = self._union + np.bincount(p.olt_metro, weights=uni_olt, minlength=p.n_metros)
        port_metro = p.olt_metro[p.port_olt]
        cdn = np.bincount(port_metro, weights=cdn_mbit, minlength=p.n_metros) / dt
        if w * dt >= self.warmup_s:
            b = np.minimum((port_down / self.cap["pon"] / UTIL_BIN).astype(np.int64),
                           N_UTIL_BINS - 1)
            self.port_util_hist[self._rows, b] += np.uint16(1)
            np.maximum(self.port_peak, port_down, out=self.port_peak)
            np.maximum(self.port_up_peak, port_up, out=self.port_up_peak)
            self.port_over += (port_down > self.threshold * self.cap["pon"]) * dt
        self.olt_down_hist[w] = olt_down
        self.metro_down_hist[w] = metro_down
        self.cdn_hist[w] = cdn
        return WindowLoads(port_down, port_up, olt_down, metro_down, self._union.copy(), cdn,
                           self._now.copy(), self._viewers.copy())
