"""The twin's persistent store: one DuckDB file under the twin folder.

Accepted records are Parquet part files, ``TWIN/records/part-NNNNNNNN.parquet`` (one per
batch, listed in the ``parts`` table); everything else is in the DuckDB file. Tables::

    parts          committed record part files and their row counts
    quarantine     rejected input: source, position, device, ts_s, category, reason, raw
    device_state   a snapshot of the state per device (see twins.state) and, in ``meta``,
                   how many parts it includes; opening the twin folds in the later parts
    sources        per source file: fingerprint, byte offset, line, decoder clock
    counters       read / accepted / quarantined totals
    fragments      JT/T 808 sub-packages waiting for the rest of their message
    clocks         per JT/T 808 source and device, the latest location time (stamps heartbeats)
    registered     devices that registered themselves (a camera's ``register`` message),
                   in registration order: id, kind, profile, time, source and position

Each batch is one transaction: its records (the part file is written first and becomes
part of the twin when its name is committed; a part left by a crash is deleted at open), its
quarantined items, the changed device states,
the counters and the source's new offset commit together or not at all. A twin killed at any
moment restarts from its last commit and re-reads exactly what was not committed, so nothing
is lost or counted twice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import DataError, Problem
from twins.records import COLUMNS

_SCHEMA_SQL = [
    # no keys or indexes: the twin is the only writer, and DuckDB updates are cheaper without
    "CREATE TABLE IF NOT EXISTS parts (name VARCHAR, source INTEGER, rows BIGINT)",
    "CREATE TABLE IF NOT EXISTS quarantine (source INTEGER, position BIGINT, device VARCHAR, "
    "ts_s DOUBLE, category VARCHAR, reason VARCHAR, raw BLOB)",
    "CREATE TABLE IF NOT EXISTS sources (id INTEGER, key VARCHAR, "
    "fingerprint VARCHAR, byte_offset BIGINT, line BIGINT, clock_s DOUBLE)",
    "CREATE TABLE IF NOT EXISTS counters (read BIGINT, accepted BIGINT, quarantined BIGINT)",
    "CREATE TABLE IF NOT EXISTS fragments (source INTEGER, position BIGINT, raw BLOB)",
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value BIGINT)",
    "CREATE TABLE IF NOT EXISTS clocks (source INTEGER, device VARCHAR, clock_s DOUBLE)",
    "CREATE TABLE IF NOT EXISTS registered (seq BIGINT, id VARCHAR, kind VARCHAR, "
    "profile VARCHAR, ts_s DOUBLE, source INTEGER, position BIGINT)",
]
#: The only files the store ever writes or deletes in ``records/``.
PART_NAME = re.compile(r"^(\.tmp-)?part-\d{8}\.parquet$")
_DUCK_TYPES = {pa.string(): "VARCHAR", pa.float64(): "DOUBLE", pa.int64(): "BIGINT",
               pa.bool_(): "BOOLEAN"}
COUNTERS = ("read", "accepted", "quarantined")


#: Quoted text, brackets, hex and numbers (not the 8 of UTF-8 nor the 53 of 2^53).
_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|\([^)]*\)|\[[^\]]*\]|0x[0-9a-fA-F]+"
                     r"|(?<![\w.^-])-?\d+(\.\d+)?(e[+-]?\d+)?(?![\w^])")


def category(reason: str) -> str:
    """A short class of a quarantine reason (values, numbers and brackets removed).

    ``field: what is wrong (got value)`` keeps the field and what is wrong
    (``seq: must be an integer``); other reasons keep the words before their first colon
    (``malformed JSON``).
    """
    head, sep, rest = reason.partition(":")
    if sep and head in COLUMNS:
        words = " ".join(_VALUES.sub("", rest[:200]).split()[:8])
        return f"{head}: {words}" if words else head
    text = _VALUES.sub("", head if sep and len(head) < 40 else reason[:120])
    return " ".join(text.split())[:80] or reason[:40]


class Store:
    """DuckDB connection to a twin's store."""

    def __init__(self, path: Path, read_only: bool = False):
        self.path = path
        self.parts_dir = path.parent / "records"
        if self.parts_dir.is_symlink() or (self.parts_dir.exists()
                                           and not self.parts_dir.is_dir()):
            raise DataError(self.parts_dir, [Problem(
                "", "the twin's records folder must be a real folder, not a symbolic link or "
                "a file (refusing to read or delete through it)", has_value=False)])
        self._ephemeral = read_only and not path.exists()
        try:
            # A read-only look at a twin that never ingested anything: an empty store in
            # memory (creating the file would make `twin status` write into the folder).
            self.con = duckdb.connect(":memory:" if self._ephemeral else str(path),
                                      read_only=read_only and not self._ephemeral)
        except (duckdb.IOException, duckdb.Error) as exc:
            raise DataError(path, [Problem("", "cannot open the twin store (is another ingest "
                                           f"running?): {exc}", has_value=False)]) from None
        if not read_only or self._ephemeral:
            if not self._ephemeral:
                self.con.execute("PRAGMA wal_autocheckpoint='256MB'")
            for sql in _SCHEMA_SQL:
                self.con.execute(sql)
            row = self._one("SELECT count(*) FROM counters")
            if not row or not row[0]:
                self.con.execute("INSERT INTO counters VALUES (0, 0, 0)")
        self._state_ready = self._has_table("device_state")
        self.parts: list[str] = []
        if self._has_table("parts"):
            self.parts = [r[0] for r in self.con.execute("SELECT name FROM parts ORDER BY name")
                          .fetchall()]
        self._pending_parts: list[str] = []
        if not read_only:
            self._drop_orphans()

    def _drop_orphans(self) -> None:
        """Delete part files a crash left between writing them and committing their name.

        Only regular files named like a part (``part-NNNNNNNN.parquet`` or its temporary
        name) are ever deleted; anything else in the folder is left alone.
        """
        if not self.parts_dir.is_dir() or self.parts_dir.is_symlink():
            return
        known = set(self.parts)
        for f in self.parts_dir.iterdir():
            if f.name in known or not PART_NAME.match(f.name):
                continue
            if f.is_symlink() or not f.is_file():
                continue
            f.unlink()

    def records_from(self) -> str:
        """A FROM-clause expression over every committed record.

        The part files are handed to DuckDB as an Arrow dataset registered under a fixed
        name: no path is ever spliced into SQL text.
        """
        if not self.parts:
            cols = ", ".join(f"CAST(NULL AS {_DUCK_TYPES[t]}) AS {c}" for c, t in COLUMNS.items())
            return (f"(SELECT {cols}, CAST(NULL AS INTEGER) AS source, "
                    "CAST(NULL AS BIGINT) AS position WHERE false)")
        import pyarrow.dataset as ds

        if getattr(self, "_registered", None) != len(self.parts):
            files = [str(self._part_path(p)) for p in self.parts]
            schema = pa.schema([*COLUMNS.items(), ("source", pa.int32()),
                                ("position", pa.int64())])
            self.con.register("twin_records", ds.dataset(files, schema=schema,
                                                          format="parquet"))
            self._registered = len(self.parts)
        return "twin_records"

    def part_files(self) -> list[str]:
        """Paths of the committed record parts (for DuckDB's Parquet reader, as a bound
        parameter: never spliced into SQL text)."""
        return [str(self._part_path(p)) for p in self.parts]

    def _part_path(self, name: str) -> Path:
        if not PART_NAME.match(name):
            raise DataError(self.path, [Problem("parts.name", "not a part file name", name)])
        path = self.parts_dir / name
        if path.is_symlink():
            raise DataError(path, [Problem("", "a record part must be a real file, not a "
                                           "symbolic link", has_value=False)])
        return path

    def close(self) -> None:
        self.con.close()

    def _one(self, sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
        """First row of a query (fetching all rows: DuckDB keeps a partly read result open)."""
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0] if rows else None

    def _has_table(self, name: str) -> bool:
        rows = self._one("SELECT count(*) FROM information_schema.tables "
                                "WHERE table_name = ?", [name])
        return bool(rows and rows[0])

    # -- reading -------------------------------------------------------------------------
    def counters(self) -> dict[str, int]:
        if not self._has_table("counters"):
            return dict.fromkeys(COUNTERS, 0)
        row = self._one("SELECT read, accepted, quarantined FROM counters")
        return dict(zip(COUNTERS, (int(v) for v in row or (0, 0, 0)), strict=True))

    def state_snapshot(self) -> tuple[pa.Table | None, int]:
        """The last state snapshot and the number of parts it includes."""
        if not self._state_ready:
            return None, 0
        row = self._one("SELECT value FROM meta WHERE key = 'state_parts'")
        table = self.con.sql("SELECT * FROM device_state ORDER BY device").to_arrow_table()
        return table, int(row[0]) if row else 0

    def source(self, key: str) -> dict[str, Any] | None:
        row = self._one("SELECT id, fingerprint, byte_offset, line, clock_s FROM sources "
                               "WHERE key = ?", [key])
        if row is None:
            return None
        return dict(zip(("id", "fingerprint", "offset", "line", "clock_s"), row, strict=True))

    def register_source(self, key: str, fingerprint: str) -> int:
        row = self._one("SELECT coalesce(max(id), 0) + 1 FROM sources")
        sid = int(row[0]) if row else 1
        self.con.execute("INSERT INTO sources VALUES (?, ?, ?, 0, 1, NULL)",
                         [sid, key, fingerprint])
        return sid

    def restart_source(self, sid: int, fingerprint: str) -> None:
        self.con.execute("UPDATE sources SET fingerprint = ?, byte_offset = 0, line = 1, "
                         "clock_s = NULL WHERE id = ?", [fingerprint, sid])
        self.con.execute("DELETE FROM fragments WHERE source = ?", [sid])
        self.con.execute("DELETE FROM clocks WHERE source = ?", [sid])

    def fragments(self, sid: int) -> list[dict[str, Any]]:
        rows = self.con.execute("SELECT position, raw FROM fragments WHERE source = ? "
                                "ORDER BY position", [sid]).fetchall()
        return [{"position": p, "raw": bytes(r)} for p, r in rows]

    def window_keys(self, since_s: float) -> pa.Table:
        """Keys of the records not older than ``since_s`` (candidates for duplicates)."""
        return self.con.sql(
            f"SELECT device, ts_s, coalesce(seq, 0) AS seq FROM {self.records_from()} "
            "WHERE ts_s >= ?", params=[since_s]).to_arrow_table()

    def read_part(self, name: str) -> pa.Table:
        """A part file with every canonical column (older parts may lack a newer one)."""
        path = self._part_path(name)
        try:
            part = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise DataError(path, [Problem("", f"unreadable record part: {str(exc)[:200]}",
                                           has_value=False)]) from None
        for c, t in COLUMNS.items():
            if c not in part.column_names:
                part = part.append_column(c, pa.nulls(part.num_rows, t))
        return part

    def registered(self) -> list[tuple[str, str, str | None]]:
        """``(id, kind, profile)`` of the self-registered devices, in registration order."""
        if not self._has_table("registered"):
            return []
        rows = self.con.execute("SELECT id, kind, profile FROM registered ORDER BY seq"
                                ).fetchall()
        return [(str(i), str(k), None if p is None else str(p)) for i, k, p in rows]

    def clocks(self, sid: int) -> dict[str, float]:
        """Each device's JT/T 808 clock for source ``sid``."""
        rows = self.con.execute("SELECT device, clock_s FROM clocks WHERE source = ?",
                                [sid]).fetchall()
        return {d: float(c) for d, c in rows}

    def query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        return self.con.sql(sql, params=params or None).to_arrow_table()

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._pending_parts = []
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            self._drop_orphans()
            raise
        self.con.execute("COMMIT")
        self.parts += self._pending_parts

    def add_records(self, table: pa.Table, source: int, position: np.ndarray) -> None:
        """Write a part file and register it (call inside :meth:`transaction`)."""
        if table.num_rows == 0:
            return
        full = table.append_column("source", pa.array(np.full(table.num_rows, source,
                                                              np.int32)))
        full = full.append_column("position", pa.array(position.astype(np.int64)))
        self.parts_dir.mkdir(exist_ok=True)
        name = f"part-{len(self.parts) + len(self._pending_parts):08d}.parquet"
        tmp = self.parts_dir / f".tmp-{name}"
        if self.parts_dir.is_symlink():
            raise DataError(self.parts_dir, [Problem("", "the twin's records folder must not "
                                                     "be a symbolic link", has_value=False)])
        pq.write_table(full, tmp, compression="snappy")
        os.replace(tmp, self.parts_dir / name)
        self.con.execute("INSERT INTO parts VALUES (?, ?, ?)", [name, source, table.num_rows])
        self._pending_parts.append(name)

    def add_quarantine(self, rows: list[tuple[int, int, str | None, float | None, str, bytes]]
                       ) -> None:
        if not rows:
            return
        src, pos, dev, ts, reason, raw = zip(*rows, strict=True)
        tab = pa.table({
            "source": pa.array(src, pa.int32()), "position": pa.array(pos, pa.int64()),
            "device": pa.array(dev, pa.string()), "ts_s": pa.array(ts, pa.float64()),
            "category": pa.array([category(r) for r in reason], pa.string()),
            "reason": pa.array(reason, pa.string()), "raw": pa.array(raw, pa.binary()),
        })
        self.con.register("_quar", tab)
        try:
            self.con.execute("INSERT INTO quarantine SELECT * FROM _quar")
        finally:
            self.con.unregister("_quar")

    def add_registered(self, rows: list[tuple[str, str, str | None, float, int, int]]) -> None:
        """Record self-registered devices ``(id, kind, profile, ts_s, source, position)``
        (call inside :meth:`transaction`)."""
        if not rows:
            return
        row = self._one("SELECT coalesce(max(seq), -1) + 1 FROM registered")
        first = int(row[0]) if row else 0
        self.con.executemany("INSERT INTO registered VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [[first + i, *r] for i, r in enumerate(rows)])

    def put_state(self, rows: pa.Table, parts: int) -> None:
        """Replace the state snapshot; it includes the first ``parts`` parts."""
        self.con.register("_state", rows)
        try:
            if self._state_ready:
                self.con.execute("DROP TABLE device_state")
            self.con.execute("CREATE TABLE device_state AS SELECT * FROM _state")
            self._state_ready = True
        finally:
            self.con.unregister("_state")
        self.con.execute("DELETE FROM meta WHERE key = 'state_parts'")
        self.con.execute("INSERT INTO meta VALUES ('state_parts', ?)", [parts])

    def bump(self, read: int, accepted: int, quarantined: int) -> None:
        self.con.execute("UPDATE counters SET read = read + ?, accepted = accepted + ?, "
                         "quarantined = quarantined + ?", [read, accepted, quarantined])

    def set_progress(self, sid: int, offset: int, line: int, clocks: dict[str, float],
                     fragments: list[dict[str, Any]]) -> None:
        self.con.execute("UPDATE sources SET byte_offset = ?, line = ? WHERE id = ?",
                         [offset, line, sid])
        if clocks:
            tab = pa.table({"device": pa.array(list(clocks), pa.string()),
                            "clock_s": pa.array(list(clocks.values()), pa.float64())})
            self.con.register("_clk", tab)
            try:
                self.con.execute("DELETE FROM clocks WHERE source = ? AND device IN "
                                 "(SELECT device FROM _clk)", [sid])
                self.con.execute("INSERT INTO clocks SELECT ?, device, clock_s FROM _clk",
                                 [sid])
            finally:
                self.con.unregister("_clk")
        self.con.execute("DELETE FROM fragments WHERE source = ?", [sid])
        if fragments:
            tab = pa.table({"position": pa.array([int(f["position"]) for f in fragments],
                                                 pa.int64()),
                            "raw": pa.array([bytes(f["raw"]) for f in fragments], pa.binary())})
            self.con.register("_frag", tab)
            try:
                self.con.execute("INSERT INTO fragments SELECT ?, position, raw FROM _frag",
                                 [sid])
            finally:
                self.con.unregister("_frag")
