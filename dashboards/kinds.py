"""Which specific views a run supports, found from the tables it has (not from its kind).

A run of any kind may carry a per-province table (a ``province`` column) or a per-access-node
table (an access-node id column and a load column); the Run and Rollout pages show their
views when such a table exists, whatever model wrote it.
"""

from __future__ import annotations

from pathlib import Path

from dashboards.data import files_of, parquet_columns, read_frame
from sim.errors import RunError

PROVINCE_COLUMNS = ("province", "province_name", "province_en", "province_zh")
ACCESS_NODE_COLUMNS = ("access_node", "access_node_id", "olt", "olt_id", "pon_port",
                       "port", "node_id", "access")
LOAD_WORDS = ("peak", "util", "load", "mbps", "p95")


def _tables_with(run: Path, wanted: tuple[str, ...],
                 first_only: bool = False) -> list[tuple[str, str]]:
    out = []
    for name in files_of(run, "tables"):
        try:
            cols = parquet_columns(run, f"tables/{name}.parquet")
        except RunError:
            continue
        if first_only:
            hit = cols[0] if cols and cols[0] in wanted else None
        else:
            hit = next((c for c in wanted if c in cols), None)
        if hit:
            out.append((name, hit))
    return out


def province_tables(run: Path) -> list[tuple[str, str]]:
    """``(table, province column)`` for each table with one row per province (and replication).

    A table named ``provinces`` comes first; tables with several rows per province (ports,
    sites) are left out.
    """
    out = []
    for name, col in _tables_with(run, PROVINCE_COLUMNS):
        try:
            df = read_frame(run, f"tables/{name}.parquet", [col, "replication"])
        except RunError:
            continue
        keys = [col, "replication"] if "replication" in df.columns else [col]
        if len(df) and not df.duplicated(keys).any():
            out.append((name, col))
    return sorted(out, key=lambda t: (t[0] != "provinces", t[0]))


def access_node_tables(run: Path) -> list[tuple[str, str]]:
    """``(table, id column)`` for tables keyed by an access node (their first column) that
    also have a load column (``ports``, ``olts`` of an IPTV run)."""
    out = []
    for name, col in _tables_with(run, ACCESS_NODE_COLUMNS, first_only=True):
        if name in ("nodes", "edges", "requests", "vehicles", "vehicle_events"):
            continue  # the city road network's nodes are not access nodes
        cols = parquet_columns(run, f"tables/{name}.parquet")
        if load_columns(cols):
            out.append((name, col))
    return out


def load_columns(columns: list[str]) -> list[str]:
    """Columns that measure load: peak utilisation first, then other peaks, then the rest
    (``peak_util``, ``peak_down_mbps``, ``p95_util``, ``mean_mbps``)."""
    hits = [c for c in columns if any(w in c.lower() for w in LOAD_WORDS)]
    return sorted(hits, key=lambda c: ("peak" not in c.lower(), "util" not in c.lower(),
                                       hits.index(c)))
