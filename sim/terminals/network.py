"""The servers the terminals load: gateway nodes (connections, message queue, uplink), the
ingest tier (a fluid queue at its capacity) and the cells and APN (Mbit/s).

State is carried from window to window; every result is kept per window (and node or
cell) for the series and the KPIs.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.terminals_gateway import N_HIST, admit, serve_window
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
              msg_cell: np.ndarray, bytes_cell: np.ndarray, bytes_node: np.ndarray) -> None:
        """Windows ``k0 ...`` of an epoch: cells and APN, gateway queue, ingest.

        Arrays are per node or cell by window of the epoch (recorded windows only).
        """
        sc, g = self.sc, self.sc.gateway
        cap_cell_bytes = sc.cells.cell_uplink_mbps * 1e6 / 8.0 * self.dt
        service_s = g.service_ms / 1000.0
        det = g.service == "deterministic"
        for j in range(msg_node.shape[1]):
            k = k0 + j
            if k >= self.n_w:
                break
            w0 = k * self.dt
            # cells: traffic beyond a cell's uplink is lost (the share of its messages)
            load = bytes_cell[:, j]
            util = load / cap_cell_bytes
            over = util > 1.0
            lost_share_cell = np.where(over, 1.0 - 1.0 / np.maximum(util, 1.0), 0.0)
            lost = float(np.sum(msg_cell[:, j] * lost_share_cell))
            sent = float(msg_cell[:, j].sum())
            self.radio_lost[k] = lost
            self.cell_util_max[k] = float(util.max(initial=0.0))
            self.cell_util_sum[k] = float(util.sum())
            self.cell_over[k] = int(over.sum())
            self.cell_util_hist += np.bincount(np.minimum((util * 100).astype(np.int64), 201),
                                               minlength=202)
            self.apn_mbit[k] = float(load.sum()) * 8 / 1e6
            keep = 1.0 - lost / sent if sent > 0 else 1.0
            self.refused[k] = ref_node[:, j]
            self.node_mbit[k] = bytes_node[:, j] * keep * 8 / 1e6
            for node in range(g.nodes):
                serve_window(node, float(msg_node[node, j]) * keep, w0, w0 + self.dt,
                             g.sample_messages, self.free, self.ring, self.ring_h,
                             self.ring_t, g.buffer_messages, service_s, det, self.rs,
                             self.hist, self.queue[k, node])
            # ingest: a fluid queue at its capacity, with a buffer
            inflow = float(self.queue[k, :, SERVED].sum())
            cap = sc.ingest.messages_per_s * self.dt
            b = self._backlog + inflow - cap
            b = max(b, 0.0)
            spill = max(b - sc.ingest.buffer_messages, 0.0)
            self._backlog = b - spill
            self.ingest_in[k] = inflow
            self.ingest_lost[k] = spill
            self.ingest_backlog[k] = self._backlog
