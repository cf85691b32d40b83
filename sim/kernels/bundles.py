"""The arrays the IPTV epoch kernel works on, grouped in a few typed bundles.

Every kernel entry point takes these bundles instead of dozens of positional arrays (two
arrays of one dtype swapped would compile and run, silently wrong). Each field is documented
in :data:`SPECS` (dtype, shape by dimension names, unit and meaning), and
:func:`check_bundle` checks a bundle against it once, when
:class:`sim.iptv.population.BoxPopulation` builds it (as PyVRP's ``ProblemData`` checks the
data for its compiled core).

Dimensions: ``n`` boxes, ``P`` PON ports, ``O`` OLTs, ``M`` metros, ``S`` VoD servers,
``G`` multicast groups, ``W`` 64-bit words of group bits (``ceil(G / 64)``), ``K`` windows
of an epoch at most, ``L`` window lanes (``K`` rounded up to 4), ``T`` kernel threads,
``V`` verticals, ``C`` channels (``G / 2``), ``R`` bitrate classes, ``H`` stream-heap slots,
``B`` utilisation bins.

numba note: a write through a bundle's field inside a ``parallel=True`` function can be
lost on current numba, so parallel kernels hand bundles only to non-inlined functions (per
OLT, per server, per metro) and write nothing through them themselves
(``tests/sim/iptv/test_bundles.py`` checks the pattern). The functions that loop over
boxes and requests are compiled without reference counting (:mod:`sim.kernels.jit`): there a
field read from a bundle, or an array handed to an inlined helper, costs nothing; elsewhere
each costs an atomic update of the array's reference count, so loops read plain arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np


class Span(NamedTuple):
    """The epoch: ``n_k = k_last + 1`` windows of ``dt`` from ``t0`` (s)."""

    t0: float
    dt: float
    inv_dt: float
    k_last: int
    t_end: float
    kc: int
    """Windows ``k >= kc`` count in the port histograms, peaks and overload seconds."""


def make_span(t0: float, dt: float, n_k: int, kc: int) -> Span:
    return Span(float(t0), float(dt), 1.0 / float(dt), int(n_k) - 1,
                float(t0) + int(n_k) * float(dt), int(kc))


class Boxes(NamedTuple):
    """Per box: state (changed by the kernels) and attributes."""

    st: np.ndarray
    nt: np.ndarray
    wk: np.ndarray
    ch: np.ndarray
    rate: np.ndarray
    tu: np.ndarray
    vert: np.ndarray
    port: np.ndarray
    flags: np.ndarray
    rs: np.ndarray


class Topology(NamedTuple):
    """Who is under whom: boxes by OLT, ports by OLT, OLTs by VoD server and by metro."""

    olt_box: np.ndarray
    olt_port: np.ndarray
    port_olt: np.ndarray
    port_boxes: np.ndarray
    srv_olt_ptr: np.ndarray
    srv_olts: np.ndarray
    metro_olt_ptr: np.ndarray
    metro_olts: np.ndarray
    olt_ones: np.ndarray


class Behaviour(NamedTuple):
    """Viewing behaviour and the service: parameters, diurnal hazard, channel draw."""

    gbit: np.ndarray
    vp: np.ndarray
    sc: np.ndarray
    cumh: np.ndarray
    hrate: np.ndarray
    ptab: np.ndarray
    cls_mask: np.ndarray
    cls_rate: np.ndarray


class Carry(NamedTuple):
    """Counts and rate sums carried from one epoch to the next."""

    nst: np.ndarray
    orate: np.ndarray
    prate: np.ndarray


class EpochScratch(NamedTuple):
    """Per-epoch scratch: per-window sums per port and OLT, multicast group bits, counts."""

    acc: np.ndarray
    oac: np.ndarray
    abit: np.ndarray
    aw: np.ndarray
    ebit_o: np.ndarray
    abit_o: np.ndarray
    sbit: np.ndarray
    nbit: np.ndarray
    vcnt: np.ndarray
    stat: np.ndarray
    vis: np.ndarray


class Requests(NamedTuple):
    """VoD requests waiting for admission, per OLT in slots ``olt_box[o] ..``."""

    n: np.ndarray
    box: np.ndarray
    t: np.ndarray
    hold: np.ndarray
    rate: np.ndarray
    miss: np.ndarray
    admitted: np.ndarray


class VodServers(NamedTuple):
    """VoD servers: capacity, stream heaps, per-window counts (a loss system)."""

    streams: np.ndarray
    mbps: np.ndarray
    heap_t: np.ndarray
    heap_r: np.ndarray
    heap_base: np.ndarray
    heap_n: np.ndarray
    busy_mbps: np.ndarray
    req: np.ndarray
    blk: np.ndarray
    miss: np.ndarray
    u_miss: float


class PortLoad(NamedTuple):
    """Per-port load inputs and statistics (windows ``k >= kc``)."""

    fw_mbit: np.ndarray
    wifi_mbps: np.ndarray
    hist: np.ndarray
    peak: np.ndarray
    up_peak: np.ndarray
    over_s: np.ndarray
    cap_pon: float
    threshold: float
    util_bin: float


class Outputs(NamedTuple):
    """Per-window results per OLT and metro, and viewers per group."""

    olt_uni: np.ndarray
    olt_cdn: np.ndarray
    olt_down: np.ndarray
    pmax: np.ndarray
    psum: np.ndarray
    m_acc: np.ndarray
    m_union: np.ndarray
    m_now: np.ndarray
    m_uni: np.ndarray
    m_cdn: np.ndarray
    viewers: np.ndarray


_F, _I64, _I32, _I16, _I8, _U8, _U16, _U64 = (np.float64, np.int64, np.int32, np.int16,
                                              np.int8, np.uint8, np.uint16, np.uint64)

#: bundle -> field -> (dtype, shape by dimension names, unit and meaning).
SPECS: dict[type, dict[str, tuple[Any, tuple[str, ...], str]]] = {
    Boxes: {
        "st": (_I8, ("n",), "state (layout.STANDBY .. PENDING)"),
        "nt": (_F, ("n",), "s: time of the box's next event"),
        "wk": (_F, ("n",), "s: next session start in standby and ads; VoD holding time "
                           "while a request waits"),
        "ch": (_I16, ("n",), "multicast group watched (-1: none)"),
        "rate": (_F, ("n",), "Mbit/s: unicast down rate in VoD, ads and calls"),
        "tu": (_F, ("n",), "uniform draw that picked the last VoD title"),
        "vert": (_I8, ("n",), "vertical (row of Behaviour.vp)"),
        "port": (_I32, ("n",), "PON port"),
        "flags": (_U8, ("n",), "layout.F_* bits"),
        "rs": (_U64, ("n",), "random state (sim.kernels.rng)"),
    },
    Topology: {
        "olt_box": (_I64, ("O+1",), "boxes of OLT o: olt_box[o] .. olt_box[o + 1]"),
        "olt_port": (_I64, ("O+1",), "ports of OLT o: olt_port[o] .. olt_port[o + 1]"),
        "port_olt": (_I32, ("P",), "OLT of each port"),
        "port_boxes": (None, ("P",), "boxes on each port"),
        "srv_olt_ptr": (_I64, ("S+1",), "VoD server s's OLTs: srv_olts[ptr[s]:ptr[s + 1]]"),
        "srv_olts": (_I64, ("O",), "OLTs by VoD server, increasing"),
        "metro_olt_ptr": (_I64, ("M+1",), "metro m's OLTs: metro_olts[ptr[m]:ptr[m + 1]]"),
        "metro_olts": (_I64, ("O",), "OLTs by metro, increasing"),
        "olt_ones": (_I64, ("O",), "ones: metros are dealt to threads by OLT count"),
    },
    Behaviour: {
        "gbit": (_F, ("G",), "Mbit/s of each multicast group"),
        "vp": (_F, ("V", "N_VP"), "viewing parameters per vertical (layout columns)"),
        "sc": (_F, ("N_SC",), "service constants (layout.SD_MBPS .. CLOCK0_S)"),
        "cumh": (_F, ("V", "25"), "cumulated diurnal hazard at each hour start"),
        "hrate": (_F, ("V", "24"), "diurnal session-start hazard per hour (1/s)"),
        "ptab": (_U64, ("V", "2", "C"), "channel draw alias records per vertical and HD"),
        "cls_mask": (_U64, ("R", "W"), "groups of each bitrate class as bits"),
        "cls_rate": (_F, ("R",), "Mbit/s of each bitrate class"),
    },
    Carry: {
        "nst": (_I64, ("O", "N_ST"), "boxes per state per OLT"),
        "orate": (_F, ("O", "4"), "Mbit/s: unicast rate sums per OLT (layout.R_*)"),
        "prate": (_F, ("P", "3"), "down and up rate sums (Mbit/s), boxes in use per port"),
    },
    EpochScratch: {
        "acc": (_F, ("P", "K", "N_PACC"), "per port-window sums (layout.P_*)"),
        "oac": (_F, ("O", "K", "N_ACC"), "per OLT-window sums (layout.O_*, D_*)"),
        "abit": (_U64, ("P", "W", "L"), "groups watched on a port in each window"),
        "aw": (_U64, ("P",), "words of a port's abit set in the epoch (a bit each)"),
        "ebit_o": (_U64, ("O", "W", "L"), "groups watched under an OLT at each window end"),
        "abit_o": (_U64, ("O", "W", "L"), "groups watched under an OLT in each window"),
        "sbit": (_U64, ("P", "W"), "groups of boxes without events (whole epoch)"),
        "nbit": (_U64, ("P", "W"), "groups watched at the end of the last epoch"),
        "vcnt": (_I64, ("T", "G", "L"), "viewers per group at window ends, per thread"),
        "stat": (_I64, ("T", "G"), "viewers per group without events, per thread"),
        "vis": (_I64, ("n",), "boxes with an event in the epoch, by OLT"),
    },
    Requests: {
        "n": (_I64, ("O",), "requests waiting per OLT"),
        "box": (_I64, ("n",), "box of each slot"),
        "t": (_F, ("n",), "s: request time"),
        "hold": (_F, ("n",), "s: session length asked for"),
        "rate": (_F, ("n",), "Mbit/s: stream bitrate"),
        "miss": (_U8, ("n",), "1: title outside the edge cache"),
        "admitted": (_U8, ("n",), "1: admitted for a stream past the epoch (settled later)"),
    },
    VodServers: {
        "streams": (_I64, ("S",), "streams each server can hold"),
        "mbps": (_F, ("S",), "Mbit/s: egress each server can hold"),
        "heap_t": (_F, ("H",), "s: stream end times, a heap per server"),
        "heap_r": (_F, ("H",), "Mbit/s: the streams' bitrates"),
        "heap_base": (_I64, ("S",), "slot of each server's heap root"),
        "heap_n": (_I64, ("S",), "streams held by each server"),
        "busy_mbps": (_F, ("S",), "Mbit/s: egress in use"),
        "req": (_I64, ("S", "K"), "requests per window"),
        "blk": (_I64, ("S", "K"), "blocked requests per window"),
        "miss": (_I64, ("S", "K"), "admitted requests outside the edge cache"),
    },
    PortLoad: {
        "fw_mbit": (_F, ("P",), "Mbit: firmware sent per port (one-window epochs)"),
        "wifi_mbps": (_F, ("P",), "Mbit/s: hotspot guests' load with every box in use"),
        "hist": (_U16, ("P", "B"), "windows per utilisation bin"),
        "peak": (_F, ("P",), "Mbit/s: peak downstream load"),
        "up_peak": (_F, ("P",), "Mbit/s: peak upstream load"),
        "over_s": (_F, ("P",), "s: time above threshold x capacity"),
    },
    Outputs: {
        "olt_uni": (_F, ("O", "K"), "Mbit/s: unicast under each OLT"),
        "olt_cdn": (_F, ("O", "K"), "Mbit/s: CDN egress for each OLT"),
        "olt_down": (_F, ("O", "K"), "Mbit/s: OLT uplink load (multicast union + unicast)"),
        "pmax": (_F, ("O", "K"), "highest port utilisation under each OLT"),
        "psum": (_F, ("O", "K"), "sum of port utilisations under each OLT"),
        "m_acc": (_F, ("K", "M", "N_OUT"), "per metro sums of the OLT columns"),
        "m_union": (_F, ("K", "M"), "Mbit/s: multicast groups seen in the window"),
        "m_now": (_F, ("K", "M"), "Mbit/s: multicast groups watched at the window end"),
        "m_uni": (_F, ("K", "M"), "Mbit/s: unicast"),
        "m_cdn": (_F, ("K", "M"), "Mbit/s: CDN egress"),
        "viewers": (_I64, ("K", "G"), "boxes watching each group at the window end"),
    },
}


def check_bundle(bundle: Any, dims: Mapping[str, int]) -> None:
    """Check every array of ``bundle`` against :data:`SPECS` with dimension sizes ``dims``
    (names as in the module docstring; plain numbers stand for themselves). Raises
    ValueError naming the bundle, the field, and the expected and actual dtype and shape."""
    name = type(bundle).__name__
    for field, (dtype, shape, _meaning) in SPECS[type(bundle)].items():
        a = getattr(bundle, field)
        want = tuple(_size(d, dims) for d in shape)
        ok_type = isinstance(a, np.ndarray) and (dtype is None or a.dtype == np.dtype(dtype))
        if not ok_type or a.shape != want:
            got = f"{a.dtype}{a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
            exp = f"{np.dtype(dtype) if dtype is not None else 'any'}{want}"
            raise ValueError(f"{name}.{field}: expected {exp}, got {got}")


def _size(d: str, dims: Mapping[str, int]) -> int:
    if d.isdigit():
        return int(d)
    if d.endswith("+1"):
        return dims[d[:-2]] + 1
    return dims[d]
