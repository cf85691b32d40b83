"""Sites, boxes and the access network: site -> PON port -> OLT -> metro -> CDN edge/headend.

Sites of a group are packed onto PON ports of their province (a large site spans several
ports, small sites share one); ports are grouped under OLTs, OLTs under one metro per
province, which is served by the province's CDN edge and VoD servers. Boxes are numbered so
that every OLT owns a contiguous range (the population kernel runs one OLT per task).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from sim.iptv.profiles import LinkProfile, StbProfile
from sim.iptv.scenario import VERTICALS, IptvScenario
from sim.iptv.viewing import viewing_params
from sim.kernels import layout as vk
from sim.schema.distributions import sample


@dataclass
class Population:
    """Arrays describing the deployment (one entry per box, port, OLT, metro, site)."""

    box_vert: np.ndarray
    box_port: np.ndarray
    box_flags: np.ndarray
    box_stb: np.ndarray
    box_site: np.ndarray
    port_olt: np.ndarray
    port_boxes: np.ndarray
    olt_metro: np.ndarray
    olt_box: np.ndarray
    olt_srv: np.ndarray
    provinces: list[str]
    stb_ids: list[str]
    site_group: np.ndarray
    site_boxes: np.ndarray
    site_port0: np.ndarray
    group_names: list[str]
    group_province: np.ndarray
    group_vertical: np.ndarray
    links: dict[str, LinkProfile] = field(default_factory=dict)

    @property
    def n_boxes(self) -> int:
        return int(self.box_vert.shape[0])

    @property
    def n_ports(self) -> int:
        return int(self.port_olt.shape[0])

    @property
    def n_olts(self) -> int:
        return int(self.olt_metro.shape[0])

    @property
    def n_metros(self) -> int:
        return len(self.provinces)


def stb_flags(prof: StbProfile) -> int:
    """A box's kernel flags (layout.F_*) from its profile: HD, 4K, USB camera."""
    f = 0
    if "hd" in prof.decodes:
        f |= vk.F_HD
    if "uhd" in prof.decodes:
        f |= vk.F_UHD
    if prof.usb_camera:
        f |= vk.F_CAMERA
    return f


def build_population(sc: IptvScenario, profiles: dict[str, Any],
                     rng: np.random.Generator) -> Population:
    """Draw site sizes, pack sites onto ports and number every box.

    ``profiles`` maps ``stb:<id>`` and ``link:<role>`` to resolved profiles.
    """
    pon: LinkProfile = profiles["link:pon"]
    groups = sorted(sc.site_groups, key=lambda g: g.province)  # stable: file order per province
    provinces: list[str] = []
    stb_ids: list[str] = []
    port_prov: list[int] = []
    seg_port: list[np.ndarray] = []
    seg_count: list[np.ndarray] = []
    site_group, site_boxes, site_port0 = [], [], []
    box_parts: dict[str, list[np.ndarray]] = {"vert": [], "flags": [], "stb": [], "site": []}
    n_sites = 0
    for gi, g in enumerate(groups):
        if not provinces or provinces[-1] != g.province:
            provinces.append(g.province)
        prov = len(provinces) - 1
        sizes = np.maximum(1, np.rint(np.asarray(sample(g.boxes_per_site, rng, g.sites)))
                           ).astype(np.int64)
        cap = g.boxes_per_port or int(pon.split_ratio or 64)
        # Pack sites onto ports: (port, count) segments in site order.
        ports_s, counts_s, port0 = _pack(sizes, cap, len(port_prov))
        n_new = int(ports_s.max()) + 1 - len(port_prov)
        port_prov.extend([prov] * n_new)
        seg_port.append(ports_s)
        seg_count.append(counts_s)
        site_group.append(np.full(g.sites, gi))
        site_boxes.append(sizes)
        site_port0.append(port0)
        total = int(sizes.sum())
        params = viewing_params(g.vertical, sc.viewing.get(g.vertical))
        for ref in (g.stb, g.uhd_stb):
            if ref not in stb_ids:
                stb_ids.append(ref)
        uhd = rng.random(total) < g.uhd_box_share
        stb = np.where(uhd, stb_ids.index(g.uhd_stb), stb_ids.index(g.stb)).astype(np.int16)
        base = stb_flags(profiles[f"stb:{g.stb}"])
        alt = stb_flags(profiles[f"stb:{g.uhd_stb}"])
        flags = np.where(uhd, alt, base).astype(np.uint8)
        flags |= np.where(rng.random(total) < params["ads_share"], vk.F_ADS, 0).astype(np.uint8)
        box_parts["vert"].append(np.full(total, VERTICALS.index(g.vertical), np.int8))
        box_parts["flags"].append(flags)
        box_parts["stb"].append(stb)
        box_parts["site"].append(np.repeat(np.arange(n_sites, n_sites + g.sites), sizes))
        n_sites += g.sites
    seg_p = np.concatenate(seg_port)
    seg_c = np.concatenate(seg_count)
    box_port = np.repeat(seg_p, seg_c).astype(np.int32)
    n_ports = len(port_prov)
    port_prov_a = np.asarray(port_prov, np.int32)
    # Ports -> OLTs: consecutive ports of one province, ports_per_olt at a time.
    port_olt = np.empty(n_ports, np.int32)
    olt_metro: list[int] = []
    start = 0
    while start < n_ports:
        prov = port_prov_a[start]
        end = start
        while end < n_ports and port_prov_a[end] == prov and end - start < sc.network.ports_per_olt:
            end += 1
        port_olt[start:end] = len(olt_metro)
        olt_metro.append(int(prov))
        start = end
    olt_metro_a = np.asarray(olt_metro, np.int32)
    n_olt = olt_metro_a.shape[0]
    box_olt = port_olt[box_port]
    olt_box = np.zeros(n_olt + 1, np.int64)
    np.cumsum(np.bincount(box_olt, minlength=n_olt), out=olt_box[1:])
    k = sc.network.vod_servers_per_province
    olt_rank = np.arange(n_olt) - np.searchsorted(olt_metro_a, olt_metro_a)
    olt_srv = (olt_metro_a * k + olt_rank % k).astype(np.int32)
    return Population(
        box_vert=np.concatenate(box_parts["vert"]),
        box_port=box_port,
        box_flags=np.concatenate(box_parts["flags"]),
        box_stb=np.concatenate(box_parts["stb"]),
        box_site=np.concatenate(box_parts["site"]).astype(np.int32),
        port_olt=port_olt,
        port_boxes=np.bincount(box_port, minlength=n_ports).astype(np.int32),
        olt_metro=olt_metro_a,
        olt_box=olt_box,
        olt_srv=olt_srv,
        provinces=provinces,
        stb_ids=stb_ids,
        site_group=np.concatenate(site_group).astype(np.int32),
        site_boxes=np.concatenate(site_boxes),
        site_port0=np.concatenate(site_port0).astype(np.int32),
        group_names=[g.name for g in groups],
        group_province=np.asarray([provinces.index(g.province) for g in groups], np.int32),
        group_vertical=np.asarray([VERTICALS.index(g.vertical) for g in groups], np.int32),
        links={r: profiles[f"link:{r}"] for r in ("pon", "olt_uplink", "metro", "cdn_egress")},
    )


def _pack(sizes: np.ndarray, cap: int, first_port: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sequential packing: returns (port, count) segments in site order and each site's port."""
    ports: list[int] = []
    counts: list[int] = []
    port0 = np.empty(sizes.shape[0], np.int64)
    port = first_port
    fill = 0
    for s_i, size in enumerate(sizes.tolist()):
        if fill and fill + size > cap:
            port += 1
            fill = 0
        port0[s_i] = port
        left = size
        while left > 0:
            take = min(left, cap - fill)
            ports.append(port)
            counts.append(take)
            fill += take
            left -= take
            if fill == cap and left > 0:
                port += 1
                fill = 0
    return np.asarray(ports, np.int64), np.asarray(counts, np.int64), port0


def topology_graph(pop: Population, site_nodes: bool = True) -> nx.DiGraph:
    """The network as a directed graph (downstream direction) with link capacities.

    Nodes: ``headend``, ``cdn:<province>``, ``metro:<province>``, ``olt:<i>``, ``port:<i>``
    and (optionally) ``site:<i>``; edges carry ``layer``, ``down_gbps``, ``up_gbps``.
    """
    g = nx.DiGraph()
    links = pop.links
    g.add_node("headend", layer="headend")
    for prov in pop.provinces:
        cdn, metro = f"cdn:{prov}", f"metro:{prov}"
        g.add_node(cdn, layer="cdn", province=prov)
        g.add_node(metro, layer="metro", province=prov)
        g.add_edge("headend", metro, layer="metro", down_gbps=links["metro"].down_gbps,
                   up_gbps=links["metro"].up_gbps)
        g.add_edge(cdn, metro, layer="cdn_egress", down_gbps=links["cdn_egress"].down_gbps,
                   up_gbps=links["cdn_egress"].up_gbps)
    up = links["olt_uplink"]
    for o, m in enumerate(pop.olt_metro.tolist()):
        g.add_edge(f"metro:{pop.provinces[m]}", f"olt:{o}", layer="olt_uplink",
                   down_gbps=up.down_gbps, up_gbps=up.up_gbps)
    pon = links["pon"]
    g.add_edges_from(
        ((f"olt:{o}", f"port:{p}", {"layer": "pon", "down_gbps": pon.down_gbps,
                                    "up_gbps": pon.up_gbps})
         for p, o in enumerate(pop.port_olt.tolist()))
    )
    if site_nodes:
        g.add_edges_from(
            ((f"port:{p}", f"site:{s}", {"layer": "site"})
             for s, p in enumerate(pop.site_port0.tolist()))
        )
    return g
