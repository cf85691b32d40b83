"""Opt-in operations-stream benchmark (``pytest -m benchmark``); prints the figures, asserts
only what the statistics must be (every statistic for every district of every window)."""

from __future__ import annotations

from pathlib import Path

import pytest

from twins.opsstream import TWIN_STATISTICS
from twins.store import Store
from validation.bench_opsstream import T0, WINDOW_S, districts_table, fill, measure


@pytest.mark.benchmark
def test_opsstream_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    res = measure(devices=20_000, windows=2, n_districts=4)
    out = capsys.readouterr().out
    print(out, res)
    assert res["records"] == 2 * (8_000 * 20 + 10_000 * 2 + 2_000 * 10)
    assert "39 statistics x 4 districts" in out


@pytest.mark.benchmark
def test_benchmark_store_gives_the_expected_counts(tmp_path: Path) -> None:
    from twins.opsstream import district_counts, window_statistics

    store = Store(tmp_path / "twin.duckdb")
    fill(store, 1000, 1)
    districts, ids = districts_table(1000, 2)
    stats = window_statistics(store, districts, district_counts(ids, districts), T0,
                              WINDOW_S).to_pandas()
    assert len(stats) == 2 * len(TWIN_STATISTICS)
    total = stats.groupby("statistic")["value"].sum()
    assert total["vehicles_online"] == 400
    assert total["location_reports"] == 400 * 20
    assert total["cameras_online"] == 100
    assert total["devices_silent"] == 0
