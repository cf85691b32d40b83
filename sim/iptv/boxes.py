"""Per-box table of an ``iptv`` run: device ids, where each box hangs, its end state.

``tables/boxes.parquet`` (written when the scenario's ``record_boxes`` is true, or by default
up to :data:`AUTO_LIMIT` boxes): box, device (see :func:`sim.iptv.state.device_id`), site,
group, vertical, province, port, olt, access_node (``port:<i>``, the topology's node name),
stb (profile id), state at the end (``standby``, ``live``, ``vod``, ``ad``, ``call``,
``offline``; without the viewing model online boxes are ``standby``), channel (live channel,
-1 if none), vod_title (title rank, -1 if none), firmware (version at the end) and
fw_outcome (``not_targeted``, ``waiting``, ``downloading``, ``installing``, ``ok``,
``rolled_back``, ``bricked``). A twin is created from it (``fleettwin twin init --from-run``)
and ``fleettwin twin emit`` turns it into STB status reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.iptv.scenario import VERTICALS
from sim.iptv.state import device_ids
from sim.kernels import firmware as fk
from sim.kernels import layout as vk

if TYPE_CHECKING:
    from sim.iptv.model import IptvModel

#: Without ``record_boxes`` in the scenario, the table is written up to this many boxes.
AUTO_LIMIT = 200_000
FW_OUTCOMES = ("waiting", "downloading", "installing", "ok", "rolled_back", "bricked")


def wants_boxes(record_boxes: bool | None, n_boxes: int) -> bool:
    """Whether a run writes ``tables/boxes.parquet``."""
    return n_boxes <= AUTO_LIMIT if record_boxes is None else record_boxes


def boxes_table(m: IptvModel) -> dict[str, np.ndarray]:
    """The per-box columns at the end of the run."""
    p = m.pop
    n = p.n_boxes
    idx = np.arange(n)
    n_ch = m.gbit.shape[0] // 2
    bp = m.boxes
    state = np.full(n, vk.STANDBY, np.int8) if bp is None else bp.st.copy()
    state[m.offline0] = vk.OFFLINE
    channel = np.full(n, -1, np.int64)
    title = np.full(n, -1, np.int64)
    if bp is not None:
        live = (state == vk.LIVE) & (bp.ch >= 0)
        channel[live] = bp.ch[live] % n_ch  # SD simulcast groups map back to their channel
        vod = state == vk.VOD
        title[vod] = bp.titles(np.flatnonzero(vod))
    fw = m.box_fw.copy()
    outcome = np.full(n, "not_targeted", object)
    camp = m.campaign
    if camp is not None:
        targeted = np.zeros(n, bool)
        for wave in camp.waves:
            targeted[wave] = True
        codes = np.asarray(FW_OUTCOMES, object)
        outcome[targeted] = codes[camp.fw_state[targeted]]
        fw[camp.fw_state == fk.FW_OK] = m.fw_versions.index(camp.spec.version)
        state[camp.fw_state == fk.FW_BRICKED] = vk.OFFLINE
    names = np.asarray(vk.STATE_NAMES + ("pending",), object)
    prov = np.asarray(p.provinces, object)
    port_prov = p.olt_metro[p.port_olt]
    return {
        "box": idx,
        "device": device_ids(idx),
        "site": p.box_site,
        "group": np.asarray(p.group_names, object)[p.site_group[p.box_site]],
        "vertical": np.asarray(VERTICALS, object)[p.box_vert],
        "province": prov[port_prov[p.box_port]],
        "port": p.box_port,
        "olt": p.port_olt[p.box_port],
        "access_node": np.array([f"port:{q}" for q in p.box_port.tolist()], object),
        "stb": np.asarray(p.stb_ids, object)[p.box_stb],
        "state": names[state],
        "channel": channel,
        "vod_title": title,
        "firmware": np.asarray(m.fw_versions, object)[fw],
        "fw_outcome": outcome,
    }
