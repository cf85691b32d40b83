"""The twin: open a twin folder, ingest telemetry into its state, report counts.

Per batch: parse (bulk), check columns (:mod:`twins.validate`), judge lateness and
duplicates against the history (:mod:`twins.state`), fold the accepted rows into the state,
and commit everything in one transaction (:mod:`twins.store`). Every item read is either
accepted or quarantined with a reason: ``accepted + quarantined = read`` holds for every
batch and therefore for every ingest and for the twin's whole life.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.errors import FleetTwinError
from twins import register
from twins.batch import ParsedBatch
from twins.config import DeviceSpec, LoadedTwin, load_twin_config
from twins.jt808.reassembly import Reassembler
from twins.parquetread import parquet_batches
from twins.sources import (
    Source,
    fingerprint,
    frame_batches,
    prefetch,
    resolve,
    text_batches,
)
from twins.state import NO_TIME, TwinState, to_ms
from twins.store import Store, category
from twins.validate import check, device_index

log = logging.getLogger(__name__)

#: Seconds between state snapshots during a long ingest (one is also taken at its end).
SNAPSHOT_EVERY_S = 60.0
#: The quarantine keeps at most this much of an item's raw bytes (its source position says
#: where the rest is): a gigabyte of noise must not become one gigabyte-sized row.
MAX_RAW_BYTES = 1 << 20


QuarantineRow = tuple[int, int, str | None, float | None, str, bytes]


class InvariantError(FleetTwinError):
    """accepted + quarantined != read: a bug, never bad input."""


@dataclass
class IngestReport:
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def add(self, read: int, accepted: int, quarantined: int, reasons: Iterable[str]) -> None:
        self.read += read
        self.accepted += accepted
        self.quarantined += quarantined
        self.reasons.update(category(r) for r in reasons)


class Twin:
    """A twin folder opened for ingest and queries. Use as a context manager."""

    def __init__(self, root: str | Path, read_only: bool = False):
        self.loaded: LoadedTwin = load_twin_config(root)
        self.root = self.loaded.root
        self.config = self.loaded.config
        self._config_devices = list(self.loaded.devices)
        self.store = Store(self.loaded.store_path, read_only=read_only)
        self._snap_time = time.monotonic()
        self._models: dict[str, str] | None = None
        self._pending_reg: list[tuple[str, str, str | None, float, int, int]] = []
        self._load()

    def __enter__(self) -> Twin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    def _devices(self) -> None:
        """The configured devices, then those that registered themselves (from the store)."""
        devices = list(self._config_devices)
        seen = {d.id for d in devices}
        for dev, kind, profile in self.store.registered():
            if dev not in seen:  # a registered id later added to the configuration
                seen.add(dev)
                devices.append(DeviceSpec(id=dev, kind=kind, profile=profile))  # type: ignore[arg-type]
        self.loaded.devices = devices
        self.loaded.index = {d.id: i for i, d in enumerate(devices)}
        self.ids = [d.id for d in devices]

    def camera_models(self) -> dict[str, str]:
        """Camera profile ids and their serial prefixes (for registrations)."""
        if self._models is None:
            from pathlib import Path as _Path

            from sim.schema.profiles import ProfileCatalog, default_profile_dirs

            dirs = default_profile_dirs() + [self.root / _Path(d)
                                             for d in self.config.profile_dirs]
            catalog = ProfileCatalog(dirs)
            self._models = {pid: str(getattr(catalog.get("camera", pid).profile,
                                             "serial_prefix", ""))
                            for pid in catalog.ids("camera")}
        return self._models

    def _load(self) -> None:
        """State = last snapshot + the record parts committed after it."""
        self._pending_reg = []
        self._devices()
        self.state = TwinState(len(self.ids), self.config.lateness_s)
        table, included = self.store.state_snapshot()
        if table is not None:
            self.state.load_rows(table, self.loaded.index)
        for name in self.store.parts[included:]:
            part = self.store.read_part(name)
            dev = device_index(part, self.loaded)
            known = dev >= 0  # devices removed from the config since are skipped
            ts = np.asarray(part.column("ts_s").to_numpy(zero_copy_only=False), float)
            seq = np.asarray(pc.fill_null(part.column("seq"), 0).to_numpy(), np.int64)
            self.state.apply(part, dev, ts, seq, known, remember=False)
        self._snap_parts = included
        seen = self.state.watermark_ms > NO_TIME
        if seen.any():
            since = float(self.state.watermark_ms[seen].min() - self.state.lateness_ms) / 1e3
            keys = self.store.window_keys(since - 1.0)
            devs = device_index(keys, self.loaded)
            ms = to_ms(keys.column("ts_s").to_numpy(zero_copy_only=False))
            seq = np.asarray(keys.column("seq").to_numpy(zero_copy_only=False), np.int64)
            ok = devs >= 0
            ok[ok] &= ms[ok] >= self.state.watermark_ms[devs[ok]] - self.state.lateness_ms
            self.state.set_window(devs[ok], ms[ok], seq[ok])

    def snapshot(self) -> None:
        """Write the state snapshot (makes the next open quick)."""
        if self._snap_parts == len(self.store.parts):
            return
        with self.store.transaction():
            self.store.put_state(self.state.rows_table(np.arange(len(self.ids)), self.ids),
                                 len(self.store.parts))
        self._snap_parts = len(self.store.parts)

    # -- ingest --------------------------------------------------------------------------
    def ingest(
        self,
        specs: Iterable[str | Path],
        fmt: str | None = None,
        progress: bool = False,
        reread: bool = False,
        chunk_bytes: int | None = None,
        on_commit: Callable[[IngestReport], None] | None = None,
    ) -> IngestReport:
        """Ingest every source in turn; resume files where a previous ingest stopped.

        Parameters
        ----------
        specs
            Paths or ``-`` (standard input).
        fmt
            Format for every source (default: from the suffix; stdin: jsonl).
        reread
            Read files from their start even if they were ingested before (their records then
            count as duplicates).
        chunk_bytes
            Bytes per batch for text and binary files.
        on_commit
            Called with the running report after each committed batch.
        """
        report = IngestReport()
        t0 = time.perf_counter()
        for spec in specs:
            source = resolve(str(spec), fmt)
            report.sources.append(source.key)
            self._ingest_source(source, report, progress, reread, chunk_bytes, on_commit)
        report.wall_s = time.perf_counter() - t0
        return report

    def _ingest_source(self, source: Source, report: IngestReport, progress: bool,
                       reread: bool, chunk_bytes: int | None,
                       on_commit: Callable[[IngestReport], None] | None) -> None:
        fp = fingerprint(source)
        known = None if source.is_stdin else self.store.source(source.key)
        if known is None:
            sid = self.store.register_source(source.key if not source.is_stdin else
                                             f"-#{time.time_ns()}", fp)
            offset, line = 0, 1
        else:
            sid = int(known["id"])
            offset, line = int(known["offset"]), int(known["line"])
            size = source.path.stat().st_size if source.path else 0
            if reread or known["fingerprint"] != fp or (source.fmt != "parquet"
                                                        and offset > size):
                self.store.restart_source(sid, fp)
                offset, line = 0, 1
        reassembler = Reassembler()
        reassembler.restore(self.store.fragments(sid))
        clocks = self.store.clocks(sid)
        batches = prefetch(self._batches(source, offset, line, clocks, reassembler, chunk_bytes))
        bar = None
        if progress and source.path is not None:
            from tqdm import tqdm

            total = source.path.stat().st_size if source.fmt != "parquet" else None
            bar = tqdm(total=total, initial=offset if total else 0, unit="B", unit_scale=True,
                       desc=source.path.name, leave=False)
        try:
            for batch in batches:
                line = batch.end_line or line
                self._commit(batch, sid, batch.end_offset, line, report)
                if bar is not None and source.fmt != "parquet":
                    bar.update(batch.end_offset - bar.n)
                if time.monotonic() - self._snap_time > SNAPSHOT_EVERY_S:
                    self.snapshot()
                    self._snap_time = time.monotonic()
                if on_commit is not None:
                    on_commit(report)
            # Sub-packages still incomplete at the end of the source are quarantined.
            leftovers = reassembler.drain()
            if leftovers:
                from twins.batch import Reject, empty_batch

                tail = empty_batch()
                tail.rejects = [Reject(p, raw, why) for p, raw, why in leftovers]
                end = self.store.source(source.key)
                self._commit(tail, sid, int(end["offset"]) if end else 0, line, report)
        finally:
            if bar is not None:
                bar.close()
        self.snapshot()

    def _batches(self, source: Source, offset: int, line: int, clocks: dict[str, float],
                 reassembler: Reassembler, chunk_bytes: int | None) -> Iterator[ParsedBatch]:
        kw: dict[str, Any] = {"chunk": chunk_bytes} if chunk_bytes else {}
        if source.fmt == "jt808":
            cfg = self.config
            limit = time.time() + cfg.max_future_s if cfg.clock == "wall" else math.inf
            return frame_batches(source, offset, reassembler, clocks, max_clock_s=limit, **kw)
        if source.fmt == "parquet":
            assert source.path is not None  # refused for standard input by resolve()
            return parquet_batches(source.path, source.key, offset)
        return text_batches(source, offset, line, **kw)

    def _judge(self, batch: ParsedBatch, sid: int, a: int, b: int
               ) -> tuple[list[np.ndarray], list[QuarantineRow]]:
        """Check, judge and fold in rows ``[a, b)``; (accepted row indices, quarantine rows).

        Should checking a range fail unexpectedly, its halves are tried in turn (the verdict
        does not depend on how the stream is cut), down to the single row that cannot be
        checked, which is quarantined with the error: one bad record never stops an ingest.
        """
        sub = batch.table.slice(a, b - a)
        reg = register.find(sub, self.loaded, self.camera_models)
        register.add(self.loaded, reg)
        try:
            checked = check(sub, self.loaded, time.time())
            register.settle(self.loaded, reg, checked)
            _finite(checked)
            self.ids += [dev for dev, _, _ in reg.kept]
            self.state.grow(len(self.ids))
            verdict = self.state.judge(checked.dev, checked.ts_s, checked.seq, checked.bad)
        except (pa.ArrowException, ValueError, TypeError, OverflowError, IndexError,
                KeyError, UnicodeError) as exc:
            register.undo(self.loaded, reg)
            del self.ids[reg.base:]
            if b - a == 1:
                why = f"record could not be checked: {type(exc).__name__}: {str(exc)[:200]}"
                return [], [(sid, int(batch.position[a]), None, None, why, batch.raw(a)[:MAX_RAW_BYTES])]
            mid = (a + b) // 2
            acc1, q1 = self._judge(batch, sid, a, mid)
            acc2, q2 = self._judge(batch, sid, mid, b)
            return acc1 + acc2, q1 + q2
        reasons = {**checked.reasons, **verdict.reasons}
        quarantine: list[QuarantineRow] = []
        if reasons:
            devices = checked.table.column("device")
            for i in sorted(reasons):
                ts = checked.ts_s[i]
                dev = devices[i].as_py()
                quarantine.append((sid, int(batch.position[a + i]),
                                   dev if dev is None else dev[:200],
                                   None if np.isnan(ts) else float(ts), reasons[i],
                                   batch.raw(a + i)[:MAX_RAW_BYTES]))
        self.state.apply(checked.table, checked.dev, checked.ts_s, checked.seq,
                         verdict.accepted)
        for dev, profile, row in reg.kept:
            self._pending_reg.append((dev, "camera", profile, float(checked.ts_s[row]), sid,
                                      int(batch.position[a + row])))
        acc = np.flatnonzero(verdict.accepted) + a
        self._checked_tables.append(checked.table.filter(pa.array(verdict.accepted)))
        return [acc], quarantine

    def _commit(self, batch: ParsedBatch, sid: int, offset: int, line: int,
                report: IngestReport) -> None:
        self._checked_tables: list[pa.Table] = []
        self._pending_reg = []
        try:
            acc_parts, quarantine = self._judge(batch, sid, 0, batch.table.num_rows) \
                if batch.table.num_rows else ([], [])
        except BaseException:
            self._load()
            raise
        accepted = np.concatenate(acc_parts) if acc_parts else np.zeros(0, np.int64)
        n_acc = len(accepted)
        for rj in batch.rejects:
            quarantine.append((sid, rj.position, None, None, rj.reason,
                               rj.raw[:MAX_RAW_BYTES]))
        read = batch.read
        if n_acc + len(quarantine) != read:
            self._load()
            raise InvariantError(f"batch of {read} items: {n_acc} accepted + "
                                 f"{len(quarantine)} quarantined")
        try:
            with self.store.transaction():
                if n_acc:
                    tables = self._checked_tables
                    self.store.add_records(tables[0] if len(tables) == 1
                                           else pa.concat_tables(tables), sid,
                                           batch.position[accepted])
                self.store.add_quarantine(quarantine)
                self.store.add_registered(self._pending_reg)
                self.store.bump(read, n_acc, len(quarantine))
                self.store.set_progress(sid, offset, line, batch.clocks, batch.pending)
        except BaseException:
            # The store rolled back; the in-memory state must follow it.
            self._load()
            raise
        report.add(read, n_acc, len(quarantine), (q[4] for q in quarantine))

    # -- queries -------------------------------------------------------------------------
    def counters(self) -> dict[str, int]:
        return self.store.counters()

    def quarantine_summary(self) -> list[tuple[str, int]]:
        rows = self.store.query("SELECT category, count(*) AS n FROM quarantine GROUP BY 1 "
                                "ORDER BY n DESC, category")
        return list(zip(rows.column("category").to_pylist(), rows.column("n").to_pylist(),
                        strict=True))

    def device_states(self) -> pa.Table:
        """One row per known device: id, kind, profile, entity, last report and state."""
        s = self.state
        cols: dict[str, Any] = {
            "device": pa.array(self.ids, pa.string()),
            "kind": pa.array([d.kind for d in self.loaded.devices], pa.string()),
            "profile": pa.array([d.profile for d in self.loaded.devices], pa.string()),
            "entity": pa.array([d.entity for d in self.loaded.devices], pa.int64()),
            "records": pa.array(s.records),
        }
        seen = s.watermark_ms > np.iinfo(np.int64).min // 8
        last = np.where(seen, s.watermark_ms / 1000.0, np.nan)
        cols["last_ts_s"] = pa.array(last, mask=~seen)
        from twins.state import STRING_COLUMNS

        for c, v in s.values.items():
            if c in STRING_COLUMNS:
                cols[c] = pa.array(list(v), pa.string())
            else:
                cols[c] = pa.array(v, pa.float64(), mask=np.isnan(v))
        return pa.table(cols)


def _finite(checked: Any) -> None:
    """NaN or infinite values of the camera float columns the column checks do not cover."""
    from twins.validate import _FLOAT_COLS

    table = checked.table
    for c in ("upload_mb",):
        if c in _FLOAT_COLS or table.column(c).null_count == table.num_rows:
            continue
        v = np.asarray(pc.fill_null(table.column(c), 0.0).to_numpy(zero_copy_only=False),
                       float)
        for i in np.flatnonzero(~np.isfinite(v) & ~checked.bad).tolist():
            checked.bad[i] = True
            checked.reasons[i] = f"{c} is not a finite number"


def open_twin(root: str | Path, read_only: bool = False) -> Twin:
    return Twin(root, read_only=read_only)
