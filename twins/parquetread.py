"""Parquet telemetry (bulk backfill) to canonical batches, a bad row at a time.

The file is read one row group at a time: a row group that cannot be read (a corrupt page,
a bad compression stream) has its rows quarantined with the reader's message, and the next
one is read as usual. Within a batch, a row is quarantined for what is wrong with it alone:
invalid UTF-8 in a string column, a value its column's canonical type cannot hold (found by
casting halves of the column until the bad value stands alone), a value in a column that is
not a record field. The other rows go on. Positions are row numbers in the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import DataError, Problem
from twins.batch import ParsedBatch, Reject
from twins.records import COLUMNS, conform, empty_table
from twins.screen import utf8_errors
from twins.textparse import bounded_repr

PARQUET_ROWS = 131072
_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


def _bad_utf8_rows(table: pa.Table) -> dict[int, str]:
    """Rows of ``table`` with invalid UTF-8 in a string column, and the reason."""
    out: dict[int, str] = {}
    for name in table.column_names:
        col = table.column(name)
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        try:
            col.validate(full=True)
            continue
        except pa.ArrowInvalid:
            pass
        base = 0
        for chunk in col.chunks:
            wide = pa.types.is_large_string(col.type)
            buffers = chunk.buffers()
            offsets = np.frombuffer(buffers[1], np.int64 if wide else np.int32)[
                chunk.offset:chunk.offset + len(chunk) + 1].astype(np.int64)
            data = buffers[2]
            u = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
            bad = utf8_errors(u, offsets[:-1], offsets[1:])
            valid = ~np.asarray(chunk.is_null().to_numpy(zero_copy_only=False))
            for r in np.flatnonzero((bad >= 0) & valid).tolist():
                out.setdefault(base + r, f"{name}: not valid UTF-8 at byte {int(bad[r])}")
            base += len(chunk)
    return out


def _value(col: pa.Array, row: int) -> str:
    try:
        return bounded_repr(col[row].as_py())
    except (ValueError, OverflowError, TypeError):
        return "an unreadable value"


def _uncastable_rows(table: pa.Table) -> dict[int, str]:
    """Rows holding a value that its column's canonical type cannot hold, and the reason."""
    out: dict[int, str] = {}
    for name, typ in COLUMNS.items():
        if name not in table.column_names:
            continue
        col = table.column(name).combine_chunks()
        if col.type == typ or pa.types.is_null(col.type):
            continue
        try:
            col.cast(typ)
            continue
        except _CAST_ERRORS:
            pass
        try:
            col.slice(0, 0).cast(typ)
        except _CAST_ERRORS:  # no value of this type can be read as the field's type
            for r in np.flatnonzero(np.asarray(col.is_valid().to_numpy(
                    zero_copy_only=False))).tolist():
                out.setdefault(r, f"{name}: a {col.type} column cannot be read as {typ}")
            continue
        stack = [(0, len(col))]
        while stack:
            a, b = stack.pop()
            if a >= b:
                continue
            try:
                col.slice(a, b - a).cast(typ)
                continue
            except _CAST_ERRORS:
                pass
            if b - a == 1:
                out.setdefault(a, f"{name}: cannot be read as {typ} (got {_value(col, a)})")
                continue
            mid = (a + b) // 2
            stack += [(mid, b), (a, mid)]
    return out


def _unknown_rows(table: pa.Table) -> dict[int, str]:
    """Rows with a value in a column that is not a record field."""
    out: dict[int, str] = {}
    for name in table.column_names:
        if name in COLUMNS:
            continue
        col = table.column(name)
        has = np.asarray(col.is_valid().to_numpy(zero_copy_only=False))
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            has &= np.asarray(col.to_numpy(zero_copy_only=False) != "")
        for r in np.flatnonzero(has).tolist():
            out.setdefault(r, f"unknown field {bounded_repr(name)} (a column of the file)")
    return out


def _rows_json(table: pa.Table, rows: list[int]) -> list[bytes]:
    out = []
    for r in rows:
        try:
            out.append(json.dumps(table.slice(r, 1).to_pylist()[0], default=str).encode())
        except (ValueError, OverflowError, TypeError):
            out.append(b"")
    return out


def parquet_table(table: pa.Table, positions: np.ndarray, end: int) -> ParsedBatch:
    """Canonical records of a slice of a Parquet file (rows ``positions``)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type):  # checked and converted as plain values
            try:
                table = table.set_column(i, f.name, table.column(i).cast(f.type.value_type))
            except _CAST_ERRORS:
                pass
    bad = _bad_utf8_rows(table)
    unreadable = set(bad)  # rows whose text cannot even be shown
    for found in (_uncastable_rows, _unknown_rows):
        for r, why in found(table).items():
            bad.setdefault(r, why)
    rejects: list[Reject] = []
    if bad:
        rows = sorted(bad)
        raws = [b"" if r in unreadable else _rows_json(table, [r])[0] for r in rows]
        rejects = [Reject(int(positions[r]), raw, bad[r]) for r, raw in zip(rows, raws,
                                                                          strict=True)]
        keep = np.setdiff1d(np.arange(table.num_rows), np.array(rows, np.int64))
        table, positions = table.take(pa.array(keep)), positions[keep]
    known = table.select([c for c in table.column_names if c in COLUMNS])
    try:
        conf, _ = conform(known)
    except _CAST_ERRORS as exc:  # not expected after the row checks; never fatal
        why = f"wrong column type in Parquet file: {str(exc)[:200]}"
        rejects += [Reject(int(p), b"", why) for p in positions]
        return ParsedBatch(empty_table(0), np.zeros(0, np.int64), np.zeros((0, 2), np.int64),
                           b"", sorted(rejects, key=lambda r: r.position), end_offset=end)
    return ParsedBatch(conf, positions, np.full((len(positions), 2), -1, np.int64), b"",
                       rejects, end_offset=end, raw_table=table)


def parquet_batches(path: Path, key: str, offset: int, rows: int = PARQUET_ROWS
                    ) -> Iterator[ParsedBatch]:
    """Batches of the Parquet file ``path`` from row ``offset`` (``key`` names it in errors)."""
    try:
        pf = pq.ParquetFile(path)
        groups = [pf.metadata.row_group(g).num_rows for g in range(pf.metadata.num_row_groups)]
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise DataError(key, [Problem("", f"unreadable Parquet: {str(exc)[:300]}",
                                      has_value=False)]) from None
    row = 0
    for g, n_g in enumerate(groups):
        group_end = row + n_g
        if group_end <= offset:
            row = group_end
            continue
        try:
            for rb in pf.iter_batches(batch_size=rows, row_groups=[g]):
                n = rb.num_rows
                if row + n <= offset:
                    row += n
                    continue
                table = pa.Table.from_batches([rb])
                if offset > row:
                    table = table.slice(offset - row)
                    row = offset
                positions = np.arange(row, row + table.num_rows, dtype=np.int64)
                row += table.num_rows
                yield parquet_table(table, positions, row)
        except (OSError, pa.ArrowException, ValueError) as exc:
            first = max(row, offset)
            why = f"unreadable Parquet row group {g}: {str(exc)[:200]}"
            rejects = [Reject(p, b"", why) for p in range(first, group_end)]
            yield ParsedBatch(empty_table(0), np.zeros(0, np.int64), np.zeros((0, 2), np.int64),
                              b"", rejects, end_offset=group_end)
        row = group_end
