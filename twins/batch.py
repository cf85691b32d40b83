"""A parsed batch: canonical records plus the items that could not become records.

Every source (text lines, Parquet row groups, binary frames) produces :class:`ParsedBatch`:
an Arrow table of canonical records (see :mod:`twins.records`) in arrival order, where each
row came from (a position in the source and a byte span for its raw text), and the rejected
items with their reasons. ``read`` is ``table.num_rows + len(rejects)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from twins.records import empty_table


@dataclass
class Reject:
    """An input item that could not be parsed into a record."""

    position: int
    raw: bytes
    reason: str


@dataclass
class ParsedBatch:
    table: pa.Table
    position: np.ndarray
    """Source position of each row: line number (text) or byte offset (binary)."""
    span: np.ndarray
    """(n, 2) byte span of each row's raw text in ``buf``; (-1, -1) if it has none."""
    buf: bytes = b""
    rejects: list[Reject] = field(default_factory=list)
    end_offset: int = 0
    """Source offset just after this batch (where a restart resumes)."""
    end_line: int = 0
    clocks: dict[str, float] = field(default_factory=dict)
    """JT/T 808 streams: the devices whose clock (latest location time) moved in this batch."""
    extra_raw: dict[int, bytes] = field(default_factory=dict)
    """Raw input of rows built from several items (sub-packaged messages)."""
    pending: list[dict[str, object]] = field(default_factory=list)
    """JT/T 808 sub-packages still waiting for the rest of their message after this batch."""
    raw_table: pa.Table | None = None
    """Rows without raw text (Parquet): their raw form is this table's row as JSON."""

    @property
    def read(self) -> int:
        return self.table.num_rows + len(self.rejects)

    def raw(self, row: int) -> bytes:
        if row in self.extra_raw:
            return self.extra_raw[row]
        if self.raw_table is not None:
            try:
                row_data = self.raw_table.slice(row, 1).to_pylist()[0]
                return json.dumps(row_data, default=str).encode()
            except (ValueError, OverflowError, TypeError):
                return b""
        a, b = self.span[row]
        return self.buf[a:b] if a >= 0 else b""


def empty_batch() -> ParsedBatch:
    return ParsedBatch(empty_table(0), np.zeros(0, np.int64), np.zeros((0, 2), np.int64))
