"""Controlled box populations (no scenario file) for validation and benchmarks.

:func:`uniform_population` puts ``boxes_per_port`` boxes of one vertical on every port;
:func:`make_boxes` turns it into a :class:`BoxPopulation` with the given behaviour, so a check
can switch parts of the model off (e.g. boxes that never leave live TV) and compare with a
closed form.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.iptv.population import BoxPopulation
from sim.iptv.scenario import VERTICALS, IptvScenario
from sim.iptv.topology import Population
from sim.iptv.viewing import build_viewing, channel_groups, zipf_cdf
from sim.kernels import layout as vk

RESIDENTIAL = VERTICALS.index("residential")


def uniform_population(n_ports: int, boxes_per_port: int, ports_per_olt: int = 16,
                       flags: int = vk.F_HD | vk.F_UHD, vertical: int = RESIDENTIAL) -> Population:
    """``n_ports`` ports of ``boxes_per_port`` boxes, ``ports_per_olt`` ports per OLT."""
    n = n_ports * boxes_per_port
    box_port = np.repeat(np.arange(n_ports, dtype=np.int32), boxes_per_port)
    port_olt = (np.arange(n_ports) // ports_per_olt).astype(np.int32)
    n_olt = int(port_olt.max()) + 1
    olt_box = np.zeros(n_olt + 1, np.int64)
    np.cumsum(np.bincount(port_olt[box_port], minlength=n_olt), out=olt_box[1:])
    return Population(
        box_vert=np.full(n, vertical, np.int8), box_port=box_port,
        box_flags=np.full(n, flags, np.uint8), box_stb=np.zeros(n, np.int16),
        box_site=np.arange(n, dtype=np.int32), port_olt=port_olt,
        port_boxes=np.full(n_ports, boxes_per_port, np.int32),
        olt_metro=np.zeros(n_olt, np.int32), olt_box=olt_box,
        olt_srv=np.zeros(n_olt, np.int32), provinces=["synthetic"], stb_ids=["synthetic"],
        site_group=np.zeros(n, np.int32), site_boxes=np.ones(n, np.int64),
        site_port0=box_port.copy(), group_names=["synthetic"],
        group_province=np.zeros(1, np.int32), group_vertical=np.full(1, vertical, np.int32),
    )


def make_boxes(pop: Population, seed: int, viewing: dict[str, Any] | None = None,
               service: dict[str, Any] | None = None, start_hour: float = 20.0,
               vod_streams: int = 1_000_000, all_live: bool = False,
               max_windows: int = 1, vod_mbps: float = np.inf) -> BoxPopulation:
    """A :class:`BoxPopulation` over ``pop`` with residential behaviour plus ``viewing``.

    ``all_live`` starts every box watching live TV (with ``session_mean_s`` very long they
    never leave). VoD goes to one server of ``vod_streams`` streams and ``vod_mbps`` egress
    (its share of the CDN edge).
    """
    sc = IptvScenario.model_validate({
        "name": "synthetic", "horizon_s": 3600.0, "start_hour": start_hour,  # unused here
        "service": service or {},
        "viewing": {"residential": viewing or {}},
        "site_groups": [{"name": "g", "vertical": "residential", "province": "synthetic",
                         "sites": 1, "boxes_per_site": 1, "stb": "synthetic"}],
    })
    va = build_viewing(sc)
    if all_live:
        va.on_share[:] = 1.0
    gbit, hd_alt, _ = channel_groups(sc)
    svc = sc.service
    consts = np.array([svc.sd_mbps, svc.hd_mbps, svc.uhd_mbps,
                       svc.fcc_burst_s * svc.fcc_rate_factor, start_hour * 3600.0])
    n_srv = int(pop.olt_srv.max()) + 1
    return BoxPopulation(pop, va, gbit, hd_alt, consts, zipf_cdf(svc.vod_titles, svc.vod_zipf),
                         seed, np.full(n_srv, vod_streams, np.int64), np.full(n_srv, vod_mbps),
                         svc.edge_cache_titles, max_windows=max_windows)
