"""End-of-run tables of an ``iptv`` run (each with a ``province`` column where it applies)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.iptv.network import hist_quantile
from sim.iptv.scenario import VERTICALS
from sim.iptv.topology import topology_graph

if TYPE_CHECKING:
    from sim.iptv.kpis import Summary

#: Above this many sites the topology table lists ports and up only.
SITE_EDGE_LIMIT = 200_000


def _p95(a: np.ndarray) -> np.ndarray:
    return np.quantile(a, 0.95, axis=0) if a.shape[0] else np.zeros(a.shape[1])


def write_tables(s: Summary, w0: int) -> None:
    m = s.m
    p = m.pop
    lt = m.loads
    rec = s.rec
    prov = np.asarray(p.provinces, dtype=object)
    port_prov = p.olt_metro[p.port_olt]
    cap = lt.cap
    port_p95 = np.minimum(hist_quantile(lt.port_util_hist, 0.95), 1.0) * cap["pon"]
    port_peak = np.minimum(lt.port_peak, cap["pon"])  # carried
    rec.add_table("ports", {
        "port": np.arange(p.n_ports), "olt": p.port_olt, "province": prov[port_prov],
        "boxes": p.port_boxes,
        "peak_down_mbps": port_peak, "p95_down_mbps": port_p95,
        "peak_util": port_peak / cap["pon"], "p95_util": port_p95 / cap["pon"],
        "peak_up_mbps": lt.port_up_peak, "overload_min": lt.port_over / 60.0,
    })
    oh = lt.olt_down_hist[w0:]
    rec.add_table("olts", {
        "olt": np.arange(p.n_olts), "province": prov[p.olt_metro],
        "ports": np.bincount(p.port_olt, minlength=p.n_olts),
        "boxes": np.diff(p.olt_box),
        "peak_down_mbps": oh.max(axis=0), "p95_down_mbps": _p95(oh),
        "peak_util": oh.max(axis=0) / cap["olt_uplink"],
        "overload_min": (oh > m.sc.network.overload_threshold * cap["olt_uplink"]).sum(axis=0)
        * m.dt / 60.0,
    })
    box_prov = port_prov[p.box_port]
    boxes_p = np.bincount(box_prov, minlength=p.n_metros)
    mh, chh = lt.metro_down_hist[w0:], lt.cdn_hist[w0:]
    cols = {
        "province": prov, "boxes": boxes_p,
        "sites": np.bincount(p.group_province[p.site_group], minlength=p.n_metros),
        "ports": np.bincount(port_prov, minlength=p.n_metros),
        "olts": np.bincount(p.olt_metro, minlength=p.n_metros),
        "live_peak": s.prov_live_peak,
        "vod_requests": s.vod_req, "vod_blocked": s.vod_blk,
        "vod_blocking": np.where(s.vod_req > 0, s.vod_blk / np.maximum(s.vod_req, 1), 0.0),
        "metro_peak_util": mh.max(axis=0) / cap["metro"],
        "metro_p95_util": _p95(mh) / cap["metro"],
        "cdn_peak_gbps": chh.max(axis=0) / 1000.0,
        "cdn_peak_util": chh.max(axis=0) / cap["cdn_egress"],
        "pon_peak_util": np.array([port_peak[port_prov == k].max(initial=0.0)
                                   for k in range(p.n_metros)]) / cap["pon"],
    }
    camp = m.campaign
    if camp is not None:
        st = camp.fw_state
        for name, code in (("fw_ok", 3), ("fw_rolled_back", 4), ("fw_bricked", 5)):
            cols[name] = np.bincount(box_prov[st == code], minlength=p.n_metros)
    rec.add_table("provinces", cols)
    rec.add_table("site_groups", {
        "group": p.group_names, "vertical": [VERTICALS[v] for v in p.group_vertical],
        "province": prov[p.group_province],
        "sites": np.bincount(p.site_group, minlength=len(p.group_names)),
        "boxes": np.bincount(p.site_group, weights=p.site_boxes,
                             minlength=len(p.group_names)).astype(np.int64),
    })
    rec.add_table("sites", {
        "site": np.arange(p.site_boxes.size), "group": np.asarray(p.group_names,
                                                                 dtype=object)[p.site_group],
        "vertical": np.asarray(VERTICALS, dtype=object)[p.group_vertical[p.site_group]],
        "province": prov[p.group_province[p.site_group]], "boxes": p.site_boxes,
        "port": p.site_port0,
    })
    n_ch = s.channel_viewer_s.shape[0]
    total = s.channel_viewer_s.sum()
    rec.add_table("channels", {
        "channel": np.arange(n_ch), "hd": m.hd, "bitrate_mbps": m.gbit[:n_ch],
        "viewer_s": s.channel_viewer_s,
        "share": s.channel_viewer_s / total if total > 0 else np.zeros(n_ch),
    })
    g = topology_graph(p, site_nodes=p.site_boxes.size <= SITE_EDGE_LIMIT)
    u, v, layer, down, up = [], [], [], [], []
    for a, b, d in g.edges(data=True):
        u.append(a)
        v.append(b)
        layer.append(d.get("layer", ""))
        down.append(float(d.get("down_gbps", np.nan)))
        up.append(float(d.get("up_gbps", np.nan)))
    rec.add_table("topology", {"u": u, "v": v, "layer": layer, "down_gbps": down,
                               "up_gbps": up})
