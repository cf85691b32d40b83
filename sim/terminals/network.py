"""The servers the terminals load: gateway nodes (connections, message queue, uplink), the
ingest tier (a fluid queue at its capacity) and the cells and APN (Mbit/s).

State is carried from window to window; every result is kept per window (and node or
cell) for the series and the KPIs.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.terminals_gateway import N_HIST, admit, serve_epoch
from sim.terminals.schema import TerminalsScenario

#: Columns of a node-window's queue results (see serve_window).
OFFERED, LOST, SERVED, WAITED, WAIT_SUM, DELAY_SUM, BUSY = range(7)


class Network:
    """Gateway, ingest and cells of one replication."""

    def __init__(self, sc: TerminalsScenario, n_windows: int, seeds: np.ndarray):
        g = sc.gateway
        self.sc = sc
        self.dt = sc.window_s
        self.n_w = n_windows
        nodes = g.nodes
        self.heap = np.zeros((nodes, g.max_connections_per_node))
        self.heap_n = np.zeros(nodes, np.int64)
        self.free = np.zeros((nodes, g.workers_per_node)) - sc.preroll_s
        self.ring = np.zeros((nodes, g.buffer_messages + 1))
        self.ring_h = np.zeros(nodes, np.int64)
        self.ring_t = np.zeros(nodes, np.int64)
        self.rs = seeds.astype(np.uint64)
        self.hist = np.zeros(N_HIST)
        self.gaps = np.zeros(g.sample_messages + 1)
        self.queue = np.zeros((n_windows, nodes, 7))
        self.refused = np.zeros((n_windows, nodes))
        self.conn_peak = np.zeros((nodes, n_windows), np.int64)
        self.sessions = 0
        self.sessions_blocked = 0
        self.sessions_w = np.zeros(n_windows)
        self.blocked_w = np.zeros(n_windows)
        self.node_mbit = np.zeros((n_windows, nodes))
        self.ingest_in = np.zeros(n_windows)
        self.ingest_lost = np.zeros(n_windows)
        self.ingest_backlog = np.zeros(n_windows)
        self._backlog = 0.0
        self.radio_lost = np.zeros(n_windows)
        self.link_lost = np.zeros(n_windows)
        self.link_util_max = np.zeros(n_windows)
        self.cell_util_max = np.zeros(n_windows)
        self.cell_util_sum = np.zeros(n_windows)
        self.cell_over = np.zeros(n_windows, np.int64)
        self.cell_util_hist = np.zeros(202)
        self.apn_mbit = np.zeros(n_windows)

    def admit(self, s_term: np.ndarray, s_start: np.ndarray, s_end: np.ndarray,
              node: np.ndarray, t0: float) -> np.ndarray:
        """The gateway's answer to the epoch's sessions: refused (True) or not."""
        blocked = np.zeros(s_term.size, np.bool_)
        if s_term.size:
            order = np.lexsort((s_term, s_start))
            admit(order, node, s_term, s_start, s_end, self.heap, self.heap_n, blocked,
                  self.conn_peak, 0.0, self.dt, self.n_w)
            k = np.floor(s_start / self.dt).astype(np.int64)
            counted = (k >= 0) & (k < self.n_w)
            self.sessions += int(counted.sum())
            self.sessions_blocked += int((blocked & counted).sum())
            np.add.at(self.sessions_w, k[counted], 1.0)
            np.add.at(self.blocked_w, k[counted & blocked], 1.0)
        return blocked

    def serve(self, k0: int, msg_node: np.ndarray, ref_node: np.ndarray,
              cell_w: np.ndarray, bytes_node: np.ndarray) -> None:
        """Windows ``k0 ...`` of an epoch: cells and APN, gateway uplinks and queue, ingest.

        Arrays are per node or cell by window of the epoch (recorded windows only);
        ``cell_w[..., 0]`` messages and ``cell_w[..., 1]`` bytes.
        """
        sc, g = self.sc, self.sc.gateway
        m = min(msg_node.shape[1], self.n_w - k0)
        ks = slice(k0, k0 + m)
        cap_cell_bytes = sc.cells.cell_uplink_mbps * 1e6 / 8.0 * self.dt
        # cells: traffic beyond a cell's uplink is lost (that share of its messages)
        load = cell_w[:, :m, 1]
        msgs = cell_w[:, :m, 0]
        util = load / cap_cell_bytes
        lost_share = 1.0 - 1.0 / np.maximum(util, 1.0)
        lost = (msgs * lost_share).sum(axis=0)
        sent = msgs.sum(axis=0)
        self.radio_lost[ks] = lost
        self.cell_util_max[ks] = util.max(axis=0, initial=0.0)
        self.cell_util_sum[ks] = util.sum(axis=0)
        self.cell_over[ks] = (util > 1.0).sum(axis=0)
        self.cell_util_hist += np.bincount(np.minimum((util * 100).astype(np.int64), 201)
                                           .ravel(), minlength=202)
        self.apn_mbit[ks] = load.sum(axis=0) * 8 / 1e6
        keep = np.where(sent > 0, 1.0 - lost / np.maximum(sent, 1e-300), 1.0)
        self.refused[ks] = ref_node[:, :m].T
        mbit = bytes_node[:, :m] * keep * 8 / 1e6
        self.node_mbit[ks] = mbit.T
        # a node's uplink: messages beyond its Mbit/s are lost (that share of them)
        link_util = mbit / self.dt / g.uplink_mbps
        link_keep = 1.0 / np.maximum(link_util, 1.0)
        to_node = msg_node[:, :m] * keep
        self.link_lost[ks] = (to_node * (1.0 - link_keep)).sum(axis=0)
        self.link_util_max[ks] = link_util.max(axis=0, initial=0.0)
        serve_epoch(np.ascontiguousarray(to_node * link_keep), k0, self.dt,
                    g.sample_messages, self.free, self.ring, self.ring_h, self.ring_t,
                    g.buffer_messages, g.service_ms / 1000.0, g.service == "deterministic",
                    self.rs, self.hist, self.queue, self.gaps)
        # ingest: a fluid queue at its capacity, with a buffer
        cap = sc.ingest.messages_per_s * self.dt
        for k in range(k0, k0 + m):
            inflow = float(self.queue[k, :, SERVED].sum())
            b = max(self._backlog + inflow - cap, 0.0)
            spill = max(b - sc.ingest.buffer_messages, 0.0)
            self._backlog = b - spill
            self.ingest_in[k] = inflow
            self.ingest_lost[k] = spill
            self.ingest_backlog[k] = self._backlog
