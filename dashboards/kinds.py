"""Which specific views a run supports, found from the tables it has (not from its kind).

A run of any kind may carry a per-province table (a ``province`` column) or a per-access-node
table (an access-node id column and a load column); the Run and Rollout pages show their
views when such a table exists, whatever model wrote it.
"""

from __future__ import annotations

from pathlib import Path

from dashboards.data import files_of, parquet_columns
from sim.errors import RunError

PROVINCE_COLUMNS = ("province", "province_name", "province_en", "province_zh")
ACCESS_NODE_COLUMNS = ("access_node", "access_node_id", "olt", "olt_id", "pon_port",
                       "port", "node_id", "access")
LOAD_WORDS = ("peak", "util", "load", "mbps", "p95")


def _tables_with(run: Path, wanted: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for name in files_of(run, "tables"):
        try:
            cols = parquet_columns(run, f"tables/{name}.parquet")
        except RunError:
            continue
        hit = next((c for c in wanted if c in cols), None)
        if hit:
            out.append((name, hit))
    return out


def province_tables(run: Path) -> list[tuple[str, str]]:
    """``(table, province column)`` for each table with one row per province."""
    return _tables_with(run, PROVINCE_COLUMNS)


def access_node_tables(run: Path) -> list[tuple[str, str]]:
    """``(table, id column)`` for each table with an access-node id and a load column."""
    out = []
    for name, col in _tables_with(run, ACCESS_NODE_COLUMNS):
        if name in ("nodes", "edges", "requests", "vehicles", "vehicle_events"):
            continue  # the city road network's nodes are not access nodes
        cols = parquet_columns(run, f"tables/{name}.parquet")
        if load_columns(cols):
            out.append((name, col))
    return out


def load_columns(columns: list[str]) -> list[str]:
    """Columns that measure load, peak ones first (``peak_util`` before ``mean_mbps``)."""
    hits = [c for c in columns if any(w in c.lower() for w in LOAD_WORDS)]
    return sorted(hits, key=lambda c: (0 if "peak" in c.lower() else 1, hits.index(c)))
