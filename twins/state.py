"""The twin's live state per device, and the history-dependent checks (late, duplicate).

Semantics, independent of how the stream is cut into batches (so a restarted ingest ends
exactly where an uninterrupted one does):

- A device's *watermark* is the latest ``ts_s`` among its accepted records. A record older
  than the watermark at its arrival minus ``lateness_s`` is quarantined as late. Records
  within the lateness are accepted even out of order.
- A record whose ``(device, ts_s, seq)`` was accepted before is a duplicate (quarantined with
  that reason; it never counts twice). Keys are compared within the lateness window, which
  is all that can still arrive.
- Each state column of a device holds the value of the latest record (by ``ts_s``, then
  ``seq``) that carried it: a heartbeat does not erase a position, and a late location
  report does not overwrite a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twins.records import COLUMNS, STATE_COLUMNS

NO_TIME = np.iinfo(np.int64).min // 4
_P1, _P2, _P3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), \
    np.uint64(0x165667B19E3779F9)
STRING_COLUMNS = tuple(c for c in STATE_COLUMNS if pa.types.is_string(COLUMNS[c]))
BOOL_COLUMNS = tuple(c for c in STATE_COLUMNS if pa.types.is_boolean(COLUMNS[c]))


def key_hash(dev: np.ndarray, ts_ms: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """A 64-bit mix of the record key (matches are confirmed on the full key)."""
    with np.errstate(over="ignore"):
        h = dev.astype(np.uint64) * _P1 ^ ts_ms.astype(np.uint64) * _P2 \
            ^ seq.astype(np.uint64) * _P3
        return h ^ (h >> np.uint64(29))


def to_ms(ts_s: np.ndarray) -> np.ndarray:
    return np.round(np.nan_to_num(ts_s, nan=0.0) * 1000.0).astype(np.int64)


@dataclass
class Verdict:
    late: np.ndarray
    duplicate: np.ndarray
    accepted: np.ndarray
    reasons: dict[int, str]


class TwinState:
    """Arrays indexed by device: watermark, counts, and each state column with its key."""

    def __init__(self, n_devices: int, lateness_s: float):
        self.n = n_devices
        self.lateness_ms = int(round(lateness_s * 1000))
        self.watermark_ms = np.full(n_devices, NO_TIME, np.int64)
        self.first_ms = np.full(n_devices, NO_TIME, np.int64)
        self.records = np.zeros(n_devices, np.int64)
        self.values: dict[str, np.ndarray] = {}
        self.col_ms: dict[str, np.ndarray] = {}
        self.col_seq: dict[str, np.ndarray] = {}
        for c in STATE_COLUMNS:
            self.values[c] = (np.full(n_devices, None, object) if c in STRING_COLUMNS
                              else np.full(n_devices, np.nan))
            self.col_ms[c] = np.full(n_devices, NO_TIME, np.int64)
            self.col_seq[c] = np.full(n_devices, -1, np.int64)
        # the dedup window: sorted hashes and the keys they stand for
        self.win_hash = np.zeros(0, np.uint64)
        self.win_dev = np.zeros(0, np.int64)
        self.win_ms = np.zeros(0, np.int64)
        self.win_seq = np.zeros(0, np.int64)

    def grow(self, n_devices: int) -> None:
        """Make room for devices up to ``n_devices`` (self-registered ones), with no history."""
        extra = n_devices - self.n
        if extra <= 0:
            return
        self.n = n_devices
        self.watermark_ms = np.r_[self.watermark_ms, np.full(extra, NO_TIME, np.int64)]
        self.first_ms = np.r_[self.first_ms, np.full(extra, NO_TIME, np.int64)]
        self.records = np.r_[self.records, np.zeros(extra, np.int64)]
        for c in STATE_COLUMNS:
            fill = (np.full(extra, None, object) if c in STRING_COLUMNS
                    else np.full(extra, np.nan))
            self.values[c] = np.concatenate([self.values[c], fill])
            self.col_ms[c] = np.r_[self.col_ms[c], np.full(extra, NO_TIME, np.int64)]
            self.col_seq[c] = np.r_[self.col_seq[c], np.full(extra, -1, np.int64)]

    # -- history checks ------------------------------------------------------------------
    def judge(self, dev: np.ndarray, ts_s: np.ndarray, seq: np.ndarray,
              bad: np.ndarray) -> Verdict:
        """Late and duplicate verdicts for the rows not already ``bad``, in arrival order."""
        n = len(dev)
        late = np.zeros(n, bool)
        dup = np.zeros(n, bool)
        reasons: dict[int, str] = {}
        rows = np.flatnonzero(~bad)
        if rows.size:
            d, t, q = dev[rows], to_ms(ts_s[rows]), seq[rows]
            order = np.argsort(d, kind="stable")
            ds, ts_sorted = d[order], t[order]
            start = np.r_[True, ds[1:] != ds[:-1]]
            gid = np.cumsum(start) - 1
            base = ts_sorted.min()
            span = int(ts_sorted.max() - base) + 1
            shifted = (ts_sorted - base) + gid * span
            incl = np.maximum.accumulate(shifted) - gid * span + base
            excl = np.where(start, NO_TIME, np.r_[NO_TIME, incl[:-1]])
            before = np.maximum(excl, self.watermark_ms[ds])
            is_late = ts_sorted < before - self.lateness_ms
            late_rows = rows[order[is_late]]
            late[late_rows] = True
            lag = (before - ts_sorted)[is_late] / 1000.0
            for i, g in zip(late_rows, lag, strict=True):
                reasons[int(i)] = (f"late: {g:.0f} s older than the device's latest report "
                                   f"(lateness {self.lateness_ms / 1000:g} s)")
            ok = ~late[rows]
            cand = rows[ok]
            h = key_hash(d[ok], t[ok], q[ok])
            # duplicates of what is already accepted
            if self.win_hash.size and cand.size:
                pos = np.searchsorted(self.win_hash, h)
                pos_c = np.minimum(pos, self.win_hash.size - 1)
                hit = (self.win_hash[pos_c] == h) & (self.win_dev[pos_c] == d[ok]) \
                    & (self.win_ms[pos_c] == t[ok]) & (self.win_seq[pos_c] == q[ok])
            else:
                hit = np.zeros(cand.size, bool)
            # duplicates within the batch: the first arrival wins
            _, first = np.unique(h, return_index=True)
            repeat = np.ones(cand.size, bool)
            repeat[first] = False
            is_dup = hit | repeat
            dup[cand[is_dup]] = True
            for i in cand[is_dup]:
                reasons[int(i)] = "duplicate of an accepted record (same device, ts_s, seq)"
        accepted = ~bad & ~late & ~dup
        return Verdict(late, dup, accepted, reasons)

    # -- updates -------------------------------------------------------------------------
    def apply(self, table: pa.Table, dev: np.ndarray, ts_s: np.ndarray, seq: np.ndarray,
              accepted: np.ndarray, remember: bool = True) -> np.ndarray:
        """Fold accepted rows into the state; return the indices of devices that changed."""
        rows = np.flatnonzero(accepted)
        if rows.size == 0:
            return np.zeros(0, np.int64)
        d, t, q = dev[rows], to_ms(ts_s[rows]), seq[rows]
        order = np.lexsort((q, t, d))
        rows, d, t, q = rows[order], d[order], t[order], q[order]
        last = np.r_[d[1:] != d[:-1], True]
        first = np.r_[True, d[1:] != d[:-1]]
        changed = d[last]
        self.watermark_ms[changed] = np.maximum(self.watermark_ms[changed], t[last])
        fresh = self.first_ms[d[first]] == NO_TIME
        self.first_ms[d[first]] = np.where(fresh, t[first],
                                           np.minimum(self.first_ms[d[first]], t[first]))
        self.records += np.bincount(d, minlength=self.n)
        for c in STATE_COLUMNS:
            col = table.column(c)
            if col.null_count == len(col):
                continue
            if col.null_count:
                has = ~np.asarray(col.is_null().to_numpy(zero_copy_only=False))[rows]
                idx = np.flatnonzero(has)
            else:
                idx = np.arange(len(rows))
            dc = d[idx]
            lastc = idx[np.r_[dc[1:] != dc[:-1], True]] if len(idx) else idx
            dl, tl, ql = d[lastc], t[lastc], q[lastc]
            newer = (tl > self.col_ms[c][dl]) | ((tl == self.col_ms[c][dl])
                                                 & (ql > self.col_seq[c][dl]))
            if not newer.any():
                continue
            pick = rows[lastc[newer]]
            taken = col.take(pa.array(pick))
            if c in STRING_COLUMNS:
                vals = np.asarray(taken.to_numpy(zero_copy_only=False), object)
            else:
                vals = np.asarray(pc.cast(taken, pa.float64()).to_numpy(zero_copy_only=False))
            dn = dl[newer]
            self.values[c][dn] = vals
            self.col_ms[c][dn] = tl[newer]
            self.col_seq[c][dn] = ql[newer]
        if remember:
            self._remember(d, t, q)
        return changed

    def _remember(self, d: np.ndarray, t: np.ndarray, q: np.ndarray) -> None:
        dev = np.r_[self.win_dev, d]
        ms = np.r_[self.win_ms, t]
        seq = np.r_[self.win_seq, q]
        keep = ms >= self.watermark_ms[dev] - self.lateness_ms
        self.set_window(dev[keep], ms[keep], seq[keep])

    def set_window(self, dev: np.ndarray, ms: np.ndarray, seq: np.ndarray) -> None:
        h = key_hash(dev, ms, seq)
        order = np.argsort(h, kind="stable")
        self.win_hash, self.win_dev = h[order], dev[order].astype(np.int64)
        self.win_ms, self.win_seq = ms[order].astype(np.int64), seq[order].astype(np.int64)

    # -- persistence ---------------------------------------------------------------------
    def rows_table(self, devices: np.ndarray, ids: list[str]) -> pa.Table:
        """State rows of ``devices`` as an Arrow table (the store's ``device_state``)."""
        devices = np.asarray(devices, np.int64)
        cols: dict[str, pa.Array] = {
            "device": pa.array([ids[i] for i in devices], pa.string()),
            "watermark_ms": pa.array(self.watermark_ms[devices]),
            "first_ms": pa.array(self.first_ms[devices]),
            "records": pa.array(self.records[devices]),
        }
        for c in STATE_COLUMNS:
            v = self.values[c][devices]
            if c in STRING_COLUMNS:
                cols[c] = pa.array(list(v), pa.string())
            else:
                cols[c] = pa.array(v, pa.float64(), mask=np.isnan(v))
            cols[f"{c}__ms"] = pa.array(self.col_ms[c][devices])
            cols[f"{c}__seq"] = pa.array(self.col_seq[c][devices])
        return pa.table(cols)

    def load_rows(self, table: pa.Table, index: dict[str, int]) -> None:
        ids = table.column("device").to_pylist()
        keep = [k for k, i in enumerate(ids) if i in index]
        devs = np.array([index[ids[k]] for k in keep], np.int64)
        take = pa.array(keep, pa.int64())

        def col(name: str) -> np.ndarray:
            c = table.column(name).take(take)
            if pa.types.is_string(c.type):
                return np.asarray(c.to_numpy(zero_copy_only=False), object)
            return np.asarray(pc.fill_null(c, np.nan).to_numpy(zero_copy_only=False)
                              if pa.types.is_floating(c.type) else c.to_numpy(zero_copy_only=False))

        self.watermark_ms[devs] = col("watermark_ms")
        self.first_ms[devs] = col("first_ms")
        self.records[devs] = col("records")
        for c in STATE_COLUMNS:
            if c not in table.column_names:  # a snapshot from before the column existed
                continue
            self.values[c][devs] = col(c)
            self.col_ms[c][devs] = col(f"{c}__ms")
            self.col_seq[c][devs] = col(f"{c}__seq")
