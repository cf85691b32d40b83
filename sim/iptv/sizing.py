"""How the VoD servers and the core links of a province are sized, in one place.

One rule: when the scenario sizes the VoD servers by their boxes
(``vod_streams_per_1000_boxes``), the CDN edge of each province is sized for what its
servers can send (:func:`edge_links`); otherwise the metro and edge links follow
``core_boxes_per_link`` (one each by default). The CDN edge is a loss system for VoD: a
stream is admitted only if it fits the server (streams and egress) and the server's share of
the edge egress (:func:`vod_edge_share_mbps`), so the edge never carries more than its
capacity.
"""

from __future__ import annotations

import numpy as np


def vod_edge_share_mbps(edge_mbps: np.ndarray, prov_boxes: np.ndarray, srv_boxes: np.ndarray,
                        servers_per_province: int, reserved_mbps: float = 0.0) -> np.ndarray:
    """Each VoD server's share of its province's CDN edge egress (Mbit/s).

    ``edge_mbps`` is the usable edge egress per province; a province's servers (server
    ``s`` serves province ``s // servers_per_province``) split it by their boxes
    (``srv_boxes``), after ``reserved_mbps`` (e.g. a firmware campaign's egress cap) is
    taken out, split over the provinces by their boxes (``prov_boxes``).
    """
    edge = np.asarray(edge_mbps, float)
    prov_boxes = np.asarray(prov_boxes, float)
    if reserved_mbps:
        edge = edge - reserved_mbps * prov_boxes / max(1.0, float(prov_boxes.sum()))
    prov = np.arange(srv_boxes.shape[0]) // servers_per_province
    share = np.asarray(srv_boxes, float) / np.maximum(1.0, prov_boxes[prov])
    return np.maximum(0.0, edge[prov] * share)


def core_links(prov_boxes: np.ndarray, boxes_per_link: int | None) -> np.ndarray:
    """Parallel metro (and by default CDN edge) links per province: one per
    ``boxes_per_link`` boxes (at least one), or one each."""
    prov_boxes = np.asarray(prov_boxes, float)
    if not boxes_per_link:
        return np.ones(prov_boxes.shape[0])
    return np.maximum(1.0, np.ceil(prov_boxes / boxes_per_link))


def edge_links(srv_mbps: np.ndarray, servers_per_province: int, n_provinces: int,
               link_mbps: float, reserved_mbps: np.ndarray | float = 0.0) -> np.ndarray:
    """CDN edge links per province that carry what its VoD servers can send (``srv_mbps``,
    finite) plus ``reserved_mbps`` (a firmware campaign's share): at least one."""
    prov = np.arange(np.asarray(srv_mbps).shape[0]) // servers_per_province
    need = np.bincount(prov, weights=srv_mbps, minlength=n_provinces) + reserved_mbps
    return np.maximum(1.0, np.ceil(need / link_mbps - 1e-9))
