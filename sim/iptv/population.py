"""The set-top-box population as arrays, advanced window by window by the numba kernels.

:class:`BoxPopulation` owns the per-box state and the per-port/per-OLT multicast counts,
checks array shapes and dtypes once, and runs one window: the parallel kernel, then VoD
admission as a loss system (blocked boxes fall back to live TV), repeated until no box is
left waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from sim.iptv.topology import Population
from sim.iptv.viewing import ViewingArrays
from sim.kernels import viewing as vk
from sim.kernels.rng import guide_table, seed_states
from sim.kernels.window import run_window


@dataclass
class WindowStats:
    """What one window produced (arrays are reused by the next window: copy to keep)."""

    out: np.ndarray
    """(ports, N_OUT): Mbit per unicast kind, events, joins, state-seconds."""
    union_port_mbps: np.ndarray
    union_olt_mbps: np.ndarray
    now_port_mbps: np.ndarray
    now_olt_mbps: np.ndarray
    vod_requests: np.ndarray
    """Per VoD server."""
    vod_blocked: np.ndarray
    vod_cache_miss: np.ndarray
    """Per VoD server: admitted requests for titles outside the edge cache (origin fetch)."""


def _check(name: str, a: np.ndarray, dtype: type, shape: tuple[int, ...]) -> None:
    if a.dtype != np.dtype(dtype) or a.shape != shape:
        raise ValueError(f"{name}: expected {np.dtype(dtype)}{shape}, got {a.dtype}{a.shape}")


class BoxPopulation:
    """Per-box state plus multicast bookkeeping for a :class:`Population`."""

    def __init__(self, pop: Population, va: ViewingArrays, gbit: np.ndarray, hd_alt: np.ndarray,
                 sc_consts: np.ndarray, tcdf: np.ndarray, seed: int, srv_streams: np.ndarray,
                 srv_mbps: np.ndarray, cache_titles: int):
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
        self.gbit, self.hd_alt, self.sc, self.tcdf = gbit, hd_alt, sc_consts, tcdf
        self.tguide = guide_table(tcdf)
        self.cache_titles = int(cache_titles)
        self.st = np.zeros(n, np.int8)
        self.nt = np.zeros(n, np.float64)
        self.wk = np.zeros(n, np.float64)
        self.ch = np.full(n, -1, np.int16)
        self.rate = np.zeros(n, np.float64)
        self.ttl = np.zeros(n, np.int32)
        self.rs = seed_states(int(seed), n)
        # Viewers per group (small ints: a port row spans few cache lines) and one
        # "touched this window" bit per group.
        if int(pop.port_boxes.max(initial=0)) >= 2**16:
            raise ValueError("more than 65535 boxes on one PON port")
        n_words = (n_g + 63) // 64
        # The narrowest type that holds a port's (an OLT's) boxes: fewer bytes per row, more
        # rows in cache.
        port_max = int(pop.port_boxes.max(initial=0))
        olt_max = int(np.diff(pop.olt_box).max(initial=0))
        self.cnt_p = np.zeros((n_p, n_g), np.uint8 if port_max < 2**8 else np.uint16)
        self.cnt_o = np.zeros((n_o, n_g), np.uint16 if olt_max < 2**16 else np.int32)
        self.tch_p = np.zeros((n_p, n_words), np.uint64)
        self.tch_o = np.zeros((n_o, n_words), np.uint64)
        self.mc_p = np.zeros(n_p)
        self.mc_o = np.zeros(n_o)
        self.un_p = np.zeros(n_p)
        self.un_o = np.zeros(n_o)
        self.out = np.zeros((n_p, vk.N_OUT))
        self.pend_n = np.zeros(n_o, np.int64)
        self.pend_list = np.zeros(n, np.int64)
        self.buf = np.zeros(n, np.int64)
        self.olt_port = np.searchsorted(pop.port_olt, np.arange(n_o + 1)).astype(np.int64)
        self.nst = np.zeros((n_p, vk.N_ST), np.int64)
        self.prate = np.zeros((n_p, 4))
        n_srv = srv_streams.shape[0]
        self.srv_streams = srv_streams.astype(np.int64)
        self.srv_mbps = srv_mbps.astype(np.float64)
        self.heap_base = np.zeros(n_srv, np.int64)
        np.cumsum(self.srv_streams[:-1], out=self.heap_base[1:])
        size = int(self.srv_streams.sum())
        self.heap_t = np.zeros(size)
        self.heap_r = np.zeros(size)
        self.heap_n = np.zeros(n_srv, np.int64)
        self.busy_mbps = np.zeros(n_srv)
        self.box_srv = pop.olt_srv[pop.port_olt[pop.box_port]].astype(np.int64)
        # Each server's OLTs in increasing order: admission runs one server per task.
        self.srv_olts = np.argsort(pop.olt_srv, kind="stable").astype(np.int64)
        self.srv_olt_ptr = np.searchsorted(pop.olt_srv[self.srv_olts],
                                           np.arange(n_srv + 1)).astype(np.int64)
        self.events = 0
        vk.init_population(pop.olt_box, self.st, self.nt, self.wk, self.ch, self.rate,
                           pop.box_vert, pop.box_port, pop.box_flags, self.rs, pop.port_olt,
                           self.cnt_p, self.cnt_o, self.tch_p, self.tch_o, self.mc_p, self.mc_o,
                           self.un_p, self.un_o, gbit, hd_alt, va.vp, sc_consts, va.cumh,
                           va.hrate, va.ctab, va.on_share)
        self.recount()

    def recount(self) -> None:
        """Rebuild the per-port state counts and unicast rate sums from the boxes."""
        p = self.pop
        n_p = p.n_ports
        self.nst[:] = np.bincount(p.box_port.astype(np.int64) * vk.N_ST + self.st,
                                  minlength=n_p * vk.N_ST).reshape(n_p, vk.N_ST)
        up = self.va.vp[p.box_vert, vk.CALL_UP_MBPS]
        for col, state, r in ((0, vk.VOD, self.rate), (1, vk.AD, self.rate),
                              (2, vk.CALL, self.rate), (3, vk.CALL, up)):
            m = self.st == state
            self.prate[:, col] = np.bincount(p.box_port[m], weights=r[m], minlength=n_p)

    def _common(self) -> tuple:
        p = self.pop
        return (self.st, self.nt, self.wk, self.ch, self.rate, self.ttl, p.box_vert, p.box_port,
                p.box_flags, self.rs, p.port_olt, self.cnt_p, self.cnt_o, self.tch_p, self.tch_o,
                self.mc_p, self.mc_o, self.un_p, self.un_o, self.gbit, self.hd_alt, self.va.vp,
                self.sc, self.va.cumh, self.va.hrate, self.va.ctab, self.tcdf, self.tguide, self.out, self.nst,
                self.prate)

    def step(self, w: int, t0: float, t1: float) -> WindowStats:
        """Advance all boxes over ``[t0, t1)`` (window index ``w``) with VoD admission."""
        n_srv = self.srv_streams.shape[0]
        req = np.zeros(n_srv, np.int64)
        blk = np.zeros(n_srv, np.int64)
        miss = np.zeros(n_srv, np.int64)
        with numba.parallel_chunksize(1):  # uneven tasks: hand them out one at a time
            run_window(w, t0, t1, self.pop.olt_box, *self._common(),  # type: ignore[call-arg]
                       self.olt_port, self.pend_n, self.pend_list, self.buf,
                       self.srv_olt_ptr, self.srv_olts, self.box_srv, self.srv_streams,
                       self.srv_mbps, self.heap_t, self.heap_r, self.heap_base, self.heap_n,
                       self.busy_mbps, self.cache_titles, req, blk, miss)
        return WindowStats(self.out, self.un_p, self.un_o, self.mc_p, self.mc_o, req, blk, miss)

    def power_off(self, boxes: np.ndarray, t_back: np.ndarray, w: int) -> None:
        """Boxes lose power now; they come back (boot finished) at ``t_back`` (inf: unknown)."""
        p = self.pop
        vk.power_off(boxes.astype(np.int64), t_back.astype(np.float64), w, self.st, self.nt,
                     self.ch, self.rate, p.box_vert, self.va.vp, p.box_port, p.port_olt,
                     self.cnt_p, self.cnt_o, self.tch_p, self.tch_o, self.mc_p, self.mc_o,
                     self.gbit, self.out, self.nst, self.prate)

    def set_back_on(self, boxes: np.ndarray, t_back: np.ndarray) -> None:
        """Offline boxes finish booting at ``t_back`` (then enter standby)."""
        self.nt[boxes] = t_back

    def occupancy(self) -> np.ndarray:
        """Boxes per state now (standby, live, vod, ad, call, offline)."""
        return np.bincount(self.st, minlength=vk.N_STATES + 1)[: vk.N_STATES]
