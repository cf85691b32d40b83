"""What an ``iptv`` run records (time series, tables) and its KPIs."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.iptv.network import UTIL_BIN, hist_quantile
from sim.iptv.population import EpochStats
from sim.iptv.scenario import VERTICALS
from sim.kernels import layout as vk
from sim.kernels.links import distinct_groups

if TYPE_CHECKING:
    from sim.iptv.bootstorm import StormResult
    from sim.iptv.model import IptvModel
    from sim.iptv.schedule import WaveResult

KPIS: dict[str, str] = {
    "boxes": "set-top boxes simulated",
    "sites": "sites",
    "pon_ports": "PON ports (access nodes)",
    "device_events": "per-box events processed by the population kernel",
    "live_peak": "most boxes watching live TV in one window (mean over the window)",
    "vod_peak": "most boxes streaming VoD in one window",
    "pon_peak_util": "highest PON port downstream utilisation (window average)",
    "pon_p95_util": "95th percentile of port-window downstream utilisation",
    "olt_peak_util": "highest OLT uplink utilisation",
    "metro_peak_util": "highest metro link utilisation",
    "cdn_peak_util": "highest CDN edge egress utilisation",
    "cdn_peak_gbps": "highest CDN edge egress, all provinces together (Gbit/s)",
    "multicast_peak_gbps": "highest multicast load summed over metros (Gbit/s)",
    "overload_minutes": "minutes with at least one link above the overload threshold",
    "pon_overload_port_minutes": "port-minutes above the overload threshold",
    "pon_peak_offered": "highest PON port downstream load offered / capacity (above 1: "
    "the excess is not carried)",
    "olt_peak_offered": "highest OLT uplink load offered / capacity",
    "metro_peak_offered": "highest metro link load offered / capacity",
    "cdn_peak_offered": "highest CDN edge egress offered / capacity (VoD beyond it is "
    "blocked at admission; bursts, ads and firmware beyond it are degraded)",
    "cdn_degraded_gbit": "CDN edge demand above capacity, not carried (Gbit)",
    "link_degraded_minutes": "minutes an OLT uplink, metro or CDN edge was offered more than "
    "its capacity (most of the three)",
    "pon_degraded_port_minutes": "port-minutes a PON port was offered more than its capacity",
    "video_calls": "multi-party video calls started (boxes with a USB camera)",
    "vod_requests": "VoD requests",
    "vod_blocked": "VoD requests blocked (box fell back to live TV)",
    "vod_blocking": "share of VoD requests blocked",
    "vod_edge_hit_ratio": "share of admitted VoD requests served from the edge cache (top titles)",
    "distinct_channels_mean": "mean distinct multicast groups per active PON port at the end "
    "of each kernel epoch (up to an hour)",
    "boot_boxes": "boxes that lost power in the boot storm",
    "boot_t50_s": "seconds from power restored until 50% of boxes are back on air",
    "boot_t99_s": "seconds from power restored until 99% of boxes are back on air",
    "boot_rejects": "requests rejected by DHCP, auth and EPG servers",
    "boot_timeouts": "requests the boxes gave up on (timeout)",
    "boot_peak_dhcp_rps": "highest DHCP request rate (per s, over a bin)",
    "power_on_boxes": "box power-ons by a power schedule (hospital ward TV in the morning)",
    "power_on_t99_s": "99th percentile of the seconds from a scheduled power-on to on air "
    "(jitter, boot, DHCP, auth, EPG, splash)",
    "power_on_rejects": "scheduled power-on requests rejected by DHCP, auth and EPG servers",
    "power_on_timeouts": "scheduled power-on requests the boxes gave up on (timeout)",
    "power_on_peak_dhcp_rps": "highest DHCP request rate at one province's server in a "
    "scheduled power-on (per s, over a bin)",
    "power_on_peak_auth_rps": "highest auth request rate at one province's server in a "
    "scheduled power-on",
    "power_on_peak_epg_rps": "highest EPG request rate at one province's server in a "
    "scheduled power-on",
    "fw_boxes": "boxes targeted by the firmware campaign",
    "fw_complete_s": "seconds from campaign start until every wave finished (NaN if not)",
    "fw_done_share": "share of targeted boxes that finished (ok, rolled back or bricked)",
    "fw_ok_share": "share of targeted boxes upgraded successfully",
    "fw_peak_egress_gbps": "highest firmware egress over a window (Gbit/s)",
    "fw_bricked": "boxes bricked by the campaign",
    "fw_rolled_back": "boxes rolled back after a failed install",
    "fw_aborted": "1 if the campaign was aborted on failures",
    "fw_waves_opened": "waves opened",
}


class Summary:
    """Collects per-window results and produces series, tables and KPIs."""

    def __init__(self, model: IptvModel):
        self.m = model
        rec = model.ctx.recorder
        self.rec = rec
        self.net = rec.series("network", [
            "t_s", "standby", "live", "vod", "ad", "call", "offline", "events", "joins", "calls",
            "vod_requests", "vod_blocked", "vod_cache_misses", "multicast_gbps", "unicast_gbps",
            "fw_gbps",
            "pon_peak_util", "pon_mean_util", "olt_peak_util", "metro_peak_util",
            "cdn_peak_util", "cdn_gbps", "cdn_degraded_gbps"])
        self.prov = rec.series("provinces", [
            "t_s", "province", "live", "vod", "vod_requests", "vod_blocked", "metro_util",
            "cdn_gbps"])
        self.chan = rec.series("channels", ["t_s", "channel", "viewers"])
        p = model.pop
        n_srv = p.n_metros * model.sc.network.vod_servers_per_province
        self.srv_prov = np.arange(n_srv) // model.sc.network.vod_servers_per_province
        self.vod_req = np.zeros(p.n_metros, np.int64)
        self.vod_blk = np.zeros(p.n_metros, np.int64)
        self.vod_miss = 0
        self.calls = 0.0
        self.prov_live_peak = np.zeros(p.n_metros)
        self.channel_viewer_s = np.zeros(model.gbit.shape[0] // 2)
        self.distinct_sum = 0.0
        self.distinct_n = 0
        self.live_peak = 0.0
        self.vod_peak = 0.0
        self.multicast_peak = 0.0
        self.overload_s = 0.0
        self.fw_peak = 0.0
        self.fw_opened_at: list[float] = []
        self.fw_aborted_at: float | None = None
        self.fw_finished_at: float | None = None
        self.storm: dict[str, float] = {}
        self.power_cols: list[dict[str, Any]] = []
        self.power_on_air: list[np.ndarray] = []
        self.power_peak = [0.0, 0.0, 0.0]
        self.power_rejects = 0.0
        self.power_timeouts = 0.0
        self.n_ports = p.n_ports
        self.port_metro = p.olt_metro[p.port_olt]

    def window(self, w: int, t0: float, es: EpochStats, k: int, fw_sent_mbit: float) -> None:
        """Record window ``w`` (starting at ``t0``): window ``k`` of epoch ``es``."""
        m = self.m
        p = m.pop
        dt = m.dt
        m_acc = es.m_acc[k]
        col = m_acc.sum(axis=0)
        occ = col[vk.O_OCC:vk.O_OCC + vk.N_STATES] / dt
        req = np.bincount(self.srv_prov, weights=es.req[:, k], minlength=p.n_metros)
        blk = np.bincount(self.srv_prov, weights=es.blk[:, k], minlength=p.n_metros)
        miss = int(es.miss[:, k].sum())
        cap = m.loads.cap
        olt_down = es.olt_down[:, k]
        metro_multicast = es.m_union[k]
        metro_down = metro_multicast + es.m_uni[k]
        cdn = es.m_cdn[k]
        lk = m.loads.record(w, olt_down, metro_down, cdn, dt, t0 >= m.sc.warmup_s)
        port_max = min(1.0, float(es.port_util_max[:, k].max(initial=0.0)))
        port_mean = float(es.port_util_sum[:, k].sum()) / max(1, self.n_ports)
        metro_util = np.minimum(metro_down, cap["metro"]) / cap["metro"]
        cdn = np.minimum(cdn, cap["cdn_egress"])  # carried
        cdn_util = cdn / cap["cdn_egress"]
        olt_max = min(1.0, lk["olt_uplink"])
        fw_mbps = fw_sent_mbit / dt
        uni = float(col[vk.O_VOD] + col[vk.O_AD] + col[vk.O_CALL_DN] + col[vk.O_FCC]) / dt
        multicast = float(metro_multicast.sum()) / 1000.0
        self.net.append(t0, *(float(x) for x in occ), float(col[vk.O_EVENTS]),
                        float(col[vk.O_JOINS]), float(col[vk.O_CALLS]), int(req.sum()),
                        int(blk.sum()), miss,
                        multicast, (uni + fw_mbps) / 1000.0, fw_mbps / 1000.0, port_max,
                        port_mean, olt_max, float(metro_util.max()), float(cdn_util.max()),
                        float(cdn.sum()) / 1000.0, lk["cdn_egress_degraded_mbps"] / 1000.0)
        live_p = m_acc[:, vk.O_OCC + vk.LIVE] / dt
        vod_p = m_acc[:, vk.O_OCC + vk.VOD] / dt
        n_m = len(p.provinces)
        self.prov.extend([t0] * n_m, p.provinces, live_p.tolist(), vod_p.tolist(),
                         req.astype(np.int64).tolist(), blk.astype(np.int64).tolist(),
                         metro_util.tolist(), (cdn / 1000.0).tolist())
        n_ch = self.channel_viewer_s.shape[0]
        viewers = es.viewers[k, :n_ch] + es.viewers[k, n_ch:]
        watched = np.flatnonzero(viewers)
        self.chan.extend([t0] * watched.size, watched.tolist(), viewers[watched].tolist())
        fw_gbps = fw_mbps / 1000.0
        self.fw_peak = max(self.fw_peak, fw_gbps)
        if t0 < m.sc.warmup_s:
            return
        self.vod_miss += miss
        self.calls += float(col[vk.O_CALLS])
        self.vod_req += req.astype(np.int64)
        self.vod_blk += blk.astype(np.int64)
        self.channel_viewer_s += viewers * dt
        self.live_peak = max(self.live_peak, float(occ[vk.LIVE]))
        self.vod_peak = max(self.vod_peak, float(occ[vk.VOD]))
        np.maximum(self.prov_live_peak, live_p, out=self.prov_live_peak)
        self.multicast_peak = max(self.multicast_peak, multicast)
        thr = m.sc.network.overload_threshold
        if (port_max > thr or olt_max > thr or float(metro_util.max()) > thr
                or float(cdn_util.max()) > thr):
            self.overload_s += dt
        if m.boxes is not None and k == es.n_k - 1:
            # Distinct groups per port at the epoch end.
            total, busy = distinct_groups(m.boxes.nbit, 1)
            self.distinct_sum += float(total)
            self.distinct_n += int(busy)

    def fw_wave_opened(self, wave: int, t: float) -> None:
        self.fw_opened_at.append(t)

    def record_storm(self, res: StormResult, t_off: float, t_on: float) -> None:
        on = res.on_air_s
        self.rec.add_series("boot", boot_columns(res, t_on))
        n = on.size
        self.storm = {
            "boot_boxes": float(n),
            "boot_t50_s": float(np.quantile(on, 0.5)) if n else math.nan,
            "boot_t99_s": float(np.quantile(on, 0.99)) if n else math.nan,
            "boot_rejects": float(res.counts[1].sum()),
            "boot_timeouts": float(res.counts[3].sum()),
            "boot_peak_dhcp_rps": float(res.counts[0, 0].max() / res.bin_s) if n else 0.0,
        }

    def record_power_on(self, wave: WaveResult) -> None:
        """A scheduled power-on: its boot waves, one per province, as rows of the
        ``power_on`` series (the columns of ``boot``, with the province)."""
        names = self.m.pop.provinces
        for k, res in zip(wave.provinces, wave.waves, strict=True):
            cols = boot_columns(res, wave.t_on)
            self.power_cols.append({"t_s": cols.pop("t_s"),
                                    "province": [names[k]] * len(cols["on_air"]), **cols})
            self.power_on_air.append(res.on_air_s)
            for s in range(3):
                self.power_peak[s] = max(self.power_peak[s],
                                         float(res.counts[0, s].max()) / res.bin_s)
            self.power_rejects += float(res.counts[1].sum())
            self.power_timeouts += float(res.counts[3].sum())

    def _power_kpis(self) -> dict[str, float]:
        if self.m.power is None:
            return {}
        if self.power_cols:
            self.rec.add_series("power_on", {
                c: np.concatenate([np.asarray(p[c]) for p in self.power_cols])
                for c in self.power_cols[0]})
        on = np.concatenate(self.power_on_air) if self.power_on_air else np.zeros(0)
        return {
            "power_on_boxes": float(on.size),
            "power_on_t99_s": float(np.quantile(on, 0.99)) if on.size else math.nan,
            "power_on_rejects": self.power_rejects,
            "power_on_timeouts": self.power_timeouts,
            "power_on_peak_dhcp_rps": self.power_peak[0],
            "power_on_peak_auth_rps": self.power_peak[1],
            "power_on_peak_epg_rps": self.power_peak[2],
        }

    def finish(self) -> dict[str, float]:
        from sim.iptv.tables import write_tables

        m = self.m
        p = m.pop
        lt = m.loads
        w0 = int(math.ceil(m.sc.warmup_s / m.dt))
        peak = np.minimum(lt.port_peak / lt.cap["pon"], 1.0)
        over_bin = int(round(1.0 / UTIL_BIN))  # port-windows above capacity
        pon_degraded = float(lt.port_util_hist[:, over_bin:].sum()) * m.dt / 60.0
        req, blk = int(self.vod_req.sum()), int(self.vod_blk.sum())
        k: dict[str, float] = {
            "boxes": float(p.n_boxes),
            "sites": float(p.site_boxes.size),
            "pon_ports": float(p.n_ports),
            "device_events": float(m.events_processed),
            "live_peak": self.live_peak,
            "vod_peak": self.vod_peak,
            "pon_peak_util": float(peak.max()) if peak.size else math.nan,
            "pon_p95_util": min(1.0, float(hist_quantile(lt.port_util_hist.sum(axis=0), 0.95))),
            "olt_peak_util": float(lt.olt_down_hist[w0:].max() / lt.cap["olt_uplink"]),
            "metro_peak_util": float((lt.metro_down_hist[w0:] / lt.cap["metro"]).max()),
            "cdn_peak_util": float((lt.cdn_hist[w0:] / lt.cap["cdn_egress"]).max()),
            "cdn_peak_gbps": float(lt.cdn_hist[w0:].sum(axis=1).max() / 1000.0),
            "multicast_peak_gbps": self.multicast_peak,
            "overload_minutes": self.overload_s / 60.0,
            "pon_overload_port_minutes": float(lt.port_over.sum() / 60.0),
            "pon_peak_offered": float(lt.port_peak.max(initial=0.0) / lt.cap["pon"]),
            "olt_peak_offered": lt.offered_peak["olt_uplink"],
            "metro_peak_offered": lt.offered_peak["metro"],
            "cdn_peak_offered": lt.offered_peak["cdn_egress"],
            "cdn_degraded_gbit": lt.degraded_mbit["cdn_egress"] / 1000.0,
            "link_degraded_minutes": max(lt.degraded_s.values()) / 60.0,
            "pon_degraded_port_minutes": pon_degraded,
            "video_calls": self.calls,
            "vod_requests": float(req),
            "vod_blocked": float(blk),
            "vod_blocking": blk / req if req else 0.0,
            "vod_edge_hit_ratio": 1.0 - self.vod_miss / (req - blk) if req > blk else math.nan,
            "distinct_channels_mean": (self.distinct_sum / self.distinct_n
                                       if self.distinct_n else math.nan),
        }
        k.update(self.storm)
        k.update(self._power_kpis())
        camp = m.campaign
        if camp is not None:
            ok, rb, br = (float(x) for x in camp.totals())
            start = self.fw_opened_at[0] if self.fw_opened_at else math.nan
            done = self.fw_finished_at
            k.update({
                "fw_boxes": float(camp.n_target),
                "fw_complete_s": (done - start) if done is not None and camp.aborted is False
                else math.nan,
                "fw_done_share": (ok + rb + br) / max(1, camp.n_target),
                "fw_ok_share": ok / max(1, camp.n_target),
                "fw_peak_egress_gbps": self.fw_peak,
                "fw_bricked": br,
                "fw_rolled_back": rb,
                "fw_aborted": 1.0 if camp.aborted else 0.0,
                "fw_waves_opened": float(camp.opened),
            })
        write_tables(self, w0)
        return k


def boot_columns(res: StormResult, t_on: float) -> dict[str, Any]:
    """A boot wave as a time series from ``t_on`` (bins of ``res.bin_s``, up to one bin past
    its last request or box on air): boxes on air, and per stage the requests per second,
    rejects, requests served and timeouts per bin."""
    on = res.on_air_s
    n_bins = res.counts.shape[2]
    t = t_on + np.arange(n_bins) * res.bin_s
    back = np.searchsorted(np.sort(on), np.arange(1, n_bins + 1) * res.bin_s, side="right")
    finite = on[np.isfinite(on)]
    busy = np.flatnonzero(res.counts.sum(axis=(0, 1)))
    t_end = max(float(finite.max()) if finite.size else 0.0,
                float(busy[-1] + 1) * res.bin_s if busy.size else 0.0)
    last = min(n_bins, int(t_end / res.bin_s) + 2)
    cols: dict[str, Any] = {"t_s": t[:last], "on_air": back[:last]}
    for s, stage in enumerate(("dhcp", "auth", "epg")):
        cols[f"{stage}_rps"] = res.counts[0, s, :last] / res.bin_s
        cols[f"{stage}_rejects"] = res.counts[1, s, :last]
        cols[f"{stage}_served"] = res.counts[2, s, :last]
        cols[f"{stage}_timeouts"] = res.counts[3, s, :last]
    return cols


__all__ = ["KPIS", "Summary", "VERTICALS", "boot_columns"]
