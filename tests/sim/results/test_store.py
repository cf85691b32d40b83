"""DuckDB queries over run folders: paths are values, never SQL text; no file outside a run."""

from __future__ import annotations

import json
import re

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


# Found by the run-folder fuzz: `fleettwin compare` on a damaged run showed it as a run of
# "n/a" KPIs with exit code 0, and a deeply nested JSON file was an unexpected error.
DAMAGED = [
    ("kpis.json", "[1, 2]", r"kpis\.json: not a JSON object of KPI values \(got \[1, 2\]\)"),
    ("kpis.json", '{"wait_p95_s": "abc"}', r"kpis\.json: 'wait_p95_s': not a number \(got 'abc'\)"),
    ("kpis.json", '{"wait_p95_s": NaN}', r"'wait_p95_s': not a number \(got nan\)"),
    ("kpis.json", '{"wait_p95_s": [1]}', r"'wait_p95_s': not a number \(got \[1\]\)"),
    ("kpis.json", '{"wait_p95_s": true}', r"'wait_p95_s': not a number \(got True\)"),
    ("kpis.json", "[" * 100_000 + "]" * 100_000, r"kpis\.json: unreadable \(nested too deeply\)"),
    ("manifest.json", "[1, 2]", r"manifest\.json: not a JSON object \(got \[1, 2\]\)"),
    ("manifest.json", "{oops", r"manifest\.json: unreadable"),
    ("manifest.json", "[" * 100_000 + "]" * 100_000,
     r"manifest\.json: unreadable \(nested too deeply\)"),
]


@pytest.mark.parametrize(("name", "text", "pattern"), DAMAGED,
                         ids=[f"{d[0]}-{d[1][:12]}" for d in DAMAGED])
def test_compare_refuses_a_damaged_run_naming_file_and_value(name, text, pattern, tmp_path,
                                                             capsys):
    from sim.cli.main import main

    good = _run(tmp_path / "good", {"wait_p95_s": 300.0, "service_rate": None})
    bad = _run(tmp_path / "bad", {"wait_p95_s": 300.0})
    (bad / name).write_text(text)
    for r in (good, bad):
        (r / "sla.json").write_text("[]")
    code = main(["compare", str(good), str(bad)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert str(bad) in err
    assert re.search(pattern, err), err


@pytest.mark.parametrize("text", ["[1, 2]", "null", '"PASS"', '{"name": "x"}', '[{"verdict": 1}]'])
def test_compare_refuses_damaged_sla_verdicts(text, tmp_path, capsys):
    """A damaged sla.json was a TypeError (exit 1) deep in the comparison table."""
    from sim.cli.main import main

    good = _run(tmp_path / "good", {"wait_p95_s": 300.0})
    bad = _run(tmp_path / "bad", {"wait_p95_s": 300.0})
    (good / "sla.json").write_text('[{"name": "p95", "verdict": "PASS"}]')
    (bad / "sla.json").write_text(text)
    code = main(["compare", str(good), str(bad)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert f"{bad / 'sla.json'}: " in err and "the run directory is damaged" in err
