"""The set-top-box population as arrays, advanced an epoch (one or more windows) at a time.

:class:`BoxPopulation` is the facade over the compiled kernels: it owns the per-box state,
the per-port group counts and the scratch the epoch kernel (:func:`sim.kernels.epoch.run_epoch`)
fills, groups them in the typed bundles of :mod:`sim.kernels.bundles` and checks every array
of them once (dtype and shape, documented there with units), and runs an epoch: boxes
advanced, VoD admission as a loss system in request-time order (blocked boxes fall back to
live TV), per-window values per port, OLT and metro.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from sim.engine.arrays import line_aligned_zeros, members
from sim.engine.arrays import resident_zeros as zeros
from sim.iptv.topology import Population
from sim.iptv.viewing import ViewingArrays
from sim.kernels import boxes as bk
from sim.kernels import bundles as kb
from sim.kernels import layout as vk
from sim.kernels.epoch import run_epoch
from sim.kernels.rng import pack_alias, seed_states


@dataclass
class PortLoadSink:
    """Where an epoch writes per-port load statistics (windows from ``count_from_s`` on)."""

    wifi_mbps: np.ndarray
    """Hotspot guests' load per port when every box is in use (Mbit/s)."""
    cap_pon: float
    threshold: float
    util_bin: float
    hist: np.ndarray
    """(ports, bins) uint16: windows per utilisation bin."""
    peak: np.ndarray
    up_peak: np.ndarray
    over_s: np.ndarray
    count_from_s: float = 0.0

    @classmethod
    def idle(cls, n_ports: int) -> PortLoadSink:
        """A sink for populations run without a network (loads in Mbit/s, one bin)."""
        return cls(np.zeros(n_ports), 1.0, math.inf, 1.0, np.zeros((n_ports, 1), np.uint16),
                   np.zeros(n_ports), np.zeros(n_ports), np.zeros(n_ports))


@dataclass
class WindowStats:
    """One window of an epoch (views into arrays the next epoch reuses: copy to keep)."""

    out: np.ndarray
    """(OLTs, N_OUT): Mbit per unicast kind, events, joins, state-seconds."""
    union_port_mbps: np.ndarray
    """Multicast groups watched on the port at any time in the window x bitrate."""
    down_port_mbps: np.ndarray
    vod_requests: np.ndarray
    """Per VoD server."""
    vod_blocked: np.ndarray
    vod_cache_miss: np.ndarray
    """Per VoD server: admitted requests for titles outside the edge cache (origin fetch)."""


@dataclass
class EpochStats:
    """What one epoch produced, per window ``k < n_k`` (arrays are reused by the next)."""

    n_k: int
    events: float
    acc: np.ndarray
    """(ports, windows, N_PACC): see :mod:`sim.kernels.layout` for the columns (``P_*``)."""
    oacc: np.ndarray
    """(OLTs, windows, N_OUT): unicast Mbit by kind, events, joins, state-seconds (``O_*``)."""
    olt_down: np.ndarray
    """(OLTs, windows): multicast union + unicast, Mbit/s."""
    port_util_max: np.ndarray
    """(OLTs, windows): highest port utilisation under each OLT."""
    port_util_sum: np.ndarray
    m_acc: np.ndarray
    """(windows, metros, N_OUT)."""
    m_union: np.ndarray
    """(windows, metros): multicast groups seen in the window x bitrate, Mbit/s."""
    m_now: np.ndarray
    """(windows, metros): multicast groups watched at the window end x bitrate."""
    m_uni: np.ndarray
    m_cdn: np.ndarray
    req: np.ndarray
    """(servers, windows): VoD requests; ``blk`` blocked; ``miss`` edge-cache misses."""
    blk: np.ndarray
    miss: np.ndarray
    viewers: np.ndarray
    """(windows, groups): boxes watching each group at the window end."""

    def window(self, k: int) -> WindowStats:
        acc = self.acc[:, k]
        return WindowStats(self.oacc[:, k], acc[:, vk.P_MCAST], acc[:, vk.P_DOWN],
                           self.req[:, k], self.blk[:, k], self.miss[:, k])


def _check(name: str, a: np.ndarray, dtype: type, shape: tuple[int, ...]) -> None:
    if a.dtype != np.dtype(dtype) or a.shape != shape:
        raise ValueError(f"{name}: expected {np.dtype(dtype)}{shape}, got {a.dtype}{a.shape}")


def title_of(tcdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Titles picked by inverting the catalogue CDF at draws ``u``: the index ``k`` with
    ``tcdf[k - 1] <= u < tcdf[k]`` (the last title for a draw past the end)."""
    k = np.searchsorted(tcdf, u, side="right")
    return np.minimum(k, tcdf.shape[0] - 1).astype(np.int64)


def miss_threshold(tcdf: np.ndarray, cache_titles: int) -> float:
    """The draw from which :func:`title_of` gives a title outside the edge cache (titles
    ``0 .. cache_titles - 1``): the kernels compare the draw instead of picking the title."""
    last = tcdf.shape[0] - 1
    if cache_titles <= 0:
        return -math.inf
    return math.inf if cache_titles > last else float(tcdf[cache_titles - 1])


def pick_table(ctab: np.ndarray, hd_alt: np.ndarray) -> np.ndarray:
    """The channel draw as alias records (:func:`sim.kernels.rng.pack_alias`): ``out[v, hd]``
    is vertical ``v``'s alias table ``ctab`` (verticals, 2, channels) with the groups as seen
    by a box with (``hd`` 1) or without HD, which gets the SD simulcast ``hd_alt[c]`` of an
    HD channel ``c`` (-1: no simulcast)."""
    n_v, _, n = ctab.shape
    chan = np.arange(n)
    sd = np.where(hd_alt >= 0, hd_alt, chan)
    alias = ctab[:, 1, :].astype(np.int64)
    out = np.zeros((n_v, 2, n), np.uint64)
    for v in range(n_v):
        out[v, 1] = pack_alias(ctab[v, 0], chan, alias[v])
        out[v, 0] = pack_alias(ctab[v, 0], sd, sd[alias[v]])
    return out


def rate_classes(gbit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Groups of equal bitrate as bit masks (classes, words) and their rates."""
    n_words = (gbit.shape[0] + 63) // 64
    rates = np.unique(gbit)
    mask = np.zeros((rates.shape[0], n_words), np.uint64)
    for c, r in enumerate(rates):
        for g in np.flatnonzero(gbit == r):
            mask[c, g >> 6] |= np.uint64(1) << np.uint64(g & 63)
    return mask, rates.astype(np.float64)


class BoxPopulation:
    """Per-box state plus multicast bookkeeping for a :class:`Population`.

    ``max_windows`` bounds the windows of one epoch (scratch memory grows with it).
    """

    def __init__(self, pop: Population, va: ViewingArrays, gbit: np.ndarray, hd_alt: np.ndarray,
                 sc_consts: np.ndarray, tcdf: np.ndarray, seed: int, srv_streams: np.ndarray,
                 srv_mbps: np.ndarray, cache_titles: int, viewing: bool = True,
                 max_windows: int = 1):
        n, n_p, n_o = pop.n_boxes, pop.n_ports, pop.n_olts
        n_g = gbit.shape[0]
        n_v = va.vp.shape[0]
        self.pop = pop
        self.va = va
        for name, a, dt, shp in (
            ("gbit", gbit, np.float64, (n_g,)), ("hd_alt", hd_alt, np.int32, (n_g // 2,)),
            ("sc", sc_consts, np.float64, (vk.N_SC,)), ("vp", va.vp, np.float64, (n_v, vk.N_VP)),
            ("cumh", va.cumh, np.float64, (n_v, 25)), ("hrate", va.hrate, np.float64, (n_v, 24)),
            ("ccdf", va.ccdf, np.float64, (n_v, n_g // 2)),
            ("ctab", va.ctab, np.float64, (n_v, 2, n_g // 2)),
            ("box_vert", pop.box_vert, np.int8, (n,)), ("box_port", pop.box_port, np.int32, (n,)),
            ("box_flags", pop.box_flags, np.uint8, (n,)),
            ("port_olt", pop.port_olt, np.int32, (n_p,)),
            ("olt_box", pop.olt_box, np.int64, (n_o + 1,)),
        ):
            _check(name, a, dt, shp)
        if n_g > 64 * 64:
            raise ValueError(f"more than {64 * 64} multicast groups ({n_g})")
        if int(pop.port_boxes.max(initial=0)) >= 2**16:
            raise ValueError("more than 65535 boxes on one PON port")
        self.gbit, self.hd_alt, self.sc, self.tcdf = gbit, hd_alt, sc_consts, tcdf
        self.cls_mask, self.cls_rate = rate_classes(gbit)
        self.ptab = pick_table(va.ctab, hd_alt)
        self.u_miss = miss_threshold(tcdf, int(cache_titles))
        self.max_windows = kmax = max(1, int(max_windows))
        self.st = zeros(n, np.int8)
        self.nt = zeros(n, np.float64)
        self.wk = zeros(n, np.float64)
        self.ch = np.full(n, -1, np.int16)
        self.rate = zeros(n, np.float64)
        self.tu = zeros(n, np.float64)
        self.rs = seed_states(int(seed), n)
        # Groups watched per port as bits: by the boxes without events in an epoch (``sbit``),
        # and by any box at the end of the last epoch (``nbit``; power cuts since then are
        # not in it).
        n_w = (n_g + 63) // 64
        self.n_groups = n_g
        self.sbit = zeros((n_p, n_w), np.uint64)
        self.nbit = zeros((n_p, n_w), np.uint64)
        # Carried from epoch to epoch: state counts and unicast rate sums per OLT; down and up
        # rate sums and boxes in use per port.
        self.nst = zeros((n_o, vk.N_ST), np.int64)
        self.orate = zeros((n_o, 4))
        self.prate = zeros((n_p, 3))
        self.olt_port = np.searchsorted(pop.port_olt, np.arange(n_o + 1)).astype(np.int64)
        # Epoch scratch and outputs.
        n_t = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
        n_m = int(pop.olt_metro.max(initial=0)) + 1
        self.acc = zeros((n_p, kmax, vk.N_PACC))
        self.oac = zeros((n_o, kmax, vk.N_ACC))
        # Groups watched per window: windows are the last axis, padded to whole 256-bit
        # vectors (the width the compiler vectorises the lanes with).
        lanes = -(-kmax // 4) * 4
        self.abit = zeros((n_p, n_w, lanes), np.uint64)
        self.aw = zeros(n_p, np.uint64)  # which words of a port's abit are set (one bit each)
        self.ebit_o = zeros((n_o, n_w, lanes), np.uint64)
        self.abit_o = zeros((n_o, n_w, lanes), np.uint64)
        self.vcnt = zeros((n_t, n_g, lanes), np.int64)
        self.stat = zeros((n_t, n_g), np.int64)
        self.vis = zeros(n, np.int64)
        self.pend_n = zeros(n_o, np.int64)
        self.pend_list = zeros(n, np.int64)
        self.pend_t = zeros(n)
        self.pend_wk = zeros(n)
        self.pend_r = zeros(n)
        self.pend_m = zeros(n, np.uint8)
        self.pend_ok = zeros(n, np.uint8)
        self.olt_uni = zeros((n_o, kmax))
        self.olt_cdn = zeros((n_o, kmax))
        self.olt_down = zeros((n_o, kmax))
        self.pmax = zeros((n_o, kmax))
        self.psum = zeros((n_o, kmax))
        self.m_acc = zeros((kmax, n_m, vk.N_OUT))
        self.m_union = zeros((kmax, n_m))
        self.m_now = zeros((kmax, n_m))
        self.m_uni = zeros((kmax, n_m))
        self.m_cdn = zeros((kmax, n_m))
        self.viewers = zeros((kmax, n_g), np.int64)
        self.no_fw = zeros(n_p)
        self.idle_sink = PortLoadSink.idle(n_p)
        # VoD servers: stream end times in one 8-ary heap per server. A heap's root sits 7
        # slots into a region starting on a cache line, so every node's 8 children fill
        # one line (64 bytes) of the end times.
        n_srv = srv_streams.shape[0]
        self.srv_streams = srv_streams.astype(np.int64)
        self.srv_mbps = srv_mbps.astype(np.float64)
        region = -(-(self.srv_streams + 7) // 8) * 8
        self.heap_base = zeros(n_srv, np.int64)
        np.cumsum(region[:-1], out=self.heap_base[1:])
        self.heap_base += 7
        size = int(region.sum())
        self.heap_t = line_aligned_zeros(size)
        self.heap_r = line_aligned_zeros(size)
        self.heap_n = zeros(n_srv, np.int64)
        self.busy_mbps = zeros(n_srv)
        self.req = zeros((n_srv, kmax), np.int64)
        self.blk = zeros((n_srv, kmax), np.int64)
        self.miss = zeros((n_srv, kmax), np.int64)
        # Each server's OLTs in increasing order: admission runs one server per task; each
        # metro's OLTs the same way: metros run one per task.
        self.srv_olt_ptr, self.srv_olts = members(pop.olt_srv, n_srv)
        self.metro_olt_ptr, self.metro_olts = members(pop.olt_metro, n_m)
        self.olt_ones = np.ones(n_o, np.int64)  # metros are dealt to threads by OLT count
        self._bundle(n_t, n_m, n_srv, lanes)
        bk.init_population(pop.olt_box, self.boxes, self.behaviour, va.on_share, bool(viewing))
        self.recount()

    def _bundle(self, n_t: int, n_m: int, n_srv: int, lanes: int) -> None:
        """The kernels' bundles over this object's arrays, every array checked once."""
        p = self.pop
        self.boxes = kb.Boxes(self.st, self.nt, self.wk, self.ch, self.rate, self.tu,
                              p.box_vert, p.box_port, p.box_flags, self.rs)
        self.topology = kb.Topology(p.olt_box, self.olt_port, p.port_olt, p.port_boxes,
                                    self.srv_olt_ptr, self.srv_olts, self.metro_olt_ptr,
                                    self.metro_olts, self.olt_ones)
        self.behaviour = kb.Behaviour(self.gbit, self.va.vp, self.sc, self.va.cumh,
                                      self.va.hrate, self.ptab, self.cls_mask, self.cls_rate)
        self.carry = kb.Carry(self.nst, self.orate, self.prate)
        self.scratch = kb.EpochScratch(self.acc, self.oac, self.abit, self.aw, self.ebit_o,
                                       self.abit_o, self.sbit, self.nbit, self.vcnt, self.stat,
                                       self.vis)
        self.requests = kb.Requests(self.pend_n, self.pend_list, self.pend_t, self.pend_wk,
                                    self.pend_r, self.pend_m, self.pend_ok)
        self.vod = kb.VodServers(self.srv_streams, self.srv_mbps, self.heap_t, self.heap_r,
                                 self.heap_base, self.heap_n, self.busy_mbps, self.req,
                                 self.blk, self.miss, float(self.u_miss))
        self.outputs = kb.Outputs(self.olt_uni, self.olt_cdn, self.olt_down, self.pmax,
                                  self.psum, self.m_acc, self.m_union, self.m_now, self.m_uni,
                                  self.m_cdn, self.viewers)
        self._dims = {"n": p.n_boxes, "P": p.n_ports, "O": p.n_olts, "M": n_m, "S": n_srv,
                      "G": self.n_groups, "W": self.sbit.shape[1], "K": self.max_windows,
                      "L": lanes, "T": n_t, "V": self.va.vp.shape[0],
                      "C": self.n_groups // 2, "R": self.cls_rate.shape[0],
                      "H": self.heap_t.shape[0], "N_VP": vk.N_VP, "N_SC": vk.N_SC,
                      "N_ST": vk.N_ST, "N_PACC": vk.N_PACC, "N_ACC": vk.N_ACC,
                      "N_OUT": vk.N_OUT}
        for b in (self.boxes, self.topology, self.behaviour, self.carry, self.scratch,
                  self.requests, self.vod, self.outputs):
            kb.check_bundle(b, self._dims)

    def recount(self) -> None:
        """Rebuild the per-OLT state counts and rate sums, and the per-port rate sums and
        boxes in use, from the boxes."""
        p = self.pop
        n_p, n_o = p.n_ports, p.n_olts
        box_olt = p.port_olt[p.box_port].astype(np.int64)
        self.nst[:] = np.bincount(box_olt * vk.N_ST + self.st,
                                  minlength=n_o * vk.N_ST).reshape(n_o, vk.N_ST)
        up = self.va.vp[p.box_vert, vk.CALL_UP_MBPS]
        for col, state, r in ((0, vk.VOD, self.rate), (1, vk.AD, self.rate),
                              (2, vk.CALL, self.rate), (3, vk.CALL, up)):
            m = self.st == state
            self.orate[:, col] = np.bincount(box_olt[m], weights=r[m], minlength=n_o)
        unicast = np.isin(self.st, (vk.VOD, vk.AD, vk.CALL))
        call = self.st == vk.CALL
        in_use = np.isin(self.st, (vk.LIVE, vk.VOD, vk.CALL))
        self.prate[:, 0] = np.bincount(p.box_port[unicast], weights=self.rate[unicast],
                                       minlength=n_p)
        self.prate[:, 1] = np.bincount(p.box_port[call], weights=up[call], minlength=n_p)
        self.prate[:, 2] = np.bincount(p.box_port[in_use], minlength=n_p)

    @property
    def cnt_p(self) -> np.ndarray:
        """(ports, groups): boxes watching each group on each port now."""
        live = self.st == vk.LIVE
        n_g = self.n_groups
        key = self.pop.box_port[live].astype(np.int64) * n_g + self.ch[live]
        return np.bincount(key, minlength=self.pop.n_ports * n_g).reshape(-1, n_g)

    @property
    def g_live(self) -> np.ndarray:
        """Boxes watching each group now."""
        live = self.st == vk.LIVE
        return np.bincount(self.ch[live], minlength=self.n_groups)

    def step_epoch(self, n_k: int, t0: float, dt: float, sink: PortLoadSink | None = None,
                   fw_mbit: np.ndarray | None = None) -> EpochStats:
        """Advance all boxes over ``n_k`` windows of ``dt`` from ``t0``, with VoD admission.

        ``fw_mbit``: firmware Mbit sent per port (only for a one-window epoch).
        """
        if not 1 <= n_k <= self.max_windows:
            raise ValueError(f"an epoch holds 1 to {self.max_windows} windows, not {n_k}")
        if fw_mbit is not None and n_k != 1:
            raise ValueError("firmware loads are given for one-window epochs only")
        sk = self.idle_sink if sink is None else sink
        kc = max(0, math.ceil((sk.count_from_s - t0) / dt - 1e-9))
        load = self._port_load(sk, self.no_fw if fw_mbit is None else fw_mbit)
        events = run_epoch(numba.get_num_threads(), kb.make_span(t0, dt, n_k, kc), self.topology,
                           self.boxes, self.behaviour, self.carry, self.scratch, self.requests,
                           self.vod, load, self.outputs)
        return EpochStats(n_k, float(events), self.acc, self.oac[:, :, : vk.N_OUT],
                          self.olt_down, self.pmax, self.psum, self.m_acc, self.m_union,
                          self.m_now, self.m_uni, self.m_cdn, self.req, self.blk, self.miss,
                          self.viewers)

    def _port_load(self, sk: PortLoadSink, fw_mbit: np.ndarray) -> kb.PortLoad:
        """The port-load bundle of a sink, checked (a sink's arrays may be replaced)."""
        load = kb.PortLoad(fw_mbit, sk.wifi_mbps, sk.hist, sk.peak, sk.up_peak, sk.over_s,
                           float(sk.cap_pon), float(sk.threshold), float(sk.util_bin))
        kb.check_bundle(load, {"P": self.pop.n_ports, "B": sk.hist.shape[1]})
        return load

    def preroll(self, n_windows: int, dt: float) -> None:
        """Bring the boxes to the steady state of the start hour: for a population built
        with its clock ``n_windows * dt`` before the run's start, simulate those windows,
        unrecorded, then move every time back so that the run starts at t = 0 with VoD
        streams, calls and ad carousels under way."""
        shift_s = n_windows * dt
        w = 0
        while w < n_windows:
            n_k = min(self.max_windows, n_windows - w)
            self.step_epoch(n_k, w * dt, dt)
            w += n_k
        self.nt -= shift_s
        self.wk -= shift_s  # next session starts (standby, ads)
        self.heap_t -= shift_s  # stream ends
        self.sc[vk.CLOCK0_S] += shift_s

    def step(self, w: int, t0: float, t1: float) -> WindowStats:
        """Advance all boxes over the one window ``[t0, t1)`` (index ``w``)."""
        return self.step_epoch(1, t0, t1 - t0).window(0)

    def titles(self, boxes: np.ndarray) -> np.ndarray:
        """The VoD title of each of ``boxes`` (their last request, :func:`title_of`)."""
        return title_of(self.tcdf, self.tu[boxes])

    def now_port_mbps(self) -> np.ndarray:
        """Multicast load per port now: distinct groups watched x bitrate."""
        return (self.cnt_p > 0) @ self.gbit

    def power_off(self, boxes: np.ndarray, t_back: np.ndarray, w: int = 0) -> None:
        """Boxes lose power now; they come back (boot finished) at ``t_back`` (inf: unknown)."""
        bk.power_off(boxes.astype(np.int64), t_back.astype(np.float64), self.boxes,
                     self.pop.port_olt, self.va.vp, self.carry)

    def set_back_on(self, boxes: np.ndarray, t_back: np.ndarray) -> None:
        """Offline boxes finish booting at ``t_back`` (then enter standby)."""
        self.nt[boxes] = t_back

    def occupancy(self) -> np.ndarray:
        """Boxes per state now (standby, live, vod, ad, call, offline)."""
        return np.bincount(self.st, minlength=vk.N_STATES + 1)[: vk.N_STATES]
