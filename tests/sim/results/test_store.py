"""DuckDB queries over run folders: paths are values, never SQL text; no file outside a run."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.errors import RunError
from sim.results.store import kpi_rows, query


def test_query_path_with_a_quote_is_read_not_executed(tmp_path):
    folder = tmp_path / "it's'); DROP TABLE x; --"
    folder.mkdir()
    pq.write_table(pa.table({"x": [1, 2, 3]}), folder / "a.parquet")
    assert query("SELECT sum(x) FROM t", t=folder / "*.parquet") == [(6,)]


def test_query_refuses_a_view_name_that_is_not_an_identifier(tmp_path):
    with pytest.raises(RunError, match="not a plain table name"):
        query("SELECT 1", **{"t; DROP": tmp_path})


def _run(folder, kpis):
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    (folder / "kpis.json").write_text(json.dumps(kpis))
    return folder


def test_kpi_rows_reads_runs_with_quotes_in_their_names(tmp_path):
    run = _run(tmp_path / "o'brien", {"wait_mean_s": 12.5})
    assert kpi_rows([run])[0]["wait_mean_s"] == 12.5


def test_kpi_rows_refuses_a_symlink_out_of_the_run(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"password": 1}))
    run = _run(tmp_path / "r", {})
    (run / "kpis.json").unlink()
    (run / "kpis.json").symlink_to(secret)
    with pytest.raises(RunError, match="points outside its run directory"):
        kpi_rows([run])
