"""Columnar recording of time series and events during a run.

Rows are appended to per-column Python lists (cheap inside SimPy callbacks) and turned into
Arrow tables once, at the end. Bulk results (numpy arrays) can be added whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from sim.engine.arrow import to_arrow


class ColumnBuffer:
    """An append-only table with fixed columns."""

    def __init__(self, columns: Sequence[str]):
        self.columns = tuple(columns)
        self._data: list[list[Any]] = [[] for _ in self.columns]

    def append(self, *row: Any) -> None:
        for col, value in zip(self._data, row, strict=True):
            col.append(value)

    def extend(self, *cols: Sequence[Any]) -> None:
        """Append many rows at once, given column by column (equal lengths)."""
        if len(cols) != len(self._data) or len({len(c) for c in cols}) > 1:
            raise ValueError(f"extend needs {len(self._data)} columns of one length")
        for col, values in zip(self._data, cols, strict=True):
            col.extend(values)

    def __len__(self) -> int:
        return len(self._data[0]) if self._data else 0

    def to_arrow(self) -> pa.Table:
        return pa.table({name: to_arrow(col) for name, col in zip(self.columns, self._data,
                                                                     strict=True)})


class Recorder:
    """Holds the time series and event tables of one replication."""

    def __init__(self) -> None:
        self._series: dict[str, ColumnBuffer] = {}
        self._tables: dict[str, ColumnBuffer | pa.Table] = {}

    def series(self, name: str, columns: Sequence[str]) -> ColumnBuffer:
        """A time series buffer; its first column should be ``t_s``."""
        if name not in self._series:
            self._series[name] = ColumnBuffer(columns)
        return self._series[name]

    def table(self, name: str, columns: Sequence[str]) -> ColumnBuffer:
        """An event or entity table buffer."""
        buf = self._tables.get(name)
        if buf is None:
            buf = ColumnBuffer(columns)
            self._tables[name] = buf
        assert isinstance(buf, ColumnBuffer)
        return buf

    def add_table(self, name: str, columns: Mapping[str, Any]) -> None:
        """Add a finished columnar table (numpy arrays or lists) at once."""
        self._tables[name] = pa.table({k: to_arrow(v) for k, v in columns.items()})

    def add_series(self, name: str, columns: Mapping[str, Any]) -> None:
        self._series[name] = pa.table({k: to_arrow(v) for k, v in columns.items()})  # type: ignore[assignment]

    def series_tables(self) -> dict[str, pa.Table]:
        return {k: _finish(v) for k, v in self._series.items()}

    def event_tables(self) -> dict[str, pa.Table]:
        return {k: _finish(v) for k, v in self._tables.items()}


def _finish(buf: Any) -> pa.Table:
    return buf.to_arrow() if isinstance(buf, ColumnBuffer) else buf

